"""Privacy-preserving linkage benchmark: FEBRL4 and a synthetic 100,000 x 100,000 linkage on Bloom-filter encodings.

Prints figures, asserts nothing (benchmarks are not tests):

* ``FEBRL4 encoded ...``: datasets 4a and 4b (5,000 x 5,000 records, 5,000 true pairs; from
  ``../shared/data/record_linkage/febrl``, skipped when absent) encoded with :data:`FEBRL_SCHEMA`,
  all pairs compared, one-to-one greedy at :data:`FEBRL_THRESHOLD`; then the same with keyed
  blocking, with balanced filters, and with balanced XOR-folded filters. The anchor is clkhash's
  tutorial: precision 1.000, recall 0.992.
* ``synthetic NxN encoded ...``: two generated parties of N people each (80% of B are typo-ridden
  copies of people of A, 20% are new), encoded, blocked with keyed blocking keys and linked; the time
  includes encoding and blocking. Target: at most 2 minutes at 100,000 x 100,000 on 2 cores. The
  baseline is a bare numpy popcount over as many pairs (contiguous words, no gathering, no AND).

    python bench/linkage_encoded.py            # full size
    python bench/linkage_encoded.py --quick    # 20,000 x 20,000
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl

from palermo.link.bloom import BlockingSpec, EncodingSchema, FieldSpec, blocking_keys, encode
from palermo.link.datasets import FEBRL_BLOCKS, FEBRL_SCHEMA
from palermo.link.encoded import candidate_pairs, dice_pairs, link_encoded

FEBRL = Path(__file__).resolve().parents[2] / "shared" / "data" / "record_linkage" / "febrl"
SECRET = b"palermo benchmark secret, not for production"
TARGET_SECONDS = 120.0

FEBRL_THRESHOLD = 0.6

SYNTHETIC_SCHEMA = EncodingSchema(
    (
        FieldSpec("given_name", hashes=20),
        FieldSpec("surname", hashes=20),
        FieldSpec("date_of_birth", ngram=1, positional=True, hashes=12),
        FieldSpec("sex", kind="exact", hashes=4),
        FieldSpec("address", hashes=6),
        FieldSpec("postcode", ngram=1, positional=True, hashes=6),
    ),
    length=1024,
)
SYNTHETIC_THRESHOLD = 0.8
SYNTHETIC_BLOCKS = [
    BlockingSpec("surname_year", (("surname", "soundex"), ("date_of_birth", "year"))),
    BlockingSpec("given_year", (("given_name", "soundex"), ("date_of_birth", "year"))),
    BlockingSpec("names", (("given_name", "soundex"), ("surname", "soundex"))),
    BlockingSpec("postcode_dob", (("postcode", "exact"), ("date_of_birth", "exact"))),
]


def peak_rss_gib() -> float:
    """This process's peak resident set size so far, in GiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return float(peak if sys.platform == "darwin" else peak * 1024) / 1024**3


def load_febrl(name: str) -> pl.DataFrame:
    """One FEBRL file, every column as trimmed text (the files put a space after each comma)."""
    frame = pl.read_csv(FEBRL / name, infer_schema=False)
    frame.columns = [c.strip() for c in frame.columns]
    return frame.with_columns(pl.all().str.strip_chars())


def quality(found: int, correct: int, truth: int) -> tuple[float, float, float]:
    """Precision, recall and F1."""
    precision = correct / found if found else 0.0
    recall = correct / truth if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


# --- FEBRL4 --------------------------------------------------------------------------------------------


def febrl4() -> dict[str, float]:
    """Link FEBRL4 four ways; print one line each and return the figures of the first."""
    if not (FEBRL / "dataset4a.csv").exists():
        print(f"FEBRL4 encoded skipped: {FEBRL} is not available")
        return {}
    a, b = load_febrl("dataset4a.csv"), load_febrl("dataset4b.csv")
    ids_a = a["rec_id"].str.extract(r"rec-(\d+)-").to_numpy()
    ids_b = b["rec_id"].str.extract(r"rec-(\d+)-").to_numpy()
    truth = len(set(ids_a) & set(ids_b))
    variants = [
        ("all pairs", FEBRL_SCHEMA, FEBRL_THRESHOLD, False),
        ("blocked", FEBRL_SCHEMA, FEBRL_THRESHOLD, True),
        ("balanced", EncodingSchema(FEBRL_SCHEMA.fields, length=1024, balanced=True), 0.65, False),
        ("balanced+folded", EncodingSchema(FEBRL_SCHEMA.fields, length=1024, balanced=True, folds=1), 0.6, False),
    ]
    first: dict[str, float] = {}
    for label, schema, threshold, blocked in variants:
        start = time.perf_counter()
        ea, eb = encode(a, schema, SECRET), encode(b, schema, SECRET)
        ba = blocking_keys(a, FEBRL_BLOCKS, SECRET) if blocked else None
        bb = blocking_keys(b, FEBRL_BLOCKS, SECRET) if blocked else None
        links = link_encoded(ea, eb, threshold=threshold, blocks_a=ba, blocks_b=bb)
        seconds = time.perf_counter() - start
        left, right = links["left"].to_numpy(), links["right"].to_numpy()
        p, r, f1 = quality(len(links), int((ids_a[left] == ids_b[right]).sum()), truth)
        print(
            f"FEBRL4 encoded precision={p:.4f} recall={r:.4f} F1={f1:.4f} seconds={seconds:.2f}"
            f"  ({label}, {schema.bits} bits, threshold {threshold}; clkhash tutorial: P=1.000 R=0.992)"
        )
        first = first or {"precision": p, "recall": r, "f1": f1, "seconds": seconds}
    return first


