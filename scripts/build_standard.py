"""Build src/palermo/standard/data/htcds_2_0.json from IOM's published HTCDS 2.0 files.

Reads the field standards sheet (ODS), the XLSForm (picklists, field aliases) and the field
definitions (Markdown), as published at UNMigration/HTCDS @3c2f6537 (CC BY 4.0), and writes one
JSON file that ships inside the package, so that palermo needs none of these files at run time.

    python scripts/build_standard.py ../shared/data/htcds
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pandas as pd

OUT = Path(__file__).resolve().parents[1] / "src" / "palermo" / "standard" / "data" / "htcds_2_0.json"

TYPE_MAP = {
    "text": "text",
    "long text": "long_text",
    "picklist": "picklist",
    "picklist or text": "picklist",
    "multiselect picklist": "multi_picklist",
    "date": "date",
    "number": "number",
    "checkbox": "boolean",
    "geolocation": "number",
}
COUNTRY_FIELDS = {"org_ShippingCountry", "prs_MailingCountry", "hte_Country"}
MULTI_COUNTRY_FIELDS = {"prs_Citizenship"}
LANGUAGE_FIELDS = {"prs_PrimaryLanguage", "prs_SecondaryLanguage"}


def _clean(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value).strip()


def _lines(value: Any) -> list[str]:
    return [line.strip() for line in _clean(value).splitlines() if line.strip()]


def _definitions(md_path: Path) -> dict[str, str]:
    """Map each defined name in Field Definitions.md to its definition."""
    found: dict[str, str] = {}
    for line in md_path.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[0] and not set(cells[0]) <= {"-"} and cells[0] != "Field Name":
            found.setdefault(cells[0], cells[1])
    return found


def _field_type(name: str, htcds_type: str) -> str:
    if name in MULTI_COUNTRY_FIELDS:
        return "multi_country"
    if name in COUNTRY_FIELDS:
        return "country"
    if name in LANGUAGE_FIELDS:
        return "language"
    lowered = htcds_type.lower()
    if lowered == "picklist or text":
        return "text"
    if lowered.startswith("lookup"):
        return "lookup"
    return TYPE_MAP[lowered]


def build(src: Path) -> dict[str, Any]:
    """Read the HTCDS files in ``src`` and return the JSON document."""
    sheet = pd.read_excel(src / "HTCDS Field Standards 2.0.ods", engine="odf")
    survey = pd.read_excel(src / "htcds_xlsform.xlsx", sheet_name="survey")
    choices = pd.read_excel(src / "htcds_xlsform.xlsx", sheet_name="choices")
    definitions = _definitions(src / "Field Definitions.md")

    # XLSForm names that differ from the sheet (prs_First_Name vs prs_FirstName) become aliases.
    def squash(name: str) -> str:
        return re.sub(r"[^a-z0-9]", "", name.lower())

    xls_fields = {
        squash(_clean(r["name"])): (_clean(r["name"]), _clean(r["type"])) for _, r in survey.iterrows()
    }
    choice_lists: dict[str, list[tuple[str, str]]] = {}
    for _, r in choices.iterrows():
        choice_lists.setdefault(_clean(r["list_name"]), []).append((_clean(r["name"]), _clean(r["label"])))

    fields: list[dict[str, Any]] = []
    section = ""
    for _, row in sheet.iterrows():
        if _clean(row["Section"]):
            section = " ".join(_clean(row["Section"]).split())
        name = _clean(row["Field Name including Prefix"])
        if not name:
            continue
        htcds_type = _clean(row["Field Type"])
        ftype = _field_type(name, htcds_type)
        names = _lines(row["Value Names (if picklist)"])
        labels = _lines(row["Value Labels (if picklist)"])
        codes: list[dict[str, str]] = []
        aliases: list[str] = []
        xls = xls_fields.get(squash(name))
        if xls is not None:
            if xls[0] != name:
                aliases.append(xls[0])
            if xls[1].startswith("select_multiple") and ftype == "picklist":
                ftype = "multi_picklist"
        if ftype in {"picklist", "multi_picklist"} and names and not names[0].lower().startswith("use iso"):
            if len(labels) != len(names):
                labels = names
            for code, label in zip(names, labels, strict=True):
                code = code.strip()
                definition = (
                    definitions.get(name.split("_", 1)[1] + code)
                    or definitions.get(label.strip())
                    or (definitions.get(code, "") if "_" in code else "")
                )
                codes.append({"name": code, "label": label.strip(), "definition": definition})
        if ftype == "boolean" and xls is not None and xls[1].startswith("select_one"):
            listed = choice_lists.get(xls[1].split()[1], [])
            codes = [{"name": c, "label": lab, "definition": ""} for c, lab in listed]
        fields.append(
            {
                "name": name,
                "prefix": _clean(row["Field Name Prefix"]),
                "section": section,
                "status": _clean(row["Status"]) or "DRAFT",
                "core": _clean(row["Core"]).lower() == "core",
                "label": _clean(row["Field Label"]),
                "htcds_type": htcds_type,
                "type": ftype,
                "codes": codes,
                "description": _clean(row["Description"]),
                "notes": _clean(row["Notes"]),
                "aliases": aliases,
            }
        )
    # The Excel template spells one field differently; keep it as an alias so the template maps.
    for f in fields:
        if f["name"] == "vic_TraffickingStatusDecisionMakingOrg":
            f["aliases"].append("vic_TraffickinStatusDecisionMakingOrg")
    return {
        "standard": "IOM Human Trafficking Case Data Standard (HTCDS)",
        "version": "2.0",
        "source": "https://github.com/UNMigration/HTCDS @3c2f6537: HTCDS Field Standards 2.0.ods, "
        "Toolkit/Survey/htcds_xlsform.xlsx, Field Definitions.md",
        "licence": "CC BY 4.0, (c) International Organization for Migration (IOM)",
        "fields": fields,
    }


def main() -> None:
    """Entry point: build and write the JSON file."""
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("../shared/data/htcds")
    doc = build(src)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT} with {len(doc['fields'])} fields")


if __name__ == "__main__":
    main()
