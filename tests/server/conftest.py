"""Fixtures of the workbench's browser tests (``test_workbench.py``, ``test_workbench_assess.py``): the workbench
served over HTTP, headless Chromium driven by Playwright, and :class:`Visit`, a page that may only talk to the
local server. See ``test_workbench.py`` for when the browser tests run, skip or fail."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from lmakg.server import workbench

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def server():
    """The workbench served over HTTP on a free loopback port, with /sparql, by lmakg.server.http."""
    from lmakg.server.app import start_server

    workbench.preload(None)
    srv = start_server(None, host="127.0.0.1", port=0)
    srv.start_in_thread()
    yield srv.url.rstrip("/")
    srv.shutdown()


@pytest.fixture(scope="module")
def browser():
    if os.environ.get("LMAKG_SKIP_BROWSER") == "1":
        pytest.skip("LMAKG_SKIP_BROWSER=1")
    if not CHROMIUM.exists():
        message = (f"no Chromium at {CHROMIUM}: the browser tests need Debian's chromium "
                   "(`apt-get install -y chromium`, as .ci/run does)")
        if os.environ.get("LMAKG_REQUIRE_BROWSER") == "1":  # CI: a missing browser is a failure, not a skip
            pytest.fail(message, pytrace=False)
        pytest.skip(message + "; skipped")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright for Python is missing: `pip install -e '.[test]'` (or set LMAKG_SKIP_BROWSER=1)",
                    pytrace=False)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    folder = tmp_path_factory.mktemp("workbench-screenshots")
    print(f"\nworkbench screenshots: {folder}")
    return folder


class Visit:
    """A page that may only talk to the local server: other requests are aborted and recorded."""

    def __init__(self, browser, base: str) -> None:
        self.base = base
        self.host = urlsplit(base).netloc
        self.context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
        self.page = self.context.new_page()
        self.outside: list[str] = []
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        self.page.on("console", lambda msg: msg.type == "error" and self.errors.append(f"console: {msg.text}"))
        self.page.route("**/*", self._gate)
        # the pages' Content-Security-Policy blocks outside loads before they become requests: record those too
        self.page.add_init_script("window.__blocked = []; document.addEventListener('securitypolicyviolation',"
                                  " (e) => window.__blocked.push(e.blockedURI));")

    def _gate(self, route) -> None:
        url = route.request.url
        self.requests.append(url)
        if urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc == self.host:
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()

    def open(self, path: str) -> None:
        self.page.goto(self.base + path)
        self.page.wait_for_selector("body[data-ready=true]", timeout=15000)

    def check_offline(self) -> None:
        blocked = self.page.evaluate("window.__blocked")
        assert self.outside == [] and blocked == [], f"requests left 127.0.0.1: {self.outside + blocked}"
        assert self.requests and all(urlsplit(u).hostname == "127.0.0.1" for u in self.requests)

    def close(self) -> None:
        self.context.close()


@pytest.fixture()
def visit(browser, server):
    v = Visit(browser, server)
    yield v
    v.close()
