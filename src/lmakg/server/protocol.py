"""The SPARQL 1.1 Protocol pieces of the endpoint that need no server: formats, content negotiation,
the request-safety checks and the service description.

Why apart from :mod:`lmakg.server.http`: these are pure functions of text, so they are tested directly and
the HTTP layer stays thin.

Why a lexical safety check: pyoxigraph 0.5 really performs ``SERVICE`` and ``LOAD`` over the network (it
resolves the host and sends the request), and it exposes no parsed algebra to inspect. The check strips
what can hide a keyword (strings, IRIs, comments) exactly as the SPARQL grammar delimits them, then looks
for the bare keyword token. It errs on the side of refusing: a prefixed name such as ``ex:a.service`` is
refused too, while ``ex:service``, ``?service`` and ``"service"`` are not keywords and pass.

>>> remote_operations('SELECT * { SERVICE <http://x/sparql> { ?s ?p ?o } }')
['SERVICE']
>>> remote_operations('SELECT ?service WHERE { ?service rdfs:label "LOAD" } # SERVICE in a comment')
[]
>>> negotiate("text/csv;q=0.5, application/sparql-results+json", RESULT_OFFERS)
'json'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pyoxigraph as ox

from lmakg.knowledge import store


@dataclass(frozen=True)
class Format:
    """One serialisation the endpoint offers: a short key, the media type it answers with, and the other
    media types that select it in an ``Accept`` header."""

    key: str
    media_type: str
    aliases: tuple[str, ...] = ()

    @property
    def content_type(self) -> str:
        return f"{self.media_type}; charset=utf-8" if self.media_type.startswith("text/") else self.media_type


# SELECT / ASK results, in the server's order of preference (the first is the default for */*).
RESULT_FORMATS: dict[str, Format] = {f.key: f for f in (
    Format("json", "application/sparql-results+json", ("application/json",)),
    Format("xml", "application/sparql-results+xml", ("application/xml", "text/xml")),
    Format("csv", "text/csv"),
    Format("tsv", "text/tab-separated-values"),
)}
# CONSTRUCT / DESCRIBE results and the service description.
GRAPH_FORMATS: dict[str, Format] = {f.key: f for f in (
    Format("turtle", "text/turtle", ("application/x-turtle", "application/turtle")),
    Format("ntriples", "application/n-triples"),
    Format("jsonld", "application/ld+json", ("application/json",)),
    Format("nquads", "application/n-quads"),
    Format("trig", "application/trig"),
    Format("rdfxml", "application/rdf+xml", ("application/xml", "text/xml")),
)}

# pyoxigraph's format for each key: the store's own maps (the keys above are names lmakg.knowledge.store knows)
OX_RESULT_FORMATS = {key: store.RESULT_FORMATS[key] for key in RESULT_FORMATS}
OX_GRAPH_FORMATS = {key: store.RDF_FORMATS[key] for key in GRAPH_FORMATS}

# Names a client may give in a ``format=`` / ``output=`` parameter (as Fuseki and Virtuoso accept).
FORMAT_PARAMETER_NAMES = {
    "json": "json", "srj": "json", "xml": "xml", "srx": "xml", "csv": "csv", "tsv": "tsv",
    "turtle": "turtle", "ttl": "turtle", "nt": "ntriples", "ntriples": "ntriples", "n-triples": "ntriples",
    "jsonld": "jsonld", "json-ld": "jsonld", "nquads": "nquads", "nq": "nquads", "trig": "trig",
    "rdfxml": "rdfxml", "rdf": "rdfxml", "rdf/xml": "rdfxml",
}

RESULT_OFFERS = [(f.key, m) for f in RESULT_FORMATS.values() for m in (f.media_type, *f.aliases)]
GRAPH_OFFERS = [(f.key, m) for f in GRAPH_FORMATS.values() for m in (f.media_type, *f.aliases)]


def parse_accept(header: str) -> list[tuple[str, str, float]]:
    """``(type, subtype, q)`` for each well-formed media range of an Accept header; malformed ones are
    skipped (a bad range must not turn an acceptable request into an error)."""
    ranges = []
    for part in header.split(","):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if media.count("/") != 1:
            continue
        main, sub = media.split("/")
        if not main or not sub or (main == "*" and sub != "*"):
            continue
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = 0.0
                q = min(max(q, 0.0), 1.0)
        ranges.append((main, sub, q))
    return ranges


def negotiate(accept: str | None, offers: list[tuple[str, str]]) -> str | None:
    """The key of the best offered format for an Accept header; None if nothing is acceptable.

    ``offers`` lists ``(key, media type)`` in the server's order; a key's first media type is the one it
    answers with, later ones are aliases. The answer's own media type gets its q from the most specific
    range that matches it (RFC 9110), so ``type;q=0`` excludes it even under ``*/*``; an alias counts only
    when named exactly. Highest q wins, ties go to the server's order. No header, or an empty one,
    accepts the first offer.
    """
    if accept is None or not accept.strip():
        return offers[0][0]
    ranges = parse_accept(accept)
    if not ranges:
        return offers[0][0]
    best, best_q = None, 0.0
    seen: set[str] = set()
    for key, media in offers:
        alias = key in seen
        seen.add(key)
        main, sub = media.split("/")
        q, specificity = None, -1
        for r_main, r_sub, r_q in ranges:
            if r_main == main and r_sub == sub:
                rank = 2
            elif alias:
                continue
            elif r_main == main and r_sub == "*":
                rank = 1
            elif r_main == "*":
                rank = 0
            else:
                continue
            if rank > specificity:
                specificity, q = rank, r_q
        if q is not None and q > best_q:
            best, best_q = key, q
    return best


def format_override(params: Mapping[str, list[str]]) -> str | None:
    """A format named by a ``format`` or ``output`` parameter (a short name or a media type), else None."""
    for name in ("format", "output"):
        for value in params.get(name, []):
            text = value.strip().lower()
            if text in FORMAT_PARAMETER_NAMES:
                return FORMAT_PARAMETER_NAMES[text]
            for fmt in (*RESULT_FORMATS.values(), *GRAPH_FORMATS.values()):
                if text in (fmt.media_type, *fmt.aliases):
                    return fmt.key
    return None


# -- lexical safety checks ----------------------------------------------------------------------------
# Spans that cannot contain a keyword, delimited as the SPARQL 1.1 grammar does (STRING_LITERAL_LONG1/2,
# STRING_LITERAL1/2, IRIREF, comments). Long strings come first so that ''' is not read as '' + '.
_OPAQUE = re.compile(
    r'"""(?:(?:"|"")?(?:[^"\\]|\\.))*"""'
    r"|'''(?:(?:'|'')?(?:[^'\\]|\\.))*'''"
    r'|"(?:[^"\\\n\r]|\\.)*"'
    r"|'(?:[^'\\\n\r]|\\.)*'"
    r'|(?P<iri><[^<>"{}|^`\\\x00-\x20]*>)'
    r"|#[^\n\r]*",
    re.S,
)
# A keyword is a bare word: not part of a prefixed name, variable, language tag or longer word.
_BEFORE = r"(?<![\w:?$@])"
_AFTER = r"(?![\w:])"
_REMOTE = re.compile(_BEFORE + r"(SERVICE|LOAD)" + _AFTER, re.I)
_DATASET = re.compile(_BEFORE + r"FROM\s+(?:NAMED\s+)?(?:<>|[\w.-]*:)", re.I)


def _code_only(text: str) -> str:
    """The text with strings and comments blanked and every IRI written as ``<>``."""
    return _OPAQUE.sub(lambda m: "<>" if m.group("iri") else " ", text)


def remote_operations(text: str) -> list[str]:
    """The operations in a query or update that would make the server fetch from a URL (``SERVICE``,
    ``LOAD``), upper-cased, in order of appearance; empty if there are none."""
    return [m.group(1).upper() for m in _REMOTE.finditer(_code_only(text))]


MAX_NESTING = 100  # groups { } and parentheses ( ) inside one another; real queries need a handful
MAX_UNIONS = 500  # UNION branches in one request


def too_complex(text: str) -> str | None:
    """Why a query is too deeply nested or too wide to parse safely, or None.

    Why a lexical check: the parser is recursive, and 20,000 nested ``{`` (or 50,000 ``(``, or 10,000 UNION
    branches) crashed a worker process (SIGSEGV) before it answered; counting is linear and cannot crash.

    >>> too_complex("SELECT * { " + "{ " * 200 + "?s ?p ?o" + " }" * 200 + " }") is not None
    True
    >>> too_complex('SELECT * { ?s ?p "{{{{" }') is None
    True
    """
    code = _code_only(text)
    depth = deepest = 0
    for char in code:
        if char in "{(":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "})":
            depth -= 1
    if deepest > MAX_NESTING:
        return f"the query nests groups and parentheses {deepest} deep; at most {MAX_NESTING} are accepted"
    unions = len(re.findall(_BEFORE + r"UNION" + _AFTER, code, re.I))
    if unions > MAX_UNIONS:
        return f"the query has {unions} UNION branches; at most {MAX_UNIONS} are accepted"
    return None


def declares_dataset(text: str) -> bool:
    """Whether a query names its own dataset with ``FROM`` / ``FROM NAMED``.

    Why it matters: pyoxigraph's "default graph = union of all graphs" option overrides a query's FROM
    clauses, so the endpoint only asks for the union when the query does not choose its graphs itself.

    >>> declares_dataset('SELECT * FROM <https://w3id.org/lmakg/graph/asserted> { ?s ?p ?o }')
    True
    >>> declares_dataset('SELECT ?from { ?from ?p "FROM <x>" }')
    False
    """
    return _DATASET.search(_code_only(text)) is not None


_VOLATILE = re.compile(_BEFORE + r"(RAND|NOW|UUID|STRUUID|BNODE)\s*\(", re.I)


def is_deterministic(text: str) -> bool:
    """Whether a query gives the same answer every time on unchanged data (no RAND, NOW, UUID,
    STRUUID or BNODE call), so its answer may be cached.

    >>> is_deterministic('SELECT ?x { ?x ?p ?o }'), is_deterministic('SELECT (RAND() AS ?r) {}')
    (True, False)
    """
    return _VOLATILE.search(_code_only(text)) is None


# -- service description ------------------------------------------------------------------------------
SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
FORMATS_NS = "http://www.w3.org/ns/formats/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")

# W3C format IRIs (https://www.w3.org/ns/formats/) for each offered format key.
FORMAT_IRIS = {
    "json": "SPARQL_Results_JSON", "xml": "SPARQL_Results_XML", "csv": "SPARQL_Results_CSV",
    "tsv": "SPARQL_Results_TSV", "turtle": "Turtle", "ntriples": "N-Triples", "jsonld": "JSON-LD",
    "nquads": "N-Quads", "trig": "TriG", "rdfxml": "RDF_XML",
}


def service_description(endpoint: str, graphs: Mapping[str, int], *, update: bool,
                        extension_functions: Iterable[str] = ()) -> list[ox.Triple]:
    """A SPARQL 1.1 Service Description of the endpoint: where it is, which languages and result formats
    it speaks, and its dataset (the default graph is the union of the named graphs listed, each with its
    triple count)."""
    triples: list[ox.Triple] = []

    def add(s: ox.NamedNode | ox.BlankNode, p: str, o: ox.NamedNode | ox.BlankNode | ox.Literal) -> None:
        triples.append(ox.Triple(s, ox.NamedNode(p), o))

    service, dataset, default_graph, available = ox.BlankNode(), ox.BlankNode(), ox.BlankNode(), ox.BlankNode()
    add(service, str(RDF_TYPE.value), ox.NamedNode(SD + "Service"))
    add(service, SD + "endpoint", ox.NamedNode(endpoint))
    add(service, SD + "supportedLanguage", ox.NamedNode(SD + "SPARQL11Query"))
    if update:
        add(service, SD + "supportedLanguage", ox.NamedNode(SD + "SPARQL11Update"))
    add(service, SD + "feature", ox.NamedNode(SD + "UnionDefaultGraph"))
    for key in (*RESULT_FORMATS, *GRAPH_FORMATS):
        add(service, SD + "resultFormat", ox.NamedNode(FORMATS_NS + FORMAT_IRIS[key]))
    for function in extension_functions:
        add(service, SD + "extensionFunction", ox.NamedNode(function))
    add(service, SD + "defaultDataset", dataset)
    add(dataset, str(RDF_TYPE.value), ox.NamedNode(SD + "Dataset"))
    add(dataset, SD + "defaultGraph", default_graph)
    add(default_graph, str(RDF_TYPE.value), ox.NamedNode(SD + "Graph"))
    add(default_graph, VOID + "triples", ox.Literal(str(sum(graphs.values())), datatype=XSD_INTEGER))
    add(service, SD + "availableGraphs", available)
    add(available, str(RDF_TYPE.value), ox.NamedNode(SD + "GraphCollection"))
    for name, count in sorted(graphs.items()):
        for holder in (dataset, available):
            named, graph = ox.BlankNode(), ox.BlankNode()
            add(holder, SD + "namedGraph", named)
            add(named, str(RDF_TYPE.value), ox.NamedNode(SD + "NamedGraph"))
            add(named, SD + "name", ox.NamedNode(name))
            add(named, SD + "graph", graph)
            add(graph, str(RDF_TYPE.value), ox.NamedNode(SD + "Graph"))
            add(graph, VOID + "triples", ox.Literal(str(count), datatype=XSD_INTEGER))
    return triples


SD_PREFIXES = {"sd": SD, "void": VOID, "formats": FORMATS_NS}
