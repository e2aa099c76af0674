"""Fictitious identities (names, birth dates, phones, documents, accounts) and how organisations write them.

A person has one true identity; each organisation that meets them writes it its own way: in Latin
or the person's own script, with another transliteration, given and family names swapped, a typo,
a birth year only, a local or international phone format. These are what record linkage must see
through. Every value is random; phone numbers are random numbers of a valid shape, e-mail
addresses use reserved example domains.
"""

from __future__ import annotations

import random
import string
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import phonenumbers

from .names import Variants, feminine, pool_for

_EXTRA_FOLD = str.maketrans({"đ": "d", "Đ": "D", "ı": "i", "ł": "l", "Ł": "L", "ø": "o", "ß": "ss"})
_EMAIL_DOMAINS = ("example.com", "example.net", "example.org", "mail.example")
_ALIASES_F = ("Baby", "Nana", "Lala", "Mimi", "Kiki", "Bunny", "Lucky", "Angel")
_ALIASES_M = ("Boy", "Tito", "Max", "Toto", "Bobby", "Jojo", "Kid")
_PASSPORT_PATTERNS = {
    "PH": "PDDDDDDDL", "UA": "LLDDDDDD", "MD": "LLDDDDDDD", "RU": "DDDDDDDDD", "BY": "LLDDDDDDD",
    "UZ": "LLDDDDDDD", "KG": "LLDDDDDDD", "TH": "LLDDDDDDD", "KH": "NDDDDDDDD", "MM": "LLDDDDDD",
    "LA": "PLDDDDDDD", "VN": "LDDDDDDD", "CN": "EDDDDDDDD", "ID": "LDDDDDDD", "NG": "LDDDDDDDD",
    "SY": "NDDDDDDDD", "US": "DDDDDDDDD",
}
_IBAN_LENGTH = {"PL": 28, "TR": 26, "UA": 29, "MD": 24, "RO": 24, "GE": 22, "SA": 24, "AE": 23,
                "KW": 30, "DE": 22, "GB": 22, "IT": 27, "KZ": 20, "BY": 28}
NO_NATIVE = frozenset({"RO", "MY"})
"""Citizenships whose pool has a native script the person would not use."""


@dataclass(frozen=True)
class Identity:
    """The true identity of one fictitious person."""

    person_id: str
    citizenship: str
    female: bool
    given: Variants
    family: Variants
    """Empty for people with a single name."""
    birth: date
    phone: str | None
    """E.164."""
    passport: str | None
    bank: str | None
    """IBAN (no spaces) or a local account number."""
    email: str | None
    alias: str | None


@dataclass(frozen=True)
class Style:
    """How one organisation writes identities (probabilities per record)."""

    native: float = 0.1
    alternative: float = 0.15
    caps: float = 0.0
    swap: float = 0.05
    typo: float = 0.04
    no_birth: float = 0.12
    birth_year_only: float = 0.08
    no_phone: float = 0.25
    no_passport: float = 0.4
    no_bank: float = 0.3


def fold(text: str) -> str:
    """``text`` without diacritics (Nguyễn -> Nguyen, Ștefan -> Stefan)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_EXTRA_FOLD))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _pattern(r: random.Random, pattern: str) -> str:
    out = []
    for ch in pattern:
        if ch == "D":
            out.append(r.choice(string.digits))
        elif ch == "L":
            out.append(r.choice(string.ascii_uppercase))
        else:
            out.append(ch)
    return "".join(out)


def _mobile(r: random.Random, region: str) -> str | None:
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    if example is None:
        return None
    national = phonenumbers.national_significant_number(example)
    keep = max(2, len(national) - 7)
    for _ in range(8):
        candidate = national[:keep] + "".join(r.choice(string.digits) for _ in range(len(national) - keep))
        number = phonenumbers.parse(f"+{example.country_code}{candidate}")
        if phonenumbers.is_valid_number(number):
            break
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def iban(r: random.Random, country: str) -> str:
    """A random IBAN of ``country`` with valid check digits (digits-only account part)."""
    bban = "".join(r.choice(string.digits) for _ in range(_IBAN_LENGTH[country] - 4))
    numeric = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    return f"{country}{98 - int(numeric) % 97:02d}{bban}"


def make_identity(
    r: random.Random, person_id: str, citizenship: str, female: bool, birth: date, exploited_in: str,
    *, mobile: Callable[[random.Random, str], str | None] = _mobile,
) -> Identity:
    """Draw a person's true names, contacts and documents (``mobile`` draws an E.164 number of a region)."""
    names = pool_for(citizenship)
    given = r.choice(names.female if female else names.male)
    family: Variants = () if r.random() < names.mononym_share else r.choice(names.family)
    if female and names.gendered_family and family:
        family = feminine(family)
    phone_region = citizenship if r.random() < 0.7 else exploited_in
    phone = mobile(r, phone_region) if r.random() < 0.85 else None
    pattern = _PASSPORT_PATTERNS.get(citizenship, "LDDDDDDDD")
    passport = _pattern(r, pattern) if r.random() < 0.75 else None
    bank = None
    if r.random() < 0.12:
        where = exploited_in if exploited_in in _IBAN_LENGTH else citizenship
        bank = iban(r, where) if where in _IBAN_LENGTH else _pattern(r, "D" * r.choice((10, 12, 14)))
    email = None
    if r.random() < 0.15:
        local = fold(f"{given[0]}.{family[0]}" if family else given[0]).lower().replace(" ", "")
        email = f"{local}{r.randint(1, 99)}@{r.choice(_EMAIL_DOMAINS)}"
    alias = r.choice(_ALIASES_F if female else _ALIASES_M) if r.random() < 0.05 else None
    return Identity(person_id=person_id, citizenship=citizenship, female=female, given=given, family=family,
                    birth=birth, phone=phone, passport=passport, bank=bank, email=email, alias=alias)


