"""``palermo audit``: check the hash chain of the audit log, list its entries; the log of the command line's reads."""

from __future__ import annotations

import getpass
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from .store.db import Store


def _stated(purpose: str) -> str:
    if not purpose.strip():
        raise typer.BadParameter("state the purpose: it is written to the audit log")
    return purpose.strip()


Purpose = Annotated[str, typer.Option("--purpose", help="Why (written to the audit log).", callback=_stated)]
"""The ``--purpose`` option of every command that reads or writes case data (refused when blank)."""


def log_operator(
    store: Store, action: str, purpose: str, *, records: Sequence[Any] = (), details: dict[str, Any] | None = None
) -> None:
    """Write to the audit log what the command line read or wrote: the operating-system user, no organisation.

    The command line works on the store itself (the deployment's operator), not within an organisation's
    rights, so its entries name no organisation.
    """
    from .audit import append

    append(store, actor=getpass.getuser(), org_id=None, action=action, purpose=purpose, records=records,
           details=details)


audit_app = typer.Typer(
    no_args_is_help=True, help="The audit log of every read and write of case data: verify it, list it."
)


@audit_app.command("verify")
def audit_verify() -> None:
    """Check that no entry was edited, reordered or deleted; exit code 1 if the chain is broken."""
    from .audit import verify
    from .cli import console, err, store

    report = verify(store())
    if report.ok:
        console.print(f"ok: {report.entries:,} entries, the chain is unbroken")
        return
    err.print(f"[bold red]broken:[/] entry {report.first_bad} was {report.reason}", highlight=False)
    raise typer.Exit(1)


@audit_app.command("log")
def audit_log(
    limit: Annotated[int, typer.Option("--limit", help="Entries to show, newest first.")] = 50,
    org: Annotated[str | None, typer.Option("--org", help="Only this organisation's entries.")] = None,
) -> None:
    """The newest entries: when, who, what, for what purpose, which records."""
    from .audit import entries
    from .cli import console, store

    shown = entries(store(), limit, org)
    table = Table(title=f"{len(shown)} audit entries")
    for column in ("id", "at", "actor", "organisation", "action", "purpose", "records"):
        table.add_column(column)
    for e in shown:
        records = ", ".join(str(r) for r in e.records[:5]) + (f" (+{len(e.records) - 5})" if len(e.records) > 5 else "")
        table.add_row(
            str(e.id), e.at.strftime("%Y-%m-%d %H:%M:%S"), escape(e.actor), escape(e.org or ""), e.action,
            escape(e.purpose), escape(records),
        )
    console.print(table)
