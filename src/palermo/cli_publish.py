"""The ``palermo publish`` commands' presentation: a synthetic release with its data card, the budget ledger."""

from __future__ import annotations

import getpass
import json
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .analyse.cases import read_cases
from .errors import InputError
from .publish.budget import balance, ledger, spend
from .publish.synthetic import DEFAULT_DELTA, ENGINES, SYNTHETIC_COLUMNS, Engine, noise_scales, synthesize
from .store.db import Store

ATTRIBUTION = (
    "Derived from case records pooled in palermo by its contributing organisations, in IOM's Human Trafficking "
    "Case Data Standard (HTCDS 2.0); method after Microsoft's pac-synth (synthetic-data-showcase), built for CTDC."
)
CAVEATS = [
    "Every row is synthetic: no row is a real person, and no row should be read as one.",
    "Counts and combinations carry deliberate random noise; rare values and small combinations are distorted or "
    "absent, and combinations that never occurred may appear.",
    "Only single columns and pairs of columns were measured; relations among three or more columns come from "
    "the model, not the data.",
    "The data reflect the cases the contributors identified and recorded, not the prevalence of trafficking.",
    "Missing (unknown) values are kept as empty cells.",
]


def _card(meta: dict[str, Any]) -> str:
    lines = [
        f"# Data card: {meta['release']}",
        "",
        f"Differentially private synthetic microdata of {meta['source_cases']:,} pooled trafficking cases "
        f"(dataset `{meta['dataset']}`): {meta['rows']:,} synthetic rows, created {meta['created_at']} "
        f"by {meta['created_by']}.",
        "",
        "## Privacy",
        f"(ε = {meta['epsilon']:g}, δ = {meta['delta']:g})-differential privacy, method `{meta['method']}`; "
        f"this release spent ε = {meta['epsilon']:g} of the dataset's budget "
        f"(ε = {meta['budget_remaining_epsilon']:g} left after it).",
        "",
        "## Parameters",
        *(f"- {k}: {v}" for k, v in meta["parameters"].items()),
        "",
        "## Columns",
        *(f"- `{c}`: {SYNTHETIC_COLUMNS.get(c, c)}" for c in meta["columns"]),
        "",
        "## Caveats",
        *(f"- {c}" for c in meta["caveats"]),
        "",
        "## Attribution",
        meta["attribution"],
        "",
    ]
    return "\n".join(lines)


def run_synthetic(
    store: Store,
    out: Path,
    *,
    epsilon: float,
    delta: float | None,
    seed: int | None,
    rows: int | None,
    dataset: str,
    release: str | None,
    engine: str,
    console: Console,
) -> Path:
    """Spend the budget, synthesise, write synthetic.csv/.parquet and the data card; returns the folder."""
    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r}; choose from {', '.join(ENGINES)}")
    chosen_engine: Engine = "pac-synth" if engine == "pac-synth" else "marginals"
    used_delta = DEFAULT_DELTA if delta is None else delta
    noise_scales(epsilon, used_delta, len(SYNTHETIC_COLUMNS))  # refuses bad ε or δ before anything is spent
    if rows is not None and rows < 1:
        raise InputError(f"--rows must be positive, not {rows}")
    with console.status("reading the pooled cases"):
        cases = read_cases(store)
    if cases.height == 0:
        raise InputError("there are no cases to publish: ingest some first (or run `palermo demo`)")
    seed = secrets.randbelow(2**31) if seed is None else seed
    created = datetime.now(UTC)
    release = release or f"synthetic-{created:%Y%m%dT%H%M%SZ}"
    parameters: dict[str, Any] = {
        "seed": seed,
        "rows": rows,
        "engine": chosen_engine,
        "columns": list(SYNTHETIC_COLUMNS),
    }
    by = getpass.getuser()
    spend(store, dataset, release, epsilon, used_delta, by, f"synthetic/{chosen_engine}", parameters)
    with console.status("synthesising"):
        synthetic = synthesize(cases, epsilon=epsilon, delta=used_delta, seed=seed, rows=rows, engine=chosen_engine)
    out.mkdir(parents=True, exist_ok=True)
    synthetic.write_csv(out / "synthetic.csv")
    synthetic.write_parquet(out / "synthetic.parquet")
    meta: dict[str, Any] = {
        "release": release,
        "dataset": dataset,
        "what": "differentially private synthetic case microdata",
        "created_at": created.isoformat(timespec="seconds"),
        "created_by": by,
        "method": f"synthetic/{chosen_engine}",
        "epsilon": epsilon,
        "delta": used_delta,
        "parameters": parameters,
        "source_cases": cases.height,
        "rows": synthetic.height,
        "columns": synthetic.columns,
        "budget_remaining_epsilon": balance(store, dataset).remaining_epsilon,
        "caveats": CAVEATS,
        "attribution": ATTRIBUTION,
    }
    (out / "datacard.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "datacard.md").write_text(_card(meta), encoding="utf-8")
    console.print(
        f"release {escape(release)}: {synthetic.height:,} synthetic rows, ε = {epsilon:g}, δ = {used_delta:g}, "
        f"seed {seed}; written to {escape(str(out))}"
    )
    return out


def show_budget(store: Store, dataset: str | None, console: Console) -> None:
    """The ledger as a table, and what each dataset has left."""
    entries = ledger(store, dataset)
    table = Table("id", "dataset", "release", "ε", "δ", "spent at", "by", "method", title="Privacy-budget ledger")
    for e in entries:
        table.add_row(
            str(e.id),
            escape(e.dataset),
            escape(e.release),
            f"{e.epsilon:g}",
            "" if e.delta is None else f"{e.delta:g}",
            e.spent_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
            escape(e.spent_by),
            escape(e.method),
        )
    console.print(table if entries else "no differentially private release yet")
    names = sorted({e.dataset for e in entries} | ({dataset} if dataset else set()))
    for name in names or ["all-cases"]:
        b = balance(store, name)
        console.print(
            f"{escape(name)}: ε = {b.spent_epsilon:g} spent in {b.releases} release(s), "
            f"ε = {b.remaining_epsilon:g} left of {b.total_epsilon:g}"
        )
