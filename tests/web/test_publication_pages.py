"""Publication in the browser (admins): a k-anonymous release, a DP table, the ledger, refusals in the page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from tests.web.conftest import Server, page_width, seed_default, serve, shot, sign_in

from palermo import audit
from palermo.store.db import open_store

PURPOSE = "annual open dataset"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The default seed (23 cases) served from its own folder, where releases are written."""
    folder = tmp_path_factory.mktemp("publication")
    with serve(seed_default(folder), folder) as running:
        yield running


def _loaded(page: Page, selector: str) -> bool:
    """Whether the image has loaded and has a size (waits for it to finish loading)."""
    page.wait_for_function(f"document.querySelector({selector!r}).complete")
    return bool(page.eval_on_selector(selector, "img => img.naturalWidth > 0"))


def test_admin_publishes_a_kanon_release_and_downloads_it(page: Page, server: Server) -> None:
    sign_in(page, "root")
    page.get_by_role("link", name="Publication").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Publication")
    expect(page.get_by_text("No differentially private release yet")).to_be_visible()
    form = page.locator("#kanon-form")
    form.get_by_label("k (smallest group of alike records, at least 2)").fill("5")
    form.get_by_label("Purpose of this release").fill(PURPOSE)
    form.get_by_label("Release name (optional").fill("open-kanon")
    form.get_by_role("button", name="Publish k-anonymous release").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Release open-kanon")
    expect(page.locator(".message.ok")).to_contain_text(f"Purpose: {PURPOSE}")
    figures = page.locator(".card .figure")
    expect(figures.nth(0)).to_have_text("5")
    expect(figures.nth(1)).to_have_text("23")  # 14 + 9 cases, no record left out
    expect(page.get_by_role("table", name="Risk")).to_contain_text("0.0%")
    expect(page.get_by_role("img", name="Utility chart")).to_be_visible()
    assert _loaded(page, "figure.chart img")
    shot(page, "publication-kanon-release")
    with page.expect_download() as download:
        page.get_by_role("link", name="kanon.csv").click()
    lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("cas_registration_year,prs_gender") and len(lines) == 24
    store = open_store(server.db)
    entry = audit.entries(store, action="cases.publish")[0]
    store.engine.dispose()
    assert (entry.actor, entry.purpose, entry.details["release"]) == ("root", PURPOSE, "open-kanon")
    page.get_by_role("link", name="Back to publication").click()
    expect(page.get_by_role("link", name="open-kanon")).to_be_visible()


def test_refusals_show_in_the_form_and_the_ledger_records_the_spend(page: Page) -> None:
    sign_in(page, "root")
    page.goto("/publication")
    kanon = page.locator("#kanon-form")
    kanon.get_by_label("k (smallest group of alike records, at least 2)").fill("100")
    kanon.get_by_label("Purpose of this release").fill(PURPOSE)
    kanon.get_by_role("button", name="Publish k-anonymous release").click()
    expect(page.locator("#kanon-form .message.error")).to_have_text("23 records cannot be 100-anonymous")
    expect(page.locator("#kanon-form").get_by_label("k (smallest group")).to_have_value("100")
    shot(page, "publication-kanon-refused")

    table = page.locator("#table-form")
    table.get_by_label("ε to spend (privacy loss)").fill("4")
    table.get_by_label("Gender prs_gender").check()
    table.get_by_label("Age band at registration vic_age_band").check()
    table.get_by_label("Purpose of this release").fill(PURPOSE)
    table.get_by_label("Release name (optional").fill("by-gender-age")
    table.get_by_role("button", name="Publish count table").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Release by-gender-age")
    expect(page.locator(".card .figure").first).to_have_text("4")
    expect(page.get_by_role("columnheader", name="cases")).to_be_visible()
    shot(page, "publication-table-release")

    page.goto("/publication")
    table = page.locator("#table-form")
    table.get_by_label("ε to spend (privacy loss)").fill("7")
    table.get_by_label("Gender prs_gender").check()
    table.get_by_label("Purpose of this release").fill(PURPOSE)
    table.get_by_role("button", name="Publish count table").click()
    error = page.locator("#table-form .message.error")
    expect(error).to_contain_text("needs ε = 7 but dataset 'all-cases' has ε = 6 left of its total 10")
    cards = page.locator("#budget ~ .cards .figure")
    expect(cards.nth(1)).to_have_text("4")
    expect(cards.nth(2)).to_have_text("6")
    ledger = page.get_by_role("table", name="Every differentially private release's spend")
    expect(ledger.locator("tbody tr")).to_have_count(1)
    expect(ledger).to_contain_text("by-gender-age")
    assert _loaded(page, "figure.chart img")
    expect(page.get_by_role("img", name="Stacked bar of the privacy budget")).to_be_visible()
    shot(page, "publication-table-refused")


def test_admin_publishes_synthetic_data_with_its_utility_chart(page: Page) -> None:
    sign_in(page, "root")
    page.goto("/publication")
    form = page.locator("#synthetic-form")
    form.get_by_label("ε to spend (privacy loss)").fill("1")
    form.get_by_label("Purpose of this release").fill(PURPOSE)
    form.get_by_label("Release name (optional").fill("synthetic-open")
    form.get_by_role("button", name="Publish synthetic data").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Release synthetic-open")
    expect(page.locator(".card").nth(0)).to_contain_text("ε spent")
    expect(page.locator(".card").nth(2)).to_have_text("23real cases read")  # figure, then its label
    expect(page.get_by_role("table", name="Risk")).to_contain_text("Released combinations absent from the real data")
    assert _loaded(page, "figure.chart img")
    shot(page, "publication-synthetic-release")
    page.goto("/publication")
    expect(page.get_by_role("table", name="Every differentially private release's spend")).to_contain_text(
        "synthetic/marginals")


def test_other_roles_are_refused_with_a_clear_page(page: Page) -> None:
    sign_in(page, "hope-analyst")
    expect(page.get_by_role("link", name="Publication")).to_have_count(0)
    response = page.goto("/publication")
    assert response is not None and response.status == 403
    expect(page.locator("main")).to_contain_text("this page is for the admin role; you are analyst")
    shot(page, "publication-forbidden")


def test_publication_page_at_phone_width(browser: Browser, server: Server) -> None:
    context = browser.new_context(base_url=server.url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        sign_in(page, "root")
        page.goto("/publication")
        expect(page.get_by_role("heading", level=1)).to_have_text("Publication")
        width = page_width(page)
        assert width <= 390, f"the page scrolls sideways: {width}px"
        page.keyboard.press("Tab")  # the skip link first, then on through the page by keyboard
        expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
        shot(page, "publication-phone")
    finally:
        context.close()
