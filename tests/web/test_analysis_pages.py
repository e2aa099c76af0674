"""The threat-assessment dashboard in Chromium: figures, routes and map, htmx filters, suppression, downloads."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from playwright.sync_api import Browser, Page, expect
from tests.web.conftest import Server, page_width, seed_default, serve, shot, sign_in

from palermo import audit
from palermo.analyse.cases import read_cases
from palermo.demo.ctdc import write_ctdc_csv
from palermo.ingest.pipeline import ingest_file
from palermo.store.agreements import grant
from palermo.store.db import open_store

WHY = "quarterly threat assessment"
SLOW = 60_000
"""Milliseconds to wait for an assessment (the whole report is built for each request)."""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The default users, CTDC-like cases at both organisations, and Border Police sharing in aggregate."""
    folder = tmp_path_factory.mktemp("analysis")
    db = seed_default(folder)
    store = open_store(db)
    for org, rows, seed in (("Hope Shelter", 1500, 3), ("Border Police", 1000, 4)):
        write_ctdc_csv(folder / f"{seed}.csv", rows, seed=seed)
        ingest_file(store, folder / f"{seed}.csv", org)
    grant(store, "Border Police", "Hope Shelter", "cases", "aggregate", by="police")
    store.engine.dispose()
    with serve(db, folder) as running:
        yield running


def _cases(server: Server) -> pl.DataFrame:
    store = open_store(server.db)
    try:
        return read_cases(store)
    finally:
        store.engine.dispose()


def _entries(server: Server) -> list[audit.AuditEntry]:
    store = open_store(server.db)
    try:
        return [e for e in audit.entries(store, org="Hope Shelter", limit=500) if e.action == "cases.aggregate"]
    finally:
        store.engine.dispose()


def _figure(page: Page) -> int:
    return int(page.locator("#cases-in-scope").inner_text().replace(",", ""))


def _show(page: Page, purpose: str = WHY) -> None:
    page.get_by_label("Why you are looking (recorded in the audit log)").fill(purpose)
    page.get_by_role("button", name="Show the assessment").click()


def test_the_dashboard_shows_figures_routes_and_a_map(page: Page, server: Server) -> None:
    cases = _cases(server)
    before = len(_entries(server))
    sign_in(page, "hope-analyst")
    page.get_by_role("link", name="Threat assessment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Threat assessment")
    expect(page.locator("#results")).to_contain_text("Say why you are looking")
    assert len(_entries(server)) == before  # nothing is read before a purpose is given
    _show(page)
    expect(page.locator("#cases-in-scope")).to_have_text(f"{cases.height:,}", timeout=SLOW)
    assert cases.height == 14 + 9 + 2500  # both organisations' cases count, under the agreement
    for heading in ("Headline figures", "Routes", "Trends", "Forms of exploitation"):
        expect(page.get_by_role("heading", name=heading, level=2)).to_be_visible()
    routes = page.locator(".panel").filter(has=page.get_by_role("heading", name="Corridors", level=3))
    expect(routes.locator("svg")).to_have_count(1)
    expect(routes.locator("svg")).to_contain_text("→")  # the flow diagram's title: citizenship → exploitation
    world = page.locator(".panel").filter(has=page.get_by_role("heading", name="Cases by country of exploitation"))
    expect(world.locator("svg path")).not_to_have_count(0)
    top = cases.get_column("vic_country_of_exploitation").value_counts(sort=True).row(0)
    world.get_by_text("Figures of the chart").click()
    expect(world.get_by_role("table")).to_contain_text(f"{top[1]:,}")
    shot(page, "analysis")
    entry = _entries(server)[0]
    assert entry.actor == "hope-analyst" and entry.purpose == WHY
    assert entry.details["cases_in_scope"] == cases.height


def test_filters_update_the_results_through_htmx_and_the_url(page: Page, server: Server) -> None:
    cases = _cases(server)
    recent_sexual = cases.filter(
        (pl.col("cas_registration_year") >= 2018) & pl.col("vic_type_of_exploitation").str.contains("Sexual")
    ).height
    sign_in(page, "hope-analyst")
    page.goto("/analysis")
    _show(page)
    expect(page.locator("#cases-in-scope")).to_have_text(f"{cases.height:,}", timeout=SLOW)
    page.evaluate("window.stayed = true")  # a full page load would forget it
    page.get_by_label("From year").fill("2018")
    page.get_by_role("checkbox", name="Sexual exploitation").check()
    page.get_by_role("button", name="Show the assessment").click()
    expect(page.locator("#cases-in-scope")).to_have_text(f"{recent_sexual:,}", timeout=SLOW)
    assert 11 <= recent_sexual < cases.height
    assert page.evaluate("window.stayed") is True
    assert "first_year=2018" in page.url and "form=SexualExploitation" in page.url
    expect(page.locator(".scope")).to_contain_text("years 2018")
    shot(page, "analysis-filtered")
    page.reload()  # the URL carries the filters
    expect(page.locator("#cases-in-scope")).to_have_text(f"{recent_sexual:,}", timeout=SLOW)
    expect(page.get_by_role("checkbox", name="Sexual exploitation")).to_be_checked()
    expect(page.get_by_label("From year")).to_have_value("2018")


