"""The person records of the store as linkage input: identity fields with sex, citizenship and holder.

Reads ``person_identity`` joined to its case (sex, citizenship) and organisation (name, country: the
country a local phone number was written in). Column names follow :mod:`palermo.link.persons`.
"""

from __future__ import annotations

import polars as pl
from sqlalchemy import String, cast, select
from sqlalchemy.sql import Select

from ..store.arrow_read import read_arrow
from ..store.db import Store
from ..store.schema import case_record, organisation, person_identity
from .persons import prepare_persons

_ident = person_identity.c
_case = case_record.c


def _query() -> Select[tuple[object, ...]]:
    return (
        select(
            cast(_ident.id, String).label("unique_id"),
            organisation.c.name.label("source_dataset"),
            cast(_ident.org_id, String).label("org_id"),
            organisation.c.country.label("phone_region"),
            _ident.prs_first_name.label("given_name"),
            _ident.prs_second_name.label("family_name"),
            _ident.prs_alias.label("alias"),
            cast(_ident.prs_birthdate, String).label("birth_date"),
            cast(_ident.prs_birth_year, String).label("birth_year"),
            _case.prs_gender.label("sex"),
            _case.prs_citizenship.label("citizenship"),
            _ident.prs_mobile_phone.label("phone"),
            _ident.prs_home_phone.label("home_phone"),
            _ident.prs_email.label("email"),
            _ident.prs_passport_number.label("document"),
            _ident.prs_identity_number.label("identity_number"),
            _ident.prs_bank_account.label("bank_account"),
            _ident.prs_mailing_street.label("address"),
            _ident.prs_mailing_postal_code.label("postcode"),
            _ident.prs_mailing_city.label("city"),
        )
        .select_from(
            person_identity.join(
                case_record,
                (case_record.c.batch_id == _ident.batch_id) & (case_record.c.source_row == _ident.source_row),
            ).join(organisation, organisation.c.id == _ident.org_id)
        )
        .order_by(_ident.id)
    )


def _combined(frame: pl.DataFrame) -> pl.DataFrame:
    frame = frame.with_columns(pl.all().cast(pl.Utf8))
    return frame.with_columns(
        pl.coalesce("phone", "home_phone").alias("phone"),
        pl.coalesce("document", "identity_number").alias("document"),
    ).drop("home_phone", "identity_number")


def read_person_records(store: Store) -> pl.DataFrame:
    """Every stored person record in the input layout of :func:`palermo.link.persons.prepare_persons`."""
    return _combined(read_arrow(store, _query()))


def read_person_records_by_id(store: Store, ids: list[int]) -> pl.DataFrame:
    """The person records with these ``person_identity`` ids (bound parameters; for small lookups)."""
    query = _query().where(_ident.id.in_(ids))
    with store.engine.connect() as conn:
        result = conn.execute(query)
        names = list(result.keys())
        rows = result.all()
    frame = pl.DataFrame(rows, schema={name: pl.Utf8 for name in names}, orient="row")
    return _combined(frame)


def stored_persons(store: Store) -> pl.DataFrame:
    """The store's person records, normalised for linkage (see :data:`palermo.link.persons.LINK_COLUMNS`)."""
    return prepare_persons(read_person_records(store))
