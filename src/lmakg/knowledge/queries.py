"""Named SPARQL queries: the researcher's questions in ``queries/``, and the engine's own beside the modules
that run them.

Why files: a query is data a chemist can read, run in any SPARQL tool and extend without touching
Python. Values are passed as bindings (SEP-0007 substitution), never pasted into the text.

A named query file starts with a comment header::

    # title: Which components form a LiF-rich SEI?
    # question: Which species does the review report to form LiF in the SEI, in which designs?
    # section: 4.1

File names follow ODK conventions: ``NAME.rq`` is a report; ``NAME-violation.rq`` must return no rows
(``lmakg build`` fails otherwise).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources as importlib_resources
from pathlib import Path
from typing import Any

from lmakg.knowledge import resources
from lmakg.knowledge.store import KnowledgeStore, Term

HEADER = re.compile(r"^#\s*(?P<key>[A-Za-z_-]+)\s*:\s*(?P<value>.*)$")


class UnknownQueryError(LookupError):
    """No named query has that name; the message suggests the closest names."""


@dataclass(frozen=True)
class NamedQuery:
    name: str
    title: str
    question: str
    section: str
    path: Path
    text: str

    @property
    def is_violation_check(self) -> bool:
        return self.name.endswith("-violation")


def parse_query_file(path: Path) -> NamedQuery:
    text = path.read_text(encoding="utf-8")
    meta: dict[str, str] = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            if line.strip():
                break
            continue
        match = HEADER.match(line)
        if match:
            key = match.group("key").lower()
            meta[key] = (meta.get(key, "") + " " + match.group("value").strip()).strip()
    name = path.stem
    return NamedQuery(
        name=name,
        title=meta.get("title", name),
        question=meta.get("question", meta.get("title", "")),
        section=meta.get("section", ""),
        path=path,
        text=text,
    )


def list_queries() -> list[NamedQuery]:
    """All named queries in ``queries/``, sorted by name."""
    return [parse_query_file(p) for p in sorted(resources.folder("queries").glob("*.rq"))]


def get_query(name: str) -> NamedQuery:
    """The named query called ``name`` (file stem), or an error naming the closest ones."""
    queries = {q.name: q for q in list_queries()}
    key = name.removesuffix(".rq")
    if key in queries:
        return queries[key]
    close = difflib.get_close_matches(key, list(queries), n=5, cutoff=0.4)
    hint = f"; closest: {', '.join(close)}" if close else "; run `lmakg queries` to list them"
    raise UnknownQueryError(f"no named query {name!r}{hint}")


@cache
def _engine_query_files() -> dict[str, Any]:
    """Every engine query of the package by name: each ``NAME.rq`` sits beside the module that runs it
    (``lmakg/<layer>/NAME.rq``), so moving a module moves its queries. Names are unique across layers."""
    found: dict[str, Any] = {}
    root = importlib_resources.files("lmakg")
    for layer in sorted(root.iterdir(), key=lambda p: p.name):
        if not layer.is_dir() or layer.name in ("data", "__pycache__"):
            continue
        for item in layer.iterdir():
            if item.name.endswith(".rq"):
                name = item.name.removesuffix(".rq")
                if name in found:
                    raise RuntimeError(f"engine query {name}.rq exists in two layers: {found[name]} and {item}")
                found[name] = item
    return found


@cache
def engine_query(name: str) -> str:
    """Text of one of the engine's own queries (``lmakg/<layer>/NAME.rq``, beside the module that runs it)."""
    files = _engine_query_files()
    if name not in files:
        raise UnknownQueryError(f"no engine query {name!r}")
    return files[name].read_text(encoding="utf-8")


def run_engine_query(store: KnowledgeStore, name: str, **bindings: Any) -> list[dict[str, Term]]:
    return store.select(engine_query(name), bindings=bindings or None)


def rows_as_plain(rows: list[dict[str, Term]]) -> list[dict[str, Any]]:
    """Rows with Python values (numbers as numbers, IRIs and strings as strings)."""
    return [{k: v.python() for k, v in row.items()} for row in rows]


WHERE_OPEN = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)


def with_values(sparql: str, values: Mapping[str, Iterable[str]]) -> str:
    """The query with one ``VALUES`` clause per variable at the start of its outer ``WHERE`` group (terms in
    SPARQL syntax, e.g. ``<iri>``): how lmakg binds variables where SEP-0007 substitution is not available (a
    remote server, a query over several subjects at once). Raises ValueError if the query has no WHERE."""
    where = WHERE_OPEN.search(sparql)
    if where is None:
        raise ValueError("the query has no WHERE clause to bind variables in")
    clause = " ".join(f"VALUES ?{var} {{ {' '.join(terms)} }}" for var, terms in values.items())
    return sparql[: where.end()] + f" {clause} " + sparql[where.end():]
