"""The workbench's Assess and Molecule pages: ``/api/assess`` and ``/api/predict`` through
``lmakg.server.workbench.route`` and over HTTP, then both pages in headless Chromium (fixtures in conftest.py;
the browser tests run, skip or fail as those of ``test_workbench.py``).

Expected answers come from the review or from the input, not from the program's output:

* §5.1: an HCE has the salt at ≥ 3.5 mol/L, and an LHCE is an HCE diluted by a diluent (TTE is one of the
  diluents of the Cao Group's DME-based LHCEs [144]) that keeps its anion-rich solvation; the review presents
  it as the way past the conventional (carbonate) electrolyte. 1.2 M LiFSI in DME/TTE (1:2 v/v) puts 1.2 mol
  of salt in 1/3 L of DME, 3.6 mol/L: an LHCE, which must rank above 1 M LiPF6 in EC/DMC;
  ``LiFSI-1.2DME-3TTE`` is the same kind of formulation in the molar-ratio notation;
* §4.1: FEC (O=C1OCC(F)O1) decomposes preferentially and generates a LiF-rich SEI [115];
* "LiFSl" (a lower-case L for the I) names nothing: that line must fail, and its message must name it.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request

import pytest

from lmakg.server import workbench
from lmakg.server.api import Guarded
from lmakg.server.assess_api import MAX_FORMULATIONS

LHCE = "1.2 M LiFSI in DME/TTE (1:2 v/v)"
CARBONATE = "1 M LiPF6 in EC/DMC (1:1 v/v)"
LHCE_MOLAR = "LiFSI-1.2DME-3TTE"
TYPO = "1 M LiFSl in DME"
FEC_SMILES = "O=C1OCC(F)O1"


@pytest.fixture(scope="module", autouse=True)
def _shared_knowledge(knowledge):
    workbench.register(None, knowledge)


def ask(method: str, path: str, body: object = None, **params: str) -> tuple[int, dict[str, str], dict]:
    """route() as the server calls it, with a JSON body; the JSON answer decoded."""
    raw = json.dumps(body).encode("utf-8") if body is not None else b""
    answer = workbench.route(method, path, {k: [v] for k, v in params.items()}, None, raw, "application/json")
    assert answer is not None, f"{path} is not routed"
    status, headers, content = answer
    assert headers["Content-Type"].startswith("application/json")
    return status, headers, json.loads(content)


# ------------------------------------------------------------------------------------------------------
# /api/assess
# ------------------------------------------------------------------------------------------------------


def test_assess_ranks_the_lhce_above_the_carbonate_and_keeps_the_bad_line():
    status, _, data = ask("POST", "/api/assess", {"formulations": [CARBONATE, LHCE, TYPO, LHCE_MOLAR]})
    assert status == 200 and data["count"] == 4 and data["assessed"] == 3 and data["failed"] == 1
    by_line = {r["line"]: r for r in data["results"]}
    assert by_line[2]["formulation"] == LHCE and by_line[2]["regime"]["id"] == "regime-lhce"  # 3.6 mol/L ≥ 3.5
    assert by_line[2]["rank"] < by_line[1]["rank"] and by_line[4]["rank"] < by_line[1]["rank"]  # §5.1
    assert by_line[2]["score"] > by_line[1]["score"]
    failed = by_line[3]
    assert failed["status"] == "error" and "LiFSl" in failed["error"] and "\n" not in failed["error"]
    assert "rank" not in failed
    # the ranked rows first, numbered 1..n; then the failed ones, in input order
    assert [r["status"] for r in data["results"]] == ["ok", "ok", "ok", "error"]
    assert [r["rank"] for r in data["results"][:3]] == [1, 2, 3]
    assert data["sources"]["sections"]["5.1"].startswith("5.1")
    assert data["sources"]["references"]["144"]  # the Cao Group's LHCE diluents


def test_assess_explains_each_ranked_row():
    _, _, data = ask("POST", "/api/assess", {"formulations": LHCE})  # one string holding one line is fine too
    result = data["results"][0]
    assert result["regime"]["section"] == "5.1" and result["regime"]["file"].endswith(".rq")
    for term in result["scoreBreakdown"] + result["tradeoffs"]:
        assert term["file"] and term["section"] and "references" in term
    tte = next(c for c in result["components"] if c["id"] == "TTE")
    assert tte["role"] == "diluent" and tte["diluentRequirements"]  # §5.1's requirements of a diluent
    assert all(m["rules"] for c in result["components"] for m in c["mechanisms"])
    assert set(result["amounts"]["densitiesUsed"]) == {"DME", "TTE"}  # v/v needs both solvents' densities
    assert all(d["source"] for d in result["amounts"]["densitiesUsed"].values())


@pytest.mark.parametrize(("body", "status", "message"), [
    ({"formulations": [LHCE] * (MAX_FORMULATIONS + 1)}, 413, f"at most {MAX_FORMULATIONS}"),
    ({"formulations": "\n".join([CARBONATE] * (MAX_FORMULATIONS + 1))}, 413, f"at most {MAX_FORMULATIONS}"),
    ({"formulations": ["", "  "]}, 400, "no formulations"),
    ({}, 400, "no formulations"),
    ([LHCE], 400, "JSON object"),
    ({"formulations": [1, 2]}, 400, "list of strings"),
])
def test_assess_refuses_bad_requests(body, status, message):
    got, _, data = ask("POST", "/api/assess", body)
    assert got == status and message in data["error"]


def test_assess_refuses_get_and_malformed_json():
    status, headers, _ = ask("GET", "/api/assess")
    assert status == 405 and headers["Allow"] == "POST"
    status, _, content = workbench.route("POST", "/api/assess", {}, None, b"{not json", "application/json")
    assert status == 400 and "not valid JSON" in json.loads(content)["error"]


def test_the_engine_is_built_once_and_used_by_one_request_at_a_time():
    built, inside, most = [], [], []

    def build() -> object:
        built.append(1)
        time.sleep(0.1)
        return object()

    engine = Guarded(build)

    def use() -> None:
        with engine.use():
            inside.append(1)
            most.append(len(inside))
            time.sleep(0.02)
            inside.pop()

    threads = [threading.Thread(target=use) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert built == [1] and max(most) == 1


# ------------------------------------------------------------------------------------------------------
# /api/predict
# ------------------------------------------------------------------------------------------------------


def test_predict_fec_draws_it_and_finds_its_sei_role():
    status, _, data = ask("GET", "/api/predict", smiles=FEC_SMILES, role="additive", concentration="50", unit="mM")
    assert status == 200
    assert data["depiction"].lstrip().startswith("<svg") and "</svg>" in data["depiction"]
    assert data["input"]["concentration"] == pytest.approx(0.05)  # 50 mM
    mechanisms = {m["id"]: m for m in data["mechanisms"]}
    assert "ReactiveSEIFormation" in mechanisms and mechanisms["ReactiveSEIFormation"]["rules"]  # §4.1
    assert "LiF" in data["forms"]  # a LiF-rich SEI [115]


@pytest.mark.parametrize(("params", "message"), [
    ({"smiles": "C1CC"}, "C1CC"),  # an unclosed ring
    ({}, "missing parameter 'smiles'"),
    ({"smiles": FEC_SMILES, "role": "catalyst"}, "unknown role 'catalyst'"),
    ({"smiles": FEC_SMILES, "concentration": "lots"}, "not a number"),
    ({"smiles": FEC_SMILES, "concentration": "50", "unit": "M"}, "impossible concentration"),
    ({"smiles": FEC_SMILES, "concentration": "1", "unit": "wt%"}, "unknown concentration unit"),
])
def test_predict_bad_input_is_400_with_one_line(params, message):
    status, _, data = ask("GET", "/api/predict", **params)
    assert status == 400 and message in data["error"] and "\n" not in data["error"]


# ------------------------------------------------------------------------------------------------------
# over HTTP
# ------------------------------------------------------------------------------------------------------


def _post(url: str, data: bytes, content_type: str = "application/json") -> tuple[int, dict]:
    request = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        body = exc.read()
        return exc.code, json.loads(body) if body.startswith(b"{") else {"error": body.decode("utf-8")}


def test_http_layer_hands_the_json_body_to_assess(server):
    status, data = _post(server + "/api/assess", json.dumps({"formulations": [CARBONATE, LHCE]}).encode())
    assert status == 200 and [r["formulation"] for r in data["results"]] == [LHCE, CARBONATE]
    status, data = _post(server + "/api/assess", json.dumps({"formulations": [LHCE] * 201}).encode())
    assert status == 413 and "at most" in data["error"]
    status, data = _post(server + "/api/assess", b"x" * 1_000_001)  # the server's --max-body
    assert status == 413 and "limit" in data["error"]


# ------------------------------------------------------------------------------------------------------
# a real browser
# ------------------------------------------------------------------------------------------------------


def test_assess_page_ranks_pasted_formulations(visit, shots):
    visit.open("/assess")
    visit.page.fill("#formulations", f"{CARBONATE}\n{LHCE}")  # the LHCE second: the ranking must move it up
    visit.page.click("#assess")
    visit.page.wait_for_selector("#assess-table tbody tr.ranked")
    first = visit.page.locator("#assess-table tbody tr.ranked").first
    assert first.locator("td.regime").inner_text().strip() == "lhce"
    assert LHCE in first.inner_text() and first.get_attribute("data-rank") == "1"
    first.locator("button.toggle").click()
    detail = visit.page.locator("#assess-table tbody tr.detail").first
    assert detail.is_visible()
    text = detail.inner_text()
    assert "§5.1" in text and "TTE" in text and "diluent" in text
    visit.page.screenshot(path=str(shots / "assess.png"), full_page=True)
    visit.check_offline()
    assert visit.errors == []


def test_assess_page_reads_a_csv_and_keeps_failed_lines(visit):
    visit.open("/assess")
    csv_text = f'note,formulation\na,"{TYPO}"\nb,{LHCE_MOLAR}\n'
    visit.page.set_input_files("#csv-file", files=[{"name": "list.csv", "mimeType": "text/csv",
                                                    "buffer": csv_text.encode("utf-8")}])
    visit.page.wait_for_selector("#assess-table tbody tr[data-status=error]")
    rows = visit.page.locator("#assess-table tbody tr:not(.detail)")
    assert rows.nth(0).get_attribute("data-status") == "ok"  # ranked rows first, failed ones after
    failed = rows.nth(1)
    assert failed.get_attribute("data-line") == "1" and "LiFSl" in failed.inner_text()
    assert visit.page.input_value("#formulations") == f"{TYPO}\n{LHCE_MOLAR}"
    visit.page.fill("#formulations", "\n".join([LHCE] * (MAX_FORMULATIONS + 1)))
    visit.page.click("#assess")
    visit.page.wait_for_selector("#error:not([hidden])")
    assert f"at most {MAX_FORMULATIONS}" in visit.page.inner_text("#error")
    visit.check_offline()
    assert visit.errors == [] or all("413" in e for e in visit.errors)  # the refused request's console line


def test_molecule_page_draws_a_structure(visit, shots):
    visit.open("/molecule")
    visit.page.fill("#smiles", FEC_SMILES)
    visit.page.click("#predict")
    visit.page.wait_for_selector("img#depiction")
    visit.page.wait_for_function("document.getElementById('depiction').complete")
    image = visit.page.locator("img#depiction")
    assert image.get_attribute("src").startswith("data:image/svg+xml")
    assert visit.page.evaluate("document.getElementById('depiction').naturalWidth") > 0
    assert visit.page.locator('li.mechanism[data-mechanism="ReactiveSEIFormation"]').count() == 1  # §4.1
    assert "LiF" in visit.page.inner_text("#result")
    visit.page.screenshot(path=str(shots / "molecule.png"), full_page=True)
    visit.page.fill("#smiles", "C1CC")
    visit.page.click("#predict")
    visit.page.wait_for_selector("#error:not([hidden])")
    assert "C1CC" in visit.page.inner_text("#error")
    visit.check_offline()
    assert all("400" in e for e in visit.errors)  # only the refused request's console line
