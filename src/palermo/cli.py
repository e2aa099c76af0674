"""The command line: a thin shell over the library that turns its errors into clear messages."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .cli_agreement import agreement_app
from .cli_audit import Purpose, audit_app, log_operator
from .cli_link import link_app
from .cli_server import admin_app, serve
from .errors import PalermoError
from .settings import get_settings
from .store.db import Store, open_store

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="palermo: pool, link, analyse and publish "
    "human-trafficking case data in IOM's HTCDS standard, without putting victims at risk.",
)
org_app = typer.Typer(no_args_is_help=True, help="Contributing organisations.")
standard_app = typer.Typer(no_args_is_help=True, help="The HTCDS 2.0 standard as palermo implements it.")
app.add_typer(org_app, name="org")
app.add_typer(standard_app, name="standard")
publish_app = typer.Typer(
    no_args_is_help=True, help="Safe publication: k-anonymous and differentially private releases, the budget."
)
app.add_typer(publish_app, name="publish")
app.add_typer(link_app, name="link")
app.add_typer(admin_app, name="admin")
app.add_typer(audit_app, name="audit")
app.add_typer(agreement_app, name="agreement")
app.command("serve")(serve)

console = Console()
err = Console(stderr=True)


class State:
    """Options given before the command."""

    db: str | None = None


state = State()


def database_url() -> str:
    """The store's URL: --db, else PALERMO_DATABASE_URL, else palermo.db in the working directory."""
    return state.db or get_settings().resolved_database_url()


def store() -> Store:
    """Open the store named by the options."""
    return open_store(database_url())


@app.callback()
def main_options(
    db: Annotated[
        str | None,
        typer.Option(
            "--db", help="Database URL or SQLite file (default: palermo.db here; env PALERMO_DATABASE_URL)."
        ),
    ] = None,
) -> None:
    """palermo command line."""
    state.db = db


@org_app.command("add")
def org_add(
    name: Annotated[str, typer.Argument(help="The organisation's name.")],
    org_type: Annotated[
        str, typer.Option("--type", help="HTCDS organisation type, e.g. NGO, LawEnforcement.")
    ],
    country: Annotated[str, typer.Option("--country", help="Country: ISO 3166 code or English name.")],
) -> None:
    """Register a contributing organisation."""
    from .store.orgs import add_organisation

    org = add_organisation(store(), name, org_type, country)
    console.print(f"registered [bold]{org.name}[/] ({org.type}, {org.country}) as organisation {org.id}")


@org_app.command("list")
def org_list() -> None:
    """List the registered organisations and what each has contributed."""
    from .store.orgs import list_organisations

    orgs = list_organisations(store())
    table = Table("id", "name", "type", "country", "batches", "cases", title="Organisations")
    for o in orgs:
        table.add_row(str(o.id), o.name, o.type, o.country, f"{o.batches:,}", f"{o.cases:,}")
    console.print(
        table if orgs else "no organisation registered yet: `palermo org add NAME --type NGO --country XX`"
    )


@standard_app.command("fields")
def standard_fields(
    prefix: Annotated[str | None, typer.Option(help="Only fields with this prefix, e.g. vic_.")] = None,
) -> None:
    """List the standard's fields with their types and code lists."""
    from .standard import load_standard

    std = load_standard()
    table = Table(
        "field", "type", "label", "codes", "", title=f"{std.standard} {std.version} (+ palermo extensions)"
    )
    for f in std.fields:
        if prefix and not f.name.startswith(prefix):
            continue
        codes = ", ".join(f.code_names[:6]) + (f" (+{len(f.codes) - 6})" if len(f.codes) > 6 else "")
        marks = " ".join(m for m, on in (("extension", f.extension), ("identifying", f.identifying)) if on)
        table.add_row(f.name, f.type.value, f.label, codes, marks)
    console.print(table)


@standard_app.command("schema")
def standard_schema(
    out: Annotated[
        Path | None, typer.Option("--out", help="Write to this file instead of standard output.")
    ] = None,
) -> None:
    """Write the JSON Schema of one HTCDS case record."""
    from .standard.schema import json_schema

    text = json.dumps(json_schema(), indent=2, ensure_ascii=False)
    if out is None:
        sys.stdout.write(text + "\n")
    else:
        out.write_text(text + "\n", encoding="utf-8")
        console.print(f"wrote {out}")


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )


