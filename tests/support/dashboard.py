"""The dashboard in a real browser for the tests (no tests here): Debian's headless Chromium
driven by Playwright, and a live monitor (``corpus serve`` and one ``corpus worker``
subprocess on the test's corpus) whose page records its console errors."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import CorpusEnv
from tests.support.ops import Proc, start_monitor, start_worker

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def browser(tmp_path):
    from playwright.sync_api import sync_playwright

    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run `make system-deps` (apt-get install chromium)")
    with sync_playwright() as playwright:
        # A fresh profile per test (Playwright's own launch() makes a temporary one too).
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 1100},
        )
        try:
            yield context
        finally:
            context.close()


def watched_page(browser, errors: list[str]):
    """A new page whose console errors and uncaught exceptions land in ``errors``."""
    page = browser.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page


@dataclass
class Dashboard:
    """A running monitor at ``base`` that wants ``token``, a worker, and a browser page (not
    opened yet) whose console errors collect in ``errors``."""

    env: CorpusEnv
    base: str
    token: str
    page: object
    errors: list[str] = field(default_factory=list)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def open(self, refresh: float = 0.5):
        """The dashboard as a user first opens it (``/?token=``: the cookie, then the page)."""
        self.page.goto(f"{self.base}/?token={self.token}&refresh={refresh}")
        return self.page


@pytest.fixture
def dashboard(sqlite_corpus, browser, tmp_path: Path):
    env = sqlite_corpus
    token = "dashboard-" + uuid.uuid4().hex
    env.extra["CORPUS_API_TOKEN"] = token
    procs: list[Proc] = []
    try:
        procs.append(start_worker(env, tmp_path))
        monitor, base = start_monitor(env, tmp_path)
        procs.append(monitor)
        errors: list[str] = []
        yield Dashboard(env, base, token, watched_page(browser, errors), errors)
    finally:
        for proc in reversed(procs):
            proc.stop()
