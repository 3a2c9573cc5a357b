"""Commands that draw, export and analyse the graph: ``viz``, ``export``, ``graph stats``, ``graph paths``."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from lmakg.cli.common import (
    JsonOption,
    StoreOption,
    fail,
    make_console,
    open_or_fail,
)

graph_app = typer.Typer(help="networkx analytics over the graph: the most connected mechanisms and components, "
                        "communities of designs, explanatory paths.", no_args_is_help=True)


class ExportFormat(StrEnum):
    graphml = "graphml"
    gexf = "gexf"
    cytoscape_json = "cytoscape-json"
    jsonld = "jsonld"


class ViewKind(StrEnum):
    mechanisms = "mechanisms"
    node = "node"
    hypothesis = "hypothesis"
    query = "query"


GraphsOption = Annotated[str | None, typer.Option(
    "--graphs", help="Comma-separated named graphs whose statements become edges: ontology, asserted, user "
    "(your additions), inferred, perceived, rules, provenance, or graph IRIs.")]


def _projection(knowledge: Any, graphs: str | None, default: tuple[str, ...]) -> Any:
    from lmakg.graph.projection import GraphError, to_networkx

    names = tuple(g for g in graphs.split(",") if g.strip()) if graphs else default
    try:
        return to_networkx(knowledge, graphs=names)
    except GraphError as exc:
        fail(str(exc))


def export(
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="graphml and gexf (Gephi, yEd), cytoscape-json "
                                              "(Cytoscape, Cytoscape.js), jsonld (the projected edges as RDF).")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output file (default: standard output).")] = None,
    graphs: GraphsOption = None,
    store: StoreOption = None,
) -> None:
    """Export the networkx projection of the graph (nodes: label, kind, IRI; edges: predicate) for other tools."""
    from lmakg.graph.export import export as run_export
    from lmakg.graph.export import write_export
    from lmakg.graph.projection import DEFAULT_GRAPHS, GraphError

    projection = _projection(open_or_fail(store), graphs, DEFAULT_GRAPHS)
    try:
        if out is None:
            sys.stdout.buffer.write(run_export(projection, fmt.value))
            return
        write_export(projection, fmt.value, out)
    except (GraphError, OSError) as exc:
        fail(f"{out or 'stdout'}: {exc}")
    make_console(stderr=True).print(f"wrote {out} ({projection.number_of_nodes()} nodes, "
                                f"{projection.number_of_edges()} edges, {fmt.value})", highlight=False)


def graph_stats(
    top: Annotated[int, typer.Option("--top", min=1, help="How many mechanisms and components to rank.")] = 10,
    json_out: JsonOption = False,
    graphs: GraphsOption = None,
    store: StoreOption = None,
) -> None:
    """Sizes, the most connected mechanisms and components (degree, betweenness), communities of designs."""
    from lmakg.graph.analytics import stats as run_stats
    from lmakg.graph.projection import ANALYTICS_GRAPHS

    result = run_stats(_projection(open_or_fail(store), graphs, ANALYTICS_GRAPHS), top=top)
    if json_out:
        typer.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    from rich.table import Table

    out = make_console()
    out.print(f"[bold]{result['nodes']} nodes, {result['edges']} edges[/bold] (graphs: {result['graphs']}; "
              f"{result['weaklyConnectedComponents']} connected component(s))")
    out.print("nodes by kind: " + ", ".join(f"{k} {v}" for k, v in result["nodesByKind"].items()))
    out.print("edges by predicate: " + ", ".join(f"{k} {v}" for k, v in result["edgesByPredicate"].items()))
    for key, title in (("mechanisms", "Most connected mechanisms"),
                       ("components", "Most connected components (species used in designs)")):
        table = Table(title=title, title_justify="left", show_edge=False)
        for col in ("id", "label", "degree", "betweenness"):
            table.add_column(col)
        for item in result[key]:
            table.add_row(item["id"], item["label"], str(item["degree"]), f"{item['betweenness']:.4f}")
        out.print(table)
    table = Table(title="Communities of designs (Louvain, seed 0; designs linked by shared species, mechanisms, "
                  "products, outcomes)", title_justify="left", show_edge=False)
    for col in ("#", "size", "main mechanisms", "designs"):
        table.add_column(col)
    for index, community in enumerate(result["designCommunities"], 1):
        table.add_row(str(index), str(community["size"]), ", ".join(community["mechanisms"]),
                      ", ".join(d.removeprefix("design-") for d in community["designs"]))
    out.print(table)


def graph_paths(
    source: Annotated[str, typer.Argument(help="Start: a name as `lmakg show` takes it (e.g. LiNO3, 'Cs+').")],
    target: Annotated[str, typer.Argument(help="End: e.g. DendriteSuppression, LiF, ElectrostaticShielding.")],
    max_paths: Annotated[int, typer.Option("--max", min=1, help="At most this many shortest paths.")] = 5,
    json_out: JsonOption = False,
    graphs: GraphsOption = None,
    store: StoreOption = None,
) -> None:
    """Shortest explanatory paths between two nodes, each hop with its predicate (never via references/sections)."""
    from lmakg.graph.analytics import format_path
    from lmakg.graph.analytics import paths as run_paths
    from lmakg.graph.projection import ANALYTICS_GRAPHS, GraphError
    from lmakg.knowledge.show import NameLookupError, resolve

    knowledge = open_or_fail(store)
    ends = []
    for name in (source, target):
        try:
            ends.append(resolve(knowledge, name))
        except NameLookupError as exc:
            hint = "; did you mean: " + ", ".join(label for label, _ in exc.candidates) if exc.candidates else ""
            fail(f"{exc}{hint}")
    projection = _projection(knowledge, graphs, ANALYTICS_GRAPHS)
    try:
        found = run_paths(projection, ends[0], ends[1], max_paths=max_paths)
    except GraphError as exc:
        fail(str(exc))
    if json_out:
        typer.echo(json.dumps([[hop.as_dict(projection) for hop in path] for path in found], indent=2,
                              ensure_ascii=False))
        return
    if not found:
        fail(f"no path links {source} and {target}")
    out = make_console()
    out.print(f"[bold]{len(found)} shortest path(s) of {len(found[0])} hop(s)[/bold]")
    for path in found:
        out.print("  " + format_path(projection, path), highlight=False, markup=False)


def viz(
    what: Annotated[ViewKind, typer.Argument(help="mechanisms (Figure 2), node NAME, hypothesis ID, "
                                             "query FILE|NAME.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output file: .html (interactive, works offline), "
                                      ".svg or .png.")],
    name: Annotated[str | None, typer.Argument(help="The node, hypothesis id (e.g. H-FEC) or query (.rq file "
                                               "or named query).")] = None,
    depth: Annotated[int, typer.Option("--depth", min=1, max=4, help="node: hops around the node.")] = 1,
    store: StoreOption = None,
) -> None:
    """Draw the mechanism map, a node's neighbourhood, a hypothesis or a query result as HTML, SVG or PNG."""
    from lmakg.graph.projection import GraphError
    from lmakg.graph.viz import OUTPUT_SUFFIXES, VizError, hypothesis_view, mechanisms_view, node_view, query_view

    placeholder = {ViewKind.node: "NAME", ViewKind.hypothesis: "ID", ViewKind.query: "FILE"}
    if what != ViewKind.mechanisms and not name:
        fail(f"`lmakg viz {what.value}` needs a value: lmakg viz {what.value} {placeholder[what]} --out FILE")
    if what == ViewKind.mechanisms and name:
        fail(f"`lmakg viz mechanisms` takes no argument (got {name!r})")
    if out.suffix.lower() not in OUTPUT_SUFFIXES:
        fail(f"{out}: unknown output type {out.suffix or '(none)'!r}; use {', '.join(OUTPUT_SUFFIXES)}")
    knowledge = open_or_fail(store)
    try:
        if what == ViewKind.mechanisms:
            drawing = mechanisms_view(knowledge)
        elif what == ViewKind.node:
            drawing = node_view(knowledge, name, depth=depth)
        elif what == ViewKind.hypothesis:
            drawing = hypothesis_view(knowledge, name)
        else:
            drawing = query_view(knowledge, name)
        drawing.save(out)
    except (VizError, GraphError, OSError) as exc:
        fail(str(exc))
    make_console(stderr=True).print(f"wrote {out} ({drawing.graph.number_of_nodes()} nodes, "
                                f"{drawing.graph.number_of_edges()} edges)", highlight=False)
