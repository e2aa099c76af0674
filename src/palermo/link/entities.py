"""The entities of the last linkage run as a table: records, holders, identifiers, for networks and overlaps."""

from __future__ import annotations

import polars as pl
from sqlalchemy import String, cast, select

from ..store.arrow_read import read_arrow
from ..store.db import Store
from ..store.schema import case_record, link_entity, organisation, person_identity
from .records import stored_persons


def linked_records(store: Store) -> pl.DataFrame:
    """One row per linked person record: record_key, entity_id, org, country, case_key.

    ``country`` is where the case was exploited, else the holder's country; ``case_key`` is the
    holder's case (batch and row).
    """
    ident = person_identity.c
    query = select(
        cast(ident.id, String).label("record_key"),
        link_entity.c.entity_id,
        organisation.c.name.label("org"),
        case_record.c.vic_country_of_exploitation.label("exploitation_country"),
        organisation.c.country.label("org_country"),
        cast(ident.batch_id, String).label("batch"),
        cast(ident.source_row, String).label("row"),
    ).select_from(
        link_entity.join(person_identity, person_identity.c.id == link_entity.c.person_id)
        .join(organisation, organisation.c.id == ident.org_id)
        .join(
            case_record,
            (case_record.c.batch_id == ident.batch_id) & (case_record.c.source_row == ident.source_row),
        )
    )
    frame = read_arrow(store, query).with_columns(pl.all().cast(pl.Utf8))
    return frame.select(
        "record_key",
        "entity_id",
        "org",
        pl.coalesce("exploitation_country", "org_country").alias("country"),
        pl.concat_str([pl.lit("case "), pl.col("batch"), pl.lit(":"), pl.col("row")]).alias("case_key"),
    )


def entity_table(store: Store) -> pl.DataFrame:
    """Per entity: records, number of organisations, and the holders' names; most widely held first."""
    records = linked_records(store)
    return (
        records.group_by("entity_id")
        .agg(
            pl.len().alias("records"),
            pl.col("org").n_unique().alias("organisations"),
            pl.col("org").unique().sort().str.join("; ").alias("holders"),
        )
        .sort(["organisations", "records", "entity_id"], descending=[True, True, False])
    )


def network_records(store: Store) -> pl.DataFrame:
    """Linked records with their normalised identifiers: the input of :mod:`palermo.link.network`.

    Holds raw identifiers (phones, accounts, documents): for analysts inside the platform only.
    """
    identifiers = stored_persons(store).select(
        pl.col("unique_id").alias("record_key"), "phone", "email", "bank_account",
        pl.col("document").alias("passport"), "address",
    )
    return linked_records(store).join(identifiers, on="record_key", how="left")
