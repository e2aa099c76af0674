"""Signing in and out, the home page, error pages, keyboard use and phone width, in a real Chromium."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from tests.web.conftest import page_width, shot, sign_in


def test_sign_in_home_and_sign_out(page: Page) -> None:
    page.goto("/home")
    assert "/sign-in" in page.url
    shot(page, "sign-in")
    sign_in(page, "hope-analyst", "a wrong password!")
    expect(page.get_by_role("alert")).to_contain_text("wrong user name or password")
    shot(page, "sign-in-error")
    sign_in(page, "hope-analyst")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hope Shelter")
    expect(page.locator(".card").first).to_contain_text("14")
    expect(page.get_by_text("hope-analyst · Hope Shelter · analyst")).to_be_visible()
    shot(page, "home")
    page.get_by_role("button", name="Sign out").click()
    assert "/sign-in" in page.url
    page.goto("/home")
    assert "/sign-in" in page.url  # the session's token was revoked


def test_errors_are_pages_not_json(page: Page) -> None:
    sign_in(page, "hope-contributor")
    response = page.goto("/no-such-page")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    expect(page.get_by_role("link", name="Back to the home page")).to_be_visible()
    shot(page, "not-found")


def test_keyboard_and_phone_width(page: Page) -> None:
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto("/sign-in")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.get_by_label("User name").fill("hope-auditor")
    page.keyboard.press("Tab")
    page.keyboard.type("correct horse battery")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hope Shelter")
    width = page_width(page)
    assert width <= 375, f"the page is {width} px wide at phone width"
    shot(page, "home-phone")
