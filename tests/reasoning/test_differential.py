"""Differential checks on the review graph: pySHACL reproduces the engine's closure triple for triple, and
HermiT's classification of the defined class lma:MultiFamilySpecies matches the engine's family counts."""

from __future__ import annotations

import shutil

import pytest

from lmakg.reasoning.differential import pyshacl_closure


@pytest.fixture(scope="module")
def reasoned(knowledge):
    """The review, loaded and reasoned over (the session's shared store; these tests only read it)."""
    return knowledge


@pytest.mark.slow
def test_pyshacl_reproduces_the_closure(reasoned):
    theirs, ours = pyshacl_closure(reasoned)
    assert len(ours) > 1500
    assert theirs - ours == set(), sorted(theirs - ours)[:10]
    assert ours - theirs == set(), sorted(ours - theirs)[:10]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("java") is None, reason="HermiT needs Java")
def test_hermit_multifamily_class_matches_the_engine(reasoned):
    from lmakg.reasoning.owl import multifamily_members_by_hermit

    rows = reasoned.select("""
        SELECT ?s (COUNT(DISTINCT ?f) AS ?n) WHERE {
          ?s lma:predictedFamily ?f . ?s a/rdfs:subClassOf* lma:ChemicalSpecies .
        } GROUP BY ?s HAVING (COUNT(DISTINCT ?f) >= 2)""")
    engine = {r["s"].value for r in rows}
    assert len(engine) >= 10
    assert multifamily_members_by_hermit(reasoned) == engine
