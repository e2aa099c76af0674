"""Uploading a file in the browser: the job runs, the page follows it and shows the validation report."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect
from tests.support import HEADER
from tests.web.conftest import shot, sign_in


def test_upload_shows_the_report_with_refused_rows(page: Page, tmp_path: Path) -> None:
    rows = [
        "2020,Feminine,TH,18--20,Adult,ForcedLabour,Ploy,1999-03-04",
        "2020,Feminine,TH,18--20,Adult,ForcedLabour,Dao,2999-01-01",  # born in the future: refused
        "2020,Feminine,TH,18--20,Adult,ForcedLabour,Nok,1998-05-06",
    ]
    upload = tmp_path / "monthly return.csv"
    upload.write_text(",".join(HEADER) + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    sign_in(page, "hope-contributor")
    page.get_by_role("link", name="Uploads").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Uploads")
    page.get_by_label("File (CSV, XLSX, JSON or NDJSON)").set_input_files(str(upload))
    page.get_by_label("Why you are uploading it").fill("monthly return")
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("monthly return.csv")
    expect(page.locator("#job-status strong")).to_have_text("stored", timeout=30_000)  # htmx polls until done
    cards = page.locator(".card .figure")
    expect(cards.nth(0)).to_have_text("3")
    expect(cards.nth(1)).to_have_text("2")
    expect(cards.nth(2)).to_have_text("1")
    refused = page.get_by_role("table", name="Refused rows")
    expect(refused).to_contain_text("prs_Birthdate")
    expect(refused).to_contain_text("3")
    mapping = page.get_by_role("table", name="Mapping")  # the recognised layout, column by column
    expect(mapping.get_by_role("row", name="prs_Gender")).to_have_count(1)
    expect(page.get_by_label("prs_Gender")).to_have_value("prs_Gender")
    expect(page.locator("#mapping .message.warn")).to_contain_text("already stored this file")
    shot(page, "upload-report")
    page.get_by_role("link", name="All uploads").click()
    expect(page.get_by_role("table")).to_contain_text("monthly return.csv")
    expect(page.get_by_label("Only check the file and show its mapping; store nothing yet")).not_to_be_checked()
    shot(page, "uploads")


def test_auditors_see_uploads_but_cannot_upload(page: Page) -> None:
    sign_in(page, "hope-auditor")
    page.goto("/uploads")
    expect(page.get_by_role("heading", level=1)).to_have_text("Uploads")
    expect(page.get_by_role("button", name="Upload and check")).to_have_count(0)
