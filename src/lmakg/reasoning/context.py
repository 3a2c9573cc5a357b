"""Which of the rules' conclusions hold *in one design*: the test that keeps a conclusion about a component in one
formulation from being reported for the same species in another.

Why: a rule such as the HCE threshold or the diluent rule concludes about a species because of the design it
sits in (its concentration, its role). In the reasoned graph LiFSI acts through AnionRichSolvation because the
review's 4.6 M design uses it; that says nothing about 1 M LiFSI in DME. A conclusion holds in design D if one
of its derivations rests only on D, the species' own structure and the ontology: no premise about another design,
and every premise that is itself a rule's conclusion holding by the same test (cycles do not count).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from lmakg.knowledge.queries import engine_query, run_engine_query, with_values
from lmakg.knowledge.store import KnowledgeStore
from lmakg.knowledge.vocab import LMA_IRI, local_name

PREDICTED = {LMA_IRI + p for p in ("predictedMechanism", "predictedProduct", "predictedOutcome", "predictedRegime",
                                   "predictedSolvationStructure", "ruledOut", "predictedFamily")}
Triple = tuple[str, str, str]


def all_designs(store: KnowledgeStore) -> set[str]:
    return {row["design"].value for row in run_engine_query(store, "all-designs")}


def prefetch(store: KnowledgeStore, subjects: Iterable[str], cache: dict[str, list[dict[str, Any]]],
             predicates: Iterable[str] | None = None) -> None:
    """Fill ``cache`` (see :func:`holding`) for many subjects with one query instead of one per subject.
    ``predicates``: the ``predicates`` of the :func:`holding` calls the cache serves; only the derivations it can
    read are fetched then (of conclusions with those predicates or a predicted one; about half of a candidate's
    derivations are of its perceived features, elements and types, which it never reads)."""
    wanted = sorted({s for s in subjects if s and s not in cache})
    if not wanted:
        return
    for subject in wanted:
        cache[subject] = []
    values = {"cs": [f"<{s}>" for s in wanted]}
    if predicates is not None:
        values["cp"] = [f"<{p}>" for p in sorted(set(predicates) | PREDICTED)]
    for row in store.select(with_values(engine_query("conclusion-derivations"), values)):
        cache[row["cs"].value].append(row)


def holding(store: KnowledgeStore, design: str, subjects: Iterable[str], designs: set[str],
            predicates: Iterable[str] = (LMA_IRI + "predictedMechanism", LMA_IRI + "predictedProduct"),
            cache: dict[str, list[dict[str, Any]]] | None = None) -> dict[Triple, list[str]]:
    """The conclusions about ``subjects`` (with the given predicates) that hold in ``design``, each with the
    rules whose firings support it there. ``designs``: every design in the graph (:func:`all_designs`).
    ``cache``: derivation rows by subject, shared by calls over one unchanged graph (e.g. one batch of
    candidates after the rules ran): ions such as PF6- are shared by many candidates."""
    wanted = set(predicates)
    derivations: dict[Triple, list[tuple[str, list[Triple]]]] = defaultdict(list)
    premises: dict[str, set[Triple]] = defaultdict(set)
    rule_of: dict[str, str] = {}
    concludes: dict[str, set[Triple]] = defaultdict(set)  # one firing may conclude several triples
    for subject in {*subjects, design}:
        rows = cache.get(subject) if cache is not None else None
        if rows is None:
            rows = run_engine_query(store, "conclusion-derivations", cs=store.iri(subject))
            if cache is not None:
                cache[subject] = rows
        for row in rows:
            d = row["derivation"].value
            concludes[d].add((subject, row["cp"].value, row["co"].value))
            rule_of[d] = local_name(row["rule"].value) if "rule" in row else "perception"
            if "ps" in row:
                premises[d].add((row["ps"].value, row["pp"].value, row["po"].value))
    for d, triples in concludes.items():
        for triple in triples:
            derivations[triple].append((d, sorted(premises[d])))
    memo: dict[Triple, bool] = {}

    def premise_ok(p: Triple, seen: frozenset[Triple]) -> bool:
        if p[0] in designs and p[0] != design:
            return False
        return holds(p, seen) if p[1] in PREDICTED else True

    def holds(triple: Triple, seen: frozenset[Triple]) -> bool:
        if triple in memo:
            return memo[triple]
        if triple in seen:
            return False
        ok = any(all(premise_ok(p, seen | {triple}) for p in prem) for _d, prem in derivations.get(triple, []))
        memo[triple] = ok
        return ok

    out: dict[Triple, list[str]] = {}
    for triple, found in derivations.items():
        if triple[1] in wanted and triple[0] != design and holds(triple, frozenset()):
            out[triple] = sorted({rule_of[d] for d, prem in found
                                  if all(premise_ok(x, frozenset({triple})) for x in prem)})
    return out
