"""ISIC Rev.4 sections, the industry classification behind HTCDS's ``vic_ForcedLabourIndustry``.

HTCDS names each section code ``<letter>_<TitleInCamelCase>`` (``C_Manufacturing``);
:func:`isic_section` turns a section letter, an ISIC division/group/class number, an HTCDS code or a
section title into that code. Source of the titles: UN Statistics Division, International Standard
Industrial Classification of All Economic Activities (ISIC), Revision 4.
"""

from __future__ import annotations

import re
from functools import cache

from .fields import load_standard

INDUSTRY_FIELD = "vic_ForcedLabourIndustry"

ISIC_SECTIONS: dict[str, str] = {
    "A": "Agriculture, forestry and fishing",
    "B": "Mining and quarrying",
    "C": "Manufacturing",
    "D": "Electricity, gas, steam and air conditioning supply",
    "E": "Water supply; sewerage, waste management and remediation activities",
    "F": "Construction",
    "G": "Wholesale and retail trade; repair of motor vehicles and motorcycles",
    "H": "Transportation and storage",
    "I": "Accommodation and food service activities",
    "J": "Information and communication",
    "K": "Financial and insurance activities",
    "L": "Real estate activities",
    "M": "Professional, scientific and technical activities",
    "N": "Administrative and support service activities",
    "O": "Public administration and defence; compulsory social security",
    "P": "Education",
    "Q": "Human health and social work activities",
    "R": "Arts, entertainment and recreation",
    "S": "Other service activities",
    "T": "Activities of households as employers; undifferentiated goods- and services-producing "
    "activities of households for own use",
    "U": "Activities of extraterritorial organizations and bodies",
}
"""ISIC Rev.4 section letter -> section title."""

_DIVISIONS: dict[str, tuple[int, int]] = {
    "A": (1, 3),
    "B": (5, 9),
    "C": (10, 33),
    "D": (35, 35),
    "E": (36, 39),
    "F": (41, 43),
    "G": (45, 47),
    "H": (49, 53),
    "I": (55, 56),
    "J": (58, 63),
    "K": (64, 66),
    "L": (68, 68),
    "M": (69, 75),
    "N": (77, 82),
    "O": (84, 84),
    "P": (85, 85),
    "Q": (86, 88),
    "R": (90, 93),
    "S": (94, 96),
    "T": (97, 98),
    "U": (99, 99),
}
"""The range of two-digit ISIC Rev.4 divisions in each section."""

_KEYWORDS: dict[str, str] = {
    "agriculture": "A",
    "farming": "A",
    "fishing": "A",
    "fisheries": "A",
    "forestry": "A",
    "aquafarming": "A",
    "aquaculture": "A",
    "mining": "B",
    "quarrying": "B",
    "construction": "F",
    "transport": "H",
    "transportation": "H",
    "hospitality": "I",
    "domesticwork": "T",
    "domesticservitude": "T",
    "domesticservice": "T",
    "domesticworker": "T",
}
"""Everyday industry names that fall in one section only (``Domestic work`` is section T)."""


def _squash(value: str) -> str:
    return re.sub(r"[^a-z0-9]", "", value.lower())


def _division_section(division: int) -> str | None:
    return next((s for s, (lo, hi) in _DIVISIONS.items() if lo <= division <= hi), None)


@cache
def _section_codes() -> dict[str, str]:
    """Section letter -> the HTCDS code of vic_ForcedLabourIndustry (``C`` -> ``C_Manufacturing``)."""
    codes = load_standard().field(INDUSTRY_FIELD).codes
    return {c.name[0]: c.name for c in codes if re.fullmatch(r"[A-U]_\w+", c.name)}


@cache
def _by_text() -> dict[str, str]:
    table: dict[str, str] = {}
    letters = {code: letter for letter, code in _section_codes().items()}
    for code in load_standard().field(INDUSTRY_FIELD).codes:
        if code.name in letters:
            table[_squash(code.name)] = letters[code.name]
            table[_squash(code.label)] = letters[code.name]
    for letter, title in ISIC_SECTIONS.items():
        table.setdefault(_squash(title), letter)
        table.setdefault(_squash(f"{letter} {title}"), letter)
    for word, letter in _KEYWORDS.items():
        table.setdefault(word, letter)
    return table


@cache
def isic_section(value: str) -> str | None:
    """The HTCDS ``vic_ForcedLabourIndustry`` code of an ISIC Rev.4 section, or None.

    Accepts a section letter (``"C"``), a division, group or class number (``"10"``, ``"1071"``), the
    HTCDS code (``"C_Manufacturing"``), the section title or HTCDS label (any case and punctuation) and
    a few everyday names (``"Domestic work"`` -> ``T_ActivitiesOfHouseholdsAsEmployers``).
    """
    text = value.strip()
    sections = _section_codes()
    if len(text) == 1:
        return sections.get(text.upper())
    if text.isdigit() and 2 <= len(text) <= 4:
        letter = _division_section(int(text[:2]))
        return sections.get(letter) if letter else None
    letter = _by_text().get(_squash(text))
    return sections.get(letter) if letter else None


def isic_title(code: str) -> str | None:
    """The ISIC Rev.4 title of a section, given as anything :func:`isic_section` reads."""
    found = isic_section(code)
    return ISIC_SECTIONS[found[0]] if found else None
