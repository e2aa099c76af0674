"""Writing demo files byte-for-byte reproducibly: the HTCDS template (XLSX), the custom CSV and JSON,
the custom layout's mapping file."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import yaml
from openpyxl import Workbook

from ..standard.fields import load_standard
from .cases import COUNTRIES
from .countries import unresolved
from .records import (
    CONTROL_WORDS,
    CUSTOM_COLUMNS,
    EXPLOIT_WORDS,
    RECRUITER_WORDS,
    SECTOR_WORDS,
    STATUS_WORDS,
    Row,
)

HTCDS_HEADER: tuple[str | None, ...] = (
    None, "cas_CaseOwner", "prs_Salutation", "prs_FirstName", "prs_SecondName", "con_Consent", "prs_Birthdate",
    "prs_Gender", "prs_Citizenship", "prs_Title", "prs_Email", "prs_HomePhone", "prs_MobilePhone",
    "prs_MailingCity", "prs_MailingCountry", "prs_MailingState", "prs_MailingStreet", "prs_MailingPostalCode",
    "vic_TraffickingStatus", "vic_TraffickinStatusDecisionMakingOrg", "vic_MethodOfRecruitment",
    "vic_LocationOfRecruitment", "vic_MethodsOfControl", "vic_TypeOfExploitation", "vic_ForcedLabourIndustry",
    "vic_TypeOfSexExploitation", "vic_LocationOfExploitation", "cas_Status", "cas_ReferringOrganisation",
    "cas_IncomingReferralDate", "cas_ReferringPrimaryCaseWorker", "cas_ReasonForIncomingReferral",
    "cas_IncomingReferralDetails", "cas_ReferredOrganisation", "cas_ReferredPrimaryCaseWorker", None,
    "cas_OutgoingReferralDate", "cas_OutgoingReferralDetails", "cas_ReasonForCaseClosure",
)
"""Row 1 of the HTCDS v2.0 Excel template, as published (column A and AJ have no field name)."""
HTCDS_LABELS: tuple[str | None, ...] = (
    None, "Case Owner", "Salutation", "First Name", "Second Name", "Consent", "Birthdate", "Gender", "Citizenship",
    "Title", "Email", "Home Phone", "Mobile Phone", "Mailing Street", "Mailing City", "Mailing State/Province",
    "Mailing Zip/Postal Code", "Mailing Country", "Trafficking Status",
    "Trafficking Status Decision Making Organization", "Method of Recruitment", "Location of Recruitment",
    "Methods of Control", "Type of Exploitation", "Forced Labour Industry", "Type of Sex Exploitation",
    "Location of Exploitation", "Status", "Referring Organisation", "Incoming Referral Date",
    "Referring Primary Case Worker", "Reason for Incoming Referral", "Incoming Referral Details",
    "Referred Organisation", "Referred Primary Case Worker", "Reason for Outgoing Referral",
    "Outgoing Referral Date", "Outgoing Referral Details", "Reason for Case Closure",
)
"""Row 2 of the template: the human labels, as published (their order differs a little from row 1)."""
HTCDS_KEYS = tuple("#" if i == 0 else "cas_ReasonForOutgoingReferral" if k is None else k
                   for i, k in enumerate(HTCDS_HEADER))
"""The row-dict key of each template column."""
HTCDS_FIRST_DATA_ROW = 3
_FIXED_TIME = (2024, 12, 31, 0, 0, 0)
_CORE_DATES = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def _reproducible_zip(data: bytes) -> bytes:
    """Rewrite an XLSX with fixed timestamps so the same content gives the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _CORE_DATES.sub(rb"\g<1>2024-12-31T00:00:00Z\g<3>", content)
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=_FIXED_TIME), content,
                         compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def write_htcds_xlsx(path: Path, rows: Iterable[Row]) -> None:
    """Write rows into a copy of the HTCDS template layout: field names, labels, then one row per case."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Sheet1")
    ws.append(list(HTCDS_HEADER))
    ws.append(list(HTCDS_LABELS))
    for row in rows:
        ws.append([row.get(k) for k in HTCDS_KEYS])
    buffer = io.BytesIO()
    wb.save(buffer)
    path.write_bytes(_reproducible_zip(buffer.getvalue()))


def _text(value: object) -> str:
    return "" if value is None else str(value)


def write_custom_csv(path: Path, rows: Iterable[Row]) -> None:
    """Write rows as a spreadsheet program saves "CSV UTF-8": with a byte-order mark and CRLF line ends."""
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(CUSTOM_COLUMNS)
        for row in rows:
            writer.writerow([_text(row.get(c)) for c in CUSTOM_COLUMNS])


def write_custom_json(path: Path, rows: Iterable[Row]) -> None:
    """Write rows as a JSON array of objects, one per line; blank values are left out."""
    lines = [json.dumps({k: row[k] for k in CUSTOM_COLUMNS if row.get(k) is not None}, ensure_ascii=False)
             for row in rows]
    path.write_text("[\n" + ",\n".join(lines) + "\n]\n", encoding="utf-8")


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """A plain UTF-8 CSV (for truth.csv and bad_rows.csv)."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _values(field: str, table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Words that need an entry in the mapping: all but those equal to the code's name or label."""
    codes = {c.name: c for c in load_standard().field(field).codes}
    out: dict[str, str] = {}
    for code, words in table.items():
        same = {_squash(codes[code].name), _squash(codes[code].label)}
        out.update({word: code for word in words if _squash(word) not in same})
    return out


