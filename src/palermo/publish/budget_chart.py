"""The chart of the privacy budget: per dataset, the ε each release spent and what is left, as one stacked bar.

Drawn with Altair and rendered to SVG by vl-convert (:func:`palermo.reports.charts.svg`).
"""

from __future__ import annotations

from typing import Any

import altair as alt

from ..reports.charts import svg
from .budget import Balance, LedgerEntry

LEFT = "(left)"


def budget_values(entries: list[LedgerEntry], balances: list[Balance]) -> list[dict[str, Any]]:
    """One row per release and one per dataset's remaining ε, in ledger order."""
    values: list[dict[str, Any]] = [
        {"dataset": e.dataset, "part": e.release, "epsilon": e.epsilon, "order": i}
        for i, e in enumerate(entries)
    ]
    values += [{"dataset": b.dataset, "part": LEFT, "epsilon": b.remaining_epsilon, "order": len(entries)}
               for b in balances if b.remaining_epsilon > 0]
    return values


def budget_chart(entries: list[LedgerEntry], balances: list[Balance]) -> alt.Chart:
    """Stacked bars of ε by dataset: each release in colour, the remaining budget in grey."""
    values = budget_values(entries, balances)
    releases = [e.release for e in entries]
    colours = ["#4c78a8", "#f58518", "#54a24b", "#b279a2", "#e45756", "#72b7b2", "#9d755d", "#eeca3b"]
    domain = [*dict.fromkeys(releases), LEFT]
    scale = alt.Scale(domain=domain, range=[colours[i % len(colours)] for i in range(len(domain) - 1)] + ["#d9dde3"])
    base = alt.Chart(alt.Data(values=values), title="Privacy budget (ε) by dataset")  # type: ignore[no-untyped-call]
    bars = base.mark_bar(stroke="#ffffff", strokeWidth=1).encode(
        y=alt.Y("dataset:N", title=None),
        x=alt.X("sum(epsilon):Q", title="ε (spent by each release, then left)", stack="zero"),
        color=alt.Color("part:N", title="Release", scale=scale, sort=domain, legend=alt.Legend(orient="bottom")),
        order=alt.Order("order:Q"),
        tooltip=["dataset:N", "part:N", alt.Tooltip("epsilon:Q", format=".3g")],
    )
    chart: alt.Chart = bars.properties(width=300, height=max(40, 40 * len(balances)))
    return chart


def budget_svg(entries: list[LedgerEntry], balances: list[Balance]) -> str:
    """The budget chart as an SVG document."""
    return svg(budget_chart(entries, balances))
