"""Predictor.judge hands :func:`lmakg.reasoning.context.holding` only the derivations that can hold in each
candidate's design (:func:`lmakg.chemistry.predict.by_design`): the answer must be the one ``holding`` gives
from every derivation in the graph, read afresh (its own queries, no cache), for every candidate of a batch
in which several designs share an ion the graph knows (Rb+, K+, Cs+, PF6-)."""

from __future__ import annotations

import pytest

import lmakg.chemistry.predict as P
from lmakg.chemistry.candidates import Candidate
from lmakg.knowledge.queries import run_engine_query

BATCH = [Candidate("[Rb+].F[P-](F)(F)(F)(F)F", name="RbPF6", role="salt", concentration=0.05),
         Candidate("[Rb+].F[P-](F)(F)(F)(F)F", name="RbPF6 dilute", role="salt", concentration=0.01),
         Candidate("[Rb+].[O-][N+](=O)[O-]", name="RbNO3", role="additive", concentration=0.1),
         Candidate("[K+].F[P-](F)(F)(F)(F)F", name="KPF6", role="salt", concentration=0.05),
         Candidate("[Cs+].F[P-](F)(F)(F)(F)F", name="CsPF6", role="salt", concentration=0.05),
         Candidate("O=C1OCC(F)O1", name="FEC", role="additive"),
         Candidate("FC(F)C(F)(F)COC(F)(F)C(F)F", name="HFE", role="diluent")]


@pytest.fixture(scope="module")
def predictor():
    from lmakg.hypotheses.joins import predictor

    return predictor()


def test_split_derivations_give_what_all_derivations_give(predictor, monkeypatch):
    real = P.holding
    calls = []

    def checked(store, design, subjects, designs, predicates, cache):
        given = real(store, design, subjects, designs, predicates=predicates, cache=cache)
        reference = real(store, design, subjects, designs, predicates=predicates)  # every derivation, read afresh
        everything = {s: run_engine_query(store, "conclusion-derivations", cs=store.iri(s))
                      for s in {*subjects, design}}
        calls.append((given, reference, sum(map(len, everything.values())), sum(map(len, cache.values()))))
        return given

    monkeypatch.setattr(P, "holding", checked)
    results = predictor.judge(BATCH, [f"t{i}-" for i in range(len(BATCH))])
    assert len(calls) == len(BATCH) and all("error" not in r for r in results)
    for given, reference, _rows, _kept in calls:
        assert given == reference
    # the split really leaves derivations out (the other Rb+ designs' Nernst potentials, the review's uses of
    # K+ and Cs+), and some conclusions hold in the candidates' own designs
    assert sum(kept for *_, kept in calls) < sum(rows for *_, rows, _ in calls)
    assert any(reference for _, reference, *_ in calls)
    nernst = [d["value"] for d in results[0]["derived"] if d["kind"] == "ReductionPotential"]
    assert nernst == [pytest.approx(-3.0570, abs=5e-4)]  # Rb+ at 0.05 M only (tests/chemistry/test_predict.py)
    assert "ElectrostaticShielding" in {m["id"] for m in results[0]["mechanisms"]}


# conclusion-derivations.rq as it was before premises about blank nodes were left out: every premise, one row each
EVERY_PREMISE = """SELECT ?derivation ?rule ?cs ?cp ?co ?ps ?pp ?po WHERE {
  ?conclusion rdf:subject ?cs ; rdf:predicate ?cp ; rdf:object ?co .
  ?derivation lma:conclusion ?conclusion .
  OPTIONAL { ?derivation lma:usedRule ?rule }
  OPTIONAL { ?derivation lma:premise ?premise . ?premise rdf:subject ?ps ; rdf:predicate ?pp ; rdf:object ?po . }
}"""


