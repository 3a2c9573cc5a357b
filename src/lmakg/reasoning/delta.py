"""Semi-naive re-runs: a rule whose WHERE clause is a monotone join re-runs over what was added since it last ran.

Why: the engine re-runs a rule when a triple it reads was added (:mod:`lmakg.reasoning.dependencies`); run in
full, the rule finds again every solution it found before (all of them instantiated already) to add the few
that use a new triple. For a rule whose WHERE clause is a join of triple patterns with FILTERs, BINDs and
VALUES (no OPTIONAL, UNION, MINUS, (NOT) EXISTS, sub-query, aggregate or property path), a solution it has not
found before must match at least one of its patterns to an added triple (the store only grows, and such a
clause only gains solutions when triples are added). So for each pattern that can match an added triple, the
re-run binds the pattern's variables to the added triples it matches, with a ``VALUES`` table put before the
rule's own clause: ``SELECT ... WHERE { VALUES (?x ?c) { ... } the rule's WHERE clause }`` (in the same group,
so Oxigraph starts from the table; FILTERs apply to the whole group, so they keep their meaning, and a rule that
BINDs one of its pattern variables is left out). Together these queries find every new solution (and
maybe some old ones, which the engine skips); the clause itself still checks every pattern, so a row that does
not fit changes nothing. Nothing is written to the store. A blank node cannot be written in a query: a match
through one binds the pattern's other variables only.

The rule text is not rewritten. :func:`plan` decides at compile time whether a rule qualifies and keeps its
patterns; :class:`Added` indexes the added triples by predicate, so a re-run looks only at those its patterns
can match, and re-runs in full when they are many (:data:`ROWS_LIMIT`). Tests compare it with the plain
fixpoint.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from typing import Any

from lmakg.reasoning.dependencies import RDF_TYPE, Key, touches

#: added triples that a re-run's patterns match (rows of its VALUES tables): past this many, joining them costs
#: more than a full re-run (measured on the scale-up of bench_reason.py: tens of thousands cost seconds)
ROWS_LIMIT = 2000

#: algebra nodes of a monotone join (rdflib names); anything else makes a rule re-run in full
_MONOTONE = {"Project", "BGP", "Join", "Filter", "Extend", "ToMultiSet", "values"}
_NOT_MONOTONE = {"Builtin_EXISTS", "Builtin_NOTEXISTS", "GroupGraphPatternSub"}


Pattern = tuple[tuple[str, str, str], frozenset[Key] | None]


def plan(algebra: Any, where: str) -> tuple[str, list[Pattern]] | None:
    """For a rule whose WHERE clause (``where``, the text from ``WHERE``; ``algebra`` its rdflib algebra) is a
    monotone join: (the clause's body, [((s, p, o), what the pattern reads)]), each term the text of a constant
    or ``?name`` for a variable; None for any other rule."""
    from rdflib.paths import Path as RdfPath
    from rdflib.term import BNode, URIRef, Variable

    start, end = where.find("{"), where.rfind("}")
    if start < 0 or end < start or where[end + 1:].strip():
        return None  # solution modifiers after the clause (ORDER BY, LIMIT ...)
    patterns: list[Pattern] = []
    bound: set[str] = set()  # variables assigned by BIND
    todo, projections = [algebra], 0
    while todo:
        node = todo.pop()
        if isinstance(node, dict):
            name = getattr(node, "name", None)
            if name is not None and name not in _MONOTONE and not name.startswith(("Builtin_", "Function", "Unary")) \
                    and not name.endswith("Expression"):
                return None
            projections += name == "Project"
            if name in _NOT_MONOTONE or projections > 1:  # (NOT) EXISTS, or a sub-query
                return None
            if name == "Extend":
                bound.add(f"?{node['var']}")
            if name == "BGP":
                for triple in node.get("triples") or ():
                    if any(isinstance(t, (RdfPath, BNode)) for t in triple):
                        return None  # a property path, or a blank node standing for a variable
                    s, p, o = triple
                    if isinstance(p, Variable):
                        reads = None
                    elif str(p) == RDF_TYPE and isinstance(o, URIRef):
                        reads = frozenset({("type", str(o))})
                    else:
                        reads = frozenset({("p", str(p))})
                    patterns.append(((s.n3(), p.n3(), o.n3()), reads))
                continue
            todo.extend(node.values())
        elif isinstance(node, (list, tuple)):
            todo.extend(node)
    if not patterns or any(t in bound for terms, _reads in patterns for t in terms):
        return None  # no pattern, or a variable a BIND assigns (it may not be bound before the BIND)
    return where[start + 1:end], patterns


class Added:
    """The triples a call added, in order, with the positions of those of each predicate (and of each class, for
    ``rdf:type``), so a pattern finds the ones it can match among those added since a given position."""

    def __init__(self, text: Callable[[Any], str]) -> None:
        self.triples: list[tuple[Any, Any, Any]] = []
        self.at: dict[str, list[int]] = {}  # predicate text (or "type CLASS") -> positions, ascending
        self._text = text
        self._texts: dict[Any, str] = {}

    def __len__(self) -> int:
        return len(self.triples)

    def text(self, term: Any) -> str:
        """A term's N-Triples text (as a query writes it), cached."""
        found = self._texts.get(term)
        if found is None:
            found = self._texts[term] = self._text(term)
        return found

    def extend(self, triples: Iterable[tuple[Any, Any, Any]]) -> None:
        for triple in triples:
            position = len(self.triples)
            self.triples.append(triple)
            predicate = self.text(triple[1])
            self.at.setdefault(predicate, []).append(position)
            if predicate == _TYPE:
                self.at.setdefault(f"type {self.text(triple[2])}", []).append(position)

    def candidates(self, terms: tuple[str, str, str], start: int) -> list[tuple[Any, Any, Any]]:
        """The triples added from position ``start`` on that a pattern may match (by predicate and class)."""
        _s, p, o = terms
        if p[0] == "?":
            return self.triples[start:]
        positions = self.at.get(f"type {o}" if p == _TYPE and o[0] != "?" else p, [])
        return [self.triples[i] for i in positions[bisect.bisect_left(positions, start):]]


_TYPE = f"<{RDF_TYPE}>"


def delta_solutions(header: str, body: str, patterns: list[Pattern], names: list[str], added: Added, start: int,
                    written: set[Key], is_blank: Callable[[Any], bool],
                    solve: Callable[[str], list[tuple[Any, ...]]]) -> list[tuple[Any, ...]] | None:
    """The rule's solutions in which some pattern matches one of the triples ``added`` from position ``start``
    on (whose keys are ``written``), as rows of the variables ``names`` in that order, each once; None when the
    rule had better re-run in full (the matches are many, or one binds no variable a query can name). ``solve``
    runs a SELECT over the graphs the rules read.

    A blank node cannot be written in a query: a match binds only its other variables (a wider table, whose
    solutions include the ones through the blank node)."""
    select = f"{header}SELECT {' '.join(f'?{n}' for n in names)} WHERE "
    rows: dict[tuple[Any, ...], None] = {}
    matched = 0
    for terms, reads in patterns:
        if not touches(reads, written):
            continue
        candidates = added.candidates(terms, start)
        matched += len(candidates)
        if matched > ROWS_LIMIT:
            return None
        tables: dict[tuple[str, ...], dict[tuple[str, ...], None]] = {}  # variables bound -> their rows
        for triple in candidates:
            if any(c[0] != "?" and added.text(t) != c for c, t in zip(terms, triple, strict=True)):
                continue  # a constant of the pattern differs
            binding: dict[str, Any] = {}
            if any(binding.setdefault(c, t) != t for c, t in zip(terms, triple, strict=True) if c[0] == "?"):
                continue  # a variable repeated in the pattern, bound to two terms
            named = {v: t for v, t in binding.items() if not is_blank(t)}
            if not named:
                return None
            tables.setdefault(tuple(named), {})[tuple(added.text(t) for t in named.values())] = None
        for variables, table in tables.items():
            block = " ".join(f"({' '.join(row)})" for row in table)
            rows.update(dict.fromkeys(solve(f"{select}{{ VALUES ({' '.join(variables)}) {{ {block} }}\n{body}\n}}")))
    return list(rows)
