"""`lmakg why` folds the graph's plumbing (issue: hypotheses, section 7). The case is the review's own worked
example (§2.2 [48]): Cs+ (E° -3.026 V) at 0.05 M is reduced at -3.103 V, below Li+ at 1 M (-3.040 V)."""

from __future__ import annotations

import json

from lmakg.knowledge.store import Term
from lmakg.reasoning.condense import condense
from lmakg.reasoning.explain import explain_mechanism

KG = "https://w3id.org/lmakg/kg/"


def _statements(node: dict) -> list[list[str]]:
    found = [node["statement"]] if "statement" in node else []
    for d in node.get("derivations", []):
        for p in d.get("premises", []):
            found += _statements(p)
    return found


def _firing_notes(node: dict) -> list[str]:
    notes = []
    for d in node.get("derivations", []):
        if d.get("folded"):
            notes.append(d["folded"])
        for p in d.get("premises", []):
            notes += _firing_notes(p)
    return notes


def test_why_shows_the_quantities_not_the_blank_nodes(knowledge):
    full = explain_mechanism(knowledge, KG + "Cs-cation", "ElectrostaticShielding")
    before = json.dumps(full, sort_keys=True)
    short = condense(full)
    shown = _statements(short["predicted"])
    assert not any(part.startswith("_:") for s in shown for part in s)
    assert not any(s[0].startswith("lmk:constant-") for s in shown)
    assert ["lmk:Cs-cation", "StandardReductionPotential", "= -3.026 V"] in shown
    assert ["lmk:Li-cation", "ReductionPotential", "= -3.04 V"] in shown
    assert ["lmk:Cs-cation in lmk:design-Cs-electrostatic-shield", "Concentration", "= 0.05 MOL-PER-L"] in shown
    # the Nernst firing says which constants it folded; the full tree still has them, and the blank nodes
    assert any("constants F, R, T-standard" in n for n in _firing_notes(short["predicted"]))
    full_shown = _statements(full["predicted"])
    assert any(s[0] == "lmk:constant-F" for s in full_shown)
    assert any(part.startswith("_:") for s in full_shown for part in s)
    assert json.dumps(full, sort_keys=True) == before  # condense copies: the input tree is not changed


def test_class_hierarchy_keeps_its_line_not_its_derivation(knowledge):
    from lmakg.reasoning.explain import explain

    tree = condense(explain(knowledge, Term("uri", KG + "Cs-cation"),
                            Term("uri", "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                            Term("uri", "https://w3id.org/lmakg/ontology#ChemicalSpecies")))
    assert tree["status"] == "inferred" and "derivations" not in tree and tree["folded"]


def test_why_full_option(runner):
    from lmakg.cli import app

    short = runner.invoke(app, ["why", "Cs+", "ElectrostaticShielding"])
    full = runner.invoke(app, ["why", "Cs+", "ElectrostaticShielding", "--full"])
    assert short.exit_code == 0 and full.exit_code == 0
    assert "_:" not in short.output and "_:" in full.output
    assert "--full shows them" in short.output
