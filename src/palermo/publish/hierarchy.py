"""Generalisation hierarchies of the quasi-identifiers of case microdata, for k-anonymous releases.

A hierarchy maps each value of a column to a coarser one per level; level 0 is the value itself and the
last level is ``"*"`` (the column withheld). Hierarchies work on the *distinct* values of a column (a few
dozen), so applying one to a frame is a vectorised lookup, never a loop over rows. A missing value stays
missing at every level but the last: "unknown" is a category of its own.

=============================  =================================================================
column                         levels
=============================  =================================================================
cas_registration_year          year, 2-year range (2016-2017), 5-year range (2015-2019), *
vic_age_band                   CTDC age band (0--8 ... 48+), Minor/Adult, *
prs_citizenship,               ISO country, UN M49 sub-region, M49 region, *
vic_country_of_exploitation
vic_type_of_exploitation       combination of forms, broad form (sexual / labour / other /
                               several), *
any other column               value, *
=============================  =================================================================
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import polars as pl

from ..standard import MULTI_SEPARATOR
from ..standard.countries import m49_region, m49_subregion

WITHHELD = "*"
"""The value of a column generalised to its top level."""

Generaliser = Callable[[str], str]


@dataclass(frozen=True)
class Hierarchy:
    """The levels of one column; ``steps[i]`` maps a level-0 value (as text) to its value at level i + 1."""

    names: tuple[str, ...]
    """One name per level, level 0 first, the last always "withheld"."""
    steps: tuple[Generaliser, ...]

    @property
    def height(self) -> int:
        """The top level (at which every value is ``"*"``)."""
        return len(self.names) - 1

    def generalise(self, values: Sequence[str | None], level: int) -> list[str | None]:
        """``values`` (level-0 text, None for missing) at ``level``."""
        if not 0 <= level <= self.height:
            raise ValueError(f"level {level} is outside 0..{self.height}")
        if level == self.height:
            return [WITHHELD] * len(values)
        if level == 0:
            return list(values)
        step = self.steps[level - 1]
        return [None if v is None else step(v) for v in values]


def _year_range(width: int) -> Generaliser:
    def step(value: str) -> str:
        year = int(value)
        start = year - year % width
        return f"{start}-{start + width - 1}"

    return step


_MINOR_BANDS = frozenset({"0--8", "9--17"})


def _majority(band: str) -> str:
    return "Minor" if band in _MINOR_BANDS else "Adult"


def _subregion(code: str) -> str:
    return m49_subregion(code) or "Unknown region"


def _region(code: str) -> str:
    return m49_region(code) or "Unknown region"


_SEXUAL = frozenset({"SexualExploitation"})
_LABOUR = frozenset({"ForcedLabour", "ChildLabour", "ForcedBegging", "Servitude", "ForcedMilitaryByNonStateActors"})


def _broad_form(combination: str) -> str:
    groups = set()
    for code in combination.split(MULTI_SEPARATOR):
        groups.add("Sexual exploitation" if code in _SEXUAL else "Labour exploitation" if code in _LABOUR else "Other")
    return groups.pop() if len(groups) == 1 else "Several forms"


def _identity(value: str) -> str:
    return value


YEAR = Hierarchy(("year", "2-year range", "5-year range", "withheld"), (_year_range(2), _year_range(5)))
AGE_BAND = Hierarchy(("age band", "minor/adult", "withheld"), (_majority,))
COUNTRY = Hierarchy(("country", "M49 sub-region", "M49 region", "withheld"), (_subregion, _region))
FORM = Hierarchy(("combination of forms", "broad form", "withheld"), (_broad_form,))
FLAT = Hierarchy(("value", "withheld"), ())
"""Two levels: the value or nothing (sex, data source, any column without a hierarchy of its own)."""

HIERARCHIES: dict[str, Hierarchy] = {
    "cas_registration_year": YEAR,
    "vic_age_band": AGE_BAND,
    "prs_citizenship": COUNTRY,
    "prs_mailing_country": COUNTRY,
    "vic_country_of_exploitation": COUNTRY,
    "hte_country": COUNTRY,
    "vic_type_of_exploitation": FORM,
}


def hierarchy_for(column: str, custom: dict[str, Hierarchy] | None = None) -> Hierarchy:
    """The hierarchy of ``column``: from ``custom``, else the built-in one, else value/withheld."""
    if custom and column in custom:
        return custom[column]
    return HIERARCHIES.get(column, FLAT)


def as_text(series: pl.Series) -> pl.Series:
    """A column as text (years "2016"), the form hierarchies and releases use."""
    return series if series.dtype == pl.String else series.cast(pl.String)


def generalise_column(series: pl.Series, hierarchy: Hierarchy, level: int) -> pl.Series:
    """``series`` at ``level`` of ``hierarchy``, as text; one lookup per distinct value."""
    text = as_text(series)
    distinct = text.unique().drop_nulls().to_list()
    mapped = hierarchy.generalise(distinct, level)
    out = text.replace_strict(distinct, mapped, default=None, return_dtype=pl.String)
    if level == hierarchy.height:
        out = out.fill_null(WITHHELD)
    return out.alias(series.name)


def generalise_frame(
    frame: pl.DataFrame, levels: dict[str, int], custom: dict[str, Hierarchy] | None = None
) -> pl.DataFrame:
    """``frame`` with each column of ``levels`` generalised to its level (as text); other columns as they are."""
    return frame.with_columns(
        generalise_column(frame.get_column(c), hierarchy_for(c, custom), level) for c, level in levels.items()
    )
