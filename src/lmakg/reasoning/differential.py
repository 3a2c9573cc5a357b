"""Differential checks: independent executors must agree with the rule engine.

* pySHACL runs the same ``rules/*.ttl`` (SHACL-AF) over the same input (ontology, curated graph, rules
  graph, RDKit-perceived facts). pySHACL iterates the rules of one shape to a fixpoint but does not
  revisit earlier shapes, so it is called repeatedly until a pass adds nothing - the same fixpoint
  semantics as lmakg's engine. Blank nodes are skolemised to IRIs on both sides so triples compare exactly.
* HermiT (owlready2) classifies lma:MultiFamilySpecies from the OWL definition (lmakg.reasoning.owl).
"""

from __future__ import annotations

import re
from typing import Any

from lmakg.knowledge import resources
from lmakg.knowledge.store import KnowledgeStore
from lmakg.knowledge.vocab import GRAPH, INFERRED_GRAPH

_BNODE = re.compile(r"(^|\s)_:([A-Za-z0-9]+)")


def _skolemise(ntriples: str) -> str:
    return "\n".join(_BNODE.sub(lambda m: f"{m.group(1)}<urn:bnode:{m.group(2)}>", line)
                     for line in ntriples.splitlines())


def _graph(store: KnowledgeStore, names: list[str]) -> Any:
    from rdflib import Graph

    graph = Graph()
    for name in names:
        graph.parse(data=_skolemise(store.dump("ntriples", graph=str(GRAPH[name])).decode("utf-8")), format="nt")
    return graph


def pyshacl_closure(store: KnowledgeStore, max_passes: int = 20) -> tuple[set[Any], set[Any]]:
    """(triples pySHACL infers, triples the engine inferred), both skolemised, for a materialised store."""
    from pyshacl import shacl_rules
    from rdflib import Graph

    from lmakg.knowledge.functions import register_with_rdflib

    register_with_rdflib()
    data = _graph(store, ["ontology", "asserted", "curator", "rules", "perceived"])
    before = set(data)
    shapes = Graph()
    for path in resources.turtle_files("rules"):
        shapes.parse(path, format="turtle")
    for _ in range(max_passes):
        size = len(data)
        shacl_rules(data, shacl_graph=shapes, advanced=True, iterate_rules=True, inplace=True)
        if len(data) == size:
            break
    else:
        raise RuntimeError(f"pySHACL did not reach a fixpoint in {max_passes} passes")
    engine = set(_graph(store, [str(INFERRED_GRAPH).rsplit("/", 1)[-1]]))
    return set(data) - before, engine
