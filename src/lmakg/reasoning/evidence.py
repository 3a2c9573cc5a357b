"""Evidence for a mechanism and how much it weighs: the one score model every hypothesis kind shares.

Why in the reasoning layer: the weights are properties of the evidence itself (the review's own attribution
weighs 1.0, a rule firing its ``lma:confidence``), so every layer that judges something — a designed molecule
(:mod:`lmakg.chemistry.design`), a hypothesis (:mod:`lmakg.hypotheses`) — scores it the same way and the
scores are comparable.

* family strength = highest weight + 0.1 per further independent piece of evidence (at most +0.3);
* a family counts only if its strength is at least ``ABSTAIN_BELOW`` (0.6): weak support abstains;
* score = pattern confidence x sum of counted family strengths - 0.15 per distinct trade-off (at most three).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ABSTAIN_BELOW = 0.6
# A design from a user's addition (`lmakg add`) is the user's claim, not the review's, and is shown as
# "user: NAME". It weighs 0.5, below the abstention threshold: on its own it does not establish a mechanism
# family (an unreviewed claim), but it corroborates a family the review or the rules support (+0.1).
USER_EVIDENCE_WEIGHT = 0.5
BONUS_PER_EVIDENCE = 0.1
MAX_BONUS = 0.3
CONFLICT_PENALTY = 0.15
MAX_CONFLICTS = 3


@dataclass
class Evidence:
    kind: str  # "review" or "rule"
    mechanism: str
    weight: float
    rule: str | None = None
    rule_label: str | None = None
    principle: str | None = None
    principle_label: str | None = None
    section: str | None = None
    designs: list[str] = field(default_factory=list)
    references: list[int] = field(default_factory=list)
    derivation: str | None = None
    via: str | None = None  # the part of a combination that carries it

    def key(self) -> tuple[str, ...]:
        """What makes two pieces of evidence the same: a rule counts once per mechanism and part, however many
        designs its firings rest on (their designs are merged); the review counts once per design."""
        if self.kind == "rule":
            return (self.kind, self.rule or "", self.via or "", self.mechanism)
        return (self.kind, self.rule or "", ",".join(self.designs), self.via or "", self.mechanism)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "mechanism": self.mechanism, "weight": self.weight}
        for key in ("rule", "rule_label", "principle", "principle_label", "section", "derivation", "via"):
            value = getattr(self, key)
            if value:
                out[key.replace("_label", "Label")] = value
        if self.designs:
            out["designs"] = self.designs
        if self.references:
            out["references"] = self.references
        return out


def family_table(family: Callable[[str], str | None], evidence: list[Evidence],
                 excluded_mechanisms: set[str]) -> dict[str, dict[str, Any]]:
    by_family: dict[str, list[Evidence]] = defaultdict(list)
    for item in evidence:
        if item.mechanism in excluded_mechanisms:
            continue
        fam = family(item.mechanism)
        if fam:
            by_family[fam].append(item)
    table = {}
    for fam, items in by_family.items():
        unique: dict[tuple[str, ...], Evidence] = {}
        for item in items:  # one rule firing pattern counts once: merge the designs and references it rests on
            seen = unique.get(item.key())
            if seen is None:
                unique[item.key()] = item
            elif item.kind == "rule":
                unique[item.key()] = Evidence(**{**seen.__dict__, "weight": max(seen.weight, item.weight),
                                                 "designs": sorted(set(seen.designs) | set(item.designs)),
                                                 "references": sorted(set(seen.references) | set(item.references))})
        ordered = sorted(unique.values(), key=lambda e: (-e.weight, e.kind, e.rule or "", e.designs))
        strength = ordered[0].weight + min(BONUS_PER_EVIDENCE * (len(ordered) - 1), MAX_BONUS)
        designs = sorted({d for e in ordered for d in e.designs})
        refs = sorted({r for e in ordered for r in e.references})
        table[fam] = {
            "mechanisms": sorted({e.mechanism for e in ordered}),
            "strength": round(strength, 3),
            "counted": strength >= ABSTAIN_BELOW - 1e-9,
            "evidenceCount": len(ordered),
            "supportingDesigns": designs,
            "references": refs,
            "reportedByReview": any(e.kind == "review" for e in ordered),
            "evidence": ordered,
        }
    return table


def score(families: dict[str, dict[str, Any]], tradeoffs: list[dict[str, Any]], factor: float = 1.0) -> float:
    total = sum(f["strength"] for f in families.values() if f["counted"])
    return factor * total - CONFLICT_PENALTY * min(len(tradeoffs), MAX_CONFLICTS)


def prediction_evidence(mechanisms: list[dict[str, Any]], rules: dict[str, dict[str, Any]]) -> list[Evidence]:
    """Evidence from the mechanisms a prediction reports (``lmakg predict``'s ``mechanisms``: id, of, rules,
    supportingDesigns) for one candidate. ``rules``: rule id -> metadata (confidence, label, principle,
    principleLabel, section); a mechanism no known rule concluded weighs 0.5. The candidate's parts (a salt and
    its ions) are one candidate: a rule counts once per mechanism (:meth:`Evidence.key`)."""
    evidence = []
    for m in mechanisms:
        designs = [d["design"] for d in m.get("supportingDesigns", [])]
        refs = sorted({r for d in m.get("supportingDesigns", []) for r in d.get("references", [])})
        for rule in m["rules"] or [None]:
            meta = rules.get(rule or "", {"confidence": 0.5, "label": rule})
            evidence.append(Evidence("rule", m["id"], meta["confidence"], rule=rule, rule_label=meta.get("label"),
                                     principle=meta.get("principle"), principle_label=meta.get("principleLabel"),
                                     section=meta.get("section"), designs=designs, references=refs))
    return evidence


def score_evidence(family_of: dict[str, str], evidence: list[Evidence], tradeoffs: list[dict[str, Any]],
                   excluded: set[str] | None = None) -> tuple[dict[str, dict[str, Any]], float]:
    """The family table and score of this module (see the module docstring) for evidence gathered
    elsewhere, e.g. the rules' predictions for a designed molecule (:mod:`lmakg.chemistry.design`): the same weights,
    abstention threshold and trade-off penalty, so scores of all kinds are comparable.
    ``family_of`` maps a mechanism's local name to its family's."""
    families = family_table(family_of.get, evidence, excluded or set())
    return families, score(families, tradeoffs)
