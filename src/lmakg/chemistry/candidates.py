"""Candidates for ``lmakg predict``: reading the user's input and placing it in the graph as a design.

A candidate is a SMILES in a role (additive, solvent, salt ...), at a concentration, in an optional base
electrolyte. :func:`candidate_turtle` writes it as a temporary species (salts as dot-separated ions, each ion
its own species) in a temporary design, so the same rules that explain the review's designs judge it.
Bad input raises :class:`PredictionInputError` naming the value at fault.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lmakg.chemistry import structures as chem
from lmakg.knowledge.vocab import GRAPH_IRI, LMK_IRI

USER_NS = LMK_IRI + "user/"
CANDIDATE_GRAPH = GRAPH_IRI + "candidates"  # the scratch graph candidates are judged in (never persisted)
ROLES = {
    "additive": "Additive", "solvent": "Solvent", "cosolvent": "CoSolvent", "salt": "LithiumSalt",
    "diluent": "Diluent", "coating": "Coating", "separator": "SeparatorModifier",
    "collector": "CurrentCollectorModifier", "interphase": "ArtificialInterphase",
    "weakly-solvating-solvent": "WeaklySolvatingSolvent", "non-solvating-cosolvent": "NonSolvatingCoSolvent",
}
PLACEMENT = {"Coating": "AnodeSurface", "ArtificialInterphase": "AnodeSurface",
             "SeparatorModifier": "SeparatorPlacement", "CurrentCollectorModifier": "CurrentCollectorPlacement"}
MAX_CONCENTRATION = 20.0  # mol/L: no Li-battery electrolyte component exceeds this
PROPERTY_UNITS = {
    "lumo": ("LUMOEnergy", {"ev": "EV"}), "homo": ("HOMOEnergy", {"ev": "EV"}),
    "binding-energy": ("BindingEnergy", {"kj/mol": "KiloJ-PER-MOL"}),
    "modulus": ("YoungsModulus", {"gpa": "GigaPA"}),
    "standard-potential": ("StandardReductionPotential", {"v": "V"}),
    "thermal-conductivity": ("ThermalConductivity", {"w/mk": "W-PER-M-K", "w/(m*k)": "W-PER-M-K"}),
}
NOT_ASSESSED = {
    "LUMOEnergy": "no LUMO known: preferential reduction (LUMO ordering, section 4.1) not assessed",
    "HOMOEnergy": "no HOMO known: oxidation stability (HOMO ordering, section 4.1) not assessed",
    "BindingEnergy": "no Li+-solvent binding energy known: binding-energy ordering (section 3) not assessed",
    "YoungsModulus": "no modulus known: Monroe-Newman criterion (section 6.2) not assessed",
    "ThermalConductivity": "no thermal conductivity known: hot-spot elimination (section 2.2) not assessed",
}


# (reasoned store, each placed candidate's nodes, all new nodes of the batch) -> one annotation per candidate
Annotator = Callable[[Any, list[set[str]], set[str]], list[Any]]


class PredictionInputError(ValueError):
    """Bad input: the message names the value at fault."""


@dataclass
class Candidate:
    smiles: str
    name: str | None = None
    role: str | None = None
    concentration: float | None = None
    electrolyte: str | None = None
    properties: dict[str, float] = field(default_factory=dict)  # quantity-kind local name -> value
    units: dict[str, str] = field(default_factory=dict)


def parse_concentration(text: str | None) -> float | None:
    """'0.05M', '0.05 M', '1.2 mol/L' -> mol/L."""
    if text is None:
        return None
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][-+]?\d+)?)\s*(M|mol/L|mol L-1)?\s*", text)
    if not match:
        raise PredictionInputError(f"cannot read concentration {text!r}; write e.g. 0.05M or 1.2 mol/L")
    if not match.group(2):
        raise PredictionInputError(f"concentration {text!r} has no unit; write e.g. {text.strip()}M (mol/L)")
    value = float(match.group(1))
    if not 0 < value <= MAX_CONCENTRATION:
        raise PredictionInputError(f"impossible concentration {text!r}: must be above 0 and at most "
                                   f"{MAX_CONCENTRATION:g} mol/L")
    return value


def parse_property(option: str, text: str) -> tuple[str, float, str]:
    """'--lumo -0.9 eV' -> ('LUMOEnergy', -0.9, 'EV'); the unit defaults to the first allowed one."""
    kind, units = PROPERTY_UNITS[option]
    match = re.fullmatch(r"\s*([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?\d+)?)\s*([^\s].*)?", text)
    if not match:
        example = f"-0.9 {next(iter(units))}"
        raise PredictionInputError(f"cannot read --{option} value {text!r}; write e.g. '{example}'")
    if not match.group(2):
        raise PredictionInputError(f"--{option} value {text!r} has no unit; write e.g. '{text.strip()} "
                                   f"{next(iter(units))}' (units: {', '.join(units)})")
    unit_text = match.group(2).strip().lower().replace(" ", "")
    if unit_text not in units:
        raise PredictionInputError(f"unknown unit {match.group(2)!r} for --{option}; use one of: "
                                   f"{', '.join(units)}")
    value = float(match.group(1))
    low, high, why = allowed_range(kind)
    if not math.isfinite(value) or not (low < value <= high if low == 0.0 else low <= value <= high):
        bound = f"above {low:g}" if low == 0.0 else f"at least {low:g}"
        raise PredictionInputError(f"impossible --{option} value {text!r}: must be {bound} and at most {high:g} "
                                   f"({why}; ontology/limits.ttl)")
    return kind, value, units[unit_text]


@functools.cache
def _limits() -> dict[str, tuple[float, float, str]]:
    """Allowed input ranges per quantity kind, read from ``ontology/limits.ttl`` (data, with the reason)."""
    import pyoxigraph as ox

    from lmakg.knowledge import resources

    store = ox.Store()
    store.load(path=str(resources.folder("ontology") / "limits.ttl"), format=ox.RdfFormat.TURTLE)
    query = ("PREFIX lma: <https://w3id.org/lmakg/ontology#> SELECT ?k ?lo ?hi ?why WHERE { "
             "?k lma:allowedMinimum ?lo ; lma:allowedMaximum ?hi ; lma:allowedRangeNote ?why }")
    return {row["k"].value.rsplit("#", 1)[-1]: (float(row["lo"].value), float(row["hi"].value), row["why"].value)
            for row in store.query(query)}


def allowed_range(kind: str) -> tuple[float, float, str]:
    """(minimum, maximum, why) for a quantity kind; unbounded (but finite) when the data names none."""
    return _limits().get(kind, (-math.inf, math.inf, "no range is recorded for this quantity"))


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:60] or "candidate"


def candidate_turtle(c: Candidate, store: Any, known: dict[str, str] | None = None,
                     tag: str = "", inchikeys: bool = True) -> tuple[str, str, list[str]]:
    """Turtle for the candidate: its species (and ions), its design, base electrolyte. Returns
    (turtle, species IRI, ion IRIs). ``known`` maps InChIKeys to the graph's species (a species the
    graph already has is reused, with everything known about it); ``tag`` keeps the IRIs of candidates
    judged together apart. Without ``inchikeys`` the new species' InChIKeys are left out of the Turtle and
    computed only where they decide a name (see :class:`KnownSpecies`): for the names alone, the cheap way."""
    from lmakg.knowledge.show import NameLookupError, resolve

    try:
        chem.composition(c.smiles)  # parses it: a bad SMILES is named here
        key = chem.inchikey(c.smiles) if inchikeys or not c.name else None
    except chem.ChemistryError as exc:
        raise PredictionInputError(f"invalid SMILES {c.smiles!r}: {exc}") from exc
    role_key = (c.role or "additive").lower()
    if role_key not in ROLES:
        raise PredictionInputError(f"unknown role {c.role!r}; use one of: {', '.join(ROLES)}")
    role = ROLES[role_key]
    name = c.name or c.smiles
    slug = tag + (_slug(c.name) if c.name else str(key)[:14])
    known = known_species(store) if known is None else known
    found = _known(c.smiles, key, known)
    species = found or f"{USER_NS}{slug}"
    fragments = c.smiles.split(".")
    lines = ["@prefix lma: <https://w3id.org/lmakg/ontology#> .",
             "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
             "@prefix qudt: <http://qudt.org/schema/qudt/> .", "@prefix unit: <http://qudt.org/vocab/unit/> .", ""]
    ions: list[str] = []
    charge = chem.formal_charge(c.smiles)
    if len(fragments) > 1:
        if charge != 0:
            raise PredictionInputError(f"salt {c.smiles!r} is not neutral (net charge {charge})")
        kind = "lma:Salt"
        for i, fragment in enumerate(fragments):
            z = chem.formal_charge(fragment)
            if z == 0:
                raise PredictionInputError(f"fragment {fragment!r} of {c.smiles!r} is neutral; a salt is a set of ions")
            ion_key = chem.inchikey(fragment) if inchikeys else None
            known_ion = _known(fragment, ion_key, known)
            if known_ion:  # an ion the graph already knows (e.g. Rb+ with its standard potential)
                ions.append(known_ion)
                continue
            ion = f"{USER_NS}{slug}-ion{i + 1}"
            ions.append(ion)
            ion_class = "lma:Cation" if z > 0 else "lma:Anion"
            identity = f'lma:inchiKey "{ion_key}" ; ' if ion_key else ""
            lines.append(f'<{ion}> a {ion_class} ; rdfs:label "{_quote(fragment)} (from {_quote(name)})" ; '
                         f'lma:smiles "{_quote(fragment)}" ; {identity}lma:charge {z} .')
    else:
        kind = "lma:Molecule" if charge == 0 else ("lma:Cation" if charge > 0 else "lma:Anion")
    double = "<http://www.w3.org/2001/XMLSchema#double>"
    props = [f'lma:hasQuantity [ a lma:QuantityValue ; lma:quantityKind lma:{k} ; qudt:numericValue "{v}"^^{double} ; '
             f'qudt:unit unit:{c.units[k]} ; lma:externalSource "user input" ]' for k, v in c.properties.items()]
    if not found:
        lines.append(f'<{species}> a {kind} ; rdfs:label "{_quote(name)}" ; lma:smiles "{_quote(c.smiles)}"'
                     + (f' ; lma:inchiKey "{key}"' if inchikeys else "")
                     + (f" ; lma:charge {charge}" if kind in ("lma:Cation", "lma:Anion") else "")
                     + "".join(f" ; lma:hasIon <{i}>" for i in ions) + " .")
    if props:
        lines.append(f"<{species}> " + " ; ".join(props) + " .")
    components = []
    conc = ""
    if c.concentration is not None:
        conc = (f' ; lma:hasQuantity [ a lma:QuantityValue ; lma:quantityKind lma:Concentration ; '
                f'qudt:numericValue {c.concentration!r} ; qudt:unit unit:MOL-PER-L ; lma:externalSource "user input" ]')
    components.append(f"[ a lma:{role} ; lma:species <{species}>{conc} ]")
    # the cation of a salt is present at the salt's concentration (what the Nernst rule needs)
    for fragment, ion in zip(fragments if ions else [], ions, strict=False):
        if chem.formal_charge(fragment) > 0 and c.concentration is not None:
            components.append(f"[ a lma:BaseElectrolyteComponent ; lma:species <{ion}>{conc} ]")
    if c.electrolyte:
        match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*M\s+(\S+)\s+in\s+(.+?)\s*", c.electrolyte)
        if not match:
            raise PredictionInputError(f"cannot read electrolyte {c.electrolyte!r}; write e.g. '1 M LiPF6 in EC/DEC'")
        parts = [("LithiumSalt", match.group(2), float(match.group(1)))]
        parts += [("Solvent", s.strip(), None) for s in match.group(3).split("/") if s.strip()]
        for part_role, part_name, part_conc in parts:
            try:
                iri = resolve(store, part_name)
            except NameLookupError as exc:
                raise PredictionInputError(f"unknown electrolyte component {part_name!r} in {c.electrolyte!r}") from exc
            q = (f' ; lma:hasQuantity [ a lma:QuantityValue ; lma:quantityKind lma:Concentration ; '
                 f'qudt:numericValue {part_conc!r} ; qudt:unit unit:MOL-PER-L ; lma:externalSource "user input" ]'
                 if part_conc else "")
            components.append(f"[ a lma:{part_role} ; lma:species <{iri}>{q} ]")
    placement = PLACEMENT.get(role, "BulkElectrolyte")
    lines.append(f'<{USER_NS}{slug}-design> a lma:Design ; rdfs:label "user candidate: {_quote(name)} as {role_key}" ; '
                 f"lma:placement lma:{placement} ; lma:hasComponent " + " , ".join(components) + " .")
    return "\n".join(lines), species, ions


def _quote(text: str) -> str:
    """A string safe inside a Turtle "..." literal."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


