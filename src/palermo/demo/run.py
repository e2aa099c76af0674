"""``palermo demo``: build a fresh embedded database from generated partner files and the real CTDC extract."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, TaskID
from rich.table import Table

from ..errors import ConfigurationError
from ..ingest.pipeline import ingest_file
from ..ingest.report import FileReport
from ..reports.assessment import build_assessment
from ..reports.write import FORMATS, write_report
from ..standard.crosswalk import load_crosswalk
from ..store.db import open_store, sqlite_file
from ..store.orgs import add_organisation, list_organisations
from .generate import ORGANISATIONS, write_demo_files

CTDC_ORG = ("Counter Trafficking Data Collaborative (demo copy)", "InternationalOrganisation", "CH")


def _fresh_sqlite(url: str) -> Path | None:
    """Remove the SQLite file (and its WAL files) behind ``url``; None for other databases."""
    path = sqlite_file(url)
    if path is None:
        return None
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def run_demo(
    url: str,
    *,
    cases: int,
    fresh: bool,
    console: Console,
    progress: Callable[[], Progress],
    seed: int = 7,
    report_formats: tuple[str, ...] = FORMATS,
) -> list[FileReport]:
    """Generate the demo files next to the database, register the organisations, ingest everything, and
    write the threat-assessment report beside the database (``palermo-report/``)."""
    path = _fresh_sqlite(url) if fresh else None
    store = open_store(url)
    if fresh and path is None and list_organisations(store):
        raise ConfigurationError(
            "the demo starts from an empty database; this PostgreSQL database already has organisations "
            "(use --keep to add to it, or an empty database)"
        )
    folder = (path.parent if path is not None else Path.cwd()) / "palermo-demo-files"
    folder.mkdir(exist_ok=True)
    console.print(f"generating {cases:,} demo cases for {len(ORGANISATIONS)} organisations in {escape(str(folder))}")
    files = write_demo_files(folder, n_cases=cases, seed=seed)
    known = {o.name for o in list_organisations(store)}
    for demo_org in ORGANISATIONS:
        if demo_org.name not in known:
            add_organisation(store, demo_org.name, demo_org.type, demo_org.country)
    if CTDC_ORG[0] not in known:
        add_organisation(store, *CTDC_ORG)
    ctdc = Path(str(resources.files("palermo.demo").joinpath("data/ctdc_final.csv")))
    jobs = [(f.path, f.organisation, f.mapping) for f in files] + [(ctdc, CTDC_ORG[0], None)]
    reports: list[FileReport] = []
    with progress() as bar:
        task: TaskID = bar.add_task("demo", total=len(jobs))
        for number, (file, org, mapping) in enumerate(jobs):

            def step(stage: str, done: float, name: str = file.name, at: int = number) -> None:
                bar.update(task, completed=at + done, description=f"{name}: {stage}")

            crosswalk = load_crosswalk(mapping) if mapping is not None else None
            reports.append(ingest_file(store, file, org, crosswalk=crosswalk, progress=step))
    table = Table("organisation", "file", "layout", "read", "stored", "refused", title="palermo demo")
    for (_, org, _), r in zip(jobs, reports, strict=True):
        table.add_row(escape(org), escape(r.file), r.layout, f"{r.rows_read:,}", f"{r.accepted:,}", f"{r.rejected:,}")
    table.add_section()
    table.add_row("total", "", "", f"{sum(r.rows_read for r in reports):,}", f"{sum(r.accepted for r in reports):,}",
                  f"{sum(r.rejected for r in reports):,}")
    console.print(table)
    for r in reports:
        for reason in r.top_reasons[:3]:
            console.print(f"  refused in {escape(r.file)}: {escape(reason.column or '(row)')}: "
                          f"{escape(reason.reason)} ({reason.rows} rows)")
    if report_formats:
        report_dir = folder.parent / "palermo-report"
        with console.status("writing the threat-assessment report"):
            written = write_report(build_assessment(store), report_dir, report_formats)
        console.print(f"threat-assessment report ({', '.join(report_formats)}): {escape(str(report_dir))}")
        for path in written:
            if path.suffix in {".html", ".pdf"}:
                console.print(f"  {escape(str(path))}")
    console.print(f"database: [bold]{escape(store.display_url())}[/]")
    console.print("next: `palermo org list`, `palermo rejected`, `palermo link run`, `palermo report --out report`")
    store.engine.dispose()
    return reports
