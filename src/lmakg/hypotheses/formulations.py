"""Formulation hypotheses: candidates tried in the review's own base electrolytes and judged as wholes.

Each template of ``kg/curator/formulation-templates.ttl`` (a base electrolyte of one of the review's designs
with an ``{additive}`` or ``{diluent}`` slot) is filled with every species recorded or used in that role, less
those the candidate filters exclude, and the formulation is judged by ``lmakg assess``
(:mod:`lmakg.formulations.assess`): regime, mechanisms and SEI products *in this formulation*, trade-offs and
the assess score. The hypothesis's families come from the mechanisms the rules conclude in the formulation (its
explanation), scored like every kind, plus the assess-score gain over the template's base electrolyte without the
candidate (``lma:baseElectrolyteText``): the formulation's predicted improvement in Li reversibility by the
review's principles (regime, SEI formers, trade-offs), weighed by the evidence score model's ``lma:assessWeight``.
"""

from __future__ import annotations

from typing import Any

from lmakg.chemistry import structures as chem
from lmakg.hypotheses.filters import Filter, caught
from lmakg.hypotheses.model import Hypothesis
from lmakg.knowledge.queries import run_engine_query
from lmakg.knowledge.store import KnowledgeStore
from lmakg.knowledge.vocab import local_name
from lmakg.reasoning.evidence import Evidence, ScoreModel, family_table

SLOTS = {"Additive": "{additive}", "Diluent": "{diluent}"}


def formulation_hypotheses(store: KnowledgeStore, family: Any, filters: list[Filter], cards: dict[str, Any],
                           rules: dict[str, dict[str, Any]], model: ScoreModel, store_location: str | None = None,
                           progress: Any = None, assessor: Any = None,
                           species_tradeoffs: Any = None) -> list[Hypothesis]:
    """``rules``: rule IRI -> metadata (its ``confidence`` weighs the evidence, as for every kind); ``assessor``: a
    warm :class:`~lmakg.formulations.assess.Assessor` to share (one is made over ``store_location`` if not given);
    ``species_tradeoffs(iri)``: the trade-offs the graph attaches to the candidate species itself (the review's, e.g.
    TFEB's electron-deficient boron and NCM811, or a conflict rule's), carried into every formulation using it."""
    from lmakg.formulations.assess import AssessError, Assessor

    say = progress or (lambda _m: None)
    templates: dict[str, dict[str, Any]] = {}
    for row in run_engine_query(store, "formulation-templates"):
        t = templates.setdefault(row["template"].value, {"text": row["text"].value, "role": local_name(
            row["role"].value), "section": row.get("sectionNumber") and row["sectionNumber"].value,
            "base": row["base"].value if "base" in row else None,
            "references": set(), "species": set()})
        if "referenceNumber" in row:
            t["references"].add(int(row["referenceNumber"].value))
        t["species"].add(row["species"].value)
    confidence = {local_name(r): info["confidence"] for r, info in rules.items()}
    rule_info = {local_name(r): info["label"] for r, info in rules.items()}
    say("judging formulation hypotheses with lmakg assess")
    assessor = assessor or Assessor(store_location)
    tried: list[tuple[str, str, str]] = []  # (template IRI, species IRI, text)
    for iri, t in sorted(templates.items()):
        slot = SLOTS.get(t["role"])
        for species in sorted(t["species"]):
            card = {**cards.get(species, {"id": local_name(species)}), "role": t["role"]}
            name = assessor.names.written_name(species)
            if slot is None or slot not in t["text"] or name is None or "smiles" not in card:
                continue
            if chem.formal_charge(card["smiles"]) != 0:  # a lone ion is not something one weighs into a bottle
                continue
            if any(f.action == "exclude" and not f.vetoes and caught(f, [card]) for f in filters):
                continue
            if any((species, t["role"]) in f.vetoes for f in filters):  # a use the review reports as a failure
                continue
            tried.append((iri, species, t["text"].replace(slot, name)))
    bases = sorted({t["base"] for t in templates.values() if t["base"]})  # judged in the same run of the rules
    results = assessor.assess_many([text for _t, _s, text in tried] + bases)
    results, base_results = results[:len(tried)], results[len(tried):]
    base_score = {b: r["score"] for b, r in zip(bases, base_results, strict=True) if not isinstance(r, AssessError)}
    out = []
    for (template, species, text), result in zip(tried, results, strict=True):
        if isinstance(result, AssessError):
            continue
        evidence = [Evidence("rule", m["id"], confidence[rule], rule=rule, rule_label=f"{rule_info[rule]} (in {text})",
                             via=c["id"], section=templates[template]["section"])
                    for c in result["components"] for m in c["mechanisms"] for rule in m["rules"] if rule in confidence]
        families = {k: v for k, v in family_table(family, evidence, set(), model).items() if v["counted"]}
        if len(families) < 2:
            continue
        tradeoffs = [{"id": t["criterion"], "label": t["term"], "statement": "; ".join(t["because"]),
                      "section": t.get("section"), "references": t.get("references", []), "how": "lmakg assess"}
                     for t in result["tradeoffs"]]
        seen = {t["id"] for t in tradeoffs}
        tradeoffs += [t for t in (species_tradeoffs(species) if species_tradeoffs else []) if t["id"] not in seen]
        components = [{"id": c["id"], "label": c["label"], "smiles": c["smiles"], "role": c["role"]}
                      for c in result["components"]]
        h = Hypothesis(id=f"H-form-{local_name(template).removeprefix('template-')}--{local_name(species)}",
                       kind="formulation", label=text, components=components, families=families,
                       tradeoffs=tradeoffs, excluded=[], novel=True, score=0.0,
                       pattern=local_name(template), members={species})
        base = templates[template]["base"]
        if base in base_score:
            h.assess_gain = result["score"] - base_score[base]
        h.assessment = {"score": result["score"], "regime": result["regime"]["id"], "base": base,
                        "baseScore": base_score.get(base), "breakdown": result["scoreBreakdown"] + result["tradeoffs"],
                        "notAssessed": result["notAssessed"]}
        out.append(h)
    return out
