"""Linkage on Bloom-filter encodings (:mod:`palermo.link.bloom`): Dice similarity, blocking, one-to-one matching.

Scores are Dice coefficients ``2 |A & B| / (|A| + |B|)`` computed with :func:`numpy.bitwise_count` on
the encodings viewed as 64-bit words, over candidate pairs (chunked, so memory stays bounded):

* blocked: pairs of records sharing a key in any column of ``blocks_a``/``blocks_b`` (keyed blocking
  keys from :func:`palermo.link.bloom.blocking_keys`, or Hamming-LSH keys from
  :func:`palermo.link.bloom.lsh_keys`, or both concatenated); the union of the passes is scored once;
* unblocked: every pair, chunked by rows of the left side, for small inputs (up to
  :data:`MAX_ALL_PAIRS` pairs).

Two-party linkage keeps pairs scoring at least ``threshold`` and solves them one-to-one greedily:
pairs by descending score (ties by left then right index), a pair is kept when neither record is
matched yet. The greedy solution is computed vectorised as rounds of *locally dominant* pairs (the
best remaining pair of both its records is kept, all other pairs of those records dropped), which
gives exactly the sequential greedy result (Preis 1999) in a few numpy passes. anonlink's
``greedy_solve`` computes the same matching on distinct pairs (``tests/link/test_encoded.py`` checks
it) but was not used: it takes Python arrays in its own candidate format and returns a tuple of Python
tuples per match, it is slower (2,000,000 random pairs: 10 s against 2 s here), importing anonlink
raises a DeprecationWarning (which the test suite turns into an error) and it ships no type hints.
Deduplication keeps all pairs at or above the threshold and returns connected components, which
can chain distinct people through intermediate records: use a high threshold.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

from palermo.link.bloom import Packed

MAX_ALL_PAIRS = 200_000_000
"""Above this many pairs, linking without blocks is refused (it would take minutes)."""
_PAIR_CHUNK = 1 << 15
"""Candidate pairs scored at once (and per thread)."""
_ALL_PAIRS_CHUNK = 1 << 17
"""Pairs compared at once (and per thread) by the unblocked path."""

Indices = npt.NDArray[np.int64]
Scores = npt.NDArray[np.float64]


def _words(x: Packed) -> npt.NDArray[np.uint64]:
    """Packed encodings as 64-bit words (no copy when already contiguous)."""
    if x.ndim != 2 or x.dtype != np.uint8 or x.shape[1] % 8:
        raise ValueError("encodings must be a 2-d uint8 array whose width is a multiple of 8 bytes")
    return np.ascontiguousarray(x).view(np.uint64)


def popcounts(x: Packed) -> Indices:
    """Number of set bits of every encoding."""
    counts: Indices = np.bitwise_count(_words(x)).sum(axis=1, dtype=np.int64)
    return counts


def _threads() -> int:
    """Worker threads for scoring (numpy releases the GIL in the loops used here)."""
    return max(1, min(8, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


def dice_pairs(a: Packed, b: Packed, left: Indices, right: Indices) -> Scores:
    """Dice coefficient of each pair ``(a[left[i]], b[right[i]])`` (0 when both encodings are empty).

    Pairs sorted by ``left`` (as :func:`candidate_pairs` returns them) are scored fastest.
    """
    wa, wb = _words(a), _words(b)
    pa, pb = popcounts(a), popcounts(b)
    out = np.empty(len(left), dtype=np.float64)
    accumulate = np.uint16 if wa.shape[1] * 64 < 1 << 16 else np.uint32

    def score(lo: int) -> None:
        li, ri = left[lo : lo + _PAIR_CHUNK], right[lo : lo + _PAIR_CHUNK]
        both = np.take(wa, li, axis=0)  # np.take is several times faster than fancy indexing here
        both &= np.take(wb, ri, axis=0)
        common = np.add.reduce(np.bitwise_count(both), axis=1, dtype=accumulate)
        total = pa[li] + pb[ri]
        out[lo : lo + _PAIR_CHUNK] = np.where(total > 0, 2.0 * common / np.maximum(total, 1), 0.0)

    with ThreadPoolExecutor(_threads()) as pool:
        list(pool.map(score, range(0, len(left), _PAIR_CHUNK)))
    return out


def candidate_pairs(
    blocks_a: pl.DataFrame, blocks_b: pl.DataFrame | None = None, *, max_block_pairs: int | None = None
) -> tuple[Indices, Indices]:
    """Record pairs sharing a key in at least one column (nulls never match), each pair once, sorted.

    With ``blocks_b`` None, pairs within ``blocks_a`` (left < right), for deduplication. Blocks that
    would yield more than ``max_block_pairs`` pairs are skipped (frequent keys such as a missing
    value spelled out).
    """
    same = blocks_b is None
    other = blocks_a if blocks_b is None else blocks_b
    columns = [c for c in blocks_a.columns if c in other.columns]
    if not columns:
        raise ValueError("the two sides have no blocking column in common")
    keys = []
    for column in columns:
        left = blocks_a.select(pl.col(column).alias("k")).with_row_index("left").drop_nulls()
        right = other.select(pl.col(column).alias("k")).with_row_index("right").drop_nulls()
        if max_block_pairs is not None:
            sizes = left.group_by("k").len("na").join(right.group_by("k").len("nb"), on="k")
            big = sizes.filter(pl.col("na").cast(pl.Int64) * pl.col("nb") > max_block_pairs)["k"]
            left, right = left.filter(~pl.col("k").is_in(big)), right.filter(~pl.col("k").is_in(big))
        pairs = left.join(right, on="k")
        if same:
            pairs = pairs.filter(pl.col("left") < pl.col("right"))
        keys.append(pairs.select(pl.col("left").cast(pl.UInt64) * pl.lit(1 << 32, dtype=pl.UInt64) + pl.col("right")))
    packed = pl.concat(keys).to_series().unique().sort().to_numpy()
    return (packed >> np.uint64(32)).astype(np.int64), (packed & np.uint64(0xFFFFFFFF)).astype(np.int64)


def _all_pairs(a: Packed, b: Packed | None, threshold: float) -> tuple[Indices, Indices, Scores]:
    """Every pair scoring at least ``threshold``, by blocks of rows of ``a`` against all of ``b``.

    The words of ``b`` are transposed so that each step is one contiguous AND and popcount of a
    block of rows against all of ``b``, accumulated word by word.
    """
    wa = _words(a)
    wb = wa if b is None else _words(b)
    pa = popcounts(a)
    pb = pa if b is None else popcounts(b)
    pairs = len(wa) * (len(wa) - 1) // 2 if b is None else len(wa) * len(wb)
    if pairs > MAX_ALL_PAIRS:
        raise ValueError(f"{pairs:,} pairs is too many to compare them all: pass blocking keys")
    columns = np.ascontiguousarray(wb.T)
    accumulate = np.uint16 if wa.shape[1] * 64 < 1 << 16 else np.uint32
    rows = max(1, _ALL_PAIRS_CHUNK // max(1, len(wb)))
    half = threshold / 2

    def block(lo: int) -> tuple[Indices, Indices, Scores]:
        chunk = wa[lo : lo + rows]
        first = lo + 1 if b is None else 0  # against itself: only pairs left < right
        common = np.zeros((len(chunk), len(wb) - first), dtype=accumulate)
        both = np.empty(common.shape, dtype=np.uint64)
        for word in range(wa.shape[1]):
            np.bitwise_and(chunk[:, word, None], columns[word, None, first:], out=both)
            common += np.bitwise_count(both)
        # Prefilter in float32 (2 |A & B| >= t (|A| + |B|), with slack), then score the survivors exactly.
        need = (pa[lo : lo + rows, None] * half).astype(np.float32) + (pb[first:] * half).astype(np.float32)
        keep = common >= need * np.float32(0.9999) - np.float32(0.01)
        if b is None:
            keep &= np.arange(first, len(wb))[None, :] > np.arange(lo, lo + len(chunk))[:, None]
        i, j = np.nonzero(keep)
        total = pa[lo + i] + pb[first + j]
        score = np.where(total > 0, 2.0 * common[i, j] / np.maximum(total, 1), 0.0)
        ok = score >= threshold
        return (i[ok] + lo).astype(np.int64), (j[ok] + first).astype(np.int64), score[ok]

    with ThreadPoolExecutor(_threads()) as pool:
        found = list(pool.map(block, range(0, len(wa), rows)))
    if not found:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.float64)
    return (
        np.concatenate([f[0] for f in found]),
        np.concatenate([f[1] for f in found]),
        np.concatenate([f[2] for f in found]),
    )


def score_pairs(
    a: Packed,
    b: Packed | None = None,
    *,
    threshold: float,
    blocks_a: pl.DataFrame | None = None,
    blocks_b: pl.DataFrame | None = None,
    max_block_pairs: int | None = None,
) -> pl.DataFrame:
    """All pairs scoring at least ``threshold``: a frame of ``left``, ``right`` (row indices) and ``score``.

    ``b`` None compares ``a`` with itself (pairs left < right). With blocks (both sides' when ``b`` is
    given), only candidate pairs are scored; without, every pair.
    """
    if not 0.0 <= threshold <= 1.0:
        raise ValueError("threshold must be between 0 and 1")
    if b is not None and a.shape[1] != b.shape[1]:
        raise ValueError(f"encodings of different widths ({a.shape[1]} and {b.shape[1]} bytes): different schemas")
    if blocks_a is None:
        left, right, score = _all_pairs(a, b, threshold)
    else:
        if (b is None) != (blocks_b is None):
            raise ValueError("give blocks for both sides, or for neither")
        if len(blocks_a) != len(a) or (b is not None and blocks_b is not None and len(blocks_b) != len(b)):
            raise ValueError("blocking keys must have one row per encoding")
        left, right = candidate_pairs(blocks_a, blocks_b, max_block_pairs=max_block_pairs)
        score = dice_pairs(a, a if b is None else b, left, right)
        keep = score >= threshold
        left, right, score = left[keep], right[keep], score[keep]
    return pl.DataFrame(
        {"left": left.astype(np.uint32), "right": right.astype(np.uint32), "score": score},
        schema={"left": pl.UInt32, "right": pl.UInt32, "score": pl.Float64},
    )


def greedy_matching(left: Indices, right: Indices, score: Scores) -> npt.NDArray[np.bool_]:
    """One-to-one greedy matching: which pairs are kept (pairs by descending score, ties by left, right)."""
    order = np.lexsort((right, left, -score))
    ls, rs = np.asarray(left, dtype=np.int64)[order], np.asarray(right, dtype=np.int64)[order]
    kept = np.zeros(len(order), dtype=bool)
    used_left = np.zeros(int(ls.max()) + 1 if len(ls) else 0, dtype=bool)
    used_right = np.zeros(int(rs.max()) + 1 if len(rs) else 0, dtype=bool)
    alive = np.arange(len(order))
    while len(alive):  # each round keeps the pairs that are the best remaining pair of both their records
        la, ra = ls[alive], rs[alive]
        rank = np.arange(len(alive))
        first_left = np.full(len(used_left), len(alive))
        np.minimum.at(first_left, la, rank)
        first_right = np.full(len(used_right), len(alive))
        np.minimum.at(first_right, ra, rank)
        winners = alive[(first_left[la] == rank) & (first_right[ra] == rank)]  # never empty: the best pair wins
        kept[winners] = True
        used_left[ls[winners]] = True
        used_right[rs[winners]] = True
        alive = alive[~(used_left[la] | used_right[ra])]
    out = np.zeros(len(order), dtype=bool)
    out[order] = kept
    return out


def link_encoded(
    a: Packed,
    b: Packed,
    *,
    threshold: float,
    blocks_a: pl.DataFrame | None = None,
    blocks_b: pl.DataFrame | None = None,
    one_to_one: bool = True,
    max_block_pairs: int | None = None,
) -> pl.DataFrame:
    """Link two parties' encodings: ``left`` (row of ``a``), ``right`` (row of ``b``), ``score``, best first.

    Pairs scoring at least ``threshold`` (Dice), solved one-to-one greedily unless ``one_to_one`` is
    False. Pass ``blocks_a`` and ``blocks_b`` (same columns) to score only candidate pairs.
    """
    if blocks_a is None and blocks_b is not None:
        raise ValueError("give blocks for both sides, or for neither")
    pairs = score_pairs(
        a, b, threshold=threshold, blocks_a=blocks_a, blocks_b=blocks_b, max_block_pairs=max_block_pairs
    )
    if one_to_one and len(pairs):
        keep = greedy_matching(pairs["left"].to_numpy(), pairs["right"].to_numpy(), pairs["score"].to_numpy())
        pairs = pairs.filter(pl.Series(keep))
    return pairs.sort(["score", "left", "right"], descending=[True, False, False])


def dedupe_encoded(
    x: Packed, *, threshold: float, blocks: pl.DataFrame | None = None, max_block_pairs: int | None = None
) -> pl.DataFrame:
    """Cluster one party's encodings: ``record`` (row) and ``cluster`` (the smallest row of its cluster).

    Records are connected when their Dice score is at least ``threshold`` (pairs from ``blocks`` if
    given, else all pairs); clusters are the connected components, singletons included.
    """
    pairs = score_pairs(x, threshold=threshold, blocks_a=blocks, max_block_pairs=max_block_pairs)
    n = len(x)
    graph = coo_array(
        (np.ones(len(pairs), dtype=np.int8), (pairs["left"].to_numpy(), pairs["right"].to_numpy())), shape=(n, n)
    )
    _, labels = connected_components(graph, directed=False)
    smallest = np.full(labels.max() + 1 if n else 0, n, dtype=np.int64)
    np.minimum.at(smallest, labels, np.arange(n))
    return pl.DataFrame(
        {"record": np.arange(n, dtype=np.uint32), "cluster": smallest[labels].astype(np.uint32)},
        schema={"record": pl.UInt32, "cluster": pl.UInt32},
    )
