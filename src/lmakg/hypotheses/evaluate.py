"""``lmakg validate-hypotheses``: leave-one-out recall of the hypothesis generator.

Why: the generator's quality must be measured, not asserted. For each of the review's own multifunctional
designs (flagged ``lma:reportedMultifunctional`` or with components credited with two or more mechanism
families), the design **and everything derived from it** (``held-out-nodes.rq``: the curator's templates,
screens and tests read from that study alone) are removed from a fresh copy of the graph, perception and rules
are re-run, the hypotheses of every kind regenerated (by default; ``kinds``), and we record at what rank a
hypothesis proposing the design's credited species (by IRI, or by structure for a new salt or molecule; for a
metal fluoride, its alloying metal) comes back with at least two families. Recall@k is the share of designs
that come back within the top k.

Two ranks: among all hypotheses of the reduced graph (the ranking ``lmakg hypotheses`` prints), and among the
*novel* ones (``--novel-only``); a species the component data list as published is never novel, so it has
only the first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lmakg.chemistry.materialize import materialize
from lmakg.hypotheses.generate import KINDS, generate
from lmakg.knowledge.load import load_knowledge
from lmakg.knowledge.queries import engine_query, run_engine_query, with_values
from lmakg.knowledge.store import open_store
from lmakg.knowledge.terms import TRUE
from lmakg.knowledge.vocab import local_name
from lmakg.reasoning.rules import load_rules


@dataclass
class Target:
    design: str
    species: list[str]
    families: list[str]
    flagged: bool


def _fresh(data: bytes | None) -> Any:
    """A new in-memory store with the packaged graph (``data`` None) or a copy of a user's store's quads."""
    store = open_store()
    if data is None:
        load_knowledge(store)
    else:
        store.load_dataset(data)
    return store


def targets(data: bytes | None = None) -> list[Target]:
    store = _fresh(data)
    found: dict[str, dict[str, Any]] = defaultdict(lambda: {"species": defaultdict(set), "flagged": False})
    for row in run_engine_query(store, "multifunctional-targets"):
        entry = found[row["design"].value]
        entry["species"][row["species"].value].add(local_name(row["family"].value))
        entry["flagged"] |= "flagged" in row and row["flagged"].value in TRUE
    out = []
    for design, entry in sorted(found.items()):
        families = sorted(set().union(*entry["species"].values()))
        if entry["flagged"] or len(families) >= 2:
            out.append(Target(design, sorted(entry["species"]), families, entry["flagged"]))
    return out


def _alloy_metals(store: Any, species: list[str]) -> set[str]:
    metals = set()
    for row in run_engine_query(store, "element-compounds"):
        if row["species"].value in species:
            metals.add(row["metal"].value)
    return metals


def leave_one_out(ks: tuple[int, ...] = (10, 50), progress: Callable[[str], None] | None = None,
                  kinds: tuple[str, ...] = KINDS, diverse: int = 3, source: Any = None) -> dict[str, Any]:
    """Run the leave-one-out evaluation; returns per-design ranks and recall@k. ``source``: a built store
    (``--store``) whose designs are evaluated instead of the packaged graph's; it is copied into memory, never
    written (its derived graphs are rebuilt in each copy)."""
    say = progress or (lambda _m: None)
    rules = load_rules()
    results = []
    data = None
    if source is not None:
        say("copying the store into memory")
        data = source.dump("nquads")
    chosen = targets(data)
    for i, target in enumerate(chosen, start=1):
        store = _fresh(data)
        metals_before = _alloy_metals_from_full(store, target.species)
        keys = {row["key"].value for s in target.species
                for row in store.select(f"SELECT ?key WHERE {{ <{s}> lma:inchiKey ?key }}")}
        # a VALUES clause, not a pre-binding: the design is compared inside FILTER NOT EXISTS
        held_out = with_values(engine_query("held-out-nodes"), {"design": [f"<{target.design}>"]})
        removed = [target.design, *sorted({row["node"].value for row in store.select(held_out)})]
        for node in removed:
            store.remove_node(node)
        materialize(store, rules)
        ranked = generate(store, kinds=kinds, diverse=diverse)
        wanted = set(target.species) | metals_before
        rank_all, hit = _first_rank(ranked, wanted, keys)
        rank_novel, _ = _first_rank([h for h in ranked if h.novel], wanted, keys)
        results.append({
            "design": local_name(target.design), "species": [local_name(s) for s in target.species],
            "families": target.families, "flagged": target.flagged, "rank": rank_novel, "rankAmongAll": rank_all,
            "hypothesis": hit.id if hit else None, "kind": hit.kind if hit else None,
            "removed": [local_name(n) for n in removed],
            "hypothesisFamilies": sorted(hit.families) if hit else [], "candidates": len(ranked),
            "novelCandidates": sum(1 for h in ranked if h.novel),
        })
        say(f"[{i}/{len(chosen)}] {local_name(target.design)}: rank {rank_novel} among novel, "
            f"{rank_all} among all")
    def recall(key: str, k: int) -> float:
        return sum(1 for r in results if r[key] and r[key] <= k) / len(results) if results else 0.0

    report: dict[str, Any] = {"designs": results, "evaluated": len(results), "kinds": list(kinds),
                              "diverse": diverse}
    for k in ks:
        report[f"recall@{k}"] = recall("rank", k)
        report[f"recallAmongAll@{k}"] = recall("rankAmongAll", k)
    return report


def _first_rank(ranked: list[Any], wanted: set[str], keys: set[str]) -> tuple[int | None, Any]:
    """The first hypothesis proposing a wanted species (IRI in its members) or structure (the InChIKey of a new
    salt or molecule it proposes; a salt screen's base electrolyte is not proposed) with two or more families."""
    for position, hypothesis in enumerate(ranked, start=1):
        proposed = {c.get("inchiKey") for c in hypothesis.components
                    if hypothesis.kind in ("salt", "molecule") and not c.get("base")}
        if (hypothesis.members & wanted or proposed & keys) and len(hypothesis.families) >= 2:
            return position, hypothesis
    return None, None


def _alloy_metals_from_full(store: Any, species: list[str]) -> set[str]:
    # Perception is needed to know a species' elements; run it on the intact graph.
    from lmakg.chemistry.perceive import perceive

    perceive(store)
    return _alloy_metals(store, species)
