"""ISIC Rev.4 sections and the HTCDS labour-industry codes."""

from __future__ import annotations

import pytest

from palermo.standard import load_standard
from palermo.standard.isic import ISIC_SECTIONS, isic_section, isic_title


def test_sections_a_to_u() -> None:
    assert list(ISIC_SECTIONS) == [chr(c) for c in range(ord("A"), ord("U") + 1)]
    assert ISIC_SECTIONS["C"] == "Manufacturing"


def test_every_section_maps_to_an_htcds_code() -> None:
    codes = load_standard().field("vic_ForcedLabourIndustry").code_names
    for letter in ISIC_SECTIONS:
        found = isic_section(letter)
        assert found is not None and found in codes and found.startswith(f"{letter}_")
        assert isic_section(found) == found
        assert isic_section(ISIC_SECTIONS[letter]) == found
        assert isic_section(ISIC_SECTIONS[letter].upper()) == found
        assert isic_title(found) == ISIC_SECTIONS[letter]


def test_htcds_labels_resolve() -> None:
    for code in load_standard().field("vic_ForcedLabourIndustry").codes:
        if not code.extension:
            assert isic_section(code.label) == code.name


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("C", "C_Manufacturing"),
        ("c", "C_Manufacturing"),
        ("C_Manufacturing", "C_Manufacturing"),
        ("c_manufacturing", "C_Manufacturing"),
        ("manufacturing", "C_Manufacturing"),
        ("Agriculture, forestry and fishing", "A_AgricultureForestryAndFishing"),
        ("Agriculture", "A_AgricultureForestryAndFishing"),
        ("01", "A_AgricultureForestryAndFishing"),
        ("1071", "C_Manufacturing"),
        ("33", "C_Manufacturing"),
        ("35", "D_ElectricityGasSteamAndAirConditioningSupply"),
        ("97", "T_ActivitiesOfHouseholdsAsEmployers"),
        ("Domestic work", "T_ActivitiesOfHouseholdsAsEmployers"),
        ("Hospitality", "I_AccommodationAndFoodServiceActivities"),
        ("Construction", "F_Construction"),
        ("99", "U_ActivitiesOfExtraterritorialOrganizations"),
    ],
)
def test_isic_section(value: str, expected: str) -> None:
    assert isic_section(value) == expected


@pytest.mark.parametrize("value", ["", "Z", "V", "00", "04", "34", "IllicitActivities", "Other", "Begging"])
def test_not_a_section(value: str) -> None:
    assert isic_section(value) is None
    assert isic_title(value) is None
