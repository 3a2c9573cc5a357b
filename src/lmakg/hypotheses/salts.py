"""Salt hypotheses: every charge-balanced salt of a cation whose standard potential the graph holds with an
anion of the graph (and, where a screen names them with ``lma:screensIon``, of further cations such as Li+: the
review's Li-salt additives), added to the base electrolyte of a salt screen (``kg/curator/formulation-templates.ttl``)
at the concentration the review uses, and judged by the rules through ``lmakg predict`` (the Nernst and shielding
principles for the cation, alloy formation, the anion's SEI chemistry). Salts a design of the graph already uses
are left to the component hypotheses (a salt the graph only names, or lists in the component data, is screened).
A hypothesis's components are the salt and the screen's base electrolyte (marked ``base``), so the candidate
filters see the whole formulation (e.g. a salt that does not dissolve in the base's solvents).
"""

from __future__ import annotations

from math import gcd
from typing import Any

from lmakg.chemistry import structures as chem
from lmakg.hypotheses.model import Hypothesis
from lmakg.knowledge.queries import run_engine_query
from lmakg.knowledge.store import KnowledgeStore
from lmakg.knowledge.vocab import local_name
from lmakg.reasoning.evidence import ScoreModel, prediction_evidence, score_evidence


def _salts(rows: list[dict[str, Any]]) -> list[tuple[str, str, str, str]]:
    """(cation IRI, anion IRI, salt SMILES, name) for every charge-balanced pair."""
    ions: dict[str, list[tuple[str, str, int]]] = {"cation": [], "anion": []}
    for row in rows:
        if "ion" not in row:
            continue
        smiles = row["smiles"].value
        try:
            charge = chem.formal_charge(smiles)
        except chem.ChemistryError:
            continue
        entry = (row["ion"].value, smiles, charge)
        wanted = (row["kind"].value == "cation" and charge > 0) or (row["kind"].value == "anion" and charge < 0)
        if wanted and entry not in ions[row["kind"].value]:
            ions[row["kind"].value].append(entry)
    out = []
    for cation, c_smiles, zc in sorted(ions["cation"]):
        for anion, a_smiles, za in sorted(ions["anion"]):
            n = gcd(zc, -za)
            n_cation, n_anion = -za // n, zc // n
            smiles = ".".join([c_smiles] * n_cation + [a_smiles] * n_anion)
            out.append((cation, anion, smiles, f"{local_name(cation).removesuffix('-cation')}"
                        f"{local_name(anion).removesuffix('-anion')}"))
    return out


def salt_hypotheses(store: KnowledgeStore, rules: dict[str, dict[str, Any]], family_of: dict[str, str],
                    known_keys: set[str], model: ScoreModel, store_location: str | None = None,
                    progress: Any = None, only: set[str] | None = None, assessor: Any = None) -> list[Hypothesis]:
    """``rules``: rule IRI -> metadata (confidence, label, principle, section); ``family_of``: mechanism local
    name -> family; ``known_keys``: InChIKeys of species the graph's designs use; ``only``: salt names to try (all
    if None); ``assessor``: a warm :class:`~lmakg.formulations.assess.Assessor` (its predictor judges the salts,
    its parser reads the base electrolytes); one is made over ``store_location`` if not given."""
    from lmakg.chemistry.candidates import Candidate
    from lmakg.formulations.assess import Assessor

    rows = run_engine_query(store, "salt-screen")
    screens = {row["screen"].value: (row["text"].value, float(row["concentration"].value))
               for row in rows if "screen" in row}
    salts = []
    for cation, anion, smiles, name in _salts(rows):
        try:
            key = chem.inchikey(smiles)
        except chem.ChemistryError:
            continue
        if key not in known_keys and (only is None or name in only):
            salts.append((cation, anion, smiles, name, key))
    by_rule = {local_name(r): info for r, info in rules.items()}
    out = []
    if not salts or not screens:
        return out
    assessor = assessor or Assessor(store_location)
    for screen, (electrolyte, concentration) in sorted(screens.items()):
        if progress:
            progress(f"judging {len(salts)} new salts in {electrolyte} with the rules")
        base = assessor.base_components(electrolyte)
        candidates = [Candidate(smiles=s, name=n, role="additive", concentration=concentration, electrolyte=electrolyte)
                      for _c, _a, s, n, _k in salts]
        results = assessor.predictor.predict_many(candidates)
        for (cation, anion, smiles, name, key), result in zip(salts, results, strict=True):
            if "error" in result:
                continue
            evidence = prediction_evidence(result["mechanisms"], by_rule, model)
            excluded = {r["mechanism"] for r in result.get("ruledOut", [])}
            tradeoffs = [{"id": t, "label": t, "statement": "inferred by a conflict rule", "section": None,
                          "references": [], "source": "rules/conflicts.ttl", "how": "predict"}
                         for t in result["conflicts"]]
            families, score = score_evidence(family_of, evidence, tradeoffs, model, excluded)
            counted = {k: v for k, v in families.items() if v["counted"]}
            if len(counted) < 2:
                continue
            out.append(Hypothesis(
                id=f"H-salt-{name}", kind="salt",
                label=f"{name} ({smiles}) at {concentration:g} M in {electrolyte}",
                components=[{"id": name, "label": name, "smiles": smiles, "inchiKey": key, "role": "Additive"}, *base],
                families=counted, tradeoffs=tradeoffs,
                excluded=[{"mechanism": r["species"] + ": " + r["mechanism"], "reason": "ruled out by a principle"}
                          for r in result.get("ruledOut", [])],
                novel=True, score=score, pattern=local_name(screen), members={cation, anion}))
    return out
