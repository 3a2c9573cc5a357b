"""Provenance: every rule firing (and every RDKit perception) as a PROV-O ``lma:Derivation``.

Why content hashes: derivations and the ``rdf:Statement`` nodes naming their premises and conclusions get
IRIs that are hashes of their content, so re-running adds nothing and the result does not depend on rule
order. The instantiation helpers (:class:`Instantiator`, :func:`build_triple`) turn a rule's compiled
patterns and one solution row into store terms; the engine uses them for conclusions, this module for
premises.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Collection
from typing import Any

from lmakg.knowledge.store import KnowledgeStore
from lmakg.knowledge.vocab import GRAPH, INFERRED_GRAPH, LMA_IRI, PREFIXES
from lmakg.reasoning.rules import Rule

PROVENANCE_GRAPH = GRAPH["provenance"]
DERIVATION_NS = "https://w3id.org/lmakg/derivation/"
STATEMENT_NS = "https://w3id.org/lmakg/statement/"
RDF = PREFIXES["rdf"]


def digest(*parts: str) -> str:
    """The content hash that names derivations and statements (same content, same IRI: re-runs add nothing)."""
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:20]


def term_key(store: KnowledgeStore, term: Any, blanks: dict[Any, str] | None = None) -> str:
    """A term's text in a content hash: N-Triples, but a literal's value unescaped, as SPARQL's ``STR`` gives it,
    and a blank node by its content key (``blank-node-keys.rq``; a store's own labels change from one load to the
    next), so a SPARQL server computes the same hashes (:mod:`lmakg.reasoning.update`)."""
    if blanks is not None and term in blanks:
        return blanks[term]
    text = store.term_text(term)
    if text.startswith('"') and "\\" in text:
        text = f'"{term.value}"{text[text.rindex(chr(34)) + 1:]}'
    return text


def blank_keys(store: KnowledgeStore) -> dict[Any, str]:
    """The content key of every blank node the rules read (``blank-node-keys.rq``)."""
    from lmakg.knowledge.queries import engine_query

    _names, rows = store.solutions(engine_query("blank-node-keys"), reasoning_graphs(store))
    return {row[0]: row[1].value for row in rows}


def blank_key(store: KnowledgeStore, node: Any, graphs: set[str],
              memo: dict[tuple[str, Any, Any], str] | None = None) -> str | None:
    """One blank node's content key, as :func:`blank_keys` (``blank-node-keys.rq``) gives it, from the triples
    of ``graphs`` around it alone (None if there are none). Why: provenance needs the keys of the blank nodes
    its statements name only, and the query keys every blank node of the graph (at a million triples, seconds).
    ``memo`` keeps the hash of each (direction, predicate, other end) across calls."""
    memo = {} if memo is None else memo
    hashes = set()
    for way, p, x in store.around(node, graphs):
        h = memo.get((way, p, x))
        if h is None:
            text = "[]" if store.is_blank(x) else term_key(store, x)
            h = memo[way, p, x] = hashlib.sha1(f"{way} <{p.value}> {text}".encode()).hexdigest()
        hashes.add(h)
    if not hashes:
        return None
    return "bnode:" + hashlib.sha1(f"{min(hashes)}{max(hashes)}{len(hashes)}".encode()).hexdigest()[:20]


def reify(store: KnowledgeStore, triple: tuple[Any, Any, Any], blanks: dict[Any, str] | None = None,
          texts: dict[Any, str] | None = None) -> tuple[Any, str, list[tuple[Any, Any, Any]]]:
    """The rdf:Statement node naming a triple (by content hash), its hash, and the four triples describing it.
    Used for the statements of RDKit perception (:func:`record_derivations` makes those of rule firings the same
    way). ``texts`` caches each term's :func:`term_key` across calls."""
    if texts is None:
        key = digest(" ".join(term_key(store, t, blanks) for t in triple))
    else:
        key = digest(" ".join(texts.get(t) or texts.setdefault(t, term_key(store, t, blanks)) for t in triple))
    node = store.iri(STATEMENT_NS + key)
    rdf_type, statement, subject, predicate, obj = _reification_terms(store.iri)
    return node, key, [(node, rdf_type, statement), (node, subject, triple[0]), (node, predicate, triple[1]),
                       (node, obj, triple[2])]


