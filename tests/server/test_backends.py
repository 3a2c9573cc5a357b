"""Server stores (issue 12): `lmakg build` to an Oxigraph server runs the rules there as SPARQL Update and must
give the embedded engine's inferred and provenance graphs, term by term (blank nodes compared as blank).

Server URLs come from `.ci/services.sh env` (LMAKG_TEST_*); the tests skip without them unless
LMAKG_REQUIRE_SERVERS=1, where their absence fails."""

from __future__ import annotations

import collections
import os

import pyoxigraph as ox
import pytest

from lmakg.cli import app
from lmakg.knowledge.store import open_store
from lmakg.knowledge.vocab import INFERRED_GRAPH
from lmakg.reasoning.provenance import PROVENANCE_GRAPH


def _selector(name: str) -> str:
    value = os.environ.get(f"LMAKG_TEST_{name}_SELECTOR")
    if not value:
        if os.environ.get("LMAKG_REQUIRE_SERVERS") == "1":
            pytest.fail(f"LMAKG_TEST_{name}_SELECTOR is not set (run `eval \"$(.ci/services.sh env)\"`)")
        pytest.skip(f"no {name.lower()} server (LMAKG_TEST_{name}_SELECTOR)")
    return value


@pytest.fixture(scope="module")
def oxigraph_built() -> str:
    from typer.testing import CliRunner

    selector = _selector("OXIGRAPH")
    result = CliRunner().invoke(app, ["build", "--no-artifacts", "--store", selector])
    assert result.exit_code == 0, result.output
    return selector


def _graph(store, graph: str) -> collections.Counter:
    return collections.Counter(tuple("_:" if isinstance(x, ox.BlankNode) else str(x) for x in t)
                               for t in store.triples(graph))


def test_rules_on_the_server_give_the_embedded_inferred_and_provenance_graphs(oxigraph_built, knowledge):
    server = open_store(oxigraph_built)
    for graph in (str(INFERRED_GRAPH), str(PROVENANCE_GRAPH)):
        embedded, remote = _graph(knowledge, graph), _graph(server, graph)
        assert sum(embedded.values()) > 1000
        assert remote == embedded, (graph, list((embedded - remote).items())[:3], list((remote - embedded).items())[:3])


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
