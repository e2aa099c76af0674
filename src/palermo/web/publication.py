"""Publication pages (admins): the releases and the privacy-budget ledger, forms for new releases, a release's result.

Every release goes through :mod:`palermo.publish.releases`, as ``/api/releases`` does (the same audit entry,
``cases.publish``, with the purpose the form asks for). A release takes a few seconds, so the form's
button says so while the page waits; what the library refuses is shown beside the form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from ..errors import ConflictError, InputError, NotFoundError, PalermoError, PermissionDeniedError
from ..publish.budget_chart import budget_svg
from ..publish.dp_tables import table_dimensions
from ..publish.releases import (
    Release,
    budget_overview,
    get_release,
    kanon_columns,
    list_releases,
    media_type,
    preview,
    publish_kanon,
    publish_synthetic,
    publish_table,
    release_file,
)
from ..publish.synthetic import SYNTHETIC_COLUMNS
from ..server.deps import StoreDep
from ..server.identity import Principal
from ..store.db import Store
from .auth import FormUser, web_role
from .templating import render

router = APIRouter(include_in_schema=False)
Admin = Annotated[Principal, Depends(web_role("admin"))]
Name = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
Text = Annotated[str, Form(max_length=2000)]
Choices = Annotated[list[str], Form(max_length=50)]
FORMS = ("kanon", "table", "synthetic")


def _status(exc: PalermoError) -> int:
    """The status a refused form is shown with (as the API answers the same refusal)."""
    for kind, status in ((InputError, 422), (ConflictError, 409), (NotFoundError, 404),
                         (PermissionDeniedError, 403)):
        if isinstance(exc, kind):
            return status
    return 400


def _number(value: str, label: str, kind: Callable[[str], Any]) -> Any:
    """A form's number, or a clear refusal naming the field."""
    try:
        return kind(value.strip())
    except ValueError:
        raise InputError(f"{label} must be a number, not {value.strip()[:20]!r}") from None


def _page(request: Request, store: Store, status: int = 200, **context: Any) -> HTMLResponse:
    overview = budget_overview(store)
    context.setdefault("form", {})
    for name in FORMS:
        context.setdefault(f"{name}_error", None)
    return render(
        request, "publication.html.j2", status=status, releases=list_releases(), ledger=overview.entries,
        balances=overview.balances, qis=kanon_columns(), dims=table_dimensions(),
        synthetic_columns=list(SYNTHETIC_COLUMNS), **context,
    )


def _admin(user: Principal) -> None:
    if user.role != "admin":
        raise PermissionDeniedError(f"publishing is for the admin role; you are {user.role}")


def _attempt(request: Request, store: Store, which: str, form: dict[str, Any], make: Callable[[], Release]) -> Response:
    """Make the release and show it, or show the page again with the library's refusal beside the form."""
    try:
        made = make()
    except PalermoError as exc:
        return _page(request, store, _status(exc), form={which: form}, **{f"{which}_error": exc.message})
    return RedirectResponse(f"/publication/releases/{made.name}", status_code=303)


@router.get("/publication")
def publication_page(request: Request, user: Admin, store: StoreDep) -> HTMLResponse:
    """The releases made so far, the privacy-budget ledger and the forms for new releases."""
    return _page(request, store)


@router.get("/publication/budget.svg")
def budget_chart(user: Admin, store: StoreDep) -> Response:
    """The chart of the budget: ε spent by each release and ε left, per dataset."""
    overview = budget_overview(store)
    return Response(budget_svg(overview.entries, overview.balances), media_type="image/svg+xml",
                    headers={"Cache-Control": "no-store"})


@router.post("/publication/kanon")
def create_kanon(
    request: Request, user: FormUser, store: StoreDep, purpose: Text = "", k: Text = "11",
    max_suppressed: Text = "5", name: Text = "", qi: Choices | None = None,
) -> Response:
    """Publish a k-anonymous release."""
    _admin(user)
    form = {"purpose": purpose, "k": k, "max_suppressed": max_suppressed, "name": name, "qi": qi or []}

    def make() -> Release:
        if not qi:
            raise InputError("choose at least one quasi-identifier")
        return publish_kanon(
            store, actor=user.name, org=user.organisation, purpose=purpose, k=_number(k, "k", int),
            quasi_identifiers=qi, max_suppressed=_number(max_suppressed, "the share suppressed", float) / 100,
            name=name,
        )

    return _attempt(request, store, "kanon", form, make)


@router.post("/publication/table")
def create_table(
    request: Request, user: FormUser, store: StoreDep, purpose: Text = "", epsilon: Text = "",
    delta: Text = "", name: Text = "", dim: Choices | None = None,
) -> Response:
    """Publish a differentially private count table."""
    _admin(user)
    form = {"purpose": purpose, "epsilon": epsilon, "delta": delta, "name": name, "dim": dim or []}

    def make() -> Release:
        if not dim:
            raise InputError("choose at least one column to count by")
        return publish_table(
            store, actor=user.name, org=user.organisation, purpose=purpose, dims=dim,
            epsilon=_number(epsilon, "ε", float), delta=_number(delta, "δ", float) if delta.strip() else None,
            name=name,
        )

    return _attempt(request, store, "table", form, make)


@router.post("/publication/synthetic")
def create_synthetic(
    request: Request, user: FormUser, store: StoreDep, purpose: Text = "", epsilon: Text = "",
    delta: Text = "", rows: Text = "", name: Text = "",
) -> Response:
    """Publish differentially private synthetic microdata."""
    _admin(user)
    form = {"purpose": purpose, "epsilon": epsilon, "delta": delta, "rows": rows, "name": name}

    def make() -> Release:
        return publish_synthetic(
            store, actor=user.name, org=user.organisation, purpose=purpose, epsilon=_number(epsilon, "ε", float),
            delta=_number(delta, "δ", float) if delta.strip() else None,
            rows=_number(rows, "rows", int) if rows.strip() else None, name=name,
        )

    return _attempt(request, store, "synthetic", form, make)


@router.get("/publication/releases/{name}")
def release_page(request: Request, user: Admin, name: Name) -> HTMLResponse:
    """One release: what was published, its utility and risk figures and chart, its files."""
    release = get_release(name)
    return render(request, "publication_release.html.j2", release=release, preview=preview(release),
                  has_chart="utility.svg" in release.files)


@router.get("/publication/releases/{name}/chart.svg")
def release_chart(user: Admin, name: Name) -> FileResponse:
    """The release's utility chart, to show in its page."""
    return FileResponse(release_file(name, "utility.svg"), media_type="image/svg+xml")


@router.get("/publication/releases/{name}/files/{file}")
def release_download(user: Admin, name: Name, file: Name) -> FileResponse:
    """One of the release's files, as a download."""
    return FileResponse(release_file(name, file), media_type=media_type(file), filename=file)
