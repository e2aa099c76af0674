"""The mapping of an upload in the browser: see the suggestion, edit it, check, store once, and bad choices refused."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect
from tests.web.conftest import shot, sign_in

SHELTER = (
    "Year,Sex,Nationality,Exploitation,Given name,Date of birth,Notes\n"
    "2020,F,Thailand,ForcedLabour,Ploy,1999-03-04,first\n"
    "2021,M,Myanmar,SexualExploitation,Aung,2999-01-01,second\n"
    "2020,F,Lao PDR,ForcedLabour,Nok,1998-05-06,\n"
)
"""A layout palermo does not know; row 3's birth date is in the future."""


def _upload(page: Page, path: Path, *, check_only: bool) -> None:
    page.goto("/uploads")
    page.get_by_label("File (CSV, XLSX, JSON or NDJSON)").set_input_files(str(path))
    page.get_by_label("Why you are uploading it").fill("shelter's own sheet")
    if check_only:
        page.get_by_label("Only check the file and show its mapping; store nothing yet").check()
    page.get_by_role("button", name="Upload and check").click()


def _finished(page: Page, status: str) -> None:
    expect(page.locator("#job-status strong")).to_have_text(status, timeout=30_000)


def test_edit_the_suggested_mapping_check_then_store_once(page: Page, tmp_path: Path) -> None:
    path = tmp_path / "shelter sheet.csv"
    path.write_text(SHELTER, encoding="utf-8")
    sign_in(page, "hope-contributor")
    _upload(page, path, check_only=True)
    _finished(page, "failed")
    expect(page.locator("#job-status .message.error")).to_contain_text("palermo did not recognise the layout")
    expect(page.locator("#mapping")).to_contain_text("The mapping palermo suggests")
    expect(page.get_by_label("Sex")).to_have_value("prs_Gender")
    expect(page.get_by_label("Date of birth")).to_have_value("prs_Birthdate")
    expect(page.get_by_role("row", name="Sex")).to_contain_text("100%")
    shot(page, "mapping-suggested")

    page.get_by_label("Notes").select_option("")  # keep the notes as extra, not a case comment
    page.get_by_role("button", name="Check with this mapping").click()
    _finished(page, "dry-run")
    expect(page.locator("#job-status .message.ok")).to_contain_text("Checked only: nothing was stored")
    cards = page.locator(".card .figure")
    expect(cards.nth(1)).to_have_text("2")
    expect(cards.nth(2)).to_have_text("1")
    expect(page.get_by_role("table", name="Refused rows")).to_contain_text("date is in the future")
    expect(page.get_by_label("Notes")).to_have_value("")
    expect(page.locator("#mapping")).to_contain_text("Columns left unmapped (kept with each record as extra): Notes.")
    shot(page, "mapping-checked")

    page.get_by_role("button", name="Store with this mapping").click()
    _finished(page, "stored")
    expect(page.locator("#job-status .message.ok")).to_contain_text("2 rows stored, 1 refused")
    expect(page.locator("#mapping .message.warn")).to_contain_text("already stored this file")
    expect(page.get_by_role("button", name="Store with this mapping")).to_have_count(0)  # never stored twice
    shot(page, "mapping-stored")

    page.get_by_label("Notes").select_option("cco_CaseComment")
    page.get_by_role("button", name="Check with this mapping").click()
    _finished(page, "dry-run")
    expect(page.locator("#job-status .message.warn")).to_contain_text("will not be stored again")
    expect(page.locator("#mapping")).to_contain_text("Every column is mapped to a field.")


def test_a_field_chosen_twice_is_refused_in_the_page(page: Page, tmp_path: Path) -> None:
    path = tmp_path / "twice.csv"
    path.write_text(SHELTER.replace("first", "once"), encoding="utf-8")
    sign_in(page, "hope-contributor")
    _upload(page, path, check_only=True)
    _finished(page, "failed")
    page.get_by_label("Nationality").select_option("prs_Gender")
    page.get_by_role("button", name="Check with this mapping").click()
    alert = page.locator("#mapping-error")
    expect(alert).to_have_text(
        "prs_Gender is chosen for both column 'Sex' and column 'Nationality'; "
        "a field can be filled from one column only"
    )
    expect(page.get_by_label("Nationality")).to_have_value("prs_Gender")  # the choices are kept to fix
    expect(page.get_by_label("Nationality")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Sex")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Year")).not_to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("row", name="Sex")).to_contain_text("100%")  # the suggestion's confidence stays
    shot(page, "mapping-error")


def test_mapping_at_phone_width(page: Page, tmp_path: Path) -> None:
    path = tmp_path / "phone.csv"
    path.write_text(SHELTER.replace("first", "phone"), encoding="utf-8")
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "hope-contributor")
    _upload(page, path, check_only=True)
    _finished(page, "failed")
    page.get_by_label("Sex").focus()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Nationality")).to_be_focused()  # keyboard moves through the choices
    shot(page, "mapping-phone")


def test_auditors_see_the_mapping_but_cannot_run_again(page: Page, tmp_path: Path) -> None:
    path = tmp_path / "audited.csv"
    path.write_text(SHELTER.replace("first", "audited"), encoding="utf-8")
    sign_in(page, "hope-contributor")
    _upload(page, path, check_only=True)
    _finished(page, "failed")
    job = page.url.rsplit("/", 1)[1]
    page.context.clear_cookies()
    sign_in(page, "hope-auditor")
    page.goto(f"/uploads/{job}")
    expect(page.get_by_role("row", name="Sex")).to_contain_text("prs_Gender")
    expect(page.get_by_role("button", name="Check with this mapping")).to_have_count(0)
