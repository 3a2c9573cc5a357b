"""Drawings of the graph: standalone interactive HTML (vis-network) and static SVG/PNG (matplotlib).

Why two renderers: people explore a graph by dragging and hovering (HTML, which must work offline, so
the vendored vis-network is inlined into the file and its physics stops once the layout has settled,
keeping large graphs usable), and put pictures in papers and notes (SVG/PNG: matplotlib through
networkx, with text kept as text in SVG so labels stay searchable). Both colour nodes by kind
(:data:`lmakg.graph.projection.KINDS`), label edges with their predicate, draw rule-inferred edges dashed, and
carry a legend and a title. In Jupyter a :class:`View` renders inline (``_repr_html_`` gives an iframe
whose ``srcdoc`` holds the page, so its scripts run; ``_repr_svg_`` the static drawing).

The views (each returns a :class:`View`):

* :func:`mechanisms_view` — the review's mechanism map (Figure 2);
* :func:`node_view` — a node's neighbourhood;
* :func:`hypothesis_view` — one hypothesis with its evidence;
* :func:`query_view` — the graph of a SPARQL result;
* :func:`view` — any networkx projection.
"""

from __future__ import annotations

import html
import io
import json
import math
import random
import textwrap
from collections import Counter
from dataclasses import dataclass
from importlib import resources as importlib_resources
from pathlib import Path
from string import Template
from typing import Any

import networkx as nx

from lmakg.graph.projection import (
    ANALYTICS_GRAPHS,
    KINDS,
    GraphError,
    from_query,
    hypothesis_graph,
    mechanism_map,
    neighbourhood,
    to_networkx,
)
from lmakg.knowledge.store import KnowledgeStore

#: One colour per node kind (Okabe-Ito palette and greys: distinguishable with colour-blindness).
KIND_COLOURS: dict[str, str] = {
    "mechanism": "#D55E00",
    "design": "#0072B2",
    "species": "#009E73",
    "interphase component": "#E69F00",
    "functional group": "#56B4E9",
    "outcome": "#CC79A7",
    "principle": "#F0E442",
    "hypothesis": "#882255",
    "reference": "#8C8C8C",
    "section": "#B5B5B5",
    "other": "#E0E0E0",
}

#: Drawn node size per kind (HTML: vis-network size; static: matplotlib points^2 = 12 x this).
KIND_SIZES: dict[str, int] = {"mechanism": 26, "hypothesis": 26, "design": 16, "outcome": 18}
DEFAULT_SIZE = 13
OUTPUT_SUFFIXES = (".html", ".svg", ".png")
LABEL_WIDTH = 22  # characters per line of a static label
LABEL_LINES = 2


class VizError(ValueError):
    """A view could not be drawn or written; the message names the value at fault."""


def _display_label(data: dict[str, Any]) -> str:
    """The short name a drawing shows (abbreviation where the graph has one)."""
    return data.get("short") or data.get("label") or data.get("iri", "")


def static_label(data: dict[str, Any]) -> str:
    """The label a static drawing prints under a node: its short name wrapped to ``LABEL_WIDTH``
    characters, two lines (three for mechanisms and hypotheses, whose names matter most), then "…"."""
    text = _display_label(data)
    most = LABEL_LINES + 1 if data.get("kind") in {"mechanism", "hypothesis"} else LABEL_LINES
    lines = textwrap.wrap(text, LABEL_WIDTH, break_long_words=True) or [text]
    if len(lines) > most:
        lines = lines[:most]
        lines[-1] = lines[-1][: LABEL_WIDTH - 1].rstrip() + "…"
    return "\n".join(lines)


