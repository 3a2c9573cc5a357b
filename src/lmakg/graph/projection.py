"""The knowledge graph as a networkx graph: the projection (exports in :mod:`lmakg.graph.export`, analytics in
:mod:`lmakg.graph.analytics`).

Why a projection: RDF is the source of truth, but layout, centrality, communities and shortest paths
are graph algorithms people reach for in networkx, Gephi or Cytoscape. :func:`to_networkx` turns the
object-property statements between named nodes into a ``networkx.MultiDiGraph``; what is projected is
chosen by the engine queries ``graph-edges.rq`` (edges), ``graph-node-kinds.rq`` (the kind
of each node, read from its ``rdf:type`` and the ontology's sub-class hierarchy) and
``graph-labels.rq`` (names). A design component (a blank node: one species in one role) becomes
a ``design -hasComponent-> species`` edge carrying the role, and the component's own claims become
edges of its species carrying the design, so the projection has only named nodes.

Every attribute is a string, so the graph writes to GraphML and GEXF unchanged:

* node: ``label`` (rdfs:label / skos:prefLabel), ``short`` (the shortest abbreviation, for drawings),
  ``kind`` (one of :data:`KINDS`), ``iri``;
* edge (key = predicate's local name): ``predicate`` (IRI), ``label`` (e.g. ``forms``), ``graph`` (the
  named graph it comes from: ``asserted`` = the review, ``inferred`` = the rules ...), and for collapsed
  components ``role`` (e.g. ``Additive``) or ``designs`` (the designs in which the species does it).

>>> from lmakg.chemistry.materialize import open_knowledge
>>> g = to_networkx(open_knowledge(None))
>>> g.nodes["https://w3id.org/lmakg/ontology#ElectrostaticShielding"]["kind"]
'mechanism'
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import networkx as nx

from lmakg.knowledge.queries import engine_query
from lmakg.knowledge.store import KnowledgeStore, QuerySyntaxError, StoreError
from lmakg.knowledge.vocab import GRAPH_IRI, LMA_IRI, PREFIXES, USER_GRAPHS, local_name, shorten

#: Node kinds, in the order legends list them (``graph-node-kinds.rq`` maps classes to them).
KINDS = ("mechanism", "design", "species", "interphase component", "functional group", "outcome",
         "principle", "hypothesis", "reference", "section", "other")

#: Named graphs by short name (``lmakg.knowledge.vocab`` holds the full IRIs); ``user`` stands for every addition
#: made with ``lmakg add`` (``.../graph/user/<name>``).
GRAPH_NAMES = ("ontology", "asserted", "user", "rules", "perceived", "inferred", "provenance")

#: The graphs a projection reads by default: the review's statements, the user's additions, the rules'
#: conclusions.
DEFAULT_GRAPHS = ("asserted", "user", "inferred")

#: The graphs the analytics (``lmakg graph stats|paths``) and the mechanism map read: the review's
#: statements, the rules' conclusions, and the ontology's statements about its named terms
#: (the mechanism taxonomy, reduction products, Li-alloying metals).
ANALYTICS_GRAPHS = ("ontology", "asserted", "user", "inferred")

#: Kinds a path never passes through: shared bibliography and sections link unrelated designs, and a
#: hypothesis is a conjecture, not an explanation.
NOT_EXPLANATORY = frozenset({"reference", "section", "hypothesis"})

#: Kinds a hypothesis' part can be (a species; LiF is also an interphase component).
PART_KINDS = ("species", "interphase component", "functional group")

RDFS_LABEL = PREFIXES["rdfs"] + "label"
EXPORT_FORMATS = ("graphml", "gexf", "cytoscape-json", "jsonld")


class GraphError(ValueError):
    """A projection, export or path request could not be served; the message says which value is at fault."""


def graph_iris(knowledge: KnowledgeStore, names: Iterable[str]) -> list[str]:
    """Named-graph IRIs for short names (:data:`GRAPH_NAMES`) or IRIs; ``user`` expands to the additions."""
    out: list[str] = []
    for name in names:
        name = name.strip()
        if name.startswith(("http://", "https://")):
            found = [name]
        elif name == "user":
            found = [g for g in knowledge.named_graphs() if g.startswith(USER_GRAPHS)]
        elif name in GRAPH_NAMES:
            found = [GRAPH_IRI + name]
        else:
            raise GraphError(f"unknown graph {name!r}; use one of {', '.join(GRAPH_NAMES)} or a graph IRI")
        out.extend(g for g in found if g not in out)
    return out


def _graph_name(iri: str) -> str:
    return iri.removeprefix(GRAPH_IRI)


def node_attributes(store: KnowledgeStore) -> dict[str, dict[str, str]]:
    """Label, short name and kind of every named node the store describes (one query each, cached per call)."""
    attrs: dict[str, dict[str, str]] = defaultdict(dict)
    best_rank: dict[str, int] = {}
    for row in store.select(engine_query("graph-node-kinds")):
        node, rank = row["node"].value, int(row["rank"].value)
        if rank < best_rank.get(node, 99):
            best_rank[node] = rank
            attrs[node]["kind"] = row["kind"].value
    for row in store.select(engine_query("graph-labels")):
        node = row["node"].value
        label = row["label"].value
        attrs[node]["label"] = label
        alts = sorted(row["alt"].value.split("\u001f"), key=lambda a: (len(a), a)) if "alt" in row else []
        attrs[node]["short"] = alts[0] if alts and len(alts[0]) < len(label) else label
    return attrs


def _describe(node: str, attrs: dict[str, dict[str, str]]) -> dict[str, str]:
    known = attrs.get(node, {})
    if "label" in known:
        name, short = known["label"], known.get("short", known["label"])
    else:  # unlabelled (minted hypotheses, derived values): the path, whose end tells them apart
        name = shorten(node).partition(":")[2] or node
        short = "/".join(name.split("/")[-2:])
    return {"label": name, "short": short, "kind": known.get("kind", "other"), "iri": node}


def _add_edge(graph: nx.MultiDiGraph, s: str, p: str, o: str, graph_name: str, **extra: str) -> None:
    key = local_name(p)
    if graph.has_edge(s, o, key):
        data = graph.edges[s, o, key]
        for name, value in extra.items():  # e.g. the same species-level claim made in two designs
            values = set(filter(None, data.get(name, "").split(" "))) | {value}
            data[name] = " ".join(sorted(values))
        return
    graph.add_edge(s, o, key=key, predicate=p, label=key, graph=graph_name, **extra)


def to_networkx(
    knowledge: KnowledgeStore,
    *,
    graphs: Sequence[str] = DEFAULT_GRAPHS,
    include_literals: bool = False,
    kinds: Iterable[str] | None = None,
    predicates: Iterable[str] | None = None,
) -> nx.MultiDiGraph:
    """Project the store onto a ``networkx.MultiDiGraph`` (see the module docstring for attributes).

    ``graphs``: named graphs whose statements become edges (short names of :data:`GRAPH_NAMES` or IRIs;
    ``user`` = every ``lmakg add`` addition; nodes are described from all graphs). An edge in several
    graphs keeps the first one listed.
    ``include_literals``: also copy each node's literal-valued properties (SMILES, definition ...) as
    string attributes named by the property's local name (several values joined by `` | ``).
    ``kinds`` / ``predicates``: keep only nodes of these kinds / edges of these predicates (local names
    such as ``actsThrough``, prefixed names or IRIs).
    """
    selected = graph_iris(knowledge, graphs)
    wanted_predicates = None
    if predicates is not None:
        wanted_predicates = {_predicate_iri(p) for p in predicates}
    wanted_kinds = None
    if kinds is not None:
        wanted_kinds = set(kinds)
        unknown = wanted_kinds - set(KINDS)
        if unknown:
            raise GraphError(f"unknown node kind {sorted(unknown)[0]!r}; use one of {', '.join(KINDS)}")
    attrs = node_attributes(knowledge)
    out = nx.MultiDiGraph(name="lmakg", graphs=" ".join(_graph_name(g) for g in selected))
    query = engine_query("graph-edges")
    for graph_iri in selected:
        rows = knowledge.select(query, bindings={"g": f"<{graph_iri}>"})
        rows.sort(key=lambda r: (r["s"].value, r["p"].value, r["o"].value,
                                 r["design"].value if "design" in r else ""))
        for row in rows:
            s, p, o = row["s"].value, row["p"].value, row["o"].value
            if wanted_predicates is not None and p not in wanted_predicates:
                continue
            ds, do = _describe(s, attrs), _describe(o, attrs)
            if wanted_kinds is not None and not (ds["kind"] in wanted_kinds and do["kind"] in wanted_kinds):
                continue
            for node, data in ((s, ds), (o, do)):
                if node not in out:
                    out.add_node(node, **data)
            extra: dict[str, str] = {}
            if "role" in row:
                extra["role"] = local_name(row["role"].value)
            if "design" in row:
                extra["designs"] = local_name(row["design"].value)
            _add_edge(out, s, p, o, _graph_name(graph_iri), **extra)
    if include_literals:
        add_literals(knowledge, out)
    return out


def _predicate_iri(name: str) -> str:
    if name.startswith(("http://", "https://")):
        return name
    prefix, sep, local = name.partition(":")
    if sep and prefix in PREFIXES:
        return PREFIXES[prefix] + local
    return LMA_IRI + name


def add_literals(knowledge: KnowledgeStore, graph: nx.Graph) -> None:
    """Copy the literal-valued properties of the graph's nodes onto them as string attributes."""
    reserved = {"label", "short", "kind", "iri"}
    values: dict[tuple[str, str], list[str]] = defaultdict(list)
    for row in knowledge.select("SELECT ?s ?p ?o WHERE { ?s ?p ?o FILTER(isIRI(?s) && isLiteral(?o)) }"):
        s = row["s"].value
        if s in graph and row["p"].value != RDFS_LABEL:
            name = local_name(row["p"].value)
            if name not in reserved and row["o"].value not in values[(s, name)]:
                values[(s, name)].append(row["o"].value)
    for (node, name), items in values.items():
        graph.nodes[node][name] = " | ".join(sorted(items))


