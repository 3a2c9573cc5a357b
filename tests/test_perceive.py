"""Perception by RDKit: elements and SMARTS features of every structure, kept apart with provenance, and
never silently at odds with the curation (a curated group RDKit cannot find fails with the species listed)."""

from __future__ import annotations

import pytest

from lmakg.build import load_knowledge
from lmakg.perceive import PERCEIVED_GRAPH, perceive
from lmakg.store import open_store


@pytest.fixture(scope="module")
def perceived():
    store = open_store()
    load_knowledge(store)
    perceive(store)
    return store


def test_curated_groups_are_all_perceived(perceived):
    rows = perceived.select(f"""
        SELECT ?s ?g WHERE {{
          GRAPH <https://w3id.org/lmakg/graph/asserted> {{ ?s lma:hasFunctionalGroup ?g }}
          ?s lma:smiles|lma:repeatUnitSmiles ?structure .
          ?g lma:smarts ?pattern .
          FILTER NOT EXISTS {{ GRAPH <{PERCEIVED_GRAPH}> {{ ?s lma:hasFunctionalGroup ?g }} }}
        }}""")
    disagreements = sorted(f"{r['s'].value.rsplit('/', 1)[-1]} curated {r['g'].value.rsplit('#', 1)[-1]}"
                           for r in rows)
    assert disagreements == []


@pytest.mark.parametrize(("species", "element"), [("SnF2", "Sn"), ("SnF2", "F"), ("LiAsF6", "As"), ("FEC", "F"),
                                                    ("TPFPB", "B"), ("azidotrimethylsilane", "Si")])
def test_elements(perceived, species, element):
    assert perceived.ask(f"ASK {{ GRAPH <{PERCEIVED_GRAPH}> {{ lmk:{species} lma:containsElement lma:{element} }} }}")


@pytest.mark.parametrize(("species", "group"), [
    ("AFA", "BetaActivatedCF"),          # 4.1 [116]: nitrate at the beta site of the C-F bonds
    ("AFA", "Nitrate"),
    ("TPFPB", "ElectronDeficientBoron"),  # 5.2 [143]
    ("LiFSI", "SulfonylFluoride"),        # 4.1 [108]: the S-F bond of FSI-
    ("azidotrimethylsilane", "Azide"),    # 4.1 [131]
    ("DMS", "Sulfate"),                   # 4.1 [39]
    ("TPP", "Phosphate"),                 # 4.1 [134]
    ("SnF2", "MetalFluoride"),            # 4.1 [118]
    ("PAM", "Amide"),                     # 2.1 [62]: C=O and N-H of PAM
])
def test_features(perceived, species, group):
    assert perceived.ask(f"ASK {{ GRAPH <{PERCEIVED_GRAPH}> {{ lmk:{species} lma:hasFunctionalGroup lma:{group} }} }}")


def test_every_perceived_fact_names_rdkit(perceived):
    rows = perceived.select(f"""
        SELECT (COUNT(*) AS ?n) WHERE {{
          GRAPH <{PERCEIVED_GRAPH}> {{ ?s ?p ?o }}
          FILTER NOT EXISTS {{ ?st rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o .
                               ?d lma:conclusion ?st ; prov:wasAssociatedWith <https://w3id.org/lmakg/agent/rdkit> }}
        }}""")
    assert rows[0]["n"].value == "0"
