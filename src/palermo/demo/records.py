"""One demo record as a row of the HTCDS template or of the shelter's own spreadsheet."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from .cases import (
    BEGGING,
    CONTROLS,
    COUNTRIES,
    INDUSTRIES,
    LABOUR,
    MARRIAGE,
    MILITARY,
    ORGAN,
    OTHER,
    SEX,
    SEX_AND_LABOUR,
    SEX_TYPES,
    Cases,
)
from .countries import country_name
from .orgs import PLANS, DemoOrg
from .people import (
    Identity,
    age_on,
    full_name,
    render_bank,
    render_birth,
    render_name,
    render_passport,
    render_phone,
)

Row = dict[str, object]

_EXPLOIT = {SEX: ("SexualExploitation",), LABOUR: ("ForcedLabour",),
            SEX_AND_LABOUR: ("ForcedLabour", "SexualExploitation"), MARRIAGE: ("ForcedMarriage",),
            MILITARY: ("ForcedMilitaryByNonStateActors",), ORGAN: ("OrganRemoval",), OTHER: ("Other",)}
_ISIC = ("A_AgricultureForestryAndFishing", "A_AgricultureForestryAndFishing", "", "F_Construction",
         "T_ActivitiesOfHouseholdsAsEmployers", "I_AccommodationAndFoodServiceActivities", "IllicitActivities",
         "C_Manufacturing", "B_MiningAndQuarrying", "G_WholesaleAndRetailTradeRepairOfMotorVehicles",
         "H_TransportationAndStorage", "Other", "")
"""HTCDS industry (ISIC section) of each CTDC labour type; begging is a type of exploitation instead."""
_CONTROL = ("DebtBondage", "TakesEarnings", "RestrictsFinancialAccess", "PhysicalThreats", "PsychologicalAbuse",
            "PhysicalAbuse", "SexualAbuse", "FalsePromises", "PsychoactiveSubstance", "RestrictsMovement",
            "RestrictsMedicalCare", "ExcessiveWorkingHours", "UsesChildren", "ThreatsLawEnforcement",
            "WithholdsNecessities", "WithholdsDocuments", "Other", "NotSpecified")
_RECRUITMENT = ("ThroughFriendsOrSocialEvents", "ThroughFamilyOrFamilyEvents", "ThroughOnlineSocialNetworks",
                "ThroughAnOnlineAdvertisement", "AtWork", "AtAPlaceOfBusiness", "ThroughANewspaperAdvert", "Other")
_RECRUITERS = ("IntimatePartner", "FriendOrAcquaintance", "FamilyOrRelative", "Other")
_REFERRAL_PARTNERS = ("Legal Aid Clinic", "IOM Country Office", "Regional Shelter", "Labour Inspectorate")
_DETAILS = ("Identified during labour inspection.", "Self-referred via hotline.", "Referred after medical visit.",
            "Identified at border check.", "Found during police operation.")
_CLOSURE = ("Returned home with assistance.", "Integrated locally.", "Lost contact.", "Services completed.")
_NOTES = ("Needs legal aid.", "Medical follow-up.", "Family tracing requested.", "Interpreter needed.",
          "Shelter stay.", "Returned home with assistance.", "Referred by hotline.")

EXPLOIT_WORDS = {
    "SexualExploitation": ("sexual exploitation", "sexual", "sex work", "prostitution"),
    "ForcedLabour": ("forced labour", "labour", "labor", "forced labor"),
    "ForcedMarriage": ("forced marriage", "marriage"), "ForcedBegging": ("begging",),
    "ForcedMilitaryByNonStateActors": ("armed group",), "OrganRemoval": ("organ removal",),
    "ChildLabour": ("child labour",), "Servitude": ("servitude", "domestic servitude"), "Other": ("other",),
}
SECTOR_WORDS = {
    "A_AgricultureForestryAndFishing": ("farm", "plantation", "fishing boat"), "B_MiningAndQuarrying": ("mine",),
    "C_Manufacturing": ("factory", "garment factory"), "F_Construction": ("construction", "building site"),
    "T_ActivitiesOfHouseholdsAsEmployers": ("domestic work", "housemaid"),
    "I_AccommodationAndFoodServiceActivities": ("restaurant", "hotel", "karaoke bar"),
    "G_WholesaleAndRetailTradeRepairOfMotorVehicles": ("street vending",),
    "H_TransportationAndStorage": ("truck driver",), "IllicitActivities": ("scam centre", "cannabis farm"),
    "Other": ("other",),
}
CONTROL_WORDS = {
    "DebtBondage": ("debt", "debt bondage", "owed recruitment fee"), "TakesEarnings": ("no pay", "wages withheld"),
    "RestrictsFinancialAccess": ("bank card taken",), "PhysicalThreats": ("threats", "threatened"),
    "ThreatensChildrenFamily": ("threats to family",), "PsychologicalAbuse": ("insults", "humiliation"),
    "PhysicalAbuse": ("beaten", "violence"), "SexualAbuse": ("sexual abuse",),
    "FalsePromises": ("false promises", "lied about job"), "PsychoactiveSubstance": ("drugs",),
    "RestrictsMovement": ("locked in", "not allowed out"), "RestrictsMedicalCare": ("no doctor",),
    "ExcessiveWorkingHours": ("long hours",), "UsesChildren": ("uses children",),
    "ThreatsLawEnforcement": ("threatened with police", "threatened with deportation"),
    "WithholdsNecessities": ("no food",), "WithholdsDocuments": ("passport taken", "documents confiscated"),
    "Other": ("other",), "NotSpecified": ("not specified",),
}
RECRUITER_WORDS = {"IntimatePartner": ("boyfriend", "husband"), "FriendOrAcquaintance": ("friend", "neighbour"),
                   "FamilyOrRelative": ("relative", "aunt", "cousin"), "Other": ("agency", "stranger")}
STATUS_WORDS = {"Active": "open", "FollowUp": "follow-up", "Closed": "closed", "ClosedReferred": "referred"}
CUSTOM_COLUMNS = ("Case ref", "Date registered", "Given names", "Family name", "Also known as", "Sex",
                  "Date of birth", "Birth year", "Age",
                  "Nationality", "Phone", "Email", "Passport no", "Bank account", "Exploited in",
                  "Type of exploitation", "Sector", "Control methods", "Recruited by", "Status", "Consent", "Notes")
"""Columns of the shelter's own spreadsheet (the custom layout)."""


