"""`lmakg assess`: formulations judged as wholes (issue: formulations). Expected answers come from the review
(§5.1: HCE at ≥ 3.5 mol/L; an LHCE is an HCE diluted by a diluent that meets the §5.1 requirements; the review's
own reported failure of TFEB-based LHCEs [144]) and from the golden corpus's hand-computed amounts."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from lmakg.cli import app
from lmakg.formulations.assess import AssessError, Assessor

CORPUS = tomllib.loads((Path(__file__).parents[1] / "golden" / "formulations.toml").read_text(encoding="utf-8"))
MISSING_SPECIES = {"ferrocene", "DTDL", "BEG-1", "FETFEE"}  # not in kg/ yet (tests/formulations/conftest.py)


@pytest.fixture(scope="module")
def assessor() -> Assessor:
    return Assessor(None)


def component(result: dict, cid: str) -> dict:
    return next(c for c in result["components"] if c["id"] == cid)


def mechanisms(result: dict, cid: str) -> set[str]:
    return {m["id"] for m in component(result, cid)["mechanisms"]}


def test_lhce_outscores_a_carbonate_electrolyte(assessor: Assessor) -> None:
    lhce = assessor.assess("1.2 M LiFSI in DME/TTE (1:2 v/v)")
    assert lhce["regime"]["id"] == "regime-lhce" and lhce["regime"]["regime"].endswith("#LHCE")
    # 1.2 mol LiFSI in the 1/3 L of DME: 3.6 mol/L, at the §5.1 HCE threshold of 3.5 mol/L
    assert lhce["amounts"]["localSaltMolarity"] == pytest.approx(3.6, rel=1e-6)
    assert component(lhce, "TTE")["role"] == "diluent"
    assert "AnionRichSolvation" in mechanisms(lhce, "LiFSI")
    assert any(p["id"] == "LiF" for c in lhce["components"] for p in c["seiProducts"])  # LiFSI's S-F bond
    assert any(c["ruleTradeoffs"] for c in lhce["components"])  # e.g. the CIP/AGG conductivity trade-off
    carbonate = assessor.assess("1 M LiPF6 in EC/DMC (1:1 v/v)")
    assert carbonate["regime"]["id"] == "regime-conventional"
    assert {t["criterion"] for t in carbonate["tradeoffs"]} >= {"tradeoff-carbonate-solvent"}
    assert lhce["score"] > carbonate["score"]


def test_hce_is_decided_by_this_formulations_concentration(assessor: Assessor) -> None:
    """§5.1: ≥ 3.5 mol/L is HCE. 1 M LiFSI in DME is not, and does not borrow the anion-rich solvation the
    review's 4.6 M dual-salt design concludes for LiFSI."""
    assert assessor.assess("4 M LiFSI in DME")["regime"]["id"] == "regime-hce"
    dilute = assessor.assess("1 M LiFSI in DME")
    assert dilute["regime"]["id"] == "regime-conventional"
    assert "AnionRichSolvation" not in mechanisms(dilute, "LiFSI")


@pytest.mark.parametrize("polar", ["DMSO", "EC"])
def test_a_polar_solvent_is_not_credited_as_diluent(assessor: Assessor, polar: str) -> None:
    """§5.1: a diluent has a low dielectric constant (DMSO 46-49, EC 90 in kg/components)."""
    result = assessor.assess(f"1.2 M LiFSI in DME/{polar} (1:2 v/v)")
    part = component(result, polar)
    assert part["role"] == "solvent"
    assert any(r["status"] == "failed" and "dielectric constant" in r["reason"] for r in part["diluentRequirements"])
    assert result["regime"]["id"] != "regime-lhce"
    assert "AnionRichSolvation" not in mechanisms(result, polar)


def test_the_reviews_reported_tfeb_failure_outweighs_the_lhce_credit(assessor: Assessor) -> None:
    """§5.1 [144]: TFEB-based LHCEs performed poorly (electron-deficient boron, O2 escape from NCM811)."""
    tte, tfeb = assessor.assess("LiFSI-1.2DME-3TTE"), assessor.assess("LiFSI-1.2DME-3TFEB")
    assert {t["criterion"] for t in tfeb["tradeoffs"]} == {"tradeoff-boron-diluent"}
    assert tfeb["score"] < tte["score"]


