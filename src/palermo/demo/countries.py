"""Country names as people write them in spreadsheets: short names, demonyms, old names, typos."""

from __future__ import annotations

import random
from functools import cache

import pycountry

_WRITTEN: dict[str, tuple[str, ...]] = {
    "AE": ("UAE", "United Arab Emirates", "Emirates"), "CD": ("DR Congo", "DRC"), "CN": ("China", "Chinese"),
    "GB": ("United Kingdom", "UK", "Great Britain"), "ID": ("Indonesia", "Indonesian"),
    "KG": ("Kyrgyzstan", "Kyrgyz", "Kirgizia"), "KH": ("Cambodia", "Cambodian", "Kampuchea"),
    "LA": ("Laos", "Lao PDR", "Laotian"), "MD": ("Moldova", "Moldovan", "Rep. Moldova"),
    "MM": ("Myanmar", "Burma", "Burmese"), "MY": ("Malaysia", "Malaysian"), "NG": ("Nigeria", "Nigerian"),
    "PH": ("Philippines", "Filipino", "Phillipines"), "PL": ("Poland", "Polish"), "RU": ("Russia", "Russian Fed."),
    "SA": ("Saudi Arabia", "KSA", "Saudi"), "SY": ("Syria", "Syrian"), "TH": ("Thailand", "Thai"),
    "TR": ("Turkey", "Türkiye", "Turkiye"), "UA": ("Ukraine", "Ukrainian", "Ukraina"), "US": ("USA", "United States"),
    "UZ": ("Uzbekistan", "Uzbek"), "VN": ("Vietnam", "Viet Nam", "Vietnamese"), "KW": ("Kuwait", "Kuwaiti"),
}
UNKNOWN_COUNTRY = "Freedonia"
"""A country name no one can resolve (planted in bad rows)."""


def written_names(code: str) -> tuple[str, ...]:
    """How people write the country ``code`` (alpha-2), most common first."""
    if code in _WRITTEN:
        return _WRITTEN[code]
    country = pycountry.countries.get(alpha_2=code)
    return (getattr(country, "common_name", None) or country.name,) if country else (code,)


def country_name(r: random.Random, code: str) -> str:
    """A written name of country ``code``: usually the common one, sometimes another."""
    names = written_names(code)
    return names[0] if len(names) == 1 or r.random() < 0.8 else r.choice(names[1:])


@cache
def unresolved(code: str) -> tuple[str, ...]:
    """Written names of ``code`` that an exact ISO lookup (name, official or common name, codes) misses."""
    out = []
    for name in written_names(code):
        try:
            found = pycountry.countries.lookup(name).alpha_2
        except LookupError:
            found = None
        if found != code:
            out.append(name)
    return tuple(out)
