"""Next-period counts per UN M49 region and per form of exploitation, with 80 % and 95 % intervals.

Model: a local level on the log scale — simple exponential smoothing, ETS(A,N,N), of ``log(1 + count)``.
Yearly case counts are short (5-20 points), noisy, and break: a contributor joins, a data release
doubles a year. A local level follows breaks, its intervals widen with the horizon and with how much
the level moves, and the log scale makes noise proportional to size and keeps intervals above 0.

Chosen by rolling-origin backtests (one step ahead, at least 5 years of training) on the demo data
and the CTDC extract, and on simulated stable, trending, random-walk and overdispersed series. The
five-year quasi-Poisson log-linear trend of :mod:`.trend` (what change detection uses) had 1.2-5.2
times the naive MAE on the real series, 19 times on the CTDC extract (extrapolating its 2016 spike);
it won only on simulated steady exponential trends. The local level had 0.88-1.14 times the naive MAE
on the real series and 0.75-1.12 on the simulated ones; its 80 % / 95 % intervals covered 78-92 % /
94-98 % everywhere except the spiky CTDC extract (63 % / 87 %; the trend's: 72 % / 83 %). On real
yearly counts nothing beat the last value by much, which is why the backtest is published beside the
forecasts.

Estimation is exact profile least squares (the maximum-likelihood estimate for additive Gaussian
errors, which statsmodels' ``ETSModel`` computes with L-BFGS): SSE is quadratic in the initial level,
so for each smoothing weight ``alpha`` on a grid of 200 in [1e-4, 0.9999] the best initial level is
closed-form, and the grid point of least SSE is taken. A test checks it against ``ETSModel`` (which
sometimes stops at a worse local optimum). A fit here takes ~50 µs; ``ETSModel.fit`` took 5 ms, and
110 ms on this two-core machine unless ``OPENBLAS_NUM_THREADS=1`` (L-BFGS-B's tiny BLAS calls wait on
OpenBLAS threads): it matters because the backtest fits once per series and origin. Intervals: ``level ± t sigma
sqrt(1 + (h - 1) alpha²)`` on the log scale, ``sigma² = SSE / (n - 2)`` and ``t`` the Student quantile
with n - 2 degrees of freedom (two fitted parameters; normal quantiles under-covered by 2-5 points on
short series), back-transformed and rounded outwards to whole counts. The point forecast is the
back-transformed level: the predictive median.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
from numpy.typing import NDArray
from scipy import stats

from .model import ResultTable
from .series import yearly_counts

KINDS = ("total", "region", "form")
LEVELS = (0.8, 0.95)
_ALPHAS = np.linspace(1e-4, 0.9999, 200)
_CAVEAT = "Counts follow who contributes data as much as trafficking itself; read the backtest before the forecast."


@dataclass(frozen=True)
class LevelFit:
    """Simple exponential smoothing of ``log(1 + count)``: the final level, its weight and the residual sd."""

    level: float
    alpha: float
    sigma: float
    df: int
    """Degrees of freedom of ``sigma``: periods fitted minus 2."""

    def forecast(self, ahead: int = 1) -> float:
        """The point forecast (predictive median) of the count ``ahead`` periods after the last."""
        return max(0.0, math.expm1(self.level))

    def interval(self, level: float, ahead: int = 1) -> tuple[int, int]:
        """Prediction interval of the count ``ahead`` periods on, in whole counts, at ``level`` (e.g. 0.8)."""
        z = float(stats.t.ppf(0.5 + level / 2.0, self.df))
        spread = z * self.sigma * math.sqrt(1.0 + (ahead - 1) * self.alpha**2)
        return max(0, math.floor(math.expm1(self.level - spread))), math.ceil(math.expm1(self.level + spread))


def fit_level(history: Sequence[int] | NDArray[np.int64]) -> LevelFit:
    """Fit ETS(A,N,N) to ``log(1 + history)`` by exact profile least squares (at least 3 periods)."""
    z = np.log1p(np.asarray(history, dtype=np.float64))
    n = z.size
    if n < 3:
        raise ValueError("a local level with an error variance needs at least 3 periods")
    decay = 1.0 - _ALPHAS
    # One-step predictions are l_{t-1} = decay^t l0 + c_t, with c_t the smoothed earlier values: linear in l0.
    a = np.empty((n, _ALPHAS.size))
    c = np.empty((n, _ALPHAS.size))
    a[0], c[0] = 1.0, 0.0
    for t in range(1, n):
        a[t] = a[t - 1] * decay
        c[t] = c[t - 1] * decay + _ALPHAS * z[t - 1]
    residual = z[:, None] - c
    l0 = (a * residual).sum(axis=0) / (a * a).sum(axis=0)
    sse = ((residual - a * l0) ** 2).sum(axis=0)
    best = int(np.argmin(sse))
    alpha = float(_ALPHAS[best])
    level = float(a[-1, best] * l0[best] + c[-1, best])
    level = (1.0 - alpha) * level + alpha * float(z[-1])  # update with the last observation
    return LevelFit(level=level, alpha=alpha, sigma=math.sqrt(float(sse[best]) / (n - 2)), df=n - 2)


def _series(counts: pl.DataFrame, min_history: int) -> pl.DataFrame:
    """One row per series: its years and counts from its first non-zero year, if long enough."""
    return (
        counts.sort("year")
        .group_by("kind", "series", maintain_order=True)
        .agg(pl.col("year", "count").filter(pl.col("count").cum_sum() > 0))
        .filter(pl.col("year").list.len() >= min_history)
        .sort("kind", "series")
    )


def forecast_counts(counts: pl.DataFrame, *, horizon: int = 1, min_history: int = 4) -> pl.DataFrame:
    """Forecasts for each series of a ``kind, series, year, count`` frame, ``horizon`` years on."""
    rows: list[dict[str, object]] = []
    for kind, series, years, values in _series(counts, min_history).iter_rows():
        fit = fit_level(values)
        for ahead in range(1, horizon + 1):
            row: dict[str, object] = {"kind": kind, "series": series, "year": years[-1] + ahead,
                                      "forecast": fit.forecast(ahead)}
            for level in LEVELS:
                lower, upper = fit.interval(level, ahead)
                row[f"lower_{round(level * 100)}"], row[f"upper_{round(level * 100)}"] = lower, upper
            row["alpha"] = fit.alpha
            rows.append(row)
    schema = {"kind": pl.String, "series": pl.String, "year": pl.Int64, "forecast": pl.Float64,
              "lower_80": pl.Int64, "upper_80": pl.Int64, "lower_95": pl.Int64, "upper_95": pl.Int64,
              "alpha": pl.Float64}
    return pl.DataFrame(rows, schema=schema)


def forecasts(
    cases: pl.DataFrame, *, horizon: int = 1, kinds: Sequence[str] = KINDS, last: int | None = None,
    min_history: int = 4,
) -> ResultTable:
    """Forecasts of the cases per M49 region of exploitation and per form, for the ``horizon`` years after
    ``last`` (default: the last year with cases), from series with at least ``min_history`` years."""
    counts = yearly_counts(cases, kinds, last=last)
    frame = forecast_counts(counts, horizon=horizon, min_history=min_history)
    return ResultTable(
        name="forecasts",
        title="Forecast cases per region and form of exploitation",
        frame=frame,
        dims=("kind", "series", "year"),
        counts=(),
        figures=("forecast", "lower_80", "upper_80", "lower_95", "upper_95", "alpha"),
        margins=(),
        section="Forecasts",
        description=(
            "Next-period cases from a local level (exponential smoothing of log counts), with 80% and 95% "
            "prediction intervals. Region: UN M49 region of the country of exploitation."
        ),
        notes=(_CAVEAT, "A case with several forms of exploitation counts in each."),
    )


def backtest_counts(counts: pl.DataFrame, *, min_train: int = 5) -> pl.DataFrame:
    """Rolling-origin one-step backtest of each series of a ``kind, series, year, count`` frame.

    For every origin from the ``min_train``-th year of a series (counted from its first non-zero year)
    to the last but one, fit on the years up to the origin and forecast the next. Per series:
    ``forecasts`` made; ``mae`` and ``mae_naive`` (last value as forecast) over them; ``relative_mae``
    = mae / mae_naive (below 1: better than naive); ``mase`` and ``mase_naive``, both scaled by the mean
    absolute year-on-year change of the series before its last year (Hyndman and Koehler 2006);
    ``coverage_80`` and ``coverage_95``: share of actual counts inside the intervals. A last row
    (kind ``all``) pools every forecast (MASE: mean over series).
    """
    rows: list[dict[str, object]] = []
    pooled: list[tuple[float, float, bool, bool]] = []
    mases: list[float] = []
    naive_mases: list[float] = []
    for kind, series, _, values in _series(counts, min_train + 1).iter_rows():
        errors: list[tuple[float, float, bool, bool]] = []
        for origin in range(min_train, len(values)):
            fit, actual = fit_level(values[:origin]), values[origin]
            (lo80, hi80), (lo95, hi95) = fit.interval(0.8), fit.interval(0.95)
            errors.append((abs(actual - fit.forecast()), abs(actual - values[origin - 1]),
                           lo80 <= actual <= hi80, lo95 <= actual <= hi95))
        scale = float(np.mean(np.abs(np.diff(values[:-1])))) if len(values) > 2 else 0.0
        rows.append({"kind": kind, "series": series, **_scores(errors, scale)})
        pooled.extend(errors)
        if scale > 0:
            mases.append(float(np.mean([e[0] for e in errors])) / scale)
            naive_mases.append(float(np.mean([e[1] for e in errors])) / scale)
    if rows:
        overall = _scores(pooled, 0.0)
        overall["mase"] = float(np.mean(mases)) if mases else None
        overall["mase_naive"] = float(np.mean(naive_mases)) if naive_mases else None
        rows.append({"kind": "all", "series": "all series", **overall})
    schema = {"kind": pl.String, "series": pl.String, "forecasts": pl.Int64, "mae": pl.Float64,
              "mae_naive": pl.Float64, "relative_mae": pl.Float64, "mase": pl.Float64, "mase_naive": pl.Float64,
              "coverage_80": pl.Float64, "coverage_95": pl.Float64}
    return pl.DataFrame(rows, schema=schema)


def _scores(errors: list[tuple[float, float, bool, bool]], scale: float) -> dict[str, object]:
    mae = float(np.mean([e[0] for e in errors]))
    mae_naive = float(np.mean([e[1] for e in errors]))
    return {
        "forecasts": len(errors),
        "mae": mae,
        "mae_naive": mae_naive,
        "relative_mae": mae / mae_naive if mae_naive > 0 else None,
        "mase": mae / scale if scale > 0 else None,
        "mase_naive": mae_naive / scale if scale > 0 else None,
        "coverage_80": float(np.mean([e[2] for e in errors])),
        "coverage_95": float(np.mean([e[3] for e in errors])),
    }


def backtest(
    cases: pl.DataFrame, *, kinds: Sequence[str] = KINDS, min_train: int = 5, last: int | None = None
) -> ResultTable:
    """How the forecasts would have fared: a rolling-origin backtest against the naive last-value forecast."""
    counts = yearly_counts(cases, kinds, last=last)
    frame = backtest_counts(counts, min_train=min_train)
    return ResultTable(
        name="forecast_backtest",
        title="How accurate the forecasts have been",
        frame=frame,
        dims=("kind", "series"),
        counts=(),
        figures=("forecasts", "mae", "mae_naive", "relative_mae", "mase", "mase_naive", "coverage_80", "coverage_95"),
        margins=(),
        section="Forecasts",
        description=(
            "Each year's count forecast from the years before it (at least "
            f"{min_train}), compared with the naive forecast (last year's count). relative_mae below 1: the model "
            "beat the naive forecast; coverage: share of actual counts inside the 80% and 95% intervals."
        ),
        notes=(_CAVEAT,),
    )