# --- synthetic -----------------------------------------------------------------------------------------

_SYLLABLES = (*(c + v for c in "bcdfghjklmnprstvyz" for v in "aeiou"), "an", "el", "in", "on", "ch", "sh")
_STREETS = ("street", "road", "avenue", "place", "crescent", "circuit", "lane", "drive", "close", "way")


def _words(rng: np.random.Generator, count: int, low: int, high: int) -> npt.NDArray[np.str_]:
    """``count`` distinct made-up words of ``low`` to ``high`` syllables."""
    made: set[str] = set()
    while len(made) < count:
        sizes = rng.integers(low, high + 1, size=count)
        picks = rng.integers(0, len(_SYLLABLES), size=(count, high))
        made.update("".join(_SYLLABLES[j] for j in row[:size]) for row, size in zip(picks, sizes, strict=True))
    return np.array(sorted(made)[:count])


def _zipf(rng: np.random.Generator, pool: npt.NDArray[np.str_], count: int, exponent: float) -> npt.NDArray[np.str_]:
    """``count`` draws from ``pool`` with Zipf-like frequencies (a few very common names, many rare)."""
    weights = 1.0 / np.arange(1, len(pool) + 1) ** exponent
    return pool[rng.choice(len(pool), size=count, p=weights / weights.sum())]


def people(rng: np.random.Generator, count: int, pools: dict[str, npt.NDArray[np.str_]]) -> pl.DataFrame:
    """``count`` made-up people (Python loops here are over the name pools, not the people)."""
    days = rng.integers(0, 65 * 365, size=count)
    birth = np.datetime64("1940-01-01") + days.astype("timedelta64[D]")
    suburb = rng.integers(0, len(pools["postcodes"]), size=count)
    return pl.DataFrame(
        {
            "given_name": _zipf(rng, pools["given"], count, 1.0),
            "surname": _zipf(rng, pools["surnames"], count, 0.9),
            "date_of_birth": pl.Series(birth).dt.strftime("%Y%m%d"),
            "sex": np.where(rng.random(count) < 0.5, "f", "m"),
            "address": np.char.add(
                np.char.add(rng.integers(1, 400, size=count).astype(str), " "), _zipf(rng, pools["streets"], count, 0.7)
            ),
            "postcode": pools["postcodes"][suburb],
        }
    )


def _typo(frame: pl.DataFrame, column: str, share: float, rng: np.random.Generator) -> pl.DataFrame:
    """Substitute, delete, insert or transpose one character in ``share`` of the values (vectorised)."""
    n = frame.height
    hit = rng.random(n) < share
    op = rng.integers(0, 4, size=n)
    letter = np.array(list("abcdefghijklmnopqrstuvwxyz"))[rng.integers(0, 26, size=n)]
    frame = frame.with_columns(_op=op, _ch=letter, _u=rng.random(n), _hit=hit)
    s = pl.col(column)
    p = (pl.col("_u") * s.str.len_chars()).floor().cast(pl.Int64)
    head, ch = s.str.slice(0, p), pl.col("_ch")
    changed = (
        pl.when(pl.col("_op") == 0).then(head + ch + s.str.slice(p + 1))
        .when(pl.col("_op") == 1).then(head + s.str.slice(p + 1))
        .when(pl.col("_op") == 2).then(head + ch + s.str.slice(p))
        .otherwise(head + s.str.slice(p + 1, 1) + s.str.slice(p, 1) + s.str.slice(p + 2))
    )  # fmt: skip
    return frame.with_columns(pl.when(pl.col("_hit")).then(changed).otherwise(s).alias(column)).drop(
        "_op", "_ch", "_u", "_hit"
    )


def _missing(frame: pl.DataFrame, column: str, share: float, rng: np.random.Generator) -> pl.DataFrame:
    """Blank ``share`` of the values."""
    gone = pl.Series(rng.random(frame.height) < share)
    return frame.with_columns(pl.when(gone).then(None).otherwise(pl.col(column)).alias(column))


