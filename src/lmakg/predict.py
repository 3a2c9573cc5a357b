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
from pathlib import Path
from typing import Any

from lmakg import chem
from lmakg.store import StoreError
from lmakg.vocab import GRAPH_IRI, LMK_IRI, local_name

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


def candidate_turtle(c: Candidate, store: Any, known: dict[str, str] | None = None,
                     tag: str = "") -> tuple[str, str, list[str]]:
    """Turtle for the candidate: its species (and ions), its design, base electrolyte. Returns
    (turtle, species IRI, ion IRIs). ``known`` maps InChIKeys to the graph's species (a species the
    graph already has is reused, with everything known about it); ``tag`` keeps the IRIs of candidates
    judged together apart."""
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
    slug = tag + (_slug(c.name) if c.name else key[:14])
    known = known_species(store) if known is None else known
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
            lines.append(f'<{ion}> a {ion_class} ; rdfs:label "{_quote(fragment)} (from {_quote(name)})" ; '
                         f'lma:smiles "{_quote(fragment)}" ; lma:inchiKey "{ion_key}" ; lma:charge {z} .')
    else:
        kind = "lma:Molecule" if charge == 0 else ("lma:Cation" if charge > 0 else "lma:Anion")
    double = "<http://www.w3.org/2001/XMLSchema#double>"
    props = [f'lma:hasQuantity [ a lma:QuantityValue ; lma:quantityKind lma:{k} ; qudt:numericValue "{v}"^^{double} ; '
             f'qudt:unit unit:{c.units[k]} ; lma:externalSource "user input" ]' for k, v in c.properties.items()]
    if key not in known:
        lines.append(f'<{species}> a {kind} ; rdfs:label "{_quote(name)}" ; lma:smiles "{_quote(c.smiles)}" ; '
                     f'lma:inchiKey "{key}"'
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


def known_species(store: Any) -> dict[str, str]:
    """InChIKey -> species IRI for every species of the graph."""
    from lmakg.queries import run_engine_query

    return {row["inchiKey"].value: row["species"].value
            for row in run_engine_query(store, "species-cards") if "inchiKey" in row}


class Predictor:
    """Judges candidates against one reasoned graph kept warm in memory.

    Why: reasoning over the whole review takes about half a second; judging one more species should cost
    a fraction of that. The predictor reasons over the graph once (or copies a store that `lmakg build
    --store` already reasoned over into memory), remembers every rule solution of the closed graph, and
    judges each batch of candidates in a scratch pad (:meth:`KnowledgeStore.scratch`): the candidates'
    facts, perceptions, inferences and derivations are added, the rules run incrementally (only solutions
    that involve something new are instantiated), the results are read, and everything added is undone.
    Nothing is ever written to a persistent store. Candidates of one batch sit in their own designs;
    results only report hypotheses that involve one candidate at a time. Not thread-safe.
    """

    def __init__(self, store: str | None = None, progress: Any = None) -> None:
        from lmakg.build import open_knowledge
        from lmakg.reason import load_rules, materialize, rule_firings
        from lmakg.store import open_store

        say = progress or (lambda _m: None)
        self.rules = load_rules()
        if store:
            say(f"copying the reasoned store {store} into memory")
            source = open_knowledge(store)
            self.store = open_store()
            self.store.load_dataset(source.dump("nquads"))
            del source
            self._fired = rule_firings(self.store, self.rules)
        else:
            say("loading and reasoning over the packaged graph")
            self.store = open_knowledge(None, reason=False)
            self._fired = materialize(self.store, self.rules).fired
        self.known = known_species(self.store)
        self._evidence = _supporting_index(self.store)

    def predict(self, candidate: Candidate, explain: bool = True) -> dict[str, Any]:
        """Predictions for one candidate (a dict, as documented in :func:`predict`)."""
        return self.predict_many([candidate], explain=explain)[0]

    def predict_many(self, candidates: list[Candidate], explain: bool = False, chunk: int = 200,
                     progress: Any = None) -> list[dict[str, Any]]:
        """Predictions for many candidates, in input order. A candidate with bad input gets
        ``{"input": ..., "error": message}`` instead of predictions; the others are judged regardless.
        ``progress(n_done)`` is called after each chunk."""
        results: list[dict[str, Any]] = []
        for begin in range(0, len(candidates), chunk):
            results.extend(self._judge(candidates[begin:begin + chunk], begin, explain))
            if progress:
                progress(len(results))
        return results

    def _judge(self, batch: list[Candidate], offset: int, explain: bool) -> list[dict[str, Any]]:
        from lmakg.hypotheses import generate
        from lmakg.perceive import perceive
        from lmakg.reason import infer

        store = self.store
        placed: list[tuple[Candidate, str, list[str]] | None] = []
        errors: dict[int, str] = {}
        out: list[dict[str, Any]] = []
        with store.scratch(CANDIDATE_GRAPH):
            for i, c in enumerate(batch):
                try:
                    turtle, species, ions = candidate_turtle(c, store, self.known, tag=f"c{offset + i + 1}-")
                    store.load_turtle(turtle, graph=CANDIDATE_GRAPH)
                    placed.append((c, species, ions))
                except PredictionInputError as exc:
                    errors[i] = str(exc)
                    placed.append(None)
                except StoreError as exc:  # e.g. a character RDF cannot carry in a name
                    errors[i] = f"cannot place candidate {c.name or c.smiles!r}: {exc}"
                    placed.append(None)
            new_nodes = {n for p in placed if p for n in (p[1], *p[2]) if n.startswith(USER_NS)}
            if new_nodes:
                perceive(store, subjects=new_nodes)
            infer(store, self.rules, incremental=True, fired=self._fired)
            hypotheses = generate(store) if len(placed) > len(errors) else []
            for i, entry in enumerate(placed):
                if entry is None:
                    out.append({"input": _input(batch[i]), "error": errors[i]})
                    continue
                c, species, ions = entry
                mine = {species, *ions}
                others = new_nodes - mine
                joined = [h for h in hypotheses if h.members & mine and not h.members & others]
                out.append(_report(store, c, species, ions, joined, self._evidence, explain))
        return out


def _input(c: Candidate) -> dict[str, Any]:
    return {"smiles": c.smiles, "name": c.name, "role": c.role or "additive", "concentration": c.concentration,
            "electrolyte": c.electrolyte, "properties": c.properties}


def _report(store: Any, c: Candidate, species: str, ions: list[str], hypotheses: list[Any],
            evidence: dict[tuple[str, str], list[dict[str, Any]]], explain: bool) -> dict[str, Any]:
    """Read one candidate's predictions back from the reasoned store."""
    from lmakg.explain import explain_mechanism
    from lmakg.queries import run_engine_query

    subjects = [species, *ions]
    out: dict[str, Any] = {"input": _input(c), "species": species, "inchiKey": chem.inchikey(c.smiles),
                           "formalCharge": chem.formal_charge(c.smiles)}
    out["elements"] = sorted(_values(store, subjects, "containsElement"))
    out["features"] = sorted(_values(store, [species], "hasFunctionalGroup"))
    out["fMassFraction"] = round(chem.mass_fraction(c.smiles, "F"), 4)
    rules_of: dict[tuple[str, str], set[str]] = {}
    forms, conflicts, ruled_out = set(), set(), set()
    for s in subjects:
        for row in run_engine_query(store, "predictions-of", node=f"<{s}>"):
            p, o = local_name(row["p"].value), row["o"].value
            if p == "predictedProduct":
                forms.add(local_name(o))
            elif p == "hasConflict":
                conflicts.add(o)
            elif p == "ruledOut":
                ruled_out.add((local_name(s), local_name(o)))
            elif p == "predictedMechanism":
                found = rules_of.setdefault((s, o), set())
                if "rule" in row:
                    found.add(local_name(row["rule"].value))
    mechanisms = []
    for (s, o), rules in rules_of.items():
        entry: dict[str, Any] = {"id": local_name(o), "of": local_name(s), "rules": sorted(rules),
                                 "supportingDesigns": _supporting_designs(evidence, o, rules)}
        if explain:
            entry["explanation"] = explain_mechanism(store, s, o)["predicted"]
        mechanisms.append(entry)
    out["mechanisms"] = sorted(mechanisms, key=lambda m: (m["id"], m["of"]))
    out["forms"] = sorted(forms)
    out["ruledOut"] = [{"species": s, "mechanism": m} for s, m in sorted(ruled_out)]
    out["conflicts"] = sorted(local_name(t) for t in conflicts)
    out["derived"] = [{"kind": local_name(r["kind"].value), "of": local_name(s), "value": float(r["value"].value),
                       "unit": r["symbol"].value if "symbol" in r else local_name(r["unit"].value),
                       "rule": r["agentLabel"].value if "agentLabel" in r else local_name(r["derivedBy"].value)}
                      for s in subjects for r in run_engine_query(store, "derived-values", node=f"<{s}>")]
    notes = [text for kind, text in NOT_ASSESSED.items() if kind not in c.properties]
    if any(chem.formal_charge(f) > 0 for f in c.smiles.split(".")) and c.concentration is None:
        notes.append("no concentration given: the Nernst potential (Eq. 1) and shielding were not assessed")
    out["notAssessed"] = notes
    out["hypotheses"] = [{"id": h.id, "families": sorted(h.families), "score": round(h.score, 3)}
                         for h in hypotheses]
    return out


def predict(c: Candidate, store: str | None = None) -> dict[str, Any]:
    """Predictions for one candidate, as a JSON-ready dict: input, species, inchiKey, formalCharge,
    elements, features, fMassFraction, mechanisms (id, of, rules, supportingDesigns, explanation), forms,
    ruledOut, conflicts, derived values, notAssessed, hypotheses. Raises PredictionInputError on bad input."""
    result = Predictor(store).predict(c, explain=True)
    if "error" in result:
        raise PredictionInputError(result["error"])
    return result


def predict_many(candidates: list[Candidate], store: str | None = None, progress: Any = None,
                 explain: bool = False) -> list[dict[str, Any]]:
    """Predictions for many candidates in one warm predictor (see :class:`Predictor`)."""
    return Predictor(store).predict_many(candidates, explain=explain, progress=progress)


def _values(store: Any, subjects: list[str], prop: str) -> set[str]:
    found = set()
    for s in subjects:
        for row in store.select(f"SELECT ?o WHERE {{ <{s}> lma:{prop} ?o }}"):
            found.add(local_name(row["o"].value))
    return found


def _supporting_index(store: Any) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """(mechanism IRI, rule id) -> curated designs whose species the review credits with the mechanism and
    the rule predicts: the review's own precedent for a prediction. Built once per predictor."""
    from lmakg.queries import run_engine_query

    found: dict[tuple[str, str], dict[str, set[int]]] = {}
    uses: dict[str, list[dict[str, Any]]] = {}
    for row in run_engine_query(store, "predicted-evidence"):
        subject, mechanism = row["subject"].value, row["mechanism"].value
        if subject.startswith(USER_NS):
            continue
        if subject not in uses:
            uses[subject] = run_engine_query(store, "species-uses", species=f"<{subject}>")
        for use in uses[subject]:
            if "mechanism" in use and use["mechanism"].value == mechanism:
                refs = found.setdefault((mechanism, local_name(row["rule"].value)), {}).setdefault(
                    local_name(use["design"].value), set())
                if "referenceNumber" in use:
                    refs.add(int(use["referenceNumber"].value))
    return {key: [{"design": d, "references": sorted(r)} for d, r in sorted(designs.items())]
            for key, designs in found.items()}


def _supporting_designs(index: dict[tuple[str, str], list[dict[str, Any]]], mechanism: str,
                        rules: set[str]) -> list[dict[str, Any]]:
    merged: dict[str, set[int]] = {}
    for rule in rules:
        for entry in index.get((mechanism, rule), []):
            merged.setdefault(entry["design"], set()).update(entry["references"])
    return [{"design": d, "references": sorted(r)} for d, r in sorted(merged.items())]


# --- batch files -------------------------------------------------------------------------------------

CSV_COLUMNS = ("name", "smiles", "role", "concentration", "electrolyte", *PROPERTY_UNITS)
RESULT_COLUMNS = ("line", "name", "smiles", "role", "concentration", "status", "error", "features", "mechanisms",
                  "forms", "ruled_out", "conflicts", "derived", "hypotheses", "best_hypothesis_score",
                  "not_assessed")


def read_candidates(path: str | Path) -> list[tuple[int, Candidate | str, dict[str, str]]]:
    """Candidates from a CSV file with a header row: ``smiles`` (required), ``name``, ``role``,
    ``concentration`` (e.g. 0.05M), ``electrolyte`` and property columns (``lumo``, ``homo``,
    ``binding-energy``... each a value with its unit, e.g. "-0.9 eV"). Returns (line number, candidate or
    error message, the row's cells) per data row, so one bad row does not stop a screening run. A file that cannot be
    read, has no ``smiles`` column or has an unknown column raises :class:`PredictionInputError`."""
    import csv

    path = Path(path)
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise PredictionInputError(f"cannot read {path}: {exc.strerror}") from exc
    with handle:
        reader = csv.DictReader(handle)
        header = [h.strip().lower().replace("_", "-") for h in (reader.fieldnames or [])]
        if "smiles" not in header:
            raise PredictionInputError(f"{path}:1: no 'smiles' column (columns: {', '.join(header) or 'none'})")
        unknown = [h for h in header if h not in CSV_COLUMNS]
        if unknown:
            raise PredictionInputError(f"{path}:1: unknown column {unknown[0]!r}; known: {', '.join(CSV_COLUMNS)}")
        reader.fieldnames = header
        rows: list[tuple[int, Candidate | str, dict[str, str]]] = []
        try:
            for record in reader:
                line = reader.line_num
                cells = {k: (v or "").strip() for k, v in record.items() if k is not None}
                try:
                    if not cells.get("smiles"):
                        raise PredictionInputError("empty smiles")
                    candidate = Candidate(smiles=cells["smiles"], name=cells.get("name") or None,
                                          role=cells.get("role") or None,
                                          concentration=parse_concentration(cells.get("concentration") or None),
                                          electrolyte=cells.get("electrolyte") or None)
                    for option in PROPERTY_UNITS:
                        if cells.get(option):
                            kind, number, unit = parse_property(option, cells[option])
                            candidate.properties[kind] = number
                            candidate.units[kind] = unit
                    rows.append((line, candidate, cells))
                except PredictionInputError as exc:
                    rows.append((line, f"{path}:{line}: {exc}", cells))
        except (csv.Error, UnicodeDecodeError) as exc:
            raise PredictionInputError(f"{path}:{reader.line_num}: not a readable CSV file: {exc}") from exc
    return rows


def screen(path: str | Path, predictor: Predictor, progress: Any = None) -> list[dict[str, Any]]:
    """Judge every row of a candidates CSV; rows with bad input carry their error (file:line: message)."""
    rows = read_candidates(path)
    judged = iter(predictor.predict_many([c for _, c, _ in rows if isinstance(c, Candidate)], progress=progress))
    results = []
    for line, c, cells in rows:
        if isinstance(c, Candidate):
            result = next(judged)
            if "error" in result:
                result["error"] = f"{path}:{line}: {result['error']}"
        else:
            result = {"input": {"smiles": cells.get("smiles", ""), "name": cells.get("name") or None,
                                "role": cells.get("role", ""), "concentration": cells.get("concentration") or None},
                      "error": c}
        result["line"] = line
        results.append(result)
    return results


def result_row(result: dict[str, Any]) -> dict[str, Any]:
    """One result as a flat CSV row (lists joined with '; ')."""
    given = result.get("input", {})
    row: dict[str, Any] = {"line": result.get("line", ""), "name": given.get("name") or "",
                           "smiles": given.get("smiles", ""), "role": given.get("role", ""),
                           "concentration": given.get("concentration") or ""}
    if "error" in result:
        return {**row, "status": "error", "error": result["error"]}
    join = "; ".join
    hypotheses = result["hypotheses"]
    return {**row, "status": "ok", "error": "",
            "features": join(result["features"]),
            "mechanisms": join(f"{m['id']} ({m['of']}; {', '.join(m['rules'])})" for m in result["mechanisms"]),
            "forms": join(result["forms"]),
            "ruled_out": join(f"{r['mechanism']} ({r['species']})" for r in result["ruledOut"]),
            "conflicts": join(result["conflicts"]),
            "derived": join(f"{d['kind']}={d['value']:.4g} {d['unit']}" for d in result["derived"]),
            "hypotheses": join("+".join(h["families"]) for h in hypotheses),
            "best_hypothesis_score": max((h["score"] for h in hypotheses), default=""),
            "not_assessed": join(result["notAssessed"])}


def write_results(results: list[dict[str, Any]], path: str | Path | None, fmt: str) -> str | None:
    """Write results as CSV or JSON to ``path`` atomically (a complete file or none), or return the
    text when ``path`` is None."""
    import csv
    import io
    import json
    import os

    if fmt == "json":
        text = json.dumps(results, indent=2, ensure_ascii=False) + "\n"
    elif fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=RESULT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(result_row(r) for r in results)
        text = buffer.getvalue()
    else:
        raise PredictionInputError(f"unknown output format {fmt!r}; use csv or json")
    if path is None:
        return text
    target = Path(path)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise PredictionInputError(f"cannot write {target}: {exc.strerror}") from exc
    return None


__all__ = ["Candidate", "PredictionInputError", "Predictor", "parse_concentration", "parse_property", "predict",
           "predict_many", "read_candidates", "screen", "write_results"]
