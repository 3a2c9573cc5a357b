"""``lmakg predict``: what the review's principles imply for a molecule or salt the review never saw.

Why it works this way: the rules apply to structures, not names. The input SMILES is checked by RDKit,
written as a temporary species (salts as dot-separated ions, each ion its own species) in a temporary
design that places it in its role, at its concentration, in an optional base electrolyte; the graph is
copied into a fresh in-memory store, perceived and reasoned over, and the new species' predictions are read
back with their derivations. Nothing is written to any persistent store. What the rules could not judge
for lack of data is said plainly ("no LUMO known: preferential reduction not assessed").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lmakg import chem
from lmakg.vocab import LMK_IRI, local_name

USER_NS = LMK_IRI + "user/"
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
    unit_text = (match.group(2) or next(iter(units))).strip().lower().replace(" ", "")
    if unit_text not in units:
        raise PredictionInputError(f"unknown unit {match.group(2)!r} for --{option}; use one of: "
                                   f"{', '.join(units)}")
    return kind, float(match.group(1)), units[unit_text]


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:60] or "candidate"


def candidate_turtle(c: Candidate, store: Any) -> tuple[str, str, list[str]]:
    """Turtle for the candidate: its species (and ions), its design, base electrolyte. Returns
    (turtle, species IRI, ion IRIs)."""
    from lmakg.queries import run_engine_query
    from lmakg.show import NameLookupError, resolve

    try:
        key = chem.inchikey(c.smiles)
    except chem.ChemistryError as exc:
        raise PredictionInputError(f"invalid SMILES {c.smiles!r}: {exc}") from exc
    role_key = (c.role or "additive").lower()
    if role_key not in ROLES:
        raise PredictionInputError(f"unknown role {c.role!r}; use one of: {', '.join(ROLES)}")
    role = ROLES[role_key]
    name = c.name or c.smiles
    slug = _slug(c.name) if c.name else key[:14]
    known = {row["inchiKey"].value: row["species"].value
             for row in run_engine_query(store, "species-cards") if "inchiKey" in row}
    species = known.get(key, f"{USER_NS}{slug}")
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
            ion_key = chem.inchikey(fragment)
            if ion_key in known:  # an ion the graph already knows (e.g. Rb+ with its standard potential)
                ions.append(known[ion_key])
                continue
            ion = f"{USER_NS}{slug}-ion{i + 1}"
            ions.append(ion)
            ion_class = "lma:Cation" if z > 0 else "lma:Anion"
            lines.append(f'<{ion}> a {ion_class} ; rdfs:label "{fragment} (from {name})" ; '
                         f'lma:smiles "{fragment}" ; lma:inchiKey "{ion_key}" ; lma:charge {z} .')
    else:
        kind = "lma:Molecule" if charge == 0 else ("lma:Cation" if charge > 0 else "lma:Anion")
    double = "<http://www.w3.org/2001/XMLSchema#double>"
    props = [f'lma:hasQuantity [ a lma:QuantityValue ; lma:quantityKind lma:{k} ; qudt:numericValue "{v}"^^{double} ; '
             f'qudt:unit unit:{c.units[k]} ; lma:externalSource "user input" ]' for k, v in c.properties.items()]
    if key not in known:
        lines.append(f'<{species}> a {kind} ; rdfs:label "{name}" ; lma:smiles "{c.smiles}" ; lma:inchiKey "{key}"'
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
    lines.append(f'<{USER_NS}{slug}-design> a lma:Design ; rdfs:label "user candidate: {name} as {role_key}" ; '
                 f"lma:placement lma:{placement} ; lma:hasComponent " + " , ".join(components) + " .")
    return "\n".join(lines), species, ions


def predict(c: Candidate) -> dict[str, Any]:
    """Predictions for one candidate, as a JSON-ready dict."""
    from lmakg.build import load_knowledge
    from lmakg.explain import explain_mechanism
    from lmakg.hypotheses import generate
    from lmakg.queries import run_engine_query
    from lmakg.reason import materialize
    from lmakg.store import open_store

    store = open_store()
    load_knowledge(store)
    turtle, species, ions = candidate_turtle(c, store)
    store.load_turtle(turtle, graph=LMK_IRI.replace("/kg/", "/graph/") + "user")
    materialize(store)
    subjects = [species, *ions]
    out: dict[str, Any] = {"input": {"smiles": c.smiles, "name": c.name, "role": c.role or "additive",
                                     "concentration": c.concentration, "electrolyte": c.electrolyte,
                                     "properties": c.properties},
                           "species": species, "inchiKey": chem.inchikey(c.smiles),
                           "formalCharge": chem.formal_charge(c.smiles)}
    out["elements"] = sorted(_values(store, subjects, "containsElement"))
    out["features"] = sorted(_values(store, [species], "hasFunctionalGroup"))
    out["fMassFraction"] = round(chem.mass_fraction(c.smiles, "F"), 4)
    mechanisms, forms, conflicts, ruled_out = [], set(), set(), set()
    for s in subjects:
        for row in run_engine_query(store, "predictions-of", node=f"<{s}>"):
            p, o = local_name(row["p"].value), row["o"].value
            if p == "predictedProduct":
                forms.add(local_name(o))
            elif p == "hasConflict":
                conflicts.add(o)
            elif p == "ruledOut":
                ruled_out.add((local_name(s), local_name(o)))
            elif p == "predictedMechanism" and not any(m["id"] == local_name(o) and m["of"] == local_name(s)
                                                       for m in mechanisms):
                tree = explain_mechanism(store, s, o)
                rules = sorted({d.get("rule") for d in tree["predicted"].get("derivations", []) if d.get("rule")})
                mechanisms.append({"id": local_name(o), "of": local_name(s), "rules": rules,
                                   "supportingDesigns": _supporting_designs(store, o, rules),
                                   "explanation": tree["predicted"]})
    out["mechanisms"] = sorted(mechanisms, key=lambda m: (m["id"], m["of"]))
    out["forms"] = sorted(forms)
    out["ruledOut"] = [{"species": s, "mechanism": m} for s, m in sorted(ruled_out)]
    out["conflicts"] = sorted(local_name(t) for t in conflicts)
    out["derived"] = [{"kind": local_name(r["kind"].value), "value": float(r["value"].value),
                       "unit": r["symbol"].value if "symbol" in r else local_name(r["unit"].value),
                       "rule": local_name(r["derivedBy"].value)}
                      for s in subjects for r in run_engine_query(store, "quantities", node=f"<{s}>")
                      if "derivedBy" in r and "value" in r]
    known = {k for k in c.properties}
    notes = [text for kind, text in NOT_ASSESSED.items() if kind not in known]
    if any(chem.formal_charge(f) > 0 for f in c.smiles.split(".")) and c.concentration is None:
        notes.append("no concentration given: the Nernst potential (Eq. 1) and shielding were not assessed")
    out["notAssessed"] = notes
    members = set(subjects)
    out["hypotheses"] = [{"id": h.id, "families": sorted(h.families), "score": round(h.score, 3)}
                         for h in generate(store) if h.members & members]
    return out


def _values(store: Any, subjects: list[str], prop: str) -> set[str]:
    found = set()
    for s in subjects:
        for row in store.select(f"SELECT ?o WHERE {{ <{s}> lma:{prop} ?o }}"):
            found.add(local_name(row["o"].value))
    return found


def _supporting_designs(store: Any, mechanism: str, rules: list[str]) -> list[dict[str, Any]]:
    """Curated designs whose species the review credits with this mechanism and the same rules predict."""
    from lmakg.queries import run_engine_query

    found: dict[str, set[int]] = {}
    for row in run_engine_query(store, "predicted-evidence"):
        if row["mechanism"].value != mechanism or local_name(row["rule"].value) not in rules:
            continue
        subject = row["subject"].value
        if subject.startswith(USER_NS):
            continue
        for use in run_engine_query(store, "species-uses", species=f"<{subject}>"):
            if "mechanism" in use and use["mechanism"].value == mechanism:
                refs = found.setdefault(local_name(use["design"].value), set())
                if "referenceNumber" in use:
                    refs.add(int(use["referenceNumber"].value))
    return [{"design": d, "references": sorted(r)} for d, r in sorted(found.items())]


__all__ = ["Candidate", "PredictionInputError", "parse_concentration", "parse_property", "predict"]
