"""Route types, corridors, new corridors and multi-select counting on a hand-made dataset."""

from __future__ import annotations

import polars as pl
from tests.analyse.pandas_reference import ROUTE_CASES, by_name, cells, frame_of

from palermo.analyse.tables import assessment_tables


def test_route_types_by_hand() -> None:
    tables = by_name(assessment_tables(frame_of(ROUTE_CASES)))
    assert cells(tables["routes_flow_types"]) == {
        ("domestic", "domestic"): 2,
        ("intraregional", "same_subregion"): 5,
        ("intraregional", "other_subregion"): 2,
        ("transregional", "other_region"): 1,
        (None, None): 3,
    }
    assert cells(tables["routes_by_region"]) == {
        ("Asia", "domestic"): 1,
        ("Asia", "intraregional"): 7,
        ("Asia", None): 2,
        ("Europe", "domestic"): 1,
        ("Europe", "transregional"): 1,
        (None, None): 1,
    }
    corridors = tables["routes_corridors"].frame
    flows = {
        (r["citizenship"], r["country_of_exploitation"]): (r["cases"], r["flow_type"], r["flow_scope"])
        for r in corridors.iter_rows(named=True)
    }
    assert flows == {
        ("TH", "TH"): (1, "domestic", "domestic"),
        ("MM", "TH"): (2, "intraregional", "same_subregion"),
        ("KH", "TH"): (2, "intraregional", "same_subregion"),
        ("VN", "TH"): (1, "intraregional", "same_subregion"),
        ("IN", "TH"): (1, "intraregional", "other_subregion"),
        ("PH", "SA"): (1, "intraregional", "other_subregion"),
        ("NG", "IT"): (1, "transregional", "other_region"),
        ("DZ", "FR"): (1, "transregional", "other_region"),
        ("FR", "FR"): (1, "domestic", "domestic"),
        ("None", "TH"): (1, None, None),
    }
    assert corridors.get_column("cases").to_list()[:3] == [2, 2, 1]  # largest first
    labels = dict(zip(corridors["citizenship"], corridors["citizenship_label"], strict=True))
    assert labels["None"] == "Stateless (no citizenship)" and labels["DZ"] == "Algeria"
    row = corridors.filter(pl.col("citizenship") == "PH").row(0, named=True)
    assert (row["citizenship_sub_region"], row["exploitation_sub_region"]) == ("South-eastern Asia", "Western Asia")
    assert row["flow_type_label"] == "Intraregional"


def test_new_corridors_by_hand() -> None:
    frame = frame_of(ROUTE_CASES)
    latest = by_name(assessment_tables(frame))["routes_new_corridors"]
    assert latest.title == "Corridors new in 2022"
    assert cells(latest) == {("VN", "TH"): 1}
    in_2021 = by_name(assessment_tables(frame, latest_period=2021))["routes_new_corridors"]
    assert cells(in_2021) == {("TH", "TH"): 1, ("PH", "SA"): 1, ("DZ", "FR"): 1, ("FR", "FR"): 1, ("None", "TH"): 1}
    assert by_name(assessment_tables(frame, latest_period=2018))["routes_new_corridors"].frame.is_empty()


def test_multi_select_counts_a_case_under_each_value() -> None:
    tables = by_name(assessment_tables(frame_of(ROUTE_CASES)))
    forms = {
        r["form"]: (r["form_label"], r["cases"]) for r in tables["forms_of_exploitation"].frame.iter_rows(named=True)
    }
    assert forms == {
        "ForcedLabour": ("Forced labour", 1),
        "SexualExploitation": ("Sexual exploitation", 1),
        "None": ("None", 1),
        None: ("Not recorded", 11),
    }
    assert cells(tables["trends_total"])[(2021,)] == 8
    by_form = cells(tables["trends_by_form"])
    assert by_form[(2021, "ForcedLabour")] == by_form[(2021, "SexualExploitation")] == 1
    assert sum(v for (year, _), v in by_form.items() if year == 2021) == 9  # one case counted twice
    assert "counted under each" in tables["trends_by_form"].description
    assert any("counted under each" in n for n in tables["trends_by_form"].notes)
