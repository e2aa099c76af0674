"""The five fictitious organisations of the demo, the layout each keeps its cases in, and how it writes them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .people import Style


class Layout(StrEnum):
    """The file layouts of the demo partners."""

    CTDC_CSV = "ctdc_csv"
    """The CTDC global dataset layout (63-variable family; 62 in the 2018 dictionary), CSV."""
    HTCDS_XLSX = "htcds_xlsx"
    """IOM's HTCDS 2.0 Excel template, XLSX."""
    CUSTOM_CSV = "custom_csv"
    """A shelter's own spreadsheet columns, CSV (needs a mapping file)."""
    CUSTOM_JSON = "custom_json"
    """The same own columns exported from a small case app as a JSON array (needs a mapping file)."""


@dataclass(frozen=True)
class DemoOrg:
    """A fictitious contributing organisation."""

    name: str
    type: str
    """HTCDS org_Type code (NGO, LawEnforcement, ...)."""
    country: str
    """ISO 3166-1 alpha-2."""
    layout: Layout
    file_name: str


@dataclass(frozen=True)
class Plan:
    """How much an organisation contributes and how it records people."""

    share: float
    """Share of all demo cases held by the organisation."""
    style: Style
    prefix: str
    """Prefix of its case references."""
    cities: tuple[str, ...] = ()
    neighbours: tuple[str, ...] = ()
    """Citizenships the organisation often meets besides its own country's (refugees, border crossers)."""


ORGANISATIONS: tuple[DemoOrg, ...] = (
    DemoOrg("Carpathia Counter-Trafficking Registry", "CentralGovernmentOrganisation", "RO", Layout.CTDC_CSV,
            "carpathia_registry_ctdc.csv"),
    DemoOrg("Lotus Anti-Trafficking Police Unit", "LawEnforcement", "TH", Layout.HTCDS_XLSX,
            "lotus_police_htcds.xlsx"),
    DemoOrg("Vistula Border and Migration Office", "ImmigrationService", "PL", Layout.HTCDS_XLSX,
            "vistula_migration_htcds.xlsx"),
    DemoOrg("Sampaguita Survivors' Shelter", "NGO", "PH", Layout.CUSTOM_CSV, "sampaguita_shelter_cases.csv"),
    DemoOrg("Bosphorus Migrant Health Clinic", "HealthServiceOrganisation", "TR", Layout.CUSTOM_JSON,
            "bosphorus_clinic_cases.json"),
)
"""Five fictitious organisations of different HTCDS types, countries and layouts."""

PLANS: dict[str, Plan] = {
    ORGANISATIONS[0].name: Plan(0.40, Style(), "CCR"),
    ORGANISATIONS[1].name: Plan(
        0.15, Style(native=.3, alternative=.2, caps=.4, swap=.06, typo=.05, no_birth=.2, birth_year_only=.1,
                    no_phone=.3, no_passport=.3, no_bank=.5),
        "LTP", ("Bangkok", "Chiang Mai", "Mae Sot", "Songkhla", "Samut Sakhon"), ("KH", "MM", "LA")),
    ORGANISATIONS[2].name: Plan(
        0.15, Style(native=.1, alternative=.25, caps=.3, swap=.04, typo=.03, no_birth=.05, birth_year_only=.03,
                    no_phone=.2, no_passport=.1, no_bank=.4),
        "VBM", ("Warszawa", "Lublin", "Przemyśl", "Białystok", "Kraków"), ("UA", "BY")),
    ORGANISATIONS[3].name: Plan(
        0.18, Style(native=.05, alternative=.15, caps=.05, swap=.05, typo=.06, no_birth=.15, birth_year_only=.12,
                    no_phone=.15, no_passport=.5, no_bank=.3),
        "SSS", ("Manila", "Quezon City", "Cebu City", "Davao City", "Zamboanga")),
    ORGANISATIONS[4].name: Plan(
        0.12, Style(native=.25, alternative=.3, caps=.1, swap=.05, typo=.05, no_birth=.1, birth_year_only=.1,
                    no_phone=.2, no_passport=.45, no_bank=.5),
        "BMH", ("İstanbul", "Antalya", "Gaziantep", "İzmir", "Trabzon"), ("SY", "GE")),
}
