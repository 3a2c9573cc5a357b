"""Novelty against the literature and the nearest precedent (issue: hypotheses, section 4). The issue's own
examples: LiFSI, LiTFSI, BTFE and TTE were flagged novel because one more family was attached to them."""

from __future__ import annotations

import pytest

from lmakg.hypotheses.generate import generate


@pytest.fixture(scope="module")
def found(knowledge):
    return {h.id: h for h in generate(knowledge, kinds=("component", "combination", "molecule"))}


@pytest.mark.parametrize("hid", ["H-LiFSI", "H-LiTFSI", "H-BTFE", "H-TTE"])
def test_a_published_species_is_not_novel(found, hid):
    h = found[hid]
    assert h.novel is False
    assert h.novelty.startswith("published species")


def test_the_nearest_structural_precedent_of_a_review_species_is_itself(found):
    fec = found["H-FEC"].precedents["structure"][0]
    assert (fec["species"], fec["similarity"]) == ("FEC", 1.0)
    assert fec["design"].startswith("design-")


def test_the_nearest_mechanism_precedent_prefers_the_design_that_uses_the_species(found):
    """LiNO3 in 2 M LiFSI-DME (§5.2 [165]) is the review's design of LiNO3; the hypothesis's families match it."""
    mechanism = found["H-LiNO3"].precedents["mechanism"]
    assert mechanism["design"] == "design-LiNO3-in-LiFSI-DME"
    assert mechanism["jaccard"] == 1.0 and mechanism["section"] == "5.2"


def test_designed_molecules_are_novel_only_when_unpublished(found):
    molecules = [h for h in found.values() if h.kind == "molecule"]
    assert molecules
    for h in molecules:
        structural = h.precedents["structure"]
        assert structural and 0 < structural[0]["similarity"] <= 1
        assert h.novel == (h.novelty == "new structure")
        if h.novel:  # a new structure is not any review species itself
            assert structural[0]["similarity"] < 1.0
