"""A hypothesis: a proposed multifunctional design with its families of evidence, trade-offs and score."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Hypothesis:
    id: str
    kind: str
    label: str
    components: list[dict[str, Any]]
    families: dict[str, dict[str, Any]]
    tradeoffs: list[dict[str, Any]]
    excluded: list[dict[str, str]]
    novel: bool
    score: float
    pattern: str | None = None
    members: set[str] = field(default_factory=set)
    moves: list[dict[str, Any]] | None = None  # molecule kind: the design-move chain that made it
    filters_passed: list[str] = field(default_factory=list)  # candidate filters checked (kg/curator/filters.ttl)
    novelty: str = ""  # what is new about it (hypotheses/precedents.py)
    precedents: dict[str, Any] = field(default_factory=dict)  # nearest precedent by structure and by mechanism
    assessment: dict[str, Any] | None = None  # formulation kind: the lmakg assess verdict (score, regime, breakdown)
    tests: list[dict[str, Any]] = field(default_factory=list)  # experimental tests (kg/curator/experiments.ttl)
    factor: float = 1.0  # combination kind: the pattern rule's confidence, multiplying the family strengths
    assess_gain: float | None = None  # assess score of its formulation minus its base's (None: not judged)
    breakdown: dict[str, Any] = field(default_factory=dict)  # how the score adds up (hypotheses.generate.rescore)

    @property
    def mechanisms(self) -> list[str]:
        return sorted({m for f in self.families.values() for m in f["mechanisms"]})

    def per_mechanism(self) -> list[dict[str, Any]]:
        """The explanation regrouped by mechanism: rules, principles, sections, designs, references."""
        out = []
        for fam, info in sorted(self.families.items()):
            for mechanism in info["mechanisms"]:
                items = [e for e in info["evidence"] if e.mechanism == mechanism]
                out.append({
                    "mechanism": mechanism, "family": fam,
                    "rules": sorted({e.rule for e in items if e.rule}),
                    "principles": sorted({e.principle for e in items if e.principle}),
                    "sections": sorted({e.section for e in items if e.section}),
                    "supportingDesigns": sorted({d for e in items for d in e.designs}),
                    "references": sorted({r for e in items for r in e.references}),
                    "reportedByReview": any(e.kind == "review" for e in items),
                    "evidenceCount": len(items),
                })
        return out

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id, "kind": self.kind, "label": self.label, "score": round(self.score, 3),
            "novel": self.novel, "components": self.components, "mechanisms": self.mechanisms,
            "families": sorted(self.families),
            "explanations": [
                {"family": fam, **{k: v for k, v in info.items() if k != "evidence"},
                 "evidence": [e.as_dict() for e in info["evidence"]]}
                for fam, info in sorted(self.families.items())
            ],
            "perMechanism": self.per_mechanism(),
            "tradeoffs": self.tradeoffs, "excluded": self.excluded, "filtersPassed": self.filters_passed,
            "novelty": self.novelty, "nearestPrecedent": self.precedents, "tests": self.tests,
            "scoreBreakdown": self.breakdown,
        }
        if self.assessment is not None:
            out["assessment"] = self.assessment
        if self.pattern:
            out["pattern"] = self.pattern
        if self.moves is not None:
            out["moves"] = self.moves
        return out
