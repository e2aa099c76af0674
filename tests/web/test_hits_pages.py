"""Hit/no-hit in the browser: ask about a phone or a person, and the holder's inbox with its decisions."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from tests.link.test_entity_network import HOPE, POLICE, ingest_people
from tests.web.conftest import Server, page_width, seed_default, serve, shot, sign_in

from palermo.link.hits import ask
from palermo.link.run import run_linkage
from palermo.store.agreements import grant
from palermo.store.db import open_store

SEEDED_PURPOSE = "trafficking ring 12"


def seed_linked(folder: Path) -> str:
    """:func:`seed_default`, both organisations' person files linked, Police sharing linkage and identities
    with Hope in full, and a Police query that left Hope a notice; the store's URL."""
    db = seed_default(folder)
    store = open_store(db)
    ingest_people(store, folder)
    run_linkage(store, started_by="seed")
    grant(store, POLICE, HOPE, "linkage", "full", by="seed")
    grant(store, POLICE, HOPE, "identities", "full", by="seed")
    answer = ask(store, org=POLICE, asked_by="police-analyst", purpose=SEEDED_PURPOSE, kind="phone",
                 query={"value": "+66812345002"})
    assert answer.hit and answer.organisations == [HOPE]
    store.engine.dispose()
    return db


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("hits")
    with serve(seed_linked(folder), folder) as running:
        yield running


def _answer(page: Page) -> str:
    return page.locator("section.answer").inner_text()


def test_a_phone_asked_about_is_a_hit_naming_only_whom_to_contact(page: Page) -> None:
    sign_in(page, "police-analyst")
    page.get_by_role("link", name="Hit/no-hit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hit/no-hit search")
    page.get_by_label("What you are asking about").select_option("phone")
    page.get_by_label("Number or address").fill("+66 81 234 5004")
    page.get_by_label("Purpose (recorded and shown to the holder)").first.fill("investigation 2024/17")
    page.get_by_role("button", name="Ask about the identifier").click()
    expect(page.get_by_role("heading", name="Hit", exact=True)).to_be_visible()
    answer = _answer(page)
    assert HOPE in answer and "notice" in answer and re.search(r"query \d+", answer)
    assert "+66 81 234 5004" in answer  # what was asked
    assert "Mai" not in answer and "Tran" not in answer  # nothing of the record itself (Mai Tran)
    shot(page, "search-hit")
    page.get_by_label("Number or address").fill("+66 80 000 0000")
    page.get_by_label("Purpose (recorded and shown to the holder)").first.fill("investigation 2024/17")
    page.get_by_role("button", name="Ask about the identifier").click()
    expect(page.get_by_role("heading", name="No hit")).to_be_visible()
    assert HOPE not in _answer(page)


def test_a_person_is_found_by_name_and_birth_date(page: Page) -> None:
    sign_in(page, "police-analyst")
    page.goto("/search")
    page.get_by_label("Given name").fill("Maria")
    page.get_by_label("Family name").fill("Santos")
    page.get_by_label("Birth date").fill("1980-01-10")
    page.locator("#person_purpose").fill("victim identification")
    page.get_by_role("button", name="Ask about the person").click()
    expect(page.get_by_role("heading", name="Hit", exact=True)).to_be_visible()
    assert HOPE in _answer(page) and "matching person" in _answer(page)
    shot(page, "search-person-hit")


def test_an_empty_person_query_says_what_is_missing(page: Page) -> None:
    sign_in(page, "hope-contributor")
    page.goto("/search")
    page.locator("#person_purpose").fill("victim identification")
    page.get_by_role("button", name="Ask about the person").click()
    expect(page.locator(".message.error")).to_contain_text("give at least a name or a birth date")
    expect(page.locator("#person_purpose")).to_have_value("victim identification")  # what was typed stays
    assert page.locator("section.answer").count() == 0


