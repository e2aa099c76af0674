"""Write a k-anonymous release of the stored cases: CSV, Parquet, a data card and its utility and risk report.

The one library call behind ``palermo publish kanon``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from ..analyse.cases import read_cases
from ..errors import InputError
from ..store.db import Store
from ..store.export import escape_frame
from .kanon import DEFAULT_K, DEFAULT_MAX_SUPPRESSED, KAnonResult, anonymise
from .utility import UtilityReport, utility_report
from .utility_chart import write_utility_chart

ATTRIBUTION = (
    "Pooled case records of the organisations contributing to this palermo deployment, coded in IOM's "
    "Human Trafficking Case Data Standard (HTCDS 2.0, CC BY 4.0); regions: UN M49."
)


CAVEATS = (
    "Counts are of cases recorded by contributing organisations, not of all victims.",
    "k-anonymity protects against linking by the listed quasi-identifiers only; it gives no formal "
    "guarantee against an attacker who knows other attributes, and repeated releases can be combined.",
    "A case with several forms of exploitation is released with its combination of forms.",
)


@dataclass(frozen=True)
class KAnonRelease:
    """What was written, and the release's figures."""

    files: list[Path]
    result: KAnonResult
    utility: UtilityReport


def _card(result: KAnonResult, utility: UtilityReport, created: datetime) -> dict[str, object]:
    unique = {r["dataset"]: r for r in utility.uniqueness.to_dicts()}
    return {
        "what": "k-anonymous microdata of the pooled trafficking cases: one row per case, quasi-identifiers "
        "generalised, records in classes smaller than k left out, rows shuffled.",
        "created_at": created.isoformat(),
        "method": "full-domain generalisation over value hierarchies (year ranges, child/adult, UN M49 "
        "sub-region and region, broad form of exploitation), greedy loss-aware search, local suppression",
        "parameters": {"k": result.k, "quasi_identifiers": list(result.quasi_identifiers),
                       "levels": result.level_names},
        "records": {"in": result.rows_in, "suppressed": result.rows_suppressed, "released": result.released.height},
        "information_loss": {"loss_metric": result.mean_loss_metric, "precision_loss": result.precision_loss,
                             "discernibility": result.discernibility},
        "utility": {f"mae_{w}_way": utility.mae(w) for w in (1, 2, 3)},
        "risk": {
            "real_unique_share": unique.get("real", {}).get("unique_share"),
            "release_unique_share": unique.get("release", {}).get("unique_share"),
            "linkage_unique_matches": utility.linkage.unique_share,
            "linkage_correct_matches": utility.linkage.correct_share,
        },
        "caveats": list(CAVEATS),
        "attribution": ATTRIBUTION,
        "notes": result.notes(),
    }


MIN_K = 2
"""The smallest k a release may use (k = 1 protects no one)."""


def release_kanon(
    store: Store,
    out: Path,
    *,
    k: int = DEFAULT_K,
    quasi_identifiers: list[str] | None = None,
    max_suppressed: float = DEFAULT_MAX_SUPPRESSED,
) -> KAnonRelease:
    """Anonymise the stored cases; write ``kanon.csv``, ``.parquet``, ``datacard.json``, ``.md`` and ``utility.svg``.

    Refuses (:class:`InputError`) a k below :data:`MIN_K`, an empty store and what :func:`anonymise` refuses.
    """
    if k < MIN_K:
        raise InputError(f"k must be at least {MIN_K}, not {k}: with k = 1 every record may be unique")
    cases = read_cases(store)
    if cases.height == 0:
        raise InputError("there are no cases to publish: ingest some first (or run `palermo demo`)")
    try:
        result = anonymise(cases, k=k, quasi_identifiers=quasi_identifiers, max_suppressed=max_suppressed)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    utility = utility_report(
        cases, result.released, columns=list(result.quasi_identifiers),
        real_ids=pl.Series(range(cases.height)), release_ids=result.source_rows, k=k,
    )
    out.mkdir(parents=True, exist_ok=True)
    csv, parquet = out / "kanon.csv", out / "kanon.parquet"
    escape_frame(result.released).write_csv(csv)
    result.released.write_parquet(parquet)
    card = _card(result, utility, datetime.now(UTC))
    card_json, card_md = out / "datacard.json", out / "datacard.md"
    card_json.write_text(json.dumps(card, indent=1, default=str) + "\n", encoding="utf-8")
    lines = [f"# k-anonymous release (k = {result.k})", "", str(card["what"]), ""]
    lines += [f"- {note}" for note in result.notes()]
    lines += ["", f"Marginal error (MAE of counts): 1-way {utility.mae(1):.1f}, 2-way {utility.mae(2):.1f}, "
              f"3-way {utility.mae(3):.1f} (chart: utility.svg).", "", "## Caveats", ""]
    lines += [f"- {c}" for c in CAVEATS]
    lines += ["", "## Attribution", "", ATTRIBUTION, ""]
    card_md.write_text("\n".join(lines), encoding="utf-8")
    chart = write_utility_chart(utility, out, f"k-anonymous release, k = {result.k}")
    return KAnonRelease(files=[csv, parquet, card_json, card_md, chart], result=result, utility=utility)
