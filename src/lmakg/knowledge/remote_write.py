"""Writing to a SPARQL 1.1 server (``--store "sparql:QUERY_URL#update=UPDATE_URL"``), all or nothing.

Why it works this way:

* **Portable requests only.** Triples go to the server as SPARQL Update ``INSERT DATA`` in batches of
  ``LMAKG_SPARQL_BATCH`` triples (default 500: Virtuoso 7 refuses an ``INSERT DATA`` of 2,000 triples, and
  ``INSERT DATA`` may not carry blank nodes there). Triples with blank nodes are sent as
  ``INSERT { GRAPH <g> { ... } } WHERE {}``, every triple of one blank node in the same request (a blank node
  label names one node per request only); a blank node that several named graphs share stays one node
  (:func:`_insert_across`). Files are parsed here, with pyoxigraph, so a syntax error is reported
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
    # one list for all graphs: a blank node shared by two graphs stays one node on the server
    insert_quads(store, [(q.subject, q.predicate, q.object, q.graph_name.value) for q in quads
                         if isinstance(q.graph_name, ox.NamedNode)])


def _groups(quads: list[tuple[Any, Any, Any, str]]) -> Iterator[list[tuple[Any, Any, Any, str]]]:
    """Quads in groups that must travel together: each quad without blank nodes alone, the quads linked
    through shared blank nodes in one group, whatever their graphs (union-find over blank nodes)."""
    parent: dict[Any, Any] = {}

    def root(x: Any) -> Any:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    blank = []
    for t in quads:
        nodes = [x for x in (t[0], t[2]) if isinstance(x, ox.BlankNode)]
        if not nodes:
            yield [t]
            continue
        blank.append((t, nodes[0]))
        for other in nodes[1:]:
            parent[root(other)] = root(nodes[0])
    grouped: dict[Any, list[tuple[Any, Any, Any, str]]] = {}
    for t, node in blank:
        grouped.setdefault(root(node), []).append(t)
    yield from grouped.values()


def insert(store: Any, triples: list[tuple[Any, Any, Any]], graph: str) -> None:
    """Add triples (pyoxigraph terms) to a named graph of the server, in batches (see module docstring)."""
    insert_quads(store, [(s, p, o, graph) for s, p, o in triples])


def insert_quads(store: Any, quads: list[tuple[Any, Any, Any, str]]) -> None:
    """Add quads (pyoxigraph terms and a graph IRI) to the server, in batches (see module docstring)."""
    limit = batch_size()
    plain: list[tuple[Any, Any, Any, str]] = []
    blank: dict[str, list[tuple[Any, Any, Any, str]]] = {}  # by graph: one GRAPH block per request
    across: list[tuple[Any, Any, Any, str]] = []  # blank nodes shared by graphs: several GRAPH blocks

    def send(batch: list[tuple[Any, Any, Any, str]], how: str) -> None:
        if how == "across":
            _insert_across(store, batch)
        else:
            store.update(f"INSERT {{ {_blocks(store, batch)} }} WHERE {{}}" if how == "blank"
                         else f"INSERT DATA {{ {_blocks(store, batch)} }}")
        batch.clear()

    for group in _groups(quads):
        if not any(isinstance(x, ox.BlankNode) for q in group for x in (q[0], q[2])):
            batch, how = plain, "plain"
        elif len({q[3] for q in group}) > 1:
            batch, how = across, "across"
        else:
            batch, how = blank.setdefault(group[0][3], []), "blank"
        if batch and len(batch) + len(group) > limit:
            send(batch, how)
        batch.extend(group)
    for batch, how in ((plain, "plain"), (across, "across"), *((b, "blank") for b in blank.values())):
        if batch:
            send(batch, how)


def _blocks(store: Any, quads: list[tuple[Any, Any, Any, str]], terms: dict[Any, str] | None = None) -> str:
    """``GRAPH <g> { ... }`` blocks of quads, each term written as itself or as ``terms`` says."""
    by_graph: dict[str, list[str]] = {}
    for s, p, o, g in quads:
        by_graph.setdefault(g, []).append(" ".join((terms or {}).get(x, str(x)) for x in (s, p, o)) + " .")
    return "\n".join(f"GRAPH <{store.write_name(g)}> {{\n" + "\n".join(lines) + "\n}" for g, lines in by_graph.items())


MARKER = "urn:lmakg:load-marker"


def _insert_across(store: Any, group: list[tuple[Any, Any, Any, str]]) -> None:
    """The quads of blank nodes that several graphs share (a batch of such nodes), in one ``INSERT`` with a
    ``GRAPH`` block per graph.
    Virtuoso 7.2.5 makes the quads, then answers 500 (SR002, writing its reply): an error is taken for success
    when each graph grew by exactly its quads (they are all new: each holds a blank node made by the request).
    A server that wrote nothing gets the long way: each blank node made once in a scratch graph with a marker,
    each graph's quads inserted by a ``WHERE`` that finds the nodes by their markers, the scratch graph dropped."""
    graphs = sorted({q[3] for q in group})
    before = {g: store.count(g) for g in graphs}
    try:
        store.update(f"INSERT {{ {_blocks(store, group)} }} WHERE {{}}")
        return
    except StoreError:
        grew = {g: store.count(g) - before[g] for g in graphs}
        if grew == {g: sum(q[3] == g for q in group) for g in graphs}:
            return
        if any(grew.values()):
            raise
    nodes = sorted({x for q in group for x in (q[0], q[2]) if isinstance(x, ox.BlankNode)}, key=str)
    names = {node: f"?b{i}" for i, node in enumerate(nodes)}
    scratch = f"urn:lmakg:load-scratch:{secrets.token_hex(8)}"
    found = " ".join(f"?b{i} <{MARKER}> {i} ." for i in range(len(nodes)))
    made = " ".join(f"_:n{i} <{MARKER}> {i} ." for i in range(len(nodes)))
    try:
        store.update(f"INSERT {{ GRAPH <{scratch}> {{ {made} }} }} WHERE {{}}")
        for graph in graphs:
            store.update(f"INSERT {{ {_blocks(store, [q for q in group if q[3] == graph], names)} }} "
                         f"WHERE {{ GRAPH <{scratch}> {{ {found} }} }}")
    finally:
        store.update(f"DROP SILENT GRAPH <{scratch}>")


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
