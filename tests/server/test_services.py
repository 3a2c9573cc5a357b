"""The SPARQL servers CI starts with `.ci/services.sh start` answer queries and accept SPARQL Update.

Skipped unless the environment names them (`eval "$(.ci/services.sh env)"`). Each test writes one triple into a
graph of its own, reads it back through the query endpoint and drops the graph again.
"""

from __future__ import annotations

import json
import os
import urllib.parse
import urllib.request
import uuid

import pytest

SERVERS = {
    "oxigraph": ("LMAKG_TEST_OXIGRAPH_QUERY", "LMAKG_TEST_OXIGRAPH_UPDATE", None),
    "virtuoso": ("LMAKG_TEST_VIRTUOSO_QUERY", "LMAKG_TEST_VIRTUOSO_UPDATE", "LMAKG_TEST_VIRTUOSO"),
}


def endpoints(name: str) -> tuple[str, str, tuple[str, str] | None]:
    query_var, update_var, credentials = SERVERS[name]
    if not os.environ.get(query_var) or not os.environ.get(update_var):
        pytest.skip(f"{query_var}/{update_var} not set (eval \"$(.ci/services.sh env)\")")
    auth = None
    if credentials and os.environ.get(credentials + "_USER"):
        auth = (os.environ[credentials + "_USER"], os.environ[credentials + "_PASSWORD"])
    return os.environ[query_var], os.environ[update_var], auth


def opener(url: str, auth: tuple[str, str] | None) -> urllib.request.OpenerDirector:
    if auth is None:
        return urllib.request.build_opener()
    passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    passwords.add_password(None, url, *auth)
    return urllib.request.build_opener(urllib.request.HTTPDigestAuthHandler(passwords))


def update(url: str, text: str, auth: tuple[str, str] | None) -> None:
    body = urllib.parse.urlencode({"update": text}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    with opener(url, auth).open(request, timeout=30) as response:
        assert response.status in (200, 204)


def select(url: str, text: str) -> list[dict[str, str]]:
    body = urllib.parse.urlencode({"query": text}).encode()
    request = urllib.request.Request(url, data=body, headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        rows = json.load(response)["results"]["bindings"]
    return [{k: v["value"] for k, v in row.items()} for row in rows]


@pytest.mark.parametrize("name", sorted(SERVERS))
def test_server_round_trip(name):
    query_url, update_url, auth = endpoints(name)
    graph = f"urn:lmakg:test:{uuid.uuid4()}"
    update(update_url, f'INSERT DATA {{ GRAPH <{graph}> {{ <urn:lmakg:s> <urn:lmakg:p> "Li+ é"@en }} }}', auth)
    try:
        rows = select(query_url, f"SELECT ?o WHERE {{ GRAPH <{graph}> {{ <urn:lmakg:s> <urn:lmakg:p> ?o }} }}")
        assert rows == [{"o": "Li+ é"}]
        # INSERT ... WHERE with USING, the form the sparql: backend's rules take
        update(update_url, f"INSERT {{ GRAPH <{graph}> {{ ?s <urn:lmakg:q> ?o }} }} USING <{graph}> "
                           f"WHERE {{ ?s <urn:lmakg:p> ?o }}", auth)
        rows = select(query_url, f"SELECT ?o WHERE {{ GRAPH <{graph}> {{ <urn:lmakg:s> <urn:lmakg:q> ?o }} }}")
        assert rows == [{"o": "Li+ é"}]
    finally:
        update(update_url, f"DROP SILENT GRAPH <{graph}>", auth)
    assert select(query_url, f"SELECT * WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}") == []


def test_virtuoso_refuses_anonymous_update_on_the_authenticated_endpoint():
    _, update_url, auth = endpoints("virtuoso")
    if auth is None:
        pytest.skip("no Virtuoso credentials in the environment")
    with pytest.raises(urllib.error.HTTPError) as error:
        update(update_url, "INSERT DATA { GRAPH <urn:lmakg:test:anon> { <urn:a> <urn:b> <urn:c> } }", None)
    assert error.value.code == 401
