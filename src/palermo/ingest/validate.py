"""Validation of mapped rows against the standard's ranges and cross-field rules, vectorised.

Type and code-list checks happen while mapping (:mod:`palermo.ingest.mapping`); this module checks
what needs the typed values: ranges, dates in the future, and rules across fields (an age band of a
child with the majority status "Adult", a birth date after registration, ...).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ..standard import FieldType, load_standard
from ..standard.extensions import MINOR_BANDS
from .convert import today
from .mapping import PROBLEM_SCHEMA, problems_where

NOT_IN_FUTURE = (
    "prs_Birthdate",
    "cas_RegistrationDate",
    "cas_IncomingReferralDate",
    "cas_OutgoingReferralDate",
    "hte_Date",
    "spl_ActualEndDate",
)


@dataclass(frozen=True)
class Rule:
    """A cross-field rule: rows where ``violated`` holds are refused, blamed on ``blame``."""

    blame: str
    violated: pl.Expr
    reason: pl.Expr | str
    needs: tuple[str, ...]


def _rules() -> list[Rule]:
    this_year = today().year
    minor = pl.col("vic_AgeBand").is_in(list(MINOR_BANDS))
    return [
        Rule(
            "cas_RegistrationYear",
            pl.col("cas_RegistrationYear") > this_year,
            pl.format("year of registration {} is in the future", pl.col("cas_RegistrationYear")),
            ("cas_RegistrationYear",),
        ),
        Rule(
            "vic_MajorityStatus",
            (minor & (pl.col("vic_MajorityStatus") == "Adult"))
            | (~minor & (pl.col("vic_MajorityStatus") == "Minor")),
            pl.format(
                "majority status {} contradicts age band {}",
                pl.col("vic_MajorityStatus"),
                pl.col("vic_AgeBand"),
            ),
            ("vic_AgeBand", "vic_MajorityStatus"),
        ),
        Rule(
            "vic_MajorityStatusAtExploit",
            ((pl.col("vic_AgeWhenTrafficked") < 18) & (pl.col("vic_MajorityStatusAtExploit") == "Adult"))
            | ((pl.col("vic_AgeWhenTrafficked") >= 18) & (pl.col("vic_MajorityStatusAtExploit") == "Minor")),
            pl.format(
                "majority status at exploitation {} contradicts age when trafficked {}",
                pl.col("vic_MajorityStatusAtExploit"),
                pl.col("vic_AgeWhenTrafficked"),
            ),
            ("vic_AgeWhenTrafficked", "vic_MajorityStatusAtExploit"),
        ),
        Rule(
            "prs_Birthdate",
            pl.col("prs_Birthdate").dt.year() > pl.col("cas_RegistrationYear"),
            pl.format("birth date is after the year of registration {}", pl.col("cas_RegistrationYear")),
            ("prs_Birthdate", "cas_RegistrationYear"),
        ),
        Rule(
            "prs_BirthYear",
            pl.col("prs_Birthdate").is_not_null()
            & (pl.col("prs_Birthdate").dt.year() != pl.col("prs_BirthYear")),
            pl.lit("birth year differs from the year of the birth date"),
            ("prs_Birthdate", "prs_BirthYear"),
        ),
        Rule(
            "prs_BirthYear",
            pl.col("prs_BirthYear") > this_year,
            pl.lit("birth year is in the future"),
            ("prs_BirthYear",),
        ),
    ]


def validate(frame: pl.DataFrame, sources: dict[str, str]) -> pl.DataFrame:
    """Problems (row, column, value, reason) of the typed rows in ``frame``; columns named by source."""
    std = load_standard()
    found: list[pl.DataFrame] = []
    now = today()

    def where(name: str) -> str:
        return sources.get(name, name)

    for name in frame.columns:
        if not std.has_field(name):
            continue
        field = std.field(name)
        col = pl.col(name)
        if field.type in {FieldType.INTEGER, FieldType.NUMBER}:
            if field.minimum is not None:
                found.append(
                    problems_where(
                        frame,
                        col < field.minimum,
                        where(name),
                        col,
                        f"is below the minimum {field.minimum:g} of {name}",
                    )
                )
            if field.maximum is not None:
                found.append(
                    problems_where(
                        frame,
                        col > field.maximum,
                        where(name),
                        col,
                        f"is above the maximum {field.maximum:g} of {name}",
                    )
                )
        if field.type == FieldType.DATE:
            if name in NOT_IN_FUTURE:
                found.append(problems_where(frame, col > now, where(name), col, "date is in the future"))
            found.append(problems_where(frame, col.dt.year() < 1900, where(name), col, "date is before 1900"))
    for rule in _rules():
        derived_only = not any(n in sources for n in rule.needs)  # its source's own checks already spoke
        if all(n in frame.columns for n in rule.needs) and not derived_only:
            mask = rule.violated.fill_null(False)
            found.append(problems_where(frame, mask, where(rule.blame), pl.col(rule.blame), rule.reason))
    found = [f for f in found if f.height]
    return pl.concat(found) if found else pl.DataFrame(schema=PROBLEM_SCHEMA)