@app.command()
def ingest(
    files: Annotated[list[Path], typer.Argument(help="CSV, XLSX, JSON or NDJSON files.")],
    org: Annotated[
        str | None, typer.Option("--org", help="The contributing organisation (registered).")
    ] = None,
    mapping: Annotated[
        Path | None, typer.Option("--mapping", help="YAML mapping file for a custom layout.")
    ] = None,
    sheet: Annotated[str | None, typer.Option("--sheet", help="Sheet to read from an XLSX workbook.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check everything, store nothing.")] = False,
    report_json: Annotated[
        Path | None, typer.Option("--report-json", help="Write the full report as JSON.")
    ] = None,
    suggest_mapping: Annotated[
        bool,
        typer.Option("--suggest-mapping", help="Draft a mapping file for FILE and print it; store nothing."),
    ] = False,
    purpose: Purpose = "ingest from the command line",
) -> None:
    """Ingest partner files: map to HTCDS, validate, store; refused rows are kept with their reasons.

    Exit code 0: every row stored; 1: some rows refused (the rest stored); 2: a file could not be used.
    """
    from .cli_ingest import run_ingest, run_suggest

    if suggest_mapping:
        run_suggest(files, sheet, console)
        return
    if org is None:
        raise PalermoError(
            "--org is required: the organisation contributing the files (see `palermo org list`)"
        )
    code = run_ingest(store(), files, org, mapping, sheet, dry_run, report_json, console, _progress, purpose=purpose)
    raise typer.Exit(code)