def test_the_holder_discloses_and_declines_after_confirming(page: Page) -> None:
    sign_in(page, "police-analyst")  # a second Police query, to decline
    page.goto("/search")
    page.get_by_label("Number or address").fill("+66812345006")
    page.get_by_label("Purpose (recorded and shown to the holder)").first.fill("to be declined")
    page.get_by_role("button", name="Ask about the identifier").click()
    expect(page.get_by_role("heading", name="Hit", exact=True)).to_be_visible()
    page.context.clear_cookies()
    sign_in(page, "hope-analyst")
    page.get_by_role("link", name="Inbox").click()
    seeded = page.locator("article.notice", has_text=SEEDED_PURPOSE)
    expect(seeded).to_contain_text(POLICE)
    expect(seeded).to_contain_text("pending")
    seeded.get_by_role("link", name="Disclose…").click()
    confirming = page.locator("article.confirming")
    expect(confirming).to_contain_text("Disclose notice")
    expect(confirming.get_by_label("Note for the record")).to_be_focused()  # keyboard users land in the form
    shot(page, "inbox-confirm")
    confirming.get_by_label("Note for the record").fill("call our desk")
    confirming.get_by_role("button", name="Yes, disclose").click()
    decided = page.locator("article.notice", has_text=SEEDED_PURPOSE)
    expect(decided.locator(".message.ok")).to_contain_text("disclosed")
    expect(decided).to_contain_text("call our desk")
    expect(decided.get_by_role("link", name="Disclose…")).to_have_count(0)

    other = page.locator("article.notice", has_text="to be declined")
    other.get_by_role("link", name="Decline…").click()
    page.locator("article.confirming").get_by_role("link", name="Cancel").click()
    expect(other.get_by_role("link", name="Decline…")).to_be_visible()  # nothing decided
    other.get_by_role("link", name="Decline…").click()
    page.locator("article.confirming").get_by_role("button", name="Yes, decline").click()
    expect(page.locator("article.notice", has_text="to be declined").locator(".message.ok")).to_contain_text("declined")
    page.reload()
    done = page.get_by_role("heading", name=re.compile(r"^Decided"))
    expect(done).to_be_visible()
    expect(page.locator("article.notice.disclosed", has_text=SEEDED_PURPOSE)).to_have_count(1)
    expect(page.locator("article.notice.declined", has_text="to be declined")).to_have_count(1)
    shot(page, "inbox")


def test_deciding_without_javascript_goes_through_a_confirm_page(browser: Browser, server: Server) -> None:
    context = browser.new_context(base_url=server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, "police-analyst")
        page.goto("/search")
        page.get_by_label("Number or address").fill("+66812345008")
        page.get_by_label("Purpose (recorded and shown to the holder)").first.fill("without script")
        page.get_by_role("button", name="Ask about the identifier").click()
        context.clear_cookies()
        sign_in(page, "root")
        page.goto("/inbox")
        page.locator("article.notice", has_text="without script").get_by_role("link", name="Decline…").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"Notice \d+"))
        page.get_by_role("button", name="Yes, decline").click()
        expect(page.locator("article.notice.declined", has_text="without script")).to_contain_text("root")
        page.go_back()
        page.get_by_role("button", name="Yes, decline").click()  # a second decision on the same notice
        expect(page.locator(".message.error")).to_contain_text("already declined")
    finally:
        context.close()


def test_other_roles_read_but_do_not_ask_or_decide(page: Page) -> None:
    sign_in(page, "hope-auditor")
    expect(page.get_by_role("link", name="Hit/no-hit")).to_have_count(0)
    page.goto("/search")
    expect(page.locator(".message.warn")).to_contain_text("cannot ask")
    expect(page.get_by_role("button", name="Ask about the identifier")).to_have_count(0)
    page.get_by_role("link", name="Inbox").click()
    expect(page.locator("article.notice").first).to_contain_text(POLICE)
    expect(page.get_by_role("link", name="Disclose…")).to_have_count(0)
    notice_id = page.locator("article.notice").first.get_attribute("id") or ""
    csrf = page.locator("form.signout input[name=csrf]").get_attribute("value") or ""
    refused = page.request.post(f"/inbox/{notice_id.removeprefix('notice-')}/decision",
                                form={"csrf": csrf, "disclose": "yes"}, headers={"Accept": "text/html"})
    assert refused.status == 403 and "cannot decide" in refused.text()
    forged = page.request.post("/search", form={"csrf": "forged", "kind": "phone", "value": "1", "purpose": "x"},
                               headers={"Accept": "text/html"})
    assert forged.status == 403 and "expired" in forged.text()


def test_search_at_phone_width(browser: Browser, server: Server) -> None:
    context = browser.new_context(base_url=server.url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        sign_in(page, "hope-contributor")
        page.goto("/search")
        expect(page.get_by_role("button", name="Ask about the person")).to_be_visible()
        width = page_width(page)
        assert width <= 390, f"the page is {width}px wide at phone width"
        shot(page, "search-phone")
        page.goto("/inbox")
        assert page_width(page) <= 390
        shot(page, "inbox-phone")
    finally:
        context.close()
