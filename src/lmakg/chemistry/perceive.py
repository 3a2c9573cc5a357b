"""Perception: facts read off structures by RDKit, kept in their own named graph with provenance.

Why separate: a curated claim ("the review says FEC has a C-F bond") and a perceived one ("RDKit finds F
in FEC's SMILES") are different kinds of evidence. Perceived triples go to the ``perceived`` graph; the
SMILES (or repeat unit, or composition) of each species is the premise of one lma:Derivation whose agent is
RDKit (a prov:SoftwareAgent labelled "perceived by RDKit <version>"), so `lmakg why` can show where a fact
came from.

What is perceived, for every structure of the graph:

- lma:hasFunctionalGroup: the features of ontology/features.ttl whose SMARTS match (SMILES and repeat units);
- lma:containsElement: the elements, where declared in the ontology (also from compositions);
- for a discrete species (lma:smiles): its composition as lma:ElementCount nodes (lma:element,
  lma:elementSymbol, lma:atomCount) and its net formal charge (lma:charge);
- the F mass fraction of an F-containing SMILES or repeat unit, as a lma:QuantityValue (kind
  lma:MassFraction, lma:element lma:F, unit %), from the composition and standard atomic weights.

Provenance: every triple that links a species to a perceived value (feature, element, count node, charge,
quantity) is a conclusion (rdf:Statement) of the species' RDKit derivation; the triples that describe a
count or quantity node are covered by ``node prov:wasGeneratedBy derivation`` (one triple per node rather
than one reified statement per triple, which would triple the size of the provenance graph).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection
from typing import Any

from lmakg.chemistry import structures as chem
from lmakg.knowledge.formula import hill_formula
from lmakg.knowledge.queries import run_engine_query
from lmakg.knowledge.store import KnowledgeStore
from lmakg.knowledge.vocab import GRAPH, LMA_IRI, PREFIXES
from lmakg.reasoning.gcpause import gc_paused
from lmakg.reasoning.provenance import DERIVATION_NS, PROVENANCE_GRAPH, digest, reify

PERCEIVED_GRAPH = GRAPH["perceived"]
AGENT_IRI = "https://w3id.org/lmakg/agent/rdkit"
PERCEIVED_NS = "https://w3id.org/lmakg/perceived/"
XSD = "http://www.w3.org/2001/XMLSchema#"
QUDT = "http://qudt.org/schema/qudt/"
PERCENT = "http://qudt.org/vocab/unit/PERCENT"
SOURCE_PREDICATE = {"smiles": "smiles", "repeat": "repeatUnitSmiles", "composition": "composition"}


@gc_paused()
def perceive(store: KnowledgeStore, subjects: set[str] | None = None,
             provenance_to: list[tuple[Any, Any, Any]] | None = None,
             provenance_for: Collection[str] | None = None) -> int:
    """Assert what RDKit perceives for every species with a structure; return the perceived triples added.

    With ``subjects`` (species IRIs), only those are perceived and the perceived graph is added to rather
    than rebuilt: how `lmakg predict` perceives a candidate on an already perceived graph. With
    ``provenance_to``, the provenance triples are appended to that list for the caller to write to the
    provenance graph (:func:`lmakg.chemistry.materialize.materialize` writes them after the rules).
    ``provenance_for``: name as conclusions of a perception only facts with these predicates (all facts are
    asserted; as :func:`lmakg.reasoning.engine.infer`'s, for a screen's scratch pad, which reads no other).
    """

    if subjects is None:
        store.clear_graph(str(PERCEIVED_GRAPH))
    declared = {row["element"].value for row in run_engine_query(store, "declared-elements")}
    patterns = {row["group"].value: row["smarts"].value for row in run_engine_query(store, "feature-patterns")}
    version = chem.rdkit_version()
    # the same few IRIs and literals (symbols, counts, charges, methods), many times
    iri, lit = functools.lru_cache(maxsize=None)(store.iri), functools.lru_cache(maxsize=None)(store.literal)
    rdf, prov = PREFIXES["rdf"], PREFIXES["prov"]
    rdf_type, generated_by = iri(rdf + "type"), iri(prov + "wasGeneratedBy")
    agent = iri(AGENT_IRI)
    facts: list[tuple[Any, Any, Any]] = []
    provenance: list[tuple[Any, Any, Any]] = [
        (agent, rdf_type, iri(prov + "SoftwareAgent")),
        (agent, iri(PREFIXES["rdfs"] + "label"), lit(f"perceived by RDKit {version}")),
        (agent, iri("https://schema.org/softwareVersion"), lit(version)),
    ]
    method = f"perceived by RDKit {version} from the structure (standard atomic weights of its periodic table)"

    texts: dict[Any, str] = {}  # term -> its text in a statement's hash

    def statement(triple: tuple[Any, Any, Any]) -> Any:
        node, _key, description = reify(store, triple, texts=texts)
        provenance.extend(description)
        return node

    perceived: dict[str, Any] = {}
    for row in run_engine_query(store, "structures"):
        species, text, kind = row["species"].value, row["text"].value, row["kind"].value
        if subjects is not None and species not in subjects:
            continue
        try:
            if kind == "composition":
                symbols, seen = chem.elements_of_composition(text), None
            else:
                seen = perceived.get(text)
                if seen is None:  # the same structure in many designs is perceived once
                    seen = perceived[text] = chem.perceive_smiles(text, patterns)
                symbols = set(seen.composition)
        except chem.ChemistryError:
            continue  # validation reports unparsable SMILES; perception just skips them
        subject = iri(species)
        premise = statement((subject, iri(LMA_IRI + SOURCE_PREDICATE[kind]), lit(text)))
        derivation = iri(DERIVATION_NS + digest("rdkit", store.term_text(premise)))
        provenance.extend(((derivation, rdf_type, iri(LMA_IRI + "Derivation")),
                           (derivation, iri(prov + "wasAssociatedWith"), agent),
                           (derivation, iri(LMA_IRI + "premise"), premise)))

        def conclude(predicate: str, value: Any, derivation: Any = derivation, subject: Any = subject) -> None:
            triple = (subject, iri(LMA_IRI + predicate), value)
            facts.append(triple)
            if provenance_for is None or LMA_IRI + predicate in provenance_for:
                provenance.append((derivation, iri(LMA_IRI + "conclusion"), statement(triple)))

        def describe(node: Any, pairs: list[tuple[str, Any]], derivation: Any = derivation) -> None:
            facts.extend((node, iri(p), v) for p, v in pairs)
            provenance.append((node, generated_by, derivation))

        for symbol in sorted(symbols):
            if LMA_IRI + symbol in declared:
                conclude("containsElement", iri(LMA_IRI + symbol))
        if seen is None:
            continue
        for group in sorted(seen.features):
            conclude("hasFunctionalGroup", iri(group))
        if kind == "smiles":
            conclude("charge", lit(str(seen.charge), XSD + "integer"))
            _element_counts(species, seen.composition, declared, iri, lit, conclude, describe)
        if seen.composition.get("F"):
            _fluorine_fraction(species, kind, text, seen.composition, method, version, iri, lit, conclude, describe)
    store.add_triples(facts, str(PERCEIVED_GRAPH))
    if provenance_to is not None:
        provenance_to.extend(provenance)
    else:
        store.add_triples(provenance, str(PROVENANCE_GRAPH))
    return len(set(facts))


def _element_counts(species: str, counts: dict[str, int], declared: set[str], iri: Callable[[str], Any],
                    lit: Callable[..., Any], conclude: Callable[[str, Any], None],
                    describe: Callable[[Any, list[tuple[str, Any]]], None]) -> None:
    """One lma:ElementCount per element of the formula unit."""
    for symbol, count in counts.items():
        node = iri(f"{PERCEIVED_NS}element-count/{digest(species, symbol)}")
        conclude("hasElementCount", node)
        pairs = [(PREFIXES["rdf"] + "type", iri(LMA_IRI + "ElementCount")),
                 (LMA_IRI + "elementSymbol", lit(symbol)),
                 (LMA_IRI + "atomCount", lit(str(count), XSD + "integer"))]
        if LMA_IRI + symbol in declared:
            pairs.append((LMA_IRI + "element", iri(LMA_IRI + symbol)))
        describe(node, pairs)


def _fluorine_fraction(species: str, kind: str, text: str, counts: dict[str, int], method: str, version: str,
                       iri: Callable[[str], Any], lit: Callable[..., Any], conclude: Callable[[str, Any], None],
                       describe: Callable[[Any, list[tuple[str, Any]]], None]) -> None:
    """The F mass fraction (4.1: F sources are chosen by it, e.g. 76 % for -(CF2)n- [116]) in percent."""
    percent = 100 * chem.mass_fraction_of(counts, "F")
    node = iri(f"{PERCEIVED_NS}mass-fraction/{digest(species, 'F', text)}")
    conclude("hasQuantity", node)
    scope = "per repeat unit (end groups neglected)" if kind == "repeat" else "of the formula unit"
    describe(node, [
        (PREFIXES["rdf"] + "type", iri(LMA_IRI + "QuantityValue")),
        (LMA_IRI + "quantityKind", iri(LMA_IRI + "MassFraction")),
        (LMA_IRI + "element", iri(LMA_IRI + "F")),
        (QUDT + "numericValue", lit(f"{percent:.2f}", XSD + "decimal")),
        (QUDT + "unit", iri(PERCENT)),
        (LMA_IRI + "condition", lit(f"F mass fraction {scope}, from the composition {hill_formula(counts)}")),
        (LMA_IRI + "method", lit(method)),
        (LMA_IRI + "externalSource", lit(f"RDKit {version} (computed from the structure, not stated in the review)")),
    ])


def disagreements(store: KnowledgeStore) -> list[str]:
    """Every curated claim about a structure that perception contradicts, one line each, sorted:
    a curated functional group (with a SMARTS) or element that RDKit does not find in the structure, or a
    curated charge that differs from the perceived formal charge. Curation may name fewer groups than
    perception finds (the review names what matters); naming one the structure lacks is a disagreement."""
    from lmakg.knowledge.vocab import local_name

    lines = []
    for row in run_engine_query(store, "perception-disagreements"):
        line = f"{local_name(row['species'].value)}: curated {row['what'].value} {_text(row['curated'])}"
        if "perceived" in row:
            line += f", perceived {_text(row['perceived'])}"
        else:
            line += ", not perceived"
        lines.append(line)
    return sorted(set(lines))


def _text(term: Any) -> str:
    from lmakg.knowledge.vocab import local_name

    return local_name(term.value) if term.kind == "uri" else term.value
