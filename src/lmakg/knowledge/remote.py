"""A SPARQL 1.1 server as a read-only store: ``--store sparql:QUERY_URL`` (``#update=UPDATE_URL`` names the update
endpoint where it differs; the fragment is never sent).

Every read goes to the server through the SPARQL 1.1 Protocol (HTTP POST, form-encoded), and the answer is parsed
with pyoxigraph's own result and RDF parsers, so every command that reads a store (``query``, ``sparql``, ``show``,
``why``, ``hypotheses``, ``predict``/``assess`` — the last two copy the graph into memory) works unchanged. lmakg's
prefixes are declared in each query (a server knows none of them), and pre-bound variables become a ``VALUES``
clause (a pre-bound blank node gives no rows: a server's blank node names nothing in the next request, so
details reached only through a blank node, such as a quantity's structured conditions, are not shown). The
default graph is the server's (lmakg's endpoint and Virtuoso: the union of all graphs; start Oxigraph
server with ``--union-default-graph``). Credentials come from the environment (``LMAKG_SPARQL_USER`` and
``LMAKG_SPARQL_PASSWORD``, HTTP basic), never from the command line.

Writing (``build``, ``add``, ``remove``, ``infer`` to a server) is not available in this version: those
commands refuse a ``sparql:`` store with one line.
"""

from __future__ import annotations

import base64
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from typing import Any

import pyoxigraph as ox

from lmakg.knowledge.queries import with_values
from lmakg.knowledge.store import BACKENDS, KnowledgeStore, QuerySyntaxError, StoreError
from lmakg.knowledge.terms import _to_ox
from lmakg.knowledge.vocab import PREFIXES

TIMEOUT = float(os.environ.get("LMAKG_SPARQL_TIMEOUT", "60"))
RESULTS_JSON = "application/sparql-results+json"
DECLARED = re.compile(r"^\s*PREFIX\s+([A-Za-z][\w.-]*)?:", re.IGNORECASE | re.MULTILINE)


class RemoteStore(KnowledgeStore):
    """A :class:`KnowledgeStore` whose reads are SPARQL Protocol requests to a server."""

    def __init__(self, location: str) -> None:
        query_url, _sep, fragment = location.partition("#")
        if not re.match(r"^https?://", query_url):
            raise StoreError(f"sparql:{location}: give the server's query URL, e.g. sparql:http://127.0.0.1:7878/sparql")
        super().__init__(ox.Store(), f"sparql:{query_url}")
        self.query_url = query_url
        self.update_url = urllib.parse.parse_qs(fragment).get("update", [query_url])[0]

    # -- reading ---------------------------------------------------------------------------------------
    def _request(self, text: str, graphs: list[str] | None) -> tuple[str, bytes]:
        fields = [("query", text)] + [("default-graph-uri", g) for g in graphs or ()]
        request = urllib.request.Request(self.query_url, data=urllib.parse.urlencode(fields).encode("utf-8"),
                                         headers={"Accept": f"{RESULTS_JSON}, application/n-triples;q=0.9",
                                                  "Content-Type": "application/x-www-form-urlencoded"})
        user, password = os.environ.get("LMAKG_SPARQL_USER"), os.environ.get("LMAKG_SPARQL_PASSWORD", "")
        if user:
            token = base64.b64encode(f"{user}:{password}".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                return response.headers.get("Content-Type", ""), response.read()
        except urllib.error.HTTPError as exc:
            body = exc.read().decode("utf-8", errors="replace").strip().splitlines()
            message = f"the SPARQL server at {self.query_url} answered {exc.code}: {(body or [exc.reason])[0][:200]}"
            raise (QuerySyntaxError if exc.code == 400 else StoreError)(message) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise StoreError(f"cannot reach the SPARQL server at {self.query_url}: {reason}") from None

    def _text(self, sparql: str, bindings: Mapping[str, Any] | None) -> str:
        declared = {m.group(1) or "" for m in DECLARED.finditer(sparql)}
        header = "".join(f"PREFIX {k}: <{v}>\n" for k, v in PREFIXES.items() if k not in declared)
        if bindings:
            try:
                sparql = with_values(sparql, {k: [str(_to_ox(v))] for k, v in bindings.items()})
            except ValueError:
                raise StoreError("a query with pre-bound variables needs a WHERE clause") from None
        return header + sparql

    def _run(self, sparql: str, bindings: Mapping[str, Any] | None, graphs: list[str] | None) -> Any:
        if bindings and any(isinstance(_to_ox(v), ox.BlankNode) for v in bindings.values()):
            # a blank node a server returned names nothing in the next request (SPARQL 1.1 Protocol): no rows
            return ox.parse_query_results('{"head": {"vars": []}, "results": {"bindings": []}}',
                                          format=ox.QueryResultsFormat.JSON)
        content_type, body = self._request(self._text(sparql, bindings), graphs)
        try:
            if "sparql-results+json" in content_type:
                return ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
            return list(ox.parse(body, format=ox.RdfFormat.N_TRIPLES))
        except (SyntaxError, ValueError) as exc:
            raise StoreError(f"the SPARQL server at {self.query_url} sent an answer lmakg cannot read "
                             f"({content_type or 'no content type'}): {exc}") from None

    def named_graphs(self) -> list[str]:
        return sorted(r["g"].value for r in self.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"))

    def contains(self, s: Any, p: Any, o: Any, graph: str | None = None) -> bool:
        pattern = f"{_to_ox(s)} {_to_ox(p)} {_to_ox(o)}"
        return self.ask(f"ASK {{ GRAPH <{graph}> {{ {pattern} }} }}" if graph else f"ASK {{ {pattern} }}")

    def _quads(self, graph: str | None) -> Iterator[ox.Quad]:
        where = f"GRAPH <{graph}> {{ ?s ?p ?o }} BIND(<{graph}> AS ?g)" if graph else "GRAPH ?g { ?s ?p ?o }"
        for row in self._run(f"SELECT ?s ?p ?o ?g WHERE {{ {where} }}", None, None):
            yield ox.Quad(row["s"], row["p"], row["o"], row["g"])

    def triples(self, graph: str | None = None) -> Iterator[tuple[Any, Any, Any]]:
        for quad in self._quads(graph):
            yield quad.subject, quad.predicate, quad.object

    def dump(self, fmt: str, graph: str | None = None) -> bytes:
        if fmt != "nquads":
            raise StoreError(f"a sparql: store is dumped as N-Quads only, not {fmt}")
        return ox.serialize(list(self._quads(graph)), format=ox.RdfFormat.N_QUADS)

    # -- writing: not in this version ---------------------------------------------------------------
    def _refuse(self, *_args: Any, **_kwargs: Any) -> Any:
        raise StoreError(f"the store {self.location} is read-only in this version: build or change the graph in a "
                         f"folder (lmakg build --store DIR) and load it into the server")

    load_file = load_turtle = load_data = load_dataset = bulk_load_ntriples = _refuse
    clear_graph = remove_graph = update = add_triples = remove_node = backup = scratch = _refuse

    def flush(self) -> None:
        return None


BACKENDS["sparql"] = RemoteStore
