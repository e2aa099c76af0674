"""Charts of published (already suppressed) tables: Altair specifications rendered to SVG by vl-convert.

Every chart reads only a table's published frame, so a suppressed count never reaches a picture;
suppressed cells simply do not appear (a gap in a line, a missing bar).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import altair as alt
import polars as pl
import pycountry
import vl_convert as vlc

from ..analyse.model import ResultTable

WIDTH = 620
PALETTE: Any = "tableau10"


def svg(chart: alt.TopLevelMixin) -> str:
    """The chart as an SVG document (fonts embedded as text, no network)."""
    spec = chart.to_dict()
    return str(vlc.vegalite_to_svg(json.dumps(spec)))


def _published(table: ResultTable, count: str = "cases") -> pl.DataFrame:
    frame = table.frame
    if count in frame.columns:
        frame = frame.filter(pl.col(count).is_not_null())
    return frame


def _values(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return frame.to_dicts()


def bars(table: ResultTable, label: str, *, top: int = 15, title: str = "") -> alt.Chart | None:
    """Horizontal bars of a one-dimensional table, largest first."""
    frame = _published(table)
    if frame.is_empty() or label not in frame.columns:
        return None
    frame = frame.sort("cases", descending=True).head(top)
    return (
        alt.Chart(alt.Data(values=_values(frame)), title=title or table.title)
        .mark_bar(color="#4c78a8")
        .encode(
            y=alt.Y(f"{label}:N", sort="-x", title=None, axis=alt.Axis(labelLimit=260)),
            x=alt.X("cases:Q", title="cases"),
            tooltip=[f"{label}:N", "cases:Q"],
        )
        .properties(width=WIDTH - 280, height=max(60, 18 * frame.height))
    )


def lines(table: ResultTable, series: str | None, *, title: str = "") -> alt.Chart | None:
    """Cases per year, one line per series (or one line)."""
    frame = _published(table)
    if frame.is_empty() or "year" not in frame.columns:
        return None
    frame = frame.filter(pl.col("year").is_not_null())
    encoding: dict[str, Any] = {
        "x": alt.X("year:O", title="year of registration"),
        "y": alt.Y("cases:Q", title="cases"),
        "tooltip": ["year:O", "cases:Q"],
    }
    if series is not None and series in frame.columns:
        encoding["color"] = alt.Color(f"{series}:N", title=None, scale=alt.Scale(scheme=PALETTE))
        encoding["tooltip"] = [*encoding["tooltip"], f"{series}:N"]
    return (
        alt.Chart(alt.Data(values=_values(frame)), title=title or table.title)
        .mark_line(point=True)
        .encode(**encoding)
        .properties(width=WIDTH - 160, height=260)
    )


def heatmap(table: ResultTable, x: str, y: str, value: str, *, title: str = "", fmt: str = "d") -> alt.Chart | None:
    """A grid of ``value`` by two dimensions."""
    frame = table.frame.filter(pl.col(value).is_not_null()) if value in table.frame.columns else table.frame
    if frame.is_empty() or x not in frame.columns or y not in frame.columns:
        return None
    base = alt.Chart(alt.Data(values=_values(frame)), title=title or table.title).encode(
        x=alt.X(f"{x}:N", title=None, axis=alt.Axis(labelAngle=-40, labelLimit=160)),
        y=alt.Y(f"{y}:N", title=None, axis=alt.Axis(labelLimit=220)),
    )
    rect = base.mark_rect().encode(color=alt.Color(f"{value}:Q", title=None, scale=alt.Scale(scheme="blues")))
    text = base.mark_text(fontSize=9).encode(text=alt.Text(f"{value}:Q", format=fmt))
    return (rect + text).properties(width=WIDTH - 260, height=max(80, 16 * frame.get_column(y).n_unique()))


def route_flows(table: ResultTable, *, top: int = 20) -> alt.LayerChart | None:
    """A flow diagram: countries of citizenship on the left, of exploitation on the right, line width = cases."""
    frame = _published(table)
    needed = {"citizenship_label", "country_of_exploitation_label", "cases"}
    if frame.is_empty() or not needed <= set(frame.columns):
        return None
    frame = frame.sort("cases", descending=True).head(top)
    origins = frame.group_by("citizenship_label").agg(pl.col("cases").sum()).sort("cases", descending=True)
    targets = frame.group_by("country_of_exploitation_label").agg(pl.col("cases").sum()).sort("cases", descending=True)
    o_rank = {v: i for i, v in enumerate(origins.get_column("citizenship_label").to_list())}
    t_rank = {v: i for i, v in enumerate(targets.get_column("country_of_exploitation_label").to_list())}
    rows = max(len(o_rank), len(t_rank))
    links = [
        {
            "from": r["citizenship_label"],
            "to": r["country_of_exploitation_label"],
            "y": rows - o_rank[r["citizenship_label"]] * rows / max(1, len(o_rank)),
            "y2": rows - t_rank[r["country_of_exploitation_label"]] * rows / max(1, len(t_rank)),
            "x": 0,
            "x2": 1,
            "cases": r["cases"],
            "flow": r.get("flow_type_label") or "",
        }
        for r in frame.to_dicts()
    ]
    nodes = [{"x": 0, "y": links_y, "label": label, "align": "right"} for label, links_y in
             ((lab, rows - i * rows / max(1, len(o_rank))) for lab, i in o_rank.items())]
    nodes += [{"x": 1, "y": links_y, "label": label, "align": "left"} for label, links_y in
              ((lab, rows - i * rows / max(1, len(t_rank))) for lab, i in t_rank.items())]
    scale_x = alt.Scale(domain=[-0.05, 1.05])
    link_layer = alt.Chart(alt.Data(values=links)).mark_rule(opacity=0.55).encode(
        x=alt.X("x:Q", axis=None, scale=scale_x), x2="x2:Q",
        y=alt.Y("y:Q", axis=None), y2="y2:Q",
        strokeWidth=alt.StrokeWidth("cases:Q", scale=alt.Scale(range=[1, 14]), title="cases"),
        color=alt.Color("flow:N", title="route", scale=alt.Scale(scheme="set2")),
        tooltip=["from:N", "to:N", "cases:Q", "flow:N"],
    )
    left = alt.Chart(alt.Data(values=[n for n in nodes if n["x"] == 0])).mark_text(align="right", dx=-6).encode(
        x=alt.X("x:Q", scale=scale_x), y="y:Q", text="label:N"
    )
    right = alt.Chart(alt.Data(values=[n for n in nodes if n["x"] == 1])).mark_text(align="left", dx=6).encode(
        x=alt.X("x:Q", scale=scale_x), y="y:Q", text="label:N"
    )
    return (
        (link_layer + left + right)
        .properties(
            width=WIDTH - 260, height=max(160, 22 * rows),
            title="Largest corridors: citizenship → country of exploitation",
        )
        .configure_legend(orient="bottom", direction="horizontal")
        .configure_view(stroke=None)
    )


@cache
def _world() -> dict[str, Any]:
    text = resources.files("palermo.reports").joinpath("data/countries-110m.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _numeric(alpha2: str) -> int | None:
    country = pycountry.countries.get(alpha_2=alpha2)
    return int(country.numeric) if country is not None else None


def world_map(table: ResultTable, code: str, label: str, *, title: str = "") -> alt.LayerChart | None:
    """A choropleth of cases per country (ISO alpha-2 in ``code``)."""
    frame = _published(table)
    if frame.is_empty() or code not in frame.columns:
        return None
    values = [
        {"id": _numeric(r[code]), "cases": r["cases"], "name": r.get(label) or r[code]}
        for r in frame.to_dicts()
        if r[code] and _numeric(r[code]) is not None
    ]
    if not values:
        return None
    world = alt.Data(values=_world(), format=alt.DataFormat(type="topojson", feature="countries"))
    background = alt.Chart(world).mark_geoshape(fill="#eeeeee", stroke="white", strokeWidth=0.4)
    filled = (
        alt.Chart(world)
        .mark_geoshape(stroke="white", strokeWidth=0.4)
        .transform_calculate(num="toNumber(datum.id)")
        .transform_lookup(lookup="num", from_=alt.LookupData(alt.Data(values=values), "id", ["cases", "name"]))
        .transform_filter("isValid(datum.cases)")
        .encode(color=alt.Color("cases:Q", scale=alt.Scale(scheme="orangered"), title="cases"),
                tooltip=["name:N", "cases:Q"])
    )
    return (background + filled).project("equalEarth").properties(
        width=WIDTH, height=320, title=title or table.title
    )


def forecast_chart(history: ResultTable, ahead: ResultTable, kind: str) -> alt.LayerChart | None:
    """Cases per year and next year's forecast with 80% and 95% prediction intervals, per series of a kind."""
    past = _published(history)
    future = ahead.frame.filter(pl.col("kind") == kind)
    if future.is_empty() or past.is_empty():
        return None
    label = {"form": "form", "region": "region"}.get(kind, kind)
    if label not in past.columns:
        return None
    keep = future.get_column("series").to_list()
    past = past.filter(pl.col(label).is_in(keep)).select(pl.col("year"), pl.col(label).alias("series"), "cases")
    band = alt.Chart(alt.Data(values=_values(future))).encode(x=alt.X("year:O", title="year"))
    color = alt.Color("series:N", title=None, scale=alt.Scale(scheme=PALETTE))
    lines_ = alt.Chart(alt.Data(values=_values(past))).mark_line(point=True).encode(
        x="year:O", y=alt.Y("cases:Q", title="cases"), color=color
    )
    wide = band.mark_rule(strokeWidth=2, opacity=0.35).encode(y="lower_95:Q", y2="upper_95:Q", color=color)
    narrow = band.mark_rule(strokeWidth=6, opacity=0.6).encode(y="lower_80:Q", y2="upper_80:Q", color=color)
    point = band.mark_point(shape="diamond", filled=True, size=60).encode(y="forecast:Q", color=color)
    return (lines_ + wide + narrow + point).properties(
        width=WIDTH - 160, height=280, title=f"Forecast of next year's cases by {kind}, with 80% and 95% intervals"
    )


