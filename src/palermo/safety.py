"""Keeping values safe on their way out: spreadsheet formulas and personal data in messages."""

from __future__ import annotations

import re

FORMULA_START = r"^[=+\-@\t\r\uff1d\uff0b\uff0d\uff20]"
"""A value starting like this is run as a formula by spreadsheet programs (OWASP CSV injection)."""
PLAIN_NUMBER = r"^[+-]?\d+([.,]\d+)?$"
"""... unless it is a plain signed number, which is left alone."""
WITHHELD = "(personal data withheld)"

_FORMULA = re.compile(FORMULA_START)
_NUMBER = re.compile(PLAIN_NUMBER)


def escape_formula(value: str | None) -> str | None:
    """Prefix a value a spreadsheet would run as a formula (``=HYPERLINK(...)``) with an apostrophe."""
    if value is None or not _FORMULA.match(value) or _NUMBER.match(value):
        return value
    return "'" + value
