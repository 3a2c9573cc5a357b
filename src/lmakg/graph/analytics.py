"""networkx analytics over the projection (``lmakg graph stats``, ``lmakg graph paths``): sizes, the most
connected mechanisms and components, communities of designs, and explanatory paths between two nodes that
never pass through references, sections or hypotheses.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass
from typing import Any

import networkx as nx

from lmakg.graph.projection import NOT_EXPLANATORY, GraphError
from lmakg.knowledge.vocab import local_name, shorten


def explanatory_view(graph: nx.MultiDiGraph) -> nx.Graph:
    """The undirected simple graph the analytics walk: no references, sections or hypotheses."""
    keep = [n for n, d in graph.nodes(data=True) if d.get("kind") not in NOT_EXPLANATORY]
    return nx.Graph(graph.subgraph(keep))


def stats(graph: nx.MultiDiGraph, top: int = 10, seed: int = 0) -> dict[str, Any]:
    """Sizes, the most connected mechanisms and components (degree, betweenness on the explanatory
    view) and the communities of designs (Louvain, fixed seed, on designs linked by what they share)."""
    view = explanatory_view(graph)
    betweenness = nx.betweenness_centrality(view)
    kinds = Counter(d["kind"] for _, d in graph.nodes(data=True))
    predicates = Counter(d["label"] for _, _, d in graph.edges(data=True))

    def ranked(kind: str, used_only: bool = False) -> list[dict[str, Any]]:
        items = []
        for node, data in view.nodes(data=True):
            if data["kind"] != kind:
                continue
            if used_only and not any(graph.nodes[p]["kind"] == "design" for p in graph.predecessors(node)):
                continue
            items.append({"id": local_name(node), "label": data["label"], "iri": node, "degree": view.degree(node),
                          "betweenness": round(betweenness[node], 4)})
        items.sort(key=lambda i: (-i["degree"], -i["betweenness"], i["id"]))
        return items[:top]

    return {
        "graphs": graph.graph.get("graphs", ""),
        "nodes": graph.number_of_nodes(),
        "edges": graph.number_of_edges(),
        "weaklyConnectedComponents": nx.number_weakly_connected_components(graph),
        "nodesByKind": dict(sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))),
        "edgesByPredicate": dict(sorted(predicates.items(), key=lambda kv: (-kv[1], kv[0]))),
        "mechanisms": ranked("mechanism"),
        "components": ranked("species", used_only=True),
        "designCommunities": design_communities(graph, seed=seed),
    }


def design_graph(graph: nx.MultiDiGraph) -> nx.Graph:
    """Designs linked by what they share (species, mechanisms, interphase components, outcomes ...),
    weighted by how many; bibliography, sections and hypotheses do not count."""
    view = explanatory_view(graph)
    designs = [n for n, d in view.nodes(data=True) if d["kind"] == "design"]
    shared: dict[tuple[str, str], int] = Counter()
    for node in view.nodes:
        if view.nodes[node]["kind"] == "design":
            continue
        users = sorted(n for n in view.neighbors(node) if view.nodes[n]["kind"] == "design")
        for a, b in itertools.combinations(users, 2):
            shared[(a, b)] += 1
    out = nx.Graph()
    out.add_nodes_from((d, graph.nodes[d]) for d in designs)
    out.add_weighted_edges_from((a, b, w) for (a, b), w in shared.items())
    return out


def design_communities(graph: nx.MultiDiGraph, seed: int = 0) -> list[dict[str, Any]]:
    """Louvain communities of :func:`design_graph` (fixed seed), largest first, each with the
    mechanisms its designs most often act through."""
    designs = design_graph(graph)
    if designs.number_of_nodes() == 0:
        return []
    groups = nx.community.louvain_communities(designs, weight="weight", seed=seed)
    out = []
    for members in groups:
        mechanisms: Counter[str] = Counter()
        for design in members:
            for _, target, data in graph.out_edges(design, data=True):
                if data["label"] == "actsThrough":
                    mechanisms[local_name(target)] += 1
        out.append({
            "size": len(members),
            "designs": sorted(local_name(d) for d in members),
            "mechanisms": [m for m, _ in sorted(mechanisms.items(), key=lambda kv: (-kv[1], kv[0]))[:3]],
        })
    out.sort(key=lambda c: (-c["size"], c["designs"]))
    return out


@dataclass(frozen=True)
class Hop:
    """One step of an explanatory path: ``source -predicates-> target`` (``forward``) or the reverse."""

    source: str
    target: str
    predicates: tuple[str, ...]
    forward: bool

    def as_dict(self, graph: nx.MultiDiGraph) -> dict[str, Any]:
        return {"from": local_name(self.source), "fromLabel": graph.nodes[self.source]["label"],
                "to": local_name(self.target), "toLabel": graph.nodes[self.target]["label"],
                "predicates": list(self.predicates), "forward": self.forward}


def paths(graph: nx.MultiDiGraph, source: str, target: str, max_paths: int = 5) -> list[list[Hop]]:
    """The shortest explanatory paths from ``source`` to ``target`` (at most ``max_paths``, in a stable
    order), walking edges in either direction but never through references, sections or hypotheses.

    Each hop names the predicates that link its two nodes and whether they point along the path
    (``LiNO3 -actsThrough-> ReactiveSEIFormation``) or against it (``FEC <-hasComponent- design``)."""
    for node in (source, target):
        if node not in graph:
            raise GraphError(f"{shorten(node)} has no edges in the projected graph")
    view = explanatory_view(graph)
    for node in (source, target):
        if node not in view:
            raise GraphError(f"{shorten(node)} is a {graph.nodes[node]['kind']}; paths do not pass through those")
    try:
        found = nx.all_shortest_paths(view, source, target)
        chosen = sorted(itertools.islice(found, 10_000), key=lambda p: [graph.nodes[n]["label"] for n in p])
    except nx.NetworkXNoPath:
        return []
    out = []
    for nodes in chosen[:max_paths]:
        hops = []
        for a, b in itertools.pairwise(nodes):
            forward = sorted({d["label"] for d in graph.get_edge_data(a, b, default={}).values()})
            backward = sorted({d["label"] for d in graph.get_edge_data(b, a, default={}).values()})
            if forward:
                hops.append(Hop(a, b, tuple(forward), True))
            else:
                hops.append(Hop(a, b, tuple(backward), False))
        out.append(hops)
    return out


def format_path(graph: nx.MultiDiGraph, hops: list[Hop]) -> str:
    """``lithium nitrate -forms-> LiNxOy <-forms- design ...`` in the graph's labels."""
    if not hops:
        return ""
    text = graph.nodes[hops[0].source]["label"]
    for hop in hops:
        label = "/".join(hop.predicates)
        arrow = f" -{label}-> " if hop.forward else f" <-{label}- "
        text += arrow + graph.nodes[hop.target]["label"]
    return text