def changes_chart(table: ResultTable) -> alt.LayerChart | None:
    """Flagged series: the count the prior years predict (with its interval) against the count observed."""
    frame = table.frame.filter(pl.col("flagged") & pl.col("observed").is_not_null() & pl.col("expected").is_not_null())
    if frame.is_empty():
        return None
    frame = frame.with_columns((pl.col("kind") + ": " + pl.col("series")).alias("label")).head(25)
    base = alt.Chart(alt.Data(values=_values(frame))).encode(y=alt.Y("label:N", title=None, sort="-x"))
    interval = base.mark_rule(color="#999999", strokeWidth=3).encode(x=alt.X("lower:Q", title="cases"), x2="upper:Q")
    expected = base.mark_tick(color="#555555", thickness=2, size=12).encode(x="expected:Q")
    observed = base.mark_point(filled=True, size=70).encode(
        x="observed:Q", color=alt.Color("direction:N", title=None, scale=alt.Scale(domain=["up", "down"],
                                                                                  range=["#d62728", "#1f77b4"]))
    )
    return (interval + expected + observed).properties(
        width=WIDTH - 300, height=max(80, 20 * frame.height), title="Significant changes: expected range vs observed"
    )


def official_chart(table: ResultTable, *, top: int = 6) -> alt.Chart | None:
    """Pooled cases beside UNODC's detected victims per year, for the countries with most pooled cases."""
    frame = table.frame
    if frame.is_empty() or not {"country", "year", "cases", "victims"} <= set(frame.columns):
        return None
    leaders = (
        frame.group_by("country").agg(pl.col("cases").sum()).sort("cases", descending=True).head(top)
        .get_column("country").to_list()
    )
    long = (
        frame.filter(pl.col("country").is_in(leaders))
        .select("country", "year", pl.col("cases").alias("pooled cases"),
                pl.col("victims").alias("detected victims (UNODC)"))
        .unpivot(index=["country", "year"], variable_name="source", value_name="count")
        .filter(pl.col("count").is_not_null())
    )
    if long.is_empty():
        return None
    return (
        alt.Chart(alt.Data(values=_values(long)))
        .mark_line(point=True)
        .encode(
            x=alt.X("year:O", title=None),
            y=alt.Y("count:Q", title=None),
            color=alt.Color("source:N", title=None),
            facet=alt.Facet("country:N", columns=3, title=None),
            tooltip=["country:N", "year:O", "source:N", "count:Q"],
        )
        .properties(width=170, height=120, title="Pooled cases and UNODC detected victims")
        .resolve_scale(y="independent")
    )
