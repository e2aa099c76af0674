"""The releases a deployment has published: made by one audited call each, listed from their folders.

Each release lives in its own folder under :func:`releases_root` (``$PALERMO_RELEASES_DIR``, else
``releases`` in the working directory): the files the release function wrote and ``release.json``, the
manifest (kind, who, when, parameters, figures, files). A release reads every stored case, so it is written
to the audit log (``cases.publish``) with the purpose the publisher states. The API and the web pages both
publish through :func:`publish_kanon`, :func:`publish_table` and :func:`publish_synthetic`.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import polars as pl

from .. import audit
from ..errors import ConflictError, InputError, NotFoundError
from ..settings import get_settings
from ..standard import load_standard
from ..store.db import Store
from ..store.orgs import get_organisation
from .budget import DEFAULT_DATASET, Balance, LedgerEntry, balance, ledger
from .dp_tables import release_dp_table
from .hierarchy import hierarchy_for
from .kanon import DEFAULT_QUASI_IDENTIFIERS
from .kanon_release import release_kanon
from .synthetic import SYNTHETIC_COLUMNS
from .synthetic_release import release_synthetic

Kind = Literal["kanon", "table", "synthetic"]
MANIFEST = "release.json"
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
PRIVATE_PARAMETERS = frozenset({"seed"})
"""Ledger parameters never shown: whoever knows a synthetic release's seed can subtract its noise."""
MIN_EPSILON, MAX_EPSILON = 0.01, 100.0
"""The ε a release through this module may spend (a smaller ε makes noise that swamps every count, slowly)."""
_MEDIA = {".csv": "text/csv", ".parquet": "application/vnd.apache.parquet", ".json": "application/json",
          ".md": "text/markdown", ".svg": "image/svg+xml"}


@dataclass(frozen=True)
class Release:
    """A published release, as its manifest records it."""

    name: str
    kind: Kind
    created_at: str
    created_by: str
    organisation: str
    purpose: str
    parameters: dict[str, Any]
    figures: dict[str, Any]
    """The data card's figures (records, information loss, utility, risk, noise)."""
    files: list[str]
    epsilon: float | None = None
    delta: float | None = None


@dataclass(frozen=True)
class BudgetOverview:
    """The ledger (parameters that must stay private left out) and each dataset's balance."""

    entries: list[LedgerEntry]
    balances: list[Balance]


def releases_root() -> Path:
    """Where releases are written: the ``releases_dir`` setting, else ``releases`` in the working directory."""
    return Path(get_settings().releases_dir or Path.cwd() / "releases")


MEDIA_TYPES = sorted({*_MEDIA.values(), "application/octet-stream"})


def media_type(file: str) -> str:
    """The media type of a release file."""
    return _MEDIA.get(Path(file).suffix, "application/octet-stream")


def _check_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise InputError("a release name is 1 to 100 letters, digits, dots, dashes or underscores, "
                         "starting with a letter or digit", column="name")
    return name


def _check_epsilon(epsilon: float) -> float:
    if not MIN_EPSILON <= epsilon <= MAX_EPSILON:
        raise InputError(f"ε must be between {MIN_EPSILON:g} and {MAX_EPSILON:g}, not {epsilon:g}", column="epsilon")
    return epsilon


def list_releases(root: Path | None = None) -> list[Release]:
    """Every release under ``root``, newest first."""
    folder = root or releases_root()
    found = [_read(path) for path in folder.glob(f"*/{MANIFEST}")] if folder.is_dir() else []
    return sorted(found, key=lambda r: (r.created_at, r.name), reverse=True)


def _read(path: Path) -> Release:
    return Release(**json.loads(path.read_text(encoding="utf-8")))


def get_release(name: str, root: Path | None = None) -> Release:
    """One release by name (:class:`NotFoundError` if there is none)."""
    path = (root or releases_root()) / _check_name(name) / MANIFEST
    if not path.is_file():
        raise NotFoundError(f"no release named {name!r}")
    return _read(path)


