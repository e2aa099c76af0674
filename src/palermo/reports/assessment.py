"""The threat assessment: every analysis of the pooled cases, disclosure-controlled, grouped into sections.

:func:`build_assessment` is the one library call behind ``palermo report`` (and the API later). Each
table is protected by small-cell suppression (k = 11 by default, as CTDC) with secondary suppression
before anything is rendered; charts are drawn from the protected tables only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import altair as alt
import polars as pl

from ..analyse.cases import CaseFilter, read_cases
from ..analyse.model import ResultTable
from ..analyse.tables import assessment_tables
from ..analyse.tabulate import code_labels
from ..errors import NotFoundError
from ..publish.suppression import DEFAULT_K, protect
from ..standard.countries import country_name
from ..store.db import Store
from . import charts

Totals = dict[tuple[str, ...], pl.DataFrame]
"""Per margin (the dimensions kept), the totals as they may be published (suppressed where needed)."""

MULTI_VALUE_DIMS = frozenset({"form", "industry", "method", "relationship", "citizenship"})
"""Dimensions over which one case can count several times (multi-select fields, dual citizenship)."""


@dataclass(frozen=True)
class Chart:
    """A chart of a section, as SVG."""

    title: str
    svg: str
    table: str = ""
    """The name of the published table it is drawn from."""


@dataclass
class Section:
    """One section of the report."""

    title: str
    tables: list[ResultTable] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)


@dataclass
class Assessment:
    """The whole report, ready to render."""

    title: str
    generated_at: datetime
    scope: str
    k: int
    cases_in_scope: int | None
    sections: list[Section]
    totals: dict[str, Totals] = field(default_factory=dict)
    """Per table name, the published totals of its margins."""

    def tables(self) -> list[ResultTable]:
        """Every published table, in report order."""
        return [t for s in self.sections for t in s.tables]


def _scope(filters: CaseFilter) -> str:
    parts = []
    if filters.first_year is not None or filters.last_year is not None:
        parts.append(f"years {filters.first_year or '…'}–{filters.last_year or '…'}")
    if filters.regions:
        parts.append("regions of exploitation: " + ", ".join(filters.regions))
    if filters.contributors:
        parts.append("contributors: " + ", ".join(filters.contributors))
    if filters.forms:
        labels = code_labels("vic_TypeOfExploitation")
        parts.append("forms of exploitation: " + ", ".join(labels.get(f, f) for f in filters.forms))
    if filters.countries:
        parts.append("countries of exploitation: " + ", ".join(_country(c) for c in filters.countries))
    return "; ".join(parts) or "all cases of all contributors"


def _country(code: str) -> str:
    try:
        return country_name(code)
    except NotFoundError:
        return code


def protect_table(table: ResultTable, k: int) -> tuple[ResultTable, Totals]:
    """``table`` as it may be published, counts below ``k`` (and their complements) suppressed, and the
    totals of its margins that may be published beside it."""
    if not table.counts:
        return table, {}
    multi = tuple(d for d in table.dims if d in MULTI_VALUE_DIMS)
    # Cells over a multi-value dimension sum to more than the cases they share; protecting them as if
    # they added up gives the attacker a weaker constraint than the truth, so it errs on the safe side.
    protection = protect(table, k)
    protected = protection.table
    if multi:
        protected = protected.with_frame(
            protected.frame, f"A case can count under several values of {', '.join(multi)}; cells do not add up."
        )
    if table.dims and "cases" in protected.frame.columns:  # suppressed rows last: their place says nothing
        protected = protected.with_frame(
            protected.frame.sort(pl.col("cases").is_null(), maintain_order=True)
        )
    return protected, protection.margins


def model_tables(cases: pl.DataFrame, k: int, latest: int | None) -> list[ResultTable]:
    """Emerging changes, forecasts with their backtest, and UNODC's official figures beside the cases.

    Model outputs computed from small counts can reveal them as surely as the counts: expected values,
    forecasts and backtest errors of series below ``k`` are not published.
    """
    from ..analyse.changes import emerging_changes
    from ..analyse.forecast import backtest, forecasts
    from ..analyse.official import official_beside_cases

    out: list[ResultTable] = []
    if cases.height == 0:
        return out
    changes = emerging_changes(cases, latest=latest)
    small = pl.col("expected") < k
    changes = changes.with_frame(
        changes.frame.with_columns(
            pl.when(small).then(None).otherwise(pl.col(c)).alias(c) for c in ("expected", "lower", "upper")
        ),
        f"Expected counts and intervals below {k} are not shown.",
    )
    out.append(changes.with_frame(changes.frame.sort("flagged", "q_value", descending=[True, False], nulls_last=True)))
    ahead = forecasts(cases)
    kept = ahead.frame.filter(pl.col("forecast") >= k)
    out.append(ahead.with_frame(kept, f"Series forecast below {k} cases are not shown."))
    checked = backtest(cases)
    published = kept.select("kind", "series").unique()
    each = checked.frame.join(published, on=["kind", "series"], how="semi")
    overall = checked.frame.filter(pl.col("kind") == "all")  # the summary row over every series
    out.append(checked.with_frame(pl.concat([each, overall]), f"Series forecast below {k} cases are not shown."))
    official = official_beside_cases(cases)  # years outside the pooled data have no count to sit beside
    out.append(official.with_frame(official.frame.filter(pl.col("cases").is_not_null())))
    return out


def _charts(tables: dict[str, ResultTable]) -> dict[str, list[Chart]]:
    """Charts per section title, from protected tables."""
    wanted: list[tuple[str, str, Callable[[], alt.TopLevelMixin | None]]] = []

    def add(section: str, name: str, make: Callable[[ResultTable], alt.TopLevelMixin | None]) -> None:
        if name in tables:
            wanted.append((section, name, lambda: make(tables[name])))

    add("Trends", "trends_total", lambda t: charts.lines(t, None, title="Cases per year of registration"))
    add("Trends", "trends_by_form", lambda t: charts.lines(t, "form_label", title="Cases per year by form"))
    add("Trends", "trends_by_sex", lambda t: charts.lines(t, "sex_label", title="Cases per year by sex"))
    add("Routes", "routes_corridors", charts.route_flows)
    add("Routes", "overview_countries_of_exploitation", lambda t: charts.world_map(
        t, "country_of_exploitation", "country_of_exploitation_label", title="Cases by country of exploitation"))
    add("Forms of exploitation and industries", "forms_of_exploitation", lambda t: charts.bars(t, "form_label"))
    add("Forms of exploitation and industries", "labour_industries", lambda t: charts.bars(t, "industry_label"))
    add("Means of control and recruitment", "means_of_control", lambda t: charts.bars(t, "method_label"))
    add("Means of control and recruitment", "recruiter_relationship", lambda t: charts.bars(t, "relationship_label"))
    add("Sex and age", "sex_by_age_band", lambda t: charts.heatmap(t, "age_band_label", "sex_label", "cases"))
    add("Data coverage", "coverage_by_contributor", lambda t: charts.heatmap(
        t.with_frame(t.frame.with_columns((pl.col("missing_share") * 100).round(0).alias("missing_pct"))),
        "org_name", "field_label", "missing_pct", title="Share of cases with the field missing (%)"))
    if "emerging_changes" in tables:
        add("Emerging changes", "emerging_changes", charts.changes_chart)
    add("Official context", "official_beside_cases", charts.official_chart)
    if "forecasts" in tables and "trends_by_form" in tables:
        add("Forecasts", "forecasts", lambda t: charts.forecast_chart(tables["trends_by_form"], t, "form"))
    out: dict[str, list[Chart]] = {}
    for section, name, make in wanted:
        chart = make()
        if chart is not None:
            out.setdefault(section, []).append(Chart(title=tables[name].title, svg=charts.svg(chart), table=name))
    return out


def build_assessment(
    store: Store,
    filters: CaseFilter | None = None,
    *,
    k: int = DEFAULT_K,
    latest_period: int | None = None,
    title: str = "Threat assessment of pooled trafficking cases",
) -> Assessment:
    """Read, filter, analyse and protect: the report's content, every count below ``k`` suppressed."""
    filters = filters or CaseFilter()
    cases = filters.apply(read_cases(store))
    raw = assessment_tables(cases, latest_period=latest_period) + model_tables(cases, k, latest_period)
    pairs = [protect_table(t, k) for t in raw]
    protected = [t for t, _ in pairs]
    by_name = {t.name: t for t in protected}
    sections: dict[str, Section] = {}
    for table in protected:
        sections.setdefault(table.section or "Other", Section(title=table.section or "Other")).tables.append(table)
    for section, found in _charts(by_name).items():
        sections.setdefault(section, Section(title=section)).charts.extend(found)
    summary = by_name.get("overview_summary")
    total = summary.frame.get_column("cases")[0] if summary is not None and summary.frame.height else None
    return Assessment(
        title=title, generated_at=datetime.now(UTC), scope=_scope(filters), k=k,
        cases_in_scope=None if total is None else int(total), sections=list(sections.values()),
        totals={t.name: margins for t, margins in pairs if margins},
    )