class KnownSpecies(dict[str, str]):
    """InChIKey -> species IRI, with the compositions of those species (``compositions``; None when one of them
    cannot be checked). Why: an InChIKey costs RDKit about ten times what parsing and composition do, and two
    structures with the same standard InChIKey have the same atoms (the key's layers keep every atom, and its
    protonation flag the protons), so a structure whose composition no known species has cannot be one of them:
    its key is not needed to tell (:func:`_known`)."""

    compositions: frozenset[tuple[tuple[str, int], ...]] | None = None


def known_species(store: Any) -> KnownSpecies:
    """InChIKey -> species IRI for every species of the graph (with their compositions, see :class:`KnownSpecies`:
    only when each stored InChIKey is the one RDKit computes from the species' SMILES)."""
    from lmakg.knowledge.queries import run_engine_query

    known = KnownSpecies()
    compositions: set[tuple[tuple[str, int], ...]] | None = set()
    for row in run_engine_query(store, "species-cards"):
        if "inchiKey" not in row:
            continue
        known[row["inchiKey"].value] = row["species"].value
        try:
            smiles = row["smiles"].value if "smiles" in row else None
            same = smiles is not None and chem.inchikey(smiles) == row["inchiKey"].value
        except chem.ChemistryError:
            same = False
        if not same:
            compositions = None  # a key not computed from a structure: every candidate's key is looked up
        elif compositions is not None:
            compositions.add(tuple(sorted(chem.composition(smiles).items())))
    known.compositions = frozenset(compositions) if compositions is not None else None
    return known


def _known(smiles: str, key: str | None, known: dict[str, str]) -> str | None:
    """The graph's species with the structure's InChIKey (``key``, computed here if None and needed), or None."""
    compositions = getattr(known, "compositions", None)
    if key is None:
        if compositions is not None and tuple(sorted(chem.composition(smiles).items())) not in compositions:
            return None
        key = chem.inchikey(smiles)
    return known.get(key)
