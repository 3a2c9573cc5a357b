"""How a researcher would test a hypothesis: the experimental tests of ``kg/curator/experiments.ttl``.

A test is data: the mechanism or family it probes (``lma:testsMechanism``), the procedure, the result that would
support the mechanism and the result that would refute it, and its source (the review's section and references,
and ``lma:externalSource`` for a method the review does not report). A hypothesis gets the tests of every family
and mechanism it claims (a family's test also covers the family's narrower mechanisms, ``lma:broaderMechanism``)
and the yardstick every hypothesis must pass (``lma:appliesToEveryHypothesis``: Li||Cu Coulombic efficiency).

>>> from lmakg.chemistry.materialize import open_knowledge
>>> tests = ExperimentalTests.load(open_knowledge(None))
>>> [t["id"] for t in tests.for_claims({"SpaceChargeWeakening"})]
['test-space-charge-transference', 'test-li-cu-ce']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lmakg.knowledge.queries import run_engine_query
from lmakg.knowledge.store import KnowledgeStore
from lmakg.knowledge.terms import TRUE
from lmakg.knowledge.vocab import local_name


def _section_key(number: str) -> tuple[int, ...]:
    return tuple(int(part) for part in number.split(".") if part.isdigit())


@dataclass
class ExperimentalTest:
    id: str
    label: str
    procedure: str
    supporting: str
    refuting: str
    mechanism: str | None = None  # local name of the tested mechanism or family (None: the yardstick)
    covers: set[str] = field(default_factory=set)  # the tested mechanism and its narrower mechanisms
    every_hypothesis: bool = False
    external: str | None = None
    sections: set[str] = field(default_factory=set)
    references: set[int] = field(default_factory=set)

    @property
    def source(self) -> str:
        """Where the method comes from: the review's sections and references, then any external source."""
        parts = []
        if self.sections:
            refs = f" [{', '.join(str(r) for r in sorted(self.references))}]" if self.references else ""
            parts.append("review §" + ", §".join(sorted(self.sections, key=_section_key)) + refs)
        if self.external:
            parts.append(self.external)
        return "; ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "label": self.label, "mechanism": self.mechanism, "procedure": self.procedure,
            "supportingResult": self.supporting, "refutingResult": self.refuting,
            "appliesToEveryHypothesis": self.every_hypothesis,
            "sections": sorted(self.sections, key=_section_key), "references": sorted(self.references),
            "externalSource": self.external, "source": self.source,
        }


class ExperimentalTests:
    """Every experimental test of the store, read once; ``for_claims`` picks those of one hypothesis."""

    def __init__(self, tests: list[ExperimentalTest]) -> None:
        self.tests = sorted(tests, key=lambda t: t.id)

    @classmethod
    def load(cls, store: KnowledgeStore) -> ExperimentalTests:
        found: dict[str, ExperimentalTest] = {}
        for row in run_engine_query(store, "experimental-tests"):
            iri = row["test"].value
            test = found.setdefault(iri, ExperimentalTest(
                local_name(iri), row["label"].value if "label" in row else local_name(iri),
                row["procedure"].value, row["supporting"].value, row["refuting"].value))
            if "mechanism" in row:
                test.mechanism = local_name(row["mechanism"].value)
                test.covers.add(local_name(row["covered"].value))
            if "everyHypothesis" in row and row["everyHypothesis"].value in TRUE:
                test.every_hypothesis = True
            if "external" in row:
                test.external = row["external"].value
            if "sectionNumber" in row:
                test.sections.add(row["sectionNumber"].value)
            if "referenceNumber" in row:
                test.references.add(int(row["referenceNumber"].value))
        return cls(list(found.values()))

    def for_claims(self, claimed: set[str]) -> list[dict[str, Any]]:
        """The tests of the claimed families and mechanisms (local names), ordered by the mechanism they test
        and their id, then the yardsticks that apply to every hypothesis."""
        specific = sorted((t for t in self.tests if t.covers & claimed), key=lambda t: (t.mechanism or "", t.id))
        yardsticks = [t for t in self.tests if t.every_hypothesis and t not in specific]
        return [t.as_dict() for t in specific + yardsticks]

