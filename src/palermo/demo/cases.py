"""Vectorised simulation of the analytical part of trafficking cases, loosely modelled on CTDC data.

Distributions follow the CTDC global dataset in broad strokes (growth over the years, ~70% women
and girls, sexual exploitation and forced labour dominant, ~20% minors, the big corridors such as
PH->SA/AE/MY, UA->RU/PL, MD->RU/TR, KH/MM->TH, VN->CN/GB, NG->IT), with online-scam compounds
emerging from 2021. Every attribute is a numpy array; combinations are kept consistent (minors'
bands and majority status agree, forced-labour cases have an industry, and so on).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

FIRST_YEAR, LAST_YEAR = 2002, 2024
YEARS = np.arange(FIRST_YEAR, LAST_YEAR + 1)

KINDS = ("sex", "labour", "sex_and_labour", "marriage", "military", "organ", "other")
SEX, LABOUR, SEX_AND_LABOUR, MARRIAGE, MILITARY, ORGAN, OTHER = range(7)

INDUSTRIES = ("Agriculture", "Aquafarming", "Begging", "Construction", "DomesticWork", "Hospitality",
              "IllicitActivities", "Manufacturing", "MiningOrDrilling", "Peddling", "Transportation",
              "Other", "NotSpecified")
BEGGING, DOMESTIC, NOT_SPECIFIED_INDUSTRY = 2, 4, 12
SEX_TYPES = ("Prostitution", "Pornography", "RemoteInteractiveServices", "PrivateSexualServices")
CONTROLS = ("DebtBondage", "TakesEarnings", "RestrictsFinancialAccess", "Threats", "PsychologicalAbuse",
            "PhysicalAbuse", "SexualAbuse", "FalsePromises", "PsychoactiveSubstances", "RestrictsMovement",
            "RestrictsMedicalCare", "ExcessiveWorkingHours", "UsesChildren", "ThreatOfLawEnforcement",
            "WithholdsNecessities", "WithholdsDocuments", "Other", "NotSpecified")
NOT_SPECIFIED_CONTROL = 17
RECRUITERS = ("IntimatePartner", "Friend", "Family", "Other")
BAND_LOW = np.array([0, 9, 18, 21, 24, 27, 30, 39, 48])
BAND_HIGH = np.array([8, 17, 20, 23, 26, 29, 38, 47, 66])

# name: kind probabilities (KINDS order), industry weights (INDUSTRIES without NotSpecified), sex types
_PROFILES: dict[str, tuple[list[float], list[float], list[float]]] = {
    "sex": ([.85, .06, .03, 0, 0, 0, .06], [1, 0, 1, 1, 1, 6, 1, 1, 0, 1, 0, 2], [.85, .08, .03, .04]),
    "sex_online": ([.8, .08, .02, 0, 0, 0, .1], [1, 0, 1, 0, 1, 3, 2, 1, 0, 1, 0, 2], [.45, .2, .3, .05]),
    "labour": ([.12, .8, .04, 0, 0, 0, .04], [15, 4, 3, 25, 12, 7, 3, 15, 3, 2, 3, 8], [.9, .06, .02, .02]),
    "domestic": ([.04, .92, .02, 0, 0, 0, .02], [2, 0, 0, 2, 85, 5, 0, 2, 0, 0, 1, 3], [.9, .06, .02, .02]),
    "fishing": ([.03, .92, .01, 0, 0, 0, .04], [15, 60, 1, 10, 3, 1, 0, 8, 0, 0, 1, 1], [.9, .06, .02, .02]),
    "marriage": ([.2, .1, .02, .64, 0, 0, .04], [20, 0, 2, 5, 40, 5, 0, 15, 0, 0, 0, 13], [.9, .06, .02, .02]),
    "mixed": ([.45, .4, .08, .02, 0, 0, .05], [15, 2, 5, 20, 15, 10, 5, 15, 2, 3, 3, 5], [.85, .08, .03, .04]),
    "illicit": ([.1, .85, 0, 0, 0, 0, .05], [5, 0, 0, 5, 2, 25, 55, 3, 0, 0, 0, 5], [.9, .06, .02, .02]),
    "scam": ([.02, .95, 0, 0, 0, 0, .03], [0, 0, 0, 2, 1, 3, 90, 1, 0, 0, 0, 3], [.5, .2, .25, .05]),
    "child_labour": ([.05, .8, 0, .1, 0, 0, .05], [40, 0, 20, 5, 5, 3, 0, 25, 0, 2, 0, 0], [.9, .06, .02, .02]),
    "transit": ([.3, .45, .05, 0, .05, .05, .1], [20, 0, 2, 30, 15, 5, 5, 5, 5, 3, 5, 5], [.95, .05, 0, 0]),
    "conflict": ([.2, .2, 0, .1, .45, 0, .05], [30, 0, 0, 5, 10, 0, 10, 0, 40, 0, 5, 0], [.95, .05, 0, 0]),
}
_PROFILE_NAMES = tuple(_PROFILES)

# citizenship, country of exploitation, weight, profile, first year (0 = always), share via hotline
_CORRIDORS: tuple[tuple[str, str, float, str, int, float], ...] = (
    ("PH", "SA", 5, "domestic", 0, 0), ("PH", "AE", 3, "domestic", 0, 0), ("PH", "MY", 3, "labour", 0, 0),
    ("PH", "KW", 1.5, "domestic", 0, 0), ("PH", "PH", 4, "sex_online", 0, 0), ("PH", "PL", .4, "labour", 2017, 0),
    ("ID", "MY", 3, "domestic", 0, 0), ("ID", "SA", 1, "domestic", 0, 0), ("ID", "ID", .8, "sex", 0, 0),
    ("UA", "RU", 4, "labour", 0, 0), ("UA", "PL", 3.5, "labour", 0, 0), ("UA", "UA", 1.5, "sex", 0, 0),
    ("UA", "TR", .8, "sex", 0, 0), ("UA", "DE", .7, "mixed", 0, 0), ("MD", "RU", 3, "labour", 0, 0),
    ("MD", "TR", 2, "sex", 0, 0), ("MD", "MD", .6, "mixed", 0, 0), ("MD", "AE", .4, "sex", 0, 0),
    ("BY", "RU", 1.2, "labour", 0, 0), ("BY", "PL", .6, "labour", 0, 0), ("KH", "TH", 3.5, "fishing", 0, 0),
    ("KH", "MY", .8, "labour", 0, 0), ("KH", "CN", .8, "marriage", 0, 0), ("KH", "KH", .8, "sex", 0, 0),
    ("MM", "TH", 3, "fishing", 0, 0), ("MM", "CN", 1.5, "marriage", 0, 0), ("MM", "MY", .7, "labour", 0, 0),
    ("LA", "TH", 1.2, "sex", 0, 0), ("VN", "CN", 1.2, "marriage", 0, 0), ("VN", "GB", 1, "illicit", 0, 0),
    ("VN", "PL", .3, "labour", 0, 0), ("VN", "VN", .3, "sex", 0, 0), ("TH", "TH", .8, "sex", 0, 0),
    ("TH", "MY", .3, "sex", 0, 0), ("NG", "IT", 1.5, "sex", 0, 0), ("NG", "NG", .4, "labour", 0, 0),
    ("NG", "LY", .4, "transit", 0, 0), ("ER", "LY", .2, "transit", 0, 0), ("GH", "GH", .7, "fishing", 0, 0),
    ("CD", "CD", .2, "conflict", 0, 0), ("US", "US", 8, "sex", 0, .9), ("MX", "US", .8, "labour", 0, .9),
    ("RO", "GB", .6, "sex", 0, 0), ("RO", "IT", .5, "mixed", 0, 0), ("RO", "DE", .5, "sex", 0, 0),
    ("KG", "RU", .8, "labour", 0, 0), ("KG", "TR", .3, "domestic", 0, 0), ("UZ", "RU", 1.2, "labour", 0, 0),
    ("UZ", "KZ", .4, "labour", 0, 0), ("UZ", "TR", .6, "domestic", 0, 0), ("TJ", "RU", .4, "labour", 0, 0),
    ("TM", "TR", .4, "domestic", 0, 0), ("SY", "TR", .6, "child_labour", 2012, 0), ("GE", "TR", .3, "labour", 0, 0),
    ("HT", "DO", .4, "labour", 0, 0), ("AL", "GB", .4, "sex", 0, 0), ("CO", "CO", .4, "sex", 0, 0),
    ("NP", "IN", .4, "sex", 0, 0), ("NP", "MY", .3, "labour", 0, 0), ("BD", "MY", .3, "labour", 0, 0),
    ("ID", "KH", 1, "scam", 2021, 0), ("VN", "KH", .8, "scam", 2021, 0), ("CN", "MM", .8, "scam", 2021, 0),
    ("PH", "KH", .5, "scam", 2021, 0), ("TH", "MM", .4, "scam", 2021, 0), ("KE", "MM", .2, "scam", 2022, 0),
    ("MY", "KH", .3, "scam", 2021, 0), ("LA", "LA", .3, "scam", 2021, 0), ("PH", "TH", .3, "sex", 0, 0),
    ("PH", "TR", .2, "domestic", 0, 0), ("TH", "PL", .15, "labour", 0, 0), ("UZ", "TH", .15, "sex", 0, 0),
    ("TH", "TR", .15, "sex", 0, 0),
)
COUNTRIES: tuple[str, ...] = tuple(sorted({c for row in _CORRIDORS for c in row[:2]}))
"""Every country the simulation uses (ISO 3166-1 alpha-2), sorted; case arrays index into it."""
_CIT = np.array([COUNTRIES.index(r[0]) for r in _CORRIDORS])
_EXP = np.array([COUNTRIES.index(r[1]) for r in _CORRIDORS])
_PROFILE = np.array([_PROFILE_NAMES.index(r[3]) for r in _CORRIDORS])
_HOTLINE = np.array([r[5] for r in _CORRIDORS])
_KIND_P = np.array([p[0] for p in _PROFILES.values()], dtype=float)
_INDUSTRY_P = np.array([p[1] for p in _PROFILES.values()], dtype=float)
_SEX_TYPE_P = np.array([p[2] for p in _PROFILES.values()], dtype=float)

_FEMALE_P = np.array([.94, .45, .85, 1.0, .1, .4, .7])  # by kind
_INDUSTRY_FEMALE_P = np.array([.4, .03, .5, .05, .92, .7, .35, .6, .05, .5, .1, .5, .5])
_MINOR_P = np.array([.25, .12, .15, .35, .6, .05, .3])  # by kind
_SMALL_CHILD_P = np.array([.1, .03, .03, 0, 0, .2, .3])  # share aged 0-8 among minors, by kind
_ADULT_BANDS_P = np.array([.14, .14, .12, .10, .25, .15, .10])
# Bernoulli probability of each means of control (CONTROLS minus NotSpecified) by group sex / labour / other
_CONTROL_P = np.array([
    [.12, .35, .08, .4, .5, .35, .3, .3, .15, .3, .05, .1, .01, .1, .08, .12, .06],
    [.35, .4, .15, .3, .3, .15, .02, .35, .02, .35, .1, .4, .01, .2, .2, .35, .06],
    [.05, .1, .05, .3, .4, .3, .2, .3, .05, .35, .05, .05, .01, .05, .1, .1, .15],
], dtype=np.float32)


@dataclass(frozen=True)
class Cases:
    """Simulated case attributes, one array element per case (indices into the tuples above)."""

    year: IntArray
    day: IntArray
    """Day of the year of registration, 0-364."""
    hotline: BoolArray
    citizenship: IntArray
    """Index into COUNTRIES."""
    exploited_in: IntArray
    kind: IntArray
    labour: IntArray
    """Bit mask over INDUSTRIES (0 unless the kind includes forced labour)."""
    sex_types: IntArray
    """Bit mask over SEX_TYPES (0 unless the kind includes sexual exploitation)."""
    controls: IntArray
    """Bit mask over CONTROLS."""
    gender: IntArray
    """0 female, 1 male, 2 transgender or non-conforming."""
    band: IntArray
    """Index into the CTDC age bands, at registration."""
    entry_band: IntArray
    """Age band on entering the trafficking situation (never above ``band``)."""
    age: IntArray
    """Age in years at registration, within ``band``."""
    abduction: IntArray
    """-99 (not collected before 2017 or unknown), 0 or 1."""
    recruiter: IntArray
    """Bit mask over RECRUITERS (hotline cases only)."""
    known: dict[str, BoolArray]
    """Whether each attribute was recorded: gender, age, status, status_exploit, entry, citizenship,
    exploited_in, kind, controls, recruiter."""

    def __len__(self) -> int:
        return len(self.year)

    @property
    def minor(self) -> BoolArray:
        """Whether the person was under 18 at registration."""
        return self.band <= 1


def _pick(rng: np.random.Generator, weights: npt.NDArray[np.float64], group: IntArray) -> IntArray:
    """For each row draw a column of ``weights`` (one row of weights per group) with those weights."""
    cdf = np.cumsum(weights, axis=1)
    cdf /= cdf[:, -1:]
    u = rng.random(len(group))
    out = np.zeros(len(group), dtype=np.int64)
    for g in np.unique(group):
        rows = np.flatnonzero(group == g)
        out[rows] = np.searchsorted(cdf[g], u[rows], side="right")
    np.minimum(out, weights.shape[1] - 1, out=out)
    return out


def _bits(index: IntArray) -> IntArray:
    out: IntArray = np.left_shift(np.int64(1), index)
    return out


def corridor_weights(focus: str | None, first_year: int) -> npt.NDArray[np.float64]:
    """Weight of each corridor in each year (rows: YEARS); ``focus`` boosts one country's corridors."""
    base = np.array([r[2] for r in _CORRIDORS])
    if focus is not None:
        base = base * (1 + 40 * np.array([r[1] == focus for r in _CORRIDORS])
                       + 12 * np.array([r[0] == focus for r in _CORRIDORS]))
    start = np.array([r[4] for r in _CORRIDORS])
    ramp = np.clip(0.5 * (YEARS[:, None] - start[None, :] + 1), 0, 2.0)
    ramp[:, start == 0] = 1.0
    weights: npt.NDArray[np.float64] = base[None, :] * ramp
    weights[np.less(YEARS, first_year)] = 1.0  # never drawn; keeps the rows valid
    return weights


