"""What a column header says: which standard field it names, and whether it holds personal data."""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from functools import cache

from ..standard import Field, load_standard
from .convert import squash

SYNONYMS: dict[str, tuple[str, ...]] = {
    "prs_Gender": ("sex", "gender"),
    "prs_Citizenship": ("nationality", "citizenship", "country of origin", "origin", "home country"),
    "vic_CountryOfExploitation": (
        "country of exploitation",
        "exploited in",
        "destination",
        "destination country",
    ),
    "prs_Birthdate": ("date of birth", "dob", "birth date", "birthday"),
    "prs_BirthYear": ("year of birth", "birth year"),
    "prs_FirstName": ("first name", "given name", "forename", "full name", "name"),
    "prs_SecondName": ("surname", "last name", "family name"),
    "prs_MobilePhone": ("phone", "mobile", "telephone", "tel", "cell", "whatsapp number"),
    "prs_Email": ("email", "e-mail", "mail"),
    "prs_PassportNumber": ("passport", "passport no", "passport number", "travel document"),
    "prs_IdentityNumber": ("id number", "national id", "identity card"),
    "prs_BankAccount": ("bank account", "iban", "account number"),
    "prs_Alias": ("alias", "aka", "also known as", "nickname"),
    "cas_RegistrationYear": ("year", "year registered", "registration year"),
    "cas_SourceRecordId": ("case id", "case ref", "case number", "record id", "reference", "file number"),
    "vic_AgeWhenTrafficked": ("age", "age at exploitation", "age when trafficked"),
    "vic_AgeBand": ("age band", "age group", "age range"),
    "vic_TypeOfExploitation": ("type of exploitation", "exploitation", "form of exploitation", "purpose"),
    "vic_MethodsOfControl": ("control methods", "means of control", "methods of control", "control"),
    "vic_ForcedLabourIndustry": ("industry", "sector", "labour sector", "work sector"),
    "vic_MajorityStatus": ("adult or minor", "minor", "majority"),
    "cas_IncomingReferralDate": ("date registered", "registration date", "date of referral", "intake date"),
    "cco_CaseComment": ("notes", "comments", "remarks"),
}


def header_score(header: str, field: Field) -> float:
    """How well a column header names ``field`` (1.0: exactly; 0: not at all)."""
    key = squash(header)
    if not key:
        return 0.0
    names = [field.name, field.column, field.label, *field.aliases, *SYNONYMS.get(field.name, ())]
    best = 0.0
    for name in names:
        other = squash(name)
        if other == key:
            return 1.0
        best = max(best, SequenceMatcher(None, key, other).ratio() * 0.85)
    return best


_PERSONAL = re.compile(
    r"\b(names?|surnames?|forenames?|phones?|mobile|tel|telephone|e ?mails?|passports?|address|street|birth|dob|"
    r"iban|accounts?|alias|aka|nickname|whatsapp|telegram|facebook|identity|id number|contact)\b"
)


def _words(header: str) -> str:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", header)
    return " ".join(re.sub(r"[^a-z0-9]+", " ", spaced.lower()).split())


@cache
def looks_identifying(header: str) -> bool:
    """Whether a column the mapping leaves unmapped probably holds personal data (kept apart if so)."""
    if _PERSONAL.search(_words(header)):
        return True
    return any(header_score(header, f) >= 0.9 for f in load_standard().identifying_fields())
