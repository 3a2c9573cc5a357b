"""The web workbench: ``lmakg.server.workbench.route`` directly, then every page in a real headless Chromium.

Expected values come from the review, not from the code's output:

* FEC forms a LiF-rich SEI (section 4.1: "the FEC additive has a lower level of LUMO (-0.87 eV) than the
  solvent ... FEC can preferentially decompose and generates LiF-rich SEI (Figure 7b).^[115]"; [115] is
  X.-Q. Zhang et al., Adv. Funct. Mater. 2017, in the reference list);
* Figure 2 and sections 2-6: electrostatic shielding is one of the ways to a uniform Li+ flux (section 2.2),
  reactive SEI formation one of the ways to optimise the SEI (section 4.1); the review's four regulation
  aspects plus the two of section 6 are the six mechanism families.

Browser tests need Debian's chromium at /usr/bin/chromium and Playwright for Python (``.ci/run`` installs
chromium; Playwright is in the ``test`` extra). Without Chromium they are skipped with a reason saying what
to install (they fail instead under LMAKG_REQUIRE_BROWSER=1, which .ci/run sets); set LMAKG_SKIP_BROWSER=1 to
skip them on purpose. Every request the pages make is
intercepted: anything not addressed to the local server is aborted and recorded (as is anything the pages'
Content-Security-Policy blocks before it becomes a request), and the tests assert nothing was attempted.
One screenshot per page is written to a temporary folder (its path is printed).
"""

from __future__ import annotations

import json
import re
import threading
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest

from lmakg.knowledge.queries import list_queries
from lmakg.knowledge.vocab import LMA_IRI, LMK_IRI, PREFIXES
from lmakg.server import workbench

FAMILIES = {"UniformLiFlux", "DesolvationRegulation", "SEIOptimization", "AnionRichSolvation",
            "SpaceChargeWeakening", "HighModulusSuppression"}
FEC = LMK_IRI + "FEC"


@pytest.fixture(scope="module", autouse=True)
def _shared_knowledge(knowledge):
    """The workbench reads the session's in-memory knowledge instead of loading its own copy."""
    workbench.register(None, knowledge)


def call(path: str, **params: str | list[str]) -> tuple[int, dict[str, str], object]:
    """route() as the server calls it; JSON bodies decoded."""
    query = {k: v if isinstance(v, list) else [v] for k, v in params.items()}
    answer = workbench.route("GET", path, query, None)
    assert answer is not None, f"{path} is not routed"
    status, headers, body = answer
    if headers["Content-Type"].startswith("application/json"):
        return status, headers, json.loads(body)
    return status, headers, body


# ------------------------------------------------------------------------------------------------------
# route() without a browser
# ------------------------------------------------------------------------------------------------------


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.urls.append(value)


@pytest.mark.parametrize("path", ["/", "/graph", "/hypotheses", "/mechanisms", "/assess", "/molecule"])
def test_pages_reference_only_this_server(path):
    status, headers, body = call(path)
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    parser = _Refs()
    parser.feed(body.decode("utf-8"))
    assert parser.urls, "the page links no script or style"
    for url in parser.urls:
        assert url.startswith("/") and not url.startswith("//"), f"{path} refers to {url} outside this server"
        if url.startswith("/static/"):
            assert call(url)[0] == 200, f"{path} refers to {url}, which is not served"


