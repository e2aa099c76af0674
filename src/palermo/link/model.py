"""The Splink model of a person: comparisons, blocking rules and training design.

Only columns that hold values in the data get a comparison, so the same model serves a shelter's
list of names and birth dates and a police file with phones and passports. Comparisons:

* names: exact (term-frequency adjusted), swapped given/family, the same words in any order,
  Jaro-Winkler on both, the same phonetic key (catches transliterations), then family or given
  name alone (term-frequency adjusted);
* birth: exact date, one typo, same year (or year only known), else;
* phone, e-mail, document, bank account, postcode, city: exact (phones term-frequency adjusted, so
  a recruiter's phone given by many victims weighs less); document also with one typo; address by
  Jaro-Winkler; sex and citizenship exact.

Training design (the 1M-record target rests on it): u by random sampling, the prior from
deterministic rules, m by EM on a random sample of at most ``training_records`` records with two
blocking rules (on name, which trains everything but names, and on birth date, which trains names),
so training cost does not grow with the data. Prediction then runs once over all records.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import polars as pl
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator, block_on
from splink.internals.blocking_rule_creator import BlockingRuleCreator
from splink.internals.comparison_creator import ComparisonCreator


def _present(frame: pl.DataFrame, column: str) -> bool:
    return column in frame.columns and frame[column].null_count() < frame.height


def _name_comparison() -> ComparisonCreator:
    given, family = "given", "family"
    return cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.Or(cll.NullLevel("name_key"), cll.NullLevel("given")),
            cll.ExactMatchLevel("full_name").configure(tf_adjustment_column="full_name"),
            cll.ColumnsReversedLevel(given, family, symmetrical=True),
            cll.ExactMatchLevel("name_sorted"),
            cll.And(cll.JaroWinklerLevel(given, 0.92), cll.JaroWinklerLevel(family, 0.92)),
            cll.ExactMatchLevel("name_key"),
            cll.And(cll.JaroWinklerLevel(given, 0.8), cll.JaroWinklerLevel(family, 0.8)),
            cll.ExactMatchLevel(family).configure(tf_adjustment_column=family),
            cll.ExactMatchLevel(given).configure(tf_adjustment_column=given),
            cll.ElseLevel(),
        ],
    )


def _birth_comparison() -> ComparisonCreator:
    return cl.CustomComparison(
        output_column_name="birth",
        comparison_levels=[
            cll.NullLevel("birth_year"),
            cll.ExactMatchLevel("birth_date"),
            cll.DamerauLevenshteinLevel("birth_date", 1),
            cll.And(cll.ExactMatchLevel("birth_year"), cll.NullLevel("birth_date")).configure(
                label_for_charts="Same birth year, a full date missing"
            ),
            cll.ExactMatchLevel("birth_year"),
            cll.ElseLevel(),
        ],
    )


def comparisons_for(frame: pl.DataFrame) -> list[ComparisonCreator]:
    """The comparisons that fit the columns holding values in ``frame`` (a prepared person frame)."""
    out: list[ComparisonCreator] = []
    if _present(frame, "name_key"):
        out.append(_name_comparison())
    if _present(frame, "birth_year"):
        out.append(_birth_comparison())
    if _present(frame, "phone"):
        out.append(cl.ExactMatch("phone").configure(term_frequency_adjustments=True))
    if _present(frame, "email"):
        out.append(cl.ExactMatch("email"))
    if _present(frame, "document"):
        out.append(cl.DamerauLevenshteinAtThresholds("document", [1]))
    if _present(frame, "bank_account"):
        out.append(cl.ExactMatch("bank_account"))
    if _present(frame, "address"):
        out.append(cl.JaroWinklerAtThresholds("address", [0.9, 0.8]))
    if _present(frame, "postcode"):
        out.append(cl.ExactMatch("postcode"))
    if _present(frame, "city"):
        out.append(cl.ExactMatch("city").configure(term_frequency_adjustments=True))
    if _present(frame, "citizenship"):
        out.append(cl.ExactMatch("citizenship"))
    if _present(frame, "sex"):
        out.append(cl.ExactMatch("sex"))
    return out


@dataclass(frozen=True)
class BlockingKey:
    """One candidate-pair rule: records agreeing on every part are compared (a part may be a prefix)."""

    parts: tuple[tuple[str, int | None], ...]

    def splink(self) -> BlockingRuleCreator:
        """The rule for Splink (``substr`` works on every backend)."""
        return block_on(*(f"substr({column}, 1, {n})" if n else column for column, n in self.parts))

    def expressions(self) -> list[pl.Expr]:
        """The same key as polars expressions."""
        return [pl.col(column).str.slice(0, n) if n else pl.col(column) for column, n in self.parts]

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns the rule reads."""
        return tuple(column for column, _ in self.parts)