def test_the_form_works_without_javascript(browser: Browser, server: Server) -> None:
    cases = _cases(server)
    police = cases.filter(pl.col("org_name") == "Border Police").height
    context = browser.new_context(base_url=server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, "hope-analyst")
        page.goto("/analysis")
        page.get_by_role("checkbox", name="Border Police").check()
        _show(page)
        expect(page.locator("#cases-in-scope")).to_have_text(f"{police:,}", timeout=SLOW)
        assert "holder=Border+Police" in page.url
    finally:
        context.close()


def test_small_counts_are_suppressed_as_in_the_report(page: Page, server: Server) -> None:
    cases = _cases(server)
    thailand = cases.filter(pl.col("vic_country_of_exploitation") == "TH").height
    assert 0 < thailand < 1000
    sign_in(page, "hope-analyst")
    page.goto("/analysis?purpose=review&k=1000&country=TH")
    expect(page.locator("#cases-in-scope")).to_have_text("under 1000", timeout=SLOW)
    page.get_by_label("Country of exploitation").select_option("")
    page.get_by_role("button", name="Show the assessment").click()
    expect(page.locator("#cases-in-scope")).to_have_text(f"{cases.height:,}", timeout=SLOW)
    cells = page.locator("td.number").all_inner_texts()
    shown = [int(c.replace(",", "")) for c in cells if re.fullmatch(r"[\d,]+", c)]
    assert shown and all(n == 0 or n >= 1000 for n in shown)  # counts, shares aside; the tables hide the rest
    expect(page.locator("td.suppressed").first).to_have_text("–")


def test_a_bad_filter_is_explained_in_the_page(page: Page, server: Server) -> None:
    sign_in(page, "hope-analyst")
    page.goto("/analysis")
    page.get_by_label("From year").fill("2020")
    page.get_by_label("To year").fill("2010")
    _show(page)
    expect(page.locator(".message.error")).to_have_text("the first year (2020) comes after the last (2010)")
    shot(page, "analysis-error")
    page.goto("/analysis?purpose=x&first_year=soon")
    expect(page.locator(".message.error")).to_contain_text("the first year must be a whole number")


def test_the_report_downloads_with_the_same_filters_and_is_audited(page: Page, server: Server, tmp_path: Path
                                                                  ) -> None:
    sign_in(page, "hope-analyst")
    page.goto("/analysis")
    page.get_by_label("From year").fill("2019")
    _show(page, "ministerial briefing")
    expect(page.get_by_role("link", name="Download the report (PDF)")).to_be_visible(timeout=SLOW)
    before = len(_entries(server))
    with page.expect_download(timeout=SLOW) as pdf:
        page.get_by_role("link", name="Download the report (PDF)").click()
    assert Path(pdf.value.path()).read_bytes().startswith(b"%PDF")
    with page.expect_download(timeout=SLOW) as html:
        page.get_by_role("link", name="Download the report (HTML)").click()
    text = Path(html.value.path()).read_text(encoding="utf-8")
    assert "years 2019–" in text and "<svg" in text
    entries = _entries(server)
    assert len(entries) == before + 2
    assert all(e.purpose == "ministerial briefing" and "years 2019" in e.details["scope"] for e in entries[:2])
    page.goto("/analysis/report.pdf?first_year=2019")
    expect(page.locator(".message.error")).to_contain_text("say why you are downloading the report")


def test_only_analysts_see_the_dashboard(page: Page) -> None:
    for user in ("root", "hope-contributor"):
        sign_in(page, user)
        expect(page.get_by_role("link", name="Threat assessment")).to_have_count(0)
        response = page.goto("/analysis")
        assert response is not None and response.status == 403
        expect(page.locator("main")).to_contain_text("this page is for the analyst role")
        page.get_by_role("button", name="Sign out").click()


def test_the_dashboard_fits_a_phone(browser: Browser, server: Server) -> None:
    context = browser.new_context(base_url=server.url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        sign_in(page, "hope-analyst")
        page.goto("/analysis?purpose=review&region=Asia")
        expect(page.locator("#cases-in-scope")).not_to_be_empty(timeout=SLOW)
        width = page_width(page)
        assert width <= 390, f"the page scrolls sideways: {width}px"
        shot(page, "analysis-phone")
    finally:
        context.close()