class _Layout(HTMLParser):
    """The navigation links (and which is marked current) and the prefix data block of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.nav: list[str] = []
        self.current: list[str] = []
        self.prefixes = ""
        self._in_nav = self._in_prefixes = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self._in_nav = self._in_nav or tag == "nav"
        self._in_prefixes = tag == "script" and attributes.get("id") == "lmakg-prefixes"
        if self._in_nav and tag == "a":
            self.nav.append(attributes["href"] or "")
            if attributes.get("aria-current") == "page":
                self.current.append(attributes["href"] or "")

    def handle_endtag(self, tag: str) -> None:
        self._in_nav = self._in_nav and tag != "nav"
        self._in_prefixes = False

    def handle_data(self, data: str) -> None:
        if self._in_prefixes:
            self.prefixes += data


@pytest.mark.parametrize(("path", "current"), [("/", "/"), ("/index.html", "/"), ("/graph", "/graph"),
                                               ("/hypotheses", "/hypotheses"), ("/mechanisms", "/mechanisms"),
                                               ("/assess", "/assess"), ("/molecule", "/molecule")])
def test_pages_share_the_layout(path, current):
    """Every page has the same navigation bar (the six pages of the README's table) with its own entry
    marked, and carries the project prefixes of lmakg.knowledge.vocab, the one list the pages shorten IRIs with."""
    layout = _Layout()
    layout.feed(call(path)[2].decode("utf-8"))
    assert layout.nav == ["/", "/graph", "/hypotheses", "/mechanisms", "/assess", "/molecule"]
    assert layout.current == [current]
    assert json.loads(layout.prefixes) == PREFIXES


def test_static_files_and_refusals():
    status, headers, body = call("/static/vendor/vis-network.min.js")
    assert status == 200 and headers["Content-Type"].startswith("text/javascript") and b"vis-network" in body[:400]
    for bad in ("/static/../workbench.py", "/static/vendor/../../workbench.py", "/static/%2e%2e/workbench.py",
                "/static/", "/static/missing.js", "/nowhere"):
        assert workbench.route("GET", bad, {}, None) is None, bad
    status, headers, body = workbench.route("POST", "/api/queries", {}, None)
    assert status == 405 and "GET" in headers["Allow"]


def test_query_menu_lists_every_named_query():
    _, _, data = call("/api/queries")
    menu = {q["name"]: q for q in data["queries"]}
    assert set(menu) == {q.name for q in list_queries()}
    lif = menu["lif-rich-sei-formers"]
    assert lif["question"].startswith("Every species that the review reports to decompose or react into LiF")
    assert "SELECT" in lif["text"] and not lif["check"]


def test_neighbourhood_of_fec_reaches_lif():
    status, _, data = call("/api/neighbourhood", iri="lmk:FEC", depth="1")
    assert status == 200 and data["center"] == FEC
    nodes = {n["id"]: n for n in data["nodes"]}
    assert nodes[FEC]["kind"] == "species" and nodes[FEC]["label"] == "FEC"
    assert nodes[LMA_IRI + "LiF"]["kind"] == "interphase component"  # FEC decomposes into LiF (4.1)
    assert nodes[LMA_IRI + "ReactiveSEIFormation"]["kind"] == "mechanism"
    assert nodes[LMK_IRI + "ref-115"]["kind"] == "reference"
    assert nodes[LMK_IRI + "design-FEC-additive"]["kind"] == "design"
    edges = {(e["from"], e["to"]) for e in data["edges"]}
    assert (LMK_IRI + "design-FEC-additive", FEC) in edges  # the design's component is FEC
    assert all(e["from"] in nodes and e["to"] in nodes for e in data["edges"])


@pytest.mark.parametrize(("params", "status", "message"), [
    ({}, 400, "missing parameter 'iri'"),
    ({"iri": "lmk:FEC", "depth": "9"}, 400, "between 1 and 3"),
    ({"iri": "lmk:FEC", "depth": "one"}, 400, "must be an integer"),
    ({"iri": "not an iri"}, 400, "not an IRI"),
    ({"iri": "lmk:no-such-node"}, 404, "no node lmk:no-such-node"),
])
def test_neighbourhood_bad_input(params, status, message):
    got, _, data = call("/api/neighbourhood", **params)
    assert got == status and message in data["error"]


def test_lookup_and_nodes():
    _, _, data = call("/api/lookup", q="fec")
    assert data["matches"][0]["id"] == FEC
    _, _, data = call("/api/nodes", iri=[FEC, LMA_IRI + "LiF"])
    assert [n["kind"] for n in data["nodes"]] == ["species", "interphase component"]
    assert call("/api/nodes")[0] == 400


def test_kinds_cover_issue_node_kinds():
    _, _, data = call("/api/kinds")
    kinds = {k["kind"]: k["colour"] for k in data["kinds"]}
    assert {"species", "functional group", "interphase component", "mechanism", "outcome", "reference",
            "design"} <= set(kinds)
    assert len(set(kinds.values())) == len(kinds), "two kinds share a colour"


def test_mechanism_map_is_figure_2():
    _, _, data = call("/api/mechanism-map")
    nodes = {n["id"]: n for n in data["nodes"]}
    edges = {(e["from"], e["label"], e["to"]) for e in data["edges"]}
    assert {n.removeprefix(LMA_IRI) for n, v in nodes.items() if v.get("family")} == FAMILIES
    assert (LMA_IRI + "ElectrostaticShielding", "broaderMechanism", LMA_IRI + "UniformLiFlux") in edges
    assert (LMA_IRI + "ReactiveSEIFormation", "broaderMechanism", LMA_IRI + "SEIOptimization") in edges
    assert (LMK_IRI + "design-FEC-additive", "actsThrough", LMA_IRI + "ReactiveSEIFormation") in edges
    assert data["query"].startswith("PREFIX lma: <https://w3id.org/lmakg/ontology#>")
    assert "lma:broaderMechanism" in data["query"]


def test_hypothesis_explanation_resolves_sections_and_references():
    _, _, listing = call("/api/hypotheses")
    ids = [h["id"] for h in listing["hypotheses"]]
    assert "H-FEC" in ids and [h["rank"] for h in listing["hypotheses"]] == list(range(1, len(ids) + 1))
    status, _, data = call("/api/hypothesis", id="H-FEC")
    assert status == 200 and data["id"] == "H-FEC"
    reactive = next(m for m in data["perMechanism"] if m["mechanism"] == "ReactiveSEIFormation")
    assert "4.1" in reactive["sections"] and 115 in reactive["references"]
    assert data["sources"]["sections"]["4.1"].startswith("4.1.")
    assert "Zhang" in data["sources"]["references"]["115"] and "2017" in data["sources"]["references"]["115"]
    assert data["iris"]["FEC"] == FEC and data["iris"]["design-FEC-additive"] == LMK_IRI + "design-FEC-additive"
    status, _, error = call("/api/hypothesis", id="H-FECC")
    assert status == 404 and "H-FEC" in error["error"]


def test_why_fec_forms_sei():
    status, _, tree = call("/api/why", iri="lmk:FEC", mechanism="ReactiveSEIFormation")
    assert status == 200
    reported = {r["design"]: r for r in tree["reportedByReview"]}
    assert reported["design-FEC-additive"]["section"] == "4.1"
    assert {115, 119} <= set(reported["design-FEC-additive"]["references"])
    assert tree["sources"]["references"]["119"]
    assert call("/api/why", iri="lmk:FEC", mechanism="Telepathy")[0] == 404
    assert call("/api/why", iri="lmk:FEC", mechanism="x;DROP")[0] == 400


def test_concurrent_first_requests_open_the_store_once(monkeypatch, knowledge):
    """Several threads asking a fresh store at once wait for one opening, not one each."""
    import lmakg.chemistry.materialize

    opened = []

    def slow_open(location, reason=True):
        opened.append(location)
        time.sleep(0.2)
        return knowledge

    monkeypatch.setattr(lmakg.chemistry.materialize, "open_knowledge", slow_open)
    monkeypatch.setattr(workbench, "_REGISTRY", {})
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(
        workbench.route("GET", "/api/hypotheses", {}, "some-store")[0])) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * 4 and opened == ["some-store"]


# ------------------------------------------------------------------------------------------------------
# a real browser
# ------------------------------------------------------------------------------------------------------


def test_query_page_runs_a_named_query(visit, shots):
    visit.open("/")
    visit.page.click('button[data-name="lif-rich-sei-formers"]')
    assert "LiF" in visit.page.inner_text("#query-title")
    visit.page.click("#run")
    visit.page.wait_for_selector("#results tbody tr")
    species = visit.page.locator("#results tbody tr td:first-child").all_inner_texts()
    assert "lmk:FEC" in species  # section 4.1: FEC generates a LiF-rich SEI
    visit.page.screenshot(path=str(shots / "query.png"))
    with visit.page.expect_download() as download:
        visit.page.click("#download-csv")
    csv_text = Path(download.value.path()).read_text(encoding="utf-8")
    assert csv_text.splitlines()[0].startswith("species,speciesLabel,") and FEC in csv_text
    with visit.page.expect_download() as download:
        visit.page.click("#download-json")
    rows = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))["results"]["bindings"]
    assert any(r["species"]["value"] == FEC for r in rows)
    visit.page.click("#show-graph")
    visit.page.wait_for_selector("#graph[data-stabilized=true]", timeout=15000)
    assert visit.page.evaluate(f"window.lmakgNetwork.body.data.nodes.get({json.dumps(FEC)}) !== null")
    assert "species" in visit.page.inner_text("#legend")
    visit.check_offline()
    assert visit.errors == []


def test_query_page_shows_the_server_error(visit):
    visit.open("/")
    visit.page.fill("#editor", "SELECT ?x WHERE { ?x ")
    visit.page.click("#run")
    visit.page.wait_for_selector("#error:not([hidden])")
    text = visit.page.inner_text("#error")
    assert text.startswith("Error 400") and len(text) > len("Error 400: ")
    assert visit.page.is_hidden("#results-panel")
    visit.check_offline()


def test_pages_shorten_iris_with_the_project_prefixes(visit):
    visit.open("/")
    for prefix, namespace in PREFIXES.items():
        assert visit.page.evaluate(f"LMAKG.shorten({json.dumps(namespace + 'x')})") == f"{prefix}:x"
    assert visit.page.evaluate("LMAKG.shorten('http://example.org/x')") == "http://example.org/x"
    visit.check_offline()
    assert visit.errors == []


def test_graph_page_draws_a_neighbourhood(visit, shots):
    visit.open("/graph?iri=" + FEC)
    visit.page.wait_for_selector("#graph[data-stabilized=true]", timeout=15000)
    assert visit.page.evaluate("window.lmakgNetwork.physics.options.enabled") is False
    assert visit.page.evaluate(f"window.lmakgNetwork.body.data.nodes.get({json.dumps(LMA_IRI + 'LiF')}) !== null")
    legend = visit.page.inner_text("#legend")
    assert "species" in legend and "interphase component" in legend and "design" in legend
    visit.page.screenshot(path=str(shots / "graph.png"))
    visit.check_offline()
    assert visit.errors == []


def test_hypothesis_browser_opens_an_explanation(visit, shots):
    visit.open("/hypotheses")
    total = visit.page.locator("#hyp-list li").count()
    assert total > 10
    visit.page.click('#hyp-list button[data-id="H-FEC"]')
    visit.page.wait_for_selector('#detail[data-hypothesis="H-FEC"] #explanation')
    mechanism = visit.page.locator('#explanation li.mechanism[data-mechanism="ReactiveSEIFormation"]')
    assert mechanism.locator('.section-ref[data-section="4.1"]').count() > 0
    assert mechanism.locator('.ref[data-ref="115"]').count() > 0
    assert re.search(r"§4\.1", mechanism.inner_text()) and "[115]" in mechanism.inner_text()
    visit.page.screenshot(path=str(shots / "hypotheses.png"))
    mechanism.locator("button:has-text('show derivation')").first.click()
    visit.page.wait_for_selector("#explanation ul.why")
    assert "rule" in visit.page.inner_text("#explanation ul.why")
    visit.page.select_option("#mechanism", "ElectrostaticShielding")
    shown = visit.page.locator("#hyp-list li").count()
    assert 0 < shown < total
    for text in visit.page.locator("#hyp-list li").all_inner_texts():
        assert "UniformLiFlux" in text  # shielding belongs to the uniform-flux family
    visit.check_offline()
    assert visit.errors == []


def test_mechanism_map_draws_figure_2(visit, shots):
    visit.open("/mechanisms")
    visit.page.wait_for_selector("#graph[data-stabilized=true]", timeout=20000)
    for name in ("ElectrostaticShielding", "ReactiveSEIFormation"):
        iri = json.dumps(LMA_IRI + name)
        assert visit.page.evaluate(f"window.lmakgNetwork.body.data.nodes.get({iri}) !== null"), name
        assert visit.page.locator(f'#node-list li[data-id="{LMA_IRI + name}"]').count() == 1
    assert visit.page.evaluate("window.lmakgNetwork.physics.options.enabled") is False
    legend = visit.page.inner_text("#legend")
    assert "mechanism" in legend and "design" in legend
    visit.page.screenshot(path=str(shots / "mechanisms.png"))
    assert (shots / "mechanisms.png").stat().st_size > 20_000
    visit.check_offline()
    assert visit.errors == []
