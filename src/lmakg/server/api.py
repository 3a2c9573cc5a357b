"""The workbench's JSON API (documented in :mod:`lmakg.server.workbench`): one function per ``/api/...`` path,
each a pure function of the request parameters and the opened knowledge, raising ``BadRequest`` (400) or
``NotFound`` (404)."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any, Protocol

from lmakg.knowledge.store import KnowledgeStore
from lmakg.knowledge.vocab import local_name, shorten

MAX_DEPTH = 3
DEFAULT_LIMIT = 150
MAX_LIMIT = 1000
MAX_NODES_PER_REQUEST = 500
HIDDEN_GRAPHS = ("https://w3id.org/lmakg/graph/provenance", "https://w3id.org/lmakg/graph/rules")


class Entry(Protocol):
    """What an API function reads: the opened store, its node index and its hypotheses (computed once)."""

    store: KnowledgeStore
    index: dict[str, Any]
    hypotheses: list[Any]


class BadRequest(ValueError):
    """A request parameter is missing or wrong; the message is sent back with HTTP 400."""


class NotFound(LookupError):
    """The request names something the graph does not have; sent back with HTTP 404."""


class TooLarge(BadRequest):
    """The request asks for more work than one request may (e.g. too many formulations); HTTP 413."""


class Guarded:
    """An engine that is slow to build and not thread-safe (the Assessor, the Predictor): built on first use,
    then used by one request at a time; the others wait on its lock."""

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build = build
        self._value: Any = None
        self._lock = threading.Lock()

    @contextmanager
    def use(self) -> Iterator[Any]:
        with self._lock:
            if self._value is None:
                self._value = self._build()
            yield self._value


def build_index(store: KnowledgeStore) -> dict[str, Any]:
    from lmakg.knowledge.queries import run_engine_query

    kinds: dict[str, tuple[int, str]] = {}
    for row in run_engine_query(store, "graph-node-kinds"):  # the kinds lmakg.graph.projection and lmakg viz use
        rank, kind = int(row["rank"].value), row["kind"].value
        node = row["node"].value
        if node not in kinds or rank < kinds[node][0]:
            kinds[node] = (rank, kind)
    names: dict[str, str] = {}
    titles: dict[str, str] = {}
    lookup: dict[str, set[str]] = {}
    for row in run_engine_query(store, "node-labels"):
        node, name = row["node"].value, row["name"].value
        if node not in names or (len(name), name) < (len(names[node]), names[node]):
            names[node] = name
        if "label" in row and (node not in titles or len(row["label"].value) > len(titles[node])):
            titles[node] = row["label"].value
        lookup.setdefault(name.casefold(), set()).add(node)
        if "label" in row:
            lookup.setdefault(row["label"].value.casefold(), set()).add(node)
    sections: dict[str, str] = {}
    references: dict[int, str] = {}
    for row in run_engine_query(store, "review-sources"):
        text = row["text"].value if "text" in row else ""
        if row["kind"].value == "section":
            sections[row["number"].value] = text
        else:
            references[int(row["number"].value)] = text
    by_local: dict[str, str] = {}
    for node in sorted(set(names) | {n for n in kinds}, key=lambda n: (n not in kinds, n)):
        by_local.setdefault(local_name(node), node)
    graphs = [g for g in store.named_graphs() if g not in HIDDEN_GRAPHS]
    return {"kinds": {n: k for n, (_, k) in kinds.items()}, "names": names, "titles": titles, "lookup": lookup,
            "sections": sections, "references": references, "by_local": by_local, "graphs": graphs}


def _node(index: dict[str, Any], iri: str, **extra: Any) -> dict[str, Any]:
    """A node as the pages draw it: IRI, short name, long title, kind."""
    name = index["names"].get(iri) or shorten(iri)
    if name == iri:
        name = local_name(iri) or iri
    out = {"id": iri, "label": name, "title": index["titles"].get(iri, name), "kind": index["kinds"].get(iri, "other"),
           "short": shorten(iri)}
    out.update(extra)
    return out


# ------------------------------------------------------------------------------------------------------
# API handlers: each takes the request parameters and the per-store state, returns JSON-ready data
# ------------------------------------------------------------------------------------------------------


def _one(params: dict[str, list[str]], key: str, default: str | None = None) -> str:
    values = params.get(key) or []
    if not values or not values[0].strip():
        if default is None:
            raise BadRequest(f"missing parameter {key!r}")
        return default
    return values[0].strip()


def _int(params: dict[str, list[str]], key: str, default: int, low: int, high: int) -> int:
    text = _one(params, key, str(default))
    try:
        value = int(text)
    except ValueError:
        raise BadRequest(f"parameter {key!r} must be an integer, got {text!r}") from None
    if not low <= value <= high:
        raise BadRequest(f"parameter {key!r} must be between {low} and {high}, got {value}")
    return value


def _iri(text: str) -> str:
    """An absolute IRI, or a prefixed name (lmk:FEC) expanded with the project's prefixes."""
    from lmakg.knowledge.vocab import PREFIXES

    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://\S+$", text) and not re.search(r"[<>\"{}|\\^`\s]", text):
        return text
    prefix, sep, rest = text.partition(":")
    if sep and prefix in PREFIXES and re.match(r"^[A-Za-z0-9_.%+-]*$", rest):
        return PREFIXES[prefix] + rest
    raise BadRequest(f"not an IRI or prefixed name: {text!r}")