CANDIDATE_KEYS = tuple(
    BlockingKey(parts)
    for parts in (
        (("phone", None),),
        (("document", None),),
        (("email", None),),
        (("bank_account", None),),
        (("name_key", None), ("birth_year", None)),
        (("birth_date", None), ("given_ph", 1)),
        (("birth_date", None), ("family_ph", 1)),
        (("family_ph", None), ("given", 1)),
        (("name_key", None), ("postcode", None)),
        (("name_key", None), ("city", None)),
        (("birth_date", None), ("citizenship", None)),
        (("birth_date", None),),
        (("name_key", None),),
        (("given_ph", None), ("birth_year", None)),
        (("family_ph", None), ("birth_year", None)),
    )
)
"""Rules in order of preference: identifiers, names with birth, then loose keys only small data can afford."""
PAIRS_PER_RECORD = 20
"""Budget of candidate pairs all rules together may make, per record (at least MIN_PAIR_BUDGET)."""
MIN_PAIR_BUDGET = 2_000_000


def pairs_of(frame: pl.DataFrame, key: BlockingKey) -> int:
    """How many pairs ``key`` makes within ``frame`` (records with a null part make none)."""
    sizes = (
        frame.select(key.expressions())
        .drop_nulls()
        .group_by(pl.all())
        .len()
        .select((pl.col("len").cast(pl.Int64) * (pl.col("len") - 1) // 2).sum())
        .item()
    )
    return int(sizes or 0)


def blocking_keys_for(frame: pl.DataFrame, budget_per_record: int = PAIRS_PER_RECORD) -> list[BlockingKey]:
    """The candidate rules whose columns hold values, in order of preference, while their pairs fit the budget.

    A rule is kept only if the pairs of the rules kept so far plus its own stay within
    ``budget_per_record`` pairs per record (counted exactly, per rule), so a million records with
    common names do not explode into billions of pairs while small, messy data still gets the loose
    rules that find the most links.
    """
    budget = max(MIN_PAIR_BUDGET, budget_per_record * frame.height)
    kept: list[BlockingKey] = []
    spent = 0
    for key in CANDIDATE_KEYS:
        if not all(_present(frame, column) for column in key.columns):
            continue
        pairs = pairs_of(frame, key)
        if spent + pairs <= budget:
            kept.append(key)
            spent += pairs
    return kept


def blocking_rules_for(frame: pl.DataFrame) -> list[BlockingRuleCreator | dict[str, Any]]:
    """Splink prediction rules for ``frame`` (see :func:`blocking_keys_for`)."""
    return [key.splink() for key in blocking_keys_for(frame)]


def deterministic_rules_for(frame: pl.DataFrame) -> list[str | BlockingRuleCreator]:
    """Rules that almost surely mean the same person, used to estimate the prior match probability."""
    rules: list[str | BlockingRuleCreator] = []
    if _present(frame, "name_key") and _present(frame, "birth_date"):
        rules.append("l.name_key = r.name_key and l.birth_date = r.birth_date")
    if _present(frame, "document"):
        rules.append("l.document = r.document")
    if _present(frame, "email"):
        rules.append("l.email = r.email")
    return rules or ["l.full_name = r.full_name"]


def training_rules_for(frame: pl.DataFrame) -> list[BlockingRuleCreator]:
    """EM blocking rules, strongest first, so that every comparison is trained by a block that leaves it free.

    Pairs agreeing on a name and birth year (or on a phone, a document) are mostly true matches, which
    keeps EM from settling on a spurious class (all pairs of one citizenship, say); the birth-date
    block then trains the name comparison.
    """
    rules: list[BlockingRuleCreator] = []
    if _present(frame, "name_key") and _present(frame, "birth_year"):
        rules.append(block_on("name_key", "birth_year"))
    for column in ("phone", "document", "email"):
        if _present(frame, column):
            rules.append(block_on(column))
    if _present(frame, "birth_date"):
        rules.append(block_on("birth_date"))
    if not rules and _present(frame, "name_key"):
        rules.append(block_on("name_key"))
    return rules


LinkType = Literal["dedupe_only", "link_only", "link_and_dedupe"]


def settings_for(
    frame: pl.DataFrame, link_type: LinkType = "dedupe_only", extra_comparisons: Sequence[ComparisonCreator] = ()
) -> SettingsCreator:
    """Splink settings for a prepared person frame."""
    return SettingsCreator(
        link_type=link_type,
        comparisons=[*comparisons_for(frame), *extra_comparisons],
        blocking_rules_to_generate_predictions=[*blocking_rules_for(frame)],
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=True,
    )
