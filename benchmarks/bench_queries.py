"""Named-query latency: every query of ``queries/`` on the reasoned review graph, in memory or on a SPARQL server.

Usage::

    python benchmarks/bench_queries.py                                   # in memory
    eval "$(.ci/services.sh env)"
    python benchmarks/bench_queries.py --selector "$LMAKG_TEST_OXIGRAPH_SELECTOR" --loader services:oxigraph

With ``--selector`` the server's lmakg graphs are dropped and the dataset lmakg reasons to in memory (every named
graph, N-Quads) is loaded into it: by the server's own bulk loader (``--loader services:oxigraph`` or
``services:virtuoso``, through ``.ci/services.sh load``: one document, so a blank node shared by two graphs stays one
node) or through lmakg's store interface (``--loader lmakg``: SPARQL Update, graph by graph). Then each query runs
once as a warm-up and ``--repeats`` times timed (median), and its answers are compared with the in-memory ones as
multisets of rows: blank nodes as ``_:``, numbers by value (``"1"^^xsd:decimal`` = ``"1"^^xsd:integer``), and a
``GROUP_CONCAT`` list (items joined by ", ", "; ", " + " or " | ") as its sorted items (SPARQL leaves their order
open). Prints one JSON line.
``run_all.py`` runs this in a fresh process per store.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

SERVICES = Path(__file__).resolve().parents[1] / ".ci" / "services.sh"
NUMBERS = {"integer", "decimal", "double", "float", "int", "long", "short"}
LIST = re.compile(r", |; | \+ | \| ")


def cell(term: Any) -> str:
    """One value of an answer, in the form answers are compared in (see the module docstring)."""
    import pyoxigraph as ox

    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return "_:"
    if isinstance(term, ox.Literal):
        if term.datatype.value.rsplit("#", 1)[-1] in NUMBERS:
            return repr(float(term.value))
        if LIST.search(term.value):
            return "|".join(sorted(LIST.split(term.value)))
    return str(term)


def answer(store: Any, text: str) -> list[tuple[str, ...]]:
    import pyoxigraph as ox

    raw = store.query_raw(text)
    if isinstance(raw, ox.QuerySolutions):
        names = [v.value for v in raw.variables]
        return sorted(tuple(cell(row[n]) for n in names) for row in raw)
    if isinstance(raw, ox.QueryBoolean):
        return [(str(bool(raw)),)]
    return sorted((cell(t.subject), cell(t.predicate), cell(t.object)) for t in raw)


def clear(store: Any) -> None:
    """Drop the server's lmakg graphs (and staged copies a stopped writer left behind)."""
    for graph in store.named_graphs():
        if graph.startswith(("https://w3id.org/lmakg/graph/", "urn:lmakg:staging:")):
            store.clear_graph(graph)


def load(data: bytes, loader: str, store: Any) -> None:
    if loader.startswith("services:"):
        with tempfile.NamedTemporaryFile(suffix=".nq") as dump:
            dump.write(data)
            dump.flush()
            done = subprocess.run([str(SERVICES), "load", loader.split(":", 1)[1], dump.name], capture_output=True,
                                  text=True)
            if done.returncode:
                raise SystemExit(f"{SERVICES.name} load failed: {done.stderr.strip()[-300:]}")
    else:
        store.load_dataset(data)


def measure(selector: str | None, loader: str = "lmakg", repeats: int = 5) -> dict[str, Any]:
    from lmakg.chemistry.materialize import open_knowledge
    from lmakg.knowledge.queries import list_queries
    from lmakg.knowledge.store import open_store

    embedded = open_knowledge(None)
    store, loaded = embedded, None
    if selector:
        data = embedded.dump("nquads")
        clear(open_store(selector))
        began = time.perf_counter()
        load(data, loader, open_store(selector))
        loaded = {"seconds": time.perf_counter() - began, "quads": data.count(b"\n"), "by": loader}
        store = open_store(selector)  # a fresh store: no list of graphs remembered from before the load
    out: dict[str, Any] = {}
    for query in list_queries():
        try:
            rows = answer(store, query.text)
            times = []
            for _ in range(repeats):
                began = time.perf_counter()
                answer(store, query.text)
                times.append(time.perf_counter() - began)
            entry: dict[str, Any] = {"ms": 1000 * statistics.median(times), "rows": len(rows), "status": "ok"}
            if selector:
                entry["same_answers"] = rows == answer(embedded, query.text)
        except Exception as exc:  # a server's refusal is a result of the benchmark, not the end of it
            entry = {"status": "error", "error": str(exc).splitlines()[0][:200]}
        out[query.name] = entry
    return {"loaded": loaded, "queries": out}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--selector", help="a sparql: store (default: in memory only)")
    parser.add_argument("--loader", default="lmakg", help="services:oxigraph, services:virtuoso or lmakg")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.selector, args.loader, args.repeats)))


if __name__ == "__main__":
    main()
