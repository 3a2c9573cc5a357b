"""Hypotheses of kind "molecule": new structures one design move away from the review's species.

The moves, enumeration and judging live in :mod:`lmakg.chemistry.design`; this module only turns judged
structures into hypotheses, so the chemistry layer never needs to know what a hypothesis is.
"""

from __future__ import annotations

from typing import Any

from lmakg.chemistry import reactions
from lmakg.chemistry import structures as chem
from lmakg.chemistry.candidates import ROLES
from lmakg.chemistry.design import judge
from lmakg.chemistry.moves import MoveContext, Progress, Structure, enumerate_structures
from lmakg.hypotheses.model import Hypothesis
from lmakg.knowledge.store import KnowledgeStore


def molecule_hypotheses(store: KnowledgeStore, store_location: str | None = None,
                        progress: Progress | None = None, predictor: Any = None) -> list[Hypothesis]:
    """Hypotheses of kind "molecule": every structure one move away from a species the review uses in a
    role (solvent, additive, salt, diluent ...), judged by the rules, kept when two or more mechanism
    families count (the rule every hypothesis follows). All are novel: the graph does not hold them."""
    graph = MoveContext(store)
    moves = graph.select_moves(None)
    starts: list[Structure] = []
    roles: dict[str, str] = {}
    for species in sorted(graph.roles):
        card = graph.cards.get(species, {})
        if "smiles" not in card or not any(r in ROLES.values() for r in graph.roles[species]):
            continue
        try:
            smiles = reactions.canonical(card["smiles"])
            key = chem.inchikey(smiles)
        except chem.ChemistryError:
            continue
        starts.append(Structure(smiles, key, [], species, card.get("label")))
        roles[key] = graph.role_of(species)
    if not starts:
        return []
    found = enumerate_structures(graph, starts, moves, 1, progress)
    start_role = {s.smiles: roles[s.inchikey] for s in starts}
    judged = judge(graph, found.new, [start_role[s.chain[0].parent] for s in found.new], store_location, progress,
                   predictor)
    out = []
    for j in judged:
        if "error" in j:
            continue
        counted = {k: v for k, v in j["families"].items() if v["counted"]}
        if len(counted) < 2:
            continue
        s: Structure = j["structure"]
        step = s.chain[-1]
        out.append(Hypothesis(
            id=f"H-mol-{s.inchikey.split('-')[0]}", kind="molecule",
            label=(f"{s.smiles}: {step.parent_label} by '{step.move.label}' acting through "
                   f"{' + '.join(sorted(counted))}"),
            components=[{"id": s.inchikey.split("-")[0], "label": s.smiles, "smiles": s.smiles,
                         "inchiKey": s.inchikey, "role": j["role"]}],
            families=counted, tradeoffs=j["tradeoffs"], excluded=[
                {"mechanism": r["mechanism"], "reason": "ruled out by a principle (lma:ruledOut)"}
                for r in j["result"].get("ruledOut", [])],
            novel=True, score=j["score"], pattern=step.move.id, members=set(),
            moves=[st.as_dict(graph.tradeoff_labels) for st in s.chain]))
    return out
