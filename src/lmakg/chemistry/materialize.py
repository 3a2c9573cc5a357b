"""The closed graph: RDKit perception, then the rules to a fixpoint; and the store a command reads.

Why here, in the chemistry layer: perceiving structures needs RDKit (:mod:`lmakg.chemistry.perceive`), and
the rules need what perception writes (features, elements, charges), so the closed graph is the first
thing that needs both layers below. Commands that only read (``sparql``, ``show``, ``stats``) use
:func:`open_knowledge`: the persistent store when ``--store`` is given, otherwise an in-memory store loaded
straight from the packaged Turtle files (fast, no SHACL run) and reasoned over.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from lmakg.chemistry.perceive import perceive
from lmakg.knowledge.load import load_knowledge
from lmakg.knowledge.store import KnowledgeStore, open_store
from lmakg.knowledge.vocab import INFERRED_GRAPH
from lmakg.reasoning.engine import InferenceResult, infer
from lmakg.reasoning.gcpause import gc_paused
from lmakg.reasoning.provenance import PROVENANCE_GRAPH
from lmakg.reasoning.rules import Rule


@gc_paused()
def materialize(store: KnowledgeStore, rules: list[Rule] | None = None,
                progress: Callable[[str], None] | None = None) -> InferenceResult:
    """Perceive structures (RDKit) and run the rules to a fixpoint: what `lmakg infer` does.

    Perception's provenance is written after the rules: while the provenance graph is empty the rules read the
    union of all graphs, which Oxigraph answers faster than a list of graphs (:func:`lmakg.reasoning.engine.infer`).
    """
    say = progress or (lambda _m: None)
    store.clear_graph(str(INFERRED_GRAPH))
    store.clear_graph(str(PROVENANCE_GRAPH))
    provenance: list[tuple[Any, Any, Any]] = []
    perceived = perceive(store, provenance_to=provenance)
    say(f"perceived {perceived} facts with RDKit (features, elements, charges, F fractions)")
    result = infer(store, rules, progress=progress, clear=False)
    store.add_triples(provenance, str(PROVENANCE_GRAPH))
    return result


def open_knowledge(store_location: str | None = None, reason: bool = True) -> KnowledgeStore:
    """The store a read-only command should use (see module docstring).

    In memory, the rules are run too (``reason``) so derived values and predictions are there.
    """
    if store_location:
        return open_store(f"oxigraph:{store_location}" if ":" not in store_location or
                          Path(store_location).exists() else store_location, read_only=True)
    store = open_store("oxigraph:")
    load_knowledge(store)
    if reason:
        materialize(store)
    return store
