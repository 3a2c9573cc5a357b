"""The endpoint's protocol pieces without a server: content negotiation, the SERVICE/LOAD guard, FROM
detection, and the worker's query execution (row cap, formats) on a three-triple store."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

from lmakg.server.protocol import (
    GRAPH_OFFERS,
    RESULT_OFFERS,
    declares_dataset,
    format_override,
    is_deterministic,
    negotiate,
    remote_operations,
)
from lmakg.server.querypool import Task, execute


@pytest.mark.parametrize(("accept", "expected"), [
    (None, "json"),
    ("", "json"),
    ("*/*", "json"),
    ("application/sparql-results+xml", "xml"),
    ("text/*", "csv"),  # the first text/* format the endpoint offers
    ("text/csv;q=0.5, text/tab-separated-values", "tsv"),
    # the specific q=0 excludes JSON although */* would accept it (RFC 9110: most specific range wins)
    ("application/sparql-results+json;q=0, */*;q=0.1", "xml"),
    ("garbage, text/csv", "csv"),
    ("text/csv;q=banana, application/sparql-results+xml;q=0.1", "xml"),
    ("image/png", None),
    ("text/turtle", None),
])
def test_negotiate_results(accept: str | None, expected: str | None) -> None:
    assert negotiate(accept, RESULT_OFFERS) == expected


@pytest.mark.parametrize(("accept", "expected"), [
    (None, "turtle"),
    ("application/ld+json", "jsonld"),
    ("application/n-triples, text/turtle;q=0.9", "ntriples"),
    ("application/rdf+xml", "rdfxml"),
    ("text/csv", None),
])
def test_negotiate_graphs(accept: str | None, expected: str | None) -> None:
    assert negotiate(accept, GRAPH_OFFERS) == expected


def test_format_parameter() -> None:
    assert format_override({"format": ["json"]}) == "json"
    assert format_override({"output": ["text/csv"]}) == "csv"
    assert format_override({"format": ["json-ld"]}) == "jsonld"
    assert format_override({"format": ["klingon"]}) is None
    assert format_override({}) is None


@pytest.mark.parametrize(("text", "found"), [
    ("SELECT * { SERVICE <http://x/sparql> { ?s ?p ?o } }", ["SERVICE"]),
    ("select * { service silent <http://x/sparql> { ?s ?p ?o } }", ["SERVICE"]),
    ("LOAD <http://x/data.ttl>", ["LOAD"]),
    ("load silent <http://x/d.ttl> into graph <http://g>", ["LOAD"]),
    ("SELECT * { ?s ?p ?o .SERVICE <http://x> {} }", ["SERVICE"]),
    ("SELECT * { FILTER(?a < ?b) SERVICE <http://x> {} FILTER(?c > 1) }", ["SERVICE"]),  # '<' is not an IRI
    ("SELECT * { <http://x/#frag> ?p ?o SERVICE <http://x> {} }", ["SERVICE"]),  # '#' in an IRI: no comment
    ('SELECT * { ?s ?p "#" SERVICE <http://x> {} }', ["SERVICE"]),  # '#' in a string: no comment
    ('SELECT * { ?s ?p "a\\\\" SERVICE <http://x> {} }', ["SERVICE"]),  # the string ends at the 2nd quote
    ('SELECT * { ?s ?p "unterminated SERVICE <http://x> {} }', ["SERVICE"]),  # conservative
    ("SELECT * { ?s ex:a.service ?o }", ["SERVICE"]),  # conservative: a dotted local name
    ("SELECT ?service ?load { ?service ?p $load }", []),
    ("SELECT * { ?s ex:service ?o . ?s service:x ?o . ?s ?p _:load }", []),
    ('SELECT * { ?s ?p "SERVICE <http://x> {}" , \'LOAD <x>\' , "x"@load }', []),
    ('SELECT * { ?s ?p """a " SERVICE <x> {} "" """ , \'\'\'it\'s LOAD\'\'\' }', []),
    ('SELECT * { ?s ?p "a\\" SERVICE <x>" }', []),  # an escaped quote does not end the string
    ("SELECT * { <http://example.org/SERVICE> ?p ?o } # SERVICE <http://x> {}\n", []),
])
def test_remote_operations(text: str, found: list[str]) -> None:
    assert remote_operations(text) == found


@pytest.mark.parametrize(("text", "declares"), [
    ("SELECT * FROM <http://g> { ?s ?p ?o }", True),
    ("select * from named <http://g> { graph ?g { ?s ?p ?o } }", True),
    ("SELECT * FROM lmg:asserted { ?s ?p ?o }", True),
    ("SELECT ?from { ?from ?p ?o }", False),
    ('SELECT * { ?s ?p "FROM <http://g>" }', False),
    ("SELECT * { ?s ?p ?o } # FROM <http://g>\n", False),
])
def test_declares_dataset(text: str, declares: bool) -> None:
    assert declares_dataset(text) is declares


def test_volatile_functions_are_not_deterministic() -> None:
    assert is_deterministic("SELECT * { ?s ?p ?o }")
    assert not is_deterministic("SELECT (now() AS ?t) {}")
    assert not is_deterministic("SELECT (STRUUID() AS ?u) {}")
    assert is_deterministic('SELECT ?rand { ?rand ?p "RAND()" }')


@pytest.fixture()
def tiny() -> ox.Store:
    store = ox.Store()
    g = ox.NamedNode("https://w3id.org/lmakg/graph/asserted")
    for n in range(3):
        store.add(ox.Quad(ox.NamedNode(f"http://e/s{n}"), ox.NamedNode("http://e/p"), ox.Literal(f"é{n}\t"), g))
    return store


def test_row_cap_is_exact(tiny: ox.Store) -> None:
    query = "SELECT ?s ?o { ?s ?p ?o }"
    assert execute(tiny, Task("query", query, max_results=3)).status == 200
    refused = execute(tiny, Task("query", query, max_results=2))
    assert refused.status == 422 and b"more than 2 rows" in refused.body
    construct = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    assert execute(tiny, Task("query", construct, max_results=3)).status == 200
    assert execute(tiny, Task("query", construct, max_results=2)).status == 422


def test_terms_survive_the_row_count(tiny: ox.Store) -> None:
    """Rows are counted, then serialised by pyoxigraph from TSV: literals with tabs and non-ASCII
    characters, and unbound variables, must come out as the store holds them."""
    reply = execute(tiny, Task("query", "SELECT ?s ?o ?none { ?s ?p ?o } ORDER BY ?s"))
    assert reply.status == 200
    rows = json.loads(reply.body)["results"]["bindings"]
    assert [r["o"]["value"] for r in rows] == ["é0\t", "é1\t", "é2\t"]
    assert all("none" not in r for r in rows)


def test_union_default_graph_and_protocol_dataset(tiny: ox.Store) -> None:
    ask = "ASK { <http://e/s0> ?p ?o }"
    assert json.loads(execute(tiny, Task("query", ask)).body)["boolean"] is True
    assert json.loads(execute(tiny, Task("query", ask, union_default=False)).body)["boolean"] is False
    other = Task("query", ask, default_graphs=("http://e/other",), named_graphs=())
    assert json.loads(execute(tiny, other).body)["boolean"] is False


def test_errors_are_replies_not_exceptions(tiny: ox.Store) -> None:
    reply = execute(tiny, Task("query", "SELECT ?x {"))
    assert reply.status == 400 and reply.body.startswith(b"malformed SPARQL query: ")
    assert execute(tiny, Task("query", "SELECT ?s { ?s ?p ?o }", results_format=None)).status == 406
