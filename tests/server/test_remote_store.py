"""`--store sparql:QUERY_URL` (issue: scale): a SPARQL 1.1 server as a read-only store. The server here is lmakg's
own endpoint over the packaged graph, so every answer can be compared with the same query on the local store."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lmakg.cli import app
from lmakg.knowledge.queries import get_query
from lmakg.knowledge.remote import RemoteStore
from lmakg.knowledge.store import KnowledgeStore, StoreError, open_store
from lmakg.server.app import start_server


@pytest.fixture(scope="module")
def endpoint(knowledge: KnowledgeStore) -> Any:
    srv = start_server(knowledge=knowledge, port=0, workers=1, max_results=1_000_000, timeout=60).start_in_thread()
    yield f"sparql:{srv.url.rstrip('/')}/sparql"
    srv.shutdown()


def _value(text: str) -> str:
    """GROUP_CONCAT's order is not defined by SPARQL (the server holds its own copy): compare the parts sorted."""
    for separator in (", ", " + "):
        if separator in text:
            return separator.join(sorted(text.split(separator)))
    return text


def _rows(rows: list[dict[str, Any]]) -> list[tuple[tuple[str, str], ...]]:
    return sorted(tuple(sorted((k, _value(v.value)) for k, v in row.items() if v.kind != "bnode")) for row in rows)


def test_the_scheme_opens_a_remote_store(endpoint):
    store = open_store(endpoint + "#update=http://127.0.0.1:1/update")
    assert isinstance(store, RemoteStore)
    assert store.update_url == "http://127.0.0.1:1/update" and "#" not in store.query_url


@pytest.mark.parametrize("name", ["designs-by-mechanism", "shielding-cations", "most-cited-references",
                                  "multi-family-designs", "coulombic-efficiency-99"])
def test_named_queries_answer_as_on_the_local_store(endpoint, knowledge, name):
    remote = open_store(endpoint)
    query = get_query(name).text
    assert _rows(remote.select(query)) == _rows(knowledge.select(query))


def test_bindings_and_prefixes_reach_the_server(endpoint, knowledge):
    remote = open_store(endpoint)
    query = "SELECT ?label WHERE { ?s rdfs:label ?label }"
    fec = remote.select(query, bindings={"s": "<https://w3id.org/lmakg/kg/FEC>"})
    assert _rows(fec) == [(("label", "fluoroethylene carbonate"),)]
    assert remote.ask("ASK { lmk:FEC a lma:ChemicalSpecies }")
    assert set(remote.named_graphs()) == set(knowledge.named_graphs())


def test_show_and_why_through_the_server(endpoint, runner):
    local = json.loads(runner.invoke(app, ["show", "FEC", "--json"]).output)
    remote = runner.invoke(app, ["show", "FEC", "--json", "--store", endpoint])
    assert remote.exit_code == 0, remote.output
    shown = json.loads(remote.output)
    for key in ("mechanisms", "designs", "references", "smiles"):
        assert shown[key] == local[key], key
    why = runner.invoke(app, ["why", "FEC", "ReactiveSEIFormation", "--store", endpoint])
    assert why.exit_code == 0 and "design-FEC-additive" in why.output


def test_writing_to_a_server_is_refused_in_one_line(endpoint, runner, tmp_path):
    for command in (["build", "--no-artifacts"], ["infer"]):
        result = runner.invoke(app, [*command, "--store", endpoint])
        assert result.exit_code == 1
        assert "read-only" in result.output and len(result.output.strip().splitlines()) == 1, result.output


def test_a_server_that_is_down_is_one_line_naming_the_url(runner):
    result = runner.invoke(app, ["show", "FEC", "--store", "sparql:http://127.0.0.1:9/sparql"])
    assert result.exit_code == 1
    assert result.output.strip() == ("error: cannot reach the SPARQL server at http://127.0.0.1:9/sparql: "
                                     "[Errno 111] Connection refused")


def test_a_bad_url_is_refused():
    with pytest.raises(StoreError, match="query URL"):
        open_store("sparql:ftp://example.org/sparql")
