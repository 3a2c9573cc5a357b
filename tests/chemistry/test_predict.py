"""`lmakg predict` on species the review never studied. Expected answers worked out by hand from the
review's principles and the cited standard potentials (kg/standard-potentials.ttl, CRC Handbook):

* Nernst (Eq. 1), 298.15 K: RT/F = 8.314462618 * 298.15 / 96485.33212 = 0.025693 V; ln(0.05) = -2.995732
  - Rb+ (E0 -2.98 V) at 0.05 M: -2.98 + 0.025693 * (-2.995732) = -2.98 - 0.07697 = -3.0570 V < -3.040 V
    (Li+ at 1 M, review 2.2) -> stays unreduced -> electrostatic shielding (as Cs+ in [48]);
  - K+ (E0 -2.931 V) at 0.05 M: -2.931 - 0.07697 = -3.0080 V > -3.040 V -> co-deposited, never a shield.
* InF3 as a coating: a fluoride of In, which the review lists as alloying with Li (Li13In3, 4.1
  [20,118,125-127]) -> displacement gives Li13In3 + LiF.
* Tris(2,2,2-trifluoroethyl) phosphate as an additive: a phosphate (TPP-like P-containing SEI, 4.1 [134])
  with C-F bonds (F-containing additive -> LiF, 4.1) -> phosphorus species and LiF.
* -(CF2)n- has an F mass fraction of 76 % (review 4.1 [116]).
"""

from __future__ import annotations

import json

import pytest

from lmakg.chemistry.candidates import Candidate, PredictionInputError, parse_concentration, parse_property
from lmakg.cli import app


@pytest.fixture(scope="module")
def predictor():
    from lmakg.hypotheses.joins import predictor

    return predictor()


@pytest.fixture(scope="module")
def predict(predictor):
    def run(candidate: Candidate) -> dict:
        result = predictor.predict(candidate)
        assert "error" not in result, result.get("error")
        return result
    return run


@pytest.fixture(scope="module")
def rb(predict):
    return predict(Candidate("[Rb+].F[P-](F)(F)(F)(F)F", name="RbPF6", concentration=0.05))


@pytest.fixture(scope="module")
def k(predict):
    return predict(Candidate("[K+].F[P-](F)(F)(F)(F)F", name="KPF6", concentration=0.05))


def test_rubidium_at_0_05_m_shields(rb):
    shielding = [m for m in rb["mechanisms"] if m["id"] == "ElectrostaticShielding"]
    assert shielding and shielding[0]["of"] == "Rb-cation"
    potentials = [d["value"] for d in rb["derived"] if d["kind"] == "ReductionPotential"]
    assert potentials == [pytest.approx(-3.0570, abs=5e-4)]
    assert "design-Cs-electrostatic-shield" in {d["design"] for d in shielding[0]["supportingDesigns"]}


def test_potassium_at_0_05_m_is_ruled_out(k):
    assert not [m for m in k["mechanisms"] if m["id"] == "ElectrostaticShielding"]
    assert {"species": "K-cation", "mechanism": "ElectrostaticShielding"} in k["ruledOut"]
    assert [d["value"] for d in k["derived"] if d["kind"] == "ReductionPotential"] == [pytest.approx(-3.0080, abs=5e-4)]
    assert "tradeoff-cation-co-deposition" in k["conflicts"]


def test_indium_fluoride_coating(predict):
    result = predict(Candidate("F[In](F)F", name="InF3", role="coating"))
    assert {"Li13In3", "LiF"} <= set(result["forms"])
    assert "ReactiveSEIFormation" in {m["id"] for m in result["mechanisms"]}


def test_fluorinated_phosphate_additive(predict):
    result = predict(Candidate("FC(F)(F)COP(=O)(OCC(F)(F)F)OCC(F)(F)F", name="TFEP", role="additive",
                               electrolyte="1 M LiPF6 in EC/DEC"))
    assert {"PhosphorusSEISpecies", "LiF"} <= set(result["forms"])
    assert {"Phosphate", "CFBond"} <= set(result["features"])
    assert any("no LUMO known" in note for note in result["notAssessed"])


def test_supplied_lumo_enables_the_lumo_rule(predict):
    # A made-up additive with a LUMO below FEC's -0.87 eV in FEC's own electrolyte: the LUMO-ordering rule
    # (4.1 [115]) now applies to it, and no longer says LUMO was not assessed.
    result = predict(Candidate("O=C1OC(F)C(F)O1", name="DFEC-test", role="additive",
                               electrolyte="1 M LiPF6 in EC/DEC", properties={"LUMOEnergy": -1.2},
                               units={"LUMOEnergy": "EV"}))
    rules = {r for m in result["mechanisms"] for r in m["rules"]}
    assert "lowest-lumo-in-electrolyte" in rules
    assert not any("no LUMO known" in note for note in result["notAssessed"])


