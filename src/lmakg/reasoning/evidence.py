"""Evidence for a mechanism and how much it weighs: the one score model every hypothesis kind shares.

Why in the reasoning layer: the weights are properties of the evidence itself (the review's own attribution
weighs 1.0, a rule firing its ``lma:confidence``), so every layer that judges something — a designed molecule
(:mod:`lmakg.chemistry.design`), a hypothesis (:mod:`lmakg.hypotheses`) — scores it the same way and the
scores are comparable.

The weights, the abstention threshold and the trade-off penalty are data — the curator's choice in
``kg/curator/evidence-weights.ttl``, read into a :class:`ScoreModel` (see its ``skos:definition`` there):

* a piece of evidence weighs ``review`` (the review's own attribution) or the rule's ``lma:confidence``;
* family strength = heaviest piece + ``bonus`` per further independent piece (at most ``max_bonus``);
* a family counts only if its strength reaches ``abstain``: weak support abstains;
* score = pattern confidence x sum of counted family strengths - ``penalty`` per distinct trade-off (at most
  ``max_tradeoffs``) [+ ``assess`` x the assess-score gain of a formulation over its base, in the hypotheses].
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lmakg.knowledge.store import KnowledgeStore


# query variable (reasoning/score-model.rq) -> the model's property
_MODEL_PROPERTIES = {"review": "reviewAttributionWeight", "user": "userClaimWeight",
                     "defaultConfidence": "defaultRuleConfidence", "abstain": "abstainBelow",
                     "bonus": "bonusPerFurtherEvidence", "maxBonus": "maxEvidenceBonus", "penalty": "tradeoffPenalty",
                     "maxTradeoffs": "maxTradeoffsCounted", "assess": "assessWeight"}


class ScoreModelError(ValueError):
    """The knowledge graph's evidence score model is missing or incomplete."""


@dataclass(frozen=True)
class ScoreModel:
    review: float
    user: float
    default_confidence: float
    abstain: float
    bonus: float
    max_bonus: float
    penalty: float
    max_tradeoffs: int
    assess: float

    @classmethod
    def from_store(cls, store: KnowledgeStore) -> ScoreModel:
        """The one ``lma:EvidenceScoreModel`` of the store (``kg/curator/evidence-weights.ttl``)."""
        from lmakg.knowledge.queries import run_engine_query

        rows = run_engine_query(store, "score-model")
        if len(rows) != 1:
            raise ScoreModelError(f"the knowledge graph has {len(rows)} lma:EvidenceScoreModel individuals; exactly "
                                  "one is needed (kg/curator/evidence-weights.ttl)")
        row = rows[0]
        missing = [prop for var, prop in _MODEL_PROPERTIES.items() if var not in row]
        if missing:
            raise ScoreModelError(f"the evidence score model {row['model'].value} lacks lma:{', lma:'.join(missing)} "
                                  "(kg/curator/evidence-weights.ttl)")
        try:
            return cls(review=float(row["review"].value), user=float(row["user"].value),
                       default_confidence=float(row["defaultConfidence"].value), abstain=float(row["abstain"].value),
                       bonus=float(row["bonus"].value), max_bonus=float(row["maxBonus"].value),
                       penalty=float(row["penalty"].value), max_tradeoffs=int(row["maxTradeoffs"].value),
                       assess=float(row["assess"].value))
        except ValueError as err:
            raise ScoreModelError(f"the evidence score model {row['model'].value} has a value that is not a number: "
                                  f"{err} (kg/curator/evidence-weights.ttl)") from None


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
                 excluded_mechanisms: set[str], model: ScoreModel) -> dict[str, dict[str, Any]]:
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
        strength = ordered[0].weight + min(model.bonus * (len(ordered) - 1), model.max_bonus)
        designs = sorted({d for e in ordered for d in e.designs})
        refs = sorted({r for e in ordered for r in e.references})
        table[fam] = {
            "mechanisms": sorted({e.mechanism for e in ordered}),
            "strength": round(strength, 3),
            "counted": strength >= model.abstain - 1e-9,
            "evidenceCount": len(ordered),
            "supportingDesigns": designs,
            "references": refs,
            "reportedByReview": any(e.kind == "review" for e in ordered),
            "evidence": ordered,
        }
    return table


def score(families: dict[str, dict[str, Any]], tradeoffs: list[dict[str, Any]], model: ScoreModel,
          factor: float = 1.0) -> float:
    total = sum(f["strength"] for f in families.values() if f["counted"])
    return factor * total - tradeoff_penalty(len(tradeoffs), model)


def tradeoff_penalty(count: int, model: ScoreModel) -> float:
    """What ``count`` distinct trade-offs cost."""
    return model.penalty * min(count, model.max_tradeoffs)


def prediction_evidence(mechanisms: list[dict[str, Any]], rules: dict[str, dict[str, Any]],
                        model: ScoreModel) -> list[Evidence]:
    """Evidence from the mechanisms a prediction reports (``lmakg predict``'s ``mechanisms``: id, of, rules,
    supportingDesigns) for one candidate. ``rules``: rule id -> metadata (confidence, label, principle,
    principleLabel, section); a mechanism no known rule concluded weighs the model's default confidence. The
    candidate's parts (a salt and its ions) are one candidate: a rule counts once per mechanism
    (:meth:`Evidence.key`)."""
    evidence = []
    for m in mechanisms:
        designs = [d["design"] for d in m.get("supportingDesigns", [])]
        refs = sorted({r for d in m.get("supportingDesigns", []) for r in d.get("references", [])})
        for rule in m["rules"] or [None]:
            meta = rules.get(rule or "", {"confidence": model.default_confidence, "label": rule})
            evidence.append(Evidence("rule", m["id"], meta["confidence"], rule=rule, rule_label=meta.get("label"),
                                     principle=meta.get("principle"), principle_label=meta.get("principleLabel"),
                                     section=meta.get("section"), designs=designs, references=refs))
    return evidence


def score_evidence(family_of: dict[str, str], evidence: list[Evidence], tradeoffs: list[dict[str, Any]],
                   model: ScoreModel, excluded: set[str] | None = None) -> tuple[dict[str, dict[str, Any]], float]:
    """The family table and score of this module (see the module docstring) for evidence gathered
    elsewhere, e.g. the rules' predictions for a designed molecule (:mod:`lmakg.chemistry.design`): the same weights,
    abstention threshold and trade-off penalty, so scores of all kinds are comparable.
    ``family_of`` maps a mechanism's local name to its family's."""
    families = family_table(family_of.get, evidence, excluded or set(), model)
    return families, score(families, tradeoffs, model)


def rule_metadata(store: KnowledgeStore, model: ScoreModel,
                  key: Callable[[str], str] = str) -> dict[str, dict[str, Any]]:
    """Every rule's label, confidence (the model's default when the rule states none), principle and section,
    keyed by ``key(rule IRI)``."""
    from lmakg.knowledge.queries import run_engine_query
    from lmakg.knowledge.vocab import local_name

    return {key(row["rule"].value): {
        "label": row["label"].value if "label" in row else local_name(row["rule"].value),
        "confidence": float(row["confidence"].value) if "confidence" in row else model.default_confidence,
        "principle": local_name(row["principle"].value) if "principle" in row else None,
        "principleLabel": row["principleLabel"].value if "principleLabel" in row else None,
        "section": row["sectionNumber"].value if "sectionNumber" in row else None,
    } for row in run_engine_query(store, "rule-metadata")}
