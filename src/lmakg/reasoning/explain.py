"""``lmakg why``: the derivation tree of a statement, down to asserted facts and their review sources.

Why a tree: an inferred triple can rest on other inferred triples (a product rests on a predicted
mechanism, which rests on a LUMO comparison ...). Each node says whether the statement is asserted
(curated, with its review section and references), perceived (RDKit, from a SMILES) or inferred (with
every rule firing that concluded it, the rule's principle and section, and the premises, recursively).
"""

from __future__ import annotations

from typing import Any

from lmakg.knowledge.queries import run_engine_query
from lmakg.knowledge.store import KnowledgeStore, Term
from lmakg.knowledge.vocab import (
    ASSERTED_GRAPH,
    CURATOR_GRAPH,
    INFERRED_GRAPH,
    LMA_IRI,
    ONTOLOGY_GRAPH,
    USER_GRAPHS,
    local_name,
    shorten,
    user_graph_name,
)

PERCEIVED = "https://w3id.org/lmakg/graph/perceived"
ASSERTED_STATUSES = ("asserted", "ontology", "curator", "user")


def _show(term: Term) -> str:
    if term.kind == "uri":
        return shorten(term.value)
    if term.kind == "bnode":
        return "_:" + term.value[:8]
    return repr(term.value) if term.datatype is None or term.datatype.endswith("string") else term.value


def _status(store: KnowledgeStore, s: Term, p: Term, o: Term) -> str:
    triple = tuple(store.to_store_term(t) for t in (s, p, o))
    for graph, name in ((ASSERTED_GRAPH, "asserted"), (ONTOLOGY_GRAPH, "ontology"), (CURATOR_GRAPH, "curator"),
                        (PERCEIVED, "perceived"), (INFERRED_GRAPH, "inferred")):
        if store.contains(*triple, graph=str(graph)):
            return name
    for graph in store.named_graphs():  # a user's addition (`lmakg add`): asserted, in its own graph
        if graph.startswith(USER_GRAPHS) and store.contains(*triple, graph=graph):
            return "user"
    return "absent"


def _source(store: KnowledgeStore, node: Term) -> dict[str, Any]:
    source: dict[str, Any] = {}
    for row in run_engine_query(store, "source-of", node=node):
        if "sectionNumber" not in row and "referenceNumber" not in row and "external" not in row:
            continue
        if row["owner"].kind == "uri":
            source.setdefault("from", shorten(row["owner"].value))
        if "sectionNumber" in row:
            source.setdefault("sections", set()).add(row["sectionNumber"].value)
        if "referenceNumber" in row:
            source.setdefault("references", set()).add(int(row["referenceNumber"].value))
        if "external" in row:
            source["external"] = row["external"].value
    for key in ("sections", "references"):
        if key in source:
            source[key] = sorted(source[key])
    return source


def explain(store: KnowledgeStore, s: Term, p: Term, o: Term, max_depth: int = 6,
            _seen: frozenset[tuple[str, str, str]] = frozenset(),
            _expanded: set[str] | None = None) -> dict[str, Any]:
    """The derivation tree of one statement, as a JSON-ready dict.

    A rule firing that several premises share is expanded once; later occurrences refer back to it.
    """
    expanded = set() if _expanded is None else _expanded
    key = (s.value, p.value, o.value)
    node: dict[str, Any] = {"statement": [_show(s), _show(p), _show(o)], "status": _status(store, s, p, o)}
    if node["status"] in ASSERTED_STATUSES:
        node["source"] = _source(store, s)
        return node
    derivations = run_engine_query(store, "derivations-of", s=s, p=p, o=o)
    if node["status"] == "absent" or not derivations:
        return node
    if key in _seen or len(_seen) >= max_depth:
        node["truncated"] = True
        return node
    rules = {row["rule"].value: row for row in run_engine_query(store, "rule-metadata")}
    node["derivations"] = []
    for row in sorted(derivations, key=lambda r: r["derivation"].value):
        entry: dict[str, Any] = {"id": local_name(row["derivation"].value)}
        if "rule" in row:
            meta = rules.get(row["rule"].value, {})
            entry["rule"] = local_name(row["rule"].value)
            entry["label"] = meta["label"].value if "label" in meta else entry["rule"]
            if "confidence" in meta:
                entry["confidence"] = float(meta["confidence"].value)
            if "principle" in meta:
                entry["principle"] = local_name(meta["principle"].value)
                if "principleLabel" in meta:
                    entry["principleLabel"] = meta["principleLabel"].value
            if "sectionNumber" in meta:
                entry["section"] = meta["sectionNumber"].value
        elif "agent" in row:
            entry["agent"] = row["agentLabel"].value if "agentLabel" in row else row["agent"].value
        if entry["id"] in expanded:
            entry["seeAbove"] = True
            entry["premises"] = []
            node["derivations"].append(entry)
            continue
        expanded.add(entry["id"])
        premises = run_engine_query(store, "derivation-premises", derivation=row["derivation"])
        entry["premises"] = [explain(store, pr["s"], pr["p"], pr["o"], max_depth, _seen | {key}, expanded)
                             for pr in sorted(premises, key=lambda r: (r["p"].value, r["s"].value, r["o"].value))]
        node["derivations"].append(entry)
    return node


