"""The rules, run on one formulation as a design of its own: mechanisms and SEI products of its components
*in this formulation*, never borrowed from another design (the test is :func:`lmakg.reasoning.context.holding`).
The formulation is added to the reasoned graph in a scratch graph, the rules run incrementally, and the
additions are undone afterwards."""

from __future__ import annotations

import itertools
from collections import defaultdict
from typing import Any

from lmakg.knowledge.vocab import LMA_IRI, PREFIXES, local_name
from lmakg.reasoning.context import all_designs, holding, prefetch

SCRATCH_GRAPH = "https://w3id.org/lmakg/graph/assessment"
FORMULATION_NS = "https://w3id.org/lmakg/kg/assessed/"
# what a formulation's reading reports of its components' conclusions (those holding in the formulation)
WANTED = {LMA_IRI + "predictedMechanism": "mechanisms", LMA_IRI + "predictedProduct": "products",
          LMA_IRI + "hasConflict": "conflicts"}
ROLE_CLASS = {"salt": "LithiumSalt", "solvent": "Solvent", "diluent": "Diluent", "additive": "Additive"}
_serial = itertools.count(1)


def design_turtle(iri: str, label: str, parts: list[dict[str, Any]]) -> str:
    """A formulation as a design: each part typed by its role, salts with their concentration in mol/L."""
    lines = [f"@prefix {k}: <{PREFIXES[k]}> ." for k in ("lma", "rdfs", "qudt", "unit")]
    lines.append(f'<{iri}> a lma:Design ; rdfs:label "{label.replace(chr(34), chr(39)).replace(chr(92), "/")}" .')
    for n, part in enumerate(parts):
        node = f"<{iri}-c{n}>"
        lines.append(f"<{iri}> lma:hasComponent {node} .")
        lines.append(f"{node} a lma:{ROLE_CLASS[part['role']]} ; lma:species <{part['iri']}> .")
        if part.get("molarity") is not None:
            lines.append(f"{node} lma:hasQuantity [ a lma:QuantityValue ; lma:quantityKind lma:Concentration ; "
                         f"qudt:numericValue {float(part['molarity'])!r} ; qudt:unit unit:MOL-PER-L ] .")
    return "\n".join(lines)


class ContextReasoner:
    """Runs the rules for one formulation at a time over a prepared (reasoned, in-memory) store."""

    def __init__(self, predictor: Any) -> None:
        self.store, self.rules, self.fired = predictor.store, predictor.rules, predictor.fired
        self.designs = all_designs(self.store)

    def conclusions(self, parts: list[dict[str, Any]], label: str) -> dict[int, dict[str, dict[str, list[str]]]]:
        """For each part (by position): ``{"mechanisms": {mechanism: [rules]}, "products": {...},
        "conflicts": {...}}``, counting only conclusions that hold in this formulation."""
        return self.conclusions_many([(parts, label)])[0]

    def conclusions_many(self, items: list[tuple[list[dict[str, Any]], str]]
                         ) -> list[dict[int, dict[str, dict[str, list[str]]]]]:
        """:meth:`conclusions` for several formulations at once: all are added as designs of their own, the rules
        run once, and each formulation's conclusions are read with every other design (the review's and the other
        formulations') counted as *another* design. The rule solutions remembered for the prepared graph are
        restored afterwards, so a run never depends on the formulations judged before."""
        from lmakg.reasoning.engine import infer

        iris = [f"{FORMULATION_NS}f{next(_serial)}" for _ in items]
        saved = {rule: set(found) for rule, found in self.fired.items()}
        try:
            with self.store.scratch(SCRATCH_GRAPH):
                pairs = zip(iris, items, strict=True)
                text = "\n".join(design_turtle(iri, label, parts) for iri, (parts, label) in pairs)
                self.store.load_turtle(text, graph=SCRATCH_GRAPH)
                infer(self.store, self.rules, incremental=True, fired=self.fired)
                designs = self.designs | set(iris)
                cache: dict[str, list[Any]] = {}  # derivation rows by subject, shared by the chunk
                prefetch(self.store, [*iris, *(x for parts, _l in items for part in parts
                                                for x in (part["iri"], *part.get("ions", ())))], cache, WANTED)
                return [self._read(iri, parts, designs, cache)
                        for iri, (parts, _label) in zip(iris, items, strict=True)]
        finally:
            self.fired.clear()
            self.fired.update(saved)

    def _read(self, design: str, parts: list[dict[str, Any]], designs: set[str],
              cache: dict[str, list[Any]] | None = None) -> dict[int, dict[str, dict[str, list[str]]]]:
        subjects: dict[str, set[int]] = defaultdict(set)
        for n, part in enumerate(parts):
            subjects[part["iri"]].add(n)
            for ion in part.get("ions", ()):
                subjects[ion].add(n)
        out: dict[int, dict[str, dict[str, list[str]]]] = {n: {"mechanisms": {}, "products": {}, "conflicts": {}}
                                                          for n in range(len(parts))}
        for (s, p, o), rules in holding(self.store, design, subjects, designs, WANTED, cache).items():
            key = WANTED[p]
            for n in subjects[s]:
                known = out[n][key].setdefault(local_name(o), [])
                out[n][key][local_name(o)] = sorted(set(known) | set(rules))
        return out
