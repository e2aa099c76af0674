"""An independent pandas computation of every cell of the report's tables, to check them against.

Written from the issue's definitions, not from palermo's code: pandas group-bys over a frame with one
column per report dimension (multi-select fields as lists), built either from the raw CTDC final.csv
(recoded as its crosswalk says) or from the cases palermo stored. Also the hand-made cases of the route
tests, and helpers to read a table's cells.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest

from palermo.analyse.model import ResultTable
from palermo.analyse.tables import CASE_COLUMNS
from palermo.standard.countries import m49_region, m49_subregion

Cells = dict[tuple[Any, ...], float]

# The value maps of src/palermo/standard/crosswalks/ctdc-final.yaml, written out again.
SOURCE: dict[str, str | None] = {"Case Management": "CaseManagement", "Hotline": "Hotline"}
GENDER: dict[str, str | None] = {
    "Male": "Masculine",
    "Female": "Feminine",
    "Transgender/NonConforming": "NonConforming",
}
FORM: dict[str, str | None] = {
    "Sexual": "SexualExploitation",
    "Labor": "ForcedLabour",
    "Forced Marriage": "ForcedMarriage",
    "Slavery/Similar": "Servitude",
    "Other": "Other",
    "Multiple": "ForcedLabour",
}
INDUSTRY: dict[str, str | None] = {
    "Agriculture": "A_AgricultureForestryAndFishing",
    "Aquafarming": "A_AgricultureForestryAndFishing",
    "Begging": None,
    "Construction": "F_Construction",
    "Domestic Work": "T_ActivitiesOfHouseholdsAsEmployers",
    "Hospitality": "I_AccommodationAndFoodServiceActivities",
    "Illicit Activities": "IllicitActivities",
    "Manufacturing": "C_Manufacturing",
    "Mining or Drilling": "B_MiningAndQuarrying",
    "Peddling": "G_WholesaleAndRetailTradeRepairOfMotorVehicles",
    "Transportation": "H_TransportationAndStorage",
    "Other": None,
}
RECRUITER: dict[str, str | None] = {
    "Intimate Partner": "IntimatePartner",
    "Friend/Acquaintance": "FriendOrAcquaintance",
    "Family/Relative": "FamilyOrRelative",
    "Other": "Other",
}
MINOR_BANDS = ["0--8", "9--17"]
MULTI = {
    "citizenship": "prs_citizenship",
    "form": "vic_type_of_exploitation",
    "industry": "vic_forced_labour_industry",
    "method": "vic_methods_of_control",
    "relationship": "vic_recruiter_relationship",
}
SINGLE = {
    "org_name": "org_name",
    "year": "cas_registration_year",
    "data_source": "cas_data_source",
    "sex": "prs_gender",
    "age_band": "vic_age_band",
    "majority_status": "vic_majority_status",
    "country_of_exploitation": "vic_country_of_exploitation",
}
COVERAGE = {
    "cas_RegistrationYear": "year",
    "cas_DataSource": "data_source",
    "prs_Gender": "sex",
    "vic_AgeBand": "age_band",
    "vic_MajorityStatus": "majority_status",
    "prs_Citizenship": "citizenship",
    "vic_CountryOfExploitation": "country_of_exploitation",
    "vic_TypeOfExploitation": "form",
    "vic_ForcedLabourIndustry": "industry",
    "vic_MethodsOfControl": "method",
    "vic_RecruiterRelationship": "relationship",
}
UNLABELLED = {"year", "org_name", "region"}


def _recode(values: pd.Series, mapping: dict[str, str | None]) -> pd.Series:
    unknown = set(values.dropna()) - set(mapping)
    assert not unknown, f"values the crosswalk does not map: {unknown}"
    return values.map(mapping)


def _as_lists(values: pd.Series) -> pd.Series:
    """A multi-select text column as lists of codes ("" = known none = ["None"]); NaN stays NaN."""
    return values.replace("", "None").str.split(";")


@cache
def ctdc_frame(path: Path) -> pd.DataFrame:
    """final.csv read and recoded as the crosswalk says, one column per report dimension."""
    raw = pd.read_csv(path, keep_default_na=False, na_values=[""], dtype=str)
    band = raw["ageBroad"]
    citizenship = raw["citizenship"].where(~raw["citizenship"].isin(["00", "0", "ZZ"]))
    frame = pd.DataFrame(
        {
            "org_name": "CTDC",
            "year": raw["yearOfRegistration"].astype(float).astype("Int64"),
            "data_source": _recode(raw["Datasource"], SOURCE),
            "sex": _recode(raw["gender"], GENDER),
            "age_band": band,
            "majority_status": pd.Series(np.where(band.isin(MINOR_BANDS), "Minor", "Adult")).where(band.notna()),
            "country_of_exploitation": pd.Series([None] * len(raw), dtype=object),
            "citizenship": _as_lists(citizenship),
            "form": _as_lists(_recode(raw["ExploitType"], FORM)),
            "industry": _as_lists(_recode(raw["Labor_Type"], INDUSTRY)),
            "method": pd.Series([None] * len(raw), dtype=object),
            "relationship": _as_lists(_recode(raw["RecruiterCategory"], RECRUITER)),
        }
    )
    return frame


def store_frame(cases: pl.DataFrame) -> pd.DataFrame:
    """The stored cases (as read_cases gives them) in the same shape as :func:`ctdc_frame`."""
    raw = cases.to_pandas()
    frame = pd.DataFrame({name: raw[column] for name, column in SINGLE.items()})
    frame["year"] = frame["year"].astype("Int64")
    for name, column in MULTI.items():
        frame[name] = _as_lists(raw[column].astype(object))
    return frame


def _key(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    return None if pd.isna(value) else value


def _counts(frame: pd.DataFrame, dims: list[str]) -> Cells:
    if frame.empty:
        return {}
    sizes = frame.groupby(dims, dropna=False).size()
    return {tuple(_key(k) for k in (key if isinstance(key, tuple) else (key,))): int(n) for key, n in sizes.items()}


def _routes(frame: pd.DataFrame, latest: int | None) -> tuple[dict[str, Cells], dict[tuple[Any, ...], str | None]]:
    """Route tables by pandas: pairs of (citizenship, country of exploitation), their scope, per case the closest;
    and each corridor's scope."""
    cases = frame.reset_index(names="case")
    pairs = cases[cases["country_of_exploitation"].notna()].explode("citizenship")
    pairs = pairs[pairs["citizenship"].notna()].copy()
    codes = set(pairs["citizenship"]) | set(pairs["country_of_exploitation"])
    region = {c: m49_region(c) for c in codes}
    sub = {c: m49_subregion(c) for c in codes}
    o_reg, d_reg = pairs["citizenship"].map(region), pairs["country_of_exploitation"].map(region)
    o_sub, d_sub = pairs["citizenship"].map(sub), pairs["country_of_exploitation"].map(sub)
    domestic = pairs["citizenship"] == pairs["country_of_exploitation"]
    known = o_reg.notna() & d_reg.notna()
    pairs["scope"] = np.select(
        [domestic, ~known, (o_reg == d_reg) & (o_sub == d_sub), o_reg == d_reg], [0.0, np.nan, 1.0, 2.0], 3.0
    )
    scope_names = {0.0: "domestic", 1.0: "same_subregion", 2.0: "other_subregion", 3.0: "other_region"}
    types = {
        "domestic": "domestic",
        "same_subregion": "intraregional",
        "other_subregion": "intraregional",
        "other_region": "transregional",
    }
    closest = pairs.groupby("case")["scope"].min()
    cases["flow_scope"] = cases["case"].map(closest).map(scope_names)
    cases["flow_type"] = cases["flow_scope"].map(types)
    cases["region"] = cases["country_of_exploitation"].map(lambda c: m49_region(c) if isinstance(c, str) else None)
    corridor = ["citizenship", "country_of_exploitation"]
    now = pairs[pairs["year"] == latest] if latest is not None else pairs.iloc[:0]
    before = pairs[(pairs["year"] < latest) | pairs["year"].isna()] if latest is not None else pairs.iloc[:0]
    seen = set(zip(before["citizenship"], before["country_of_exploitation"], strict=True))
    new = now[[(a, b) not in seen for a, b in zip(now["citizenship"], now["country_of_exploitation"], strict=True)]]
    tables = {
        "routes_flow_types": _counts(cases, ["flow_type", "flow_scope"]),
        "routes_by_region": _counts(cases, ["region", "flow_type"]),
        "routes_corridors": _counts(pairs, corridor),
        "routes_new_corridors": _counts(new, corridor),
    }
    first = pairs.groupby(corridor)["scope"].first().reset_index()
    return tables, {(a, b): scope_names.get(x) for a, b, x in first.itertuples(index=False)}