def explain_mechanism(store: KnowledgeStore, subject_iri: str, mechanism: str) -> dict[str, Any]:
    """Why a species acts through a mechanism: the review's own attributions and the rules' derivation."""
    mech = mechanism if mechanism.startswith("http") else LMA_IRI + mechanism.removeprefix("lma:")
    s, m = Term("uri", subject_iri), Term("uri", mech)
    result: dict[str, Any] = {"subject": shorten(subject_iri), "mechanism": local_name(mech)}
    merged: dict[str, dict[str, Any]] = {}
    for row in run_engine_query(store, "species-uses", species=f"<{subject_iri}>"):
        if "mechanism" not in row or row["mechanism"].value != mech:
            continue
        user = user_graph_name(row["designGraph"].value) if "designGraph" in row else None
        design = local_name(row["design"].value)
        entry = merged.setdefault(design, {"design": design, "user": user, "references": set(),
                                           "section": row["sectionNumber"].value if "sectionNumber" in row else None})
        if "referenceNumber" in row:
            entry["references"].add(int(row["referenceNumber"].value))
    # A user's design is the user's claim: listed apart, by the addition's name, never as the review's.
    result["reportedByReview"] = [{k: v for k, v in e.items() if k != "user"} | {"references": sorted(e["references"])}
                                  for e in merged.values() if e["user"] is None]
    result["reportedByUser"] = [{"design": e["design"], "user": e["user"], "cites": {
        "section": e["section"], "references": sorted(e["references"])}} for e in merged.values() if e["user"]]
    expanded: set[str] = set()
    result["predicted"] = explain(store, s, Term("uri", LMA_IRI + "predictedMechanism"), m, _expanded=expanded)
    ruled = explain(store, s, Term("uri", LMA_IRI + "ruledOut"), m, _expanded=expanded)
    if ruled["status"] != "absent":
        result["ruledOut"] = ruled
    return result


def render(tree: dict[str, Any], console: Any) -> None:
    from rich.tree import Tree

    def label(node: dict[str, Any]) -> str:
        text = " ".join(node["statement"])
        status = node["status"]
        if status in ASSERTED_STATUSES:
            src = node.get("source", {})
            bits = [f"§{s}" for s in src.get("sections", [])] + [f"[{r}]" for r in src.get("references", [])]
            if src.get("external"):
                bits.append(src["external"])
            return f"[green]{text}[/green]  [dim]{status}{' ' + ' '.join(bits) if bits else ''}[/dim]"
        if status == "absent":
            return f"[red]{text}[/red]  [dim]not in the graph[/dim]"
        folded = f" ({node['folded']})" if node.get("folded") else ""
        return f"[yellow]{text}[/yellow]  [dim]{status}{folded}[/dim]"

    def grow(branch: Any, node: dict[str, Any]) -> None:
        for d in node.get("derivations", []):
            if "rule" in d:
                head = (f"rule [bold]{d['rule']}[/bold] ({d.get('confidence', '?')}): {d['label']}"
                        + (f" — principle {d['principle']}" if d.get("principle") else "")
                        + (f" §{d['section']}" if d.get("section") else ""))
            else:
                head = d.get("agent", "derivation")
            if d.get("seeAbove"):
                branch.add(f"[dim]{head} (derivation {d['id'][:8]}, expanded above)[/dim]")
                continue
            sub = branch.add(head + f" [dim]({d['id'][:8]})[/dim]")
            for premise in d["premises"]:
                grow(sub.add(label(premise)), premise)
            if d.get("folded"):
                sub.add(f"[dim]{d['folded']}; --full shows them[/dim]")

    if "mechanism" in tree and "predicted" in tree:
        root = Tree(f"[bold]why {tree['subject']} acts through {tree['mechanism']}[/bold]")
        reported = root.add("reported by the review")
        for item in tree["reportedByReview"] or []:
            refs = " ".join(f"[{r}]" for r in item["references"])
            reported.add(f"{item['design']} §{item['section']} {refs}")
        if not tree["reportedByReview"]:
            reported.add("[dim]no curated design attributes it[/dim]")
        if tree.get("reportedByUser"):
            users = root.add("claimed in users' additions (not the review)")
            for item in tree["reportedByUser"]:
                users.add(f"{item['design']}  [dim]user: {item['user']}[/dim]")
        predicted = root.add("predicted by the rules: " + label(tree["predicted"]))
        grow(predicted, tree["predicted"])
        if "ruledOut" in tree:
            ruled = root.add("[red]ruled out[/red]: " + label(tree["ruledOut"]))
            grow(ruled, tree["ruledOut"])
    else:
        root = Tree(label(tree))
        grow(root, tree)
    console.print(root)
