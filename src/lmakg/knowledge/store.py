"""The one place that talks to an RDF store.

Why: every other module asks for triples and query results through :class:`KnowledgeStore`, chosen by a
``scheme:location`` string, so a SPARQL-server backend can be added without touching them (Ontology
Access Kit's selector pattern). The default backend is pyoxigraph, embedded, in memory (``oxigraph:``)
or on disk (``oxigraph:PATH``); a bare path means ``oxigraph:PATH``.

Named graphs keep knowledge apart: the ontology, the asserted (curated) graph, inferences and user
additions each live in their own graph (see :mod:`lmakg.knowledge.vocab`); queries see their union by default.

>>> store = open_store("oxigraph:")
>>> store.load_turtle('<http://e/s> <http://e/p> "1" .', graph="http://e/g")
>>> store.count()
1
>>> [row["o"] for row in store.select("SELECT ?o WHERE { ?s ?p ?o }")]
['1']
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from lmakg.knowledge.functions import custom_functions
from lmakg.knowledge.terms import Term, _term, _to_ox
from lmakg.knowledge.vocab import PREFIXES

#: An in-memory store is compacted (:meth:`KnowledgeStore._compact`) once scratch pads removed more quads than
#: this and more than COMPACT_RATIO times the quads it holds.
COMPACT_AFTER = 200_000
COMPACT_RATIO = 4

RESULT_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}

RDF_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ttl": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "nt": ox.RdfFormat.N_TRIPLES,
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "jsonld": ox.RdfFormat.JSON_LD,
    "json-ld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "xml": ox.RdfFormat.RDF_XML,
}


class StoreError(RuntimeError):
    """A store could not be opened, loaded or queried; the message says which and why."""


class QuerySyntaxError(StoreError):
    """The SPARQL text does not parse; the message carries the parser's explanation."""


