"""``lmakg assess``: one formulation judged as a whole.

The steps, each from data: parse the text (:mod:`lmakg.formulations.language`, names from the graph); check
which solvents meet the review's diluent requirements (``queries/assessment/*`` of kind ``requirement``);
normalise the amounts (:mod:`lmakg.formulations.amounts`, densities from ``kg/``); decide the regime (the
first ``regime`` criterion that holds); run the rules on the formulation as a design of its own for the
mechanisms and SEI products of its components *in this formulation* (:mod:`lmakg.formulations.context`); then
add up the ``score`` and ``tradeoff`` criteria. What could not be judged for lack of data is listed in
``notAssessed``; nothing missing is filled in.
"""

from __future__ import annotations

from typing import Any

from lmakg.formulations import criteria as crit
from lmakg.formulations.amounts import Amounts, normalise
from lmakg.formulations.components import Species, load_species
from lmakg.formulations.context import ContextReasoner
from lmakg.formulations.language import Formulation, FormulationError, parse
from lmakg.formulations.names import NameIndex
from lmakg.knowledge.queries import run_engine_query
from lmakg.knowledge.store import KnowledgeStore
from lmakg.knowledge.vocab import LMA_IRI, local_name, user_graph_name

LAS = "https://w3id.org/lmakg/assess#"
ASSESS_GRAPH = "https://w3id.org/lmakg/graph/assessment-description"
SCORE_KINDS = ("score", "tradeoff")


class AssessError(ValueError):
    """The formulation cannot be assessed (unknown component, ambiguous notation ...): one line."""


