"""Linkage on encodings: exact Dice scores, blocked and unblocked paths, greedy one-to-one, clustering, FEBRL4."""

from __future__ import annotations

import array
import warnings
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl
import pytest
from tests.support import shared

from palermo.link import encoded
from palermo.link.bloom import EncodingSchema, blocking_keys, encode
from palermo.link.datasets import FEBRL_BLOCKS, FEBRL_SCHEMA
from palermo.link.encoded import (
    candidate_pairs,
    dedupe_encoded,
    dice_pairs,
    greedy_matching,
    link_encoded,
    popcounts,
    score_pairs,
)

SECRET = b"febrl test secret, 32 bytes long"


def random_bits(n: int, width: int = 16, density: float = 0.4, seed: int = 0) -> npt.NDArray[np.uint8]:
    """``n`` random packed encodings of ``width`` bytes."""
    rng = np.random.default_rng(seed)
    return np.packbits(rng.random((n, width * 8)) < density, axis=1)


def reference_dice(a: npt.NDArray[np.uint8], b: npt.NDArray[np.uint8]) -> float:
    """Dice coefficient with Python integers."""
    x, y = int.from_bytes(a.tobytes(), "big"), int.from_bytes(b.tobytes(), "big")
    total = x.bit_count() + y.bit_count()
    return 2 * (x & y).bit_count() / total if total else 0.0


def noisy_copies(x: npt.NDArray[np.uint8], flip: float, seed: int) -> npt.NDArray[np.uint8]:
    """``x`` with a share ``flip`` of its bits flipped."""
    rng = np.random.default_rng(seed)
    noise = np.packbits(rng.random((len(x), x.shape[1] * 8)) < flip, axis=1)
    return np.asarray(x ^ noise, dtype=np.uint8)


def test_dice_pairs_and_popcounts_are_exact() -> None:
    a, b = random_bits(60, seed=1), random_bits(70, seed=2)
    a[0] = 0
    b[0] = 0  # two empty encodings score 0
    rng = np.random.default_rng(3)
    left, right = rng.integers(0, 60, 500), rng.integers(0, 70, 500)
    left[0] = right[0] = 0
    scores = dice_pairs(a, b, left, right)
    assert scores.tolist() == pytest.approx([reference_dice(a[i], b[j]) for i, j in zip(left, right, strict=True)])
    assert scores[0] == 0.0
    assert popcounts(a).tolist() == [int.from_bytes(r.tobytes(), "big").bit_count() for r in a]


@pytest.mark.parametrize("width", [8, 128, 256])
def test_unblocked_and_blocked_paths_find_the_same_pairs(width: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(encoded, "_ALL_PAIRS_CHUNK", 1000)  # many blocks of rows, to exercise the chunking
    a = random_bits(150, width, seed=4)
    b = np.concatenate([noisy_copies(a[:100], 0.1, 5), random_bits(80, width, seed=6)])
    everyone_a = pl.DataFrame({"k": ["x"] * len(a)})
    everyone_b = pl.DataFrame({"k": ["x"] * len(b)})
    unblocked = score_pairs(a, b, threshold=0.5)
    blocked = score_pairs(a, b, threshold=0.5, blocks_a=everyone_a, blocks_b=everyone_b)
    assert len(unblocked) >= 100
    assert unblocked.sort("left", "right").equals(blocked.sort("left", "right"))
    brute = [(i, j) for i in range(len(a)) for j in range(len(b)) if reference_dice(a[i], b[j]) >= 0.5]
    assert sorted(zip(unblocked["left"], unblocked["right"], strict=True)) == brute


def test_score_pairs_against_itself_keeps_each_pair_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(encoded, "_ALL_PAIRS_CHUNK", 500)
    base = random_bits(40, seed=7)
    x = np.concatenate([base, noisy_copies(base, 0.05, 8)])
    pairs = score_pairs(x, threshold=0.7)
    assert (pairs["left"] < pairs["right"]).all()
    brute = [(i, j) for i in range(80) for j in range(i + 1, 80) if reference_dice(x[i], x[j]) >= 0.7]
    assert sorted(zip(pairs["left"], pairs["right"], strict=True)) == brute
    same = score_pairs(x, threshold=0.7, blocks_a=pl.DataFrame({"k": [1] * 80}))
    assert same.sort("left", "right").equals(pairs.sort("left", "right"))


def test_candidate_pairs_union_of_passes_without_nulls_or_huge_blocks() -> None:
    a = pl.DataFrame({"p": ["x", "x", "y", None], "q": ["u", None, "v", "w"]})
    b = pl.DataFrame({"p": ["x", "y", None], "q": ["w", "u", "v"]})
    left, right = candidate_pairs(a, b)
    assert list(zip(left.tolist(), right.tolist(), strict=True)) == [(0, 0), (0, 1), (1, 0), (2, 1), (2, 2), (3, 0)]
    left, right = candidate_pairs(a, b, max_block_pairs=1)  # the block "x" (2 x 1 pairs) is skipped
    assert list(zip(left.tolist(), right.tolist(), strict=True)) == [(0, 1), (2, 1), (2, 2), (3, 0)]
    left, right = candidate_pairs(a)  # within one party
    assert list(zip(left.tolist(), right.tolist(), strict=True)) == [(0, 1)]
    with pytest.raises(ValueError, match="in common"):
        candidate_pairs(a, pl.DataFrame({"r": ["x"]}))


def test_greedy_matching_by_hand() -> None:
    # a0-b0 is best; a1's best (b0) is taken, so a1 gets b1 although a0-b1 would score more than a1-b1.
    left, right = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])
    score = np.array([0.95, 0.9, 0.93, 0.6])
    assert greedy_matching(left, right, score).tolist() == [True, False, False, True]
    assert greedy_matching(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)).tolist() == []
    # Ties: the lower left index, then the lower right index, wins.
    assert greedy_matching(np.array([1, 0]), np.array([0, 0]), np.array([0.8, 0.8])).tolist() == [False, True]


