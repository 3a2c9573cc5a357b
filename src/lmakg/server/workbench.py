"""The web workbench served by ``lmakg serve`` next to the SPARQL endpoint: pages, static files, JSON API.

Why a single ``route`` function: the HTTP server (:mod:`lmakg.server.http`) owns sockets, limits and the SPARQL
protocol; everything else it hands to :func:`route`, which is a pure request -> response function that tests
can call without a network. The pages are plain HTML/CSS/JS in ``lmakg/web`` with every script bundled
(vis-network is vendored), so they work with no internet; the Content-Security-Policy sent with every page
forbids anything that is not from the server itself. The pages share one layout (``web/layout.html``: head,
navigation bar, the project prefixes) filled with each page's title, scripts and body (``web/pages/``).

JSON API (GET, but ``/api/assess`` takes a JSON body by POST):

* ``/api/kinds`` — node kinds and their colours (those of ``lmakg viz``), for legends;
* ``/api/queries`` — the named queries (question, title, section, SPARQL) for the editor's menu;
* ``/api/nodes?iri=...&iri=...`` — display name and kind of nodes (to draw any query result as a graph);
* ``/api/neighbourhood?iri=...&depth=1&limit=150`` — nodes and edges around a node (nodes with neither a
  name nor a kind, such as perceived element counts, are value nodes and are left out);
* ``/api/lookup?q=FEC`` — nodes known by a name (label or abbreviation);
* ``/api/hypotheses`` — the ranked hypotheses (summary); ``/api/hypothesis?id=H-FEC`` — one, with its
  explanation (per family and mechanism), the titles of its review sections and its references' citations;
* ``/api/why?iri=...&mechanism=...`` — the derivation tree of a predicted mechanism (:mod:`lmakg.reasoning.explain`);
* ``/api/mechanism-map`` — the review's Figure 2 as nodes and edges, from ``mechanism-map.rq``;
* ``POST /api/assess`` with ``{"formulations": [...]}`` — formulations judged and ranked
  (:mod:`lmakg.server.assess_api`);
* ``/api/predict?smiles=...&role=...&concentration=...&unit=M`` — a molecule's predictions with an RDKit
  depiction (:mod:`lmakg.server.molecule_api`).

The opened knowledge, its node index, the hypotheses, the Assessor and the Predictor are computed once per
store and kept for the life of the process (the store is read-only while served); a lock per store makes
concurrent first requests wait for one computation instead of repeating it, and the Assessor and the
Predictor (not thread-safe) each serve one request at a time.
"""

from __future__ import annotations

import html
import json
import re
import string
import threading
from dataclasses import dataclass, field
from functools import cache
from importlib import resources as importlib_resources
from typing import Any

from lmakg.knowledge.store import KnowledgeStore
from lmakg.server.api import API, BadRequest, Guarded, NotFound, TooLarge, api_kinds, build_index
from lmakg.server.assess_api import api_assess, build_assessor
from lmakg.server.molecule_api import api_predict, build_predictor

Response = tuple[int, dict[str, str], bytes]


@dataclass(frozen=True)
class Page:
    """One workbench page: ``web/layout.html`` (head, navigation bar) around the body in ``web/pages/``."""

    body: str  # file name in lmakg/web/pages/
    nav: str  # its entry in the navigation bar
    title: str  # the <title> after "lmakg workbench · "
    scripts: tuple[str, ...]  # files in lmakg/web/static/, loaded (deferred) in this order


# in the navigation bar's order
PAGES: dict[str, Page] = {
    "/": Page("index.html", "Query", "SPARQL", ("common.js", "editor.js")),
    "/graph": Page("graph.html", "Graph", "Graph", ("vendor/vis-network.min.js", "common.js", "graph.js")),
    "/hypotheses": Page("hypotheses.html", "Hypotheses", "Hypotheses", ("common.js", "hypotheses.js")),
    "/mechanisms": Page("mechanisms.html", "Mechanism map", "Mechanism map",
                        ("vendor/vis-network.min.js", "common.js", "mechanisms.js")),
    "/assess": Page("assess.html", "Assess", "Assess formulations", ("common.js", "assess.js")),
    "/molecule": Page("molecule.html", "Molecule", "Molecule", ("common.js", "molecule.js")),
}
PAGE_ALIASES = {"/index.html": "/"}