def reference_figures(frame: pd.DataFrame, latest: int | None) -> dict[str, tuple[tuple[str, ...], dict[Any, Any]]]:
    """Other columns beside the counts: each contributor's first and last year, each corridor's scope."""
    years = frame.groupby("org_name")["year"].agg(["min", "max"])
    spans = {(o,): (_key(r["min"]), _key(r["max"])) for o, r in years.iterrows()}
    scopes = _routes(frame, latest)[1]
    return {
        "overview_contributors": (("first_year", "last_year"), spans),
        "routes_corridors": (("flow_scope",), {k: (v,) for k, v in scopes.items()}),
    }


def reference(frame: pd.DataFrame, latest: int | None = None) -> dict[str, Cells]:
    """Every table's cells (dims -> count, or share for coverage), computed by pandas."""
    frame = frame.assign(age_group=frame["majority_status"])
    minor = frame["age_band"].isin(MINOR_BANDS)
    from_band = pd.Series(np.where(minor, "Minor", "Adult"), index=frame.index).where(frame["age_band"].notna())
    frame["age_group"] = frame["age_group"].fillna(from_band)
    latest = latest if latest is not None else _key(frame["year"].max())

    def exploded(column: str, *dims: str) -> Cells:
        return _counts(frame.explode(column), [*dims, column])

    missing = frame[["org_name"]].assign(**{f: frame[c].isna() for f, c in COVERAGE.items()})
    by_org = missing.groupby("org_name").mean()
    return {
        "overview_summary": {(): len(frame)},
        "overview_contributors": _counts(frame, ["org_name"]),
        "overview_contributors_by_year": _counts(frame, ["org_name", "year"]),
        "overview_data_sources": _counts(frame, ["data_source"]),
        "overview_citizenship": exploded("citizenship"),
        "overview_countries_of_exploitation": _counts(frame, ["country_of_exploitation"]),
        "trends_total": _counts(frame, ["year"]),
        "trends_by_form": exploded("form", "year"),
        "trends_by_sex": _counts(frame, ["year", "sex"]),
        "trends_by_age_group": _counts(frame, ["year", "age_group"]),
        **_routes(frame, latest)[0],
        "forms_of_exploitation": exploded("form"),
        "labour_industries": exploded("industry"),
        "means_of_control": exploded("method"),
        "recruiter_relationship": exploded("relationship"),
        "sex_by_age_band": _counts(frame, ["sex", "age_band"]),
        "coverage_by_contributor": {(o, f): float(by_org.loc[o, f]) for o in by_org.index for f in COVERAGE},
        "coverage_overall": {(f,): float(missing[f].mean()) for f in COVERAGE} if len(frame) else {},
    }


