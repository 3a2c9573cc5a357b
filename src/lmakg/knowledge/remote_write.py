"""Writing to a SPARQL 1.1 server (``--store "sparql:QUERY_URL#update=UPDATE_URL"``), all or nothing.

Why it works this way:

* **Portable requests only.** Triples go to the server as SPARQL Update ``INSERT DATA`` in batches of
  ``LMAKG_SPARQL_BATCH`` triples (default 500: Virtuoso 7 refuses an ``INSERT DATA`` of 2,000 triples, and
  ``INSERT DATA`` may not carry blank nodes there). Triples with blank nodes are sent as
  ``INSERT { GRAPH <g> { ... } } WHERE {}``, every triple of one blank node in the same request (a blank node
  label names one node per request only). Files are parsed here, with pyoxigraph, so a syntax error is reported
  before anything is sent.
* **Staged, then switched.** A writer (:func:`staged`) gives the store a private token. The first write to a
  graph (or its clearing) gives that graph a private copy, ``urn:lmakg:staging:TOKEN:GRAPH``; reads then see
  the copies and the live graphs nothing wrote (copy on write: the graphs a re-run of the rules rebuilds, such
  as the provenance graph, are never copied, only cleared). When everything (load, perception, rules) has
  succeeded, one update request makes each live graph equal to its copy, writing only the triples that
  differ (an empty copy drops its live graph), and drops the copies; on any failure the copies are dropped
  and the live graphs were never touched. On Oxigraph one request is one transaction; on Virtuoso a request
  is not atomic, so a server dying during that last request can leave it half switched (the earlier steps
  are still safe). Graphs lmakg does not write are never touched. A query naming a graph (``GRAPH <IRI>``)
  reads the live graph while a change is staged.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from lmakg.knowledge.store import RDF_FORMATS, StoreError
from lmakg.knowledge.vocab import GRAPH_IRI

STAGING = "urn:lmakg:staging:"  # a staged copy is named STAGING + token + ":" + the graph's IRI


def batch_size() -> int:
    return max(1, int(os.environ.get("LMAKG_SPARQL_BATCH", "500")))


def _parse(store: Any, data: Any, rdf_format: Any, base_iri: str | None, what: str) -> list[tuple[Any, Any, Any]]:
    try:
        return [(t.subject, t.predicate, t.object) for t in ox.parse(data, format=rdf_format, base_iri=base_iri)]
    except SyntaxError as exc:
        raise StoreError(f"{what}: {exc}") from exc


def load_file(store: Any, path: Any, graph: str, fmt: str | None = None) -> None:
    path = Path(path)
    rdf_format = RDF_FORMATS[fmt] if fmt else ox.RdfFormat.from_extension(path.suffix.lstrip("."))
    if rdf_format is None:
        raise StoreError(f"{path}: unknown RDF file extension")
    with path.open("rb") as handle:
        triples = _parse(store, handle.read(), rdf_format, path.resolve().as_uri(), str(path))
    insert(store, triples, graph)


def load_data(store: Any, data: str | bytes, fmt: str, graph: str, base_iri: str | None = None) -> None:
    insert(store, _parse(store, data, RDF_FORMATS[fmt], base_iri, f"cannot parse {fmt} data"), graph)


def load_dataset(store: Any, data: bytes) -> None:
    try:
        quads = list(ox.parse(data, format=ox.RdfFormat.N_QUADS))
    except SyntaxError as exc:
        raise StoreError(f"cannot parse N-Quads data: {exc}") from exc
    by_graph: dict[str, list[tuple[Any, Any, Any]]] = {}
    for q in quads:
        if isinstance(q.graph_name, ox.NamedNode):
            by_graph.setdefault(q.graph_name.value, []).append((q.subject, q.predicate, q.object))
    for graph, triples in by_graph.items():
        insert(store, triples, graph)


def _groups(triples: list[tuple[Any, Any, Any]]) -> Iterator[list[tuple[Any, Any, Any]]]:
    """Triples in groups that must travel together: each triple without blank nodes alone, the triples
    linked through shared blank nodes in one group (union-find over blank nodes)."""
    parent: dict[Any, Any] = {}

    def root(x: Any) -> Any:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    blank = []
    for t in triples:
        nodes = [x for x in (t[0], t[2]) if isinstance(x, ox.BlankNode)]
        if not nodes:
            yield [t]
            continue
        blank.append((t, nodes[0]))
        for other in nodes[1:]:
            parent[root(other)] = root(nodes[0])
    grouped: dict[Any, list[tuple[Any, Any, Any]]] = {}
    for t, node in blank:
        grouped.setdefault(root(node), []).append(t)
    yield from grouped.values()


def insert(store: Any, triples: list[tuple[Any, Any, Any]], graph: str) -> None:
    """Add triples (pyoxigraph terms) to a named graph of the server, in batches (see module docstring)."""
    name = store.write_name(graph)
    limit = batch_size()
    plain: list[str] = []
    blank: list[str] = []

    def send(lines: list[str], with_blank: bool) -> None:
        body = "\n".join(lines)
        store.update(f"INSERT {{ GRAPH <{name}> {{\n{body}\n}} }} WHERE {{}}" if with_blank
                     else f"INSERT DATA {{ GRAPH <{name}> {{\n{body}\n}} }}")
        lines.clear()

    for group in _groups(triples):
        with_blank = any(isinstance(x, ox.BlankNode) for t in group for x in (t[0], t[2]))
        lines = blank if with_blank else plain
        if lines and len(lines) + len(group) > limit:
            send(lines, with_blank)
        lines.extend(f"{s} {p} {o} ." for s, p, o in group)
    for lines, with_blank in ((plain, False), (blank, True)):
        if lines:
            send(lines, with_blank)


def remove_node(store: Any, iri: str) -> int:
    """Remove every quad about a node and the blank nodes it owns (two levels deep), in lmakg's graphs; only
    the graphs that say something about it are counted and written (staged: copied)."""
    holding = [g for g in store.named_graphs() if store.contains(ox.NamedNode(iri), None, None, graph=g)]
    before = sum(store.count(g) for g in holding)
    for graph in holding:
        name = store.write_name(graph)
        store.update(f"DELETE {{ GRAPH <{name}> {{ ?b ?q ?c . ?c ?r ?d }} }} WHERE {{ GRAPH <{name}> {{ <{iri}> ?p ?b "
                     f"FILTER(isBlank(?b)) ?b ?q ?c OPTIONAL {{ ?c ?r ?d FILTER(isBlank(?c)) }} }} }};\n"
                     f"DELETE WHERE {{ GRAPH <{name}> {{ <{iri}> ?p ?o }} }}")
    return before - sum(store.count(g) for g in holding)


def lmakg_graphs(store: Any) -> list[str]:
    """The live graphs of the server that are lmakg's (the server may hold others: those are never touched)."""
    return [g for g in store.named_graphs() if g.startswith(GRAPH_IRI)]


