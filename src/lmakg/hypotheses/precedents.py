"""Novelty against the literature, and every hypothesis's nearest precedent (issue: hypotheses, section 4).

*Published* means: used in one of the review's designs, or listed in the component data (``kg/components-*.ttl``,
178 electrolyte components each with published sources). A hypothesis is ``novel`` when what it proposes is not
published: a designed molecule whose structure (InChIKey) no published species has; a combination whose parts no
review design already combines; a single published species never counts as novel (its extra mechanism family is a
*new use*, said in ``novelty``, not a new material).

Nearest precedent, with its source:
* by structure: for each component with a structure, the most similar species the review uses in a design
  (Morgan fingerprints, radius 2, 2048 bits, Tanimoto similarity; itself when the review uses it);
* by mechanism: the review design whose mechanism families overlap most with the hypothesis's (Jaccard index).
"""

from __future__ import annotations

from typing import Any

from lmakg.chemistry import structures as chem
from lmakg.hypotheses.model import Hypothesis
from lmakg.knowledge.queries import run_engine_query
from lmakg.knowledge.store import KnowledgeStore
from lmakg.knowledge.vocab import local_name


class Precedents:
    def __init__(self, store: KnowledgeStore, family_of: dict[str, str]) -> None:
        self.published_keys: set[str] = set()
        self.published: set[str] = set()
        self.used: dict[str, dict[str, Any]] = {}  # species used in review designs -> label, smiles, designs
        for row in run_engine_query(store, "published-species"):
            iri = row["species"].value
            if "inchiKey" in row:
                key = row["inchiKey"].value
            else:
                try:
                    key = chem.inchikey(row["smiles"].value)
                except chem.ChemistryError:
                    key = ""
            if "design" in row or "listed" in row:
                self.published.add(iri)
                if key:
                    self.published_keys.add(key)
            if "design" in row:
                entry = self.used.setdefault(iri, {"label": row["label"].value if "label" in row else local_name(iri),
                                                   "smiles": row["smiles"].value, "designs": {}})
                entry["designs"][local_name(row["design"].value)] = (row["sectionNumber"].value
                                                                     if "sectionNumber" in row else None)
        self.design_species: dict[str, set[str]] = {}
        for iri, entry in self.used.items():
            for design in entry["designs"]:
                self.design_species.setdefault(design, set()).add(local_name(iri))
        self.fingerprints: dict[str, Any] = {}
        for iri, entry in self.used.items():
            try:
                self.fingerprints[iri] = chem.fingerprint(entry["smiles"])
            except chem.ChemistryError:
                continue
        self.designs: dict[str, dict[str, Any]] = {}
        for row in run_engine_query(store, "design-mechanisms"):
            d = self.designs.setdefault(local_name(row["design"].value), {
                "label": row["label"].value if "label" in row else "", "families": set(), "section": None,
                "references": set()})
            mechanism = local_name(row["mechanism"].value)
            d["families"].add(family_of.get(mechanism, mechanism))
            if "sectionNumber" in row:
                d["section"] = row["sectionNumber"].value
            if "referenceNumber" in row:
                d["references"].add(int(row["referenceNumber"].value))

    def by_structure(self, smiles: str) -> dict[str, Any] | None:
        try:
            mine = chem.fingerprint(smiles)
        except chem.ChemistryError:
            return None
        best = max(((chem.tanimoto(mine, fp), iri) for iri, fp in self.fingerprints.items()), default=None)
        if best is None:
            return None
        similarity, iri = best
        entry = self.used[iri]
        design, section = sorted(entry["designs"].items())[0]
        return {"species": local_name(iri), "label": entry["label"], "similarity": round(similarity, 3),
                "design": design, "section": section, "method": "Morgan radius 2, 2048 bits, Tanimoto (RDKit)"}

    def by_mechanism(self, families: set[str], components: set[str]) -> dict[str, Any] | None:
        """The review design with the most similar family set; among equals, one that uses a component of the
        hypothesis, then the larger overlap, then the design's name."""
        scored = []
        for design, d in self.designs.items():
            if d["families"] & families:
                jaccard = len(d["families"] & families) / len(d["families"] | families)
                shares = bool(self.design_species.get(design, set()) & components)
                scored.append((-jaccard, not shares, -len(d["families"] & families), design))
        if not scored:
            return None
        jaccard, _shares, _overlap, design = min(scored)
        d = self.designs[design]
        return {"design": design, "label": d["label"], "families": sorted(d["families"]),
                "jaccard": round(-jaccard, 3), "section": d["section"], "references": sorted(d["references"])}

    def annotate(self, h: Hypothesis) -> None:
        """Set ``novel``, ``novelty`` and ``precedents`` of a hypothesis."""
        proposed = [c for c in h.components if not c.get("base")]  # a salt screen's base electrolyte is not proposed
        structural = []
        for c in proposed:
            if c.get("smiles"):
                found = self.by_structure(c["smiles"])
                if found:
                    structural.append({"component": c["id"], **found})
        h.precedents = {"structure": structural,
                        "mechanism": self.by_mechanism(set(h.families), {c["id"] for c in h.components})}
        keys = {c.get("inchiKey") or _key(c.get("smiles")) for c in proposed}
        if h.kind == "component":
            h.novel = False
            reported = [f for f, info in h.families.items() if info.get("reportedByReview")]
            h.novelty = ("published species; families the review does not report for it: "
                         + ", ".join(sorted(set(h.families) - set(reported)))) if len(reported) < len(h.families) \
                else "published species and uses"
        elif h.kind in ("molecule", "salt"):
            h.novel = not (keys & self.published_keys)
            h.novelty = "new structure" if h.novel else "structure already published (component data)"
        elif h.kind == "formulation":
            parts = {c["id"] for c in h.components}
            same = sorted(d for d, species in self.design_species.items() if species == parts)
            h.novel = not same
            h.novelty = "new formulation" if h.novel else f"the review's design {same[0]} has these components"
        else:
            h.novelty = "new combination" if h.novel else "combination already in a review design"


def _key(smiles: str | None) -> str:
    if not smiles:
        return ""
    try:
        return chem.inchikey(smiles)
    except chem.ChemistryError:
        return ""

