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
from typing import Any

from lmakg.chemistry import structures as chem
from lmakg.chemistry.candidates import (
    CANDIDATE_GRAPH,
    NOT_ASSESSED,
    USER_NS,
    Annotator,
    Candidate,
    PredictionInputError,
    candidate_turtle,
    known_species,
)
from lmakg.knowledge.store import KnowledgeStore, StoreError
from lmakg.knowledge.vocab import LMA_IRI, local_name
from lmakg.reasoning.context import PREDICTED, all_designs, holding, prefetch


class Predictor:
    """Judges candidates against one reasoned graph kept warm in memory.

    Why: reasoning over the whole review takes about half a second; judging one more species should cost
    a fraction of that. The predictor reasons over the graph once (or copies a store that `lmakg build
    --store` already reasoned over into memory), remembers every rule solution of the closed graph, and
    judges each batch of candidates in a scratch pad (:meth:`KnowledgeStore.scratch`): the candidates'
    facts, perceptions, inferences and derivations are added, the rules run incrementally (only solutions
    that involve something new are instantiated), the results are read, and everything added is undone.
    Nothing is ever written to a persistent store. Candidates of one batch sit in their own designs.
    ``annotate`` (e.g. :func:`lmakg.hypotheses.joins.joined_hypotheses`) is asked, while the candidates are in
    the reasoned graph, what the layers above make of them; its answer is each result's ``hypotheses``.
    Not thread-safe.
    """

    def __init__(self, store: str | KnowledgeStore | None = None, progress: Any = None,
                 annotate: Annotator | None = None, annotate_key: Any = None) -> None:
        from lmakg.chemistry.materialize import materialize, open_knowledge
        from lmakg.knowledge.store import open_store
        from lmakg.reasoning.engine import rule_firings
        from lmakg.reasoning.rules import load_rules

        say = progress or (lambda _m: None)
        self.rules = load_rules()
        # a reasoned store of this process (never written to) or a store location: copied into memory
        if store is not None and store != "":
            say(f"copying the reasoned store {store if isinstance(store, str) else ''} into memory")
            source = store if isinstance(store, KnowledgeStore) else open_knowledge(store)
            self.store = open_store()
            self.store.load_dataset(source.dump("nquads"))
            del source
            self.fired = rule_firings(self.store, self.rules)
        else:
            say("loading and reasoning over the packaged graph")
            self.store = open_knowledge(None, reason=False)
            self.fired = materialize(self.store, self.rules).fired
        self.known = known_species(self.store)
        self._evidence = _supporting_index(self.store)
        self.annotate = annotate
        # what ``annotate`` reads of a structure (SMILES) beyond the graph's facts, for screening's shared
        # judgements (:mod:`lmakg.chemistry.memo`); None when it reads nothing more
        self.annotate_key = annotate_key
        self.location = store

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
            batch = candidates[begin:begin + chunk]
            results.extend(self.judge(batch, [f"c{begin + i + 1}-" for i in range(len(batch))], explain))
            if progress:
                progress(len(results))
        return results

    def judge(self, batch: list[Candidate], tags: list[str], explain: bool = False) -> list[dict[str, Any]]:
        """Judge one batch together (one scratch pad, one incremental run of the rules); ``tags`` keep the
        IRIs of the candidates apart (``predict_many`` uses ``c<position>-``)."""
        from lmakg.chemistry.perceive import perceive
        from lmakg.reasoning.engine import infer

        store = self.store
        placed: list[tuple[Candidate, str, list[str], str] | None] = []
        errors: dict[int, str] = {}
        out: list[dict[str, Any]] = []
        with store.scratch(CANDIDATE_GRAPH):
            for i, c in enumerate(batch):
                try:
                    turtle, species, ions = candidate_turtle(c, store, self.known, tag=tags[i])
                    store.load_turtle(turtle, graph=CANDIDATE_GRAPH)
                    placed.append((c, species, ions, design_of(turtle)))
                except PredictionInputError as exc:
                    errors[i] = str(exc)
                    placed.append(None)
                except StoreError as exc:  # e.g. a character RDF cannot carry in a name
                    errors[i] = f"cannot place candidate {c.name or c.smiles!r}: {exc}"
                    placed.append(None)
            new_nodes = {n for p in placed if p for n in (p[1], *p[2]) if n.startswith(USER_NS)}
            if new_nodes:
                perceive(store, subjects=new_nodes, provenance_for=None if explain else READ_PROVENANCE)
            infer(store, self.rules, incremental=True, fired=self.fired,
                  provenance_for=None if explain else READ_PROVENANCE)
            designs = all_designs(store)
            derivations: dict[str, list[Any]] = {}  # by subject, for this batch (the graph no longer changes)
            prefetch(store, [n for e in placed if e for n in (e[1], *e[2], e[3])], derivations, CONTEXT_PREDICATES)
            split: dict[str, tuple[list[Any], dict[str, list[Any]]]] = {}
            judged = [p for p in placed if p]
            notes = (self.annotate(store, [{p[1], *p[2]} for p in judged], new_nodes)
                     if self.annotate and judged else [None] * len(judged))
            annotations = iter(notes)
            facts = _facts(store, {n for e in placed if e for n in (e[1], *e[2])})
            for i, entry in enumerate(placed):
                if entry is None:
                    out.append({"input": _input(batch[i]), "error": errors[i]})
                    continue
                c, species, ions, design = entry
                own = {}
                for subject in {species, *ions, design}:
                    if subject not in split:
                        split[subject] = by_design(derivations[subject], designs)
                    free, bound = split[subject]
                    own[subject] = free + bound.get(design, [])
                in_context = holding(store, design, [species, *ions], designs, predicates=CONTEXT_PREDICATES,
                                     cache=own)
                out.append(_report(store, c, species, ions, next(annotations), self._evidence, explain, in_context,
                                   facts))
        return out


