"""The JSON Schema of an HTCDS case record."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from palermo.standard import FieldType, load_standard
from palermo.standard.schema import json_schema, organisation_types


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return json_schema()


@pytest.fixture(scope="module")
def validator(schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _sample() -> dict[str, Any]:
    return {
        "cas_SourceRecordId": "SH-2024-0042",
        "cas_RegistrationYear": 2019,
        "cas_DataSource": "CaseManagement",
        "cas_Status": "Active",
        "cas_IncomingReferralDate": "2019-03-14",
        "con_Consent": True,
        "prs_Gender": "Feminine",
        "prs_Citizenship": ["PH", "XK"],
        "prs_NumberOfChildren": 2,
        "prs_PrimaryLanguage": "tgl",
        "prs_MailingCountry": "PH",
        "prs_MailingLatitude": 14.6,
        "vic_AgeBand": "18--20",
        "vic_MajorityStatus": "Adult",
        "vic_CountryOfExploitation": "MY",
        "vic_TraffickingStatus": "ActualVictimOfTrafficking",
        "vic_TypeOfExploitation": ["ForcedLabour", "SexualExploitation"],
        "vic_MethodsOfControl": ["DebtBondage", "WithholdsDocuments", "RestrictsMovement"],
        "vic_ForcedLabourIndustry": ["T_ActivitiesOfHouseholdsAsEmployers"],
        "vic_AgeWhenTrafficked": 19,
        "hte_Country": "MY",
        "hte_Date": "2018-11-01",
        "hte_Type": "Exploitation",
        "cco_CaseComment": "Referred by the embassy.",
    }


def test_schema_is_valid_draft_2020_12(schema: dict[str, Any]) -> None:
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] and schema["title"] and schema["version"] == "2.0"
    json.dumps(schema)  # plain JSON all the way down


def test_schema_carries_the_htcds_attribution(schema: dict[str, Any]) -> None:
    text = json.dumps(schema)
    assert "CC BY 4.0" in text and "IOM" in text and "International Organization for Migration" in text


def test_every_case_field_is_a_property(schema: dict[str, Any]) -> None:
    std = load_standard()
    props = schema["properties"]
    assert list(props) == [f.name for f in std.case_fields()]
    assert not any(name.startswith("org_") for name in props)
    for field in std.case_fields():
        prop = props[field.name]
        assert prop["title"] == field.label
        assert prop["description"]
        assert prop["x-htcds-name"] == field.name
        assert prop.get("x-palermo-extension", False) == field.extension
        assert prop.get("x-identifying", False) == field.identifying


def test_types_follow_the_field_types(schema: dict[str, Any]) -> None:
    for field in load_standard().case_fields():
        prop = schema["properties"][field.name]
        if field.type == FieldType.PICKLIST:
            assert prop["type"] == "string" and prop["enum"] == list(field.code_names)
        elif field.type == FieldType.MULTI_PICKLIST:
            assert prop["type"] == "array" and prop["uniqueItems"] is True
            assert prop["items"]["enum"] == list(field.code_names)
        elif field.type == FieldType.DATE:
            assert prop["type"] == "string" and prop["format"] == "date"
        elif field.type == FieldType.COUNTRY:
            assert prop["pattern"] == "^[A-Z]{2}$" and "XK" in prop["enum"] and "PH" in prop["enum"]
        elif field.type == FieldType.MULTI_COUNTRY:
            assert prop["type"] == "array" and prop["items"]["pattern"] == "^[A-Z]{2}$"
        elif field.type == FieldType.BOOLEAN:
            assert prop["type"] == "boolean"
        elif field.type == FieldType.INTEGER:
            assert prop["type"] == "integer"
        elif field.type == FieldType.NUMBER:
            assert prop["type"] == "number"
        else:
            assert prop["type"] == "string"


def test_ranges_and_extension_codes(schema: dict[str, Any]) -> None:
    props = schema["properties"]
    assert (props["vic_AgeWhenTrafficked"]["minimum"], props["vic_AgeWhenTrafficked"]["maximum"]) == (0, 110)
    assert props["hte_Latitude"]["maximum"] == 90
    assert props["cas_RegistrationYear"]["minimum"] == 1990
    assert isinstance(props["cas_RegistrationYear"]["minimum"], int)
    assert props["vic_MethodsOfControl"]["x-palermo-extension-codes"] == [
        "RestrictsMovement",
        "UsesChildren",
        "NotSpecified",
    ]
    assert "x-palermo-extension-codes" not in props["vic_TypeOfExploitation"]
    assert "x-palermo-extension-codes" not in props["vic_AgeBand"]  # the whole field is an extension


def test_sample_record_validates(validator: Draft202012Validator) -> None:
    errors = [e.message for e in validator.iter_errors(_sample())]
    assert errors == []
    assert validator.is_valid({})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("prs_Gender", "Female"),
        ("vic_TypeOfExploitation", ["ForcedLabour", "Slavery"]),
        ("vic_TypeOfExploitation", "ForcedLabour"),
        ("vic_TypeOfExploitation", ["ForcedLabour", "ForcedLabour"]),
        ("prs_Citizenship", ["PHL"]),
        ("prs_Citizenship", ["QQ"]),
        ("hte_Country", "ph"),
        ("hte_Country", "Philippines"),
        ("vic_CountryOfExploitation", "ZZ"),
        ("vic_AgeWhenTrafficked", 19.5),
        ("vic_AgeWhenTrafficked", 120),
        ("prs_MailingLatitude", 91),
        ("con_Consent", "TRUE"),
        ("hte_Date", "14/03/2019"),
        ("cas_RegistrationYear", 1850),
    ],
)
def test_bad_values_fail(validator: Draft202012Validator, field: str, value: object) -> None:
    record = _sample() | {field: value}
    assert not validator.is_valid(record)


def test_organisation_types() -> None:
    types = organisation_types()
    assert [c.name for c in types][:2] == ["NGO", "LawEnforcement"]
    assert len(types) == 11
    assert [c.name for c in types if c.extension] == ["InternationalOrganisation", "FinancialInstitution"]
    assert all(c.label for c in types)
