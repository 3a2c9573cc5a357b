"""Compositions read off RDKit's molecular formula (structures._composition) equal the atoms counted one by one,
and a candidate's identity in the graph does not depend on whether its InChIKey was computed up front."""

from __future__ import annotations

import pytest

from lmakg.chemistry import structures as chem
from lmakg.chemistry.candidates import Candidate, _known, candidate_turtle


def _atom_by_atom(smiles: str) -> dict[str, int]:
    """The reference: every atom that is an element (not an attachment point) and its hydrogens."""
    counts: dict[str, int] = {}
    for atom in chem.parse_smiles(smiles).GetAtoms():
        if atom.GetAtomicNum() == 0:
            continue
        counts[atom.GetSymbol()] = counts.get(atom.GetSymbol(), 0) + 1
        if atom.GetTotalNumHs():
            counts["H"] = counts.get("H", 0) + atom.GetTotalNumHs()
    return dict(sorted(counts.items()))


@pytest.mark.parametrize(("smiles", "expected"), [
    ("[13CH4]", {"C": 1, "H": 4}),                    # an isotope counts as its element
    ("[2H]C([2H])([2H])F", {"C": 1, "F": 1, "H": 3}),  # deuterium as H
    ("*CC(F)(F)*", {"C": 2, "F": 2, "H": 2}),          # attachment points are not atoms
    ("[NH4+]", {"H": 4, "N": 1}),                      # the charge is not an element
    ("[Mg+2].[F-].[F-]", {"F": 2, "Mg": 1}),
    ("[Li+].F[P-](F)(F)(F)(F)F", {"F": 6, "Li": 1, "P": 1}),
])
def test_composition_of_edge_cases(smiles, expected):
    assert chem.composition(smiles) == expected == _atom_by_atom(smiles)


def test_composition_of_every_structure_in_the_graph(knowledge):
    from lmakg.knowledge.queries import run_engine_query

    rows = [r for r in run_engine_query(knowledge, "structures") if r["kind"].value in ("smiles", "repeat")]
    assert len(rows) > 100
    for row in rows:
        assert chem.composition(row["text"].value) == _atom_by_atom(row["text"].value), row["species"].value


@pytest.fixture(scope="module")
def known(knowledge):
    from lmakg.chemistry.candidates import known_species

    return known_species(knowledge)


def test_known_species_found_without_computing_their_key_first(knowledge, known):
    from lmakg.knowledge.queries import run_engine_query

    assert known.compositions  # every stored InChIKey is the one RDKit computes from the species' SMILES
    cards = [r for r in run_engine_query(knowledge, "species-cards") if "smiles" in r and "inchiKey" in r]
    for row in cards:
        assert _known(row["smiles"].value, None, known) == known[chem.inchikey(row["smiles"].value)]
    # DME's composition (C4H10O2) with another structure: an isomer is not DME
    assert _known("CCOCOC", None, known) is None and chem.composition("CCOCOC") == chem.composition("COCCOC")
    assert _known("COCCOC", None, known) is not None


@pytest.mark.parametrize("candidate", [
    Candidate("[Rb+].F[P-](F)(F)(F)(F)F", name="RbPF6", role="salt", concentration=0.05),  # known ions
    Candidate("[Rb+].FC(F)(F)C(=O)[O-]", name="new salt", role="salt", concentration=0.1),  # a new anion
    Candidate("COCCOC", role="solvent"),                     # a graph species, no name: named by its key
    Candidate("CCOCOC", role="solvent"),                     # a new one, no name
    Candidate("O=C1OCC(F)O1", name="FEC", role="additive"),
])
def test_names_are_the_same_with_or_without_inchikeys(knowledge, known, candidate):
    with_keys = candidate_turtle(candidate, knowledge, known, tag="x-")
    without = candidate_turtle(candidate, knowledge, known, tag="x-", inchikeys=False)
    assert with_keys[1:] == without[1:]
    assert "lma:inchiKey" not in without[0]