def release_file(name: str, file: str, root: Path | None = None) -> Path:
    """The path of one of a release's files (only those its manifest lists)."""
    release = get_release(name, root)
    if file not in release.files:
        raise NotFoundError(f"release {name!r} has no file {file!r}")
    return (root or releases_root()) / name / file


@contextmanager
def _folder(root: Path, name: str) -> Iterator[Path]:
    """A new folder for the release (refused if the name is taken), removed again if the release fails."""
    root.mkdir(parents=True, exist_ok=True)
    folder = root / name
    try:
        folder.mkdir()
    except FileExistsError:
        raise ConflictError(f"a release named {name!r} already exists; choose another name") from None
    try:
        yield folder
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _publish(
    store: Store, root: Path | None, kind: Kind, *, actor: str, org: str, purpose: str, name: str | None,
    write: Callable[[Path, str], tuple[dict[str, Any], dict[str, Any], float | None, float | None]],
) -> Release:
    """Check the purpose and name, write the release in its folder, record its manifest, audit the read."""
    if not purpose.strip():
        raise InputError("state the purpose of this release (it is written to the audit log)", column="purpose")
    viewer = get_organisation(store, org)
    created = datetime.now(UTC)
    chosen = _check_name(name.strip()) if name and name.strip() else (
        f"{kind}-{created:%Y%m%dT%H%M%SZ}-{secrets.token_hex(2)}")
    with _folder(root or releases_root(), chosen) as folder:
        parameters, figures, epsilon, delta = write(folder, chosen)
        release = Release(
            name=chosen, kind=kind, created_at=created.isoformat(timespec="seconds"), created_by=actor,
            organisation=viewer.name, purpose=purpose.strip(), parameters=parameters, figures=figures,
            files=sorted(p.name for p in folder.iterdir() if p.name != MANIFEST), epsilon=epsilon, delta=delta,
        )
        text = json.dumps(asdict(release), indent=1, ensure_ascii=False, default=str)
        (folder / MANIFEST).write_text(text + "\n", encoding="utf-8")
    audit.append(store, actor=actor, org_id=viewer.id, action="cases.publish", purpose=purpose.strip(),
                 details={"release": chosen, "kind": kind, "parameters": parameters,
                          "cases": figures.get("records", {}).get("in") or figures.get("source_cases")})
    return release


def publish_kanon(
    store: Store, *, actor: str, org: str, purpose: str, k: int, quasi_identifiers: list[str] | None = None,
    max_suppressed: float = 0.05, name: str | None = None, root: Path | None = None,
) -> Release:
    """A k-anonymous release of the stored cases (:func:`release_kanon`), recorded and audited.

    The quasi-identifiers must be among :func:`kanon_columns` (the default: the CTDC set).
    """
    offered = {q.column for q in kanon_columns()}
    unknown = [c for c in quasi_identifiers or () if c not in offered]
    if unknown:
        raise InputError(f"{unknown[0]!r} cannot be a quasi-identifier here; choose from {', '.join(sorted(offered))}")

    def write(folder: Path, _name: str) -> tuple[dict[str, Any], dict[str, Any], None, None]:
        done = release_kanon(store, folder, k=k, quasi_identifiers=quasi_identifiers, max_suppressed=max_suppressed)
        card = json.loads((folder / "datacard.json").read_text(encoding="utf-8"))
        parameters = {**card["parameters"], "max_suppressed": max_suppressed}
        figures = {key: card[key] for key in ("records", "information_loss", "utility", "risk")}
        figures["notes"] = done.result.notes()
        return parameters, figures, None, None

    return _publish(store, root, "kanon", actor=actor, org=org, purpose=purpose, name=name, write=write)