def test_premises_about_blank_nodes_left_out_change_no_answer(predictor, monkeypatch):
    """Three salts at 0.05 M: their concentration quantities are blank nodes alike in content, so they share one
    statement, and each Nernst derivation's concentration premise has one subject per alike node. The packaged
    query leaves those premises out (context.holding reads a premise about a blank node only when a rule
    concludes its predicate); holding must answer as it does from every premise."""
    from lmakg.knowledge.queries import with_values

    real = P.holding
    compared = []

    def checked(store, design, subjects, designs, predicates, cache):
        given = real(store, design, subjects, designs, predicates=predicates, cache=cache)
        every = {s: store.select(with_values(EVERY_PREMISE, {"cs": [f"<{s}>"]})) for s in {*subjects, design}}
        fewer = {s: run_engine_query(store, "conclusion-derivations", cs=store.iri(s)) for s in every}
        reference = real(store, design, subjects, designs, predicates=predicates, cache=every)
        compared.append((given == reference, sum(map(len, every.values())), sum(map(len, fewer.values()))))
        return given

    monkeypatch.setattr(P, "holding", checked)
    predictor.judge(BATCH, [f"b{i}-" for i in range(len(BATCH))])
    assert len(compared) == len(BATCH) and all(same for same, *_ in compared)
    assert sum(fewer for *_, fewer in compared) < sum(every for _, every, _ in compared)  # rows really left out


def test_the_batch_hypotheses_are_those_the_full_generator_gives(predictor, monkeypatch):
    """The predictor's hook (joins.JoinedHypotheses: only the hypotheses a candidate of the batch is a member of,
    without precedents and tests) reports what the full generator (joins.joined_hypotheses) gives: same ids,
    families and scores, candidate by candidate."""
    from lmakg.hypotheses.joins import joined_hypotheses

    hook = predictor.annotate
    compared = []

    def both(store, members, new_nodes):
        fast = hook(store, members, new_nodes)
        compared.append((fast, joined_hypotheses(store, members, new_nodes)))
        return fast

    monkeypatch.setattr(predictor, "annotate", both)
    predictor.judge(BATCH, [f"h{i}-" for i in range(len(BATCH))])
    (fast, full), = compared

    def by_id(lists):  # the report sorts them itself (predict.canonical_order)
        return [sorted(found, key=lambda h: h["id"]) for found in lists]

    assert by_id(fast) == by_id(full)
    assert any(h["score"] > 0 for found in full for h in found)
    assert sum(map(len, full)) > 0  # some candidates join hypotheses (Rb+ with the SEI-forming anions)


def test_a_judgement_without_explanations_records_only_the_derivations_it_reads(predictor, monkeypatch):
    """A batch judged without explanations records derivations only of the conclusions it reads
    (``predict.READ_PROVENANCE``): every result, hypotheses and their scores included, must be what recording every
    derivation gives. What is left out must really be left out: the class-hierarchy typing of the candidates
    (``subclass-typing`` concludes rdf:type, which no judgement reads) is recorded only when everything is, and
    RDKit's perceptions name as conclusions only their quantities (the F mass fraction, read for the report)."""
    from lmakg.reasoning.provenance import PROVENANCE_GRAPH

    store = predictor.store
    real_add = store.add_triples
    rules_written: list[set[str]] = [set()]
    perceived: list[set[str]] = [set()]  # predicates of what perceptions name as their conclusions

    def recording(triples, graph):
        triples = list(triples)
        if graph == str(PROVENANCE_GRAPH):
            rules_written[-1].update(o.value.rsplit("/", 1)[-1] for _s, p, o in triples
                                     if p.value.endswith("#usedRule"))
            by_rdkit = {s for s, p, _o in triples if p.value.endswith("#wasAssociatedWith")}
            predicate_of = {s: o.value for s, p, o in triples if p.value.endswith("#predicate")}
            perceived[-1].update(predicate_of[o].rsplit("#", 1)[-1] for s, p, o in triples
                                 if s in by_rdkit and p.value.endswith("#conclusion"))
        return real_add(triples, graph)

    monkeypatch.setattr(store, "add_triples", recording)
    tags = [f"r{i}-" for i in range(len(BATCH))]
    filtered = predictor.judge(BATCH, tags)
    rules_written.append(set())
    perceived.append(set())
    monkeypatch.setattr(P, "READ_PROVENANCE", None)
    full = predictor.judge(BATCH, tags)
    assert filtered == full
    assert any(r["hypotheses"] for r in full) and all("error" not in r for r in full)
    some, every = rules_written
    assert "subclass-typing" in every and "subclass-typing" not in some
    assert "nernst-potential" in some  # its hasQuantity conclusion is read (a potential holds in one design)
    assert some < every
    assert perceived[0] == {"hasQuantity"}
    assert {"containsElement", "hasFunctionalGroup", "charge", "hasElementCount", "hasQuantity"} <= perceived[1]
