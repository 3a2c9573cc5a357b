"""What the assessment knows about each component species: names, structure, class, typical role and the
values it reads (density, dielectric constant, donor number, viscosity, LUMO/HOMO), each with its source.

Everything comes from the graph (``kg/components-*.ttl`` and the review's own quantities); molar masses are
computed from the SMILES with RDKit. A value the graph does not hold is ``None``, and the assessment says what it
could not judge because of it: nothing here is guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lmakg.chemistry import structures as chem
from lmakg.knowledge.queries import run_engine_query
from lmakg.knowledge.store import KnowledgeStore
from lmakg.knowledge.vocab import LMA_IRI, local_name

#: The units each value is read in; a value stated in another unit is not used (and not converted silently).
READ_UNITS = {"Density": "GM-PER-CentiM3", "RelativePermittivity": "UNITLESS", "DonorNumber": "KiloCAL-PER-MOL",
              "DynamicViscosity": "MilliPA-SEC", "LUMOEnergy": "EV", "HOMOEnergy": "EV"}
UNIT_ALIASES = {"CentiPOISE": "MilliPA-SEC"}  # 1 cP = 1 mPa s exactly


@dataclass(frozen=True)
class Value:
    """One stated value: a number (or the middle of a stated range) and where it comes from."""

    value: float
    source: str  # an external source as written in kg/, or "review §S [R]"
    quantity: str  # the quantity node's IRI (for provenance)
    is_range: bool = False


@dataclass
class Species:
    iri: str
    label: str
    smiles: str
    classes: set[str] = field(default_factory=set)  # local names, e.g. "HydrofluoroetherClass"
    roles: set[str] = field(default_factory=set)  # typical roles, e.g. "Diluent"
    values: dict[str, list[Value]] = field(default_factory=dict)  # kind -> values (several sources possible)

    @property
    def id(self) -> str:
        return local_name(self.iri)

    @property
    def molar_mass(self) -> float:
        return chem.molar_mass(self.smiles)

    def first(self, kind: str) -> Value | None:
        """The first stated value of a kind (values from several sources: the review's first, then by source)."""
        found = self.values.get(kind) or []
        return found[0] if found else None

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "iri": self.iri, "label": self.label, "smiles": self.smiles,
                "molarMass": round(self.molar_mass, 3), "classes": sorted(self.classes),
                "typicalRoles": sorted(self.roles)}


def _source(row: dict[str, Any]) -> str:
    if "section" in row or "reference" in row:
        refs = f" [{row['reference'].value}]" if "reference" in row else ""
        return f"review §{row['section'].value}{refs}" if "section" in row else f"review{refs}"
    return row["source"].value if "source" in row else "source not stated"


def load_species(store: KnowledgeStore) -> dict[str, Species]:
    """Every species with a structure, by IRI."""
    found: dict[str, Species] = {}
    for row in run_engine_query(store, "component-data"):
        iri = row["species"].value
        sp = found.get(iri)
        if sp is None:
            label = row["label"].value if "label" in row else local_name(iri)
            sp = found[iri] = Species(iri, label, row["smiles"].value)
        if "class" in row:
            sp.classes.add(local_name(row["class"].value))
        if "role" in row:
            sp.roles.add(local_name(row["role"].value))
        if "kind" not in row or not row["kind"].value.startswith(LMA_IRI):
            continue
        kind = local_name(row["kind"].value)
        unit = local_name(row["unit"].value)
        if UNIT_ALIASES.get(unit, unit) != READ_UNITS.get(kind):
            continue
        if "value" in row:
            number, is_range = float(row["value"].value), False
        elif "lower" in row and "upper" in row:
            number, is_range = (float(row["lower"].value) + float(row["upper"].value)) / 2, True
        else:
            continue  # a one-sided bound ("more than 102") is not a value to compute with
        value = Value(number, _source(row), row["q"].value, is_range)
        values = sp.values.setdefault(kind, [])
        if value not in values:
            values.append(value)
    for sp in found.values():
        for values in sp.values.values():
            values.sort(key=lambda v: (not v.source.startswith("review"), v.is_range, v.source, v.quantity))
    return found
