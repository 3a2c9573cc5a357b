"""A SPARQL 1.1 server as a store: ``--store sparql:QUERY_URL`` (read-only) or
``--store "sparql:QUERY_URL#update=UPDATE_URL"`` (writable; the fragment is never sent).

Every read goes to the server through the SPARQL 1.1 Protocol (HTTP POST, form-encoded), and the answer is parsed
with pyoxigraph's own result and RDF parsers, so every command that reads a store (``query``, ``sparql``, ``show``,
``why``, ``hypotheses``, ``predict``/``assess`` — the last two copy the graph into memory) works unchanged. lmakg's
prefixes are declared in each query (a server knows none of them), and pre-bound variables become a ``VALUES``
clause (a pre-bound blank node gives no rows: a server's blank node names nothing in the next request, so
details reached only through a blank node, such as a quantity's structured conditions, are not shown). A
query reads the union of the server's named graphs, named in the request (``default-graph-uri``); with ``union=1``
in the fragment (``#update=URL&union=1``) it names none and relies on the server's default graph being that union
(Virtuoso's is, with its own system graphs; one request's worth of graph names less, and Virtuoso 7.2 answers
property paths wrongly under several ``FROM`` graphs).

Credentials come from the environment, never from the command line: ``LMAKG_SPARQL_USER`` and
``LMAKG_SPARQL_PASSWORD`` (HTTP basic or digest, whichever the server asks for), or ``LMAKG_SPARQL_TOKEN``
(``Authorization: Bearer``). ``LMAKG_SPARQL_TIMEOUT`` (seconds, default 300) bounds each request.

Writing (``build``, ``add``, ``remove``, ``infer``) needs the update endpoint (``#update=``) and is done by
:mod:`lmakg.knowledge.remote_write` (SPARQL Update in batches, changes staged in private graphs and switched in
by one request); without it every writer refuses the store in one line.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from typing import Any

import pyoxigraph as ox

from lmakg.knowledge.queries import with_values
from lmakg.knowledge.remote_write import STAGING
from lmakg.knowledge.store import BACKENDS, KnowledgeStore, QuerySyntaxError, StoreError
from lmakg.knowledge.terms import _to_ox
from lmakg.knowledge.vocab import PREFIXES

RESULTS_JSON = "application/sparql-results+json"
DECLARED = re.compile(r"^\s*PREFIX\s+([A-Za-z][\w.-]*)?:", re.IGNORECASE | re.MULTILINE)
# A server's own bookkeeping graphs, never part of the knowledge (Virtuoso 7: its RDF views, the LDP vocabulary,
# the description of its /sparql service and its WebDAV folders).
SYSTEM_GRAPHS = re.compile(r"^(http://www\.openlinksw\.com/schemas/virtrdf#|http://www\.w3\.org/ns/ldp#"
                           r"|http://localuriqaserver/sparql|http://localhost:8890/(sparql|DAV/.*))$")
GRAPH_KEYWORD = re.compile(r"\bGRAPH\b", re.IGNORECASE)
IRI_OR_STRING = re.compile(r'<[^<>"{}|^`\\\s]*>|"(?:[^"\\]|\\.)*"|#[^\n]*')  # where "graph" is no keyword
LABEL_OK = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


def _label(value: str) -> str:
    """A blank node label N-Triples accepts, one to one (Virtuoso answers ``nodeID://b10890``)."""
    return value if LABEL_OK.match(value) and not value.endswith(".") and "_" not in value else \
        "".join(c if c.isascii() and c.isalnum() else f"_{ord(c):x}_" for c in value)


def _bnode_labels(body: bytes) -> bytes:
    """SPARQL JSON results with every blank node label made one pyoxigraph accepts."""
    if b'"bnode"' not in body:
        return body
    data = json.loads(body)
    for row in data.get("results", {}).get("bindings", []):
        for value in row.values():
            if value.get("type") == "bnode":
                value["value"] = _label(value["value"])
    return json.dumps(data).encode("utf-8")


def timeout() -> float:
    return float(os.environ.get("LMAKG_SPARQL_TIMEOUT", "300"))


def _opener(urls: list[str]) -> urllib.request.OpenerDirector:
    """An opener answering a server's basic or digest challenge with the credentials of the environment."""
    handlers: list[Any] = []
    user = os.environ.get("LMAKG_SPARQL_USER")
    if user:
        passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        for url in urls:
            passwords.add_password(None, url, user, os.environ.get("LMAKG_SPARQL_PASSWORD", ""))
        handlers += [urllib.request.HTTPDigestAuthHandler(passwords), urllib.request.HTTPBasicAuthHandler(passwords)]
    return urllib.request.build_opener(*handlers)


class RemoteStore(KnowledgeStore):
    """A :class:`KnowledgeStore` whose reads (and, with an update URL, writes) are SPARQL Protocol requests."""

    scheme = "sparql"

    def __init__(self, location: str) -> None:
        query_url, _sep, fragment = location.partition("#")
        if not re.match(r"^https?://", query_url):
            raise StoreError(f"sparql:{location}: give the server's query URL, e.g. sparql:http://127.0.0.1:7878/query")
        super().__init__(ox.Store(), f"sparql:{query_url}")
        self.query_url = query_url
        options = urllib.parse.parse_qs(fragment)
        update = options.get("update", [None])[0]
        self.union = options.get("union", ["0"])[0] in ("1", "true", "yes")
        self._graphs: list[str] | None = None
        if update is not None and not re.match(r"^https?://", update):
            raise StoreError(f"sparql:{location}: the update URL must be http(s), e.g. #update=http://HOST/update")
        self.writable = update is not None
        self.update_url = update or query_url
        self.selector = f"sparql:{location}"
        self.token: str | None = None  # set while changes are staged (see remote_write.staged)
        self.staged: set[str] = set()  # while staging: the graphs written so far, each in a private copy
        self.live: list[str] = []  # while staging: the live graphs when it began (no one else writes them)
        self.filled: set[str] = set()  # while staging: the copies written to since they were made or cleared

    # -- graph names while staging -------------------------------------------------------------------
    def graph_name(self, graph: str) -> str:
        """The server-side name a read of one of lmakg's graphs uses: its private copy once a staged change
        has written to it, else the live graph."""
        return f"{STAGING}{self.token}:{graph}" if self.token and graph in self.staged else graph

    def write_name(self, graph: str) -> str:
        """The server-side name a write to a graph uses: while staging, its private copy, made (copied from the
        live graph) on the first write."""
        if self.token and graph not in self.staged:
            self._writer().stage(self, graph, copy=True)
        if self.token:
            self.filled.add(graph)
        return self.graph_name(graph)

    def _staged_graphs(self) -> list[str]:
        prefix = f"{STAGING}{self.token}:"
        return [g for g in self._all_graphs() if g.startswith(prefix)]

    # -- HTTP ------------------------------------------------------------------------------------------
    def post(self, url: str, fields: list[tuple[str, str]], accept: str = "*/*") -> tuple[str, bytes]:
        """One SPARQL Protocol request; errors are one line naming the URL."""
        request = urllib.request.Request(url, data=urllib.parse.urlencode(fields).encode("utf-8"),
                                         headers={"Accept": accept,
                                                  "Content-Type": "application/x-www-form-urlencoded"})
        token = os.environ.get("LMAKG_SPARQL_TOKEN")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            # a new opener per request: urllib's digest handler counts challenges across requests and gives up
            with _opener([self.query_url, self.update_url]).open(request, timeout=timeout()) as response:
                return response.headers.get("Content-Type", ""), response.read()
        except urllib.error.HTTPError as exc:
            body = exc.read().decode("utf-8", errors="replace").strip().splitlines()
            message = f"the SPARQL server at {url} answered {exc.code}: {(body or [exc.reason])[0][:300]}"
            if exc.code in (401, 403):
                message += " (credentials: LMAKG_SPARQL_USER/LMAKG_SPARQL_PASSWORD or LMAKG_SPARQL_TOKEN)"
            raise (QuerySyntaxError if exc.code == 400 else StoreError)(message) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise StoreError(f"cannot reach the SPARQL server at {url}: {reason}") from None

    def header(self, sparql: str) -> str:
        """lmakg's prefixes the text does not declare itself."""
        declared = {m.group(1) or "" for m in DECLARED.finditer(sparql)}
        return "".join(f"PREFIX {k}: <{v}>\n" for k, v in PREFIXES.items() if k not in declared)

    # -- reading ---------------------------------------------------------------------------------------
    def _text(self, sparql: str, bindings: Mapping[str, Any] | None) -> str:
        if bindings:
            try:
                sparql = with_values(sparql, {k: [str(_to_ox(v))] for k, v in bindings.items()})
            except ValueError:
                raise StoreError("a query with pre-bound variables needs a WHERE clause") from None
        return self.header(sparql) + sparql

    def _run(self, sparql: str, bindings: Mapping[str, Any] | None, graphs: list[str] | None) -> Any:
        if bindings and any(isinstance(_to_ox(v), ox.BlankNode) for v in bindings.values()):
            # a blank node a server returned names nothing in the next request (SPARQL 1.1 Protocol): no rows
            return ox.parse_query_results('{"head": {"vars": []}, "results": {"bindings": []}}',
                                          format=ox.QueryResultsFormat.JSON)
        # the Protocol's dataset has only the named graphs listed: list them for a query that names graphs
        wants_named = GRAPH_KEYWORD.search(IRI_OR_STRING.sub(" ", sparql)) is not None
        named = self._dataset_graphs() if graphs is None or wants_named else []
        if graphs is not None:
            graphs = [self.graph_name(g) for g in graphs]
        elif self.token or not self.union:  # the union of lmakg's graphs (SPARQL's default graph is the server's)
            graphs = named or [self.graph_name("urn:lmakg:empty")]
        fields = [("query", self._text(sparql, bindings))] + [("default-graph-uri", g) for g in graphs or ()]
        if wants_named:
            fields += [("named-graph-uri", g) for g in named]
        content_type, body = self.post(self.query_url, fields, f"{RESULTS_JSON}, application/n-triples;q=0.9")
        try:
            if "sparql-results+json" in content_type:
                return ox.parse_query_results(_bnode_labels(body), format=ox.QueryResultsFormat.JSON)
            return list(ox.parse(body, format=ox.RdfFormat.N_TRIPLES))
        except (SyntaxError, ValueError) as exc:
            raise StoreError(f"the SPARQL server at {self.query_url} sent an answer lmakg cannot read "
                             f"({content_type or 'no content type'}): {exc}") from None

    def _dataset_graphs(self) -> list[str]:
        """The server-side names of the graphs a query reads: the staged copies while staging, else the live
        graphs (none with ``union=1``: the server's own default graph and named graphs are used)."""
        if self.token:
            return [self.graph_name(g) for g in self.named_graphs()]
        if self.union:
            return []
        if self._graphs is None:
            self._graphs = self.named_graphs()
        return self._graphs

    def _all_graphs(self) -> list[str]:
        """The server's named graphs (not its own system graphs). Asked as the graphs of the dataset
        (``GRAPH ?g {}``: Oxigraph answers from its list of graphs, where scanning the quads took 0.35 s on the
        review graph); a server that lists none that way (Virtuoso 7) is asked for the graphs holding a triple,
        by GROUP BY (Virtuoso answers that from an index in 0.01 s, ``SELECT DISTINCT ?g`` in 15 s)."""
        for query in ("SELECT ?g WHERE { GRAPH ?g { } }", "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"):
            _type, body = self.post(self.query_url, [("query", query)], RESULTS_JSON)
            try:
                rows = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
            except (SyntaxError, ValueError) as exc:
                raise StoreError(f"the SPARQL server at {self.query_url} sent an answer lmakg cannot read: "
                                 f"{exc}") from None
            found = sorted(r["g"].value for r in rows if isinstance(r["g"], ox.NamedNode)
                           and not SYSTEM_GRAPHS.match(r["g"].value))
            if found:
                return found
        return []

    def named_graphs(self) -> list[str]:
        if self.token:  # while staging: the copies written to, and the live graphs not copied (no request)
            return sorted({g for g in self.live if g not in self.staged} | self.filled)
        return [g for g in self._all_graphs() if not g.startswith(STAGING)]

    def count(self, graph: str | None = None) -> int:
        total = 0
        for name in [graph] if graph else self.named_graphs():
            rows = list(self._run("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", None, [name]))
            total += int(rows[0]["n"].value) if rows else 0
        return total

    def contains(self, s: Any, p: Any, o: Any, graph: str | None = None) -> bool:
        pattern = " ".join(f"?{v}" if t is None else str(_to_ox(t)) for v, t in zip("spo", (s, p, o), strict=True))
        if graph:
            return bool(self._run(f"ASK {{ {pattern} }}", None, [graph]))
        return self.ask(f"ASK {{ {pattern} }}")

    def _quads(self, graph: str | None) -> Iterator[ox.Quad]:
        for name in [graph] if graph else self.named_graphs():
            for row in self._run("SELECT ?s ?p ?o WHERE { ?s ?p ?o }", None, [name]):
                yield ox.Quad(row["s"], row["p"], row["o"], ox.NamedNode(name))

    def triples(self, graph: str | None = None) -> Iterator[tuple[Any, Any, Any]]:
        for quad in self._quads(graph):
            yield quad.subject, quad.predicate, quad.object

    def dump(self, fmt: str, graph: str | None = None) -> bytes:
        quads = list(self._quads(graph))
        if fmt in ("ntriples", "nt"):
            return ox.serialize([ox.Triple(q.subject, q.predicate, q.object) for q in quads],
                                format=ox.RdfFormat.N_TRIPLES)
        if fmt != "nquads":
            raise StoreError(f"a sparql: store is dumped as N-Quads or N-Triples only, not {fmt}")
        return ox.serialize(quads, format=ox.RdfFormat.N_QUADS)

    # -- writing (lmakg.knowledge.remote_write) --------------------------------------------------------
    def _refuse(self, *_args: Any, **_kwargs: Any) -> Any:
        raise StoreError(f"the store {self.location} is read-only: name its update endpoint to write to it, "
                         f"e.g. --store \"sparql:{self.query_url}#update=http://HOST/update\"")

    def _writer(self) -> Any:
        if not self.writable:
            self._refuse()
        from lmakg.knowledge import remote_write

        return remote_write

    def load_file(self, path: Any, graph: str, fmt: str | None = None) -> None:
        self._writer().load_file(self, path, graph, fmt)

    def load_data(self, data: str | bytes, fmt: str, graph: str, base_iri: str | None = None) -> None:
        self._writer().load_data(self, data, fmt, graph, base_iri)

    def load_dataset(self, data: bytes) -> None:
        self._writer().load_dataset(self, data)

    def bulk_load_ntriples(self, data: bytes, graph: str) -> None:
        self.load_data(data, "ntriples", graph)

    def add_triples(self, triples: list[tuple[Any, Any, Any]], graph: str) -> None:
        self._writer().insert(self, triples, graph)

    def clear_graph(self, graph: str) -> None:
        if self.token:  # staged: an empty private copy stands for it (nothing to copy)
            self._writer().stage(self, graph, copy=False)
        else:
            self.update(f"DROP SILENT GRAPH <{graph}>")

    remove_graph = clear_graph

    def update(self, sparql: str) -> None:
        """Run a SPARQL 1.1 Update on the server (lmakg's prefixes declared)."""
        self._writer()
        self._graphs = None
        self.post(self.update_url, [("update", self.header(sparql) + sparql)])

    def remove_node(self, iri: str) -> int:
        return self._writer().remove_node(self, iri)

    backup = scratch = _refuse

    def flush(self) -> None:
        return None


BACKENDS["sparql"] = RemoteStore