def test_greedy_matching_equals_anonlinks_greedy_solver() -> None:
    with warnings.catch_warnings():  # anonlink uses the deprecated mypy_extensions.TypedDict
        warnings.simplefilter("ignore", DeprecationWarning)
        solving = pytest.importorskip("anonlink.solving")
    rng = np.random.default_rng(11)
    for size in (30, 300, 5000):
        codes = np.unique(rng.integers(0, size // 3, size) * 1_000_000 + rng.integers(0, size // 3, size))
        left, right = codes // 1_000_000, codes % 1_000_000
        score = rng.random(len(codes))
        keep = greedy_matching(left, right, score)
        assert len(np.unique(left[keep])) == len(np.unique(right[keep])) == keep.sum()  # one-to-one
        order = np.argsort(-score)
        zeros, ones = array.array("I", [0] * len(order)), array.array("I", [1] * len(order))
        groups = solving.greedy_solve(
            (
                array.array("d", score[order].tolist()),
                (zeros, ones),
                (array.array("I", left[order].tolist()), array.array("I", right[order].tolist())),
            )
        )
        theirs = {tuple(record for _, record in sorted(group)) for group in groups}
        assert set(zip(left[keep].tolist(), right[keep].tolist(), strict=True)) == theirs


def test_link_encoded_is_one_to_one_above_the_threshold() -> None:
    a = random_bits(200, seed=12)
    b = np.concatenate([noisy_copies(a[:150], 0.08, 13), noisy_copies(a[:20], 0.1, 14)])  # 20 people twice in b
    links = link_encoded(a, b, threshold=0.75)
    assert links.columns == ["left", "right", "score"]
    assert links["left"].is_unique().all() and links["right"].is_unique().all()
    assert (links["score"] >= 0.75).all() and links["score"].is_sorted(descending=True)
    person = np.r_[np.arange(150), np.arange(20)]  # the row of a copied into each row of b
    assert (person[links["right"].to_numpy()] == links["left"].to_numpy()).all()
    assert len(links) == 150  # each copied person once; a's last 50 rows have no copy
    many = link_encoded(a, b, threshold=0.75, one_to_one=False)
    assert len(many) >= 170
    assert link_encoded(a, b, threshold=1.0).is_empty()


def test_bad_calls_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    a, wide = random_bits(10), random_bits(10, width=32)
    with pytest.raises(ValueError, match="widths"):
        link_encoded(a, wide, threshold=0.5)
    with pytest.raises(ValueError, match="both sides"):
        link_encoded(a, a, threshold=0.5, blocks_a=pl.DataFrame({"k": [1] * 10}))
    with pytest.raises(ValueError, match="one row per encoding"):
        link_encoded(a, a, threshold=0.5, blocks_a=pl.DataFrame({"k": [1]}), blocks_b=pl.DataFrame({"k": [1] * 10}))
    with pytest.raises(ValueError, match="threshold"):
        link_encoded(a, a, threshold=1.5)
    with pytest.raises(ValueError, match="multiple of 8"):
        link_encoded(a[:, :12], a[:, :12], threshold=0.5)
    monkeypatch.setattr(encoded, "MAX_ALL_PAIRS", 50)
    with pytest.raises(ValueError, match="blocking keys"):
        link_encoded(a, a, threshold=0.5)


def test_dedupe_encoded_clusters_copies_together() -> None:
    base = random_bits(50, seed=15)
    x = np.concatenate([base, noisy_copies(base[:10], 0.05, 16), noisy_copies(base[:5], 0.05, 17)])
    clusters = dedupe_encoded(x, threshold=0.8)
    assert clusters.columns == ["record", "cluster"] and clusters["record"].to_list() == list(range(65))
    cluster = clusters["cluster"].to_numpy()
    assert cluster[50:60].tolist() == list(range(10)) and cluster[60:65].tolist() == list(range(5))
    assert cluster[:50].tolist() == list(range(50))
    assert clusters["cluster"].n_unique() == 50
    blocked = dedupe_encoded(
        x, threshold=0.8, blocks=pl.DataFrame({"k": np.r_[np.arange(50), np.arange(10), np.arange(5)]})
    )
    assert blocked.equals(clusters)
    assert dedupe_encoded(x[:0], threshold=0.8).is_empty()


# --- FEBRL4 --------------------------------------------------------------------------------------------


def load_febrl(path: Path) -> pl.DataFrame:
    """A FEBRL file (a space after each comma), every column as trimmed text."""
    frame = pl.read_csv(path, infer_schema=False)
    frame.columns = [c.strip() for c in frame.columns]
    return frame.with_columns(pl.all().str.strip_chars())


@pytest.fixture(scope="module")
def febrl4() -> tuple[pl.DataFrame, pl.DataFrame]:
    """FEBRL datasets 4a and 4b (5,000 records each, every record of 4a has one duplicate in 4b)."""
    return (
        load_febrl(shared("record_linkage/febrl/dataset4a.csv")),
        load_febrl(shared("record_linkage/febrl/dataset4b.csv")),
    )


def f1_score(links: pl.DataFrame, a: pl.DataFrame, b: pl.DataFrame) -> float:
    """F1 of the links against FEBRL's truth: rec-N-org matches rec-N-dup-k."""
    ids_a = a["rec_id"].str.extract(r"rec-(\d+)-").to_numpy()
    ids_b = b["rec_id"].str.extract(r"rec-(\d+)-").to_numpy()
    correct = int((ids_a[links["left"].to_numpy()] == ids_b[links["right"].to_numpy()]).sum())
    truth = len(set(ids_a) & set(ids_b))
    precision, recall = correct / max(len(links), 1), correct / truth
    return 2 * precision * recall / (precision + recall) if correct else 0.0


@pytest.mark.parametrize(
    ("schema", "threshold", "blocked"),
    [
        (FEBRL_SCHEMA, 0.6, False),
        (FEBRL_SCHEMA, 0.6, True),
        (EncodingSchema(FEBRL_SCHEMA.fields, balanced=True), 0.65, False),
    ],
    ids=["all-pairs", "blocked", "balanced"],
)
def test_febrl4_encoded_linkage_reaches_f1_098(
    febrl4: tuple[pl.DataFrame, pl.DataFrame], schema: EncodingSchema, threshold: float, blocked: bool
) -> None:
    a, b = febrl4
    ea, eb = encode(a, schema, SECRET), encode(b, schema, SECRET)
    ba = blocking_keys(a, FEBRL_BLOCKS, SECRET) if blocked else None
    bb = blocking_keys(b, FEBRL_BLOCKS, SECRET) if blocked else None
    links = link_encoded(ea, eb, threshold=threshold, blocks_a=ba, blocks_b=bb)
    assert f1_score(links, a, b) >= 0.98
    # Whoever links without the secret gets nothing: B encoded with another secret matches nobody.
    stranger = encode(b, schema, b"a different deployment's secret")
    assert len(link_encoded(ea, stranger, threshold=threshold, blocks_a=ba, blocks_b=bb)) < 0.01 * len(a)
