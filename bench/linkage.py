"""Linkage benchmark: accuracy on public and generated data with known truth, and speed at scale.

Prints one line per data set and mode, e.g.
``FEBRL4 plaintext precision=1.000 recall=0.997 F1=0.998 seconds=9.4``; asserts nothing (benchmarks
are not tests). Each line runs in its own process (this script again, with ``--line``) so that its
peak RSS is its own. Times are those of linkage (normalising, training, scoring, clustering), not of
reading or generating the data.

Lines:

* FEBRL4 (5,000 × 5,000, 5,000 true links): plaintext (Splink) and encoded (keyed Bloom filters);
* FEBRL3 (5,000 records, dedupe) and Splink's fake_1000 (dedupe, with its labels): cluster-level
  scores (every pair put in one entity);
* trafficking-like generated records (names in several scripts, aliases, swapped names, shared
  recruiter phones; :mod:`palermo.demo.linkage_benchmark`): five organisations deduplicated in
  plaintext, and two organisations linked both in plaintext and on encodings (the cost of encoding);
* scale: dedupe of ``--records`` generated records (default 1,000,000; target ≤ 3 minutes), with
  candidate pairs per second and peak RSS, and the ratio to a bare DuckDB exact self-join on name and
  birth date over the same records in the same process (the cheapest linkage there is);
* encoded 100,000 × 100,000 (target ≤ 2 minutes including encoding), from bench/linkage_encoded.py.

    python bench/linkage.py              # every line
    python bench/linkage.py --quick      # FEBRL and fake_1000 lines only
    python bench/linkage.py --records 200000
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import polars as pl

from palermo.demo.linkage_benchmark import as_person_input, person_records, true_pairs
from palermo.link.datasets import read_febrl, read_splink_people
from palermo.link.evaluate import Accuracy, cluster_accuracy, pair_accuracy, pairs_within
from palermo.link.model import blocking_keys_for, pairs_of
from palermo.link.persons import prepare_persons
from palermo.link.resolve import predict, resolve, train

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "record_linkage"
TRAFFICKING_RECORDS = 20_000


def _peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def _print(name: str, mode: str, accuracy: Accuracy | None, seconds: float, extra: str = "") -> None:
    scores = accuracy.line() + " " if accuracy is not None else ""
    print(f"{name} {mode} {scores}seconds={seconds:.1f} peak_rss_gib={_peak_gib():.2f}{extra}", flush=True)


def febrl4_plaintext() -> None:
    """FEBRL4, two files linked with Splink."""
    raw = pl.concat([read_febrl(SHARED / "febrl/dataset4a.csv", "a"), read_febrl(SHARED / "febrl/dataset4b.csv", "b")])
    started = time.perf_counter()
    done = resolve(prepare_persons(raw.drop("truth")), link_type="link_only")
    seconds = time.perf_counter() - started
    _print("FEBRL4", "plaintext", pair_accuracy(done.pairs, pairs_within(raw, group_column="truth")), seconds)


def febrl3_plaintext() -> None:
    """FEBRL3, one file deduplicated (cluster-level scores)."""
    raw = read_febrl(SHARED / "febrl/dataset3.csv")
    started = time.perf_counter()
    done = resolve(prepare_persons(raw.drop("truth")))
    seconds = time.perf_counter() - started
    _print("FEBRL3", "plaintext", cluster_accuracy(done.clusters, raw, truth_column="truth"), seconds)


def fake_1000_plaintext() -> None:
    """Splink's fake_1000, deduplicated; scored on clusters and on its clerical labels."""
    raw = read_splink_people(SHARED / "splink/fake_1000.csv")
    labels = pl.read_csv(SHARED / "splink/fake_1000_labels.csv", infer_schema=False)
    started = time.perf_counter()
    done = resolve(prepare_persons(raw.drop("truth")), threshold=0.5)
    seconds = time.perf_counter() - started
    _print("fake_1000", "plaintext", cluster_accuracy(done.clusters, raw, truth_column="truth"), seconds)
    # the labelled pairs: how many of the clerical matches / non-matches the clusters get right
    cluster = dict(zip(done.clusters["unique_id"].to_list(), done.clusters["cluster_id"].to_list(), strict=True))
    same = [cluster[a] == cluster[b] for a, b in zip(labels["unique_id_l"], labels["unique_id_r"], strict=True)]
    truth = [float(score) >= 0.5 for score in labels["clerical_match_score"]]
    tp = sum(s and t for s, t in zip(same, truth, strict=True))
    labelled = Accuracy(predicted=sum(same), true=sum(truth), true_positives=tp)
    print(f"fake_1000 labels {labelled.line()} labelled_pairs={len(truth)}", flush=True)