def _edge_groups(graph: nx.MultiDiGraph) -> dict[tuple[str, str], dict[str, Any]]:
    """Parallel edges merged per ordered node pair: their labels and whether all are inferred."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for s, o, data in graph.edges(data=True):
        group = groups.setdefault((s, o), {"labels": [], "inferred": True})
        if data["label"] not in group["labels"]:
            group["labels"].append(data["label"])
        if data.get("graph") != "inferred":
            group["inferred"] = False
    return groups


def _dominant_label(graph: nx.MultiDiGraph) -> str | None:
    """The edge label most edges carry, when it is most of them in a big graph: a static drawing leaves
    those edges unlabelled (the legend says so) instead of repeating one word a hundred times."""
    if graph.number_of_edges() < 30:
        return None
    counts = Counter(d["label"] for _, _, d in graph.edges(data=True))
    label, count = counts.most_common(1)[0]
    return label if count > graph.number_of_edges() / 2 else None


def _legend(graph: nx.MultiDiGraph) -> list[dict[str, Any]]:
    present = {d.get("kind", "other") for _, d in graph.nodes(data=True)}
    entries: list[dict[str, Any]] = [{"text": k, "colour": KIND_COLOURS[k]} for k in KINDS if k in present]
    graphs = {d.get("graph") for _, _, d in graph.edges(data=True)}
    if "inferred" in graphs:
        entries.append({"text": "stated (review / ontology)", "dashed": False})
        entries.append({"text": "inferred by the rules", "dashed": True})
    return entries


@dataclass
class View:
    """A drawable graph with a title; write it with :meth:`save`, or show it in Jupyter."""

    graph: nx.MultiDiGraph
    title: str
    layout: str = "spring"  # or "mechanisms": mechanisms fixed on a ring, the rest around them

    # -- HTML ----------------------------------------------------------------------------------------
    def vis_data(self) -> dict[str, Any]:
        """Nodes, edges and legend in vis-network's format (also what a web page can fetch)."""
        nodes = []
        for node, data in sorted(self.graph.nodes(data=True)):
            kind = data.get("kind", "other")
            label = _display_label(data)
            nodes.append({
                "id": node, "label": textwrap.shorten(label, 40, placeholder="…"),
                "fullLabel": data.get("label", label),
                "kind": kind, "iri": data.get("iri", node), "group": kind,
                "color": {"background": KIND_COLOURS[kind], "border": "#444444",
                          "highlight": {"background": KIND_COLOURS[kind], "border": "#000000"}},
                "size": KIND_SIZES.get(kind, DEFAULT_SIZE),
            })
        edges = []
        for index, ((s, o), group) in enumerate(sorted(_edge_groups(self.graph).items())):
            edges.append({"id": index, "from": s, "to": o, "label": " / ".join(group["labels"]),
                          "dashes": group["inferred"]})
        return {"title": self.title, "nodes": nodes, "edges": edges, "legend": _legend(self.graph)}

    def html(self) -> str:
        """A standalone page: vis-network inlined, no network access needed."""
        template = Template((importlib_resources.files("lmakg.graph") / "templates" / "graph.html")
                            .read_text(encoding="utf-8"))
        library = (importlib_resources.files("lmakg.server") / "web" / "static" / "vendor" / "vis-network.min.js") \
            .read_text(encoding="utf-8")
        if "</script" in library.lower():
            raise VizError("the vendored vis-network contains '</script' and cannot be inlined")
        data = json.dumps(self.vis_data(), ensure_ascii=False)
        data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        return template.substitute(title=html.escape(self.title), nodes=self.graph.number_of_nodes(),
                                   edges=self.graph.number_of_edges(), data=data, library=library)

    # -- static --------------------------------------------------------------------------------------
    def positions(self) -> dict[str, tuple[float, float]]:
        """A deterministic layout (fixed seed)."""
        if self.graph.number_of_nodes() == 0:
            return {}
        undirected = nx.Graph(self.graph)
        if self.layout == "mechanisms":
            return _mechanism_layout(self.graph, undirected)
        n = undirected.number_of_nodes()
        return nx.spring_layout(undirected, seed=7, k=2.2 / math.sqrt(n), iterations=300, method="force")

    def figure(self) -> Any:
        """The matplotlib figure of the static drawing (Agg backend, nothing shown on screen)."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.lines import Line2D

        graph = self.graph
        n = max(graph.number_of_nodes(), 1)
        side = min(max(8.0, 1.45 * math.sqrt(n) + 4), 40.0)
        font = 9 if n <= 60 else 8 if n <= 150 else 7
        fig, ax = plt.subplots(figsize=(side * 1.25, side))
        fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.94)
        ax.set_axis_off()
        pos = _declutter(self.positions(), self._label_boxes(font), (side * 1.25 * 0.96 * 72, side * 0.92 * 72))
        groups = _edge_groups(graph)
        undirected_pairs: dict[frozenset[str], list[str]] = {}
        for (s, o), group in groups.items():
            undirected_pairs.setdefault(frozenset((s, o)), []).extend(group["labels"])
        for dashed in (False, True):
            edgelist = [pair for pair, group in groups.items() if group["inferred"] == dashed]
            if edgelist:
                nx.draw_networkx_edges(nx.DiGraph(edgelist), pos, ax=ax, edgelist=edgelist, edge_color="#9a9a9a",
                                       style="dashed" if dashed else "solid", width=0.8, arrows=True,
                                       arrowsize=8, node_size=0, alpha=0.9)
        for kind in KINDS:
            members = [v for v, d in graph.nodes(data=True) if d.get("kind", "other") == kind]
            if members:
                nx.draw_networkx_nodes(graph, pos, nodelist=members, ax=ax, node_color=KIND_COLOURS[kind],
                                       edgecolors="#444444", linewidths=0.6,
                                       node_size=12 * KIND_SIZES.get(kind, DEFAULT_SIZE))
        for node, data in graph.nodes(data=True):
            x, y = pos[node]
            weight = "bold" if data.get("kind") in {"mechanism", "hypothesis"} else "normal"
            radius = math.sqrt(12 * KIND_SIZES.get(data.get("kind", "other"), DEFAULT_SIZE)) / 2
            ax.annotate(static_label(data), (x, y), xytext=(0, -radius - 1), textcoords="offset points",
                        fontsize=font, ha="center", va="top", fontweight=weight, zorder=5, annotation_clip=False,
                        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7})
        edge_font = 6 if n <= 150 else 5
        dominant = _dominant_label(graph)
        for pair, labels in undirected_pairs.items():
            if dominant and set(labels) == {dominant}:
                continue
            ends = sorted(pair)
            a, b = (ends[0], ends[0]) if len(ends) == 1 else ends
            (x1, y1), (x2, y2) = pos[a], pos[b]
            text = " / ".join(dict.fromkeys(labels))
            ax.text((x1 + x2) / 2, (y1 + y2) / 2, text, fontsize=edge_font, color="#555555", ha="center",
                    va="center", zorder=4, bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none",
                                                 "alpha": 0.6})
        handles = [Line2D([], [], marker="o", linestyle="", markersize=9, markerfacecolor=entry["colour"],
                          markeredgecolor="#444444", label=entry["text"]) if "colour" in entry else
                   Line2D([], [], color="#9a9a9a", linestyle="--" if entry["dashed"] else "-", label=entry["text"])
                   for entry in _legend(graph)]
        if dominant:
            handles.append(Line2D([], [], color="#9a9a9a", label=f"unlabelled edges: {dominant}"))
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False,
                  fontsize=max(font, 9), title="node kind", title_fontsize=max(font, 9) + 1)
        ax.set_title(f"{self.title}\n{graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges",
                     fontsize=max(font, 9) + 4, loc="left")
        ax.margins(0.06)
        return fig

    def _label_boxes(self, font: int) -> dict[str, tuple[float, float, float]]:
        """Per node, in points: half width and half height of marker + label, and how far below the node's
        centre the box's centre lies (labels hang under their node)."""
        boxes = {}
        for node, data in self.graph.nodes(data=True):
            lines = static_label(data).split("\n")
            marker = math.sqrt(12 * KIND_SIZES.get(data.get("kind", "other"), DEFAULT_SIZE))
            width = max(max(len(line) for line in lines) * font * 0.58, marker) + 4
            height = marker / 2 + len(lines) * font * 1.3 + 4
            boxes[node] = (width / 2, (height + marker / 2) / 2, (height - marker / 2) / 2)
        return boxes

    def _render(self, fmt: str) -> bytes:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig = self.figure()
        buffer = io.BytesIO()
        with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "lmakg"}):
            fig.savefig(buffer, format=fmt, dpi=110, bbox_inches="tight",
                        metadata={"Date": None} if fmt == "svg" else None)
        plt.close(fig)
        return buffer.getvalue()

    def svg(self) -> str:
        return self._render("svg").decode("utf-8")

    def png(self) -> bytes:
        return self._render("png")

    # -- output --------------------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write .html, .svg or .png (by suffix) through a temporary file, so a failure writes nothing."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in OUTPUT_SUFFIXES:
            raise VizError(f"{path}: unknown output type {suffix or '(none)'!r}; use {', '.join(OUTPUT_SUFFIXES)}")
        if self.graph.number_of_nodes() == 0:
            raise VizError(f"{self.title}: nothing to draw (the graph is empty)")
        data = self.html().encode("utf-8") if suffix == ".html" else self.svg().encode("utf-8") \
            if suffix == ".svg" else self.png()
        from lmakg.graph.export import write_whole

        return write_whole(path, data)

    def _repr_html_(self) -> str:
        return (f'<iframe srcdoc="{html.escape(self.html(), quote=True)}" '
                f'style="width:100%;height:640px;border:1px solid #ddd" sandbox="allow-scripts"></iframe>')

    def _repr_svg_(self) -> str:
        return self.svg()


