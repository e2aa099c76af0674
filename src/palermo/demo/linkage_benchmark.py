"""A generated person-linkage benchmark with known truth, from a few thousand to millions of records.

``person_records`` draws fictitious people (citizenship, sex, age and route from the case simulation;
names, phone, passport, bank account, e-mail and alias from ``people.make_identity``) and writes
each one as the demo organisations would, with their ``Style`` and ``people.render_*``: native
scripts, other transliterations, swapped name order, typos, capitals, a missing birth date or the
year only, local or international phone formats. A share of people is known to 2-4 organisations,
a few twice to one, and some victims give their recruiter's phone, so one number belongs to several
people. ``person_id`` is the truth and ``true_pairs`` lists the matching record pairs. All data are
fictitious; the same seed gives the same records.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
import phonenumbers
import polars as pl

from .cases import COUNTRIES, IntArray, simulate_cases
from .orgs import ORGANISATIONS, PLANS
from .people import (
    Identity,
    Style,
    _mobile,
    birth_date,
    full_name,
    make_identity,
    render_bank,
    render_birth,
    render_name,
    render_passport,
    render_phone,
)

__all__ = ["COLUMNS", "RECORDS_FILE", "person_records", "true_pairs", "write_benchmark"]

COLUMNS = ("record_id", "person_id", "org", "given_name", "family_name", "full_name", "alias", "birth_date",
           "birth_year", "sex", "citizenship", "phone", "email", "passport", "bank_account", "city")
"""Columns of the benchmark records (all strings, nullable)."""
RECORDS_FILE = "linkage_records.csv"
EXTRA_ORGS_P = (0.6, 0.3, 0.1)
"""Chance that a person known to several organisations is known to 2, 3 or 4 of them."""
DUPLICATE_SHARE = 0.03
"""Share of people registered twice by the same organisation."""
RECRUITED_SHARE = 0.08
"""Share of people whose recruiter also recruited others (2-6 victims per recruiter)."""
RECRUITER_PHONE_P = 0.4
"""Chance that a record of a recruited person holds the recruiter's phone instead of the person's."""
FIRST_YEAR = 2010
"""First year of registration (ages and birth dates follow from it)."""
_FULL_CELL = (0.5, 0.0, 0.1, 0.3, 0.6)
"""By demo organisation: chance that a record has a "Full name" cell."""
_OTHER_CITIES = ("București", "Iași", "Constanța", "Timișoara", "Cluj-Napoca")
"""Cities of organisations whose plan lists none (the Romanian registry)."""
_CHUNK = 40_000
"""People rendered at a time; bounds the Python objects alive at once."""


@dataclass(frozen=True)
class _Org:
    """One benchmark organisation: a demo organisation, repeated with a number beyond the fifth."""

    name: str
    prefix: str
    country: str
    style: Style
    cities: tuple[str, ...]
    neighbours: tuple[str, ...]
    share: float
    full_cell: float


def _organisations(n: int) -> list[_Org]:
    out = []
    for k in range(n):
        org = ORGANISATIONS[k % len(ORGANISATIONS)]
        plan, again = PLANS[org.name], k // len(ORGANISATIONS)
        out.append(_Org(f"{org.name} {again + 1}" if again else org.name,
                        f"{plan.prefix}{again + 1}" if again else plan.prefix, org.country, plan.style,
                        plan.cities or _OTHER_CITIES, plan.neighbours, plan.share,
                        _FULL_CELL[k % len(ORGANISATIONS)]))
    return out


def _fast_mobile(r: random.Random, region: str) -> str | None:
    """A valid mobile number of ``region``: one of a pool of valid numbers with its last digits drawn afresh.

    ``people._mobile`` validates every number, too slow for a million people; here only the pool
    and samples of redrawn numbers are validated.
    """
    bases, digits = _phone_pool(region)
    return _redraw(r, r.choice(bases), digits) if bases else None


@cache
def _phone_pool(region: str) -> tuple[tuple[str, ...], int]:
    """Valid numbers of ``region`` and how many last digits of each can be redrawn (the same for every seed)."""
    r = random.Random(region)
    bases = _valid(r, region, 16)
    good, digits = bases, 0
    for digits in (7, 6, 5, 4, 3):
        good = [b for b in bases if _redraws_valid(r, b, digits)]
        if len(good) * 2 >= len(bases):
            break
    more = _valid(r, region, min(16 * 10 ** (7 - digits), 64) - 16) if bases else []  # more where fewer digits
    return (*(good or bases), *(b for b in more if _redraws_valid(r, b, digits))), digits


def _valid(r: random.Random, region: str, n: int) -> list[str]:
    numbers = (_mobile(r, region) for _ in range(n))
    return [x for x in numbers if x and phonenumbers.is_valid_number(phonenumbers.parse(x))]


def _redraws_valid(r: random.Random, e164: str, digits: int) -> bool:
    return all(phonenumbers.is_valid_number(phonenumbers.parse(_redraw(r, e164, digits))) for _ in range(20))


def _redraw(r: random.Random, e164: str, digits: int) -> str:
    return e164[:-digits] + str(r.randrange(10**digits)).zfill(digits)


@dataclass(frozen=True)
class _People:
    """Attributes of every person (one element each) and of every record (sorted by person)."""

    citizenship: IntArray
    """Index into COUNTRIES, as is ``exploited_in``."""
    exploited_in: IntArray
    female: npt.NDArray[np.bool_]
    age: IntArray
    registered: npt.NDArray[np.datetime64]
    """First registration date (the age is the age then)."""
    rec_person: IntArray
    rec_org: IntArray
    rec_recruiter: IntArray
    """Recruiter whose phone the record holds, or -1."""
    recruiter_region: IntArray


def _draw_people(rng: np.random.Generator, orgs: list[_Org], n_people: int, share_multi: float) -> _People:
    """Who each person is, which organisations record them and whose phone each record holds."""
    shares = np.array([o.share for o in orgs])
    counts = rng.multinomial(n_people, shares / shares.sum())
    home = np.repeat(np.arange(len(orgs)), counts)
    parts = [simulate_cases(int(c), rng, focus=o.country, first_year=FIRST_YEAR)
             for o, c in zip(orgs, counts, strict=True)]
    cit, exp = np.concatenate([p.citizenship for p in parts]), np.concatenate([p.exploited_in for p in parts])
    gender = np.concatenate([p.gender for p in parts])
    female = (gender == 0) | ((gender == 2) & (rng.random(n_people) < 0.5))
    year, day = np.concatenate([p.year for p in parts]), np.concatenate([p.day for p in parts])
    registered = (year - 1970).astype("datetime64[Y]").astype("datetime64[D]") + day

    # other organisations: mostly those on the person's route (country of origin or exploitation, neighbours)
    country = np.array([COUNTRIES.index(o.country) if o.country in COUNTRIES else -1 for o in orgs])
    fits = (cit[:, None] == country) | (exp[:, None] == country)
    for k, o in enumerate(orgs):
        fits[:, k] |= np.isin(cit, [COUNTRIES.index(c) for c in o.neighbours])
    extra = 1 + rng.choice(len(EXTRA_ORGS_P), size=n_people, p=EXTRA_ORGS_P)
    extra = np.minimum(np.where(rng.random(n_people) < share_multi, extra, 0), len(orgs) - 1)
    keys = rng.random((n_people, len(orgs))) + 0.6 * fits
    keys[np.arange(n_people), home] = -1.0
    ranked = np.argsort(-keys, axis=1)
    take = np.arange(len(orgs))[None, :] < extra[:, None]
    twice = np.flatnonzero(rng.random(n_people) < DUPLICATE_SHARE)
    rec_person = np.concatenate([np.arange(n_people), np.nonzero(take)[0], twice])
    rec_org = np.concatenate([home, ranked[take], home[twice]])
    order = np.argsort(rec_person, kind="stable")
    rec_person, rec_org = rec_person[order], rec_org[order]

    # recruiters: victims with the same country of exploitation, 2-6 each
    recruited = np.flatnonzero(rng.random(n_people) < RECRUITED_SHARE)
    recruited = recruited[np.lexsort((rng.random(len(recruited)), exp[recruited]))]
    group = np.repeat(np.arange(len(recruited)), rng.integers(2, 7, len(recruited)))[: len(recruited)]
    recruiter = np.full(n_people, -1)
    recruiter[recruited] = group
    starts = np.searchsorted(group, np.arange(group[-1] + 1 if len(group) else 0))
    gives = (recruiter[rec_person] >= 0) & (rng.random(len(rec_person)) < RECRUITER_PHONE_P)
    return _People(cit, exp, female, np.concatenate([p.age for p in parts]), registered, rec_person, rec_org,
                   np.where(gives, recruiter[rec_person], -1), exp[recruited[starts]])


Row = tuple[str | None, ...]


def _row(r: random.Random, p: Identity, org: _Org, phone: str | None) -> Row:
    """``p`` as ``org`` writes them (COLUMNS after record_id); ``phone`` is the E.164 number they gave."""
    style = org.style
    given, family = render_name(r, p, style)
    full = None
    u = r.random()
    if u < org.full_cell:
        full = full_name(r, p, given, family)
        if r.random() < 0.4:  # only the full-name cell filled in
            given = family = ""
    elif family and u > 0.95:  # the whole name typed into the given-name column
        given, family = full_name(r, p, given, family), ""
    birth = render_birth(r, p.birth, style)
    year = birth if isinstance(birth, int) else None if birth is None else birth.year
    return (
        p.person_id, org.name, given or None, family or None, full,
        p.alias if p.alias and r.random() < 0.7 else None,
        birth.isoformat() if isinstance(birth, date) else None,
        None if year is None else str(year),
        ("Masculine", "Feminine")[p.female] if r.random() > 0.02 else None,
        p.citizenship if r.random() > 0.05 else None,
        render_phone(r, phone, org.country, style),
        p.email if r.random() < 0.7 else None,
        render_passport(r, p.passport, style),
        render_bank(r, p.bank, style),
        r.choice(org.cities) if r.random() < 0.5 else None,
    )


def _render(
    r: random.Random, people: _People, orgs: list[_Org], recruiter_phones: list[str | None],
    lo: int, hi: int,
) -> pl.DataFrame:
    """The records of people ``lo`` to ``hi - 1``: their identities drawn, then written by each organisation."""
    cit, exp, female, age, registered = (a[lo:hi].tolist() for a in (
        people.citizenship, people.exploited_in, people.female, people.age, people.registered))
    persons = [
        make_identity(r, f"P{lo + i + 1:07d}", COUNTRIES[c], f, birth_date(r, d, a), COUNTRIES[e], mobile=_fast_mobile)
        for i, (c, e, f, a, d) in enumerate(zip(cit, exp, female, age, registered, strict=True))
    ]
    first, last = np.searchsorted(people.rec_person, [lo, hi])
    records = zip(people.rec_person[first:last].tolist(), people.rec_org[first:last].tolist(),
                  people.rec_recruiter[first:last].tolist(), strict=True)
    rows = [_row(r, persons[k - lo], orgs[o], recruiter_phones[g] if g >= 0 else persons[k - lo].phone)
            for k, o, g in records]
    return pl.DataFrame(rows, schema=dict.fromkeys(COLUMNS[1:], pl.String), orient="row")


def person_records(
    n_records: int, *, seed: int = 0, organisations: int = 5, share_multi: float = 0.3
) -> pl.DataFrame:
    """About ``n_records`` records of fictitious people as ``organisations`` organisations wrote them.

    ``share_multi`` of the people are known to 2-4 organisations (as many as there are), 3% twice to
    one. Columns: COLUMNS, all strings; ``person_id`` is the truth; ``birth_year`` is set whenever
    the year is known, ``birth_date`` (ISO) only when the whole date is. Sorted by ``record_id``
    (organisation prefix and a number in random order). The same arguments give the same frame.
    """
    if n_records < 1 or organisations < 1 or not 0 <= share_multi <= 1:
        raise ValueError("need n_records >= 1, organisations >= 1 and 0 <= share_multi <= 1")
    orgs = _organisations(organisations)
    rng = np.random.default_rng(seed)
    r = random.Random(int(rng.integers(2**63)))
    extra = share_multi * sum(p * min(k + 1, organisations - 1) for k, p in enumerate(EXTRA_ORGS_P))
    n_people = max(1, round(n_records / (1 + extra + DUPLICATE_SHARE)))
    people = _draw_people(rng, orgs, n_people, share_multi)
    recruiter_phones = [_fast_mobile(r, COUNTRIES[c]) for c in people.recruiter_region.tolist()]
    frame = pl.concat([_render(r, people, orgs, recruiter_phones, lo, min(lo + _CHUNK, n_people))
                       for lo in range(0, n_people, _CHUNK)])
    prefix = pl.col("_org").replace_strict(dict(enumerate(o.prefix for o in orgs)), return_dtype=pl.String)
    number = pl.col("_key").rank("ordinal").over("_org").cast(pl.String).str.zfill(7)
    return (frame.with_columns(_org=pl.Series(people.rec_org), _key=pl.Series(rng.random(frame.height)))
            .with_columns(record_id=pl.format("{}-{}", prefix, number))
            .sort("record_id").select(COLUMNS))


def true_pairs(records: pl.DataFrame) -> pl.DataFrame:
    """Every pair of records of the same person: record_id_l < record_id_r, person_id (a self-join)."""
    ids = records.select("record_id", "person_id")
    return (ids.join(ids, on="person_id", suffix="_r")
            .filter(pl.col("record_id") < pl.col("record_id_r"))
            .select(record_id_l="record_id", record_id_r="record_id_r", person_id="person_id")
            .sort("record_id_l", "record_id_r"))


def as_person_input(records: pl.DataFrame) -> pl.DataFrame:
    """The records without their truth, in the input layout of :func:`palermo.link.persons.prepare_persons`."""
    return records.rename({"record_id": "unique_id", "org": "source_dataset", "passport": "document"}).drop(
        "person_id"
    )


def write_benchmark(out_dir: Path | str, n_records: int, seed: int = 0) -> Path:
    """Write ``person_records(n_records, seed=seed)`` to ``out_dir/linkage_records.csv`` (UTF-8); its path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / RECORDS_FILE
    person_records(n_records, seed=seed).write_csv(path)
    return path
