"""The rule engine: the compiled rules (:mod:`lmakg.reasoning.rules`) run to a fixpoint, with provenance.

* Rules run in ``sh:order`` (then by IRI), repeated until an iteration adds nothing, with a hard cap.
  Inferred triples go to their own named graph; each firing is a ``lma:Derivation`` (PROV-O) in the
  provenance graph (:mod:`lmakg.reasoning.provenance`), naming the rule, the premises and the conclusion.
* Semi-naive at the level of rule firings: a solution already instantiated is skipped, so an incremental
  run over a closed graph only pays for what is new.
* Dependency-driven re-evaluation: after its first run in a call, a rule runs again only if a triple it can
  read (its predicates and ``rdf:type`` classes, :mod:`lmakg.reasoning.dependencies`) was added since, so
  most rules run once and the last, confirming iteration runs almost nothing (``naive=True`` re-runs all).
  A rule whose WHERE clause is a monotone join re-runs over the triples added since (semi-naive,
  :mod:`lmakg.reasoning.delta`), when they are few.
* Provenance is recorded from every solution a rule met in the call (on the closed graph, all of them).
* While the provenance graph is empty, the rules read the union of all graphs (Oxigraph answers it faster than
  the list of graphs they read otherwise; :func:`lmakg.chemistry.materialize.materialize` writes RDKit's
  derivations after the rules for this).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from lmakg.knowledge.store import KnowledgeStore
from lmakg.knowledge.vocab import INFERRED_GRAPH
from lmakg.reasoning.delta import Added, delta_solutions
from lmakg.reasoning.dependencies import Key, touches, written_keys
from lmakg.reasoning.gcpause import gc_paused
from lmakg.reasoning.provenance import (
    PROVENANCE_GRAPH,
    Instantiator,
    build_triple,
    reasoning_graphs,
    record_derivations,
)
from lmakg.reasoning.rules import Rule, RuleError, load_rules

#: store scheme -> the same inference run by that store itself (``sparql``: :mod:`lmakg.reasoning.update`)
REMOTE: dict[str, Callable[..., InferenceResult]] = {}


@dataclass
class InferenceResult:
    """What a run added: the number of inferred triples and derivations, iterations, and timing."""

    added: int
    derivations: int
    iterations: int
    seconds: float
    rules: int
    per_rule: dict[str, int] = field(default_factory=dict)
    seconds_per_rule: dict[str, float] = field(default_factory=dict)
    fired: dict[str, set[tuple[Any, ...]]] = field(default_factory=dict, repr=False)


@gc_paused()
def infer(
    store: KnowledgeStore,
    rules: list[Rule] | None = None,
    max_iterations: int = 25,
    record_provenance: bool = True,
    progress: Callable[[str], None] | None = None,
    incremental: bool = False,
    fired: dict[str, set[tuple[Any, ...]]] | None = None,
    clear: bool | None = None,
    naive: bool = False,
    delta_limit: int | None = None,
    provenance_for: Collection[str] | None = None,
) -> InferenceResult:
    """Run the rules to a fixpoint over the store; inferred triples replace the previous inferred graph.

    ``incremental`` keeps the inferred and provenance graphs of an earlier run and only adds what new
    asserted facts imply (derivations are recorded for the new rule firings only). It is what `lmakg
    predict` uses to judge a candidate against an already reasoned graph; it is exact for monotone
    additions such as a new species in its own design (tests/test_predict.py compares it with a full run).
    ``fired`` holds the rule solutions already instantiated on this store (:func:`rule_firings`, or the
    ``fired`` of an earlier result); they are skipped. ``clear`` (default: not ``incremental``) empties
    the inferred and provenance graphs first; :func:`materialize` clears them itself, before perception
    writes its own derivations.

    ``naive`` re-runs every rule in every iteration (the plain fixpoint the tests compare with); by default
    a rule re-runs only when a triple it can read (:mod:`lmakg.reasoning.dependencies`) was added since it
    last ran, which reaches the same fixpoint and provenance; a rule whose WHERE clause is a monotone join then
    re-runs over the triples added since (:mod:`lmakg.reasoning.delta`) when its patterns match few of them
    (``delta_limit``: at most that many added since; 0: always in full).

    ``provenance_for`` (embedded stores): record derivations only of conclusions with one of these predicates
    (:func:`record_derivations`); None: of all. For a caller that reads the derivations of a few predicates and
    undoes everything afterwards (screening's scratch pads); the conclusions are the same either way.

    Returns what was added. Raises :class:`RuleError` if the fixpoint is not reached in ``max_iterations``.
    """
    if getattr(store, "scheme", None) in REMOTE:  # a server store: the rules run there, as SPARQL Update
        return REMOTE[store.scheme](store, rules, max_iterations, record_provenance, progress, incremental, fired,
                                    clear)
    say = progress or (lambda _m: None)
    rules = load_rules() if rules is None else rules
    start = time.perf_counter()
    if (not incremental) if clear is None else clear:
        store.clear_graph(str(INFERRED_GRAPH))
        store.clear_graph(str(PROVENANCE_GRAPH))
    make = Instantiator(store)
    # the graphs rules read; None (the union of all graphs, which Oxigraph reads faster) when they are all there
    # is, as in a fresh run whose provenance is written after the fixpoint (chemistry.materialize)
    graphs: list[str] | None = reasoning_graphs(store)
    if store.holds_only(graphs):
        graphs = None
    # everything this call infers, while the inferred graph held nothing else (provenance then needs no lookups)
    inferred: set[tuple[Any, Any, Any]] | None = (
        set() if next(iter(store.triples(str(INFERRED_GRAPH))), None) is None else None)
    done = fired if fired is not None else {}
    mine: dict[str, set[tuple[Any, ...]]] = {r.id: set() for r in rules}
    names_of: dict[str, list[str]] = {}
    # rule id -> its solutions met in this call, each once: on the closed graph, all of them (what provenance records)
    found: dict[str, dict[tuple[Any, ...], None]] = {}
    log = Added(store.term_text)  # the triples this call added, in order
    since: dict[str, int] = {}  # rule id -> how much of the log was there when it last ran
    added_total = 0
    per_rule: dict[str, int] = {r.id: 0 for r in rules}
    timing: dict[str, float] = {r.id: 0.0 for r in rules}
    # rule id -> keys written since the rule last ran (None: it has not run yet in this call)
    pending: dict[str, set[Key] | None] = {r.id: None for r in rules}
    iterations = 0
    for iterations in range(1, max_iterations + 1):
        added = 0
        ran = 0
        for rule in rules:
            waiting = pending[rule.id]
            if not naive and waiting is not None and not touches(rule.reads, waiting):
                continue  # nothing it reads changed since it last ran: same solutions, all instantiated
            ran += 1
            began = time.perf_counter()
            rows = None
            if (not naive and waiting is not None and rule.delta is not None
                    and (delta_limit is None or len(log) - since[rule.id] <= delta_limit)):
                names = names_of[rule.id]
                header, body, patterns = rule.delta
                rows = delta_solutions(header, body, patterns, names, log, since[rule.id], waiting, store.is_blank,
                                       lambda query: store.solutions(query, graphs)[1])
                if rows is not None:
                    found[rule.id].update(dict.fromkeys(rows))
            if rows is None:
                names, rows = store.solutions(rule.select, graphs)
                found[rule.id] = dict.fromkeys(rows)
                names_of[rule.id] = names
            pending[rule.id] = set()
            since[rule.id] = len(log)
            old, seen = done.get(rule.id, ()), mine[rule.id]
            template = make.builders(rule.template, names)
            new: dict[tuple[Any, Any, Any], None] = {}
            for values in rows:
                # a solution met before already added its conclusions (the store only grows), so only
                # new solutions are instantiated: semi-naive evaluation at the level of rule firings
                if values in seen or values in old:
                    continue
                seen.add(values)
                for spec in template:
                    triple = build_triple(spec, values)
                    if triple is not None and triple not in new and not store.contains(*triple):
                        new[triple] = None
            if new:
                store.add_triples(list(new), str(INFERRED_GRAPH))
                log.extend(new)
                if inferred is not None:
                    inferred.update(new)
                added += len(new)
                per_rule[rule.id] += len(new)
                written = written_keys(new)
                for other in pending.values():
                    if other is not None:
                        other |= written
            timing[rule.id] += time.perf_counter() - began
        added_total += added
        say(f"iteration {iterations}: {added} new triples ({ran} rules run)")
        if added == 0:
            break
    else:
        raise RuleError(f"no fixpoint after {max_iterations} iterations; a rule keeps minting new nodes")
    began = time.perf_counter()
    derivations = 0
    if record_provenance:
        if incremental:  # the firings met for the first time: the earlier ones are recorded already
            firings = {r.id: (names_of[r.id], list(mine[r.id])) for r in rules}
            derivations = record_derivations(store, rules, make, rows_by_rule=firings, inferred_exactly=inferred,
                                             predicates=provenance_for)
        else:  # every solution met: after each rule's last run nothing it reads was added, so all of them
            every = {r.id: (names_of[r.id], list(found[r.id])) for r in rules}
            derivations = record_derivations(store, rules, make, rows_by_rule=every, inferred_exactly=inferred,
                                             predicates=provenance_for)
    timing["(provenance)"] = time.perf_counter() - began
    return InferenceResult(added_total, derivations, iterations, time.perf_counter() - start, len(rules), per_rule,
                           timing, fired=mine)


def rule_firings(store: KnowledgeStore, rules: list[Rule]) -> dict[str, set[tuple[Any, ...]]]:
    """Every solution of every rule on a closed graph: what an incremental run (``fired=``) may skip."""
    graphs = reasoning_graphs(store)
    return {rule.id: set(store.solutions(rule.select, graphs)[1]) for rule in rules}



def inferred_triples(store: KnowledgeStore) -> set[tuple[str, str, str]]:
    """The inferred graph as a set of N-Triples-like text tuples (for comparisons in tests)."""
    return {tuple(store.term_text(t) for t in triple) for triple in store.triples(str(INFERRED_GRAPH))}