def cells(table: ResultTable) -> Cells:
    """dims -> the table's count (or, in a table of figures only, its first figure)."""
    value = table.counts[0] if table.counts else table.figures[0]
    return {tuple(row[d] for d in table.dims): row[value] for row in table.frame.iter_rows(named=True)}


def assert_all_equal(tables: list[ResultTable], frame: pd.DataFrame, latest: int | None = None) -> None:
    want = reference(frame, latest)
    assert [t.name for t in tables] == list(want)
    for table in tables:
        got = cells(table)
        assert len(got) == table.frame.height, f"{table.name}: duplicate cells"
        if table.counts:
            assert got == want[table.name], table.name
        else:
            assert got == pytest.approx(want[table.name], abs=1e-12), table.name
    extra = reference_figures(frame, latest)
    for name, (columns, want_figures) in extra.items():
        table = next(t for t in tables if t.name == name)
        got_figures = {
            tuple(r[d] for d in table.dims): tuple(r[c] for c in columns) for r in table.frame.iter_rows(named=True)
        }
        assert got_figures == want_figures, name
    summary = tables[0].frame.row(0, named=True)
    years = frame["year"].dropna()
    assert summary == {
        "cases": len(frame),
        "contributors": frame["org_name"].nunique(),
        "first_year": _key(years.min()),
        "last_year": _key(years.max()),
        "years": years.nunique(),
        "citizenship_countries": frame["citizenship"].explode().dropna().loc[lambda s: s != "None"].nunique(),
        "exploitation_countries": frame["country_of_exploitation"].nunique(),
    }


def case(
    citizenship: str | None, exploited_in: str | None, year: int | None, forms: str | None = None, org: str = "Shelter"
) -> dict[str, object]:
    """One hand-made case (every other field not recorded)."""
    return {
        "org_name": org,
        "org_type": "NGO",
        "org_country": "TH",
        "cas_registration_year": year,
        "prs_citizenship": citizenship,
        "vic_country_of_exploitation": exploited_in,
        "vic_type_of_exploitation": forms,
    }


def frame_of(rows: list[dict[str, object]]) -> pl.DataFrame:
    """A cases frame shaped like read_cases's, from hand-made rows."""
    schema: dict[str, pl.DataType] = {c: pl.String() for c in CASE_COLUMNS}
    schema["cas_registration_year"] = pl.Int64()
    return pl.DataFrame([{c: row.get(c) for c in schema} for row in rows], schema=schema)


ROUTE_CASES = [
    case("TH", "TH", 2021, "ForcedLabour;SexualExploitation"),  # domestic; two forms
    case("MM", "TH", 2021, ""),  # same sub-region (South-eastern Asia); forms known to be none
    case("MM", "TH", 2019),  # the same corridor earlier: not new in 2021
    case("IN", "TH", 2020),  # Southern -> South-eastern Asia: other sub-region of Asia
    case("PH", "SA", 2021),  # South-eastern -> Western Asia: other sub-region (GLOTIP would say transregional)
    case("NG", "IT", 2019),  # Africa -> Europe: other region
    case("DZ;FR", "FR", 2021),  # dual citizen exploited in a country of citizenship: domestic
    case(None, "TH", 2021),  # citizenship not recorded
    case("", "TH", 2021),  # stateless
    case("KH", "TH", 2021),
    case("KH", "TH", None),  # undated, so KH -> TH may be old: never new
    case("VN", "TH", 2022),  # after 2021
    case("TH", None, 2021),  # country of exploitation not recorded
]


def by_name(tables: list[ResultTable]) -> dict[str, ResultTable]:
    return {t.name: t for t in tables}