@dataclass(frozen=True)
class Record:
    """One organisation's record of one person's case."""

    person: Identity
    org: DemoOrg
    registered: date
    cases: Cases
    index: int
    """Row of ``cases`` describing the case."""
    referred_by: str | None = None
    """The organisation that referred the person, if another demo organisation."""


@dataclass(frozen=True)
class Codes:
    """A case in HTCDS codes; None where the organisation did not record it."""

    exploitation: tuple[str, ...] | None
    industries: tuple[str, ...]
    sex_types: tuple[str, ...]
    controls: tuple[str, ...] | None
    recruiter: str | None


def case_codes(r: random.Random, rec: Record) -> Codes:
    """The case of ``rec`` in HTCDS codes, consistent with the person's age on registration."""
    c, i = rec.cases, rec.index
    kind, labour = int(c.kind[i]), int(c.labour[i])
    exploitation: list[str] = list(_EXPLOIT[kind])
    if labour >> BEGGING & 1:
        exploitation.append("ForcedBegging")
    if "ForcedLabour" in exploitation and age_on(rec.person.birth, rec.registered) < 18 and r.random() < 0.5:
        exploitation.append("ChildLabour")
    industries = tuple(dict.fromkeys(_ISIC[b] for b in range(len(INDUSTRIES)) if labour >> b & 1 and _ISIC[b]))
    sex_types = tuple(SEX_TYPES[b] for b in range(len(SEX_TYPES)) if int(c.sex_types[i]) >> b & 1)
    mask = int(c.controls[i])
    controls = [_CONTROL[b] for b in range(len(CONTROLS)) if mask >> b & 1 and (rec.referred_by is None
                                                                              or r.random() < 0.8)]
    if "PhysicalThreats" in controls and r.random() < 0.2:
        controls[controls.index("PhysicalThreats")] = "ThreatensChildrenFamily"
    return Codes(
        exploitation=tuple(exploitation) if c.known["kind"][i] else None,
        industries=industries, sex_types=sex_types,
        controls=tuple(controls or ["NotSpecified"]) if c.known["controls"][i] else None,
        recruiter=r.choice(_RECRUITERS) if r.random() < 0.5 else None,
    )


