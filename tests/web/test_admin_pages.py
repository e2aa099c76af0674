"""Administration in the browser: organisations, users, a token shown once and revoked, refusals, audit entries."""

from __future__ import annotations

import httpx2 as httpx
from playwright.sync_api import Page, expect
from tests.support import bearer
from tests.web.conftest import PASSWORD, Server, page_width, shot, sign_in

from palermo import audit
from palermo.server.identity import create_user
from palermo.store.db import open_store


def _admin_log(server: Server) -> list[audit.AuditEntry]:
    store = open_store(server.db)
    try:
        return audit.entries(store, action="admin")
    finally:
        store.engine.dispose()


def test_admin_registers_an_organisation_and_a_user(page: Page, server: Server) -> None:
    sign_in(page, "root")
    page.get_by_role("link", name="Administration").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Administration")
    page.get_by_label("Name", exact=True).fill("Safe Haven")
    page.get_by_label("Type (HTCDS)").select_option(label="Law Enforcement")
    page.get_by_label("Country").select_option(label="Cambodia")
    page.get_by_role("button", name="Register organisation").click()
    expect(page.locator(".message.ok")).to_have_text("Organisation Safe Haven registered.")
    row = page.get_by_role("row", name="Safe Haven")
    expect(row).to_contain_text("Law Enforcement")
    expect(row).to_contain_text("Cambodia (KH)")

    page.get_by_label("Name", exact=True).fill("Safe Haven")
    page.get_by_label("Country").select_option(label="Thailand")
    page.get_by_role("button", name="Register organisation").click()
    expect(page.locator(".message.error")).to_contain_text("already registered")
    expect(page.get_by_label("Country")).to_have_value("TH")  # the form keeps what was chosen

    page.get_by_label("User name").fill("dora")
    page.get_by_label("Organisation", exact=True).select_option("Safe Haven")
    page.get_by_label("Role").select_option("contributor")
    page.get_by_label("Password (12 characters or more)").fill("short")
    page.evaluate("document.getElementById('user-password').removeAttribute('maxlength')")
    page.get_by_role("button", name="Register user").click()
    expect(page.locator(".message.error")).to_have_text("the password must have at least 12 characters")
    expect(page.get_by_label("User name")).to_have_value("dora")
    expect(page.get_by_label("Password (12 characters or more)")).to_have_value("")  # never sent back
    shot(page, "admin-refused")
    page.get_by_label("Password (12 characters or more)").fill("dora's long password")
    page.get_by_role("button", name="Register user").click()
    expect(page.locator(".message.ok")).to_have_text("User dora (contributor, Safe Haven) registered.")
    expect(page.get_by_role("row", name="dora")).to_contain_text("Safe Haven")
    page.get_by_label("User name").fill("hope-analyst")
    page.get_by_label("Password (12 characters or more)").fill(PASSWORD)
    page.get_by_role("button", name="Register user").click()
    expect(page.locator(".message.error")).to_have_text("a user called 'hope-analyst' already exists")

    answer = httpx.post(f"{server.url}/api/session", json={"user": "dora", "password": "dora's long password"})
    assert answer.status_code == 201, answer.text
    log = _admin_log(server)
    assert [(e.action, e.actor, e.org) for e in log[:2]] == [
        ("admin.user.create", "root", "Hope Shelter"), ("admin.organisation.create", "root", "Hope Shelter")]
    assert log[0].details == {"user": "dora", "organisation": "Safe Haven", "role": "contributor"}
    assert log[1].details == {"organisation": "Safe Haven", "type": "LawEnforcement", "country": "KH"}
    assert "password" not in str([e.details for e in log])


