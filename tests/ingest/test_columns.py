"""A mapping seen column by column, and edited back into a crosswalk that keeps the rules it can."""

from __future__ import annotations

from pathlib import Path

import pytest

from palermo.errors import InputError
from palermo.ingest.columns import column_mappings, edited_crosswalk
from palermo.ingest.pipeline import ingest_file
from palermo.standard.crosswalk import Crosswalk, builtin_crosswalks
from palermo.store.db import Store
from palermo.store.orgs import add_organisation


def ctdc_global() -> Crosswalk:
    return next(c for c in builtin_crosswalks() if c.name == "ctdc-global")


def test_columns_of_a_builtin_layout_show_each_source_column_once() -> None:
    crosswalk = ctdc_global()
    flags = crosswalk.fields["vic_MethodsOfControl"].flags
    assert flags is not None
    columns = [*flags, "somethingElse"]
    found = {c.column: c.field for c in column_mappings(crosswalk, columns)}
    assert set(found.values()) == {"vic_MethodsOfControl", None} and found["somethingElse"] is None
    assert all(c.confidence is None for c in column_mappings(crosswalk, columns))


def test_editing_keeps_value_maps_and_flags_of_unchanged_columns() -> None:
    crosswalk = ctdc_global()
    gender = crosswalk.fields["prs_Gender"]
    assert gender.column is not None and gender.values
    flags = crosswalk.fields["vic_MethodsOfControl"].flags
    assert flags is not None
    first, second, *rest = list(flags)
    choices: dict[str, str | None] = {gender.column: "prs_Gender", first: "vic_MethodsOfControl",
                                      second: None, **dict.fromkeys(rest, "vic_MethodsOfControl")}
    edited = edited_crosswalk(choices, crosswalk)
    assert edited.name == "ctdc-global-edited" and edited.detect is None
    assert edited.fields["prs_Gender"] == gender  # its value map is kept
    kept = edited.fields["vic_MethodsOfControl"].flags
    assert kept is not None and second not in kept and first in kept and len(kept) == len(flags) - 1
    assert set(edited.fields) == {"prs_Gender", "vic_MethodsOfControl"}
    assert edited_crosswalk(choices, edited).name == "ctdc-global-edited"  # edited once, named once

    moved = edited_crosswalk({gender.column: "prs_Citizenship"}, crosswalk)
    assert moved.fields["prs_Citizenship"].column == gender.column and not moved.fields["prs_Citizenship"].values


@pytest.mark.parametrize(
    ("choices", "columns", "words"),
    [
        ({"Sex": "prs_Gender", "Gender": "prs_Gender"}, None, "prs_Gender is chosen for both column 'Sex'"),
        ({"Sex": "prs_Nonsense"}, None, "'prs_Nonsense' (chosen for column 'Sex') is not an HTCDS case field"),
        ({"Sex": None}, None, "maps no column to a field"),
        ({"Sexe": "prs_Gender"}, ["Sex"], "the file has no column 'Sexe'"),
    ],
)
def test_bad_choices_are_refused(choices: dict[str, str | None], columns: list[str] | None, words: str) -> None:
    with pytest.raises(InputError) as caught:
        edited_crosswalk(choices, None, columns)
    assert words in caught.value.message


def test_a_dry_run_checks_a_stored_file_again_and_names_its_batch(sqlite_store: Store, tmp_path: Path) -> None:
    add_organisation(sqlite_store, "Hope Shelter", "NGO", "TH")
    path = tmp_path / "own.csv"
    path.write_text("Year,Sex,Notes\n2020,F,a\n2021,M,b\n", encoding="utf-8")
    mapping = edited_crosswalk({"Year": "cas_RegistrationYear", "Sex": "prs_Gender"})
    stored = ingest_file(sqlite_store, path, "Hope Shelter", crosswalk=mapping)
    assert stored.status == "stored" and stored.accepted == 2 and stored.unmapped_columns == ["Notes"]
    assert [(c.column, c.field) for c in stored.columns] == [
        ("Year", "cas_RegistrationYear"), ("Sex", "prs_Gender"), ("Notes", None)
    ]
    wider = edited_crosswalk({"Year": "cas_RegistrationYear", "Sex": "prs_Gender", "Notes": "cco_CaseComment"})
    checked = ingest_file(sqlite_store, path, "Hope Shelter", crosswalk=wider, dry_run=True)
    assert (checked.status, checked.previous_batch, checked.accepted) == ("dry-run", stored.batch_id, 2)
    assert checked.unmapped_columns == []
    again = ingest_file(sqlite_store, path, "Hope Shelter", crosswalk=wider)
    assert (again.status, again.batch_id, again.accepted) == ("already-ingested", stored.batch_id, 0)
