"""Fixtures of the server tests.

* The workbench's browser tests (``test_workbench.py``, ``test_workbench_assess.py``): the workbench served over
  HTTP, headless Chromium driven by Playwright, and :class:`Visit`, a page that may only talk to the local
  server. See ``test_workbench.py`` for when the browser tests run, skip or fail.
* SPARQL servers as stores (``test_backends.py``, ``test_contract.py``, ``test_staging.py``): the review KG built
  once per session into each backend (:func:`built_stores`), and :func:`value_of`, how two backends' terms are
  compared (see the end of this file)."""

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


# --------------------------------------------------------------------------------------------------
# SPARQL servers as stores (test_backends.py, test_contract.py, test_staging.py)
# --------------------------------------------------------------------------------------------------
# Server URLs come from `eval "$(.ci/services.sh env)"` (LMAKG_TEST_<NAME>_SELECTOR); without them the server
# cases skip, unless LMAKG_REQUIRE_SERVERS=1 (CI), where their absence fails. Virtuoso's update endpoint wants
# digest credentials: LMAKG_TEST_VIRTUOSO_USER/_PASSWORD become LMAKG_SPARQL_USER/_PASSWORD while a test uses it.

SERVERS = ("oxigraph", "virtuoso")


def server_selector(name: str) -> str:
    value = os.environ.get(f"LMAKG_TEST_{name.upper()}_SELECTOR")
    if not value:
        message = f"no {name} server: LMAKG_TEST_{name.upper()}_SELECTOR is not set (eval \"$(.ci/services.sh env)\")"
        if os.environ.get("LMAKG_REQUIRE_SERVERS") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return value


def _credentials(name: str) -> dict[str, str]:
    user = os.environ.get(f"LMAKG_TEST_{name.upper()}_USER")
    if not user:
        return {}
    password = os.environ.get(f"LMAKG_TEST_{name.upper()}_PASSWORD", "")
    return {"LMAKG_SPARQL_USER": user, "LMAKG_SPARQL_PASSWORD": password}


@pytest.fixture(scope="session")
def built_stores(tmp_path_factory):
    """``name -> --store selector`` of the review KG built by `lmakg build` into that backend, once per session
    ("embedded": a store folder; a server: its selector). A failed build fails every test that asks again."""
    from typer.testing import CliRunner

    from lmakg.cli import app

    done: dict[str, str | Exception] = {}

    def build(name: str) -> str:
        if name not in done:
            selector = (str(tmp_path_factory.mktemp("embedded") / "store") if name == "embedded"
                        else server_selector(name))
            saved = {k: os.environ.get(k) for k in ("LMAKG_SPARQL_USER", "LMAKG_SPARQL_PASSWORD")}
            os.environ.update(_credentials(name))
            try:
                result = CliRunner().invoke(app, ["build", "--no-artifacts", "--store", selector])
            finally:
                for key, value in saved.items():
                    os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)
            done[name] = selector if result.exit_code == 0 else AssertionError(
                f"lmakg build --store {selector} failed: {result.output[-2000:]}")
        if isinstance(done[name], Exception):
            raise done[name]
        return done[name]

    return build


@pytest.fixture()
def store_of(built_stores, monkeypatch):
    """``name -> selector`` of a built backend, with that server's credentials in the environment for the test."""

    def get(name: str) -> str:
        selector = built_stores(name)
        for key, value in _credentials(name).items():
            monkeypatch.setenv(key, value)
        return selector

    return get


XSD = "http://www.w3.org/2001/XMLSchema#"
NUMERIC = {XSD + t for t in ("decimal", "double", "float", "integer", "int", "long", "short", "byte",
                             "nonNegativeInteger", "positiveInteger", "nonPositiveInteger", "negativeInteger",
                             "unsignedInt", "unsignedLong", "unsignedShort", "unsignedByte")}


@pytest.fixture(scope="session")
def value_of():
    """``(kind, text, datatype, language) -> comparable``: a term as SPARQL's ``=`` sees it. Numbers compare by value
    across numeric datatypes (SPARQL 1.1 section 17.3: numeric type promotion) and the lexical forms of one
    xsd:boolean are one value; everything else compares as written; blank nodes compare as blank. (Virtuoso 7
    stores literals by value: "9"^^xsd:decimal comes back as "9"^^xsd:integer, "6.02214076E23" as
    "6.02214076e+23", "true" as "1".)"""

    def value(kind: str, text: str, datatype: str | None = None, language: str | None = None) -> tuple:
        if kind == "bnode":
            return ("bnode",)
        if kind == "literal" and datatype in NUMERIC:
            return ("number", float(text))
        if kind == "literal" and datatype == XSD + "boolean":
            return ("boolean", text in ("true", "1"))
        if kind == "literal" and datatype == XSD + "string":
            datatype = None  # RDF 1.1: a simple literal is an xsd:string
        return (kind, text, datatype or "", (language or "").lower())

    return value