def api_kinds(params: dict[str, list[str]], entry: Entry) -> dict[str, Any]:
    """The node kinds in legend order with their colours: the same as ``lmakg viz`` draws."""
    from lmakg.graph.projection import KINDS
    from lmakg.graph.viz import KIND_COLOURS

    return {"kinds": [{"kind": k, "colour": KIND_COLOURS[k]} for k in KINDS]}


def api_queries(params: dict[str, list[str]], entry: Entry) -> dict[str, Any]:
    from lmakg.knowledge.queries import list_queries

    return {"queries": [{"name": q.name, "title": q.title, "question": q.question, "section": q.section,
                         "check": q.is_violation_check, "text": q.text} for q in list_queries()]}


def api_nodes(params: dict[str, list[str]], entry: Entry) -> dict[str, Any]:
    iris = [v for v in params.get("iri", []) if v.strip()]
    if not iris:
        raise BadRequest("missing parameter 'iri' (give one or more)")
    if len(iris) > MAX_NODES_PER_REQUEST:
        raise BadRequest(f"at most {MAX_NODES_PER_REQUEST} 'iri' parameters per request, got {len(iris)}")
    index = entry.index
    return {"nodes": [_node(index, _iri(i)) for i in dict.fromkeys(iris)]}


def api_lookup(params: dict[str, list[str]], entry: Entry) -> dict[str, Any]:
    text = _one(params, "q")
    index = entry.index
    key = text.casefold()
    exact = sorted(index["lookup"].get(key, set()))
    if not exact and (text.startswith(("http://", "https://")) or ":" in text):
        try:
            iri = _iri(text)
        except BadRequest:
            iri = ""
        if iri in index["names"] or iri in index["kinds"]:
            exact = [iri]
    partial = sorted({n for name, nodes in index["lookup"].items() if key in name for n in nodes} - set(exact),
                     key=lambda n: (index["kinds"].get(n, "~"), index["names"].get(n, n)))
    matches = (exact + partial)[:25]
    return {"query": text, "matches": [_node(index, n) for n in matches]}


