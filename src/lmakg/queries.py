"""Named SPARQL queries: the researcher's questions in ``queries/``, and the engine's own in ``sparql/``.

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
from dataclasses import dataclass
from functools import cache
from importlib import resources as importlib_resources
from pathlib import Path
from typing import Any

from lmakg import resources
from lmakg.store import KnowledgeStore, Term

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
def engine_query(name: str) -> str:
    """Text of one of the engine's own queries (``src/lmakg/sparql/NAME.rq``)."""
    return (importlib_resources.files("lmakg") / "sparql" / f"{name}.rq").read_text(encoding="utf-8")


def run_engine_query(store: KnowledgeStore, name: str, **bindings: Any) -> list[dict[str, Term]]:
    return store.select(engine_query(name), bindings=bindings or None)


def rows_as_plain(rows: list[dict[str, Term]]) -> list[dict[str, Any]]:
    """Rows with Python values (numbers as numbers, IRIs and strings as strings)."""
    return [{k: v.python() for k, v in row.items()} for row in rows]
