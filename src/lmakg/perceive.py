"""Perception: facts read off structures by RDKit, kept in their own named graph with provenance.

Why separate: a curated claim ("the review says FEC has a C-F bond") and a perceived one ("RDKit finds F
in FEC's SMILES") are different kinds of evidence. Perceived triples go to the ``perceived`` graph, each
with a lma:Derivation whose agent is RDKit (name and version) and whose premise is the SMILES or
composition it was read from, so `lmakg why` can show where a fact came from.

It perceives the elements a species contains (lma:containsElement; only elements declared in the ontology)
and the structural features of ontology/features.ttl (lma:hasFunctionalGroup, by SMARTS), for every SMILES
and polymer repeat unit.
"""

from __future__ import annotations

import hashlib
from typing import Any

from lmakg import chem
from lmakg.queries import run_engine_query
from lmakg.store import KnowledgeStore
from lmakg.vocab import GRAPH, LMA_IRI, PREFIXES

PERCEIVED_GRAPH = GRAPH["perceived"]
AGENT_IRI = "https://w3id.org/lmakg/agent/rdkit"


def perceive(store: KnowledgeStore) -> int:
    """Assert elements and features for every species with a structure; return triples added."""
    from lmakg.reason import DERIVATION_NS, PROVENANCE_GRAPH, STATEMENT_NS

    store.clear_graph(str(PERCEIVED_GRAPH))
    declared = {row["element"].value for row in run_engine_query(store, "declared-elements")}
    patterns = {row["group"].value: row["smarts"].value for row in run_engine_query(store, "feature-patterns")}
    has_group = store.iri(LMA_IRI + "hasFunctionalGroup")
    rdf = PREFIXES["rdf"]
    contains = store.iri(LMA_IRI + "containsElement")
    agent = store.iri(AGENT_IRI)
    version = chem.rdkit_version()
    facts: list[tuple[Any, Any, Any]] = []
    provenance: list[tuple[Any, Any, Any]] = []
    provenance += [
        (agent, store.iri(rdf + "type"), store.iri(PREFIXES["prov"] + "SoftwareAgent")),
        (agent, store.iri(PREFIXES["rdfs"] + "label"), store.literal(f"perceived by RDKit {version}")),
    ]
    for row in run_engine_query(store, "structures"):
        species = row["species"]
        text = row["text"].value
        kind = row["kind"].value
        try:
            symbols = chem.elements_of_smiles(text) if kind != "composition" else chem.elements_of_composition(text)
            features = chem.matches(text, patterns) if kind != "composition" else set()
        except chem.ChemistryError:
            continue  # validation reports unparsable SMILES; perception just skips them
        source_pred = store.iri(LMA_IRI + {"smiles": "smiles", "repeat": "repeatUnitSmiles"}.get(kind, "composition"))
        subject = store.iri(species.value)
        premise = _statement(store, (subject, source_pred, store.literal(text)), provenance, STATEMENT_NS)
        found = [(contains, LMA_IRI + s) for s in sorted(symbols) if LMA_IRI + s in declared]
        found += [(has_group, g) for g in sorted(features)]
        for predicate, value in found:
            triple = (subject, predicate, store.iri(value))
            facts.append(triple)
            conclusion = _statement(store, triple, provenance, STATEMENT_NS)
            node = store.iri(DERIVATION_NS + hashlib.sha1(f"rdkit|{conclusion}|{premise}".encode()).hexdigest()[:20])
            provenance += [
                (node, store.iri(rdf + "type"), store.iri(LMA_IRI + "Derivation")),
                (node, store.iri(PREFIXES["prov"] + "wasAssociatedWith"), agent),
                (node, store.iri(LMA_IRI + "conclusion"), conclusion),
                (node, store.iri(LMA_IRI + "premise"), premise),
            ]
    store.add_triples(facts, str(PERCEIVED_GRAPH))
    store.add_triples(provenance, str(PROVENANCE_GRAPH))
    return len(set(facts))


def _statement(store: KnowledgeStore, triple: tuple[Any, Any, Any], sink: list[tuple[Any, Any, Any]],
               namespace: str) -> Any:
    rdf = PREFIXES["rdf"]
    text = " ".join(store.term_text(t) for t in triple)
    node = store.iri(namespace + hashlib.sha1(text.encode("utf-8")).hexdigest()[:20])
    sink += [(node, store.iri(rdf + "type"), store.iri(rdf + "Statement")),
             (node, store.iri(rdf + "subject"), triple[0]),
             (node, store.iri(rdf + "predicate"), triple[1]),
             (node, store.iri(rdf + "object"), triple[2])]
    return node