def api_neighbourhood(params: dict[str, list[str]], entry: Entry) -> dict[str, Any]:
    from lmakg.knowledge.queries import engine_query

    center = _iri(_one(params, "iri"))
    depth = _int(params, "depth", 1, 1, MAX_DEPTH)
    limit = _int(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    index = entry.index
    store = entry.store
    nodes: dict[str, int] = {center: 0}
    edges: dict[tuple[str, str], set[str]] = {}
    frontier = [center]
    truncated = False
    hidden: set[str] = set()
    for level in range(1, depth + 1):
        nxt: list[str] = []
        for node in frontier:
            rows = store.select(engine_query("neighbourhood"), bindings={"node": f"<{node}>"}, graphs=index["graphs"])
            for row in sorted(rows, key=lambda r: (r["s"].value, r["p"].value, r["o"].value)):
                s, o = row["s"].value, row["o"].value
                other = o if s == node else s
                if other not in index["names"] and other not in index["kinds"]:
                    hidden.add(other)  # a nameless value node (e.g. a perceived element count): not drawn
                    continue
                if other not in nodes:
                    if len(nodes) >= limit:
                        truncated = True
                        continue
                    nodes[other] = level
                    nxt.append(other)
                label = local_name(row["p"].value)
                if "via" in row:
                    label = f"{local_name(row['via'].value)} / {label}"
                edges.setdefault((s, o), set()).add(label)
        frontier = nxt
        if level == 1 and len(nodes) == 1 and center not in index["names"] and center not in index["kinds"]:
            raise NotFound(f"no node {shorten(center)} in the graph")
    return {
        "center": center, "depth": depth, "truncated": truncated, "hiddenValueNodes": len(hidden),
        "nodes": [_node(index, n, level=lvl) for n, lvl in nodes.items()],
        "edges": [{"from": s, "to": o, "label": ", ".join(sorted(labels))} for (s, o), labels in sorted(edges.items())
                  if s in nodes and o in nodes],
    }


def _summary(rank: int, h: Any) -> dict[str, Any]:
    return {"rank": rank, "id": h.id, "kind": h.kind, "label": h.label, "score": round(h.score, 3),
            "novel": h.novel, "mechanisms": h.mechanisms, "families": sorted(h.families),
            "components": [c.get("label", c["id"]) for c in h.components], "tradeoffs": len(h.tradeoffs)}


def api_hypotheses(params: dict[str, list[str]], entry: Entry) -> dict[str, Any]:
    found = entry.hypotheses
    mechanisms = sorted({m for h in found for m in h.mechanisms} | {f for h in found for f in h.families})
    return {"count": len(found), "mechanisms": mechanisms,
            "hypotheses": [_summary(rank, h) for rank, h in enumerate(found, start=1)]}


def _sources(index: dict[str, Any], sections: set[str], references: set[int]) -> dict[str, Any]:
    return {"sections": {s: index["sections"].get(s, "") for s in sorted(sections)},
            "references": {str(r): index["references"].get(r, "") for r in sorted(references)}}


def _collect(tree: Any, sections: set[str], references: set[int]) -> None:
    """Every section number and reference number mentioned anywhere in a JSON explanation."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            if key in ("section", "sections"):
                for s in value if isinstance(value, list) else [value]:
                    if isinstance(s, str) and s:
                        sections.add(s)
            elif key in ("reference", "references"):
                for r in value if isinstance(value, list) else [value]:
                    if isinstance(r, int):
                        references.add(r)
            else:
                _collect(value, sections, references)
    elif isinstance(tree, list):
        for item in tree:
            _collect(item, sections, references)


def collect_sources(index: dict[str, Any], tree: Any) -> dict[str, Any]:
    """The titles of the review sections and the citations of the references mentioned anywhere in ``tree``."""
    sections: set[str] = set()
    references: set[int] = set()
    _collect(tree, sections, references)
    return _sources(index, sections, references)


def api_hypothesis(params: dict[str, list[str]], entry: Entry) -> dict[str, Any]:
    wanted = _one(params, "id")
    found = entry.hypotheses
    rank = next((i for i, h in enumerate(found, start=1) if h.id == wanted), 0)
    if not rank:
        import difflib

        close = difflib.get_close_matches(wanted, [h.id for h in found], n=3)
        raise NotFound(f"no hypothesis {wanted!r}" + (f"; closest: {', '.join(close)}" if close else ""))
    h = found[rank - 1]
    index = entry.index
    data = h.as_dict()
    data["rank"] = rank
    data["sources"] = collect_sources(index, data)
    # local names used in the explanation (designs, parts, species) -> IRIs, so the page can link them
    names = {c["id"] for c in h.components} | {local_name(m) for m in h.members}
    for info in data["explanations"]:
        names.update(info.get("supportingDesigns", []))
        for e in info["evidence"]:
            names.update(e.get("designs", []))
            if e.get("via"):
                names.update(v.strip() for v in e["via"].split(","))
    data["iris"] = {n: index["by_local"][n] for n in sorted(names) if n in index["by_local"]}
    for m in h.members:
        data["iris"][local_name(m)] = m
    return data


def api_why(params: dict[str, list[str]], entry: Entry) -> dict[str, Any]:
    from lmakg.reasoning.explain import explain_mechanism

    subject = _iri(_one(params, "iri"))
    mechanism = _one(params, "mechanism")
    if not re.match(r"^[A-Za-z][A-Za-z0-9_]*$", mechanism.removeprefix("lma:")):
        raise BadRequest(f"not a mechanism name: {mechanism!r}")
    index = entry.index
    if index["kinds"].get(_iri("lma:" + mechanism.removeprefix("lma:"))) != "mechanism":
        raise NotFound(f"no mechanism {mechanism!r} in the graph")
    tree = explain_mechanism(entry.store, subject, mechanism)
    tree["sources"] = collect_sources(index, tree)
    return tree


@cache
def _mechanism_map_query() -> str:
    from lmakg.knowledge.queries import engine_query

    return engine_query("mechanism-map")


def _with_prefixes(text: str) -> str:
    """The query with PREFIX lines for the project prefixes it uses (engine queries get them from the store;
    a copy pasted into any SPARQL tool needs them written out)."""
    from lmakg.knowledge.vocab import PREFIXES

    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    used = [p for p in PREFIXES if re.search(rf"(?<![\w<]){re.escape(p)}:", body)]
    return "".join(f"PREFIX {p}: <{PREFIXES[p]}>\n" for p in used) + text


def api_mechanism_map(params: dict[str, list[str]], entry: Entry) -> dict[str, Any]:
    """Figure 2 as a graph: nodes are the rows' IRIs, edges the rows' relations (see mechanism-map.rq)."""
    index = entry.index
    rows = entry.store.select(_mechanism_map_query())
    nodes: dict[str, dict[str, Any]] = {}
    edges = []
    families = set()
    for row in rows:
        source = row["source"].value
        if "relation" not in row:
            families.add(source)
        nodes.setdefault(source, _node(index, source))
        if "target" in row:
            target = row["target"].value
            nodes.setdefault(target, _node(index, target))
            edges.append({"from": source, "to": target, "label": row["relation"].value})
    for iri in families:
        nodes[iri]["family"] = True
    designs = {e["from"] for e in edges if e["label"] == "actsThrough"}
    for iri, node in nodes.items():
        node["designCount"] = sum(1 for e in edges if e["to"] == iri and e["label"] == "actsThrough")
        node["role"] = "family" if iri in families else "design" if iri in designs else "mechanism"
    return {"nodes": sorted(nodes.values(), key=lambda n: (n["role"], n["label"])), "edges": edges,
            "query": _with_prefixes(_mechanism_map_query())}


API = {
    "/api/kinds": api_kinds,
    "/api/queries": api_queries,
    "/api/nodes": api_nodes,
    "/api/lookup": api_lookup,
    "/api/neighbourhood": api_neighbourhood,
    "/api/hypotheses": api_hypotheses,
    "/api/hypothesis": api_hypothesis,
    "/api/why": api_why,
    "/api/mechanism-map": api_mechanism_map,
}

# ------------------------------------------------------------------------------------------------------
# files and routing
# ------------------------------------------------------------------------------------------------------