def _status(r: random.Random, registered: date) -> str:
    age_days = (date(2024, 12, 31) - registered).days
    if age_days < 180:
        return r.choice(("Active", "Active", "FollowUp"))
    if age_days < 730:
        return r.choice(("Active", "FollowUp", "Closed", "ClosedReferred"))
    return r.choice(("Closed", "Closed", "ClosedReferred", "FollowUp"))


def _joined(codes: tuple[str, ...] | None) -> str | None:
    return ";".join(codes) if codes else None


def htcds_row(r: random.Random, rec: Record, number: int) -> Row:
    """The record as a row of the HTCDS Excel template (keys: template field names; "#" the row number)."""
    plan, p, c, i = PLANS[rec.org.name], rec.person, rec.cases, rec.index
    codes = case_codes(r, rec)
    given, family = render_name(r, p, plan.style)
    birth = render_birth(r, p.birth, plan.style)
    status = _status(r, rec.registered)
    referred_out = status == "ClosedReferred"
    city = r.choice(plan.cities) if r.random() < 0.4 else None
    gender = ("Masculine", "Feminine")[p.female] if r.random() > 0.02 else "NonSpecifiedUnknown"
    if r.random() < 0.003:
        gender = "NonConforming"
    adult = age_on(p.birth, rec.registered) >= 18
    return {
        "#": number,
        "cas_CaseOwner": f"{plan.prefix}-CW{r.randint(1, 12):02d}",
        "prs_Salutation": ("Mr.", "Ms.")[p.female] if adult and r.random() < 0.5 else None,
        "prs_FirstName": given, "prs_SecondName": family or None,
        "con_Consent": "TRUE" if r.random() < 0.85 else "FALSE",
        "prs_Birthdate": date(birth, 1, 1) if isinstance(birth, int) else birth,
        "prs_Gender": gender,
        "prs_Citizenship": p.citizenship if r.random() < 0.95 else None,
        "prs_Title": None,
        "prs_Email": p.email if r.random() < 0.7 else None,
        "prs_HomePhone": None,
        "prs_MobilePhone": render_phone(r, p.phone, rec.org.country, plan.style),
        "prs_MailingCity": city, "prs_MailingCountry": rec.org.country if city else None,
        "prs_MailingState": None, "prs_MailingStreet": None, "prs_MailingPostalCode": None,
        "vic_TraffickingStatus": r.choices(("ActualVictimOfTrafficking", "PossibleVictimOfTrafficking",
                                            "NotAVictimOfTrafficking"), (60, 35, 5))[0],
        "vic_TraffickinStatusDecisionMakingOrg": ("Police" if rec.org.type == "LawEnforcement"
                                                  else "NonPoliceGovernmentalOrganization"),
        "vic_MethodOfRecruitment": ";".join(sorted(set(r.choices(_RECRUITMENT, k=r.choice((1, 1, 2)))))),
        "vic_LocationOfRecruitment": p.citizenship if r.random() < 0.8 else None,
        "vic_MethodsOfControl": _joined(codes.controls),
        "vic_TypeOfExploitation": _joined(codes.exploitation),
        "vic_ForcedLabourIndustry": _joined(codes.industries) if codes.exploitation else None,
        "vic_TypeOfSexExploitation": _joined(codes.sex_types) if codes.exploitation else None,
        "vic_LocationOfExploitation": COUNTRIES[c.exploited_in[i]] if c.known["exploited_in"][i] else None,
        "cas_Status": status,
        "cas_ReferringOrganisation": rec.referred_by,
        "cas_IncomingReferralDate": rec.registered,
        "cas_ReferringPrimaryCaseWorker": None,
        "cas_ReasonForIncomingReferral": "AdditionalServicesRequired" if rec.referred_by else None,
        "cas_IncomingReferralDetails": r.choice(_DETAILS) if r.random() < 0.3 else None,
        "cas_ReferredOrganisation": r.choice(_REFERRAL_PARTNERS) if referred_out else None,
        "cas_ReferredPrimaryCaseWorker": None,
        "cas_ReasonForOutgoingReferral": None,
        "cas_OutgoingReferralDate": rec.registered + timedelta(days=r.randint(5, 120)) if referred_out else None,
        "cas_OutgoingReferralDetails": None,
        "cas_ReasonForCaseClosure": r.choice(_CLOSURE) if status.startswith("Closed") else None,
    }


