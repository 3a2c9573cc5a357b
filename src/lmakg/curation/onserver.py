"""`build`, `add`, `remove` and `infer` on a SPARQL server store (``--store "sparql:QUERY#update=UPDATE"``).

The same steps as on a store folder (:mod:`lmakg.curation.build`, :mod:`lmakg.curation.additions`): validation
first, here, before anything is sent; then the load, RDKit perception and the rules (run by the server itself,
:mod:`lmakg.reasoning.update`). ``add``, ``remove`` and ``infer`` work in private staged graphs switched in by one
request at the end (:func:`lmakg.knowledge.remote_write.staged`): a failure at any step leaves the server's graphs
as they were. ``build`` replaces lmakg's graphs in place (a server copies triples one by one: staging the whole
graph would cost more than the build, about 50 s for the review graph on Oxigraph server here), so a build that
fails after validation — the server going down, say — leaves them incomplete until the next build.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from lmakg.knowledge.remote_write import lmakg_graphs, staged
from lmakg.knowledge.store import KnowledgeStore, open_store
from lmakg.knowledge.storedir import split_selector


def is_server(selector: str | Path | None) -> bool:
    """Whether a ``--store`` selector names a SPARQL server (an unknown scheme raises, naming it)."""
    return selector is not None and split_selector(str(selector))[0] == "sparql"


def writable(selector: str | Path) -> Any:
    """The server store, refused in one line unless its update endpoint was given."""
    store = open_store(str(selector))
    if not getattr(store, "writable", False):
        store.update("")  # raises the read-only message
    store.named_graphs()  # a server that is down is one line naming its URL, before any validation
    return store


def build_on_server(selector: str | Path, files: list[Path], say: Callable[[str], None]) -> int:
    """Load the validated ``files`` and the rules graph into the server, perceive, reason; return its triples."""
    from lmakg.chemistry.materialize import materialize
    from lmakg.knowledge.load import load_knowledge

    store = writable(selector)
    say(f"replacing lmakg's graphs on {store.location}")
    old = lmakg_graphs(store)
    if old:
        store.update(" ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in old))
    load_knowledge(store, files)
    say("running the rules on the server (SPARQL Update)")
    materialize(store, progress=say)
    return store.count()


def change(store: Any, edit: Callable[[KnowledgeStore], None], say: Callable[[str], None]) -> Any:
    """Apply ``edit`` to staged copies of the server's lmakg graphs, perceive and re-run the rules there, and
    switch the copies in; returns the inference result. On failure the live graphs are as they were."""
    from lmakg.chemistry.materialize import materialize

    with staged(store):
        edit(store)
        say("re-running the rules on the server (SPARQL Update)")
        return materialize(store, progress=say)
