"""palermo's additions to HTCDS 2.0: fields and code values needed to carry the CTDC layouts.

HTCDS 2.0 has no field for the year a case was registered, the country of exploitation, the CTDC age
bands or majority status, all of which CTDC publishes and every threat assessment needs. They are
added here, marked as extensions in the JSON Schema, with the HTCDS-style prefix of their table.
Which fields hold personal data (stored apart from the analytical case fields) is also decided here.
"""

from __future__ import annotations

from .model import Code, Field, FieldType

AGE_BANDS: tuple[str, ...] = (
    "0--8",
    "9--17",
    "18--20",
    "21--23",
    "24--26",
    "27--29",
    "30--38",
    "39--47",
    "48+",
)
"""The CTDC broad age bands (``ageBroad``), in order."""
MINOR_BANDS = frozenset({"0--8", "9--17"})


def _codes(*pairs: tuple[str, str]) -> tuple[Code, ...]:
    return tuple(Code(name=n, label=lab, extension=True) for n, lab in pairs)


def _ext(name: str, label: str, ftype: FieldType, description: str, **kw: object) -> Field:
    section = {"cas_": "Case", "vic_": "Person - Victim Context", "prs_": "Person"}[name[:4]]
    return Field(
        name=name,
        prefix=name[:4],
        section=section,
        status="PALERMO EXTENSION",
        core=False,
        label=label,
        htcds_type="(palermo extension)",
        type=ftype,
        description=description,
        extension=True,
        **kw,
    )


_AGE_BAND_CODES = _codes(*((b, b.replace("--", "-")) for b in AGE_BANDS))
_MAJORITY = _codes(("Adult", "Adult (18 or over)"), ("Minor", "Minor (under 18)"))

EXTENSION_FIELDS: tuple[Field, ...] = (
    _ext(
        "cas_SourceRecordId",
        "Source record identifier",
        FieldType.TEXT,
        "The contributing organisation's own identifier of the record, so it can find the record again.",
    ),
    _ext(
        "cas_RegistrationYear",
        "Year of registration",
        FieldType.INTEGER,
        "Year in which the case was registered by the contributing organisation (CTDC yearOfRegistration).",
        minimum=1990,
    ),
    _ext(
        "cas_RegistrationDate",
        "Date of registration",
        FieldType.DATE,
        "Date on which the case was registered by the contributing organisation; gives the year of "
        "registration when that is not given.",
    ),
    _ext(
        "cas_DataSource",
        "Data source",
        FieldType.PICKLIST,
        "Kind of system the record comes from (CTDC Datasource).",
        codes=_codes(
            ("CaseManagement", "Case management"),
            ("Hotline", "Hotline"),
            ("LawEnforcement", "Law enforcement records"),
            ("Other", "Other"),
        ),
    ),
    _ext(
        "vic_AgeBand",
        "Age band at registration",
        FieldType.PICKLIST,
        "Broad age band of the person at registration (CTDC ageBroad).",
        codes=_AGE_BAND_CODES,
    ),
    _ext(
        "vic_AgeAtRegistration",
        "Age at registration",
        FieldType.INTEGER,
        "Age in years when the case was registered; gives the age band and majority status when those are "
        "not given.",
        minimum=0,
        maximum=110,
    ),
    _ext(
        "vic_MajorityStatus",
        "Majority status at registration",
        FieldType.PICKLIST,
        "Whether the person was an adult or a minor at registration (CTDC majorityStatus).",
        codes=_MAJORITY,
    ),
    _ext(
        "vic_MajorityStatusAtExploit",
        "Majority status at exploitation",
        FieldType.PICKLIST,
        "Whether the person was an adult or a minor when exploitation began (CTDC majorityStatusAtExploit).",
        codes=_MAJORITY,
    ),
    _ext(
        "vic_MajorityEntry",
        "Majority status at entry into trafficking",
        FieldType.PICKLIST,
        "Whether the person was an adult or a minor on entering the trafficking situation "
        "(CTDC MajorityEntry; the codebook v6.0 codes it Minor/Adult).",
        codes=_MAJORITY,
    ),
    _ext(
        "vic_CountryOfExploitation",
        "Country of exploitation",
        FieldType.COUNTRY,
        "Country where the person was exploited (CTDC CountryOfExploitation), ISO 3166-1 alpha-2.",
    ),
    _ext(
        "vic_RecruiterRelationship",
        "Relationship to recruiter",
        FieldType.MULTI_PICKLIST,
        "How the person knew the recruiter (CTDC recruiterRelation*); finer than vic_RelationshipToTrafficker.",
        codes=_codes(
            ("IntimatePartner", "Intimate partner"),
            ("FriendOrAcquaintance", "Friend or acquaintance"),
            ("FamilyOrRelative", "Family member or relative"),
            ("Other", "Other"),
        ),
    ),
    _ext(
        "prs_BirthYear",
        "Birth year",
        FieldType.INTEGER,
        "Year of birth, where the full birth date is not known.",
        identifying=True,
        minimum=1900,
    ),
    _ext("prs_Alias", "Alias", FieldType.TEXT, "Other names the person is known by.", identifying=True),
    _ext(
        "prs_PassportNumber",
        "Passport number",
        FieldType.TEXT,
        "Number of a passport or travel document.",
        identifying=True,
    ),
    _ext(
        "prs_BankAccount",
        "Bank account",
        FieldType.TEXT,
        "A bank account number or IBAN linked to the person.",
        identifying=True,
    ),
)

