"""A deterministic demo dataset: five fictitious organisations' case files, with linkage ground truth.

``write_demo_files`` writes one file per organisation in its own layout (the CTDC global dataset
CSV, the HTCDS Excel template, a shelter's own CSV and a clinic's own JSON export with their mapping
file), ``truth.csv`` (which records are the same person: about 8% of people are known to more than
one organisation, written differently at each) and ``bad_rows.csv`` (the deliberately bad rows).
All data are fictitious. The same seed gives the same bytes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from .bad import CUSTOM_BAD, HTCDS_BAD, Planted, plant_ctdc, plant_rows
from .cases import COUNTRIES, Cases, simulate_cases
from .ctdc import ctdc_frame, ctdc_from_cases, write_ctdc_csv
from .orgs import ORGANISATIONS, PLANS, DemoOrg, Layout
from .people import Identity, birth_date, make_identity
from .records import Record, Row, custom_row, htcds_row
from .writers import (
    HTCDS_FIRST_DATA_ROW,
    write_csv,
    write_custom_csv,
    write_custom_json,
    write_htcds_xlsx,
    write_mapping,
)

__all__ = ["ORGANISATIONS", "DemoFile", "DemoOrg", "Layout", "ctdc_frame", "write_ctdc_csv",
           "write_demo_files"]

OVERLAP_SHARE = 0.08
"""Share of people (at organisations holding identities) known to more than one organisation."""
TRIPLE_SHARE = 0.1
"""Among those, the share known to three organisations."""
FIRST_YEAR = 2010
"""First registration year at the organisations holding identities."""
MAPPING_FILE = "shelter_mapping.yaml"
TRUTH_FILE = "truth.csv"
BAD_ROWS_FILE = "bad_rows.csv"
_LAST_DAY = date(2024, 12, 31)


@dataclass(frozen=True)
class DemoFile:
    """One written partner file."""

    path: Path
    organisation: str
    mapping: Path | None
    """The mapping file to ingest it with; None when palermo detects the layout itself."""
    layout: Layout
    rows: int


def _first_row(layout: Layout) -> int:
    """Source row number of the first record (CSV: header is row 1; XLSX: two header rows; JSON: 1-based)."""
    return {Layout.CTDC_CSV: 2, Layout.CUSTOM_CSV: 2, Layout.HTCDS_XLSX: HTCDS_FIRST_DATA_ROW,
            Layout.CUSTOM_JSON: 1}[layout]


def _split(total: int, weights: list[float]) -> list[int]:
    """``total`` split in proportion to ``weights``, summing exactly to ``total``."""
    raw = np.array(weights) / sum(weights) * total
    counts = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - counts), kind="stable")[: total - counts.sum()]:
        counts[i] += 1
    return [int(c) for c in counts]


def _registered(cases: Cases, i: int) -> date:
    return date(int(cases.year[i]), 1, 1) + timedelta(days=int(cases.day[i]))


def _people(
    rng: np.random.Generator, r: random.Random, orgs: list[DemoOrg], n_records: int
) -> tuple[list[Identity], list[Record]]:
    """True identities and every organisation's records of them (some people at several organisations)."""
    n_people = max(1, round(n_records / (1 + OVERLAP_SHARE * (1 + TRIPLE_SHARE))))
    extra = n_records - n_people
    triples = min(round(extra * TRIPLE_SHARE / (1 + TRIPLE_SHARE)), extra // 2)
    doubles = extra - 2 * triples
    people: list[Identity] = []
    records: list[Record] = []
    for org, count in zip(orgs, _split(n_people, [PLANS[o.name].share for o in orgs]), strict=True):
        cases = simulate_cases(count, rng, focus=org.country, first_year=FIRST_YEAR)
        for i in range(count):
            when = _registered(cases, i)
            person = make_identity(
                r, f"P{len(people) + 1:06d}", COUNTRIES[cases.citizenship[i]], bool(cases.gender[i] == 0),
                birth_date(r, when, int(cases.age[i])), COUNTRIES[cases.exploited_in[i]])
            people.append(person)
            records.append(Record(person, org, when, cases, i))

    def fits(org: DemoOrg, rec: Record) -> bool:
        citizenship, exploited_in = rec.person.citizenship, COUNTRIES[rec.cases.exploited_in[rec.index]]
        return org.country in (citizenship, exploited_in) or citizenship in PLANS[org.name].neighbours

    # people met by a second organisation are mostly people whose route passes through its country
    plausible = [k for k, rec in enumerate(records) if any(fits(o, rec) for o in orgs if o != rec.org)]
    shared = r.sample(plausible, min(len(plausible), doubles + triples))
    others = sorted(set(range(len(records))) - set(shared))
    shared += r.sample(others, doubles + triples - len(shared))
    for k, first in enumerate(shared):
        base = records[first]
        seen = [base.org]
        for _ in range(2 if k < triples else 1):
            left = [o for o in orgs if o not in seen]
            org = r.choice([o for o in left if fits(o, base)] or left)
            seen.append(org)
            shift = timedelta(days=r.randint(20, 700))
            when = base.registered + shift if base.registered + shift <= _LAST_DAY else base.registered - shift
            when = max(when, date(FIRST_YEAR, 1, 1))
            referred = base.org.name if r.random() < 0.4 and when > base.registered else None
            records.append(Record(base.person, org, when, base.cases, base.index, referred))
    return people, records


def _org_rows(r: random.Random, org: DemoOrg, records: list[Record]) -> list[tuple[Row, str]]:
    """Rows of one organisation's file, in registration order, with each row's person id."""
    mine = sorted((rec for rec in records if rec.org == org), key=lambda x: (x.registered, x.person.person_id))
    out: list[tuple[Row, str]] = []
    per_year: dict[int, int] = {}
    for number, rec in enumerate(mine, start=1):
        if org.layout == Layout.HTCDS_XLSX:
            row = htcds_row(r, rec, number)
        else:
            seq = per_year[rec.registered.year] = per_year.get(rec.registered.year, 0) + 1
            row = custom_row(r, rec, f"{PLANS[org.name].prefix}-{rec.registered.year}-{seq:04d}")
        out.append((row, rec.person.person_id))
    return out


def write_demo_files(out_dir: Path, n_cases: int = 20_000, seed: int = 7) -> list[DemoFile]:
    """Write the five organisations' files, their mapping file, ``truth.csv`` and ``bad_rows.csv``.

    ``n_cases`` records in all (40% in the CTDC-layout file, which holds no identities). truth.csv
    has one row per record with identifying fields: file, source row (the row number in the file:
    header = row 1 in CSV, two header rows in the HTCDS XLSX, 1-based position in the JSON array)
    and person_id. bad_rows.csv lists file, row, kind and column of each planted problem.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    r = random.Random(int(rng.integers(2**63)))
    counts = _split(n_cases, [PLANS[o.name].share for o in ORGANISATIONS])
    ctdc_orgs = [o for o in ORGANISATIONS if o.layout == Layout.CTDC_CSV]
    id_orgs = [o for o in ORGANISATIONS if o.layout != Layout.CTDC_CSV]
    n_ctdc = sum(c for o, c in zip(ORGANISATIONS, counts, strict=True) if o in ctdc_orgs)
    mapping = out_dir / MAPPING_FILE
    write_mapping(mapping)
    files: list[DemoFile] = []
    truth: list[tuple[str, int, str, str]] = []
    bad: list[tuple[str, int, str, str]] = []

    def note(org: DemoOrg, planted: list[Planted]) -> None:
        first = _first_row(org.layout)
        bad.extend((org.file_name, p.index + first, p.kind, p.column) for p in planted)

    for org, count in zip(ctdc_orgs, _split(n_ctdc, [PLANS[o.name].share for o in ctdc_orgs]), strict=True):
        frame, planted = plant_ctdc(r, ctdc_from_cases(simulate_cases(count, rng)))
        frame.write_csv(out_dir / org.file_name)
        note(org, planted)
        files.append(DemoFile(out_dir / org.file_name, org.name, None, org.layout, frame.height))
    _, records = _people(rng, r, id_orgs, n_cases - n_ctdc)
    for org in id_orgs:
        pairs = _org_rows(r, org, records)
        rows = [row for row, _ in pairs]
        path = out_dir / org.file_name
        if org.layout == Layout.HTCDS_XLSX:
            note(org, plant_rows(r, rows, HTCDS_BAD))
            write_htcds_xlsx(path, rows)
        else:
            note(org, plant_rows(r, rows, CUSTOM_BAD))
            (write_custom_csv if org.layout == Layout.CUSTOM_CSV else write_custom_json)(path, rows)
        first = _first_row(org.layout)
        truth.extend((org.file_name, k + first, pid, org.name) for k, (_, pid) in enumerate(pairs))
        files.append(DemoFile(path, org.name, None if org.layout == Layout.HTCDS_XLSX else mapping,
                              org.layout, len(rows)))
    write_csv(out_dir / TRUTH_FILE, ("file", "row", "person_id", "organisation"), truth)
    write_csv(out_dir / BAD_ROWS_FILE, ("file", "row", "kind", "column"), sorted(bad))
    return files
