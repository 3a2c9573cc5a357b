"""Ranked, explained multifunctional design hypotheses.

Two kinds, both built from the inferred graph (``lmakg.reasoning.engine``) and the curated graph:

* **component** — a species of the graph that acts through two or more mechanism *families*, counting
  the review's own attributions and the rules' predictions (including species the review never calls
  multifunctional);
* **combination** — a new pairing minted by a pattern rule in ``rules/combinations.ttl`` (a shielding
  cation with an SEI-forming anion, a fluoride of a Li-alloying metal, ...);
* **molecule** (only when asked for, ``kinds``) — a new structure made from a review species by one of the
  review's design moves (``kg/design-moves.ttl``) and judged by the rules (``lmakg.chemistry.design``). Not in the
  default because judging new structures means reasoning over them (seconds, not milliseconds).

Scoring (also in the README; the numbers are data, kg/curator/evidence-weights.ttl, read by
:class:`lmakg.reasoning.evidence.ScoreModel`):

* each piece of evidence for a mechanism family has a weight: the review's own attribution of the mechanism to
  the species in a design (1.0), else the rule's ``lma:confidence``;
* family strength = highest weight + a bonus per further independent piece of evidence (0.1, at most 0.3);
* a family counts only if its strength reaches the abstention threshold (0.6): weak support abstains;
* score = pattern confidence (1 but for combination hypotheses) x sum of counted family strengths
  - 0.15 per distinct trade-off that applies (at most three) + 0.5 x the assess-score gain of the hypothesis's
  formulation over its base electrolyte (formulation kind; the other kinds: not judged, nothing added);
* a hypothesis needs two counted families; a mechanism a principle rules out for a part (lma:ruledOut)
  is never proposed (the hypothesis drops it, and a combination built on it is dropped).

Output is deterministic: sorted by score (descending), then by evidence quality, then id.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from lmakg.hypotheses.experiments import ExperimentalTests
from lmakg.hypotheses.filters import caught, load_filters, vetoed_designs
from lmakg.hypotheses.formulations import formulation_hypotheses
from lmakg.hypotheses.model import Hypothesis
from lmakg.hypotheses.molecules import molecule_hypotheses
from lmakg.hypotheses.precedents import Precedents
from lmakg.hypotheses.salts import salt_hypotheses
from lmakg.knowledge.queries import run_engine_query
from lmakg.knowledge.store import KnowledgeStore
from lmakg.knowledge.terms import TRUE
from lmakg.knowledge.vocab import USER_GRAPHS, local_name
from lmakg.reasoning.evidence import Evidence, ScoreModel, family_table, rule_metadata, tradeoff_penalty


class _Context:
    """Everything the generator reads from the store, fetched once."""

    def __init__(self, store: KnowledgeStore, filters: list[Any] | None = None) -> None:
        self.model = ScoreModel.from_store(store)
        self.family_of: dict[str, str] = {}
        self.labels: dict[str, str] = {}
        for row in run_engine_query(store, "mechanism-families"):
            self.family_of[row["mechanism"].value] = local_name(row["family"].value)
        self.family_by_mechanism = {local_name(m): f for m, f in self.family_of.items()}
        self.rules = rule_metadata(store, self.model)
        self.design_info: dict[str, dict[str, Any]] = {}
        for row in run_engine_query(store, "design-references"):
            info = self.design_info.setdefault(row["design"].value, {"refs": set(), "section": None})
            if "referenceNumber" in row:
                info["refs"].add(int(row["referenceNumber"].value))
            if "sectionNumber" in row:
                info["section"] = row["sectionNumber"].value
            info["label"] = row["label"].value if "label" in row else local_name(row["design"].value)
            info["multifunctional"] = "multifunctional" in row and row["multifunctional"].value in TRUE
        self.refs_by_design = {local_name(d): info["refs"] for d, info in self.design_info.items()}
        self.cards: dict[str, dict[str, Any]] = {}
        for row in run_engine_query(store, "species-cards"):
            card = self.cards.setdefault(row["species"].value, {"id": local_name(row["species"].value)})
            for key in ("label", "smiles", "inchiKey"):
                if key in row:
                    card.setdefault(key, row[key].value)
        self.user_designs: set[str] = set()  # designs of users' additions: their references are not the review's
        self.roles: dict[str, set[str]] = defaultdict(set)
        roles_by_design: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self.curated: dict[str, list[Evidence]] = defaultdict(list)
        self.design_species: dict[str, set[str]] = defaultdict(set)
        for row in run_engine_query(store, "species-uses"):
            species, design = row["species"].value, row["design"].value
            self.roles[species].add(local_name(row["role"].value))
            roles_by_design[species][local_name(design)].add(local_name(row["role"].value))
            self.design_species[design].add(species)
            graph = row["designGraph"].value if "designGraph" in row else ""
            if graph.startswith(USER_GRAPHS):
                self.user_designs.add(local_name(design))
            if "mechanism" in row:
                info = self.design_info.get(design, {})
                if graph.startswith(USER_GRAPHS):  # a user's addition speaks for the user, never for the review
                    self.curated[species].append(Evidence(
                        "user", local_name(row["mechanism"].value), self.model.user,
                        designs=[local_name(design)], via=f"user: {graph.removeprefix(USER_GRAPHS)}"))
                    continue
                self.curated[species].append(Evidence(
                    "review", local_name(row["mechanism"].value), self.model.review, designs=[local_name(design)],
                    section=info.get("section"), references=sorted(info.get("refs", set()))))
        derivation_designs: dict[str, list[str]] = defaultdict(list)
        for row in run_engine_query(store, "derivation-designs"):
            derivation_designs[row["derivation"].value].append(local_name(row["design"].value))
        self.predicted: dict[str, list[Evidence]] = defaultdict(list)
        # in derivation order: a server returns the rows in another order than the embedded store
        for row in sorted(run_engine_query(store, "predicted-evidence"), key=lambda r: r["derivation"].value):
            rule = self.rules.get(row["rule"].value, {"confidence": self.model.default_confidence,
                                                      "label": local_name(row["rule"].value)})
            designs = sorted(set(derivation_designs.get(row["derivation"].value, [])))
            refs = sorted({r for d in designs for r in self._refs(d)})
            self.predicted[row["subject"].value].append(Evidence(
                "rule", local_name(row["mechanism"].value), rule["confidence"], rule=local_name(row["rule"].value),
                rule_label=rule["label"], principle=rule.get("principle"), principle_label=rule.get("principleLabel"),
                section=rule.get("section"), designs=designs, references=refs, derivation=row["derivation"].value))
        self.ruled_out: dict[str, set[str]] = defaultdict(set)
        for row in run_engine_query(store, "ruled-out"):
            self.ruled_out[row["subject"].value].add(local_name(row["mechanism"].value))
        self.conflicts: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        # "review" before "rule" where both attach a trade-off (a server returns the rows in another order)
        for row in sorted(run_engine_query(store, "conflicts"), key=lambda r: r["how"].value):
            entry = self.conflicts[row["subject"].value].setdefault(row["tradeoff"].value, {
                "id": local_name(row["tradeoff"].value),
                "label": row["label"].value if "label" in row else local_name(row["tradeoff"].value),
                "statement": row["statement"].value if "statement" in row else "",
                "section": row["sectionNumber"].value if "sectionNumber" in row else None,
                "references": set(), "how": row["how"].value})
            if "referenceNumber" in row:
                entry["references"].add(int(row["referenceNumber"].value))
        self.filters = load_filters(store) if filters is None else filters  # given: loaded once by the caller
        self.vetoed = vetoed_designs(self.filters, roles_by_design)
        self.vetoed_hypotheses: list[dict[str, Any]] = []  # proposed only through a vetoed use: not proposed
        self.fluorides: dict[str, list[str]] = defaultdict(list)
        for row in run_engine_query(store, "element-compounds"):
            self.fluorides[row["metal"].value].append(row["species"].value)

    def _refs(self, design_local: str) -> set[int]:  # a user's design cites none of the review's references
        return set() if design_local in self.user_designs else self.refs_by_design.get(design_local, set())

    def evidence_of(self, species: str, excluded: list[dict[str, Any]] | None = None) -> list[Evidence]:
        """The review's and the rules' evidence for a species, less what comes only from a use the review
        reports as a failure (a veto of kg/curator/filters.ttl); what was dropped is noted in ``excluded``."""
        vetoed = self.vetoed.get(species, {})
        kept = []
        for item in self.curated.get(species, []) + self.predicted.get(species, []):
            if item.designs and set(item.designs) <= set(vetoed):
                f = vetoed[item.designs[0]]
                note = {"mechanism": item.mechanism, "reason": f"{f.label} ({f.source})", "filter": f.id}
                if excluded is not None and note not in excluded:
                    excluded.append(note)
                continue
            kept.append(item)
        return kept

    def family(self, mechanism_local: str) -> str | None:
        return self.family_by_mechanism.get(mechanism_local)

    def component_card(self, species: str, role: str | None = None) -> dict[str, Any]:
        card = dict(self.cards.get(species, {"id": local_name(species)}))
        card.setdefault("label", card["id"])
        roles = sorted(self.roles.get(species, set()) - {"BaseElectrolyteComponent"})
        failed = {r for f in self.filters for s, r in f.vetoes if s == species}  # a use the review reports failed
        proposed = [r for r in roles if r not in failed]
        card["role"] = role or (proposed[0] if proposed else None)
        if roles:
            card["rolesInReview"] = roles
        return card

    def tradeoffs_of(self, *subjects: str) -> list[dict[str, Any]]:
        merged: dict[str, dict[str, Any]] = {}
        for subject in subjects:
            for tid, entry in self.conflicts.get(subject, {}).items():
                merged.setdefault(tid, {**entry, "references": sorted(entry["references"])})
        return sorted(merged.values(), key=lambda t: t["id"])


def _component_hypotheses(ctx: _Context, only: set[str] | None = None) -> list[Hypothesis]:  # only: these species
    out = []
    for species in sorted(set(ctx.curated) | set(ctx.predicted)):
        if species not in ctx.cards or (only is not None and species not in only):
            continue  # designs carry predictions too; hypotheses are about species
        excluded = ctx.ruled_out.get(species, set())
        vetoes: list[dict[str, Any]] = []
        families = family_table(ctx.family, ctx.evidence_of(species, vetoes), excluded, ctx.model)
        counted = {k: v for k, v in families.items() if v["counted"]}
        if len(counted) < 2:
            if vetoes:  # would it have been proposed without the use the review reports as a failure?
                unvetoed = family_table(ctx.family, ctx.curated.get(species, []) + ctx.predicted.get(species, []),
                                        excluded, ctx.model)
                if sum(v["counted"] for v in unvetoed.values()) >= 2:
                    ctx.vetoed_hypotheses.append({"id": f"H-{local_name(species)}", "label": species, "filters": [
                        {"filter": v["filter"], "label": v["reason"], "caught": v["mechanism"],
                         "reason": v["reason"], "source": ""} for v in vetoes]})
            continue
        reported = [k for k, v in counted.items() if v["reportedByReview"]]
        tradeoffs = ctx.tradeoffs_of(species)
        card = ctx.component_card(species)
        out.append(Hypothesis(
            id=f"H-{card['id']}", kind="component",
            label=f"{card.get('label', card['id'])} acting through {' + '.join(sorted(counted))}",
            components=[card], families=counted, tradeoffs=tradeoffs,
            excluded=[{"mechanism": m, "reason": "ruled out by a principle (lma:ruledOut)"} for m in sorted(excluded)]
            + vetoes,
            novel=len(reported) < 2, score=0.0, members={species}))
    return out


def _combination_hypotheses(ctx: _Context, store: KnowledgeStore, only: set[str] | None = None) -> list[Hypothesis]:
    rows = run_engine_query(store, "combination-hypotheses")
    grouped: dict[str, dict[str, Any]] = {}
    for row in rows:
        h = grouped.setdefault(row["h"].value, {"pattern": row["pattern"].value, "parts": set(), "elements": set(),
                                                "groups": set(), "mechanisms": set(), "products": set(),
                                                "label": row["patternLabel"].value if "patternLabel" in row else "",
                                                "statement": row["statement"].value if "statement" in row else ""})
        for key, var in (("parts", "part"), ("elements", "element"), ("groups", "group"), ("products", "product")):
            if var in row:
                h[key].add(row[var].value)
        h["mechanisms"].add(local_name(row["mechanism"].value))
    pattern_rules = {local_name(r).replace("combine-", "pattern-"): info for r, info in ctx.rules.items()
                     if local_name(r).startswith("combine-")}
    out = []
    for iri, h in sorted(grouped.items()):
        if only is not None and not (h["parts"] | h["elements"]
                                     | {s for m in h["elements"] for s in ctx.fluorides.get(m, [])}) & only:
            continue  # no node of ``only`` can be a member (below: parts, elements, fluorides of those metals)
        parts = sorted(h["parts"])
        blocked = [m for m in h["mechanisms"] for p in parts if m in ctx.ruled_out.get(p, set())]
        if blocked:
            continue
        evidence: list[Evidence] = []
        for mechanism in sorted(h["mechanisms"]):
            # a mechanism is carried by a part, or by an SEI product the pattern expects (LiF's modulus)
            for part in parts + sorted(h["products"]):
                for item in ctx.evidence_of(part):
                    if item.mechanism == mechanism:
                        evidence.append(Evidence(**{**item.__dict__, "via": local_name(part)}))
        rule_info = pattern_rules.get(local_name(h["pattern"]), {"confidence": ctx.model.default_confidence})
        if h["elements"]:  # e.g. a metal fluoride: the displacement principle supports the SEI side
            metals = [e for e in h["elements"] if not e.endswith("#F")]
            evidence.append(Evidence("rule", "ReactiveSEIFormation", rule_info["confidence"],
                                     rule=local_name(h["pattern"]).replace("pattern-", "combine-"),
                                     rule_label=h["label"], principle=rule_info.get("principle"),
                                     principle_label=rule_info.get("principleLabel"), section=rule_info.get("section"),
                                     via=", ".join(local_name(m) for m in metals)))
            existing = sorted({s for m in metals for s in ctx.fluorides.get(m, [])})
            parts = existing + [p for p in parts if p not in existing]
        if h["groups"]:
            evidence.append(Evidence("rule", "ReactiveSEIFormation", rule_info["confidence"],
                                     rule=local_name(h["pattern"]).replace("pattern-", "combine-"),
                                     rule_label=h["label"], principle=rule_info.get("principle"),
                                     section=rule_info.get("section"),
                                     via=", ".join(local_name(g) for g in sorted(h["groups"]))))
        families = family_table(ctx.family, evidence, set(), ctx.model)
        counted = {k: v for k, v in families.items() if v["counted"]}
        if len(counted) < 2:
            continue
        tradeoffs = ctx.tradeoffs_of(*parts)
        components = [ctx.component_card(p) for p in parts]
        extra = [local_name(e) for e in sorted(h["elements"])] + [local_name(g) for g in sorted(h["groups"])]
        names = [c.get("label", c["id"]) for c in components] + [f"+{x}" for x in extra]
        if h["elements"]:  # reported when a fluoride of that metal is already a component of a curated design
            in_one_design = any(p in ctx.roles for p in parts)
        elif h["groups"]:  # grafting a group onto a part that lacks it is new by construction
            in_one_design = False
        else:
            in_one_design = any(set(parts) <= species for species in ctx.design_species.values())
        out.append(Hypothesis(
            id="H-" + iri.rsplit("/hypothesis/", 1)[-1].replace("/", "--"), kind="combination",
            label=f"{h['label']}: {' with '.join(names)}", components=components, families=counted,
            tradeoffs=tradeoffs, excluded=[], novel=not in_one_design,
            score=0.0, factor=rule_info["confidence"], pattern=local_name(h["pattern"]),
            members=set(parts) | set(h["elements"])))
    return out


KINDS = ("component", "combination", "molecule", "salt", "formulation")
DEFAULT_KINDS = ("component", "combination")


def generate(store: KnowledgeStore, top: int | None = None, mechanisms: list[str] | None = None,
             novel_only: bool = False, kinds: tuple[str, ...] | list[str] = DEFAULT_KINDS,
             store_location: str | None = None, progress: Any = None, exclude_toxic: bool = False,
             excluded_out: list[dict[str, Any]] | None = None, diverse: int = 0) -> list[Hypothesis]:
    """All hypotheses over an inferred store, filtered and ranked (see the module docstring).

    ``kinds`` selects the generators; "molecule" judges designed molecules with ``lmakg.chemistry.predict``,
    which reasons again (over ``store_location`` when given, else over the packaged graph)."""
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise ValueError(f"unknown hypothesis kind(s) {', '.join(unknown)}; use {', '.join(KINDS)}")
    ctx = _Context(store)
    found: list[Hypothesis] = []
    if "component" in kinds:
        found += _component_hypotheses(ctx)
    if "combination" in kinds:
        found += _combination_hypotheses(ctx, store)
    assessor = None
    if {"salt", "formulation", "molecule"} & set(kinds):
        # one warm predictor for every kind that judges something new, over this very graph (so a graph with a
        # design taken out, as in validate-hypotheses, is judged without it)
        from lmakg.formulations.assess import Assessor

        assessor = Assessor(store_location or store)
    if "salt" in kinds:
        used = {s for species in ctx.design_species.values() for s in species}
        known = {card["inchiKey"] for s, card in ctx.cards.items() if card.get("inchiKey") and s in used}
        found += salt_hypotheses(store, ctx.rules, ctx.family_by_mechanism, known, ctx.model, store_location,
                                 progress, assessor=assessor)
    if "formulation" in kinds:
        found += formulation_hypotheses(store, ctx.family, ctx.filters, ctx.cards, ctx.rules, ctx.model,
                                        store_location, progress, assessor=assessor,
                                        species_tradeoffs=ctx.tradeoffs_of)
    if "molecule" in kinds:
        found += molecule_hypotheses(store, store_location=store_location, progress=progress,
                                     predictor=assessor.predictor if assessor else None)
    found = _apply_filters(ctx, found, exclude_toxic, excluded_out)
    for h in found:
        rescore(h, ctx.model)
    precedents = Precedents(store, ctx.family_by_mechanism)
    for h in found:
        precedents.annotate(h)
    if excluded_out is not None:
        excluded_out.extend(ctx.vetoed_hypotheses)
    if mechanisms:
        wanted = set(mechanisms)
        found = [h for h in found if wanted <= set(h.mechanisms) | set(h.families)]
    if novel_only:
        found = [h for h in found if h.novel]
    found.sort(key=_rank_key)
    if diverse > 0:
        found = _diversify(found, diverse)
    found = found[:top] if top else found
    tests = ExperimentalTests.load(store)  # how to test each one: kg/curator/experiments.ttl
    for h in found:
        h.tests = tests.for_claims(set(h.families) | set(h.mechanisms))
    return found


def _apply_filters(ctx: _Context, found: list[Hypothesis], exclude_toxic: bool,
                   excluded_out: list[dict[str, Any]] | None) -> list[Hypothesis]:
    """The candidate filters on every hypothesis's components: excluded ones go to ``excluded_out`` with the
    filter and the reason; trade-off filters are added to the hypothesis's trade-offs (counted by :func:`rescore`)."""
    kept = []
    for h in found:
        hits = [(f, why) for f in ctx.filters if not f.vetoes and (why := caught(f, h.components))]
        exclude = [(f, why) for f, why in hits
                   if f.action == "exclude" or (f.action == "exclude-on-request" and exclude_toxic)]
        if exclude:
            if excluded_out is not None:
                excluded_out.append({"id": h.id, "label": h.label, "filters": [
                    {"filter": f.id, "label": f.label, "caught": why, "reason": f.reason, "source": f.source}
                    for f, why in exclude]})
            continue
        for f, why in hits:
            h.tradeoffs = [*h.tradeoffs, {**f.as_tradeoff(), "label": f"{f.label}: {why}"}]
        h.filters_passed = sorted(f.id for f in ctx.filters if not f.vetoes)
        kept.append(h)
    return kept


