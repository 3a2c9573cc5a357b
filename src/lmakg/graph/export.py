"""Exports of the networkx projection for Gephi, yEd, Cytoscape and RDF tools (``lmakg export``).

GraphML and GEXF through networkx, Cytoscape JSON through networkx's ``cytoscape_data``, JSON-LD as the
projected edges written back as RDF triples with their original predicates. A file is written whole or not
at all.
"""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx

from lmakg.graph.projection import EXPORT_FORMATS, RDFS_LABEL, GraphError
from lmakg.knowledge.vocab import shorten


def export(graph: nx.MultiDiGraph, fmt: str) -> bytes:
    """Serialise a projection: GraphML and GEXF (networkx writers), Cytoscape.js JSON, or JSON-LD (the
    projected edges as RDF triples with the original predicates, plus each node's rdfs:label)."""
    import io

    if fmt == "graphml":
        buffer = io.BytesIO()
        nx.write_graphml(graph, buffer)
        return buffer.getvalue()
    if fmt == "gexf":
        buffer = io.BytesIO()
        nx.write_gexf(graph, buffer)
        return buffer.getvalue()
    if fmt == "cytoscape-json":
        return json.dumps(nx.cytoscape_data(graph), indent=1, ensure_ascii=False).encode("utf-8")
    if fmt == "jsonld":
        import pyoxigraph as ox

        label = ox.NamedNode(RDFS_LABEL)
        triples = [ox.Triple(ox.NamedNode(n), label, ox.Literal(d["label"])) for n, d in graph.nodes(data=True)]
        for s, o, data in graph.edges(data=True):
            if not data.get("predicate"):
                raise GraphError(f"edge {data.get('label')} from {shorten(s)} has no predicate; cannot write RDF")
            triples.append(ox.Triple(ox.NamedNode(s), ox.NamedNode(data["predicate"]), ox.NamedNode(o)))
        return ox.serialize(triples, format=ox.RdfFormat.JSON_LD)
    raise GraphError(f"unknown export format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}")


def write_whole(path: Path, data: bytes) -> Path:
    """Write a file atomically (a temporary file renamed into place), so a failure leaves nothing; the folder
    must exist (lmakg creates none)."""
    if not path.parent.is_dir():
        raise OSError(f"cannot write {path}: the folder {path.parent} does not exist (lmakg does not create it)")
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return path


def write_export(graph: nx.MultiDiGraph, fmt: str, path: Path) -> Path:
    """Write an export whole or not at all (:func:`write_whole`)."""
    return write_whole(path, export(graph, fmt))