# -- other projections ------------------------------------------------------------------------------

def from_query(knowledge: KnowledgeStore, sparql: str, *, base: nx.MultiDiGraph | None = None) -> nx.MultiDiGraph:
    """The graph of a SPARQL result.

    SELECT: every IRI-valued cell becomes a node; the edges of the full projection (``base``, default
    :func:`to_networkx` over :data:`ANALYTICS_GRAPHS`) among those nodes are kept, and in each row the
    first IRI cell is joined to every other IRI cell the projection does not already connect it to, by an
    edge labelled with that cell's variable (``?mechanism``), so the result's own structure shows.
    CONSTRUCT/DESCRIBE: every triple between two IRIs is an edge.
    """
    import pyoxigraph as ox

    try:
        raw = knowledge.query_raw(sparql)
    except QuerySyntaxError as exc:
        raise GraphError(f"SPARQL syntax error: {exc}") from exc
    except StoreError as exc:
        raise GraphError(str(exc)) from exc
    attrs = node_attributes(knowledge)
    out = nx.MultiDiGraph(name="lmakg query")
    if isinstance(raw, ox.QueryBoolean):
        raise GraphError("an ASK query has no graph to draw; use SELECT or CONSTRUCT")
    if not isinstance(raw, ox.QuerySolutions):  # CONSTRUCT / DESCRIBE
        for triple in raw:
            s, p, o = triple.subject, triple.predicate, triple.object
            if isinstance(s, ox.NamedNode) and isinstance(o, ox.NamedNode):
                for node in (s.value, o.value):
                    if node not in out:
                        out.add_node(node, **_describe(node, attrs))
                _add_edge(out, s.value, p.value, o.value, "query")
        return out
    names = [v.value for v in raw.variables]
    rows = [[(name, solution[name].value) for name in names if isinstance(solution[name], ox.NamedNode)]
            for solution in raw]
    for row in rows:
        for _, node in row:
            if node not in out:
                out.add_node(node, **_describe(node, attrs))
    if base is None:
        base = to_networkx(knowledge, graphs=ANALYTICS_GRAPHS)
    for s, o, key, data in base.subgraph(list(out)).edges(keys=True, data=True):
        out.add_edge(s, o, key=key, **data)
    for row in rows:
        if not row:
            continue
        _, first = row[0]
        for var, node in row[1:]:
            if node != first and not out.has_edge(first, node) and not out.has_edge(node, first):
                out.add_edge(first, node, key=f"?{var}", predicate="", label=f"?{var}", graph="query")
    return out