GET_API = {**API, "/api/predict": api_predict}
POST_API = {"/api/assess": api_assess}

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/json",
    ".md": "text/plain; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}

# Nothing but this server: scripts, styles, images and fetches. vis-network injects its own <style> tags,
# hence 'unsafe-inline' for styles only.
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                                "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
                                "frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

STATIC_NAME = re.compile(r"^[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*$")
# graphs a neighbourhood is drawn from: the knowledge, not the derivations (they reify every statement)
# nor the rule modules


# ------------------------------------------------------------------------------------------------------
# per-store state
# ------------------------------------------------------------------------------------------------------


@dataclass
class _Knowledge:
    """One opened store and what the workbench derives from it, each computed on first use."""

    location: str | None
    lock: threading.RLock = field(default_factory=threading.RLock)
    _store: KnowledgeStore | None = None
    _index: dict[str, Any] | None = None
    _hypotheses: list[Any] | None = None
    assessor: Guarded = field(init=False)
    predictor: Guarded = field(init=False)

    def __post_init__(self) -> None:
        self.assessor = Guarded(lambda: build_assessor(self.location))
        self.predictor = Guarded(lambda: build_predictor(self.location))

    @property
    def store(self) -> KnowledgeStore:
        with self.lock:
            if self._store is None:
                from lmakg.chemistry.materialize import open_knowledge

                self._store = open_knowledge(self.location)
            return self._store

    @property
    def index(self) -> dict[str, Any]:
        """Kinds, names, section titles and citations of every node, from three engine queries."""
        with self.lock:
            if self._index is None:
                self._index = build_index(self.store)
            return self._index

    @property
    def hypotheses(self) -> list[Any]:
        with self.lock:
            if self._hypotheses is None:
                from lmakg.hypotheses.generate import generate

                self._hypotheses = generate(self.store)
            return self._hypotheses


_REGISTRY: dict[str | None, _Knowledge] = {}
_REGISTRY_LOCK = threading.Lock()


def _knowledge(location: str | None) -> _Knowledge:
    with _REGISTRY_LOCK:
        if location not in _REGISTRY:
            _REGISTRY[location] = _Knowledge(location)
        return _REGISTRY[location]


def knowledge(store: str | None = None) -> KnowledgeStore:
    """The store the workbench reads for ``store`` (a ``--store`` folder, or None for the packaged
    knowledge in memory, reasoned), opened once per process."""
    return _knowledge(store).store


def register(store: str | None, opened: KnowledgeStore) -> None:
    """Use an already opened store for ``store`` (the server opens one for ``/sparql``; sharing it saves
    loading and reasoning a second copy). Only for a read-only store: what is derived from it is cached."""
    entry = _knowledge(store)
    with entry.lock:
        if entry._store is None:
            entry._store = opened


def preload(store: str | None = None) -> None:
    """Open the knowledge and compute the node index and hypotheses now, so the first page that needs them
    does not wait (the server may call this in a background thread at start)."""
    entry = _knowledge(store)
    entry.index  # noqa: B018 - computed for its side effect
    entry.hypotheses  # noqa: B018
    api_kinds({}, entry)  # imports the drawing module once


def _web_root() -> Any:
    return importlib_resources.files("lmakg.server") / "web"


@cache
def _read_asset(name: str) -> bytes | None:
    """Bytes of ``lmakg/web/NAME`` (``name`` already checked against :data:`STATIC_NAME`), or None."""
    resource = _web_root()
    for part in name.split("/"):
        if part in ("", ".", ".."):
            return None
        resource = resource / part
    return resource.read_bytes() if resource.is_file() else None


def _json(status: int, data: Any) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return status, {"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store",
                    **SECURITY_HEADERS}, body


