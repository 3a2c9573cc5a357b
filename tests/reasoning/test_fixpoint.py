"""The optimised fixpoint (a rule re-runs only when something it reads was added, a monotone rule only over the
triples added since, the union of graphs read while the provenance graph is empty) against the plain one (every
rule in full in every iteration, ``naive=True``) on the review graph, the analyses it relies on (reads, monotone
joins) and the blank-node keys of provenance."""

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


def _run(store, rules, naive: bool, delta_limit: int | None = None):
    """Perception and rules from scratch on the same store (so blank-node labels are shared), as text."""
    store.clear_graph(str(INFERRED_GRAPH))
    store.clear_graph(str(PROVENANCE_GRAPH))
    perceive(store)
    messages: list[str] = []
    result = infer(store, rules, clear=False, naive=naive, progress=messages.append, delta_limit=delta_limit)
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


def test_delta_reruns_equal_the_naive_fixpoint(monkeypatch):
    """Every re-run of a monotone rule over the triples added since it last ran (reasoning/delta.py; a match
    through a blank node binds the other variables) against the plain fixpoint: same inferred and provenance
    graphs, same counts."""
    from lmakg.reasoning import delta, engine

    monkeypatch.setattr(delta, "ROWS_LIMIT", 10**9)
    runs: list[int] = []
    widened: list[str] = []  # queries whose table binds fewer variables than its pattern has (a blank node)

    def counted(header, body, patterns, names, added, start, written, is_blank, solve):
        def spied(query):
            table = query[query.index("VALUES (") + 8:query.index(")")].split()
            if not any(set(table) == {t for t in terms if t[0] == "?"} for terms, _reads in patterns):
                widened.append(query)
            return solve(query)

        rows = delta.delta_solutions(header, body, patterns, names, added, start, written, is_blank, spied)
        runs.append(-1 if rows is None else len(rows))
        return rows

    monkeypatch.setattr(engine, "delta_solutions", counted)
    rules = load_rules()
    store = open_store()
    load_knowledge(store)
    naive, naive_inferred, naive_provenance, _ = _run(store, rules, naive=True)
    assert runs == []
    fast, fast_inferred, fast_provenance, _ = _run(store, rules, naive=False, delta_limit=10**9)
    monkeypatch.undo()
    assert len(runs) >= 10 and sum(r for r in runs if r > 0) > 100  # re-runs went through the delta path
    assert widened  # some added triples had blank nodes
    assert fast_inferred == naive_inferred and fast_provenance == naive_provenance
    assert (fast.added, fast.derivations, fast.per_rule) == (naive.added, naive.derivations, naive.per_rule)


def _infer_with_delta_limit(store, rules, limit):
    store.clear_graph(str(INFERRED_GRAPH))
    store.clear_graph(str(PROVENANCE_GRAPH))
    perceive(store)
    return infer(store, rules, clear=False, delta_limit=limit)


def test_delta_limit_zero_reruns_in_full_and_agrees(monkeypatch):
    from lmakg.reasoning import engine

    calls: list[int] = []
    real = engine.delta_solutions
    monkeypatch.setattr(engine, "delta_solutions", lambda *a, **k: calls.append(1) or real(*a, **k))
    rules = load_rules()
    store = open_store()
    load_knowledge(store)
    full = _infer_with_delta_limit(store, rules, 0)
    assert calls == []
    delta = _infer_with_delta_limit(store, rules, 10**9)
    assert calls
    assert (delta.added, delta.derivations, delta.per_rule) == (full.added, full.derivations, full.per_rule)


@pytest.mark.parametrize(("where", "monotone"), [
    ("?s a lma:Solvent ; lma:hasComponent ?o . FILTER(?o != ?s) BIND(STR(?o) AS ?t)", True),
    ("VALUES ?c { lma:Salt lma:Solvent } ?s a ?c ; lma:hasComponent ?o", True),
    ("?s ?p ?o", True),
    ("?s lma:a ?o OPTIONAL { ?o lma:b ?x }", False),
    ("{ ?s lma:a ?o } UNION { ?s lma:b ?o }", False),
    ("?s lma:a ?o MINUS { ?s lma:b ?x }", False),
    ("?s lma:a ?o FILTER NOT EXISTS { ?s a lma:Salt }", False),
    ("?s lma:a ?o FILTER EXISTS { ?s a lma:Salt }", False),
    ("?s rdfs:subClassOf* ?o", False),
    ("{ SELECT ?s (MIN(?v) AS ?o) WHERE { ?s lma:e ?v } GROUP BY ?s }", False),
    ("{ SELECT ?s ?o WHERE { ?s lma:e ?o } }", False),
])
def test_only_monotone_joins_rerun_over_the_delta(where, monotone):
    from lmakg.reasoning.delta import plan

    text = f"WHERE {{ {where} }}"
    assert (plan(_algebra(where), text) is not None) is monotone


def test_a_delta_plan_keeps_each_pattern_and_what_it_reads():
    from lmakg.reasoning.delta import plan

    where = "?s a lma:Solvent ; lma:hasComponent ?o . ?o ?p ?x"
    body, patterns = plan(_algebra(where), f"WHERE {{ {where} }}")
    assert body.strip() == where
    assert sorted(patterns, key=str) == sorted([
        (("?s", f"<{RDF_TYPE}>", f"<{LMA_IRI}Solvent>"), frozenset({("type", LMA_IRI + "Solvent")})),
        (("?s", f"<{LMA_IRI}hasComponent>", "?o"), frozenset({("p", LMA_IRI + "hasComponent")})),
        (("?o", "?p", "?x"), None),
    ], key=str)
    assert plan(_algebra(where), f"WHERE {{ {where} }} LIMIT 5") is None  # a solution modifier after the clause


def test_reading_the_union_of_graphs_gives_the_same_closure_as_the_list(monkeypatch):
    """materialize writes perception's provenance after the rules, so they read the union of all graphs; a run
    whose provenance graph already holds something reads the list of graphs. Same closure and provenance."""
    from lmakg.chemistry.materialize import materialize
    from lmakg.knowledge.store import KnowledgeStore

    answers: list[bool] = []
    real = KnowledgeStore.holds_only
    monkeypatch.setattr(KnowledgeStore, "holds_only", lambda self, graphs: answers.append(real(self, graphs))
                        or answers[-1])
    rules = load_rules()
    store = open_store()
    load_knowledge(store)
    union = materialize(store, rules)
    assert answers == [True]
    union_graphs = [{tuple(map(str, t)) for t in store.triples(str(g))} for g in (INFERRED_GRAPH, PROVENANCE_GRAPH)]
    listed, listed_inferred, listed_provenance, _ = _run(store, rules, naive=False)  # perception writes first
    assert answers == [True, False]
    assert union_graphs == [listed_inferred, listed_provenance]
    assert (union.added, union.derivations) == (listed.added, listed.derivations)


def test_blank_node_keys_one_at_a_time_equal_the_query(knowledge):
    """provenance.blank_key (one node, from the triples around it) gives each blank node of the review the key
    blank-node-keys.rq gives it (the query a SPARQL server runs), so statement IRIs agree with the server's."""
    from lmakg.reasoning.provenance import blank_key, blank_keys, reasoning_graphs

    expected = blank_keys(knowledge)
    graphs = set(reasoning_graphs(knowledge))
    memo: dict = {}
    assert len(expected) > 200
    assert {node: blank_key(knowledge, node, graphs, memo) for node in expected} == expected
