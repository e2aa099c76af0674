"""``palermo agreement``: sharing agreements between organisations (grant, list, revoke)."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from .cli_audit import Purpose

agreement_app = typer.Typer(
    no_args_is_help=True,
    help="Sharing agreements: which organisation sees what of another's data (none, aggregate, "
    "pseudonymised, full per category: cases, identities, linkage).",
)


@agreement_app.command("grant")
def grant_command(
    grantor: Annotated[str, typer.Argument(help="The organisation whose data is shared.")],
    grantee: Annotated[str, typer.Argument(help="The organisation that may see it.")],
    category: Annotated[str, typer.Option("--category", help="cases, identities or linkage.")],
    level: Annotated[str, typer.Option("--level", help="none, aggregate, pseudonymised or full.")],
    days: Annotated[int, typer.Option("--days", help="How long it holds, from now.")] = 365,
    purpose: Purpose = "sharing agreement",
) -> None:
    """Grant GRANTEE a level of access to GRANTOR's data of one category."""
    from .cli import console, store
    from .store.agreements import grant

    made = grant(store(), grantor, grantee, category, level, by=getpass.getuser(), days=days, purpose=purpose)
    console.print(
        f"agreement {made.id}: {escape(made.grantor)} grants {escape(made.grantee)} {made.level} access to its "
        f"{made.category} until {made.valid_until:%Y-%m-%d}",
        highlight=False,
    )


@agreement_app.command("list")
def list_command(
    org: Annotated[
        str | None, typer.Option("--org", help="Only agreements this organisation grants or receives.")
    ] = None,
) -> None:
    """Every agreement, newest first, with whether it holds now."""
    from .cli import console, store
    from .store.agreements import list_agreements

    found = list_agreements(store(), org)
    table = Table(title=f"{len(found)} sharing agreements")
    for column in ("id", "grantor", "grantee", "category", "level", "from", "until", "state"):
        table.add_column(column)
    for a in found:
        state = "active" if a.active() else ("revoked" if a.revoked_at else "not in force")
        table.add_row(str(a.id), escape(a.grantor), escape(a.grantee), a.category, a.level,
                      f"{a.valid_from:%Y-%m-%d}", f"{a.valid_until:%Y-%m-%d}", state)
    console.print(table)


@agreement_app.command("revoke")
def revoke_command(
    agreement_id: Annotated[int, typer.Argument(help="The agreement's id.")], purpose: Purpose = "revocation"
) -> None:
    """Revoke an agreement with immediate effect."""
    from .cli import console, store
    from .store.agreements import revoke

    done = revoke(store(), agreement_id, by=getpass.getuser(), org=None, purpose=purpose)
    console.print(f"agreement {done.id} revoked", highlight=False)