def neighbourhood(graph: nx.MultiDiGraph, node: str, depth: int = 1,
                  exclude_kinds: Iterable[str] = ()) -> nx.MultiDiGraph:
    """The nodes within ``depth`` hops of ``node`` (either direction) and the edges among them.

    ``exclude_kinds`` keeps hubs such as references and sections from flooding a depth-2 view (the
    centre itself is always kept)."""
    if node not in graph:
        raise GraphError(f"{shorten(node)} has no edges in the projected graph")
    if depth < 1:
        raise GraphError(f"depth must be at least 1, not {depth}")
    excluded = set(exclude_kinds)
    keep = [n for n, d in graph.nodes(data=True) if n == node or d.get("kind") not in excluded]
    view = graph.subgraph(keep)
    nodes = nx.single_source_shortest_path_length(view.to_undirected(as_view=True), node, cutoff=depth)
    return nx.MultiDiGraph(graph.subgraph(nodes))


def mechanism_map(knowledge: KnowledgeStore) -> nx.MultiDiGraph:
    """The review's mechanism map (Figure 2): every mechanism with its broader family, and the designs
    and components the review says act through each (``lma:actsThrough``, asserted)."""
    full = to_networkx(knowledge, graphs=("ontology", "asserted"), predicates=("actsThrough", "broaderMechanism"))
    keep = [n for n, d in full.nodes(data=True) if d["kind"] in {"mechanism", "design", "species"}]
    return nx.MultiDiGraph(full.subgraph(keep), name="mechanism map (Figure 2)")


