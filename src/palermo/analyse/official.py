"""Official context: UNODC's GLOTIP figures (detected victims, persons prosecuted and convicted) per country.

``data/glotip.csv`` is the UNODC Global Report on Trafficking in Persons data export, shipped
unchanged (provenance, terms and the reading of censored values in ``data/GLOTIP.md``). UNODC
publishes counts below 5 as ``"<5"``: such a value is read as the interval [0, 4] with ``censored``
true — never as 0 or 5. Exact values have ``low = high = value``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib import resources

import polars as pl

from ..standard.countries import country_code
from .model import ResultTable
from .series import COUNTRY, YEAR

CENSORED_TEXT = "<5"
CENSORED_BOUNDS = (0, 4)
"""What ``"<5"`` can be: 0 included (see GLOTIP.md for the evidence in the file itself)."""
ATTRIBUTION = (
    "Official figures: UNODC, Global Report on Trafficking in Persons data (GLOTIP), "
    "dataunodc.un.org; '<5' is a count between 0 and 4."
)
MEASURES = {
    "victims": "Detected trafficking victims",
    "prosecuted": "Persons prosecuted",
    "convicted": "Persons convicted",
}
"""Column prefix -> GLOTIP ``Indicator`` (rows with Dimension, Category, Sex and Age all ``Total``)."""
_NUMBER = r"^(\d+|\d{1,3}(,\d{3})+)$"
_SOURCE_COLUMNS = {
    "Iso3_code": "iso3", "Country": "country_name", "Region": "region", "Subregion": "subregion",
    "Indicator": "indicator", "Dimension": "dimension", "Category": "category", "Sex": "sex", "Age": "age",
    "Year": "year", "Unit of measurement": "unit", "txtVALUE": "text", "Source": "source",
}


def glotip_path() -> str:
    """Where the shipped GLOTIP export is."""
    return str(resources.files("palermo.analyse").joinpath("data/glotip.csv"))


def parse_values(text: pl.Expr) -> list[pl.Expr]:
    """``value``, ``low``, ``high``, ``censored`` from GLOTIP's ``txtVALUE`` (``"1,192"``, ``"87"``, ``"<5"``).

    Text that is neither a number nor ``"<5"`` gives nulls everywhere (there is none in the shipped file).
    """
    is_number = text.str.contains(_NUMBER)
    censored = text == CENSORED_TEXT
    value = pl.when(is_number).then(text.str.replace_all(",", "").cast(pl.Int64, strict=False))
    return [
        value.alias("value"),
        pl.when(censored).then(pl.lit(CENSORED_BOUNDS[0], pl.Int64)).otherwise(value).alias("low"),
        pl.when(censored).then(pl.lit(CENSORED_BOUNDS[1], pl.Int64)).otherwise(value).alias("high"),
        pl.when(censored | is_number).then(censored).alias("censored"),
    ]


@cache
def _read(path: str) -> pl.DataFrame:
    raw = pl.read_csv(path, infer_schema_length=0, encoding="utf8")
    frame = raw.rename(_SOURCE_COLUMNS).with_columns(pl.col("year").cast(pl.Int64))
    codes = {iso3: country_code(iso3) for iso3 in frame.get_column("iso3").drop_nulls().unique().to_list()}
    return frame.with_columns(
        pl.col("iso3").replace_strict(codes, default=None, return_dtype=pl.String).alias("country"),
        *parse_values(pl.col("text")),
        # 120 rows (Pakistan and Sierra Leone, convictions by citizenship) carry questionnaire cell codes
        # such as "Q6.1_21s_2020" as category, and values that merely repeat those codes' digits.
        pl.col("category").str.contains(r"^Q\d+\.\d+_").alias("suspect"),
    )


def read_glotip(path: str | None = None) -> pl.DataFrame:
    """Every row of the GLOTIP export, with the source columns renamed to snake case and parsed values.

    Adds ``country`` (ISO alpha-2 from ``Iso3_code``; null for Sark, which has no ISO code),
    ``value``/``low``/``high``/``censored`` (see :func:`parse_values`) and ``suspect`` (rows whose
    category is a questionnaire code, not a citizenship).
    """
    return _read(path or glotip_path())


def official_frame(countries: Sequence[str] | None = None, path: str | None = None) -> pl.DataFrame:
    """Per ``country, year``: ``<measure>``, ``<measure>_low``, ``<measure>_high``, ``<measure>_censored``."""
    rows = read_glotip(path).filter(
        pl.col("indicator").is_in(list(MEASURES.values())),
        pl.col("dimension") == "Total", pl.col("category") == "Total",
        pl.col("sex") == "Total", pl.col("age") == "Total",
        pl.col("country").is_not_null(),
    )
    if countries is not None:
        wanted = [code for c in countries if (code := country_code(c)) is not None]
        rows = rows.filter(pl.col("country").is_in(wanted))
    keys = rows.select("country", "year").unique()
    for prefix, indicator in MEASURES.items():
        part = rows.filter(pl.col("indicator") == indicator).select(
            "country", "year",
            pl.col("value").alias(prefix), pl.col("low").alias(f"{prefix}_low"),
            pl.col("high").alias(f"{prefix}_high"), pl.col("censored").alias(f"{prefix}_censored"),
        )
        keys = keys.join(part, on=["country", "year"], how="left")
    return keys.sort("country", "year")


FIGURES = tuple(f"{p}{s}" for p in MEASURES for s in ("", "_low", "_high", "_censored"))


def official_context(countries: list[str] | None = None) -> ResultTable:
    """UNODC's detected victims, persons prosecuted and persons convicted per country and year.

    ``countries``: codes or names (any form :func:`country_code` reads); None for every country.
    A censored figure (``"<5"``) has a null value, ``low`` 0, ``high`` 4 and ``censored`` true.
    """
    return ResultTable(
        name="official_context",
        title="Official figures: detected victims, prosecutions and convictions (UNODC)",
        frame=official_frame(countries),
        dims=("country", "year"),
        counts=(),
        figures=FIGURES,
        margins=(),
        section="Official context",
        description="Totals reported by each country to UNODC for the Global Report on Trafficking in Persons.",
        notes=(ATTRIBUTION, "UNODC suppressed counts below 5 before publishing them."),
    )


def official_beside_cases(cases: pl.DataFrame, countries: list[str] | None = None) -> ResultTable:
    """The official figures beside the pooled cases per country of exploitation and year.

    Countries default to those of exploitation in ``cases``; a year that only one side covers has
    nulls on the other (pooled ``cases`` is 0 for a covered country without cases that year).
    """
    pooled = (
        cases.lazy()
        .select(pl.col(COUNTRY).alias("country"), pl.col(YEAR).cast(pl.Int64).alias("year"))
        .drop_nulls()
        .group_by("country", "year")
        .agg(pl.len().cast(pl.Int64).alias("cases"))
        .collect()
    )
    if countries is None:
        countries = pooled.get_column("country").unique().sort().to_list()
    else:
        codes = [code for c in countries if (code := country_code(c)) is not None]
        pooled = pooled.filter(pl.col("country").is_in(codes))
        countries = codes
    official = official_frame(countries)
    frame = pooled.join(official, on=["country", "year"], how="full", coalesce=True)
    years = cases.get_column(YEAR).drop_nulls()
    if not years.is_empty():
        covered = pl.col("year").is_between(int(years.min()), int(years.max()))  # type: ignore[arg-type]
        frame = frame.with_columns(pl.when(covered).then(pl.col("cases").fill_null(0)).alias("cases"))
    table = official_context(countries)
    return ResultTable(
        name="official_beside_cases",
        title="Pooled cases beside the official figures (UNODC)",
        frame=frame.select("country", "year", "cases", *FIGURES).sort("country", "year"),
        dims=("country", "year"),
        counts=("cases",),
        figures=FIGURES,
        margins=(),
        section=table.section,
        description="Cases pooled here per country of exploitation and registration year, beside what each "
        "country reported to UNODC (detected victims, persons prosecuted, persons convicted).",
        notes=table.notes,
    )