def _words(r: random.Random, codes: tuple[str, ...], table: dict[str, tuple[str, ...]]) -> str:
    return ", ".join(dict.fromkeys(r.choice(table[code]) for code in codes if code in table))


def custom_row(r: random.Random, rec: Record, ref: str) -> Row:
    """The record as a row of the shelter's own spreadsheet (keys: CUSTOM_COLUMNS; None where blank)."""
    plan, p, c, i = PLANS[rec.org.name], rec.person, rec.cases, rec.index
    codes = case_codes(r, rec)
    given, family = render_name(r, p, plan.style)
    if family and r.random() < 0.08:  # the whole name typed into the first name column
        given, family = full_name(r, p, given, family), ""
    birth = render_birth(r, p.birth, plan.style)
    status = _status(r, rec.registered)
    age = age_on(p.birth, rec.registered)
    sex = "FM"[not p.female] if r.random() > 0.02 else None
    return {
        "Case ref": ref,
        "Date registered": rec.registered.strftime("%d/%m/%Y"),
        "Given names": given,
        "Family name": family or None,
        "Also known as": p.alias,
        "Sex": "X" if r.random() < 0.003 else sex,
        "Date of birth": birth.strftime("%d/%m/%Y") if isinstance(birth, date) else None,
        "Birth year": birth if isinstance(birth, int) else None,
        "Age": age if r.random() < 0.85 else None,
        "Nationality": country_name(r, p.citizenship) if r.random() < 0.96 else None,
        "Phone": render_phone(r, p.phone, rec.org.country, plan.style),
        "Email": p.email if r.random() < 0.7 else None,
        "Passport no": render_passport(r, p.passport, plan.style),
        "Bank account": render_bank(r, p.bank, plan.style),
        "Exploited in": country_name(r, COUNTRIES[c.exploited_in[i]]) if c.known["exploited_in"][i] else None,
        "Type of exploitation": _words(r, codes.exploitation, EXPLOIT_WORDS) if codes.exploitation else None,
        "Sector": _words(r, codes.industries[:1], SECTOR_WORDS) or None,
        "Control methods": _words(r, codes.controls, CONTROL_WORDS) if codes.controls else None,
        "Recruited by": r.choice(RECRUITER_WORDS[codes.recruiter]) if codes.recruiter else None,
        "Status": STATUS_WORDS[status],
        "Consent": "yes" if r.random() < 0.85 else "no",
        "Notes": r.choice(_NOTES) if r.random() < 0.3 else None,
    }

