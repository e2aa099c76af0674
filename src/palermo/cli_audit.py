"""``palermo audit``: check the hash chain of the audit log, list its entries."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

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