EXTENSION_CODES: dict[str, tuple[Code, ...]] = {
    "vic_MethodsOfControl": _codes(
        ("RestrictsMovement", "Restricts movement"),
        ("UsesChildren", "Uses children"),
        ("NotSpecified", "Not specified"),
    ),
    "vic_ForcedLabourIndustry": _codes(("IllicitActivities", "Illicit activities"), ("Other", "Other")),
    "org_Type": _codes(
        ("InternationalOrganisation", "International Organisation"),
        ("FinancialInstitution", "Financial Institution"),
    ),
}
"""Values added to HTCDS code lists: CTDC's detail (meansOfControl*, typeOfLabour*) and the organisation
types palermo serves that HTCDS lacks (international organisations, banks)."""

IDENTIFYING_FIELDS = frozenset(
    {
        "prs_Salutation",
        "prs_FirstName",
        "prs_MiddleName",
        "prs_SecondName",
        "prs_Birthdate",
        "prs_IdentityNumber",
        "prs_Title",
        "prs_Email",
        "prs_HomePhone",
        "prs_MobilePhone",
        "prs_MailingCity",
        "prs_MailingState",
        "prs_MailingStreet",
        "prs_MailingPostalCode",
        "prs_MailingLongitude",
        "prs_MailingLatitude",
        "cas_CaseOwner",
        "cas_ReferringPrimaryCaseWorker",
        "cas_ReferredPrimaryCaseWorker",
        "hte_Street",
        "hte_PostalCode",
        "hte_Longitude",
        "hte_Latitude",
    }
)
"""HTCDS fields holding personal data; every long-text field is treated as identifying too."""

RANGES: dict[str, tuple[float, float]] = {
    "prs_NumberOfChildren": (0, 30),
    "vic_AgeWhenTrafficked": (0, 110),
    "prs_MailingLatitude": (-90, 90),
    "prs_MailingLongitude": (-180, 180),
    "hte_Latitude": (-90, 90),
    "hte_Longitude": (-180, 180),
    "org_ShippingLatitude": (-90, 90),
    "org_ShippingLongitude": (-180, 180),
}
INTEGER_FIELDS = frozenset({"prs_NumberOfChildren", "vic_AgeWhenTrafficked"})

CODE_SYNONYMS: dict[str, dict[str, str]] = {
    "prs_Gender": {
        "female": "Feminine",
        "f": "Feminine",
        "woman": "Feminine",
        "girl": "Feminine",
        "male": "Masculine",
        "m": "Masculine",
        "man": "Masculine",
        "boy": "Masculine",
        "transgender": "NonConforming",
        "transgendernonconforming": "NonConforming",
        "unknown": "NonSpecifiedUnknown",
        "notspecified": "NonSpecifiedUnknown",
    },
    "vic_TypeOfExploitation": {
        "sexual": "SexualExploitation",
        "sex": "SexualExploitation",
        "labour": "ForcedLabour",
        "labor": "ForcedLabour",
        "forcedlabor": "ForcedLabour",
        "begging": "ForcedBegging",
        "marriage": "ForcedMarriage",
        "military": "ForcedMilitaryByNonStateActors",
        "organs": "OrganRemoval",
        "slavery": "Servitude",
        "slaveryandsimilarpractices": "Servitude",
        "domesticservitude": "Servitude",
    },
    "vic_MajorityStatus": {"adult": "Adult", "minor": "Minor", "child": "Minor"},
    "vic_MajorityStatusAtExploit": {"adult": "Adult", "minor": "Minor", "child": "Minor"},
}
"""Everyday words for some codes (lower case, letters and digits only), accepted wherever the code is."""
