"""The audit log page for auditors: filters, pages, the chain's check, intact and after an entry is edited."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import update
from tests.web.conftest import Server, page_width, seed_default, serve, shot, sign_in

from palermo import audit
from palermo.store.db import open_store
from palermo.store.orgs import get_organisation
from palermo.store.schema import audit_log

READS = 60


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The default world plus 61 audited reads by hope-analyst (one dated 1 May 2020) and an admin action."""
    folder = tmp_path_factory.mktemp("web-audit")
    db = seed_default(folder)
    store = open_store(db)
    hope = get_organisation(store, "Hope Shelter").id
    with store.engine.begin() as conn:  # an entry dated 1 May 2020, sealed into the chain with that date
        old = audit.append(conn, actor="hope-analyst", org_id=hope, action="cases.read", purpose="old review",
                           records=[f"{hope}:1"])
        conn.execute(update(audit_log).where(audit_log.c.id == old).values(at=datetime(2020, 5, 1, 9, tzinfo=UTC)))
    audit.seal(store)
    for i in range(READS):
        audit.append(store, actor="hope-analyst", org_id=hope, action="cases.read", purpose=f"case review {i}",
                     records=[f"{hope}:{i}", f"{hope}:{i + 1}", f"{hope}:{i + 2}"], details={"cases": 3})
    audit.append(store, actor="root", org_id=hope, action="admin.user.create", purpose="administration",
                 details={"user": "new-user", "organisation": "Hope Shelter", "role": "analyst"})
    police = get_organisation(store, "Border Police").id
    audit.append(store, actor="police-analyst", org_id=police, action="cases.read", purpose="police business")
    assert audit.verify(store).ok
    store.engine.dispose()
    with serve(db, folder) as running:
        yield running


def _first_ids(page: Page) -> list[int]:
    return [int(t) for t in page.locator("table.audit tbody tr td:first-child").all_inner_texts()]


def test_auditor_reads_filters_and_pages_the_log(page: Page) -> None:
    sign_in(page, "hope-auditor")
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    rows = page.locator("table.audit tbody tr")
    expect(rows).to_have_count(50)
    made = rows.filter(has_text="admin.user.create")  # the newest of the seeded entries
    expect(made).to_have_count(1)
    expect(made).to_contain_text("root")
    expect(made).to_contain_text("new-user")
    expect(page.locator("table.audit")).not_to_contain_text("police-analyst")  # another organisation's entry
    read = rows.filter(has_text="case review 59")
    expect(read).to_contain_text("cases.read")
    expect(read).to_contain_text("hope-analyst")
    expect(read).to_contain_text("3 records")
    newest = _first_ids(page)
    assert newest == sorted(newest, reverse=True)
    shot(page, "audit")
    page.get_by_role("link", name="Older entries").click()
    older = _first_ids(page)
    assert older and max(older) < min(newest)
    expect(page.get_by_role("link", name="Newest entries")).to_be_visible()
    shot(page, "audit-older")

    page.goto("/audit")
    page.get_by_label("User", exact=True).fill("root")
    page.get_by_role("button", name="Show").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("admin.user.create")
    page.get_by_role("link", name="Clear").click()
    page.get_by_label("Action (or its start)").fill("admin")
    page.get_by_role("button", name="Show").click()
    expect(rows).to_have_count(1)
    page.get_by_label("Action (or its start)").fill("")
    page.get_by_label("From (date)").fill("2020-05-01")
    page.get_by_label("To (date, inclusive)").fill("2020-05-01")
    page.get_by_role("button", name="Show").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("2020-05-01 09:00:00")
    expect(rows.first).to_contain_text("old review")
    page.get_by_label("From (date)").fill("2020-05-02")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".message.error")).to_contain_text("the period ends (2020-05-01) before it starts (2020-05-02)")
    shot(page, "audit-filter-error")


def test_verify_the_chain_when_intact(page: Page) -> None:
    sign_in(page, "hope-auditor")
    page.goto("/audit")
    page.get_by_role("button", name="Verify the chain").click()
    expect(page.locator("#verify-result .message.ok")).to_contain_text("Intact")
    expect(page.locator("#verify-result")).to_contain_text("all ")
    shot(page, "audit-verified")


def test_only_auditors_see_the_log(page: Page) -> None:
    sign_in(page, "hope-analyst")
    expect(page.get_by_role("link", name="Audit log")).to_have_count(0)
    response = page.goto("/audit")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
    expect(page.locator(".message.error")).to_contain_text("auditor")


def test_audit_page_at_phone_width(page: Page) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "hope-auditor")
    page.goto("/audit")
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    width = page_width(page)
    assert width <= 390, f"the page is {width} px wide at phone width"
    shot(page, "audit-phone")


def test_an_edited_entry_breaks_the_chain_and_the_page_says_which(page: Page, server: Server) -> None:
    """Runs last in this module: it breaks the log of the module's server."""
    sign_in(page, "hope-auditor")
    page.goto("/audit?action=cases.read")
    victim = page.locator("table.audit tbody tr").nth(5)
    entry = int(victim.locator("td").first.inner_text())
    with sqlite3.connect(server.db.removeprefix("sqlite:///")) as conn:
        conn.execute("UPDATE audit_log SET purpose = 'nothing to see here' WHERE id = ?", (entry,))
    page.get_by_role("button", name="Verify the chain").click()
    broken = page.locator("#verify-result .message.error")
    expect(broken).to_contain_text(f"Broken at entry {entry}")
    expect(broken).to_contain_text("edited")
    shot(page, "audit-broken")