class KnowledgeStore:
    """A quad store with named graphs, SPARQL and bulk loading; backend chosen by :func:`open_store`."""

    def __init__(self, backend: ox.Store, location: str | None) -> None:
        self._store = backend
        self.location = location
        self._undone = 0  # quads removed by scratch pads since the in-memory store was last compacted
        self._live: int | None = None  # its quads then (None: not counted yet)

    # -- loading -------------------------------------------------------------------------------
    def load_file(self, path: str | Path, graph: str, fmt: str | None = None) -> None:
        """Load one RDF file into a named graph (all or nothing); relative IRIs resolve against the file."""
        path = Path(path)
        rdf_format = RDF_FORMATS[fmt] if fmt else ox.RdfFormat.from_extension(path.suffix.lstrip("."))
        if rdf_format is None:
            raise StoreError(f"{path}: unknown RDF file extension")
        try:
            self._store.load(path=str(path), format=rdf_format, to_graph=ox.NamedNode(graph),
                             base_iri=path.resolve().as_uri())
        except SyntaxError as exc:
            raise StoreError(f"{path}: {exc}") from exc

    def load_turtle(self, text: str, graph: str) -> None:
        """Load Turtle text into a named graph."""
        self.load_data(text, "turtle", graph)

    def load_data(self, data: str | bytes, fmt: str, graph: str, base_iri: str | None = None) -> None:
        """Load serialised RDF in a named format (see :data:`RDF_FORMATS`) into a named graph."""
        try:
            self._store.load(data, format=RDF_FORMATS[fmt], to_graph=ox.NamedNode(graph), base_iri=base_iri)
        except SyntaxError as exc:
            raise StoreError(f"cannot parse {fmt} data: {exc}") from exc

    def load_dataset(self, data: bytes) -> None:
        """Load an N-Quads dataset (e.g. a :meth:`dump` of another store) keeping its named graphs."""
        self._store.bulk_load(data, format=ox.RdfFormat.N_QUADS)

    def bulk_load_ntriples(self, data: bytes, graph: str) -> None:
        """Fast path for large N-Triples payloads (no Python objects per triple)."""
        self._store.bulk_load(io.BytesIO(data), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(graph))

    def clear_graph(self, graph: str) -> None:
        self._store.clear_graph(ox.NamedNode(graph))

    def remove_graph(self, graph: str) -> None:
        node = ox.NamedNode(graph)
        if self._store.contains_named_graph(node):
            self._store.remove_graph(node)

    def named_graphs(self) -> list[str]:
        return sorted(g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))

    def flush(self) -> None:
        if self.location:
            self._store.flush()

    def backup(self, target: str | Path) -> None:
        """Copy a persistent store to a new folder (RocksDB checkpoint: hard links where possible)."""
        if not self.location:
            raise StoreError("an in-memory store cannot be backed up to a folder")
        try:
            self._store.backup(str(target))
        except OSError as exc:
            raise StoreError(f"cannot copy the store {self.location} to {target}: {exc}") from exc

    # -- reading -------------------------------------------------------------------------------
    def count(self, graph: str | None = None) -> int:
        """Number of quads, in one graph or in all."""
        query = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
        if graph:
            query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
        rows = self.select(query)
        return int(rows[0]["n"].value) if rows else 0

    def _run(self, sparql: str, bindings: Mapping[str, Any] | None, graphs: list[str] | None) -> Any:
        kwargs: dict[str, Any] = {"prefixes": PREFIXES, "custom_functions": custom_functions()}
        if graphs is None:
            kwargs["use_default_graph_as_union"] = True
        else:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in graphs]
        if bindings:
            kwargs["substitutions"] = {ox.Variable(k): _to_ox(v) for k, v in bindings.items()}
        try:
            return self._store.query(sparql, **kwargs)
        except SyntaxError as exc:
            raise QuerySyntaxError(str(exc)) from exc
        except RuntimeError as exc:
            if bindings and "projection" in str(exc):  # a bound variable that the SELECT does not project
                raise StoreError(f"query cannot run with bindings {sorted(bindings)}: {exc}") from exc
            where = f"the store at {self.location}" if self.location else "the in-memory store"
            raise StoreError(f"{where} cannot be read: {str(exc).splitlines()[0][:200]}"
                             + (f"; rebuild it with `lmakg build --store {self.location}`" if self.location else "")
                             ) from exc

    def select(
        self, sparql: str, bindings: Mapping[str, Any] | None = None, graphs: list[str] | None = None
    ) -> list[dict[str, Term]]:
        """Run a SELECT query; each row maps variable name to :class:`Term` (unbound variables absent).

        ``bindings`` pre-binds variables (SEP-0007 substitution), so queries never need string glue.
        """
        result = self._run(sparql, bindings, graphs)
        if not isinstance(result, ox.QuerySolutions):
            raise StoreError("select() needs a SELECT query")
        names = [v.value for v in result.variables]
        seen: dict[Any, Term] = {}  # a term met again (the same IRI in many rows) is converted once; Terms are frozen
        rows = []
        for solution in result:
            row = {}
            for name, node in zip(names, solution, strict=True):  # values in the order of result.variables
                if node is None:
                    continue
                term = seen.get(node)
                if term is None:
                    term = seen[node] = _term(node)
                row[name] = term
            rows.append(row)
        return rows

    def query_raw(self, sparql: str, bindings: Mapping[str, Any] | None = None,
                  graphs: list[str] | None = None) -> Any:
        """Run any query and return pyoxigraph's result object (for serialisation)."""
        return self._run(sparql, bindings, graphs)

    def query_serialized(self, sparql: str, fmt: str, bindings: Mapping[str, Any] | None = None) -> tuple[bytes, str]:
        """Run any query and serialise its result in a standard format; returns (bytes, media type).

        SELECT/ASK results use SPARQL result formats (json, xml, csv, tsv); CONSTRUCT/DESCRIBE results use
        RDF formats (turtle, ntriples, jsonld, rdfxml).
        """
        result = self._run(sparql, bindings, None)
        if isinstance(result, (ox.QuerySolutions, ox.QueryBoolean)):
            results_format = RESULT_FORMATS.get(fmt)
            if results_format is None:
                raise StoreError(f"unknown result format {fmt!r}; use one of {sorted(RESULT_FORMATS)}")
            return result.serialize(format=results_format), results_format.media_type
        rdf_format = RDF_FORMATS.get(fmt, ox.RdfFormat.TURTLE)
        return ox.serialize(result, format=rdf_format), rdf_format.media_type

    def update(self, sparql: str) -> None:
        """Run a SPARQL 1.1 Update (all or nothing), with the same prefixes and functions as queries."""
        try:
            self._store.update(sparql, prefixes=PREFIXES, custom_functions=custom_functions())
        except SyntaxError as exc:
            raise QuerySyntaxError(str(exc)) from exc

    def ask(self, sparql: str, bindings: Mapping[str, Any] | None = None) -> bool:
        return bool(self._run(sparql, bindings, None))

    def solutions(self, sparql: str, graphs: list[str] | None = None) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run a SELECT and return (variable names, rows of opaque store terms) for the rule engine,
        which copies terms from solutions into new triples without converting them. ``graphs``: the
        named graphs whose union is the default graph (all of them if None)."""
        result = self._run(sparql, None, graphs)
        names = [v.value for v in result.variables]
        return names, [tuple(solution) for solution in result]  # values in the order of result.variables

    @staticmethod
    def to_store_term(value: Any) -> Any:
        """A backend term from a :class:`Term`, an rdflib term, a number or an ``<IRI>`` string."""
        return _to_ox(value)

    @staticmethod
    def iri(value: str) -> Any:
        """An IRI term of this backend."""
        return ox.NamedNode(value)

    @staticmethod
    def literal(value: str, datatype: str | None = None) -> Any:
        return ox.Literal(value, datatype=ox.NamedNode(datatype) if datatype else None)

    @staticmethod
    def is_blank(term: Any) -> bool:
        return isinstance(term, ox.BlankNode)

    @staticmethod
    def term_text(term: Any) -> str:
        """A stable text form of a term (N-Triples syntax), for hashing and comparisons."""
        return str(term)

    def contains(self, s: Any, p: Any, o: Any, graph: str | None = None) -> bool:
        g = ox.NamedNode(graph) if graph else None
        return next(iter(self._store.quads_for_pattern(s, p, o, g)), None) is not None

    def holds_only(self, graphs: list[str]) -> bool:
        """Whether every triple of the store is in one of these named graphs (none in the default graph or in
        another graph), so that a query over the union of all graphs reads exactly their union: Oxigraph
        answers such a query faster than one over a list of default graphs."""
        allowed = set(graphs)
        others = [g for g in self._store.named_graphs() if getattr(g, "value", None) not in allowed]
        return all(next(iter(self._store.quads_for_pattern(None, None, None, g)), None) is None
                   for g in [*others, ox.DefaultGraph()])

    def around(self, node: Any, graphs: set[str]) -> list[tuple[str, Any, Any]]:
        """The triples of ``graphs`` that touch a node: ("out", predicate, object) for those it is the subject
        of, ("in", predicate, subject) for those it is the object of (store terms)."""
        found = [("out", q.predicate, q.object) for q in self._store.quads_for_pattern(node, None, None, None)
                 if getattr(q.graph_name, "value", None) in graphs]
        found += [("in", q.predicate, q.subject) for q in self._store.quads_for_pattern(None, None, node, None)
                  if getattr(q.graph_name, "value", None) in graphs]
        return found

    def remove_node(self, iri: str) -> int:
        """Remove every quad about a node and, recursively, the blank nodes it owns; return quads removed.
        (Used by leave-one-out evaluation to take one design out of the graph.)"""
        todo = [ox.NamedNode(iri)]
        removed = []
        while todo:
            node = todo.pop()
            for quad in list(self._store.quads_for_pattern(node, None, None, None)):
                removed.append(quad)
                if isinstance(quad.object, ox.BlankNode):
                    todo.append(quad.object)
        for quad in removed:
            self._store.remove(quad)
        return len(removed)

    def add_triples(self, triples: list[tuple[Any, Any, Any]], graph: str) -> None:
        """Add triples (store terms) to a named graph in one transaction."""
        g = ox.NamedNode(graph)
        journal = getattr(self, "_journal", None)
        if journal is None:  # a generator: pyoxigraph adds as it reads, without a list of Quad objects
            quads = (ox.Quad(s, p, o, g) for s, p, o in triples)
            if self.location is None:
                # in memory, the bulk path is a third faster on millions of quads (measured: 1.8M quads into a
                # 2.5M-quad store, 6.3 s instead of 9.4 s); what it gives up, atomicity, only matters on disk
                self._store.bulk_extend(quads)
            else:
                self._store.extend(quads)
            return
        quads = [q for q in (ox.Quad(s, p, o, g) for s, p, o in triples) if q not in self._store]
        journal.update(quads)  # only what is new: undoing must not remove what was there before
        if self.location is None:
            self._store.bulk_extend(quads)
        else:
            self._store.extend(quads)

    @contextmanager
    def scratch(self, graph: str) -> Iterator[None]:
        """Undo everything added inside the block (through :meth:`add_triples` or :meth:`load_turtle` into
        ``graph``, which must be empty before): a scratch pad over a reasoned graph.

        Why: judging a candidate molecule adds its facts, perceptions, inferences and derivations to the
        graph; copying the whole graph for each candidate would cost more than judging it. Quads that were
        already there are never journaled, so undoing removes exactly what the block added.
        """
        if self.count(graph):
            raise StoreError(f"scratch graph {graph} is not empty")
        existed = self._store.contains_named_graph(ox.NamedNode(graph))
        self._journal: set[Any] | None = set()
        try:
            yield
        finally:
            journal, self._journal = self._journal, None
            for quad in journal or ():
                self._store.remove(quad)
            self._undone += len(journal or ()) + self.count(graph)
            if existed:
                self.clear_graph(graph)
            else:  # leave the dataset as it was found: no empty graph behind
                self.remove_graph(graph)
            if self.location is None and self._undone > max(COMPACT_RATIO * (self._live or 0), COMPACT_AFTER):
                self._compact()

    def _compact(self) -> None:
        """Copy an in-memory store into a fresh one once scratch pads removed many more quads than it holds.

        Why: Oxigraph's in-memory store keeps a removed quad in its indexes, marked removed, so a screen that
        writes and undoes ~300 quads per candidate leaves millions behind: memory grows with the rows screened,
        and every scan over a shared predicate (rdf:type, rdf:subject...) walks them too (measured: a COUNT over
        one predicate of 50,000 quads 8x slower after 1.2M quads were added and removed; as fast as new after a
        copy). Copying once removed quads outnumber live ones :data:`COMPACT_RATIO` to one keeps time and memory
        linear in the rows (a copy of the review graph: ~0.2 s; a 10k-row screen removes ~300,000 quads).
        """
        if self._live is None:
            self._live = len(self._store)
            if self._undone <= max(COMPACT_RATIO * self._live, COMPACT_AFTER):
                return
        fresh = ox.Store()
        for graph in self._store.named_graphs():
            fresh.add_graph(graph)
        fresh.bulk_extend(self._store.quads_for_pattern(None, None, None, None))
        self._store = fresh
        self._live = len(fresh)
        self._undone = 0

    def triples(self, graph: str | None = None) -> Iterator[tuple[Any, Any, Any]]:
        """Iterate (s, p, o) pyoxigraph terms, in one graph or all."""
        g = ox.NamedNode(graph) if graph else None
        for quad in self._store.quads_for_pattern(None, None, None, g):
            yield quad.subject, quad.predicate, quad.object

    def dump(self, fmt: str, graph: str | None = None) -> bytes:
        """Serialise one graph (or, for quad formats, the whole dataset)."""
        rdf_format = RDF_FORMATS[fmt]
        if graph is not None:
            return self._store.dump(format=rdf_format, from_graph=ox.NamedNode(graph))
        if rdf_format.supports_datasets:
            return self._store.dump(format=rdf_format)
        # triple formats: union of all named graphs
        buffer = io.BytesIO()
        quads = [ox.Triple(q.subject, q.predicate, q.object) for q in self._store.quads_for_pattern(None, None, None)]
        ox.serialize(quads, buffer, format=rdf_format)
        return buffer.getvalue()


#: Other store backends by scheme (``sparql`` registers itself from :mod:`lmakg.knowledge.remote`, which the
#: package imports): scheme -> callable(location) -> KnowledgeStore.
BACKENDS: dict[str, Any] = {}


def open_store(selector: str | Path | None = None, read_only: bool = False) -> KnowledgeStore:
    """Open a store from a ``scheme:location`` selector.

    ``None`` or ``"oxigraph:"`` is an in-memory store; ``"oxigraph:PATH"`` (or a bare path) a persistent
    one on disk, created if missing (unless ``read_only``).
    """
    from lmakg.knowledge.storedir import UnknownSchemeError, split_selector

    text = "oxigraph:" if selector is None else str(selector)
    try:
        scheme, location = split_selector(text)
    except UnknownSchemeError as exc:
        raise StoreError(str(exc)) from None
    if scheme in BACKENDS:
        return BACKENDS[scheme](location)
    if not location:
        return KnowledgeStore(ox.Store(), None)
    from lmakg.knowledge.storedir import FolderError, open_folder

    try:
        return KnowledgeStore(*open_folder(location, read_only))
    except FolderError as exc:
        raise StoreError(str(exc)) from None
