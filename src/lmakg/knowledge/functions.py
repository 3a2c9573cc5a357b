"""SPARQL extension functions the rules need, as small named, tested Python functions.

Why: SPARQL 1.1 has no logarithm, yet the review's Nernst equation (Eq. 1) needs ln. Each function is a
plain Python function (tested on its own) plus thin adapters that register it with pyoxigraph (the
engine) and with rdflib (pySHACL, the differential executor), under the IRI the rules call:
``lmf:ln`` = ``https://w3id.org/lmakg/function#ln``.

>>> round(ln(0.05), 6)
-2.995732
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache
from typing import Any

FUNCTION_NS = "https://w3id.org/lmakg/function#"
XSD_DOUBLE = "http://www.w3.org/2001/XMLSchema#double"


def ln(x: float) -> float:
    """Natural logarithm; defined for x > 0 only (a concentration or activity)."""
    if x <= 0:
        raise ValueError(f"ln is undefined for {x}")
    return math.log(x)


FUNCTIONS: dict[str, Callable[[float], float]] = {"ln": ln}


@lru_cache(maxsize=1)
def custom_functions() -> dict[Any, Callable[..., Any]]:
    """The functions as pyoxigraph custom functions (a failed call yields an unbound value)."""
    import pyoxigraph as ox

    def adapt(fn: Callable[[float], float]) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            try:
                value = fn(*(float(a.value) for a in args))
            except (ValueError, AttributeError, TypeError):
                return None
            return ox.Literal(repr(value), datatype=ox.NamedNode(XSD_DOUBLE))
        return call

    return {ox.NamedNode(FUNCTION_NS + name): adapt(fn) for name, fn in FUNCTIONS.items()}


def register_with_rdflib() -> None:
    """Register the functions with rdflib's SPARQL engine (used by pySHACL). Safe to call twice."""
    from rdflib import Literal, URIRef
    from rdflib.namespace import XSD
    from rdflib.plugins.sparql.operators import register_custom_function
    from rdflib.plugins.sparql.sparql import SPARQLError

    for name, fn in FUNCTIONS.items():
        def call(*args: Any, _fn: Callable[[float], float] = fn) -> Any:
            try:
                return Literal(_fn(*(float(a) for a in args)), datatype=XSD.double)
            except (ValueError, TypeError) as exc:
                raise SPARQLError(str(exc)) from exc

        register_custom_function(URIRef(FUNCTION_NS + name), call, override=True)
