"""Entity resolution with Splink on the public benchmarks, and pair explanations."""

from __future__ import annotations

import polars as pl
import pytest
from tests.support import shared

from palermo.errors import InputError, NotFoundError
from palermo.link.datasets import read_febrl, read_splink_people
from palermo.link.evaluate import cluster_accuracy, pair_accuracy, pairs_within
from palermo.link.explain import explain_pair
from palermo.link.model import blocking_keys_for, pairs_of
from palermo.link.persons import prepare_persons
from palermo.link.resolve import resolve


@pytest.fixture(scope="module")
def febrl4() -> tuple[pl.DataFrame, pl.DataFrame]:
    raw = pl.concat(
        [
            read_febrl(shared("record_linkage/febrl/dataset4a.csv"), "a"),
            read_febrl(shared("record_linkage/febrl/dataset4b.csv"), "b"),
        ]
    )
    return prepare_persons(raw.drop("truth")), raw.select("unique_id", "truth")


def test_febrl4_links_across_files_with_f1_above_099(febrl4: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    frame, truth = febrl4
    done = resolve(frame, link_type="link_only")
    accuracy = pair_accuracy(done.pairs, pairs_within(truth, group_column="truth"))
    assert accuracy.true == 5000
    assert accuracy.f1 >= 0.99, accuracy.line()
    # link_only: no pair inside one file
    assert done.pairs.filter(pl.col("unique_id_l").str.contains("org") == pl.col("unique_id_r").str.contains("org"))\
        .is_empty()


def test_febrl3_dedupe_clusters(tmp_path: object) -> None:
    raw = read_febrl(shared("record_linkage/febrl/dataset3.csv"))
    done = resolve(prepare_persons(raw.drop("truth")))
    accuracy = cluster_accuracy(done.clusters, raw.select("unique_id", "truth"), truth_column="truth")
    assert accuracy.f1 >= 0.98, accuracy.line()


def test_fake_1000_finds_most_clusters_without_false_links() -> None:
    raw = read_splink_people(shared("record_linkage/splink/fake_1000.csv"))
    done = resolve(prepare_persons(raw.drop("truth")), threshold=0.5)
    accuracy = cluster_accuracy(done.clusters, raw.select("unique_id", "truth"), truth_column="truth")
    assert accuracy.precision >= 0.95, accuracy.line()
    assert accuracy.recall >= 0.6, accuracy.line()


def test_blocking_budget_drops_rules_that_explode() -> None:
    # 3,000 records with one shared name and no other key: name_key alone makes 4.5M pairs
    frame = prepare_persons(
        pl.DataFrame(
            {
                "unique_id": [str(i) for i in range(3000)],
                "given_name": ["maria"] * 3000,
                "family_name": ["garcia"] * 3000,
                "birth_date": [f"19{50 + i % 50}-0{1 + i % 9}-1{i % 10}" for i in range(3000)],
            }
        )
    )
    name_only = next(k for k in blocking_keys_for(frame, budget_per_record=10_000) if k.columns == ("name_key",))
    assert pairs_of(frame, name_only) == 3000 * 2999 // 2
    kept = {key.columns for key in blocking_keys_for(frame)}
    assert ("name_key",) not in kept
    assert ("name_key", "birth_year") in kept


def test_explanation_adds_up_to_the_score(febrl4: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    frame, _ = febrl4
    sample = frame.filter(pl.col("unique_id").str.extract(r"rec-(\d+)-").cast(pl.Int64) < 300)
    model = resolve(sample, link_type="link_only").model
    left = sample.filter(pl.col("unique_id").str.ends_with("-org"))["unique_id"][0]
    number = left.split("-")[1]
    right = sample.filter(pl.col("unique_id").str.starts_with(f"rec-{number}-dup"))["unique_id"][0]
    done = explain_pair(sample, model, left, right)
    steps = done.evidence.filter(~pl.col("comparison").is_in(["Final score"]))
    assert steps["match_weight"].sum() == pytest.approx(done.match_weight, abs=1e-6)
    assert done.match_probability > 0.9
    assert done.chart_svg.lstrip().startswith("<svg") and "Final score" in done.chart_svg
    hidden = explain_pair(sample, model, left, right, hide_values=True)
    given = sample.filter(pl.col("unique_id") == left)["given"][0]
    assert given in done.chart_svg and given not in hidden.chart_svg
    with pytest.raises(NotFoundError):
        explain_pair(sample, model, left, "no-such-record")


def test_benchmark_readers_name_the_file_when_columns_are_missing(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "bad.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.csv.*rec_id"):
        read_febrl(path)
