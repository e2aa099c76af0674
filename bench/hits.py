"""Accuracy and cost of hit/no-hit person queries (plaintext mode) on generated trafficking-like records.

Prints figures, asserts nothing (benchmarks are not tests). ``--records`` fictitious people as
``--organisations`` organisations wrote them (:func:`palermo.demo.linkage_benchmark.person_records`:
typos, other scripts, swapped names, missing dates; some people known to several organisations)
are ingested into a fresh SQLite store and linked (``run_linkage`` trains the model queries are
scored with and builds the hit/no-hit index). Then ``--queries`` records, drawn at random, are asked
about by their own organisation as a user would type them (given and family name, birth date or
year, sex, citizenship). A query should be a hit exactly when another organisation holds the same
person, and name only organisations that do. For each limit on the candidates a query scores
(``--limits``; ``0`` means no limit), in the same process: recall, false hits, wrongly named
organisations and time per query (p50, mean). The ratio of a limited run's time
to the unlimited run's is the figure to compare across machines.

    python bench/hits.py                                # 20,000 records, 600 queries, limits 0 and 40
    python bench/hits.py --records 5000 --queries 200 --limits 0 20 40 80
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import polars as pl

HTCDS = {
    "given_name": "prs_FirstName", "family_name": "prs_SecondName", "birth_date": "prs_Birthdate",
    "sex": "prs_Gender", "citizenship": "prs_Citizenship", "phone": "prs_MobilePhone", "email": "prs_Email",
    "passport": "prs_PassportNumber", "bank_account": "prs_BankAccount", "city": "prs_MailingCity",
}
QUERY_FIELDS = ("given_name", "family_name", "birth_date", "birth_year", "sex", "citizenship")


def seed(work: Path, records: int, organisations: int, seed: int) -> tuple[Any, pl.DataFrame]:
    """A store holding the generated records of every organisation, linked; the store and the records."""
    from palermo.demo.linkage_benchmark import person_records
    from palermo.ingest.pipeline import ingest_file
    from palermo.link.run import run_linkage
    from palermo.store.db import open_store
    from palermo.store.orgs import add_organisation

    store = open_store(f"sqlite:///{work / 'hits.db'}")
    frame = person_records(records, seed=seed, organisations=organisations)
    for number, ((org,), part) in enumerate(frame.group_by("org", maintain_order=True)):
        add_organisation(store, str(org), "NGO", "TH")
        path = work / f"org{number}.csv"
        part.select(pl.col("record_id").alias("cas_SourceRecordId"),
                    *(pl.col(k).alias(v) for k, v in HTCDS.items())).write_csv(path)
        ingest_file(store, path, str(org))
    run_linkage(store, started_by="bench")
    return store, frame


def queries(frame: pl.DataFrame, n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` records to ask about: the asker, the query, and the organisations that truly hold the person."""
    holders = frame.group_by("person_id").agg(pl.col("org").unique().alias("holders"))
    sample = frame.join(holders, on="person_id").sample(n=min(n, frame.height), seed=seed)
    out = []
    for row in sample.iter_rows(named=True):
        query = {k: row[k] for k in QUERY_FIELDS if row.get(k)}
        if not (query.get("given_name") or query.get("family_name")):
            continue
        if "birth_date" in query:
            query.pop("birth_year", None)
        out.append({"org": row["org"], "query": query, "others": set(row["holders"]) - {row["org"]}})
    return out


def run(store: Any, asked: list[dict[str, Any]], limit: int) -> dict[str, float]:
    """Ask every query with ``limit`` candidates at most (0: all); accuracy and time figures."""
    from palermo.errors import InputError
    from palermo.link import hits

    hits.MAX_PERSON_CANDIDATES = limit or None
    found = missed = false_hits = wrong_orgs = negatives = refused = 0
    times: list[float] = []
    for item in asked:
        start = time.perf_counter()
        try:
            answer = hits.ask(store, org=item["org"], asked_by="bench", purpose="accuracy benchmark",
                              kind="person", query=item["query"])
        except InputError:  # too little to look up (a name without a birth date or year): refused
            refused += 1
            continue
        times.append(time.perf_counter() - start)
        if item["others"]:
            found, missed = found + answer.hit, missed + (not answer.hit)
        else:
            negatives += 1
            false_hits += answer.hit
        wrong_orgs += len(set(answer.organisations) - item["others"])
    positives = found + missed
    return {
        "recall": found / positives if positives else float("nan"), "positives": positives,
        "false_hit_rate": false_hits / negatives if negatives else float("nan"), "negatives": negatives,
        "wrong_orgs": wrong_orgs, "refused": refused,
        "p50_ms": 1000 * statistics.median(times), "mean_ms": 1000 * statistics.fmean(times),
    }


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, seed, ask, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--organisations", type=int, default=4)
    parser.add_argument("--queries", type=int, default=600)
    parser.add_argument("--limits", type=int, nargs="+", default=[0, 40], help="candidate limits (0: none)")
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="palermo-hits-") as tmp:
        start = time.perf_counter()
        store, frame = seed(Path(tmp), args.records, args.organisations, args.seed)
        print(f"{frame.height:,} records of {frame['person_id'].n_unique():,} people at {args.organisations} "
              f"organisations, stored and linked in {time.perf_counter() - start:.1f} s")
        asked = queries(frame, args.queries, args.seed)
        from palermo.errors import InputError
        from palermo.link.hits import ask

        for item in asked[:20]:  # warm the caches and the per-thread DuckDB before timing
            with contextlib.suppress(InputError):
                ask(store, org=item["org"], asked_by="bench", purpose="warm-up", kind="person", query=item["query"])
        baseline: float | None = None
        for limit in args.limits:
            r = run(store, asked, limit)
            baseline = baseline or r["mean_ms"]
            print(f"limit {limit or 'none':>5}: recall {r['recall']:.3f} of {r['positives']:,} held elsewhere; "
                  f"false hits {r['false_hit_rate']:.3f} of {r['negatives']:,} held nowhere else; "
                  f"organisations wrongly named {r['wrong_orgs']}; refused (nothing to look up) {r['refused']}; "
                  f"time p50 {r['p50_ms']:.1f} ms, mean "
                  f"{r['mean_ms']:.1f} ms ({r['mean_ms'] / baseline:.2f}x the first line)")
        store.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