def synthetic(rows: int, seed: int = 7) -> tuple[pl.DataFrame, pl.DataFrame, npt.NDArray[np.int64]]:
    """Parties A and B of ``rows`` people each and, for every row of B, its row in A (-1 when new)."""
    rng = np.random.default_rng(seed)
    pools = {
        "given": _words(rng, 3_000, 2, 3),
        "surnames": _words(rng, 20_000, 2, 4),
        "streets": np.array([f"{w} {_STREETS[i % len(_STREETS)]}" for i, w in enumerate(_words(rng, 5_000, 2, 3))]),
        "postcodes": np.array([f"{c:04d}" for c in rng.choice(9000, size=2_000, replace=False) + 1000]),
    }
    a = people(rng, rows, pools)
    shared = int(rows * 0.8)
    source = rng.permutation(rows)[:shared]
    b = pl.concat([a[source], people(rng, rows - shared, pools)])
    for column, typo, missing in [
        ("given_name", 0.2, 0.03),
        ("surname", 0.2, 0.02),
        ("date_of_birth", 0.1, 0.01),
        ("address", 0.2, 0.1),
        ("postcode", 0.05, 0.05),
        ("sex", 0.0, 0.05),
    ]:
        b = _missing(_typo(b, column, typo, rng), column, missing, rng) if typo else _missing(b, column, missing, rng)
    truth = np.r_[source, np.full(rows - shared, -1)].astype(np.int64)
    order = rng.permutation(rows)
    return a, b[order], truth[order]


def synthetic_linkage(rows: int) -> dict[str, float]:
    """Encode, block and link two synthetic parties; print the figures and return them."""
    a, b, truth = synthetic(rows)
    start = time.perf_counter()
    ea, eb = encode(a, SYNTHETIC_SCHEMA, SECRET), encode(b, SYNTHETIC_SCHEMA, SECRET)
    encoded = time.perf_counter()
    ba, bb = blocking_keys(a, SYNTHETIC_BLOCKS, SECRET), blocking_keys(b, SYNTHETIC_BLOCKS, SECRET)
    blocked = time.perf_counter()
    links = link_encoded(ea, eb, threshold=SYNTHETIC_THRESHOLD, blocks_a=ba, blocks_b=bb)
    seconds = time.perf_counter() - start
    left, right = links["left"].to_numpy(), links["right"].to_numpy()
    p, r, f1 = quality(len(links), int((truth[right] == left).sum()), int((truth >= 0).sum()))

    # Pairs per second of the scoring alone, against a bare popcount over as many pairs.
    t0 = time.perf_counter()
    li, ri = candidate_pairs(ba, bb)
    t1 = time.perf_counter()
    dice_pairs(ea, eb, li, ri)
    scoring = time.perf_counter() - t1
    words = np.ascontiguousarray(ea[: min(len(ea), 1 << 15)]).view(np.uint64)
    t2 = time.perf_counter()
    for lo in range(0, len(li), len(words)):
        np.add.reduce(np.bitwise_count(words[: len(li) - lo]), axis=1, dtype=np.uint16)
    baseline = time.perf_counter() - t2
    figures = {
        "seconds": seconds,
        "encode_seconds": encoded - start,
        "block_seconds": blocked - encoded,
        "link_seconds": seconds - (blocked - start),
        "candidates": float(len(li)),
        "candidate_seconds": t1 - t0,
        "pairs_per_second": len(li) / scoring,
        "baseline_ratio": scoring / baseline,
        "precision": p,
        "recall": r,
        "f1": f1,
        "peak_rss_gib": peak_rss_gib(),
    }
    verdict = (
        ""
        if rows != 100_000
        else f"  [target <={TARGET_SECONDS:g} s: {'OK' if seconds <= TARGET_SECONDS else 'MISSED'}]"
    )
    print(
        f"synthetic {rows}x{rows} encoded precision={p:.4f} recall={r:.4f} F1={f1:.4f} seconds={seconds:.1f}"
        f" pairs_per_second={figures['pairs_per_second']:,.0f} peak_rss_gib={figures['peak_rss_gib']:.2f}{verdict}"
    )
    print(
        f"    encode {2 * rows:,} records x {len(SYNTHETIC_SCHEMA.fields)} fields {figures['encode_seconds']:.1f} s"
        f" ({2 * rows / figures['encode_seconds']:,.0f} records/s),"
        f" blocking keys {figures['block_seconds']:.1f} s, link {figures['link_seconds']:.1f} s;"
        f" {len(li):,} candidate pairs ({figures['candidate_seconds']:.1f} s to find), scored in {scoring:.2f} s ="
        f" {figures['baseline_ratio']:.1f}x a bare numpy popcount over as many pairs ({baseline:.2f} s)"
    )
    return figures


def main(quick: bool = False, rows: int | None = None) -> dict[str, dict[str, float]]:
    """Run both benchmarks and print their lines; ``quick`` links 20,000 x 20,000 instead of 100,000 x 100,000."""
    size = rows or (20_000 if quick else 100_000)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, polars {pl.__version__}, {cpus} CPUs,"
        f" load average {os.getloadavg()[0]:.1f}"
    )
    return {"febrl4": febrl4(), "synthetic": synthetic_linkage(size)}


def cli(argv: list[str] | None = None) -> int:
    """Parse the command line and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="20,000 x 20,000 synthetic records")
    parser.add_argument("--rows", type=int, help="synthetic records per party (default 100,000)")
    args = parser.parse_args(argv)
    main(quick=args.quick, rows=args.rows)
    return 0


if __name__ == "__main__":
    sys.exit(cli())