@functools.lru_cache(maxsize=8)
def _reification_terms(iri: Any) -> tuple[Any, ...]:
    """rdf:type, rdf:Statement, rdf:subject, rdf:predicate, rdf:object as terms of a backend (made once)."""
    return tuple(iri(RDF + name) for name in ("type", "Statement", "subject", "predicate", "object"))


class Instantiator:
    """Compiles rdflib template terms into store terms (constants cached) for :func:`build_triple`."""

    def __init__(self, store: KnowledgeStore) -> None:
        self.store = store
        self.cache: dict[Any, Any] = {}

    def constant(self, t: Any) -> Any:
        """The store term of an IRI or literal of a template (None for anything else)."""
        from rdflib.term import Literal, URIRef

        cached = self.cache.get(t)
        if cached is not None:
            return cached
        if isinstance(t, URIRef):
            made = self.store.iri(str(t))
        elif isinstance(t, Literal):
            made = self.store.literal(str(t), str(t.datatype) if t.datatype else None)
        else:
            return None
        self.cache[t] = made
        return made

    def builders(self, patterns: list[tuple[Any, Any, Any]], names: list[str]) -> list[Any]:
        """Patterns compiled against a solution layout: each position is (column, None) for a variable
        or (-1, store term) for a constant; None for a pattern with a variable the query never binds.
        Instantiating one is then three index lookups (see :func:`build_triple`)."""
        from rdflib.term import Variable

        column = {name: i for i, name in enumerate(names)}
        compiled: list[Any] = []
        for pattern in patterns:
            spec = []
            for t in pattern:
                if isinstance(t, Variable):
                    spec.append((column.get(str(t), -2), None))
                else:
                    spec.append((-1, self.constant(t)))
            usable = all(i != -2 for i, _ in spec) and all(c is not None for i, c in spec if i == -1)
            compiled.append(tuple(spec) if usable else None)
        return compiled


def build_triple(spec: Any, values: tuple[Any, ...]) -> tuple[Any, Any, Any] | None:
    """A triple from a compiled pattern and one solution row; None if a variable is unbound."""
    if spec is None:
        return None
    (i, a), (j, b), (k, c) = spec
    s = values[i] if i >= 0 else a
    p = values[j] if j >= 0 else b
    o = values[k] if k >= 0 else c
    if s is None or p is None or o is None:
        return None
    return s, p, o


def reasoning_graphs(store: KnowledgeStore) -> list[str]:
    """The graphs rules read: every named graph but the provenance graph. Rules reason about the
    knowledge, not about their own bookkeeping (otherwise a later run would classify the derivations an
    earlier run recorded, and the closure would depend on when provenance was written)."""
    return sorted((set(store.named_graphs()) | {str(INFERRED_GRAPH)}) - {str(PROVENANCE_GRAPH)})