def _typo(r: random.Random, text: str) -> str:
    if len(text) < 4 or not text.isascii():
        return text
    i = r.randrange(1, len(text) - 1)
    op = r.randrange(4)
    if op == 0:
        return text[:i] + text[i + 1:]
    if op == 1:
        return text[:i] + text[i] + text[i:]
    if op == 2:
        return text[:i - 1] + text[i] + text[i - 1] + text[i + 1:]
    vowels = "aeiou"
    return text[:i] + r.choice(vowels.replace(text[i].lower(), "")) + text[i + 1:] if text[i] in vowels else text


def render_name(r: random.Random, person: Identity, style: Style) -> tuple[str, str]:
    """(given, family) as one organisation writes them; family may be empty."""
    names = pool_for(person.citizenship)
    has_native = bool(person.given[1]) and person.citizenship not in NO_NATIVE
    u = r.random()
    if has_native and u < style.native:
        given, family = person.given[1], person.family[1] if person.family else ""
    else:
        use_alt = u > 1 - style.alternative

        def pick(variants: Variants) -> str:
            alternatives = variants[2:] or (fold(variants[0]),)
            return r.choice(alternatives) if use_alt else variants[0]

        given, family = pick(person.given), pick(person.family) if person.family else ""
        if r.random() < style.typo:
            if family and r.random() < 0.5:
                family = _typo(r, family)
            else:
                given = _typo(r, given)
        if r.random() < style.caps:
            given, family = given.upper(), family.upper()
    swap = style.swap * (4 if names.family_first else 1)
    if family and r.random() < swap:
        given, family = family, given
    return given, family


def full_name(r: random.Random, person: Identity, given: str, family: str) -> str:
    """One "Full name" cell: "Given Family", "FAMILY, Given", or family first where that is the custom."""
    if not family:
        return given
    names = pool_for(person.citizenship)
    if names.script == "Hani" and not given.isascii():
        return family + given
    u = r.random()
    if names.family_first and u < 0.6:
        return f"{family} {given}"
    if u < 0.2 and family.isascii():
        return f"{family.upper()}, {given}"
    return f"{given} {family}"


def render_phone(r: random.Random, e164: str | None, org_country: str, style: Style) -> str | None:
    """The phone number as the organisation wrote it, or None."""
    if e164 is None or r.random() < style.no_phone:
        return None
    number = phonenumbers.parse(e164)
    local = phonenumbers.region_code_for_number(number) == org_country
    u = r.random()
    if local and u < 0.6:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    if u < 0.35:
        return e164
    if u < 0.8:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return "00" + e164[1:]


def render_passport(r: random.Random, passport: str | None, style: Style) -> str | None:
    """The passport number as written: sometimes lower case, spaced, or with O for 0."""
    if passport is None or r.random() < style.no_passport:
        return None
    u = r.random()
    if u < 0.03:
        return passport.lower()
    if u < 0.06:
        return f"{passport[:2]} {passport[2:]}"
    if u < 0.08:
        return passport.replace("0", "O")
    return passport


def render_bank(r: random.Random, bank: str | None, style: Style) -> str | None:
    """The bank account as written: IBANs compact or in groups of four."""
    if bank is None or r.random() < style.no_bank:
        return None
    if bank[:2].isalpha() and r.random() < 0.5:
        return " ".join(bank[i:i + 4] for i in range(0, len(bank), 4))
    return bank


def render_birth(r: random.Random, birth: date, style: Style) -> date | int | None:
    """The birth date as recorded: the date, only the year (an int), None, or day and month swapped."""
    u = r.random()
    if u < style.no_birth:
        return None
    if u < style.no_birth + style.birth_year_only:
        return birth.year
    if u > 0.97 and birth.day <= 12 and birth.day != birth.month:
        return birth.replace(day=birth.month, month=birth.day)
    return birth


def birth_date(r: random.Random, registered: date, age: int) -> date:
    """A birth date giving age ``age`` on ``registered``."""
    return registered - timedelta(days=int(age * 365.25) + r.randrange(0, 365))


def age_on(birth: date, when: date) -> int:
    """Age in whole years on ``when``."""
    return when.year - birth.year - ((when.month, when.day) < (birth.month, birth.day))