def _years(rng: np.random.Generator, n: int, first_year: int) -> IntArray:
    # fast growth until 2016 as more partners contributed, slower since; fewer cases during COVID-19
    w = 1.16 ** (np.minimum(YEARS, 2016) - FIRST_YEAR) * 1.04 ** np.maximum(YEARS - 2016, 0)
    w = w * np.where(YEARS == 2020, .7, 1) * np.where(YEARS == 2021, .85, 1)
    w = np.where(np.greater_equal(YEARS, first_year), w, 0)
    return rng.choice(YEARS, size=n, p=w / w.sum()).astype(np.int64)


def simulate_cases(
    n: int, rng: np.random.Generator, *, focus: str | None = None, first_year: int = FIRST_YEAR
) -> Cases:
    """Simulate ``n`` cases; ``focus`` (alpha-2) favours corridors to and from that country."""
    year = _years(rng, n, first_year)
    corridor = _pick(rng, corridor_weights(focus, first_year), year - FIRST_YEAR)
    profile = _PROFILE[corridor]
    hotline = rng.random(n) < _HOTLINE[corridor]
    kind = _pick(rng, _KIND_P, profile)
    has_labour = (kind == LABOUR) | (kind == SEX_AND_LABOUR)
    has_sex = (kind == SEX) | (kind == SEX_AND_LABOUR)

    first, second = _pick(rng, _INDUSTRY_P, profile), _pick(rng, _INDUSTRY_P, profile)
    unspecified = rng.random(n) < .12
    labour = _bits(first) | np.where(rng.random(n) < .1, _bits(second), 0)
    labour = np.where(unspecified, _bits(np.full(n, NOT_SPECIFIED_INDUSTRY)), labour)
    labour = np.where(has_labour, labour, 0)
    main_industry = np.where(unspecified, NOT_SPECIFIED_INDUSTRY, first)

    sex_type = _pick(rng, _SEX_TYPE_P, profile)
    sex_type = np.where((year < 2017) & (sex_type >= 2), 0, sex_type)  # collected from 2017 only
    sex_types = _bits(sex_type) | np.where(rng.random(n) < .08, 2, 0)
    sex_types = np.where(has_sex, sex_types, 0)

    p_female = np.where(kind == LABOUR, _INDUSTRY_FEMALE_P[main_industry], _FEMALE_P[kind])
    gender = np.where(rng.random(n) < p_female, 0, 1)
    gender = np.where(rng.random(n) < .003, 2, gender)

    p_minor = np.where(has_labour & (main_industry == BEGGING), .7, _MINOR_P[kind])
    minor = rng.random(n) < p_minor
    adult_band = 2 + _pick(rng, _ADULT_BANDS_P[None, :], np.zeros(n, dtype=np.int64))
    small_child = rng.random(n) < np.where(has_labour & (main_industry == BEGGING), .4, _SMALL_CHILD_P[kind])
    band = np.where(minor, np.where(small_child, 0, 1), adult_band)
    age = BAND_LOW[band] + np.floor(rng.random(n) * (BAND_HIGH[band] - BAND_LOW[band] + 1)).astype(np.int64)
    age = np.maximum(age, 3)
    step = _pick(rng, np.array([[.75, .2, .05]]), np.zeros(n, dtype=np.int64))
    entry_band = np.maximum(band - step, 0)

    group = np.where(has_sex, 0, np.where(kind == LABOUR, 1, 2))
    controls = np.zeros(n, dtype=np.int64)
    powers = _bits(np.arange(len(CONTROLS) - 1))
    for g in range(3):
        rows = np.flatnonzero(group == g)
        draws = rng.random((len(rows), len(CONTROLS) - 1), dtype=np.float32) < _CONTROL_P[g]
        controls[rows] = draws.astype(np.int64) @ powers
    no_control = (controls == 0) | (rng.random(n) < .04)
    controls = np.where(no_control, 1 << NOT_SPECIFIED_CONTROL, controls)

    abduction = np.where(rng.random(n) < .04, 1, 0)
    abduction = np.where((year < 2017) | (rng.random(n) < .3), -99, abduction)
    recruiter = _bits(_pick(rng, np.array([[.3, .25, .25, .2]]), np.zeros(n, dtype=np.int64)))
    recruiter = recruiter | np.where(rng.random(n) < .06, _bits(rng.integers(0, 4, n)), 0)

    u = rng.random((9, n))
    age_known = u[1] < np.where(hotline, .55, .8)
    status_known = age_known | (u[2] < .4)
    known = {
        "gender": u[0] > .02, "age": age_known, "status": status_known,
        "status_exploit": status_known & (u[3] < .8), "entry": status_known & (u[4] < .3),
        "citizenship": u[5] < .88, "exploited_in": u[6] < .92, "kind": u[7] < .78,
        "controls": u[8] < np.where(hotline, .5, .62), "recruiter": hotline & (rng.random(n) < .65),
    }
    return Cases(
        year=year, day=rng.integers(0, 365, n), hotline=hotline, citizenship=_CIT[corridor],
        exploited_in=_EXP[corridor], kind=kind, labour=labour, sex_types=sex_types, controls=controls,
        gender=gender, band=band, entry_band=entry_band, age=age, abduction=abduction, recruiter=recruiter,
        known=known,
    )