class Assessor:
    """Prepared once (the reasoned graph, names, component data), then assesses formulations one by one."""

    def __init__(self, store: str | KnowledgeStore | None = None, progress: Any = None, descriptors: bool = True,
                 predictor: Any = None) -> None:
        """``store``: a store location, a reasoned in-memory store, or None (the packaged graph); ``predictor``: a
        warm :class:`~lmakg.chemistry.predict.Predictor` to share (``store`` is then not read)."""
        from lmakg.chemistry.predict import Predictor

        self.descriptors = descriptors
        self.predictor = predictor or Predictor(store, progress=progress)
        self.store = self.predictor.store
        self.names = NameIndex.from_store(self.store)
        self.species: dict[str, Species] = load_species(self.store)
        self.ions: dict[str, list[str]] = {}
        for row in run_engine_query(self.store, "species-ions"):
            self.ions.setdefault(row["species"].value, []).append(row["ion"].value)
        self.context = ContextReasoner(self.predictor)

    def assess(self, text: str) -> dict[str, Any]:
        """One formulation (raises :class:`AssessError` with one line for bad input)."""
        result = self.assess_many([text])[0]
        if isinstance(result, AssessError):
            raise result
        return result

    def assess_many(self, texts: list[str], progress: Any = None, chunk: int = 50
                    ) -> list[dict[str, Any] | AssessError]:
        """Many formulations, in input order; a bad one gives its :class:`AssessError` in its place. The rules run
        once per chunk of formulations (each a design of its own); ``progress(n_done)`` after each chunk."""
        out: list[dict[str, Any] | AssessError] = []
        for begin in range(0, len(texts), chunk):
            prepared: list[tuple[int, Formulation, dict[str, Any]]] = []
            results: list[dict[str, Any] | AssessError | None] = []
            for text in texts[begin:begin + chunk]:
                try:
                    form = self._parse(text)
                    prepared.append((len(results), form, self._prepare(form)))
                    results.append(None)
                except AssessError as exc:
                    results.append(exc)
            found = self.context.conclusions_many([(st["design"], f.text) for _i, f, st in prepared])
            for (i, form, state), conclusions in zip(prepared, found, strict=True):
                results[i] = self._finish(form, state, conclusions)
            out.extend(r for r in results if r is not None)
            if progress:
                progress(len(out))
        return out

    def base_components(self, text: str) -> list[dict[str, Any]]:
        """The components of a formulation text as hypothesis components (id, label, smiles, role), marked
        ``base``: what a salt screen adds its candidates to. Raises :class:`AssessError` for bad text."""
        roles = {"salt": "LithiumSalt", "solvent": "Solvent", "additive": "Additive"}
        out = []
        for part in self._parse(text).parts:
            species = self.species[part.iri]
            out.append({"id": local_name(part.iri), "label": part.written, "smiles": species.smiles,
                        "role": roles.get(part.kind, part.kind), "base": True})
        return out

    def _parse(self, text: str) -> Formulation:
        try:
            form = parse(text, self.names.lookup, self.names.suggest)
        except FormulationError as exc:
            raise AssessError(str(exc)) from None
        for part in form.parts:
            if part.iri not in self.species:
                raise AssessError(f"{part.written!r} ({local_name(part.iri)}) has no structure (SMILES) in the graph; "
                                  "it cannot be assessed")
        return form

    # -- the steps -------------------------------------------------------------------------------------
    def _prepare(self, form: Formulation) -> dict[str, Any]:
        """Diluent requirements, amounts and LUMOs: everything before the rules run."""
        parts = list(form.parts)
        not_assessed: list[str] = list(form.assumptions)
        solvents = [i for i, p in enumerate(parts) if p.kind == "solvent"]
        requirements: dict[int, list[dict[str, Any]]] = {}
        with self.store.scratch(ASSESS_GRAPH):
            self._describe(form, Amounts(), set(), {}, None, {})
            if len(solvents) > 1:
                for criterion in crit.criteria("requirement"):
                    for row in crit.run(self.store, criterion, self._iri):
                        index = int(row["part"].rsplit("-p", 1)[1])
                        requirements.setdefault(index, []).append(
                            {"requirement": criterion.label, "status": row["status"], "reason": row["reason"],
                             "necessary": criterion.extra.get("necessary") == "yes", **criterion.source()})
        diluents = {i for i, checks in requirements.items() if _credited(checks)}
        for i, checks in requirements.items():
            if any(c["status"] == "unknown" for c in checks) and (i in diluents or _could_be_diluent(checks)):
                unknown = "; ".join(c["reason"] for c in checks if c["status"] == "unknown")
                not_assessed.append(f"diluent requirement of {parts[i].written} not judged: {unknown}")
        amounts = normalise(form, self.species, diluents)
        not_assessed.extend(amounts.missing)
        lumos = self._lumos(parts, not_assessed)
        if diluents and amounts.local_molarity is None:
            not_assessed.append("whether this is an LHCE was not judged: the salt concentration in the solvating "
                                "solvents could not be computed (see above)")
        roles = {i: ("diluent" if i in diluents else p.kind) for i, p in enumerate(parts)}
        return {"requirements": requirements, "diluents": diluents, "amounts": amounts, "lumos": lumos,
                "roles": roles, "notAssessed": not_assessed, "design": self._design_parts(form, amounts, roles)}

    def _finish(self, form: Formulation, state: dict[str, Any],
                found: dict[int, dict[str, dict[str, list[str]]]]) -> dict[str, Any]:
        """Regime, the regime's consequences and the score, once the rules have run."""
        parts, amounts, diluents, lumos = list(form.parts), state["amounts"], state["diluents"], state["lumos"]
        with self.store.scratch(ASSESS_GRAPH):
            self._describe(form, amounts, diluents, found, None, lumos)
            regime = self._regime()
            if regime.get("mechanism"):
                self._regime_consequences(parts, found, regime)
            self._describe(form, amounts, diluents, found, regime, lumos)
            terms = self._score_terms()
        score = round(sum(t["points"] for t in terms), 3)
        return {
            "formulation": form.text, "status": "ok",
            "components": [self._component(i, p, state["roles"][i], amounts, found[i], state["requirements"].get(i))
                           for i, p in enumerate(parts)],
            "amounts": amounts.as_dict(), "regime": regime, "score": score,
            "scoreBreakdown": [t for t in terms if t["kind"] == "score"],
            "tradeoffs": [t for t in terms if t["kind"] == "tradeoff"],
            "notAssessed": state["notAssessed"],
        }

    _iri = "https://w3id.org/lmakg/assessed/formulation"

    def _describe(self, form: Formulation, amounts: Amounts, diluents: set[int],
                  found: dict[int, dict[str, dict[str, list[str]]]], regime: dict[str, Any] | None,
                  lumos: dict[int, float]) -> None:
        """The formulation in the transient vocabulary the criteria read (queries/assessment/README.md)."""
        self.store.clear_graph(ASSESS_GRAPH)
        f = f"<{self._iri}>"
        lines = []
        for key, value in (("saltMolarity", amounts.salt_molarity), ("saltMolality", amounts.salt_molality),
                           ("solventToSalt", amounts.solvent_to_salt), ("localSaltMolarity", amounts.local_molarity)):
            if value is not None:
                lines.append(f"{f} <{LAS}{key}> {float(value)!r} .")
        for i, part in enumerate(form.parts):
            node = f"<{self._iri}-p{i}>"
            lines.append(f"{f} <{LAS}part> {node} . {node} <{LAS}species> <{part.iri}> ; <{LAS}kind> \"{part.kind}\" ;"
                         f" <{LAS}index> {i} .")
            fraction = amounts.mole_fractions.get(local_name(part.iri))
            if fraction is not None:
                lines.append(f"{node} <{LAS}moleFraction> {fraction!r} .")
            if i in diluents:
                lines.append(f"{node} <{LAS}creditedDiluent> true .")
            if i in lumos:
                lines.append(f"{node} <{LAS}computedLUMO> {lumos[i]!r} .")
            for key, prop in (("mechanisms", "mechanism"), ("products", "product")):
                for name in found.get(i, {}).get(key, {}):
                    lines.append(f"{node} <{LAS}{prop}> <{LMA_IRI}{name}> .")
        if regime:
            lines.append(f"{f} <{LAS}regimeId> \"{regime['id']}\" ; <{LAS}regime> <{regime['regime']}> .")
        self.store.load_turtle("\n".join(lines), graph=ASSESS_GRAPH)

    def _lumos(self, parts: list[Any], not_assessed: list[str]) -> dict[int, float]:
        """GFN2-xTB LUMOs (eV) of the neutral one-fragment components, by one method so they compare; salts'
        isolated ions are not comparable with neutral molecules and are left out (said so)."""
        if not any(p.kind == "additive" for p in parts):
            return {}
        if not self.descriptors:
            not_assessed.append("LUMO ordering (§4.1) not judged: computed descriptors are off (--no-descriptors)")
            return {}
        from lmakg.chemistry.descriptors import DescriptorError, compute

        out = {}
        for i, part in enumerate(parts):
            smiles = self.species[part.iri].smiles
            if "." in smiles or part.kind == "salt":
                if part.kind == "additive":
                    not_assessed.append(f"LUMO ordering of {part.written} not judged: a salt's isolated ions "
                                        "(GFN2-xTB, gas phase) do not compare with neutral solvents")
                continue
            try:
                value = compute(smiles).lumo_ev
            except DescriptorError as exc:
                not_assessed.append(f"LUMO of {part.written} not computed (GFN2-xTB): {exc}")
                continue
            if value is not None:
                out[i] = value
        return out

    def _regime(self) -> dict[str, Any]:
        for criterion in crit.criteria("regime"):
            rows = crit.run(self.store, criterion, self._iri)
            if rows:
                regime = criterion.regime or "lma:ConventionalElectrolyte"
                out = {"id": criterion.id, "regime": LMA_IRI + regime.removeprefix("lma:"), "label": criterion.label,
                       "reason": rows[0].get("reason", ""), **criterion.source()}
                if criterion.extra.get("mechanism"):
                    out["mechanism"] = criterion.extra["mechanism"].removeprefix("lma:")
                return out
        raise AssessError("no regime criterion holds (queries/assessment needs a fallback regime)")

    def _regime_consequences(self, parts: list[Any], found: dict[int, dict[str, dict[str, list[str]]]],
                             regime: dict[str, Any]) -> None:
        """The regime's mechanism, for the salts (whose anions it brings into the sheath), with the regime
        criterion as its reason."""
        for i, part in enumerate(parts):
            if part.kind == "salt":
                rules = found[i]["mechanisms"].setdefault(regime["mechanism"], [])
                if f"regime:{regime['id']}" not in rules:
                    rules.append(f"regime:{regime['id']}")

    def _score_terms(self) -> list[dict[str, Any]]:
        terms = []
        for kind in SCORE_KINDS:
            for criterion in crit.criteria(kind):
                rows = crit.run(self.store, criterion, self._iri)
                if not rows:
                    continue
                counted = rows[: max(criterion.cap, 0)]
                points = round(criterion.weight * len(counted), 3)
                terms.append({"kind": kind, "term": criterion.label, "points": points, "weight": criterion.weight,
                              "because": sorted({r.get("reason", "") for r in counted}), **criterion.source()})
        return terms

    def _design_parts(self, form: Formulation, amounts: Amounts, roles: dict[int, str]) -> list[dict[str, Any]]:
        out = []
        salts = [i for i, p in enumerate(form.parts) if p.kind == "salt"]
        salt_moles = sum(amounts.moles.get(str(i), 0.0) for i in salts)
        for i, part in enumerate(form.parts):
            molarity = None
            if part.kind == "salt" and part.unit == "mol/L":
                molarity = part.amount
            elif part.kind == "salt" and amounts.salt_molarity is not None and salt_moles:
                molarity = amounts.salt_molarity * amounts.moles.get(str(i), 0.0) / salt_moles
            out.append({"iri": part.iri, "role": roles[i], "molarity": molarity, "ions": self.ions.get(part.iri, [])})
        return out

    def _component(self, i: int, part: Any, role: str, amounts: Amounts, found: dict[str, dict[str, list[str]]],
                   checks: list[dict[str, Any]] | None) -> dict[str, Any]:
        sp = self.species[part.iri]
        out = {**sp.as_dict(), "written": part.written, "kind": part.kind, "role": role,
               "amount": {"asWritten": part.amount, "unit": part.unit},
               "moleFraction": amounts.as_dict()["moleFractions"].get(sp.id),
               "mechanisms": [{"id": m, "rules": r} for m, r in sorted(found["mechanisms"].items())],
               "seiProducts": [{"id": p, "rules": r} for p, r in sorted(found["products"].items())],
               "ruleTradeoffs": [{"id": t, "rules": r} for t, r in sorted(found["conflicts"].items())],
               "precedents": self._precedents(part.iri)}
        if checks:
            out["diluentRequirements"] = checks
        return out

    def _precedents(self, iri: str) -> list[dict[str, Any]]:
        """The review's designs that use this species: what it did *there* (never a claim about this formulation)."""
        designs: dict[str, dict[str, Any]] = {}
        for row in run_engine_query(self.store, "species-uses", species=f"<{iri}>"):
            if "designGraph" in row and user_graph_name(row["designGraph"].value) is not None:
                continue
            d = designs.setdefault(row["design"].value, {"design": local_name(row["design"].value), "roles": set(),
                                                         "mechanisms": set(), "section": None, "references": set()})
            d["roles"].add(local_name(row["role"].value))
            if "mechanism" in row:
                d["mechanisms"].add(local_name(row["mechanism"].value))
            if "sectionNumber" in row:
                d["section"] = row["sectionNumber"].value
            if "referenceNumber" in row:
                d["references"].add(int(row["referenceNumber"].value))
        return [{**d, "roles": sorted(d["roles"]), "mechanisms": sorted(d["mechanisms"]),
                 "references": sorted(d["references"])} for _k, d in sorted(designs.items())]


def _credited(checks: list[dict[str, Any]]) -> bool:
    """A solvent is credited as a diluent when no requirement failed and every necessary one is met."""
    return (not any(c["status"] == "failed" for c in checks)
            and all(c["status"] == "met" for c in checks if c["necessary"]))


def _could_be_diluent(checks: list[dict[str, Any]]) -> bool:
    return not any(c["status"] == "failed" for c in checks) and any(c["status"] == "met" for c in checks)