def test_f_mass_fraction_of_cf2_chain():
    from lmakg.chemistry.structures import mass_fraction

    assert mass_fraction("[*]C(F)(F)[*]", "F") == pytest.approx(0.76, abs=0.005)


@pytest.mark.parametrize(("args", "message"), [
    (["--smiles", "C1CC("], "invalid SMILES 'C1CC('"),
    (["--smiles", "CCO", "--role", "catalyst"], "unknown role 'catalyst'"),
    (["--smiles", "[Cs+].[F-]", "--concentration", "-1M"], "cannot read concentration '-1M'"),
    (["--smiles", "[Cs+].[F-]", "--concentration", "50M"], "impossible concentration '50M'"),
    (["--smiles", "CCO", "--lumo", "-1 kcal"], "unknown unit 'kcal'"),
    (["--smiles", "CCO", "--electrolyte", "1 M LiXYZ in EC"], "unknown electrolyte component 'LiXYZ'"),
])
def test_bad_input_is_one_line_and_nonzero(runner, args, message):
    result = runner.invoke(app, ["predict", *args])
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_cli_json(runner):
    result = runner.invoke(app, ["predict", "--smiles", "[Rb+].F[P-](F)(F)(F)(F)F", "--concentration", "0.05M",
                                 "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {"mechanisms", "forms", "conflicts", "derived", "notAssessed", "hypotheses", "features"} <= set(data)


def test_parsers():
    assert parse_concentration("0.05M") == 0.05
    assert parse_concentration("1.2 mol/L") == 1.2
    assert parse_property("lumo", "-0.9 eV") == ("LUMOEnergy", -0.9, "EV")
    with pytest.raises(PredictionInputError):
        parse_concentration("0M")


# --- the warm predictor: incremental reasoning in a scratch pad must give what a full run gives ----------

CASES = [
    Candidate("[Rb+].F[P-](F)(F)(F)(F)F", name="RbPF6", concentration=0.05),
    Candidate("[K+].F[P-](F)(F)(F)(F)F", name="KPF6", concentration=0.05),
    Candidate("F[In](F)F", name="InF3", role="coating"),
    Candidate("FC(F)(F)COP(=O)(OCC(F)(F)F)OCC(F)(F)F", name="TFEP", electrolyte="1 M LiPF6 in EC/DEC"),
    Candidate("O=C1OC(F)C(F)O1", name="DFEC-test", electrolyte="1 M LiPF6 in EC/DEC",
              properties={"LUMOEnergy": -1.2}, units={"LUMOEnergy": "EV"}),
    Candidate("COCCOCCOC", name="diglyme", role="solvent"),
]


def _essence(result: dict) -> dict:
    """What a prediction claims, without IRIs that depend on the batch position."""
    def strip(name: str) -> str:
        return name.split("-", 1)[1] if name.startswith("c") and name[1:2].isdigit() else name

    return {
        "mechanisms": sorted((m["id"], strip(m["of"]), tuple(m["rules"]),
                              tuple(d["design"] for d in m["supportingDesigns"])) for m in result["mechanisms"]),
        "forms": result["forms"], "conflicts": result["conflicts"], "features": result["features"],
        "ruledOut": sorted((strip(r["species"]), r["mechanism"]) for r in result["ruledOut"]),
        "derived": sorted((d["kind"], strip(d["of"]), round(d["value"], 6), d["rule"]) for d in result["derived"]),
        "hypotheses": sorted(tuple(h["families"]) for h in result["hypotheses"]),
    }


def _full_run(candidate: Candidate) -> dict:
    """The reference: the candidate loaded with the review, everything perceived and reasoned from scratch."""
    from lmakg.chemistry.candidates import candidate_turtle
    from lmakg.chemistry.materialize import materialize, open_knowledge
    from lmakg.chemistry.predict import _report, _supporting_index, in_context
    from lmakg.hypotheses.generate import generate
    from lmakg.hypotheses.joins import summary

    store = open_knowledge(None, reason=False)
    turtle, species, ions = candidate_turtle(candidate, store, tag="c1-")
    store.load_turtle(turtle, graph="https://w3id.org/lmakg/graph/candidates")
    materialize(store)
    mine = {species, *ions}
    joined = [summary(h) for h in generate(store) if h.members & mine]
    return _report(store, candidate, species, ions, joined, _supporting_index(store), explain=False,
                   in_context=in_context(store, turtle, species, ions))


@pytest.mark.parametrize("candidate", CASES, ids=[c.name for c in CASES])
def test_incremental_prediction_equals_a_full_run(predictor, candidate):
    assert _essence(predictor.predict(candidate, explain=False)) == _essence(_full_run(candidate))


def test_a_batch_equals_one_by_one_and_leaves_the_graph_as_it_was(predictor):
    before = predictor.store.count()
    one_by_one = [_essence(predictor.predict(c, explain=False)) for c in CASES]
    together = predictor.predict_many([*CASES, Candidate("C1CC(")], chunk=4)
    assert [_essence(r) for r in together[:-1]] == one_by_one
    assert "invalid SMILES 'C1CC('" in together[-1]["error"]
    assert predictor.store.count() == before


# --- batch mode ----------------------------------------------------------------------------------------

def test_batch_file_judges_good_rows_and_names_bad_ones(runner, tmp_path):
    source = tmp_path / "candidates.csv"
    source.write_text("name,smiles,role,concentration\n"
                      "RbPF6,[Rb+].F[P-](F)(F)(F)(F)F,salt,0.05M\n"
                      "broken,C1CC(,additive,\n"
                      "KPF6,[K+].F[P-](F)(F)(F)(F)F,salt,0.05M\n"
                      "negative,[Cs+].[F-],salt,-1M\n")
    out = tmp_path / "results.json"
    result = runner.invoke(app, ["predict", "--file", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = json.loads(out.read_text())
    assert [r["line"] for r in rows] == [2, 3, 4, 5]
    # Rb+ at 0.05 M: -3.057 V < -3.040 V -> shielding; K+ at 0.05 M: -3.008 V -> ruled out (module docstring)
    assert "ElectrostaticShielding" in {m["id"] for m in rows[0]["mechanisms"]}
    assert {"species": "K-cation", "mechanism": "ElectrostaticShielding"} in rows[2]["ruledOut"]
    assert rows[1]["error"].startswith(f"{source}:3: invalid SMILES 'C1CC('")
    assert rows[3]["error"].startswith(f"{source}:5: cannot read concentration '-1M'")
    assert f"{source}:3: invalid SMILES" in result.output  # reported on the console too
    assert "judged 2 of 4 candidates" in result.output


def test_batch_csv_output_and_errors(runner, tmp_path):
    import csv

    source = tmp_path / "c.csv"
    source.write_text("smiles,role\nF[In](F)F,coating\n")
    out = tmp_path / "r.csv"
    assert runner.invoke(app, ["predict", "--file", str(source), "--out", str(out)]).exit_code == 0
    (row,) = list(csv.DictReader(out.open()))
    assert row["status"] == "ok" and {"Li13In3", "LiF"} <= set(row["forms"].split("; "))
    assert not list(tmp_path.glob(".*partial"))

    bad = tmp_path / "bad.csv"
    bad.write_text("smile,role\nCCO,solvent\n")
    result = runner.invoke(app, ["predict", "--file", str(bad), "--out", str(tmp_path / "x.csv")])
    assert result.exit_code == 1 and f"{bad}:1: no 'smiles' column" in result.output
    assert not (tmp_path / "x.csv").exists()
    bad.write_text("smiles,colour\nCCO,red\n")
    result = runner.invoke(app, ["predict", "--file", str(bad)])
    assert result.exit_code == 1 and "unknown column 'colour'" in result.output
    result = runner.invoke(app, ["predict", "--smiles", "CCO", "--file", str(source)])
    assert result.exit_code == 1 and "either --smiles" in result.output


def test_a_conclusion_of_another_design_is_not_borrowed(predictor):
    """Issue (formulations): 1 M LiFSI in DME got AnionRichSolvation through the HCE-threshold rule (≥ 3.5 mol/L,
    §5.1) because the review's 4.6 M dual-salt design uses LiFSI. Only this candidate's design counts."""
    dilute = predictor.predict(Candidate(smiles="[Li+].O=S(=O)(F)[N-]S(=O)(=O)F", name="LiFSI", role="salt",
                                         concentration=1.0, electrolyte="1M LiFSI in DME"), explain=False)
    assert "AnionRichSolvation" not in {m["id"] for m in dilute["mechanisms"]}
    concentrated = predictor.predict(Candidate(smiles="[Li+].O=S(=O)(F)[N-]S(=O)(=O)F", name="LiFSI", role="salt",
                                               concentration=4.0, electrolyte="4M LiFSI in DME"), explain=False)
    assert "AnionRichSolvation" in {m["id"] for m in concentrated["mechanisms"]}


@pytest.mark.parametrize("smiles, name", [("CS(C)=O", "DMSO"), ("O=C1OCCO1", "EC")])
def test_a_polar_solvent_labelled_diluent_is_not_credited(predictor, smiles, name):
    """§5.1: a diluent has a low dielectric constant and low complexation ability (DMSO ε 46-49, EC ε 90)."""
    result = predictor.predict(Candidate(smiles=smiles, name=name, role="diluent"), explain=False)
    assert "AnionRichSolvation" not in {m["id"] for m in result["mechanisms"]}
    assert any("role 'diluent' not credited" in note for note in result["notAssessed"])
