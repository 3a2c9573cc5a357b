"""What each rule reads: the predicates (and, for ``rdf:type``, the classes) its WHERE clause can match.

Why: the engine re-runs a rule in a later iteration only if a triple it could read was added since it last
ran (:mod:`lmakg.reasoning.engine`). A rule whose inputs did not change has the same solutions as before,
all of them already instantiated, so skipping it is exact; most rules then run once instead of once per
iteration. The analysis is conservative: any triple pattern anywhere in the query (``OPTIONAL``, ``UNION``,
``MINUS``, ``FILTER (NOT) EXISTS``, sub-queries, property paths) counts, and a variable or negated predicate
means "reads everything" (``None``).

A read key is ``("p", IRI)`` for triples with that predicate, or ``("type", CLASS)`` for ``rdf:type CLASS``
triples; a written triple touches the keys :func:`written_keys` gives.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lmakg.knowledge.vocab import PREFIXES

RDF_TYPE = PREFIXES["rdf"] + "type"

Key = tuple[str, str]


class _ReadsEverything(Exception):
    """Raised inside the walk when a pattern can match any predicate."""


def _path_predicates(path: Any, keys: set[Key]) -> None:
    """The IRIs of a property path (sequence, alternative, inverse, ``*``/``+``/``?``)."""
    from rdflib.paths import AlternativePath, InvPath, MulPath, SequencePath
    from rdflib.term import URIRef

    if isinstance(path, URIRef):
        keys.add(("p", str(path)))
    elif isinstance(path, (SequencePath, AlternativePath)):
        for part in path.args:
            _path_predicates(part, keys)
    elif isinstance(path, InvPath):
        _path_predicates(path.arg, keys)
    elif isinstance(path, MulPath):
        _path_predicates(path.path, keys)
    else:  # a negated property set (or a path kind this walk does not know) can match any predicate
        raise _ReadsEverything


def _pattern_keys(triple: tuple[Any, Any, Any], keys: set[Key]) -> None:
    from rdflib.paths import Path as RdfPath
    from rdflib.term import URIRef

    _s, p, o = triple
    if isinstance(p, RdfPath):
        _path_predicates(p, keys)
    elif not isinstance(p, URIRef):
        raise _ReadsEverything  # a variable predicate
    elif str(p) == RDF_TYPE and isinstance(o, URIRef):
        keys.add(("type", str(o)))
    else:
        keys.add(("p", str(p)))


def _walk(node: Any, keys: set[Key], seen: dict[int, Any]) -> None:
    """Every triple pattern anywhere in an rdflib algebra tree (expressions included, for EXISTS)."""
    if id(node) in seen:
        return
    seen[id(node)] = node  # kept alive, so the id of a translated EXISTS pattern is never reused
    if isinstance(node, dict):  # rdflib's CompValue is a dict of its parts
        name = getattr(node, "name", None)
        if name == "BGP":
            for triple in node.get("triples") or ():
                _pattern_keys(triple, keys)
        elif name in ("Builtin_EXISTS", "Builtin_NOTEXISTS") and _parse_form(node.get("graph")):
            # rdflib leaves the pattern of (NOT) EXISTS in parse form until it evaluates it: translate it
            from rdflib.plugins.sparql.algebra import translateGroupGraphPattern

            _walk(translateGroupGraphPattern(node["graph"]), keys, seen)
            return
        elif _parse_form(node):
            raise _ReadsEverything  # a pattern in a form this walk does not know: assume it reads anything
        for value in node.values():
            _walk(value, keys, seen)
    elif isinstance(node, (list, tuple, set, frozenset)):
        for value in node:
            _walk(value, keys, seen)


def _parse_form(node: Any) -> bool:
    return getattr(node, "name", None) in ("GroupGraphPatternSub", "TriplesBlock", "GroupOrUnionGraphPattern")


def reads_of(algebra: Any) -> frozenset[Key] | None:
    """The read keys of a compiled query's algebra; None when it may read any triple."""
    keys: set[Key] = set()
    try:
        _walk(algebra, keys, {})
    except _ReadsEverything:
        return None
    return frozenset(keys)


def written_keys(triples: Iterable[tuple[Any, Any, Any]], text: Any = str) -> set[Key]:
    """The keys touched by added triples (store terms; ``text`` gives an IRI's string)."""
    keys: set[Key] = set()
    for _s, p, o in triples:
        predicate = _iri(p, text)
        keys.add(("p", predicate))
        if predicate == RDF_TYPE:
            keys.add(("type", _iri(o, text)))
    return keys


def _iri(term: Any, text: Any) -> str:
    value = getattr(term, "value", None)
    return value if isinstance(value, str) else text(term)


def touches(reads: frozenset[Key] | None, written: set[Key]) -> bool:
    """Whether a rule with these read keys can see any of the written keys."""
    if reads is None:
        return bool(written)
    return not reads.isdisjoint(written)  # ?x rdf:type ?c reads ("p", rdf:type), which every type triple writes
