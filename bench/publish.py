"""Benchmark: a differentially private synthetic release of 200,000 cases (target ≤ 60 s).

Reads the cases of a palermo database (default: palermo.db here, e.g. built by ``palermo demo``) and resamples
them with replacement to ``--rows`` cases (the demo holds fewer), then times ``synthesize`` with the default
``marginals`` engine end to end and its 1-, 2- and 3-way marginal errors (mean total variation distance) at
several ε. ``--pac-synth`` also times Microsoft's pac-synth at reporting length 2 and 3: fit on all rows, sampling
of ``--pac-sample`` rows (its sampler is the slow part), extrapolated to the full release.

Then, on the database's own cases, the mean absolute error of 2-way marginal counts of a DP synthetic release
(ε = 4) and of the k-anonymous release (k = 11), side by side: each against the real data on its own terms, and
both on the k-anonymous release's generalisation over the columns they share.

    python bench/publish.py [--db palermo.db] [--rows 200000] [--pac-synth] [--pac-sample 20000]
"""

from __future__ import annotations

import argparse
import time

import polars as pl

from palermo.analyse.cases import read_cases
from palermo.publish.kanon import anonymise
from palermo.publish.synthetic import SYNTHETIC_COLUMNS, marginal_error, prepare, synthesize
from palermo.publish.synthetic_release import synthetic_utility
from palermo.publish.utility import utility_report
from palermo.store.db import open_store


def _pac_synth(frame: pl.DataFrame, length: int, sample: int, target: int) -> None:
    import pacsynth

    raw = [frame.columns, *(list(r) for r in frame.iter_rows())]
    params = pacsynth.DpAggregateSeededParametersBuilder().epsilon(4.0).reporting_length(length).build()
    synthesizer = pacsynth.DpAggregateSeededSynthesizer(params)
    start = time.perf_counter()
    synthesizer.fit(pacsynth.Dataset(raw))
    fitted = time.perf_counter()
    synthesizer.sample(sample)
    sampled = time.perf_counter()
    per_row = (sampled - fitted) / sample
    print(
        f"pac-synth 0.0.8, reporting length {length}, ε = 4: fit {fitted - start:.1f} s, sample {sample:,} rows "
        f"{sampled - fitted:.1f} s -> about {fitted - start + per_row * target:.0f} s for {target:,} rows"
    )


def _side_by_side(cases: pl.DataFrame, epsilon: float = 4.0, k: int = 11) -> None:
    synthetic = synthesize(cases, epsilon=epsilon, delta=1e-6, seed=1)
    result = anonymise(cases, k=k)
    qis = list(result.quasi_identifiers)
    shared = [c for c in qis if c in SYNTHETIC_COLUMNS and c != "vic_type_of_exploitation"]
    dp_own = synthetic_utility(cases, synthetic).mae(2)
    kanon_own = utility_report(cases, result.released, columns=qis).mae(2)
    dp_same = synthetic_utility(cases, synthetic, columns=shared, levels=result.levels).mae(2)
    kanon_same = utility_report(cases, result.released, columns=shared).mae(2)
    print(
        f"2-way marginal MAE of counts, {cases.height:,} cases: DP synthetic (ε = {epsilon:g}) {dp_own:.1f} on its "
        f"{len(SYNTHETIC_COLUMNS)} columns, k-anonymous (k = {k}) {kanon_own:.1f} on its {len(qis)} "
        f"quasi-identifiers; on the k-anonymous generalisation of {', '.join(shared)}: "
        f"DP {dp_same:.1f} vs k-anonymous {kanon_same:.1f}"
    )


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default="palermo.db")
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--pac-synth", action="store_true")
    parser.add_argument("--pac-sample", type=int, default=20_000)
    args = parser.parse_args()
    cases = read_cases(open_store(args.db, migrate=False))
    print(f"{cases.height:,} cases in {args.db}; resampled to {args.rows:,}")
    data = cases.sample(args.rows, with_replacement=True, seed=1)
    for epsilon in (0.5, 1.0, 4.0, 10.0):
        start = time.perf_counter()
        synthetic = synthesize(data, epsilon=epsilon, delta=1e-6, seed=1)
        took = time.perf_counter() - start
        errors = ", ".join(f"{way}-way {marginal_error(data, synthetic, way):.4f}" for way in (1, 2, 3))
        verdict = "meets" if took <= 60 else "MISSES"
        print(
            f"marginals engine, ε = {epsilon:g}, δ = 1e-6: {synthetic.height:,} rows in {took:.2f} s "
            f"({verdict} ≤ 60 s); "
            f"mean TVD {errors}"
        )
    _side_by_side(cases)
    if args.pac_synth:
        frame = prepare(data)
        for length in (2, 3):
            _pac_synth(frame, length, args.pac_sample, args.rows)


if __name__ == "__main__":
    main()