def test_an_additive_that_enters_the_sheath(assessor: Assessor) -> None:
    """§5.2 [165]: NO3− enters the Li+ sheath and gives LiNxOy."""
    result = assessor.assess("1 M LiTFSI in DOL/DME (1:1 v/v) + 2 wt% LiNO3")
    assert result["regime"]["id"] == "regime-anion-rich-additive"
    assert {p["id"] for p in component(result, "LiNO3")["seiProducts"]} >= {"LiNxOy"}


def test_missing_data_is_reported_not_guessed(assessor: Assessor) -> None:
    result = assessor.assess("1.2 M LiFSI-DMC/BTFE")  # the review's LHCE, written without the solvent ratio
    assert result["amounts"]["localSaltMolarity"] is None
    assert any("solvent ratio is not stated" in n for n in result["notAssessed"])
    assert any("LHCE was not judged" in n for n in result["notAssessed"])


def test_unknown_component_is_one_line_with_suggestions(assessor: Assessor) -> None:
    with pytest.raises(AssessError) as err:
        assessor.assess("1 M LiFSl in DME")
    assert "LiFSl" in str(err.value) and "LiFSI" in str(err.value) and "\n" not in str(err.value)


EXPECTED = [c for c in CORPUS["case"] if "expected" in c and not {x["name"] for x in c["components"]} & MISSING_SPECIES]


@pytest.mark.parametrize("golden", EXPECTED, ids=[c["text"] for c in EXPECTED])
def test_amounts_match_the_hand_computed_corpus(assessor: Assessor, golden: dict) -> None:
    """Salt molality, mole fractions and solvent : salt ratio computed by hand (tests/golden/formulations.toml);
    lmakg uses the densities of kg/components-*.ttl, so the corpus's tolerance (2 %) applies."""
    expected = golden["expected"]
    amounts = assessor.assess(golden["text"])["amounts"]
    tol = expected["tolerance"]
    assert amounts["basis"] == expected["basis"]
    assert amounts["saltMolality"] == pytest.approx(expected["salt_molality"], rel=tol)
    assert amounts["solventToSalt"] == pytest.approx(expected["solvent_to_salt"], rel=tol)
    for name, fraction in expected["mole_fraction"].items():
        assert amounts["moleFractions"][name] == pytest.approx(fraction, rel=tol, abs=2e-4), name


def test_batch_keeps_bad_rows_and_writes_whole(tmp_path: Path, runner) -> None:
    table = tmp_path / "in.csv"
    table.write_text("formulation,note\n1 M LiPF6 in EC/DMC (1:1 v/v),a\n1 M LiFSl in DME,b\nLiFSI-1.2DME-3TTE,c\n",
                     encoding="utf-8")
    out = tmp_path / "out.json"
    result = runner.invoke(app, ["assess", "--file", str(table), "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = json.loads(out.read_text(encoding="utf-8"))
    assert [(r["line"], r["status"]) for r in rows] == [(2, "ok"), (3, "error"), (4, "ok")]
    assert rows[1]["error"].startswith(f"{table}:3: unknown component")
    missing = runner.invoke(app, ["assess", "--file", str(table), "--out", str(tmp_path / "nowhere" / "r.csv")])
    assert missing.exit_code == 1 and not (tmp_path / "nowhere").exists()
    assert missing.output.strip().splitlines()[-1].startswith("error: cannot write")
    bad = runner.invoke(app, ["assess", "--file", str(table), "--column", "text"])
    assert bad.exit_code == 1 and "no column 'text'" in bad.output


def test_an_additive_with_the_lowest_computed_lumo_is_credited(assessor: Assessor) -> None:
    """§4.1 [115]: the FEC additive has a lower LUMO than EC and DEC and is reduced first. The comparison uses
    GFN2-xTB LUMOs of all neutral components (one method); off, it is reported as not judged."""
    text = "1 M LiPF6 in EC/DEC (1:1 v/v) + 5 wt% FEC"
    result = assessor.assess(text)
    assert "score-additive-reduced-first" in {t["criterion"] for t in result["scoreBreakdown"]}
    assessor.descriptors = False
    try:
        off = assessor.assess(text)
    finally:
        assessor.descriptors = True
    assert "score-additive-reduced-first" not in {t["criterion"] for t in off["scoreBreakdown"]}
    assert any("LUMO ordering (§4.1) not judged" in n for n in off["notAssessed"])
