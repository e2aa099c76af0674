"""The person frame linkage works on: one row per record, identifying values normalised.

Input columns (all optional except ``unique_id``; any may be null): ``source_dataset`` (who holds
the record), ``given_name``, ``family_name``, ``full_name`` (used where given/family are missing),
``alias``, ``birth_date`` (ISO or date), ``birth_year``, ``sex``, ``citizenship``, ``phone``,
``email``, ``document`` (passport or identity number), ``bank_account``, ``address``, ``postcode``,
``city``, ``phone_region`` (country to read local phone numbers in).

Output: the columns :data:`LINK_COLUMNS`, all strings, ready for the Splink model and for encoding.
"""

from __future__ import annotations

import polars as pl

from ..errors import InputError
from .normalise import (
    address_series,
    document_series,
    email_series,
    name_series,
    phone_series,
    phonetic_series,
)

INPUT_COLUMNS = (
    "unique_id", "source_dataset", "given_name", "family_name", "full_name", "alias", "birth_date",
    "birth_year", "sex", "citizenship", "phone", "email", "document", "bank_account", "address",
    "postcode", "city", "phone_region",
)
LINK_COLUMNS = (
    "unique_id", "source_dataset", "given", "family", "full_name", "name_sorted", "name_key", "given_ph",
    "family_ph", "alias", "birth_date", "birth_year", "sex", "citizenship", "phone", "email", "document",
    "bank_account", "address", "postcode", "city",
)
"""Columns of a prepared person frame (strings; ``name_key`` is the swap-proof phonetic key of all names)."""


def identifier_series(kind: str, values: pl.Series, region: pl.Series | None = None) -> pl.Series:
    """One identifier column normalised as :func:`prepare_persons` does (``phone`` reads ``region``)."""
    if kind == "phone":
        return phone_series(values, region)
    if kind == "email":
        return email_series(values)
    if kind in ("document", "bank_account"):
        return document_series(values)
    raise InputError(f"unknown identifier kind {kind!r}", column=kind)


def _sorted_words(column: str) -> pl.Expr:
    return pl.col(column).str.split(" ").list.sort().list.join(" ")


def prepare_persons(frame: pl.DataFrame) -> pl.DataFrame:
    """Normalise a frame of person records (see the module docstring) into :data:`LINK_COLUMNS`."""
    if "unique_id" not in frame.columns:
        raise InputError("person records need a unique_id column", column="unique_id")
    if frame["unique_id"].null_count() or frame["unique_id"].n_unique() != frame.height:
        raise InputError("unique_id must be present and unique in every record", column="unique_id")
    raw = frame.with_columns(
        pl.lit(None, dtype=pl.Utf8).alias(name) for name in INPUT_COLUMNS if name not in frame.columns
    ).with_columns(pl.col(name).cast(pl.Utf8) for name in INPUT_COLUMNS)
    given = name_series(raw["given_name"])
    family = name_series(raw["family_name"])
    full = name_series(raw["full_name"])
    names = pl.DataFrame({"given": given, "family": family, "full": full}).with_columns(
        # A lone full name: its first word as given name, the rest as family name (order is
        # checked both ways by the comparison, so a family-first custom costs nothing).
        pl.when(pl.col("given").is_null() & pl.col("family").is_null() & pl.col("full").is_not_null())
        .then(pl.col("full").str.split(" ").list.first())
        .otherwise(pl.col("given"))
        .alias("given"),
        pl.when(pl.col("given").is_null() & pl.col("family").is_null() & pl.col("full").is_not_null())
        .then(pl.col("full").str.split(" ").list.slice(1).list.join(" "))
        .otherwise(pl.col("family"))
        .alias("family"),
    ).with_columns(
        pl.when(pl.col("family") == "").then(None).otherwise(pl.col("family")).alias("family"),
    ).with_columns(
        pl.concat_str([pl.col("given"), pl.col("family")], separator=" ", ignore_nulls=True).alias("full_name"),
    )
    names = names.with_columns(
        _sorted_words("full_name").alias("name_sorted"),
        phonetic_series(names["given"]).alias("given_ph"),
        phonetic_series(names["family"]).alias("family_ph"),
        phonetic_series(names["full_name"]).alias("full_ph"),
    ).with_columns(_sorted_words("full_ph").alias("name_key"))
    birth_date = raw["birth_date"].str.slice(0, 10)
    birth_date = pl.Series(
        "birth_date", birth_date.str.to_date("%Y-%m-%d", strict=False).cast(pl.Utf8), dtype=pl.Utf8
    )
    birth_year = (
        pl.DataFrame({"y": raw["birth_year"], "d": birth_date})
        .select(pl.coalesce(pl.col("d").str.slice(0, 4), pl.col("y").str.extract(r"(\d{4})")))
        .to_series()
    )
    out = pl.DataFrame(
        {
            "unique_id": raw["unique_id"],
            "source_dataset": raw["source_dataset"],
            "given": names["given"],
            "family": names["family"],
            "full_name": names["full_name"],
            "name_sorted": names["name_sorted"],
            "name_key": names["name_key"],
            "given_ph": names["given_ph"],
            "family_ph": names["family_ph"],
            "alias": name_series(raw["alias"]),
            "birth_date": birth_date,
            "birth_year": birth_year,
            "sex": raw["sex"].str.strip_chars().str.to_lowercase(),
            "citizenship": raw["citizenship"].str.strip_chars().str.to_uppercase(),
            "phone": identifier_series("phone", raw["phone"], raw["phone_region"]),
            "email": identifier_series("email", raw["email"]),
            "document": identifier_series("document", raw["document"]),
            "bank_account": identifier_series("bank_account", raw["bank_account"]),
            "address": address_series(raw["address"]),
            "postcode": raw["postcode"].str.replace_all(r"\s+", "").str.to_uppercase(),
            "city": name_series(raw["city"]),
        }
    )
    return out.with_columns(
        pl.when(pl.col(name).str.len_chars() == 0).then(None).otherwise(pl.col(name)).alias(name)
        for name in LINK_COLUMNS[1:]
    )
