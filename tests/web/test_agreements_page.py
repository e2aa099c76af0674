"""Sharing agreements in the browser: granting per category for a period, both sides' views, refusals, revoking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect
from tests.web.conftest import Server, page_width, shot, sign_in

from palermo import audit
from palermo.store.agreements import list_agreements
from palermo.store.db import open_store


def _today(days: int = 0) -> str:
    return (datetime.now(UTC).date() + timedelta(days=days)).isoformat()


def test_analyst_grants_per_category_and_the_partner_sees_it(page: Page, server: Server) -> None:
    sign_in(page, "hope-analyst")
    page.get_by_role("link", name="Agreements").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sharing agreements")
    expect(page.get_by_text("None: no other organisation sees Hope Shelter's data.")).to_be_visible()
    expect(page.get_by_label("Share with").locator("option", has_text="Hope Shelter")).to_have_count(0)
    page.get_by_label("Share with").select_option("Border Police")
    page.get_by_label("Case data (the analytical fields of each case)").select_option("aggregate")
    page.get_by_label("Linkage (which people").select_option("pseudonymised")
    page.get_by_label("Until (date, inclusive)").fill(_today(30))
    page.get_by_label("Purpose (recorded in the audit log)").fill("joint trend report")
    page.get_by_role("button", name="Grant access").click()
    expect(page.locator(".message.ok")).to_have_text(
        "Granted to Border Police (cases: aggregate; linkage: pseudonymised).")
    granted = page.locator("table.agreements").first
    expect(granted.locator("tbody tr")).to_have_count(2)
    cases = granted.get_by_role("row", name="cases")
    expect(cases).to_contain_text("only statistics of Hope Shelter's cases")
    expect(cases).to_contain_text("in force")
    expect(cases).to_contain_text(f"to end of {_today(30)}")
    shot(page, "agreements")

    store = open_store(server.db)
    try:
        made = {a.category: a for a in list_agreements(store, "Hope Shelter")}
        log = audit.entries(store, action="agreement.grant", actor="hope-analyst")
    finally:
        store.engine.dispose()
    assert {c: a.level for c, a in made.items()} == {"cases": "aggregate", "linkage": "pseudonymised"}
    assert made["cases"].valid_until == datetime.fromisoformat(_today(31)).replace(tzinfo=UTC)
    assert {e.details["category"] for e in log} == {"cases", "linkage"}
    assert {e.purpose for e in log} == {"joint trend report"}

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "police-analyst")
    page.goto("/agreements")
    received = page.get_by_role("table", name="Agreements your organisation receives")
    expect(received.get_by_role("row", name="linkage")).to_contain_text(
        "that Hope Shelter holds the same person too (named, without its record references)")
    expect(received.get_by_role("button")).to_have_count(0)  # only the grantor revokes
    shot(page, "agreements-received")


def test_refused_grants_say_why(page: Page) -> None:
    sign_in(page, "hope-analyst")
    page.goto("/agreements")
    page.get_by_label("Share with").select_option("Border Police")
    page.get_by_role("button", name="Grant access").click()
    expect(page.locator(".message.error")).to_have_text("choose a level above none for at least one kind of data")
    page.get_by_label("Identities (names, dates of birth, contacts, documents)").select_option("full")
    page.get_by_label("From (date)").fill(_today(10))
    page.get_by_label("Until (date, inclusive)").fill(_today(5))
    page.get_by_role("button", name="Grant access").click()
    expect(page.locator(".message.error")).to_have_text(
        f"the agreement would end ({_today(5)}) before it starts ({_today(10)})")
    expect(page.get_by_label("Identities (names, dates of birth, contacts, documents)")).to_have_value("full")
    shot(page, "agreements-refused")
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "root")
    page.goto("/agreements")
    page.get_by_label("Whose data").select_option("Border Police")
    page.get_by_label("Share with").select_option("Border Police")
    page.get_by_label("Case data (the analytical fields of each case)").select_option("full")
    page.get_by_role("button", name="Grant access").click()
    expect(page.locator(".message.error")).to_contain_text("an organisation always has full access to its own data")


def test_grantor_revokes_and_contributors_only_read(page: Page, server: Server) -> None:
    sign_in(page, "hope-analyst")
    page.goto("/agreements")
    granted = page.get_by_role("table", name="Agreements your organisation grants")
    row = granted.get_by_role("row", name="cases")
    agreement = int(row.get_by_role("rowheader").inner_text())
    row.get_by_role("button", name="Revoke").click()
    expect(page.locator(".message.ok")).to_have_text(
        f"Agreement {agreement} revoked: Border Police no longer sees Hope Shelter's cases.")
    row = page.get_by_role("table", name="Agreements your organisation grants").get_by_role("row", name="cases")
    expect(row).to_contain_text("revoked")
    expect(row.get_by_role("button")).to_have_count(0)
    store = open_store(server.db)
    try:
        assert [a.revoked_by for a in list_agreements(store, "Hope Shelter") if a.id == agreement] == ["hope-analyst"]
        assert audit.entries(store, action="agreement.revoke", limit=1)[0].details == {"agreement": agreement}
    finally:
        store.engine.dispose()
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "hope-contributor")
    page.goto("/agreements")
    expect(page.get_by_role("table", name="Agreements your organisation grants")).to_contain_text("linkage")
    expect(page.get_by_role("button", name="Grant access")).to_have_count(0)
    expect(page.get_by_role("button", name="Revoke")).to_have_count(0)
    expect(page.get_by_text("Only analysts and administrators can grant or revoke agreements.")).to_be_visible()
    csrf = page.locator("input[name=csrf]").first.input_value()
    forged = page.request.post(f"/agreements/{agreement + 1}/revoke", form={"csrf": csrf},
                               headers={"Accept": "text/html"})
    assert forged.status == 403 and "the contributor role cannot revoke agreements" in forged.text()


def test_agreements_page_at_phone_width(page: Page) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "hope-analyst")
    page.goto("/agreements")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sharing agreements")
    width = page_width(page)
    assert width <= 390, f"the page is {width} px wide at phone width"
    shot(page, "agreements-phone")
