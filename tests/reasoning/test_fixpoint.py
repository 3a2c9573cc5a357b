"""The optimised fixpoint (a rule re-runs only when something it reads was added) against the plain one
(every rule in every iteration, ``naive=True``) on the review graph, and the read analysis it relies on."""

from __future__ import annotations

import pytest

from lmakg.chemistry.perceive import perceive
from lmakg.knowledge.load import load_knowledge
from lmakg.knowledge.store import open_store
from lmakg.knowledge.vocab import INFERRED_GRAPH, LMA_IRI
from lmakg.reasoning.dependencies import RDF_TYPE, reads_of, touches, written_keys
from lmakg.reasoning.engine import infer
from lmakg.reasoning.provenance import PROVENANCE_GRAPH
from lmakg.reasoning.rules import load_rules

RDFS = "http://www.w3.org/2000/01/rdf-schema#"


def _algebra(where: str):
    from rdflib.plugins.sparql import prepareQuery

    return prepareQuery(f"PREFIX lma: <{LMA_IRI}> PREFIX rdfs: <{RDFS}> "
                        f"CONSTRUCT {{ ?s lma:x ?o }} WHERE {{ {where} }}").algebra.p


@pytest.mark.parametrize(("where", "expected"), [
    ("?s a lma:Solvent ; lma:hasComponent ?o", {("type", LMA_IRI + "Solvent"), ("p", LMA_IRI + "hasComponent")}),
    ("?s a ?o", {("p", RDF_TYPE)}),
    ("?s rdfs:subClassOf* ?o", {("p", RDFS + "subClassOf")}),
    ("?s (lma:a|^lma:b)/lma:c ?o", {("p", LMA_IRI + "a"), ("p", LMA_IRI + "b"), ("p", LMA_IRI + "c")}),
    ("?s lma:a ?o OPTIONAL { ?o lma:b ?x }", {("p", LMA_IRI + "a"), ("p", LMA_IRI + "b")}),
    ("?s lma:a ?o MINUS { ?s lma:b ?x }", {("p", LMA_IRI + "a"), ("p", LMA_IRI + "b")}),
    ("?s lma:a ?o FILTER NOT EXISTS { ?s a lma:Salt } FILTER EXISTS { { ?s lma:c ?y } UNION { ?s lma:d ?y } }",
     {("p", LMA_IRI + "a"), ("type", LMA_IRI + "Salt"), ("p", LMA_IRI + "c"), ("p", LMA_IRI + "d")}),
    ("{ SELECT ?s (MIN(?v) AS ?o) WHERE { ?s lma:e ?v } GROUP BY ?s }", {("p", LMA_IRI + "e")}),
])
def test_reads_of_collects_every_pattern(where, expected):
    assert reads_of(_algebra(where)) == expected


@pytest.mark.parametrize("where", ["?s ?p ?o", "?s lma:a ?o FILTER NOT EXISTS { ?o ?p ?s }", "?s !lma:a ?o"])
def test_a_variable_or_negated_predicate_reads_everything(where):
    assert reads_of(_algebra(where)) is None


def test_touches_matches_classes_and_predicates():
    import pyoxigraph as ox

    typed = written_keys([(ox.NamedNode("http://e/x"), ox.NamedNode(RDF_TYPE), ox.NamedNode(LMA_IRI + "Salt"))])
    assert touches(frozenset({("type", LMA_IRI + "Salt")}), typed)
    assert touches(frozenset({("p", RDF_TYPE)}), typed)  # ?x a ?class sees every new type
    assert not touches(frozenset({("type", LMA_IRI + "Solvent")}), typed)
    assert not touches(frozenset({("p", LMA_IRI + "species")}), typed)
    assert touches(None, typed) and not touches(None, set())


def _run(store, rules, naive: bool):
    """Perception and rules from scratch on the same store (so blank-node labels are shared), as text."""
    store.clear_graph(str(INFERRED_GRAPH))
    store.clear_graph(str(PROVENANCE_GRAPH))
    perceive(store)
    messages: list[str] = []
    result = infer(store, rules, clear=False, naive=naive, progress=messages.append)
    inferred = {tuple(map(str, t)) for t in store.triples(str(INFERRED_GRAPH))}
    provenance = {tuple(map(str, t)) for t in store.triples(str(PROVENANCE_GRAPH))}
    return result, inferred, provenance, messages


def test_optimised_fixpoint_equals_the_naive_one_on_the_review_graph():
    rules = load_rules()
    store = open_store()
    load_knowledge(store)
    naive, naive_inferred, naive_provenance, naive_log = _run(store, rules, naive=True)
    fast, fast_inferred, fast_provenance, fast_log = _run(store, rules, naive=False)
    assert len(naive_inferred) > 1500 and naive.derivations > 1500
    assert fast_inferred == naive_inferred
    assert fast_provenance == naive_provenance
    assert (fast.added, fast.derivations, fast.per_rule) == (naive.added, naive.derivations, naive.per_rule)
    assert fast.fired == naive.fired
    # and it is cheaper: after the first iteration only rules whose inputs changed ran again
    runs = [int(m.split("(")[1].split()[0]) for m in fast_log]
    naive_runs = [int(m.split("(")[1].split()[0]) for m in naive_log]
    assert runs[0] == naive_runs[0] == len(rules)
    assert sum(runs[1:]) < sum(naive_runs[1:]) / 2


def test_gc_pause_nests_and_restores():
    import gc

    from lmakg.reasoning.gcpause import gc_paused

    assert gc.isenabled()
    with gc_paused():
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause is still on
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # a collector that was off stays off
    finally:
        gc.enable()