def by_design(rows: list[dict[str, Any]], designs: set[str]) -> tuple[list[Any], dict[str, list[Any]]]:
    """Derivation rows of one subject (``conclusion-derivations``, one row per premise) split for
    :func:`holding`: (rows of derivations with no premise about a design, {design: rows of derivations whose
    premises name that design only}). A derivation with premises about two designs holds in neither and is left
    out. Exact: :func:`holding` in design D rejects every derivation with a premise about another design before
    anything else, so handing it only the free rows and D's gives the same answer; but a known ion shared by a
    batch (Rb+ in 32 salts) no longer costs every candidate the derivations of all the others."""
    named: dict[str, set[str]] = {}
    for row in rows:
        if "ps" in row and row["ps"].value in designs:
            named.setdefault(row["derivation"].value, set()).add(row["ps"].value)
    free: list[Any] = []
    bound: dict[str, list[Any]] = {}
    for row in rows:
        found = named.get(row["derivation"].value)
        if not found:
            free.append(row)
        elif len(found) == 1:
            bound.setdefault(next(iter(found)), []).append(row)
    return free, bound


def design_of(turtle: str) -> str:
    """The IRI of the design a candidate's Turtle (:func:`candidate_turtle`) places it in."""
    found = re.search(r"<([^>]*-design)> a lma:Design", turtle)
    return found.group(1) if found else ""


def in_context(store: Any, turtle: str, species: str, ions: list[str]) -> dict[tuple[str, str, str], list[str]]:
    """The conclusions about a candidate that hold in its own design (after the rules ran)."""
    return holding(store, design_of(turtle), [species, *ions], all_designs(store), predicates=CONTEXT_PREDICATES)


# conclusions reported only where they hold in the candidate's own design: mechanisms, products, and derived
# values (a Nernst potential of Rb+ computed for another design's concentration is not this candidate's)
CONTEXT_LOCAL = ("predictedMechanism", "predictedProduct", "ruledOut", "hasConflict")
CONTEXT_PREDICATES = tuple(LMA_IRI + p for p in (*CONTEXT_LOCAL, "hasQuantity"))
# the conclusions whose derivations a judgement without explanations reads: context.holding (the predicates
# above and, through premises, the predicted ones), predictions-of.rq and the hypotheses (predicted-evidence.rq,
# derivation-designs.rq); an explanation walks every premise, so it records them all
READ_PROVENANCE = frozenset({*CONTEXT_PREDICATES, *PREDICTED})


def _input(c: Candidate) -> dict[str, Any]:
    return {"smiles": c.smiles, "name": c.name, "role": c.role or "additive", "concentration": c.concentration,
            "electrolyte": c.electrolyte, "properties": c.properties}


