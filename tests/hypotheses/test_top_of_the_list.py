"""What a researcher sees first (issue 11, "Done when"): the default ranking of every kind, as `lmakg hypotheses`
makes it (all five kinds, --diverse 3), generated once for this module.

The expected answers are read from the issue and the chemistry, not from the code's output:
- the top 20 hold a formulation, a salt and a designed molecule side by side;
- every row of the printed table shows a score breakdown, the filters passed, a nearest precedent and a test;
- no hypothesis in the top 100 has a protic component (an O-H or N-H: Li reduces the proton to H2), an
  alpha-fluoroether (F on an sp3 carbon bound to an ether oxygen: HF release), or a trivalent boron Lewis acid
  together with a Lewis base (pyridine N, phosphine, tertiary amine) in another component. The SMARTS below are
  written here from those definitions, independently of kg/curator/filters.ttl;
- TFEB is never proposed as a diluent: the study the review cites for the Cao-group LHCEs reports it as the
  worst diluent (O2 escape from NCM811, section 5.1 [144]).
"""

from __future__ import annotations

import pytest
from rdkit import Chem
from rich.console import Console

from lmakg.hypotheses.generate import generate
from lmakg.hypotheses.render import render

PROTIC = Chem.MolFromSmarts("[#8,#7;!H0]")
ALPHA_FLUOROETHER = Chem.MolFromSmarts("[CX4;!H0;!$(C(F)F)](F)-[OX2]-[CX4,c]")
LEWIS_ACID = Chem.MolFromSmarts("[BX3]")
LEWIS_BASE = Chem.MolFromSmarts("[$([nX2]),$([PX3]([#6])([#6])[#6]),$([NX3;H0]([CX4])([CX4])[CX4])]")
TFEB = Chem.CanonSmiles("FC(F)(F)COB(OCC(F)(F)F)OCC(F)(F)F")


@pytest.fixture(scope="module")
def top100(knowledge):
    return generate(knowledge, top=100, kinds=("component", "combination", "molecule", "formulation", "salt"),
                    diverse=3)


def _mols(h):
    return [(c, Chem.MolFromSmiles(c["smiles"])) for c in h.components if c.get("smiles")]


def test_the_top_20_show_formulations_and_salts_next_to_molecules(top100):
    kinds = {h.kind for h in top100[:20]}
    assert {"formulation", "salt", "molecule"} <= kinds, [(h.id, h.kind) for h in top100[:20]]


def test_every_row_of_the_table_has_breakdown_filters_precedent_and_test(top100):
    console = Console(record=True, width=400, color_system=None)
    render(top100[:20], console)
    text = console.export_text()
    for h in top100[:20]:
        breakdown = h.as_dict()["scoreBreakdown"]
        assert breakdown["score"] == pytest.approx(h.score)
        assert h.filters_passed, h.id
        assert h.tests, h.id
        assert h.precedents.get("structure") or h.precedents.get("mechanism"), h.id
    assert text.count("passed:") == 20
    assert text.count("evidence:") == 20  # each score shown as its sum
    assert text.count("refuted if") >= 20  # each row's test names the result that would refute it
    assert "assess:" in text and "over " in text  # a formulation's gain over its base electrolyte
    assert "not judged" in text  # a salt's or molecule's assess gain is not invented


def test_no_protic_component_alpha_fluoroether_or_lewis_pair_in_the_top_100(top100):
    assert len(top100) == 100
    for h in top100:
        mols = _mols(h)
        for c, mol in mols:
            assert mol is not None, (h.id, c)
            assert not mol.HasSubstructMatch(PROTIC), (h.id, c["smiles"])
            assert not mol.HasSubstructMatch(ALPHA_FLUOROETHER), (h.id, c["smiles"])
        acids = {c["id"] for c, mol in mols if mol.HasSubstructMatch(LEWIS_ACID)}
        bases = {c["id"] for c, mol in mols if mol.HasSubstructMatch(LEWIS_BASE)}
        assert not (acids and bases - acids), (h.id, acids, bases)


def test_tfeb_is_never_proposed_as_a_diluent(top100):
    for h in top100:
        for c, mol in _mols(h):
            if mol is not None and Chem.MolToSmiles(mol) == TFEB:
                assert "diluent" not in str(c.get("role", "")).lower(), h.id


def test_the_smarts_of_this_test_catch_what_they_name():
    """The independent SMARTS above are right: each catches the issue's example and spares its neighbour."""
    assert Chem.MolFromSmiles("OCC(F)(F)F").HasSubstructMatch(PROTIC)  # 2,2,2-trifluoroethanol
    assert not Chem.MolFromSmiles("O=C1OCC(F)O1").HasSubstructMatch(PROTIC)  # FEC
    assert Chem.MolFromSmiles("COCOCF").HasSubstructMatch(ALPHA_FLUOROETHER)
    assert Chem.MolFromSmiles("FC1COCCO1").HasSubstructMatch(ALPHA_FLUOROETHER)  # 2-fluoro-1,4-dioxane
    assert not Chem.MolFromSmiles("FC(F)C(F)(F)COC(F)(F)C(F)F").HasSubstructMatch(ALPHA_FLUOROETHER)  # TTE
    assert not Chem.MolFromSmiles("FC(F)(F)COCC(F)(F)F").HasSubstructMatch(ALPHA_FLUOROETHER)  # BTFE
    assert Chem.MolFromSmiles("Fc1ccccn1").HasSubstructMatch(LEWIS_BASE)  # 2-fluoropyridine
    assert Chem.MolFromSmiles(TFEB).HasSubstructMatch(LEWIS_ACID)
    assert not Chem.MolFromSmiles("[Li+].O=C1O[B-]2(OC1=O)OC(=O)C(=O)O2").HasSubstructMatch(LEWIS_ACID)  # BOB-
