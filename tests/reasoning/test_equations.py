"""The review's equations computed by rules, on synthetic inputs with hand-worked answers
(tests/data/rules/equations.ttl shows the arithmetic), and the SPARQL extension function lmf:ln."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from lmakg.chemistry.materialize import materialize
from lmakg.curation.validate import validate_files
from lmakg.knowledge.functions import ln, register_with_rdflib
from lmakg.knowledge.load import load_knowledge
from lmakg.knowledge.resources import knowledge_files
from lmakg.knowledge.store import open_store

DATA = Path(__file__).parents[1] / "data" / "rules" / "equations.ttl"


@pytest.fixture(scope="module")
def store():
    s = open_store()
    load_knowledge(s)
    s.load_file(DATA, "https://w3id.org/lmakg/graph/test")
    materialize(s)
    return s


def derived(store, rule: str) -> list[float]:
    rows = store.select(f"SELECT ?v WHERE {{ ?x lma:hasQuantity ?q . ?q prov:wasGeneratedBy lmr:{rule} ; "
                        "lma:inDesign lmk:test-design-equations ; qudt:numericValue ?v }")
    return [float(r["v"].value) for r in rows]


def test_chazalviel_limiting_current(store):
    assert derived(store, "chazalviel-limiting-current") == [pytest.approx(128.6471, abs=1e-3)]


def test_coulomb_ion_pair_binding(store):
    assert derived(store, "coulomb-ion-pair-binding") == [pytest.approx(-46.312, abs=1e-3)]


def test_test_data_is_valid():
    report = validate_files([*knowledge_files(), DATA], report_only=[DATA])
    assert report.issues == []


def test_ln():
    assert ln(math.e) == pytest.approx(1.0)
    assert ln(0.05) == pytest.approx(-2.995732, abs=1e-6)
    with pytest.raises(ValueError):
        ln(0.0)


def test_ln_in_both_sparql_engines():
    from rdflib import Graph

    query = "PREFIX lmf: <https://w3id.org/lmakg/function#> SELECT ?x WHERE { BIND(lmf:ln(0.05) AS ?x) }"
    ox = open_store().select(query)
    assert float(ox[0]["x"].value) == pytest.approx(-2.995732, abs=1e-6)
    register_with_rdflib()
    rows = list(Graph().query(query))
    assert float(rows[0][0]) == pytest.approx(-2.995732, abs=1e-6)
    unbound = open_store().select(query.replace("0.05", "-1"))
    assert unbound == [{}]  # undefined input leaves the variable unbound instead of failing the query
