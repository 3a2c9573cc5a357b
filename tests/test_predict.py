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

from lmakg.cli import app
from lmakg.predict import Candidate, PredictionInputError, parse_concentration, parse_property, predict


@pytest.fixture(scope="module")
def rb():
    return predict(Candidate("[Rb+].F[P-](F)(F)(F)(F)F", name="RbPF6", concentration=0.05))


@pytest.fixture(scope="module")
def k():
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
    assert [d["value"] for d in k["derived"]] == [pytest.approx(-3.0080, abs=5e-4)]
    assert "tradeoff-cation-co-deposition" in k["conflicts"]


def test_indium_fluoride_coating():
    result = predict(Candidate("F[In](F)F", name="InF3", role="coating"))
    assert {"Li13In3", "LiF"} <= set(result["forms"])
    assert "ReactiveSEIFormation" in {m["id"] for m in result["mechanisms"]}


def test_fluorinated_phosphate_additive():
    result = predict(Candidate("FC(F)(F)COP(=O)(OCC(F)(F)F)OCC(F)(F)F", name="TFEP", role="additive",
                               electrolyte="1 M LiPF6 in EC/DEC"))
    assert {"PhosphorusSEISpecies", "LiF"} <= set(result["forms"])
    assert {"Phosphate", "CFBond"} <= set(result["features"])
    assert any("no LUMO known" in note for note in result["notAssessed"])


def test_supplied_lumo_enables_the_lumo_rule():
    # A made-up additive with a LUMO below FEC's -0.87 eV in FEC's own electrolyte: the LUMO-ordering rule
    # (4.1 [115]) now applies to it, and no longer says LUMO was not assessed.
    result = predict(Candidate("O=C1OC(F)C(F)O1", name="DFEC-test", role="additive",
                               electrolyte="1 M LiPF6 in EC/DEC", properties={"LUMOEnergy": -1.2},
                               units={"LUMOEnergy": "EV"}))
    rules = {r for m in result["mechanisms"] for r in m["rules"]}
    assert "lowest-lumo-in-electrolyte" in rules
    assert not any("no LUMO known" in note for note in result["notAssessed"])


def test_f_mass_fraction_of_cf2_chain():
    from lmakg.chem import mass_fraction

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
