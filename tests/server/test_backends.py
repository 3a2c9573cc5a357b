"""Server stores (issue 12): `lmakg build` to a SPARQL server runs the rules there as SPARQL Update and must reach
the embedded engine's graphs: the same inferred graph and the same derivations (rule, premises, conclusions).

On a server that keeps literals as written (Oxigraph) every graph, the provenance graph included, is equal term
by term, so even the content-hashed derivation and statement IRIs are the embedded ones. Virtuoso stores typed
literals by value (see ``value_of`` in conftest.py): its graphs are compared by value, and its derivations by
content, since a hash of "9"^^xsd:integer is not one of "9"^^xsd:decimal. Values are read as STR()+DATATYPE():
Virtuoso 7 writes doubles in results with 6 significant digits (openlink/virtuoso-opensource#1006).

Server URLs come from `.ci/services.sh env` (LMAKG_TEST_*); the tests skip without them unless
LMAKG_REQUIRE_SERVERS=1, where their absence fails."""

from __future__ import annotations

import collections

import pytest

from lmakg.cli import app
from lmakg.knowledge.store import open_store
from lmakg.reasoning.provenance import PROVENANCE_GRAPH

KEEPS_LITERALS_AS_WRITTEN = {"oxigraph": True, "virtuoso": False}

TRIPLES = """SELECT ?s ?p ?o (STR(?o) AS ?text) (DATATYPE(?o) AS ?datatype) (LANG(?o) AS ?language)
WHERE { GRAPH <GRAPH> { ?s ?p ?o } }"""

DERIVATIONS = f"""SELECT ?d ?rule ?role ?s ?p ?o (STR(?o) AS ?text) (DATATYPE(?o) AS ?datatype) (LANG(?o) AS ?language)
WHERE {{ GRAPH <{PROVENANCE_GRAPH}> {{ ?d lma:usedRule ?rule ; ?role ?st .
           ?st rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o }}
         FILTER(?role IN (lma:premise, lma:conclusion)) }}"""


def _triple(row, value_of, as_written: bool) -> tuple:
    def term(name: str) -> tuple:
        t = row[name]
        if t.kind != "literal":
            return value_of(t.kind, t.value)
        text = row["text"].value
        datatype = row["datatype"].value if "datatype" in row else None
        language = row["language"].value if "language" in row else None
        return ("literal", text, datatype, language) if as_written else value_of("literal", text, datatype, language)

    return term("s"), term("p"), term("o")


def _graph(store, graph: str, value_of, as_written: bool) -> collections.Counter:
    rows = store.select(TRIPLES.replace("<GRAPH>", f"<{graph}>"))
    return collections.Counter(_triple(r, value_of, as_written) for r in rows)


def _derivations(store, value_of) -> set[tuple]:
    """Each derivation as (rule, premises, conclusions), terms by value and blank nodes as blank: what it says,
    not the hash that names it."""
    found: dict[str, tuple[str, set, set]] = {}
    for row in store.select(DERIVATIONS):
        entry = found.setdefault(row["d"].value, (row["rule"].value, set(), set()))
        entry[1 if row["role"].value.endswith("premise") else 2].add(_triple(row, value_of, False))
    return {(rule, frozenset(premises), frozenset(conclusions)) for rule, premises, conclusions in found.values()}


@pytest.mark.parametrize("name", sorted(KEEPS_LITERALS_AS_WRITTEN))
def test_rules_on_the_server_give_the_embedded_graphs(name, store_of, knowledge, value_of):
    server = open_store(store_of(name))
    as_written = KEEPS_LITERALS_AS_WRITTEN[name]
    assert set(server.named_graphs()) == set(knowledge.named_graphs())
    for graph in knowledge.named_graphs():
        if graph == str(PROVENANCE_GRAPH) and not as_written:
            continue  # compared by content below
        embedded, remote = _graph(knowledge, graph, value_of, as_written), _graph(server, graph, value_of, as_written)
        assert remote == embedded, (graph, list((embedded - remote).items())[:3], list((remote - embedded).items())[:3])
    embedded, remote = _derivations(knowledge, value_of), _derivations(server, value_of)
    assert len(embedded) > 1000
    assert remote == embedded, (len(embedded - remote), len(remote - embedded), sorted(embedded - remote)[:1])


def test_a_sparql_store_without_update_url_refuses_to_build(runner):
    result = runner.invoke(app, ["build", "--no-artifacts", "--store", "sparql:http://127.0.0.1:9/query"])
    assert result.exit_code == 1 and "read-only" in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output


def test_an_unknown_scheme_is_an_error(runner):
    result = runner.invoke(app, ["build", "--no-artifacts", "--store", "fuseki:http://127.0.0.1:9/ds"])
    assert result.exit_code != 0 and "unknown store scheme" in result.output


def test_a_server_that_is_down_is_one_line_naming_the_url(runner):
    result = runner.invoke(app, ["build", "--no-artifacts", "--store",
                                 "sparql:http://127.0.0.1:9/query#update=http://127.0.0.1:9/update"])
    assert result.exit_code == 1 and "http://127.0.0.1:9/" in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