def _declutter(pos: dict[str, Any], boxes: dict[str, tuple[float, float, float]], area: tuple[float, float],
               rounds: int = 200) -> dict[str, tuple[float, float]]:
    """Push apart nodes whose label boxes overlap once drawn in an ``area`` (points) of the figure.

    Why: networkx layouts place points, not text, and matplotlib does not avoid label collisions; moving
    each overlapping pair apart along the axis of least overlap (a few hundred vectorised rounds) keeps
    a large drawing readable while leaving the layout's overall shape alone."""
    import numpy as np

    nodes = sorted(pos)
    if len(nodes) < 2:
        return {k: (float(v[0]), float(v[1])) for k, v in pos.items()}
    xy = np.array([pos[v] for v in nodes], dtype=float)
    half = np.array([boxes[v][:2] for v in nodes], dtype=float)
    drop = np.array([boxes[v][2] for v in nodes], dtype=float)
    for _ in range(rounds):
        span = np.ptp(xy, axis=0) * 1.12 + 1e-9  # margins as drawn
        scale = np.array(area) / span  # points per data unit, x and y
        centres = xy * scale - np.stack([np.zeros_like(drop), drop], axis=1)
        delta = centres[:, None, :] - centres[None, :, :]
        overlap = half[:, None, :] + half[None, :, :] - np.abs(delta)
        np.fill_diagonal(overlap[:, :, 0], -1)
        clash = (overlap[:, :, 0] > 0) & (overlap[:, :, 1] > 0)
        if not clash.any():
            break
        axis = np.where(overlap[:, :, 0] / area[0] < overlap[:, :, 1] / area[1], 0, 1)
        order = np.where(np.arange(len(nodes))[:, None] > np.arange(len(nodes))[None, :], 1.0, -1.0)
        sign = np.where(delta > 0, 1.0, np.where(delta < 0, -1.0, order[:, :, None]))  # ties: by index
        push = np.zeros_like(xy)
        for k in (0, 1):
            amount = np.where(clash & (axis == k), overlap[:, :, k] * 0.5 + 1, 0) * sign[:, :, k]
            push[:, k] = amount.sum(axis=1) * 0.5
        xy += push / scale
    return {v: (float(x), float(y)) for v, (x, y) in zip(nodes, xy, strict=True)}


