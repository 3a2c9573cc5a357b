"""``lmakg design``: new molecules from known ones by the review's own design moves, judged by its rules.

Why it works this way: the review designs molecules by a handful of moves (extend the ether chain DME ->
DMB, fluorinate the backbone DMB -> FDMB, raise the fluorination level EC -> FEC -> DFEC, fluorinate an
ester ethyl acetate -> ETFA, put an active group beta to a C-F as in AFA, swap a solvent for a weakly or
non-solvating analogue). The moves are data (``kg/design-moves.ttl``: an RDKit reaction SMARTS, or for the
swap a SPARQL criterion, with the principle and section behind each); this module only applies them:

The moves and their enumeration are in :mod:`lmakg.chemistry.moves`; this module judges and ranks.

1. the starting species is resolved by name (``lmakg.knowledge.show.resolve``) or read as a SMILES;
2. moves are applied breadth-first up to ``depth``; every product is sanitised by RDKit (invalid ones are
   dropped and counted) and identified by InChIKey, so a structure reached twice is kept once (at its
   shortest move chain); a product the graph already holds is not proposed but reported with the curated
   species it matches (and moves continue from it: DME -> DMB -> FDMB passes through two such species);
3. the new structures are judged together by ``lmakg.chemistry.predict.predict_many`` (one reasoning pass): RDKit
   features, predicted mechanisms with the rules that fired, expected SEI products, trade-offs;
4. each is scored exactly like a hypothesis (``lmakg.reasoning.evidence.score_evidence``): every firing rule is a
   piece of evidence weighted by its ``lma:confidence``; family strength = best weight + 0.1 per further
   piece (at most +0.3); families below 0.6 abstain; score = sum of counted family strengths - 0.15 per
   distinct trade-off (at most three). The trade-offs are those the rules infer for the structure plus
   those the review states for the moves that made it (``lma:expectedTradeOff``, e.g. weaker Li+ binding
   after fluorination also lowers ionic conductivity). Ties: fewer moves first, then SMILES.

A designed structure takes the role its starting species plays most often in the review (DME: solvent),
or ``role`` when given; a SMILES start defaults to "solvent", since the review's moves are solvent moves.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from lmakg.chemistry.moves import (
    DEFAULT_ROLE,
    DesignInputError,
    Move,
    MoveContext,
    Progress,
    Step,
    Structure,
    enumerate_structures,
    resolve_start,
)
from lmakg.knowledge.vocab import local_name


def judge(graph: MoveContext, structures: list[Structure], roles: list[str], store_location: str | None = None,
          progress: Progress | None = None, predictor: Any = None) -> list[dict[str, Any]]:
    """The rules' verdict on each structure (``lmakg.chemistry.predict.predict_many``, or ``predictor``'s, a warm
    :class:`~lmakg.chemistry.predict.Predictor` shared with other callers), scored like a hypothesis."""
    from lmakg.chemistry.candidates import Candidate
    from lmakg.chemistry.predict import Predictor
    from lmakg.reasoning.evidence import prediction_evidence, score_evidence

    if not structures:
        return []
    candidates = [Candidate(smiles=s.smiles, role=r) for s, r in zip(structures, roles, strict=True)]
    total = len(candidates)
    if progress:
        progress("judging with the rules", 0, total)
    predictor = predictor or Predictor(store_location)
    results = predictor.predict_many(
        candidates, progress=(lambda n: progress("judging with the rules", n, total)) if progress else None)
    judged = []
    for s, role, result in zip(structures, roles, results, strict=True):
        if "error" in result:
            judged.append({"structure": s, "error": result["error"]})
            continue
        evidence = prediction_evidence(result["mechanisms"], graph.rules, graph.model)
        tradeoffs = _tradeoffs(graph, result["conflicts"], s.chain)
        excluded = {r["mechanism"] for r in result.get("ruledOut", [])}
        families, score = score_evidence(graph.family_of, evidence, tradeoffs, graph.model, excluded)
        judged.append({"structure": s, "role": role, "result": result, "families": families, "score": score,
                       "tradeoffs": tradeoffs})
    return judged


def _tradeoffs(graph: MoveContext, conflicts: list[str], chain: list[Step]) -> list[dict[str, Any]]:
    """Trade-offs the rules infer for the structure, plus those the review states for its moves."""
    by_id = {t["id"]: iri for iri, t in graph.tradeoffs.items()}
    sources: dict[str, list[str]] = defaultdict(list)
    for tid in conflicts:
        sources[by_id.get(tid, tid)].append("inferred by a conflict rule")
    for step in chain:
        for iri in step.move.expected:
            sources[iri].append(f"expected from move '{step.move.label}'")
    out = []
    for iri, how in sorted(sources.items()):
        card = graph.tradeoffs.get(iri, {"id": local_name(iri), "label": local_name(iri), "statement": "",
                                         "section": None, "references": set()})
        out.append({**card, "references": sorted(card["references"]), "how": "; ".join(dict.fromkeys(how))})
    return out


def _entry(graph: MoveContext, judged: dict[str, Any]) -> dict[str, Any]:
    s: Structure = judged["structure"]
    chain = [step.as_dict(graph.tradeoff_labels) for step in s.chain]
    if "error" in judged:
        return {"smiles": s.smiles, "inchiKey": s.inchikey, "moves": chain, "error": judged["error"]}
    result = judged["result"]
    return {
        "smiles": s.smiles, "inchiKey": s.inchikey, "role": judged["role"], "score": round(judged["score"], 3),
        "moves": chain,
        "families": {fam: {"strength": info["strength"], "counted": info["counted"],
                           "mechanisms": info["mechanisms"]} for fam, info in sorted(judged["families"].items())},
        "mechanisms": [{"id": m["id"], "rules": m["rules"],
                        "supportingDesigns": [d["design"] for d in m.get("supportingDesigns", [])]}
                       for m in result["mechanisms"]],
        "forms": result["forms"], "features": result["features"], "elements": result["elements"],
        "fMassFraction": result["fMassFraction"], "ruledOut": result.get("ruledOut", []),
        "tradeoffs": [{k: t[k] for k in ("id", "label", "section", "how")} for t in judged["tradeoffs"]],
        "notAssessed": result.get("notAssessed", []),
    }


def design(start: str, moves: list[str] | None = None, depth: int = 2, top: int | None = None,
           role: str | None = None, store: str | None = None, progress: Progress | None = None) -> dict[str, Any]:
    """Enumerate, judge and rank new structures from ``start`` (a name or SMILES); a JSON-ready dict.
    Raises :class:`DesignInputError` on bad input (unknown name/move, invalid SMILES, depth < 1)."""
    from lmakg.chemistry.candidates import ROLES
    from lmakg.chemistry.materialize import open_knowledge

    if depth < 1:
        raise DesignInputError(f"--depth must be at least 1 (got {depth})")
    if top is not None and top < 1:
        raise DesignInputError(f"--top must be at least 1 (got {top})")
    if role is not None and role.lower() not in ROLES:
        raise DesignInputError(f"unknown role {role!r}; use one of: {', '.join(ROLES)}")
    graph = MoveContext(open_knowledge(store, reason=False))
    chosen = graph.select_moves(moves)
    origin = resolve_start(graph, start)
    found = enumerate_structures(graph, [origin], chosen, depth, progress)
    the_role = role.lower() if role else (graph.role_of(origin.species) if origin.species else DEFAULT_ROLE)
    judged = judge(graph, found.new, [the_role] * len(found.new), store, progress)
    ok = [j for j in judged if "error" not in j]
    ok.sort(key=lambda j: (-round(j["score"], 6), len(j["structure"].chain), j["structure"].smiles))
    ranked = [_entry(graph, j) for j in (ok[:top] if top else ok)]
    for rank, entry in enumerate(ranked, start=1):
        entry["rank"] = rank
    return {
        "start": {"input": start, "smiles": origin.smiles, "inchiKey": origin.inchikey,
                  "species": local_name(origin.species) if origin.species else None, "label": origin.label,
                  "role": the_role},
        "moves": [m.id for m in chosen], "depth": depth,
        "candidates": ranked,
        "judged": len(ok),
        "knownInGraph": [{"smiles": k.smiles, "inchiKey": k.inchikey, "species": local_name(k.species or ""),
                          "label": k.label, "moves": [step.as_dict(graph.tradeoff_labels) for step in k.chain]}
                         for k in found.known],
        "dropped": {"duplicates": found.duplicates, "alreadyInGraph": len(found.known),
                    "invalid": len(found.invalid) + len(judged) - len(ok),
                    "invalidExamples": (found.invalid + [f"{j['structure'].smiles}: {j['error']}"
                                                         for j in judged if "error" in j])[:10]},
    }


def _chain_text(start: str, moves: list[dict[str, Any]]) -> str:
    """'COCCOC --(extend the ether chain §4.1)--> COCCCCOC', escaped for rich."""
    from rich.markup import escape

    parts = [start]
    for step in moves:
        parts.append(f"--({step['label']} §{', §'.join(step['sections'])})--> {step['to']}")
    return escape(" ".join(parts))


def render(report: dict[str, Any], console: Any) -> None:
    """Print a design report for people: ranked candidates with their move chains and verdicts."""
    from rich.markup import escape
    from rich.table import Table

    s = report["start"]
    console.print(f"[bold]from {escape(s['label'] or s['smiles'])}[/bold] ({escape(s['smiles'])}), role {s['role']}; "
                  f"moves {', '.join(report['moves'])}; depth {report['depth']}")
    table = Table(show_edge=False)
    for col in ("#", "score", "SMILES", "moves", "families", "forms", "trade-offs"):
        table.add_column(col)
    for c in report["candidates"]:
        counted = [f for f, info in c["families"].items() if info["counted"]]
        table.add_row(str(c["rank"]), f"{c['score']:.2f}", c["smiles"], " > ".join(m["move"] for m in c["moves"]),
                      " + ".join(counted) or "-", ", ".join(c["forms"]) or "-", str(len(c["tradeoffs"])))
    if report["candidates"]:
        console.print(table)
    else:
        console.print("no new structure: every product is already in the graph, a duplicate or invalid")
    for c in report["candidates"]:
        console.print(f"\n[bold]{c['rank']}. {escape(c['smiles'])}[/bold]  score {c['score']:.2f}  {c['inchiKey']}")
        console.print(f"   {_chain_text(report['start']['smiles'], c['moves'])}")
        for step in c["moves"]:
            principles = "; ".join(p["label"] for p in step["principles"])
            console.print(f"   move [magenta]{escape(step['label'])}[/magenta] (§{', §'.join(step['sections'])}) "
                          f"serves: {escape(principles)}" + (f" — {escape(step['why'])}" if step.get("why") else ""))
        for m in c["mechanisms"]:
            console.print(f"   [green]{m['id']}[/green] by {', '.join(m['rules']) or '-'}")
        if c["forms"]:
            console.print(f"   forms: {', '.join(c['forms'])}")
        for t in c["tradeoffs"]:
            console.print(f"   [red]trade-off[/red] {escape(t['label'])} "
                          f"(§{t.get('section') or '?'}; {escape(t['how'])})")
    if report["knownInGraph"]:
        console.print("\n[bold]already in the graph[/bold] (not proposed):")
        for k in report["knownInGraph"]:
            console.print(f"   {escape(k['smiles'])} = lmk:{k['species']} ({escape(k['label'] or '')}): "
                          f"{_chain_text(report['start']['smiles'], k['moves'])}")
    d = report["dropped"]
    console.print(f"\n{report['judged']} new structures judged; dropped: {d['duplicates']} duplicates, "
                  f"{d['alreadyInGraph']} already in the graph, {d['invalid']} invalid")


__all__ = ["DesignInputError", "Move", "design", "enumerate_structures", "render",
           "resolve_start"]