@app.command()
def rejected(
    org: Annotated[str | None, typer.Option("--org", help="Only this organisation's files.")] = None,
    batch: Annotated[
        int | None, typer.Option("--batch", help="Only this batch (see `palermo org list`).")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write all of them to this CSV file.")] = None,
    limit: Annotated[int, typer.Option(help="Rows to show on screen.")] = 50,
    purpose: Purpose = "data quality review",
) -> None:
    """Show the refused rows kept in quarantine, with file, row, column, value and reason."""
    from .store.export import escape_frame, export_rejected, rejected_frame

    opened = store()
    details = {"org": org, "batch": batch, "file": None if out is None else out.name}
    if out is not None:
        n = export_rejected(opened, out, org=org, batch=batch)
        log_operator(opened, "quarantine.read", purpose, details={**details, "problems": n})
        console.print(f"wrote {n:,} refused values to {escape(str(out))}")
        return
    frame = escape_frame(rejected_frame(opened, org=org, batch=batch))
    log_operator(opened, "quarantine.read", purpose, details={**details, "problems": frame.height})
    table = Table(*frame.columns, title=f"Refused rows ({frame.height:,} problems)")
    for values in frame.head(limit).iter_rows():
        table.add_row(*(escape("" if v is None else str(v)) for v in values))
    console.print(table)


@app.command("export")
def export_command(
    out: Annotated[Path, typer.Option("--out", help="CSV file to write.")],
    org: Annotated[str | None, typer.Option("--org", help="Only this organisation's cases.")] = None,
    identifying: Annotated[
        bool, typer.Option("--with-identifying", help="Include names, birth dates, contacts (personal data).")
    ] = False,
    purpose: Purpose = "export",
) -> None:
    """Export stored cases to CSV (formulas escaped); the export is written to the audit log."""
    import getpass

    from .store.export import export_cases

    n = export_cases(store(), out, org=org, identifying=identifying, actor=getpass.getuser(), purpose=purpose)
    console.print(f"wrote {n:,} cases to {escape(str(out))}")


@app.command()
def report(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the report into.")],
    formats: Annotated[
        str, typer.Option("--format", help="Comma-separated: html, pdf, json, csv.")
    ] = "html,pdf,json,csv",
    k: Annotated[int, typer.Option("--k", help="Smallest count published; smaller ones are suppressed.")] = 11,
    from_year: Annotated[int | None, typer.Option("--from-year", help="First year of registration.")] = None,
    to_year: Annotated[int | None, typer.Option("--to-year", help="Last year of registration.")] = None,
    region: Annotated[
        list[str] | None, typer.Option("--region", help="UN M49 region of exploitation (repeatable), e.g. Europe.")
    ] = None,
    contributor: Annotated[list[str] | None, typer.Option("--contributor", help="Organisation (repeatable).")] = None,
    form: Annotated[
        list[str] | None, typer.Option("--form", help="Form of exploitation code (repeatable), e.g. ForcedLabour.")
    ] = None,
    latest: Annotated[int | None, typer.Option("--latest", help="Year treated as the latest period.")] = None,
    purpose: Purpose = "threat assessment",
) -> None:
    """Write the threat-assessment report (HTML, PDF, JSON, CSV), every count below k suppressed."""
    from .cli_report import run_report

    run_report(
        store(), out, formats, k=k, from_year=from_year, to_year=to_year, regions=region, contributors=contributor,
        forms=form, latest=latest, purpose=purpose, console=console,
    )


@app.command()
def demo(
    cases: Annotated[int, typer.Option(help="Generated cases across the five demo organisations.")] = 20_000,
    keep: Annotated[bool, typer.Option(help="Keep an existing database instead of starting afresh.")] = False,
) -> None:
    """Build a fresh demo database: five organisations, three layouts, the real CTDC extract."""
    from .demo.run import run_demo

    run_demo(database_url(), cases=cases, fresh=not keep, console=console, progress=_progress)


@publish_app.command("synthetic")
def publish_synthetic(
    epsilon: Annotated[float, typer.Option("--epsilon", help="Privacy loss ε this release spends.")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write the release into.")],
    delta: Annotated[
        float | None, typer.Option("--delta", help="Privacy parameter δ (default 1e-6).")
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Random seed; the same seed gives the same release (default: random).")
    ] = None,
    rows: Annotated[int | None, typer.Option("--rows", help="Synthetic rows (default: the noisy case count).")] = None,
    dataset: Annotated[str, typer.Option("--dataset", help="Name of the dataset whose budget is spent.")] = "all-cases",
    release: Annotated[
        str | None, typer.Option("--release", help="Name of the release in the ledger (default: synthetic-TIME).")
    ] = None,
    engine: Annotated[
        str, typer.Option("--engine", help="marginals (fast, seeded) or pac-synth (Microsoft's, unseeded).")
    ] = "marginals",
    purpose: Purpose = "publication",
) -> None:
    """Spend budget, then write DP synthetic microdata (CSV, Parquet) with a data card (Markdown, JSON)."""
    from .cli_publish import run_synthetic

    run_synthetic(
        store(), out, epsilon=epsilon, delta=delta, seed=seed, rows=rows, dataset=dataset, release=release,
        engine=engine, purpose=purpose, console=console,
    )


@publish_app.command("table")
def publish_table(
    dims: Annotated[
        str, typer.Option("--dims", help="Comma-separated case columns, e.g. cas_registration_year,prs_gender.")
    ],
    epsilon: Annotated[float, typer.Option("--epsilon", help="Privacy loss ε this table spends.")],
    out: Annotated[Path, typer.Option("--out", help="CSV file to write (its data card goes beside it as .json).")],
    delta: Annotated[float | None, typer.Option("--delta", help="Privacy parameter δ (default 1e-6).")] = None,
    dataset: Annotated[str, typer.Option("--dataset", help="Name of the dataset whose budget is spent.")] = "all-cases",
    release: Annotated[str | None, typer.Option("--release", help="Name of the release in the ledger.")] = None,
    purpose: Purpose = "publication",
) -> None:
    """Spend budget, then write differentially private counts by the given columns (every combination)."""
    import getpass

    from .publish.dp_tables import release_dp_table

    columns = [d.strip() for d in dims.split(",") if d.strip()]
    opened = store()
    table = release_dp_table(
        opened, out, columns, epsilon=epsilon, delta=delta, dataset=dataset, release=release,
        by=getpass.getuser(),
    )
    log_operator(opened, "cases.publish", purpose,
                 details={"kind": "table", "dims": columns, "epsilon": table.epsilon, "file": out.name})
    console.print(
        f"{table.frame.height:,} noisy cells (ε = {table.epsilon:g}, δ = {table.delta:g}, σ = {table.sigma:.2f}; "
        f"certified by OpenDP: ε = {table.certified_epsilon:g}) written to {escape(str(out))}"
    )


@publish_app.command("kanon")
def publish_kanon(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the release into.")],
    k: Annotated[int, typer.Option("--k", help="Smallest group of indistinguishable records.")] = 11,
    purpose: Purpose = "publication",
) -> None:
    """Write k-anonymous microdata (CSV, Parquet) with a data card and its utility and risk figures."""
    from .publish.kanon_release import release_kanon

    if k < 2:
        raise PalermoError("--k must be at least 2")
    opened = store()
    with console.status("generalising and suppressing"):
        done = release_kanon(opened, out, k=k)
    log_operator(opened, "cases.publish", purpose, details={"kind": "k-anonymous", "k": k, "folder": out.name})
    for note in done.result.notes():
        console.print(escape(note))
    console.print(f"2-way marginal error (MAE of counts): {done.utility.mae(2):.1f}; files in {escape(str(out))}")


@publish_app.command("budget")
def publish_budget(
    dataset: Annotated[str | None, typer.Option("--dataset", help="Only this dataset's releases.")] = None,
) -> None:
    """Show the privacy-budget ledger: what was spent, when, by whom, for which release, and what is left."""
    from .cli_publish import show_budget

    show_budget(store(), dataset, console)


def main() -> None:
    """Entry point of the ``palermo`` command: library errors become messages and exit code 2."""
    try:
        app()
    except PalermoError as exc:
        err.print("[bold red]error:[/] " + escape(exc.message), highlight=False)
        sys.exit(2)
