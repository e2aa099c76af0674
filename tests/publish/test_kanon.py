"""k-anonymous microdata: every released class has k records, rare values never leak, suppression is capped."""

from __future__ import annotations

import random

import polars as pl
import pytest

from palermo.publish.hierarchy import COUNTRY, WITHHELD, YEAR, generalise_column
from palermo.publish.kanon import DEFAULT_QUASI_IDENTIFIERS, KAnonResult, anonymise

QIS = list(DEFAULT_QUASI_IDENTIFIERS)
BANDS = ["0--8", "9--17", "18--20", "21--23", "24--26", "27--29", "30--38", "39--47", "48+", None]
COUNTRIES = ["PH", "UA", "MD", "US", "KH", "ID", "TH", "MM", "RU", "NG", "GH", "BR", "FR", None]
FORMS = ["SexualExploitation", "ForcedLabour", "Other", "ForcedMarriage", "ChildLabour;ForcedLabour", None]


def make_cases(n: int, seed: int = 1) -> pl.DataFrame:
    """Skewed random cases over the default quasi-identifiers, with a tail of rare values."""
    rng = random.Random(seed)

    def pick(values: list[str | None]) -> list[str | None]:
        weights = [1 / (i + 1) ** 1.5 for i in range(len(values))]
        return rng.choices(values, weights, k=n)

    return pl.DataFrame(
        {
            "cas_registration_year": [rng.choice(range(2005, 2025)) for _ in range(n)],
            "prs_gender": pick(["Feminine", "Masculine", "NonConforming", None]),
            "vic_age_band": pick(BANDS),
            "prs_citizenship": pick(COUNTRIES),
            "vic_country_of_exploitation": pick(COUNTRIES[::-1]),
            "vic_type_of_exploitation": pick(FORMS),
            "note": [f"n{i}" for i in range(n)],
        },
        schema_overrides={"cas_registration_year": pl.Int64},
    )


@pytest.fixture(scope="module")
def cases() -> pl.DataFrame:
    """5,000 synthetic cases."""
    return make_cases(5000)


@pytest.fixture(scope="module")
def result(cases: pl.DataFrame) -> KAnonResult:
    """Their 11-anonymous release."""
    return anonymise(cases, k=11)


def test_every_class_has_k_records(result: KAnonResult) -> None:
    sizes = result.released.group_by(QIS).len().get_column("len")
    assert sizes.min() is not None and int(sizes.min()) >= 11  # type: ignore[arg-type]
    assert sizes.len() == result.classes
    assert int(sizes.sum()) == result.released.height == result.rows_in - result.rows_suppressed


def test_released_values_are_generalised_originals(cases: pl.DataFrame, result: KAnonResult) -> None:
    expected = result.generalise(cases.select(QIS))[result.source_rows]
    assert result.released.select(QIS).equals(expected)
    assert result.released.columns == QIS


def test_no_rare_value_leaks_ungeneralised(cases: pl.DataFrame, result: KAnonResult) -> None:
    for column in QIS:
        text = cases.get_column(column).cast(pl.String)
        counts = text.value_counts()
        rare = counts.filter(pl.col("count") < 11).get_column(column).drop_nulls().to_list()
        released = set(result.released.get_column(column).drop_nulls().to_list())
        assert not released & set(rare), column


def test_suppressed_share_is_capped(cases: pl.DataFrame) -> None:
    for cap in (0.0, 0.01, 0.05):
        out = anonymise(cases, k=11, max_suppressed=cap)
        assert out.rows_suppressed <= cap * cases.height
        assert out.suppressed_share == out.rows_suppressed / cases.height


def test_information_loss_increases_with_k(cases: pl.DataFrame) -> None:
    runs = [anonymise(cases, k=k) for k in (2, 11, 50)]
    losses = [r.mean_loss_metric for r in runs]
    assert losses == sorted(losses) and losses[0] < losses[-1]
    assert runs[0].classes > runs[-1].classes
    for r in runs:
        assert 0.0 <= r.precision_loss <= 1.0 and r.normalised_class_size >= 1.0
        assert r.discernibility >= r.released.height * r.k


def test_generalisation_levels_are_reported(result: KAnonResult) -> None:
    summary = result.summary()
    assert summary.get_column("column").to_list() == QIS
    assert dict(zip(QIS, summary.get_column("level").to_list(), strict=True)) == result.levels
    assert any(result.levels.values())
    assert f"k = {result.k}" in " ".join(result.notes())


def test_attributes_and_seed(cases: pl.DataFrame) -> None:
    a = anonymise(cases, k=5, attributes=["note"], seed=3)
    b = anonymise(cases, k=5, attributes=["note"], seed=3)
    assert a.released.equals(b.released)
    assert a.released.get_column("note").to_list() == cases.get_column("note")[a.source_rows].to_list()


def test_withholding_everything_is_k_anonymous() -> None:
    tiny = make_cases(30, seed=7)
    out = anonymise(tiny, k=30, max_suppressed=0.0)
    assert out.rows_suppressed == 0 and out.classes == 1
    assert all(v == WITHHELD for v in out.released.row(0))


def test_invalid_arguments(cases: pl.DataFrame) -> None:
    with pytest.raises(ValueError, match="cannot be"):
        anonymise(cases.head(5), k=11)
    with pytest.raises(ValueError, match="no column"):
        anonymise(cases, quasi_identifiers=["nope"])
    with pytest.raises(ValueError, match="max_suppressed"):
        anonymise(cases, max_suppressed=1.5)


def test_hierarchies() -> None:
    years = pl.Series("y", [2016, 2017, 2019, None])
    assert generalise_column(years, YEAR, 1).to_list() == ["2016-2017", "2016-2017", "2018-2019", None]
    assert generalise_column(years, YEAR, 2).to_list() == ["2015-2019", "2015-2019", "2015-2019", None]
    assert generalise_column(years, YEAR, 3).to_list() == [WITHHELD] * 4
    countries = pl.Series("c", ["PH", "FR", None])
    assert generalise_column(countries, COUNTRY, 1).to_list() == ["South-eastern Asia", "Western Europe", None]
    assert generalise_column(countries, COUNTRY, 2).to_list() == ["Asia", "Europe", None]
