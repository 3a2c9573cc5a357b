"""Namespaces and the vocabulary terms the engine refers to.

Why a DefinedNamespace: code that says ``LMA.actsThrough`` fails at import-time-of-use if the term is
misspelled (rdflib raises AttributeError for terms not declared here), and ``tests/test_vocab.py`` checks
that every term declared here exists in ``ontology/lmakg.ttl``. Knowledge itself stays in the Turtle files.
"""

from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import DefinedNamespace

LMA_IRI = "https://w3id.org/lmakg/ontology#"
LMK_IRI = "https://w3id.org/lmakg/kg/"
GRAPH_IRI = "https://w3id.org/lmakg/graph/"


class LMA(DefinedNamespace):
    """Terms of the lmakg ontology used by the engine."""

    _NS = Namespace(LMA_IRI)
    _fail = True

    # classes
    ChemicalSpecies: URIRef
    Molecule: URIRef
    Ion: URIRef
    Cation: URIRef
    Anion: URIRef
    Salt: URIRef
    Polymer: URIRef
    Design: URIRef
    Component: URIRef
    Mechanism: URIRef
    MechanismFamily: URIRef
    InterphaseComponent: URIRef
    QuantityValue: URIRef
    QuantityKind: URIRef
    Reference: URIRef
    ReviewSection: URIRef
    Principle: URIRef
    PerspectiveDirection: URIRef
    TradeOff: URIRef
    Placement: URIRef
    DesignMove: URIRef
    MoveExample: URIRef
    # properties
    inSection: URIRef
    citesReference: URIRef
    externalSource: URIRef
    smiles: URIRef
    inchiKey: URIRef
    repeatUnitSmiles: URIRef
    composition: URIRef
    charge: URIRef
    hasIon: URIRef
    hasComponent: URIRef
    species: URIRef
    placement: URIRef
    actsThrough: URIRef
    forms: URIRef
    hasQuantity: URIRef
    quantityKind: URIRef
    sectionNumber: URIRef
    referenceNumber: URIRef
    broaderMechanism: URIRef
    limits: URIRef
    statement: URIRef
    reactionSmarts: URIRef
    appliesAtEverySite: URIRef
    hasExample: URIRef
    exampleFrom: URIRef
    exampleTo: URIRef


LMK = Namespace(LMK_IRI)
GRAPH = Namespace(GRAPH_IRI)

# Named graphs of the store: asserted knowledge is kept apart from the ontology, from inferences
# (issue: reasoning) and from each user's additions.
ONTOLOGY_GRAPH = GRAPH["ontology"]
ASSERTED_GRAPH = GRAPH["asserted"]
CURATOR_GRAPH = GRAPH["curator"]  # kg/curator/*.ttl: the curator's inferences, kept apart from the review's claims
INFERRED_GRAPH = GRAPH["inferred"]
RULES_GRAPH = GRAPH["rules"]
USER_GRAPHS = GRAPH_IRI + "user/"  # `lmakg add` puts each addition in USER_GRAPHS + NAME: the user's claims


def user_graph_name(graph: str) -> str | None:
    """NAME of a user's addition graph (``.../graph/user/NAME``), or None for any other graph."""
    return graph.removeprefix(USER_GRAPHS) if graph.startswith(USER_GRAPHS) else None

PREFIXES: dict[str, str] = {
    "lma": LMA_IRI,
    "lmk": LMK_IRI,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "qudt": "http://qudt.org/schema/qudt/",
    "unit": "http://qudt.org/vocab/unit/",
    "lmu": "https://w3id.org/lmakg/unit/",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "bibo": "http://purl.org/ontology/bibo/",
    "sh": "http://www.w3.org/ns/shacl#",
    "lmr": "https://w3id.org/lmakg/rules/",
    "lmf": "https://w3id.org/lmakg/function#",
}


def shorten(iri: str) -> str:
    """Write an IRI as a prefixed name when one of :data:`PREFIXES` matches.

    >>> shorten("https://w3id.org/lmakg/ontology#LiF")
    'lma:LiF'
    """
    best = ""
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(ns) > len(PREFIXES.get(best, "")):
            best = prefix
    if best:
        return f"{best}:{iri[len(PREFIXES[best]):]}"
    return iri


def local_name(iri: str) -> str:
    """The part of an IRI after its last '#' or '/'.

    >>> local_name("https://w3id.org/lmakg/ontology#ElectrostaticShielding")
    'ElectrostaticShielding'
    """
    for sep in ("#", "/"):
        if sep in iri:
            iri = iri.rsplit(sep, 1)[1]
    return iri