def rescore(h: Hypothesis, model: ScoreModel) -> None:
    """The score of every kind, from its counted families, trade-offs and assess gain, with its breakdown."""
    strengths = {fam: info["strength"] for fam, info in sorted(h.families.items()) if info.get("counted", True)}
    evidence = h.factor * sum(strengths.values())
    penalty = tradeoff_penalty(len(h.tradeoffs), model)
    assess = model.assess * h.assess_gain if h.assess_gain is not None else 0.0
    h.score = evidence - penalty + assess
    h.breakdown = {"families": strengths, "patternConfidence": h.factor, "evidence": round(evidence, 3),
                   "tradeoffs": len(h.tradeoffs), "tradeoffPenalty": round(-penalty, 3),
                   "assessGain": None if h.assess_gain is None else round(h.assess_gain, 3),
                   "assess": round(assess, 3), "score": round(h.score, 3)}


def _rank_key(h: Hypothesis) -> tuple[Any, ...]:
    """Score first; equal scores by evidence quality — families the review itself reports, then the weight of
    each family's best evidence (rule confidence), then the number of independent pieces of evidence; the id
    only when all of these are equal (so the order stays deterministic)."""
    families = h.families.values()
    reviewed = sum(1 for f in families if f.get("reportedByReview"))
    best = sum(max((e.weight for e in f["evidence"]), default=0.0) for f in families)
    pieces = sum(len(f["evidence"]) for f in families)
    return (-round(h.score, 6), -reviewed, -round(best, 6), -pieces, h.id)


def _diversify(ranked: list[Hypothesis], per_group: int) -> list[Hypothesis]:
    """The best hypothesis of each kind first (in score order: a reader sees every kind of candidate at the top,
    a new molecule next to a new salt and a new formulation), then at most ``per_group`` hypotheses of one
    kind, pattern (or template) and family set before the others; the rest keep their order after every
    group's best (nothing is dropped)."""
    firsts: dict[str, Hypothesis] = {}
    for h in ranked:
        firsts.setdefault(h.kind, h)
    seeds = set(map(id, firsts.values()))
    seen: dict[tuple[Any, ...], int] = defaultdict(int)
    head, tail = [], []
    for h in ranked:
        group = (h.kind, h.pattern, frozenset(h.families))
        seen[group] += 1
        if id(h) not in seeds:
            (head if seen[group] <= per_group else tail).append(h)
    return list(firsts.values()) + head + tail
