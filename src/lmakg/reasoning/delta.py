"""Semi-naive re-runs: a rule whose WHERE clause is a monotone join re-runs over what was added since it last ran.

Why: the engine re-runs a rule when a triple it reads was added (:mod:`lmakg.reasoning.dependencies`); run in
full, the rule finds again every solution it found before (all of them instantiated already) to add the few
that use a new triple. For a rule whose WHERE clause is a join of triple patterns with FILTERs, BINDs and
VALUES (no OPTIONAL, UNION, MINUS, (NOT) EXISTS, sub-query, aggregate or property path), a solution it has not
found before must match at least one of its patterns to an added triple (the store only grows, and such a
clause only gains solutions when triples are added). So for each pattern that can match an added triple, the
re-run binds the pattern's variables to the added triples it matches, with a ``VALUES`` table joined to the
rule's own clause (kept whole in its own group, so BIND and FILTER keep their scope): ``SELECT ... WHERE {
VALUES (?x ?c) { ... } { the rule's WHERE clause } }``. Together these queries find every new solution (and
maybe some old ones, which the engine skips); the clause itself still checks every pattern, so a row that does
not fit changes nothing. Nothing is written to the store. A blank node cannot be written in a query: when an
added triple a pattern matches has one, the rule re-runs in full.

The rule text is not rewritten. :func:`plan` decides at compile time whether a rule qualifies and keeps its
patterns; the engine (:mod:`lmakg.reasoning.engine`) decides per re-run whether the added triples are few
enough for it to pay (:func:`worth_it`); tests compare it with the plain fixpoint.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lmakg.reasoning.dependencies import RDF_TYPE, Key, touches

#: a delta re-run pays when the added triples are at most this many, or this share of what the call inferred
DELTA_MIN, DELTA_SHARE = 1000, 0.1
#: matches holding a blank node cost one query each: past this many, a full re-run is cheaper
BLANK_LIMIT = 100

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
    if not patterns:
        return None
    return where[start + 1:end], patterns


def worth_it(added: int, inferred: int, limit: int | None) -> bool:
    """Whether a re-run over ``added`` triples (of ``inferred`` in this call) should be a delta re-run."""
    if limit is not None:
        return added <= limit
    return added <= max(DELTA_MIN, DELTA_SHARE * inferred)


def delta_solutions(store: Any, header: str, body: str, patterns: list[Pattern], names: list[str],
                    added: list[tuple[Any, Any, Any]], written: set[Key],
                    solve: Callable[[str, dict[str, Any] | None], list[tuple[Any, ...]]]
                    ) -> list[tuple[Any, ...]] | None:
    """The rule's solutions in which some pattern matches one of the ``added`` triples (whose keys are
    ``written``), as rows of the variables ``names`` in that order, each once; None when the rule had better
    re-run in full (a pattern without variables matches, or many matches hold blank nodes). ``solve`` runs a
    SELECT over the graphs the rules read, with variables bound to store terms (for blank nodes, which a query
    text cannot name: one query each)."""
    text: dict[Any, str] = {}

    def term(t: Any) -> str:
        found = text.get(t)
        if found is None:
            found = text[t] = store.term_text(t)
        return found

    select = f"{header}SELECT {' '.join(f'?{n}' for n in names)} WHERE "
    rows: dict[tuple[Any, ...], None] = {}
    blank: list[dict[str, Any]] = []  # bindings with a blank node
    for terms, reads in patterns:
        if not touches(reads, written):
            continue
        variables = list(dict.fromkeys(t for t in terms if t.startswith("?")))
        table: dict[tuple[str, ...], None] = {}
        for triple in added:
            values = [term(t) for t in triple]
            if any(c[0] != "?" and v != c for c, v in zip(terms, values, strict=True)):
                continue  # a constant of the pattern differs
            binding: dict[str, Any] = {}
            if any(binding.setdefault(c, t) != t for c, t in zip(terms, triple, strict=True) if c[0] == "?"):
                continue  # a variable repeated in the pattern, bound to two terms
            if not variables or len(blank) > BLANK_LIMIT:
                return None
            if any(store.is_blank(t) for t in binding.values()):
                blank.append({c[1:]: t for c, t in binding.items()})
            else:
                table[tuple(term(binding[v]) for v in variables)] = None
        if table:
            block = " ".join(f"({' '.join(row)})" for row in table)
            rows.update(dict.fromkeys(solve(f"{select}{{ VALUES ({' '.join(variables)}) {{ {block} }} {{ {body} }} }}",
                                            None)))
    for binding in blank:
        rows.update(dict.fromkeys(solve(f"{select}{{ {body} }}", binding)))
    return list(rows)