def hypothesis_graph(knowledge: KnowledgeStore, hypothesis: dict[str, Any]) -> nx.MultiDiGraph:
    """One hypothesis (``Hypothesis.as_dict()``) as a graph: its components, the mechanisms and families
    it claims, and for each mechanism the rules' principles, supporting designs, sections and references."""
    attrs = node_attributes(knowledge)
    by_local: dict[str, list[str]] = defaultdict(list)
    for iri in attrs:
        by_local[local_name(iri)].append(iri)

    def iri_of(local: str, *kinds: str) -> str:
        found = [i for i in by_local.get(local, []) if attrs[i].get("kind") in kinds]
        if len(found) != 1:
            raise GraphError(f"hypothesis {hypothesis['id']}: cannot find the {' or '.join(kinds)} {local!r} "
                             f"in the graph ({len(found)} matches)")
        return found[0]

    out = nx.MultiDiGraph(name=f"hypothesis {hypothesis['id']}")
    centre = f"urn:lmakg:hypothesis:{hypothesis['id']}"
    out.add_node(centre, label=hypothesis["label"], short=hypothesis["id"], kind="hypothesis", iri=centre)

    def link(s: str, o: str, label: str) -> None:
        for node in (s, o):
            if node not in out:
                out.add_node(node, **_describe(node, attrs))
        if not out.has_edge(s, o, label):
            out.add_edge(s, o, key=label, predicate="", label=label, graph="hypothesis")

    for part in hypothesis["components"]:
        link(centre, iri_of(part["id"], *PART_KINDS), "combines")
    sections = {local_name(i): i for i, a in attrs.items() if a.get("kind") == "section"}
    references = {local_name(i): i for i, a in attrs.items() if a.get("kind") == "reference"}
    for item in hypothesis["perMechanism"]:
        mechanism = iri_of(item["mechanism"], "mechanism")
        family = iri_of(item["family"], "mechanism")
        link(centre, mechanism, "hypothesizedMechanism")
        if family != mechanism:
            link(mechanism, family, "broaderMechanism")
        for principle in item["principles"]:
            link(iri_of(principle, "principle"), mechanism, "supportsMechanism")
        for design in item["supportingDesigns"]:
            link(iri_of(design, "design"), mechanism, "actsThrough")
        for section in item["sections"]:
            node = sections.get("sec-" + section.replace(".", "-"))
            if node is None:
                raise GraphError(f"hypothesis {hypothesis['id']}: no review section {section}")
            link(mechanism, node, "inSection")
        for number in item["references"]:
            node = references.get(f"ref-{number}")
            if node is None:
                raise GraphError(f"hypothesis {hypothesis['id']}: no reference [{number}]")
            link(mechanism, node, "citesReference")
    return out