def record_derivations(store: KnowledgeStore, rules: list[Rule], make: Instantiator,
                       rows_by_rule: dict[str, tuple[list[str], list[tuple[Any, ...]]]] | None = None,
                       inferred_exactly: set[tuple[Any, Any, Any]] | None = None,
                       predicates: Collection[str] | None = None) -> int:
    """One pass over the closed graph: for every firing whose conclusion is inferred, record a
    lma:Derivation with the rule, the conclusion and the premises that matched. ``rows_by_rule`` passes
    solutions the caller already has (rule id -> (variable names, rows)) instead of running each rule's
    query again (an incremental run passes only its new firings). ``inferred_exactly``: the whole inferred
    graph, when the caller knows it (it started empty and the caller added these), so conclusions are looked
    up in a set instead of the store. ``predicates``: record only conclusions with one of these predicates (a
    template pattern with a variable predicate always counts), and derivations only of those: for a caller that
    reads no other and undoes everything (a screen's scratch pad: half of a candidate's firings type it up the
    class hierarchy, and a Nernst potential's quantity node has nine conclusions of which it reads one).

    Provenance is written rule by rule (bounded memory). Statement nodes are cached by triple and each term's
    text in a hash by term; a blank node's key is computed when one is first met (:func:`blank_key`); a
    derivation met again (another solution with the same premises) adds its conclusions only.
    """
    iri = store.iri
    rdf_type = store.iri(RDF + "type")
    derivation_cls = store.iri(LMA_IRI + "Derivation")
    used_rule = store.iri(LMA_IRI + "usedRule")
    conclusion_p = store.iri(LMA_IRI + "conclusion")
    premise_p = store.iri(LMA_IRI + "premise")
    _type, statement_cls, subject_p, predicate_p, object_p = _reification_terms(store.iri)
    inferred = str(INFERRED_GRAPH)
    provenance = str(PROVENANCE_GRAPH)
    statements: dict[tuple[Any, Any, Any], tuple[Any, str]] = {}
    texts: dict[Any, str] = {}  # term -> its text in a hash (term_key; a blank node by its content key)
    around: dict[tuple[str, Any, Any], str] = {}  # blank_key's memo
    described_as: dict[str, tuple[Any, Any, Any]] = {}  # statement key -> the triple first described with it
    graphs = set(reasoning_graphs(store))
    checked: set[tuple[Any, Any, Any]] = set()
    is_inferred: set[tuple[Any, Any, Any]] = set()
    count = 0

    def check(triple: tuple[Any, Any, Any]) -> bool:
        """Whether a conclusion is in the inferred graph (asked once per triple)."""
        checked.add(triple)
        if store.contains(*triple, graph=inferred):
            is_inferred.add(triple)
            return True
        return False

    def text(term: Any) -> str:
        found = texts.get(term)
        if found is None:
            found = texts[term] = ((store.is_blank(term) and blank_key(store, term, graphs, around))
                                   or term_key(store, term))
        return found

    def statement(triple: tuple[Any, Any, Any], sink: list[tuple[Any, Any, Any]]) -> tuple[Any, str]:
        """The statement node of a triple and its key (as :func:`reify`), described in ``sink`` once."""
        s, p, o = triple
        key = digest(f"{text(s)} {text(p)} {text(o)}")
        node = iri(STATEMENT_NS + key)
        first = described_as.get(key)
        if first is not None:  # blank nodes alike in content share a key: add only what differs
            sink.extend((node, role, t) for role, t, was in zip((subject_p, predicate_p, object_p), triple, first,
                                                                strict=True) if t != was)
        else:
            described_as[key] = triple
            sink.extend(((node, rdf_type, statement_cls), (node, subject_p, s), (node, predicate_p, p),
                         (node, object_p, o)))
        found = statements[triple] = (node, key)
        return found

    for rule in rules:
        patterns = rule.template if predicates is None else [
            t for t in rule.template if type(t[1]).__name__ == "Variable" or str(t[1]) in predicates]
        if not patterns:
            continue
        names, rows = (rows_by_rule[rule.id] if rows_by_rule is not None
                       else store.solutions(rule.select, reasoning_graphs(store)))
        rule_node = store.iri(rule.iri)
        template = [spec for spec in make.builders(patterns, names) if spec is not None]
        premises = [(spec, sure) for spec, sure in zip(make.builders(rule.premises, names), rule.premise_certain,
                                                       strict=True) if spec is not None]
        sink: list[tuple[Any, Any, Any]] = []
        described: dict[str, tuple[Any, set[Any]]] = {}  # derivations of this rule written -> (node, conclusions)
        exact = inferred_exactly
        for values in rows:
            if exact is not None:  # the common case, a set lookup per conclusion
                conclusions = [t for spec in template
                               if (t := build_triple(spec, values)) is not None and t in exact]
            else:
                conclusions = [t for t in (build_triple(spec, values) for spec in template)
                               if t is not None and (t in is_inferred if t in checked else check(t))]
            if not conclusions:
                continue
            premise_nodes: dict[str, Any] = {}
            for spec, sure in premises:
                triple = build_triple(spec, values)
                if triple is None or (not sure and not store.contains(*triple)):
                    continue
                found = statements.get(triple)
                node, key = found if found is not None else statement(triple, sink)
                premise_nodes[key] = node
            # keys in premise order (a server computes the same hash: reasoning.update)
            d_key = digest(rule.iri, *premise_nodes)
            known = described.get(d_key)
            if known is not None:
                d_node, linked = known
            else:
                d_node, linked = described[d_key] = iri(DERIVATION_NS + d_key), set()
                sink.append((d_node, rdf_type, derivation_cls))
                sink.append((d_node, used_rule, rule_node))
                sink.extend([(d_node, premise_p, node) for node in premise_nodes.values()])
            for c in conclusions:
                found = statements.get(c)
                node = (found if found is not None else statement(c, sink))[0]
                if node not in linked:
                    linked.add(node)
                    sink.append((d_node, conclusion_p, node))
            count += 1
        if sink:
            store.add_triples(sink, provenance)
    return count