def _trafficking(n: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    records = person_records(n, seed=0)
    return as_person_input(records), records


def trafficking_plaintext() -> None:
    """Generated trafficking-like records, deduplicated across five organisations."""
    frame, records = _trafficking(TRAFFICKING_RECORDS)
    started = time.perf_counter()
    done = resolve(prepare_persons(frame))
    seconds = time.perf_counter() - started
    truth = true_pairs(records).rename({"record_id_l": "unique_id_l", "record_id_r": "unique_id_r"})
    _print(f"trafficking-{TRAFFICKING_RECORDS // 1000}k", "plaintext", pair_accuracy(done.pairs, truth), seconds)
    truth_ids = records.select(pl.col("record_id").alias("unique_id"), "person_id")
    _print(f"trafficking-{TRAFFICKING_RECORDS // 1000}k", "plaintext-clusters",
           cluster_accuracy(done.clusters, truth_ids), seconds)


def trafficking_two_parties() -> None:
    """Two organisations' generated records linked in plaintext and on encodings: what encoding costs."""
    from palermo.link.sharing import encode_persons, match_files

    records = person_records(TRAFFICKING_RECORDS, seed=5, organisations=2)
    frame = prepare_persons(
        as_person_input(records)
    )
    truth = true_pairs(records).rename({"record_id_l": "unique_id_l", "record_id_r": "unique_id_r"})
    orgs = dict(zip(records["record_id"].to_list(), records["org"].to_list(), strict=True))
    across = truth.filter(
        pl.col("unique_id_l").replace_strict(orgs) != pl.col("unique_id_r").replace_strict(orgs)
    )
    name = f"trafficking-2orgs-{TRAFFICKING_RECORDS // 1000}k"
    started = time.perf_counter()
    plain = resolve(frame, link_type="link_only")
    _print(name, "plaintext", pair_accuracy(plain.pairs, across), time.perf_counter() - started)
    parties = [frame.filter(pl.col("source_dataset") == org) for org in sorted(set(orgs.values()))]
    secret = b"benchmark secret shared by both parties"
    started = time.perf_counter()
    pairs = match_files(encode_persons(parties[0], secret), encode_persons(parties[1], secret))
    found = pairs.select(
        pl.min_horizontal("record_ref_l", "record_ref_r").alias("unique_id_l"),
        pl.max_horizontal("record_ref_l", "record_ref_r").alias("unique_id_r"),
    )
    _print(name, "encoded", pair_accuracy(found, across), time.perf_counter() - started)


def _baseline_seconds(frame: pl.DataFrame) -> float:
    """A bare DuckDB exact self-join on name key and birth date over the prepared records."""
    connection = duckdb.connect()
    table = frame.select("unique_id", "name_key", "birth_date").to_arrow()
    connection.register("persons", table)
    started = time.perf_counter()
    connection.execute(
        "SELECT count(*) FROM persons l JOIN persons r ON l.name_key = r.name_key "
        "AND l.birth_date = r.birth_date AND l.unique_id < r.unique_id"
    ).fetchall()
    return time.perf_counter() - started


def scale(records: int) -> None:
    """Dedupe ``records`` generated person records: time, candidate pairs per second, peak RSS, accuracy."""
    frame, generated = _trafficking(records)
    started = time.perf_counter()
    prepared = prepare_persons(frame)
    model = train(prepared)
    pairs = predict(prepared, model)
    from palermo.link.clusters import connected_components

    clusters = connected_components(prepared["unique_id"], pairs)
    seconds = time.perf_counter() - started
    candidates = sum(pairs_of(prepared, key) for key in blocking_keys_for(prepared))
    baseline = _baseline_seconds(prepared)
    truth = generated.select(pl.col("record_id").alias("unique_id"), "person_id")
    _print(
        f"dedupe-{records:,}", "plaintext", cluster_accuracy(clusters, truth), seconds,
        f" candidate_pairs={candidates:,} pairs_per_second={candidates / seconds:,.0f}"
        f" baseline_seconds={baseline:.1f} ratio={seconds / baseline:.0f}x",
    )


def encoded_lines(quick: bool) -> None:
    """The encoded lines (FEBRL4 and, unless quick, 100,000 × 100,000) from bench/linkage_encoded.py."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import linkage_encoded

    linkage_encoded.main(quick=quick)


LINES: dict[str, Callable[[], None]] = {
    "febrl4": febrl4_plaintext,
    "febrl3": febrl3_plaintext,
    "fake_1000": fake_1000_plaintext,
    "trafficking": trafficking_plaintext,
    "trafficking-2orgs": trafficking_two_parties,
}
QUICK = ("febrl4", "febrl3", "fake_1000")


def main() -> None:
    """Run each benchmark line in its own process (or one line with ``--line``)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="FEBRL and fake_1000 lines only")
    parser.add_argument("--records", type=int, default=1_000_000, help="records of the scale line")
    parser.add_argument("--line", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.line == "scale":
        scale(args.records)
        return
    if args.line == "encoded":
        encoded_lines(args.quick)
        return
    if args.line:
        LINES[args.line]()
        return
    names = [*(QUICK if args.quick else LINES), "encoded", *([] if args.quick else ["scale"])]
    for name in names:
        command = [sys.executable, __file__, "--line", name, "--records", str(args.records)]
        if args.quick:
            command.append("--quick")
        subprocess.run(command, check=False)


if __name__ == "__main__":
    main()
