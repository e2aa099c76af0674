"""Linkage alerts in the browser: the link on the home page, the list, and the network picture of a person."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from tests.link.test_entity_network import HOPE, POLICE, RECRUITER_PHONE, maria
from tests.web.conftest import Server, page_width, serve, shot, sign_in
from tests.web.test_hits_pages import seed_linked

from palermo import audit
from palermo.access.alerts import linkage_alerts
from palermo.store.db import open_store

WHY = "weekly case review"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("network")
    with serve(seed_linked(folder), folder) as running:
        yield running


@pytest.fixture(scope="module")
def maria_id(server: Server) -> str:
    store = open_store(server.db)
    try:
        return maria(store)
    finally:
        store.engine.dispose()


def _kind_cells(table: Locator, kind: str) -> Locator:
    return table.locator("tbody td:first-child").filter(has_text=re.compile(f"^{kind}$"))


def test_home_leads_to_the_alerts_and_the_network(page: Page, server: Server, maria_id: str) -> None:
    store = open_store(server.db)
    expected = len(linkage_alerts(store, HOPE, actor="test", purpose="test"))
    store.engine.dispose()
    assert expected >= 30
    sign_in(page, "hope-analyst")
    card = page.locator(".card", has_text="Linkage alerts")
    shot(page, "home-alerts")
    store = open_store(server.db)
    mine = [e.action for e in audit.entries(store, org=HOPE, actor="hope-analyst")]
    assert mine == ["session.sign_in"]  # the home page read nothing
    store.engine.dispose()
    card.get_by_role("link", name="Linkage alerts").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Linkage alerts")
    expect(page.get_by_role("table")).to_have_count(0)  # nothing before a purpose is stated
    page.get_by_label("Why you are looking (recorded in the audit log)").fill(WHY)
    page.get_by_role("button", name="Show the alerts").click()
    expect(page.get_by_role("heading", level=2)).to_have_text(f"{expected} persons held elsewhere too")
    row = page.get_by_role("row", name=re.compile(maria_id))
    expect(row).to_contain_text(POLICE)
    shot(page, "alerts")
    row.get_by_role("link", name=f"Network of {maria_id}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Network of {maria_id}")
    picture = page.get_by_role("img", name=re.compile("Network diagram"))
    expect(picture).to_be_visible()
    assert picture.evaluate("img => img.naturalWidth") > 300  # the SVG drew
    nodes = page.get_by_role("table")
    expect(nodes).to_contain_text(RECRUITER_PHONE)
    expect(nodes).to_contain_text(f"{maria_id} (this person)")
    expect(_kind_cells(nodes, "person")).to_have_count(3)  # Maria and the two who gave her phone number
    expect(_kind_cells(nodes, "case")).to_have_count(2)  # Maria's case at Hope, and at Police (full linkage)
    expect(nodes.get_by_role("row", name=re.compile(RECRUITER_PHONE.replace("+", r"\+")))).to_contain_text(
        f"{POLICE}; {HOPE}")  # Police shares identities in full
    shot(page, "network")
    store = open_store(server.db)
    entry = audit.entries(store, org=HOPE, limit=1)[0]
    store.engine.dispose()
    assert (entry.action, entry.actor, entry.purpose) == ("linkage.network", "hope-analyst", WHY)


def test_the_network_asks_the_purpose_first(page: Page, maria_id: str) -> None:
    sign_in(page, "hope-analyst")
    page.goto(f"/alerts/{maria_id}")
    expect(page.get_by_role("img")).to_have_count(0)
    page.get_by_label("Why you are looking (recorded in the audit log)").fill(WHY)
    page.get_by_role("button", name="Show the network").click()
    expect(page.get_by_role("img", name=re.compile("Network diagram"))).to_be_visible()


def test_a_network_outside_ones_rights_is_refused_in_words(page: Page, maria_id: str) -> None:
    sign_in(page, "police-analyst")
    page.goto(f"/alerts?purpose={WHY}")
    expect(page.locator(".message.ok")).to_contain_text("No alerts")  # Hope shares no linkage with Police
    store_ids = page.request.get(f"/alerts/E9999999?purpose={WHY}", headers={"Accept": "text/html"})
    assert store_ids.status == 404 and "among your organisation&#39;s records" in store_ids.text()
    page.goto(f"/alerts/{maria_id}?purpose={WHY}")  # Police holds Maria too: its own records only
    nodes = page.get_by_role("table")
    expect(nodes).not_to_contain_text(HOPE)
    expect(_kind_cells(nodes, "person")).to_have_count(1)
    expect(_kind_cells(nodes, "phone")).to_have_count(1)


def test_alerts_are_for_analysts(page: Page) -> None:
    sign_in(page, "hope-contributor")
    expect(page.locator(".card", has_text="linkage alert")).to_have_count(0)
    expect(page.get_by_role("link", name="Alerts")).to_have_count(0)
    page.goto(f"/alerts?purpose={WHY}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
    expect(page.locator(".message.error")).to_contain_text("analyst")


def test_network_at_phone_width(browser: Browser, server: Server, maria_id: str) -> None:
    context = browser.new_context(base_url=server.url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        sign_in(page, "hope-analyst")
        page.goto(f"/alerts/{maria_id}?purpose={WHY}")
        expect(page.get_by_role("img", name=re.compile("Network diagram"))).to_be_visible()
        width = page_width(page)
        assert width <= 390, f"the page is {width}px wide at phone width"
        shot(page, "network-phone")
        page.goto(f"/alerts?purpose={WHY}")
        expect(page.get_by_role("link", name=f"Network of {maria_id}")).to_be_visible()
        assert page_width(page) <= 390
        shot(page, "alerts-phone")
    finally:
        context.close()
