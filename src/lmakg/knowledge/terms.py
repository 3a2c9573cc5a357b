"""Query-result terms in plain Python (:class:`Term`), and values turned into the store's terms.

Why apart from the store: every layer reads results as :class:`Term` (kind, lexical value, datatype or
language) and passes bindings as plain values, so only this module and :mod:`lmakg.knowledge.store` know the
backend's term classes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

TRUE = ("true", "1")  # the lexical forms of xsd:boolean true (Virtuoso writes 1)


@dataclass(frozen=True)
class Term:
    """A query-result term in plain Python: its kind, lexical value, and datatype or language."""

    kind: str  # "uri", "bnode", "literal"
    value: str
    datatype: str | None = None
    language: str | None = None

    def __str__(self) -> str:
        return self.value

    def python(self) -> Any:
        """The value as a Python number where the literal is numeric, else the string."""
        if self.kind == "literal" and self.datatype:
            local = self.datatype.rsplit("#", 1)[-1]
            try:
                if local in {"integer", "int", "long", "short", "nonNegativeInteger", "positiveInteger"}:
                    return int(self.value)
                if local in {"decimal", "double", "float"}:
                    return float(self.value)
                if local == "boolean":
                    return self.value in TRUE
            except ValueError:
                return self.value
        return self.value


def _term(node: Any) -> Term | None:
    if node is None:
        return None
    if isinstance(node, ox.NamedNode):
        return Term("uri", node.value)
    if isinstance(node, ox.BlankNode):
        return Term("bnode", node.value)
    if isinstance(node, ox.Literal):
        return Term("literal", node.value, node.datatype.value if node.datatype else None, node.language)
    return Term("literal", str(node))


def _to_ox(value: Any) -> Any:
    """Turn a binding value (IRI string in <>, rdflib term, number or str) into a pyoxigraph term."""
    if isinstance(value, (ox.NamedNode, ox.BlankNode, ox.Literal)):
        return value
    if isinstance(value, Term):
        if value.kind == "uri":
            return ox.NamedNode(value.value)
        if value.kind == "bnode":
            return ox.BlankNode(value.value)
        return ox.Literal(value.value, datatype=ox.NamedNode(value.datatype) if value.datatype and
                          not value.language else None, language=value.language)
    # rdflib terms without importing rdflib here
    kind = type(value).__name__
    if kind == "URIRef":
        return ox.NamedNode(str(value))
    if kind == "Literal":
        dt = getattr(value, "datatype", None)
        lang = getattr(value, "language", None)
        return ox.Literal(str(value), datatype=ox.NamedNode(str(dt)) if dt else None, language=lang)
    if isinstance(value, bool):
        return ox.Literal("true" if value else "false",
                          datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean"))
    if isinstance(value, int):
        return ox.Literal(str(value), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))
    if isinstance(value, float):
        return ox.Literal(repr(value), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#double"))
    text = str(value)
    if text.startswith("<") and text.endswith(">"):
        return ox.NamedNode(text[1:-1])
    return ox.Literal(text)


__all__ = ["Term", "_term", "_to_ox"]
