"""Keeping values safe on their way out: spreadsheet formulas and personal data in messages."""

from __future__ import annotations

import re

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+([.,]\d+)?$")
WITHHELD = "(personal data withheld)"


def escape_formula(value: str | None) -> str | None:
    """Prefix a value a spreadsheet would run as a formula (``=HYPERLINK(...)``) with an apostrophe."""
    if value is None or not value.startswith(_FORMULA_START) or _PLAIN_NUMBER.match(value):
        return value
    return "'" + value
