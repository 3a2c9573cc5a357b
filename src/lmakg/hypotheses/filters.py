"""Candidate filters (``kg/curator/filters.ttl``): the chemistry every hypothesis's components must pass.

A filter is data: a SMARTS pattern checked with RDKit on a component's SMILES (optionally only for components
in some roles), a pair of patterns that must not meet in one hypothesis (a Lewis acid and a Lewis base), element
symbols, or a use of a species the review reports as a failure (a *veto*: the evidence from the review's designs
of that use is dropped before scoring, so the use cannot lift a hypothesis). Its action is ``exclude`` (the
hypothesis is removed and listed with the filter, `lmakg hypotheses --show-excluded`), ``tradeoff`` (kept, the
filter listed as a trade-off) or ``exclude-on-request`` (a trade-off unless ``--exclude-toxic``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lmakg.chemistry import structures as chem
from lmakg.knowledge.queries import run_engine_query
from lmakg.knowledge.store import KnowledgeStore
from lmakg.knowledge.vocab import local_name


@dataclass
class Filter:
    id: str
    label: str
    reason: str
    action: str
    smarts: list[str] = field(default_factory=list)
    paired: list[str] = field(default_factory=list)
    elements: set[str] = field(default_factory=set)
    roles: set[str] = field(default_factory=set)  # normalised role names (with subclasses); empty = every role
    paired_roles: set[str] = field(default_factory=set)  # roles of a pair's second partner; empty = ``roles``
    vetoes: set[tuple[str, str]] = field(default_factory=set)  # (species IRI, role local name)
    source: str = ""

    def as_tradeoff(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "statement": self.reason, "section": None, "references": [],
                "source": self.source, "how": "candidate filter (kg/curator/filters.ttl)"}


def _norm(role: str | None) -> str:
    return re.sub(r"[^a-z]", "", (role or "").lower())


def load_filters(store: KnowledgeStore) -> list[Filter]:
    subclasses: dict[str, set[str]] = {}
    # the path starts at a role a filter names (Virtuoso 7 refuses a transitive path with both ends free)
    for row in store.select("SELECT DISTINCT ?sub ?super WHERE { ?filter lma:appliesToRole|lma:pairedAppliesToRole "
                            "?super . ?sub rdfs:subClassOf* ?super }"):
        subclasses.setdefault(row["super"].value, set()).add(_norm(local_name(row["sub"].value)))
    found: dict[str, Filter] = {}
    for row in run_engine_query(store, "candidate-filters"):
        iri = row["filter"].value
        f = found.setdefault(iri, Filter(local_name(iri), row["label"].value if "label" in row else local_name(iri),
                                         row["reason"].value if "reason" in row else "", row["action"].value))
        for key, var in (("smarts", "smarts"), ("paired", "paired")):
            if var in row and row[var].value not in getattr(f, key):
                getattr(f, key).append(row[var].value)
        if "element" in row:
            f.elements.add(row["element"].value)
        if "role" in row:
            f.roles |= subclasses.get(row["role"].value, {_norm(local_name(row["role"].value))})
        if "pairedRole" in row:
            f.paired_roles |= subclasses.get(row["pairedRole"].value, {_norm(local_name(row["pairedRole"].value))})
        if "vetoSpecies" in row:
            f.vetoes.add((row["vetoSpecies"].value, local_name(row["vetoRole"].value)))
        if "external" in row:
            f.source = row["external"].value
        elif "sectionNumber" in row:
            refs = f" [{row['referenceNumber'].value}]" if "referenceNumber" in row else ""
            f.source = f"review §{row['sectionNumber'].value}{refs}"
    return sorted(found.values(), key=lambda f: f.id)


def _matches(smiles: str | None, patterns: list[str]) -> bool:
    if not smiles or not patterns:
        return False
    try:
        return bool(chem.matches(smiles, {p: p for p in patterns}))
    except chem.ChemistryError:
        return False


def _applies(f: Filter, component: dict[str, Any]) -> bool:
    return not f.roles or _norm(component.get("role")) in f.roles


def caught(f: Filter, components: list[dict[str, Any]]) -> str | None:
    """Why a filter catches a hypothesis with these components, or None."""
    scoped = [c for c in components if _applies(f, c)]
    if f.paired:
        partners = [c for c in components if _norm(c.get("role")) in f.paired_roles] if f.paired_roles else scoped
        acids = [c for c in scoped if _matches(c.get("smiles"), f.smarts)]
        bases = [c for c in partners if _matches(c.get("smiles"), f.paired)]
        for acid in acids:
            for base in bases:
                if base["id"] != acid["id"]:  # two components of the hypothesis
                    return f"{acid.get('label', acid['id'])} with {base.get('label', base['id'])}"
        return None
    for c in scoped:
        if _matches(c.get("smiles"), f.smarts):
            return str(c.get("label", c["id"]))
        if f.elements and c.get("smiles"):
            try:
                present = f.elements & set(chem.composition(c["smiles"]))
            except chem.ChemistryError:
                present = set()
            if present:
                return f"{c.get('label', c['id'])} ({', '.join(sorted(present))})"
    return None


def vetoed_designs(filters: list[Filter], roles_by_design: dict[str, dict[str, set[str]]]
                   ) -> dict[str, dict[str, Filter]]:
    """species IRI -> {design local name: the veto filter} for the review's designs of a vetoed use.
    ``roles_by_design``: species IRI -> design local name -> the species' roles there."""
    out: dict[str, dict[str, Filter]] = {}
    for f in filters:
        for species, role in f.vetoes:
            for design, roles in roles_by_design.get(species, {}).items():
                if role in roles:
                    out.setdefault(species, {})[design] = f
    return out
