"""Load the knowledge files (ontology, curated graph, rules) into a store, each into its named graph.

No validation here (:mod:`lmakg.curation.validate` does that) and no reasoning (:mod:`lmakg.reasoning`):
this is the bottom layer's one job, used by every command that starts from the packaged files.
"""

from __future__ import annotations

from pathlib import Path

from lmakg.knowledge import resources
from lmakg.knowledge.resources import knowledge_files
from lmakg.knowledge.store import KnowledgeStore
from lmakg.knowledge.vocab import ASSERTED_GRAPH, CURATOR_GRAPH, ONTOLOGY_GRAPH, RULES_GRAPH


def graph_for(path: Path) -> str:
    """The named graph a knowledge file is loaded into: the ontology's, the curator's (``kg/curator/``) or
    the asserted one."""
    if path.parent.name == "curator":
        return str(CURATOR_GRAPH)
    return str(ONTOLOGY_GRAPH) if path.parent.name == "ontology" else str(ASSERTED_GRAPH)


def load_knowledge(store: KnowledgeStore, files: list[Path] | None = None, rules: bool = True) -> None:
    """Load the ontology and curated graph files into their named graphs (no validation), and the rule
    modules into the rules graph, so SPARQL can ask about rules (e.g. which cite section 4.1)."""
    for path in files if files is not None else knowledge_files():
        store.load_file(path, graph_for(path))
    if rules:
        for path in resources.turtle_files("rules"):
            store.load_file(path, str(RULES_GRAPH))
