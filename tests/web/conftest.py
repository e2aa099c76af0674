"""A real ``palermo serve`` on a free port and Debian's Chromium driven by Playwright.

Screenshots of every page a test visits go to ``build/screenshots`` (or ``$PALERMO_SCREENSHOTS``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from tests.support import REPO, cases_csv, start_server

from palermo.ingest.pipeline import ingest_file
from palermo.server.identity import create_user
from palermo.store.db import open_store
from palermo.store.orgs import add_organisation

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct horse battery"
USERS = {"hope-analyst": ("Hope Shelter", "analyst"), "hope-contributor": ("Hope Shelter", "contributor"),
         "hope-auditor": ("Hope Shelter", "auditor"), "police-analyst": ("Border Police", "analyst"),
         "root": ("Hope Shelter", "admin")}
SHOTS = Path(os.environ.get("PALERMO_SCREENSHOTS", REPO / "build" / "screenshots"))


@dataclass(frozen=True)
class Server:
    """A running server: its base URL and database URL."""

    url: str
    db: str


def seed_default(folder: Path) -> str:
    """Two organisations with cases and the users of :data:`USERS` in a new SQLite store; its URL."""
    db = f"sqlite:///{folder / 'palermo.db'}"
    store = open_store(db)
    add_organisation(store, "Hope Shelter", "NGO", "TH")
    add_organisation(store, "Border Police", "LawEnforcement", "TH")
    ingest_file(store, cases_csv(folder / "hope.csv", 14, name="Mali"), "Hope Shelter")
    ingest_file(store, cases_csv(folder / "police.csv", 9, name="Lan", year=2021), "Border Police")
    for name, (org, role) in USERS.items():
        create_user(store, name, org, role, PASSWORD)
    store.engine.dispose()
    return db


@contextmanager
def serve(db: str, folder: Path) -> Iterator[Server]:
    """``palermo serve`` over ``db`` in its own process (working directory ``folder``) until the block ends."""
    process, url = start_server(db, folder)
    try:
        yield Server(url=url, db=db)
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A seeded SQLite store (:func:`seed_default`) served by ``palermo serve``.

    A test module that needs more data overrides this fixture: seed with :func:`seed_default`, add to the
    store, then ``with serve(db, folder) as running: yield running``.
    """
    folder = tmp_path_factory.mktemp("web")
    with serve(seed_default(folder), folder) as running:
        yield running


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, with no background requests."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/test.sh installs it with `apt-get install -y chromium`")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, server: Server) -> Iterator[Page]:
    """A fresh browser context (no cookies) at desktop width; every request must stay on the server."""
    context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 900})
    outside: list[str] = []
    context.on("request", lambda r: None if r.url.startswith(server.url) else outside.append(r.url))
    opened = context.new_page()
    yield opened
    context.close()
    assert outside == [], f"requests left the server: {outside}"


def shot(page: Page, name: str) -> Path:
    """Save a full-page screenshot as ``name.png``; the path."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def page_width(page: Page) -> int:
    """How wide the page's content is (wider than the viewport means it scrolls sideways)."""
    return int(page.evaluate("document.documentElement.scrollWidth"))


def sign_in(page: Page, user: str, password: str = PASSWORD) -> None:
    """Sign in through the form."""
    page.goto("/sign-in")
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