def _mechanism_layout(graph: nx.MultiDiGraph, undirected: nx.Graph) -> dict[str, tuple[float, float]]:
    """Mechanism families evenly on a ring with their sub-mechanisms beside them; designs and components
    placed by a spring layout around the mechanisms they act through (seeded, so stable)."""
    broader = {s: o for s, o, d in graph.edges(data=True) if d["label"] == "broaderMechanism"}
    mechanisms = sorted(n for n, d in graph.nodes(data=True) if d.get("kind") == "mechanism")
    families = [m for m in mechanisms if m not in broader]
    children = {f: sorted(m for m in mechanisms if broader.get(m) == f) for f in families}
    slots = sum(max(1, len(children[f])) for f in families)
    pos: dict[str, tuple[float, float]] = {}
    index = 0.0
    for family in families:
        width = max(1, len(children[family]))
        centre = 2 * math.pi * (index + width / 2) / slots
        inner = 0.6 if children[family] else 1.0
        pos[family] = (inner * math.cos(centre), inner * math.sin(centre))
        for j, child in enumerate(children[family]):
            angle = 2 * math.pi * (index + j + 0.5) / slots
            pos[child] = (math.cos(angle), math.sin(angle))
        index += width
    n = undirected.number_of_nodes()
    initial = dict(pos)
    jitter = random.Random(7)
    for node in sorted(undirected):
        if node not in initial:
            anchors = [pos[m] for m in undirected.neighbors(node) if m in pos] or [(0.0, 0.0)]
            initial[node] = (1.5 * sum(a[0] for a in anchors) / len(anchors) + jitter.uniform(-0.3, 0.3),
                             1.5 * sum(a[1] for a in anchors) / len(anchors) + jitter.uniform(-0.3, 0.3))
    fixed = [m for m in mechanisms if m in undirected]
    return nx.spring_layout(undirected, pos=initial or None, fixed=fixed or None, seed=7,
                            k=2.6 / math.sqrt(n), iterations=300, method="force")