def publish_table(
    store: Store, *, actor: str, org: str, purpose: str, dims: list[str], epsilon: float,
    delta: float | None = None, name: str | None = None, root: Path | None = None,
) -> Release:
    """A differentially private count table (:func:`release_dp_table`): spends ε, recorded and audited."""
    _check_epsilon(epsilon)

    def write(folder: Path, chosen: str) -> tuple[dict[str, Any], dict[str, Any], float, float]:
        table = release_dp_table(store, folder / "table.csv", dims, epsilon=epsilon, delta=delta,
                                 dataset=DEFAULT_DATASET, release=chosen, by=actor)
        figures = {"cells": table.frame.height, "sigma": table.sigma, "rho": table.rho,
                   "certified_epsilon": table.certified_epsilon,
                   "cells_zero": int((table.frame.get_column("cases") == 0).sum())}
        return {"dims": list(table.dims)}, figures, table.epsilon, table.delta

    return _publish(store, root, "table", actor=actor, org=org, purpose=purpose, name=name, write=write)


def publish_synthetic(
    store: Store, *, actor: str, org: str, purpose: str, epsilon: float, delta: float | None = None,
    rows: int | None = None, name: str | None = None, root: Path | None = None,
) -> Release:
    """Differentially private synthetic microdata (:func:`release_synthetic`): spends ε, recorded and audited.

    Always the ``marginals`` engine: pac-synth panics (a Rust panic, after the budget is spent) on small data.
    """
    _check_epsilon(epsilon)

    def write(folder: Path, chosen: str) -> tuple[dict[str, Any], dict[str, Any], float, float]:
        done = release_synthetic(store, folder, epsilon=epsilon, delta=delta, rows=rows, dataset=DEFAULT_DATASET,
                                 release=chosen, engine="marginals", by=actor)
        card = done.card
        figures = {"source_cases": card["source_cases"], "rows": card["rows"], "utility": card["utility"],
                   "budget_remaining_epsilon": card["budget_remaining_epsilon"]}
        return dict(card["parameters"]), figures, float(card["epsilon"]), float(card["delta"])

    return _publish(store, root, "synthetic", actor=actor, org=org, purpose=purpose, name=name, write=write)


def budget_overview(store: Store) -> BudgetOverview:
    """The ledger, without parameters that must stay private, and the balance of every dataset in it."""
    entries = [
        LedgerEntry(e.id, e.dataset, e.release, e.epsilon, e.delta, e.spent_at, e.spent_by, e.method,
                    {k: v for k, v in e.parameters.items() if k not in PRIVATE_PARAMETERS})
        for e in ledger(store)
    ]
    names = sorted({e.dataset for e in entries} | {DEFAULT_DATASET})
    return BudgetOverview(entries=entries, balances=[balance(store, n) for n in names])


@dataclass(frozen=True)
class QuasiIdentifier:
    """A column a k-anonymous release may generalise, and the levels of its hierarchy."""

    column: str
    label: str
    levels: tuple[str, ...]
    default: bool


def kanon_columns() -> list[QuasiIdentifier]:
    """The columns offered as quasi-identifiers (those with hierarchies and those of synthetic releases)."""
    labels = {f.column: f.label for f in load_standard().analytical_fields()}
    columns = dict.fromkeys([*DEFAULT_QUASI_IDENTIFIERS, *SYNTHETIC_COLUMNS, "hte_country", "prs_mailing_country"])
    return [QuasiIdentifier(c, labels.get(c, c), hierarchy_for(c).names, c in DEFAULT_QUASI_IDENTIFIERS)
            for c in columns]


def preview(release: Release, rows: int = 15, root: Path | None = None) -> pl.DataFrame:
    """The first rows of the release's data file (a table's largest cells first)."""
    data = next((f for f in release.files if f.endswith(".csv")), None)
    if data is None:
        return pl.DataFrame()
    frame = pl.scan_csv(release_file(release.name, data, root), infer_schema=False)
    if release.kind == "table":
        frame = frame.sort(pl.col("cases").cast(pl.Int64), descending=True, maintain_order=True)
    return frame.head(rows).collect()
