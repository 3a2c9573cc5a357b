"""The engine's vocabulary constants match the ontology, and typos fail loudly."""

from __future__ import annotations

import pytest
from rdflib import Graph, URIRef

from lmakg.knowledge.vocab import LMA, local_name, shorten
from lmakg.reasoning.owl import ontology_files


def test_every_engine_term_is_declared_in_the_ontology():
    graph = Graph()
    for path in ontology_files():
        graph.parse(path, format="turtle")
    declared = {s for s in graph.subjects() if isinstance(s, URIRef)}
    missing = [name for name in LMA.__annotations__ if URIRef(str(LMA._NS) + name) not in declared]
    assert not missing


def test_misspelled_term_fails():
    with pytest.raises(AttributeError):
        _ = LMA.actThrough


def test_shorten_and_local_name():
    assert shorten("https://w3id.org/lmakg/kg/FEC") == "lmk:FEC"
    assert shorten("http://example.org/x") == "http://example.org/x"
    assert local_name("https://w3id.org/lmakg/kg/design-FEC-additive") == "design-FEC-additive"