def mapping_document() -> dict[str, object]:
    """The crosswalk (mapping file) of the custom layout, as a YAML-ready dict."""
    countries = {name: code for code in COUNTRIES for name in unresolved(code)}
    return {
        "name": "shelter-own-sheet",
        "title": "Demo shelter and clinic case sheet (own columns)",
        "description": "Columns kept by the fictitious demo shelter (CSV) and clinic (JSON export).",
        "missing": ["", "-", "?", "n/a", "na", "unknown", "not known", "none"],
        "defaults": {"cas_DataSource": "CaseManagement"},
        "fields": {
            "cas_SourceRecordId": "Case ref",
            "cas_RegistrationDate": {"column": "Date registered", "date_format": "%d/%m/%Y"},
            "vic_AgeAtRegistration": "Age",
            "prs_FirstName": "Given names",
            "prs_SecondName": "Family name",
            "prs_Alias": "Also known as",
            "prs_Gender": {"column": "Sex", "values": {"F": "Feminine", "M": "Masculine", "X": "NonConforming"}},
            "prs_Birthdate": {"column": "Date of birth", "date_format": "%d/%m/%Y"},
            "prs_BirthYear": "Birth year",
            "prs_Citizenship": {"column": "Nationality", "values": dict(countries)},
            "prs_MobilePhone": "Phone",
            "prs_Email": "Email",
            "prs_PassportNumber": "Passport no",
            "prs_BankAccount": "Bank account",
            "vic_CountryOfExploitation": {"column": "Exploited in", "values": dict(countries)},
            "vic_TypeOfExploitation": {"column": "Type of exploitation", "separator": ",",
                                       "values": _values("vic_TypeOfExploitation", EXPLOIT_WORDS)},
            "vic_ForcedLabourIndustry": {"column": "Sector",
                                         "values": _values("vic_ForcedLabourIndustry", SECTOR_WORDS)},
            "vic_MethodsOfControl": {"column": "Control methods", "separator": ",",
                                     "values": _values("vic_MethodsOfControl", CONTROL_WORDS)},
            "vic_RecruiterRelationship": {"column": "Recruited by",
                                          "values": _values("vic_RecruiterRelationship", RECRUITER_WORDS)},
            "cas_Status": {"column": "Status", "values": _values(
                "cas_Status", {code: (word,) for code, word in STATUS_WORDS.items()})},
            "con_Consent": "Consent",
            "cco_CaseComment": "Notes",
        },
    }


MAPPING_HEADER = """\
# Mapping file (crosswalk) for the demo shelter's own columns; see palermo.standard.crosswalk.
# "Date registered" is the day the shelter took the case in; "Age" is the age at that date.
"""


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data: object) -> bool:
        return True


def write_mapping(path: Path) -> None:
    """Write the custom layout's mapping file."""
    text = yaml.dump(mapping_document(), Dumper=_NoAliases, sort_keys=False, allow_unicode=True, width=110)
    path.write_text(MAPPING_HEADER + text, encoding="utf-8")