def stage(store: Any, graph: str, copy: bool) -> None:
    """Give ``graph`` its private copy in the change being staged: the live graph's triples (``copy``, where
    the live graph exists) or none (the graph is about to be cleared)."""
    name = f"{STAGING}{store.token}:{graph}"
    copied = copy and graph in store.live
    store.update(f"COPY SILENT GRAPH <{graph}> TO GRAPH <{name}>" if copied else f"DROP SILENT GRAPH <{name}>")
    store.staged.add(graph)
    (store.filled.add if copied else store.filled.discard)(graph)


def _replace(live: str, copy: str) -> list[str]:
    """Update operations making ``live`` hold exactly the triples of ``copy``, then dropping ``copy``: only what
    differs is written (a re-run of the rules rewrites ~50k provenance triples and changes a few hundred; a
    ``MOVE`` would delete and insert them all, measured 3-6x slower on Oxigraph server here)."""
    return [f"DELETE {{ GRAPH <{live}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{live}> {{ ?s ?p ?o }} "
            f"FILTER NOT EXISTS {{ GRAPH <{copy}> {{ ?s ?p ?o }} }} }}",
            f"INSERT {{ GRAPH <{live}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{copy}> {{ ?s ?p ?o }} "
            f"FILTER NOT EXISTS {{ GRAPH <{live}> {{ ?s ?p ?o }} }} }}",
            f"DROP SILENT GRAPH <{copy}>"]


@contextmanager
def staged(store: Any) -> Iterator[Any]:
    """Stage a change: inside the block a graph gets a private copy the first time it is written
    (:meth:`RemoteStore.write_name`; ``clear_graph`` starts an empty one), and reads see those copies and the
    live graphs not written. Leaving the block normally switches the copies in with one request (a copy left
    empty drops its live graph); an error drops them and the live graphs were never touched. Yields the store."""
    if not store.writable:
        store.update("")  # refuses in one line
    if store.token:
        raise StoreError(f"a change to {store.location} is already being staged")
    store.live = store.named_graphs()
    store.token, store.staged, store.filled = secrets.token_hex(6), set(), set()
    switched = False
    try:
        yield store
        prefix = f"{STAGING}{store.token}:"
        filled = {g.removeprefix(prefix) for g in store._staged_graphs()}
        ops = [op for g in sorted(store.staged) for op in (_replace(g, prefix + g) if g in filled
                                                          else [f"DROP SILENT GRAPH <{g}>"])]
        token, store.token = store.token, None
        try:
            if ops:
                store.update(" ;\n".join(ops))
            switched = True
        finally:
            store.token = token
    finally:
        if not switched:
            try:
                leftovers = store._staged_graphs()
                store.token = None
                if leftovers:
                    store.update(" ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in leftovers))
            except StoreError:
                pass  # the server is gone: the staged graphs are private and the live ones untouched
        store.token, store.staged, store.filled, store.live = None, set(), set(), []