# -- the views -------------------------------------------------------------------------------------

def view(graph: nx.MultiDiGraph, title: str = "lmakg") -> View:
    """Wrap any projection (e.g. :func:`lmakg.graph.projection.to_networkx`) for drawing or inline display."""
    return View(graph, title)


def mechanisms_view(knowledge: KnowledgeStore) -> View:
    """Figure 2 of the review: mechanisms, their families, and the designs/components acting through them."""
    return View(mechanism_map(knowledge), "Mechanism map of the review (Figure 2): mechanisms, families and "
                                          "the designs and components acting through them", layout="mechanisms")


def node_view(knowledge: KnowledgeStore, name: str, depth: int = 1) -> View:
    """The neighbourhood of a node named as ``lmakg show`` accepts (label, abbreviation, IRI ...).

    References and sections are left out beyond the first hop, so a depth-2 view stays about chemistry."""
    from lmakg.knowledge.show import NameLookupError, resolve

    try:
        iri = resolve(knowledge, name)
    except NameLookupError as exc:
        hint = "; did you mean: " + ", ".join(label for label, _ in exc.candidates) if exc.candidates else ""
        raise VizError(f"{exc}{hint}") from exc
    full = to_networkx(knowledge, graphs=ANALYTICS_GRAPHS)
    near = neighbourhood(full, iri, depth=1)
    if depth > 1:
        far = neighbourhood(full, iri, depth=depth, exclude_kinds=("reference", "section", "hypothesis"))
        near = nx.compose(far, near)
    label = full.nodes[iri]["label"]
    return View(near, f"Neighbourhood of {label} (depth {depth})")


def hypothesis_view(knowledge: KnowledgeStore, hypothesis_id: str) -> View:
    """A hypothesis of ``lmakg hypotheses`` with its components, mechanisms, families, principles,
    supporting designs, sections and references."""
    from lmakg.hypotheses.generate import generate

    found = {h.id: h for h in generate(knowledge)}
    key = hypothesis_id if hypothesis_id in found else f"H-{hypothesis_id}"
    if key not in found:
        import difflib

        close = difflib.get_close_matches(hypothesis_id, list(found), n=5, cutoff=0.4)
        hint = f"; closest: {', '.join(close)}" if close else "; run `lmakg hypotheses` to list them"
        raise VizError(f"no hypothesis {hypothesis_id!r}{hint}")
    hypothesis = found[key].as_dict()
    return View(hypothesis_graph(knowledge, hypothesis), f"Hypothesis {key}: {hypothesis['label']} "
                                                         f"(score {hypothesis['score']})")


def query_view(knowledge: KnowledgeStore, query: str) -> View:
    """The graph of a SPARQL result: ``query`` is a .rq file or the name of a query in ``queries/``."""
    from lmakg.knowledge.queries import UnknownQueryError, get_query

    path = Path(query)
    if path.suffix == ".rq" or path.is_file():
        if not path.is_file():
            raise VizError(f"no such query file: {query}")
        text, title = path.read_text(encoding="utf-8"), path.name
    else:
        try:
            named = get_query(query)
        except UnknownQueryError as exc:
            raise VizError(str(exc)) from exc
        text, title = named.text, named.title
    try:
        graph = from_query(knowledge, text)
    except GraphError as exc:
        raise VizError(f"{query}: {exc}") from exc
    if graph.number_of_nodes() == 0:
        raise VizError(f"{query}: the result has no IRI-valued cells to draw")
    return View(graph, f"Query: {title}")
