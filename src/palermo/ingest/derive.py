"""Fields derived from others when a file does not give them, so every layout feeds the same analyses.

Only gaps are filled, never a value the file gives; contradictions between given values are the
validator's business. The year of registration comes from the registration date, else the incoming
referral date; the age band from the age at registration; the majority status from the age band; the
majority status at exploitation from the age when trafficked.
"""

from __future__ import annotations

import polars as pl

from ..standard.extensions import AGE_BANDS, MINOR_BANDS

_BAND_EDGES = [(0, 8), (9, 17), (18, 20), (21, 23), (24, 26), (27, 29), (30, 38), (39, 47), (48, 200)]


def _band(age: pl.Expr) -> pl.Expr:
    expr: pl.Expr = pl.lit(None, dtype=pl.String)
    for (low, high), band in zip(reversed(_BAND_EDGES), reversed(AGE_BANDS), strict=True):
        expr = pl.when((age >= low) & (age <= high)).then(pl.lit(band)).otherwise(expr)
    return expr


def _fill(frame: pl.DataFrame, target: str, value: pl.Expr) -> pl.DataFrame:
    if target in frame.columns:
        return frame.with_columns(pl.coalesce(pl.col(target), value).alias(target))
    return frame.with_columns(value.alias(target))


def derive_fields(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` (typed, columns named by HTCDS field) with derivable gaps filled."""
    has = set(frame.columns)
    for source in ("cas_RegistrationDate", "cas_IncomingReferralDate"):
        if source in has:
            frame = _fill(frame, "cas_RegistrationYear", pl.col(source).dt.year().cast(pl.Int64))
    if "vic_AgeAtRegistration" in has:
        frame = _fill(frame, "vic_AgeBand", _band(pl.col("vic_AgeAtRegistration")))
    if "vic_AgeBand" in frame.columns:
        band = pl.col("vic_AgeBand")
        majority = pl.when(band.is_in(list(MINOR_BANDS))).then(pl.lit("Minor")).when(band.is_not_null())
        frame = _fill(frame, "vic_MajorityStatus", majority.then(pl.lit("Adult")).otherwise(None))
    if "vic_AgeWhenTrafficked" in has:
        age = pl.col("vic_AgeWhenTrafficked")
        at_exploit = pl.when(age < 18).then(pl.lit("Minor")).when(age >= 18).then(pl.lit("Adult")).otherwise(None)
        frame = _fill(frame, "vic_MajorityStatusAtExploit", at_exploit)
    return frame
