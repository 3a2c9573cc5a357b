"""The assessment's criteria, read from ``queries/assessment/*.rq``: diluent requirements, regimes, score terms
and trade-offs, each a SPARQL query with a header of ``# key: value`` lines (queries/assessment/README.md).
No threshold, weight or chemistry lives here: this module reads the files and runs them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from lmakg.knowledge import resources
from lmakg.knowledge.queries import with_values
from lmakg.knowledge.store import KnowledgeStore, StoreError

KINDS = ("requirement", "regime", "score", "tradeoff")
HEADER = re.compile(r"^#\s*([a-z]+):\s*(.*?)\s*$")
EXTRA = ("necessary", "mechanism")  # requirement: must be met; regime: the mechanism its salts act through


class CriterionError(ValueError):
    """A criterion file is malformed (names the file and the line)."""


@dataclass(frozen=True)
class Criterion:
    id: str  # the file name without .rq
    kind: str
    label: str
    query: str
    path: Path
    weight: float = 0.0
    cap: int = 1
    order: int = 50
    regime: str | None = None
    requirement: str | None = None
    principle: str | None = None
    section: str | None = None
    references: tuple[int, ...] = ()
    basis: str = "review"
    note: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    def source(self) -> dict[str, Any]:
        out: dict[str, Any] = {"criterion": self.id, "basis": self.basis,
                               "file": f"queries/assessment/{self.path.name}"}
        if self.section:
            out["section"] = self.section
        if self.references:
            out["references"] = list(self.references)
        if self.principle:
            out["principle"] = self.principle
        return out


def parse_criterion(path: Path) -> Criterion:
    text = path.read_text(encoding="utf-8")
    fields: dict[str, str] = {}
    note: list[str] = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        match = HEADER.match(line)
        if match and match.group(1) in {"kind", "label", "weight", "cap", "order", "regime", "requirement",
                                        "principle", "section", "references", "basis", *EXTRA}:
            fields[match.group(1)] = match.group(2)
        else:
            note.append(line.lstrip("# ").rstrip())
    where = f"{path.name}"
    if fields.get("kind") not in KINDS:
        raise CriterionError(f"{where}:1: `# kind:` must be one of {', '.join(KINDS)}")
    if "label" not in fields:
        raise CriterionError(f"{where}:1: missing `# label:`")
    try:
        weight = float(fields.get("weight", "0"))
        cap, order = int(fields.get("cap", "1")), int(fields.get("order", "50"))
        refs = tuple(int(r) for r in re.split(r"[,\s]+", fields.get("references", "")) if r)
    except ValueError as exc:
        raise CriterionError(f"{where}: a number in the header cannot be read: {exc}") from None
    if fields["kind"] in ("score", "tradeoff") and "weight" not in fields:
        raise CriterionError(f"{where}:1: a {fields['kind']} needs `# weight:`")
    return Criterion(path.stem, fields["kind"], fields["label"], text, path, weight, cap, order,
                     fields.get("regime"), fields.get("requirement"), fields.get("principle"), fields.get("section"),
                     refs, fields.get("basis", "review"), " ".join(note).strip(),
                     {k: fields[k] for k in EXTRA if k in fields})


@lru_cache(maxsize=4)
def _load(folder: str) -> tuple[Criterion, ...]:
    return tuple(parse_criterion(p) for p in sorted(Path(folder).glob("*.rq")))


def criteria(kind: str) -> list[Criterion]:
    """The criteria of one kind; regimes in their order."""
    found = [c for c in _load(str(resources.folder("queries") / "assessment")) if c.kind == kind]
    return sorted(found, key=lambda c: (c.order, c.id)) if kind == "regime" else found


def run(store: KnowledgeStore, criterion: Criterion, formulation: str) -> list[dict[str, Any]]:
    """The criterion's rows for one formulation, as plain values: ``?f`` is bound by a ``VALUES`` clause put at
    the start of the query's outer ``WHERE`` group."""
    try:
        query = with_values(criterion.query, {"f": [f"<{formulation}>"]})
    except ValueError:
        raise CriterionError(f"queries/assessment/{criterion.path.name}: no WHERE clause") from None
    try:
        rows = store.select(query)
    except StoreError as exc:
        raise CriterionError(f"queries/assessment/{criterion.path.name}: {exc}") from None
    return [{k: v.value for k, v in row.items()} for row in rows]
