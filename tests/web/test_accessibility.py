"""Every page each role can reach, checked the same way: labels, names, headings, contrast, keyboard, phone width.

The checks run in the page itself (the DOM and computed styles of Debian's Chromium), on every link of
the main navigation of every role, at desktop and at phone width. WCAG AA contrast: 4.5:1 for text
(3:1 for large text), computed from the colours the browser resolved, with the background taken from the
nearest ancestor that paints one.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from tests.web.conftest import USERS, Server, page_width, shot, sign_in

AUDIT_PAGE = """
() => {
  const problems = [];
  const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length)
    && getComputedStyle(el).visibility !== 'hidden';
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (el.name ? '[name=' + el.name + ']' : '');
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden' || !visible(el)) continue;
    const named = (el.labels && el.labels.length) || el.getAttribute('aria-label')
      || el.getAttribute('aria-labelledby');
    if (!named) problems.push('control without a label: ' + describe(el));
  }
  for (const el of document.querySelectorAll('button, a[href]')) {
    if (!visible(el)) continue;
    if (!(el.innerText.trim() || el.getAttribute('aria-label') || el.querySelector('img[alt]:not([alt=""])')))
      problems.push('unnamed ' + describe(el));
  }
  for (const el of document.querySelectorAll('img')) {
    if (!el.hasAttribute('alt')) problems.push('image without alt: ' + el.src.slice(0, 60));
  }
  const h1s = document.querySelectorAll('h1').length;
  if (h1s !== 1) problems.push(h1s + ' h1 elements');
  let level = 1;
  for (const h of document.querySelectorAll('main h1, main h2, main h3, main h4')) {
    const n = Number(h.tagName[1]);
    if (n > level + 1) problems.push('heading skips a level: ' + h.tagName + ' ' + h.innerText.slice(0, 40));
    level = n;
  }
  if (!document.documentElement.lang) problems.push('no lang on <html>');
  const rgb = (text) => (text.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const c = [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!walker.currentNode.textContent.trim() || !el || seen.has(el) || !visible(el)) continue;
    if (el.closest('svg, .skip, .visually-hidden')) continue;
    seen.add(el);
    const style = getComputedStyle(el);
    const fg = lum(rgb(style.color).slice(0, 3)), bg = lum(background(el));
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    const size = parseFloat(style.fontSize), bold = Number(style.fontWeight) >= 700;
    const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < needed) problems.push('contrast ' + ratio.toFixed(2) + ' < ' + needed + ': "'
      + walker.currentNode.textContent.trim().slice(0, 40) + '"');
  }
  return problems;
}
"""


def _pages_of(page: Page) -> list[str]:
    links = page.locator("nav[aria-label=Main] a")
    return [str(links.nth(i).get_attribute("href")) for i in range(links.count())]


def _check(page: Page, where: str) -> list[str]:
    problems: list[Any] = page.evaluate(AUDIT_PAGE)
    return [f"{where}: {p}" for p in problems]


@pytest.mark.parametrize("user", sorted(USERS))
def test_every_page_of_every_role_passes_the_checks(browser: Browser, server: Server, user: str) -> None:
    problems: list[str] = []
    for width, height in ((1280, 900), (390, 844)):
        context = browser.new_context(base_url=server.url, viewport={"width": width, "height": height})
        page = context.new_page()
        sign_in(page, user)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        paths = _pages_of(page)
        assert "/home" in paths
        for path in paths:
            page.goto(path)
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            problems += _check(page, f"{user} {path} at {width} px")
            scroll = page_width(page)
            if scroll > width:
                problems.append(f"{user} {path} is {scroll} px wide at {width} px")
        if width < 800:
            shot(page, f"a11y-{user}-phone")
        context.close()
    assert problems == []


def test_the_keyboard_reaches_the_content_and_every_control(page: Page) -> None:
    sign_in(page, "hope-analyst")
    page.goto("/search")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()  # it shows itself when focused
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    reached: set[str] = set()
    for _ in range(60):
        page.keyboard.press("Tab")
        reached.add(page.evaluate("document.activeElement.id || document.activeElement.name || ''"))
    controls = page.locator("main input:not([type=hidden]), main select, main textarea")
    ids = {controls.nth(i).get_attribute("id") or controls.nth(i).get_attribute("name") or ""
           for i in range(controls.count())}
    assert ids and ids <= reached, f"not reachable with Tab: {sorted(ids - reached)}"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # the focused control shows where it is