def test_a_token_is_shown_once_and_can_be_revoked(page: Page, server: Server) -> None:
    sign_in(page, "root")
    page.goto("/admin")
    page.get_by_label("For user").select_option("hope-analyst")
    page.get_by_label("Valid for (days)").fill("7")
    page.get_by_role("button", name="Issue token").click()
    warning = page.locator(".token-once")
    expect(warning).to_contain_text("Copy it now: this is the only time it is shown.")
    token = page.get_by_label("Token (valid until").input_value()
    assert token.startswith("plm_")
    shot(page, "admin-token")
    me = httpx.get(f"{server.url}/api/me", headers=bearer(token))
    assert me.json()["user"] == "hope-analyst"
    token_id = int(token.removeprefix("plm_").split(".")[0])

    page.goto("/admin")
    assert token.split(".")[1] not in page.content()
    expect(page.locator(".token-once")).to_have_count(0)
    expect(page.get_by_role("row", name=f"{token_id} hope-analyst")).to_contain_text("Hope Shelter")
    page.get_by_role("button", name=f"Revoke token {token_id} of hope-analyst").click()
    expect(page.locator(".message.ok")).to_have_text(f"Token {token_id} revoked: it no longer works.")
    expect(page.get_by_role("button", name=f"Revoke token {token_id} of hope-analyst")).to_have_count(0)
    assert httpx.get(f"{server.url}/api/me", headers=bearer(token)).status_code == 401
    issued, revoked = _admin_log(server)[1], _admin_log(server)[0]
    assert (issued.action, issued.details["token_id"]) == ("admin.token.issue", token_id)
    assert (revoked.action, revoked.details) == ("admin.token.revoke", {"token_id": token_id})
    assert token.split(".")[1] not in str(issued.details)


def test_admin_disables_and_enables_a_user(page: Page, server: Server) -> None:
    store = open_store(server.db)
    try:
        create_user(store, "erin", "Hope Shelter", "analyst", PASSWORD)
    finally:
        store.engine.dispose()
    signed_in = httpx.post(f"{server.url}/api/session", json={"user": "erin", "password": PASSWORD})
    token = signed_in.json()["token"]
    sign_in(page, "root")
    page.goto("/admin")
    expect(page.get_by_role("button", name="Disable user root")).to_have_count(0)  # not oneself
    page.get_by_role("button", name="Disable user erin").click()
    expect(page.locator(".message.ok")).to_have_text("User erin disabled.")
    expect(page.get_by_role("row", name="erin")).to_contain_text("disabled")
    shot(page, "admin-disabled")
    assert httpx.get(f"{server.url}/api/me", headers=bearer(token)).status_code == 401  # the session is revoked
    again = httpx.post(f"{server.url}/api/session", json={"user": "erin", "password": PASSWORD})
    assert again.status_code == 401 and "wrong user name or password" in again.text
    page.get_by_role("button", name="Enable user erin").click()
    expect(page.locator(".message.ok")).to_have_text("User erin enabled.")
    assert httpx.post(f"{server.url}/api/session", json={"user": "erin", "password": PASSWORD}).status_code == 201
    assert httpx.get(f"{server.url}/api/me", headers=bearer(token)).status_code == 401  # old tokens stay revoked
    enabled, disabled = _admin_log(server)[:2]
    assert disabled.action == "admin.user.disable"
    assert disabled.details == {"user": "erin", "organisation": "Hope Shelter"}
    assert enabled.action == "admin.user.enable"


def test_only_admins_administer(page: Page, server: Server) -> None:
    sign_in(page, "hope-analyst")
    expect(page.get_by_role("link", name="Administration")).to_have_count(0)
    response = page.goto("/admin")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
    expect(page.locator(".message.error")).to_contain_text("admin")
    page.goto("/agreements")
    csrf = page.locator("input[name=csrf]").first.input_value()
    forged = page.request.post("/admin/organisations", form={"csrf": csrf, "name": "Sneaky", "org_type": "NGO",
                                                             "country": "TH"}, headers={"Accept": "text/html"})
    assert forged.status == 403 and "administration is for the admin role" in forged.text()
    assert "Sneaky" not in [e.details.get("organisation") for e in _admin_log(server)]


def test_admin_page_at_phone_width(page: Page) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "root")
    page.goto("/admin")
    expect(page.get_by_role("heading", level=2, name="Users")).to_be_visible()
    page.get_by_role("link", name="Users").click()
    width = page_width(page)
    assert width <= 390, f"the page is {width} px wide at phone width"
    shot(page, "admin-phone")
