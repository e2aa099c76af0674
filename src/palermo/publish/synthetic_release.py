"""Write a differentially private synthetic release of the stored cases: CSV, Parquet, data card, utility chart.

The one library call behind ``palermo publish synthetic``: spends the budget first (refusing a release that
would exceed it), then synthesises, measures the release against the real data (:mod:`.utility`) and writes it.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from ..analyse.cases import read_cases
from ..errors import InputError
from ..store.db import Store
from ..store.export import escape_frame
from .budget import balance, spend
from .synthetic import DEFAULT_DELTA, ENGINES, SYNTHETIC_COLUMNS, Engine, noise_scales, prepare, synthesize
from .utility import UtilityReport, utility_report
from .utility_chart import write_utility_chart

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
    "The utility and risk figures in this card were computed from the real data and are not differentially "
    "private; they are for the publisher's judgement and may be withheld from the public release.",
]


@dataclass(frozen=True)
class SyntheticRelease:
    """What was written, and the release's figures."""

    files: list[Path]
    card: dict[str, Any]
    synthetic: pl.DataFrame
    utility: UtilityReport


def _with_nulls(frame: pl.DataFrame) -> pl.DataFrame:
    """As text, empty cells (the release's missing value) as nulls, the missing value of the utility measures."""
    text = frame.select(pl.col(c).cast(pl.String) for c in frame.columns)
    return text.with_columns(pl.when(pl.col(c) != "").then(pl.col(c)).alias(c) for c in text.columns)


def synthetic_utility(
    cases: pl.DataFrame,
    synthetic: pl.DataFrame,
    *,
    columns: list[str] | None = None,
    levels: dict[str, int] | None = None,
) -> UtilityReport:
    """The utility and risk report of a synthetic release against the real cases (default: all its columns).

    ``levels`` compares both at a given generalisation (e.g. a k-anonymous release's ``KAnonResult.levels``).
    """
    chosen = list(synthetic.columns) if columns is None else columns
    real = _with_nulls(prepare(cases, chosen))
    return utility_report(real, _with_nulls(synthetic.select(chosen)), columns=chosen, levels=levels)


def utility_figures(utility: UtilityReport) -> dict[str, Any]:
    """The report's figures for a data card."""
    unique = {r["dataset"]: r for r in utility.uniqueness.to_dicts()}
    every = utility.combinations.filter(pl.col("width") == 0).to_dicts()
    return {
        "marginal_mae": {f"{w}_way": utility.mae(w) for w in (1, 2, 3)},
        "fabricated_combinations_share": every[0]["fabricated_share"] if every else None,
        "preserved_combinations_share": every[0]["preserved_share"] if every else None,
        "real_unique_share": unique.get("real", {}).get("unique_share"),
        "release_unique_share": unique.get("release", {}).get("unique_share"),
        "linkage_unique_matches": utility.linkage.unique_share,
    }


def _share(value: object) -> str:
    return f"{value:.1%}" if isinstance(value, float) else "n/a"


def card_markdown(meta: dict[str, Any]) -> str:
    """The data card as Markdown."""
    u = meta["utility"]
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
        "## Utility and risk (against the real data; chart: utility.svg)",
        f"- Marginal error (MAE of counts): 1-way {u['marginal_mae']['1_way']:.1f}, "
        f"2-way {u['marginal_mae']['2_way']:.1f}, 3-way {u['marginal_mae']['3_way']:.1f}.",
        f"- Combinations of all columns: {_share(u['fabricated_combinations_share'])} of the released ones "
        f"fabricated (absent from the real data); {_share(u['preserved_combinations_share'])} of the real ones "
        "preserved.",
        f"- Records unique on all columns: {_share(u['real_unique_share'])} of real records, "
        f"{_share(u['release_unique_share'])} of synthetic rows.",
        f"- Simulated linkage attack: {_share(u['linkage_unique_matches'])} of real records match exactly one "
        "synthetic row (a synthetic row is no real person, so a match is not a re-identification).",
        "",
        "## Caveats",
        *(f"- {c}" for c in meta["caveats"]),
        "",
        "## Attribution",
        meta["attribution"],
        "",
    ]
    return "\n".join(lines)


def release_synthetic(
    store: Store,
    out: Path,
    *,
    epsilon: float,
    delta: float | None = None,
    seed: int | None = None,
    rows: int | None = None,
    dataset: str = "all-cases",
    release: str | None = None,
    engine: str = "marginals",
    by: str = "palermo",
) -> SyntheticRelease:
    """Spend the budget, synthesise, write synthetic.csv/.parquet, datacard.json/.md and utility.svg."""
    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r}; choose from {', '.join(ENGINES)}")
    chosen_engine: Engine = "pac-synth" if engine == "pac-synth" else "marginals"
    used_delta = DEFAULT_DELTA if delta is None else delta
    noise_scales(epsilon, used_delta, len(SYNTHETIC_COLUMNS))  # refuses bad ε or δ before anything is spent
    if rows is not None and rows < 1:
        raise InputError(f"--rows must be positive, not {rows}")
    cases = read_cases(store)
    if cases.height == 0:
        raise InputError("there are no cases to publish: ingest some first (or run `palermo demo`)")
    # 128 random bits: a seed cannot be searched for. The seed stays in the ledger (internal, for
    # reproduction by the publisher) and is never in the public card: whoever knows it can recompute
    # the noise and subtract it, which would void the guarantee.
    seed = secrets.randbits(128) if seed is None else seed
    created = datetime.now(UTC)
    release = release or f"synthetic-{created:%Y%m%dT%H%M%SZ}"
    parameters: dict[str, Any] = {"seed": seed, "rows": rows, "engine": chosen_engine,
                                  "columns": list(SYNTHETIC_COLUMNS)}
    spend(store, dataset, release, epsilon, used_delta, by, f"synthetic/{chosen_engine}", parameters)
    synthetic = synthesize(cases, epsilon=epsilon, delta=used_delta, seed=seed, rows=rows, engine=chosen_engine)
    utility = synthetic_utility(cases, synthetic)
    out.mkdir(parents=True, exist_ok=True)
    csv, parquet = out / "synthetic.csv", out / "synthetic.parquet"
    escape_frame(synthetic).write_csv(csv)
    synthetic.write_parquet(parquet)
    meta: dict[str, Any] = {
        "release": release,
        "dataset": dataset,
        "what": "differentially private synthetic case microdata",
        "created_at": created.isoformat(timespec="seconds"),
        "created_by": by,
        "method": f"synthetic/{chosen_engine}",
        "epsilon": epsilon,
        "delta": used_delta,
        "parameters": {key: value for key, value in parameters.items() if key != "seed"},
        "source_cases": cases.height,
        "rows": synthetic.height,
        "columns": synthetic.columns,
        "budget_remaining_epsilon": balance(store, dataset).remaining_epsilon,
        "utility": utility_figures(utility),
        "caveats": CAVEATS,
        "attribution": ATTRIBUTION,
    }
    card_json, card_md = out / "datacard.json", out / "datacard.md"
    card_json.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    card_md.write_text(card_markdown(meta), encoding="utf-8")
    chart = write_utility_chart(utility, out, f"{release}: synthetic release, ε = {epsilon:g}")
    return SyntheticRelease([csv, parquet, card_json, card_md, chart], meta, synthetic, utility)