@cache
def _page(path: str) -> bytes:
    """The page at ``path`` (a key of :data:`PAGES`): its body, title and scripts in the shared layout, its
    navigation entry marked as current, and the project prefixes (:data:`lmakg.knowledge.vocab.PREFIXES`, the one
    list the pages shorten IRIs with) as a JSON data block, which the Content-Security-Policy allows
    because it is never executed."""
    from lmakg.knowledge.vocab import PREFIXES

    page = PAGES[path]
    layout, body = _read_asset("layout.html"), _read_asset(f"pages/{page.body}")
    if layout is None or body is None:
        raise FileNotFoundError(f"lmakg/web/layout.html or lmakg/web/pages/{page.body} is missing from the package")
    current = ' aria-current="page"'
    nav = "\n".join(f'    <a href="{href}"{current if href == path else ""}>{html.escape(other.nav)}</a>'
                    for href, other in PAGES.items())
    scripts = "\n".join(f'<script src="/static/{html.escape(s)}" defer></script>' for s in page.scripts)
    prefixes = json.dumps(PREFIXES, ensure_ascii=False).replace("<", "\\u003c")  # no "</script>" inside
    text = string.Template(layout.decode("utf-8")).substitute(
        title=html.escape(page.title), scripts=scripts, prefixes=prefixes, nav=nav,
        body=body.decode("utf-8").rstrip("\n"))
    return text.encode("utf-8")


def _file(name: str) -> Response | None:
    if not STATIC_NAME.match(name) or ".." in name.split("/"):
        return None
    body = _read_asset(name)
    if body is None:
        return None
    suffix = "." + name.rsplit(".", 1)[-1] if "." in name else ""
    content_type = CONTENT_TYPES.get(suffix, "application/octet-stream")
    caching = "public, max-age=86400" if name.startswith("static/vendor/") else "no-cache"
    return 200, {"Content-Type": content_type, "Cache-Control": caching, **SECURITY_HEADERS}, body


def _json_params(params: dict[str, list[str]], body: bytes, content_type: str) -> dict[str, list[str]]:
    """``params`` with the members of a JSON object body added (a string, or a list of strings, per key);
    a form-encoded body is already in ``params`` (the HTTP layer parses it)."""
    if content_type.split(";")[0].strip().lower() != "application/json" or not body:
        return params
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest(f"the request body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadRequest("the request body must be a JSON object")
    merged = {k: list(v) for k, v in params.items()}
    for key, value in data.items():
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(v, str) for v in values):
            raise BadRequest(f"{key!r} must be a string or a list of strings")
        merged.setdefault(key, []).extend(values)
    return merged


def route(method: str, path: str, params: dict[str, list[str]], store: str | None, body: bytes = b"",
          content_type: str = "") -> Response | None:
    """Answer one workbench request: ``(status, headers, body)``, or None when the path is not ours (404).

    ``path`` is the URL path without the query string; ``params`` the parsed query string (and form body);
    ``store`` the ``--store`` folder or None (packaged knowledge in memory); ``body`` and ``content_type`` a
    POST's raw body and its type (read for ``application/json``, by the paths in :data:`POST_API`).
    """
    page = PAGE_ALIASES.get(path, path)
    ours = page in PAGES or path.startswith("/static/") or path in GET_API or path in POST_API
    allowed = ("POST",) if path in POST_API else ("GET", "HEAD")
    if ours and method not in allowed:
        status, headers, content = _json(405, {"error": f"{method} is not allowed on {path}; use {allowed[0]}"})
        headers["Allow"] = ", ".join(allowed)
        return status, headers, content
    if page in PAGES:
        headers = {"Content-Type": CONTENT_TYPES[".html"], "Cache-Control": "no-cache", **SECURITY_HEADERS}
        return 200, headers, _page(page)
    if path.startswith("/static/"):
        return _file(path.removeprefix("/"))
    handler = POST_API.get(path) or GET_API.get(path)
    if handler is None:
        return None
    try:
        if path in POST_API:
            params = _json_params(params, body, content_type)
        return _json(200, handler(params, _knowledge(store)))
    except TooLarge as exc:
        return _json(413, {"error": str(exc)})
    except BadRequest as exc:
        return _json(400, {"error": str(exc)})
    except NotFound as exc:
        return _json(404, {"error": str(exc)})