def _report(store: Any, c: Candidate, species: str, ions: list[str], hypotheses: list[dict[str, Any]] | None,
            evidence: dict[tuple[str, str], list[dict[str, Any]]], explain: bool,
            in_context: dict[tuple[str, str, str], list[str]],
            facts: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Read one candidate's predictions back from the reasoned store (``facts``, :func:`_facts`, read here when not
    given): mechanisms and products only where they hold in the candidate's own design (``in_context``,
    :func:`lmakg.reasoning.context.holding`), never because another design uses the same species."""
    from lmakg.reasoning.explain import explain_mechanism

    subjects = [species, *ions]
    facts = _facts(store, set(subjects)) if facts is None else facts
    out: dict[str, Any] = {"input": _input(c), "species": species, "inchiKey": chem.inchikey(c.smiles),
                           "formalCharge": chem.formal_charge(c.smiles)}
    out["elements"] = sorted({e for s in subjects for e in facts[s]["containsElement"]})
    out["features"] = sorted(facts[species]["hasFunctionalGroup"])
    out["fMassFraction"] = round(chem.mass_fraction(c.smiles, "F"), 4)
    rules_of: dict[tuple[str, str], set[str]] = {}
    forms, conflicts, ruled_out = set(), set(), set()
    for s in subjects:
        for row in facts[s]["predictions"]:
            p, o = local_name(row["p"].value), row["o"].value
            if p in CONTEXT_LOCAL and (s, row["p"].value, o) not in in_context:
                continue
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
                      for s in subjects for r in facts[s]["derived"]
                      if (s, LMA_IRI + "hasQuantity", r["q"].value) in in_context]
    notes = [text for kind, text in NOT_ASSESSED.items() if kind not in c.properties]
    if any(chem.formal_charge(f) > 0 for f in c.smiles.split(".")) and c.concentration is None:
        notes.append("no concentration given: the Nernst potential (Eq. 1) and shielding were not assessed")
    if (c.role or "").lower() == "diluent" and not any(m["id"] == "AnionRichSolvation" for m in mechanisms):
        notes.append("role 'diluent' not credited with anion-rich solvation: the section 5.1 diluent requirements "
                     "(dielectric constant and donor number at most 10; a diluent family, a recorded use as diluent "
                     "or a low donor number) are failed or cannot be judged from the data (rules/solvation.ttl)")
    out["notAssessed"] = notes
    if hypotheses is not None:
        out["hypotheses"] = hypotheses
    return canonical_order(out)


def canonical_order(result: dict[str, Any]) -> dict[str, Any]:
    """Sort a result's lists by their content (names included), so the order never depends on the store's
    internal order or on which IRIs a candidate was given: derived values by (of, kind, rule, value, unit),
    hypotheses best first (score, then id). :mod:`lmakg.chemistry.memo` re-sorts after renaming."""
    result["mechanisms"] = sorted(result["mechanisms"], key=lambda m: (m["id"], m["of"]))
    result["ruledOut"] = sorted(result["ruledOut"], key=lambda r: (r["species"], r["mechanism"]))
    result["derived"] = sorted(result["derived"], key=lambda d: (d["of"], d["kind"], d["rule"], d["value"], d["unit"]))
    if isinstance(result.get("hypotheses"), list) and all(isinstance(h, dict) and "score" in h and "id" in h
                                                          for h in result["hypotheses"]):
        result["hypotheses"] = sorted(result["hypotheses"], key=lambda h: (-h["score"], h["id"]))
    return result


def predict(c: Candidate, store: str | None = None) -> dict[str, Any]:
    """Predictions for one candidate, as a JSON-ready dict: input, species, inchiKey, formalCharge,
    elements, features, fMassFraction, mechanisms (id, of, rules, supportingDesigns, explanation), forms,
    ruledOut, conflicts, derived values, notAssessed. Raises PredictionInputError on bad input."""
    result = Predictor(store).predict(c, explain=True)
    if "error" in result:
        raise PredictionInputError(result["error"])
    return result


def predict_many(candidates: list[Candidate], store: str | None = None, progress: Any = None,
                 explain: bool = False) -> list[dict[str, Any]]:
    """Predictions for many candidates in one warm predictor (see :class:`Predictor`)."""
    return Predictor(store).predict_many(candidates, explain=explain, progress=progress)


def _facts(store: Any, subjects: set[str]) -> dict[str, dict[str, Any]]:
    """What :func:`_report` reads of each subject, by subject: its predictions (``predictions-of``), derived values
    (``derived-values``) and the local names of its elements and functional groups (``node-values``); one query
    each for a whole batch (an ion such as PF6- shared by many candidates is read once)."""
    from lmakg.knowledge.queries import engine_query, with_values

    out: dict[str, dict[str, Any]] = {s: {"predictions": [], "derived": [], "containsElement": set(),
                                          "hasFunctionalGroup": set()} for s in subjects}
    if not subjects:
        return out
    nodes = {"node": [f"<{s}>" for s in sorted(subjects)]}
    for row in store.select(with_values(engine_query("predictions-of"), nodes)):
        out[row["node"].value]["predictions"].append(row)
    for row in store.select(with_values(engine_query("derived-values"), nodes)):
        out[row["node"].value]["derived"].append(row)
    for row in store.select(with_values(engine_query("node-values"), nodes)):
        out[row["node"].value][local_name(row["p"].value)].add(local_name(row["o"].value))
    return out


def _supporting_index(store: Any) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """(mechanism IRI, rule id) -> curated designs whose species the review credits with the mechanism and
    the rule predicts: the review's own precedent for a prediction. Built once per predictor."""
    from lmakg.knowledge.queries import engine_query, run_engine_query, with_values

    found: dict[tuple[str, str], dict[str, set[int]]] = {}
    predicted = [row for row in run_engine_query(store, "predicted-evidence")
                 if not row["subject"].value.startswith(USER_NS)]
    uses: dict[str, list[dict[str, Any]]] = {row["subject"].value: [] for row in predicted}
    if uses:  # the uses of every predicted subject in one query
        for use in store.select(with_values(engine_query("species-uses"), {"species": [f"<{s}>" for s in uses]})):
            uses[use["species"].value].append(use)
    for row in predicted:
        subject, mechanism = row["subject"].value, row["mechanism"].value
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


__all__ = ["Candidate", "PredictionInputError", "Predictor", "predict", "predict_many"]
