"""Ranked, explained multifunctional design hypotheses.

Two kinds, both built from the inferred graph (``lmakg.reason``) and the curated graph:

* **component** — a species of the graph that acts through two or more mechanism *families*, counting
  the review's own attributions and the rules' predictions (including species the review never calls
  multifunctional);
* **combination** — a new pairing minted by a pattern rule in ``rules/combinations.ttl`` (a shielding
  cation with an SEI-forming anion, a fluoride of a Li-alloying metal, ...);
* **molecule** (only when asked for, ``kinds``) — a new structure made from a review species by one of the
  review's design moves (``kg/design-moves.ttl``) and judged by the rules (``lmakg.design``). Not in the
  default because judging new structures means reasoning over them (seconds, not milliseconds).

Scoring (also in the README):

* each piece of evidence for a mechanism family has a weight: 1.0 when the review itself attributes the
  mechanism to the species in a design, else the rule's ``lma:confidence``;
* family strength = highest weight + 0.1 per further independent piece of evidence (at most +0.3);
* a family counts only if its strength is at least ``ABSTAIN_BELOW`` (0.6): weak support abstains;
* score = pattern confidence (1 for component hypotheses) x sum of counted family strengths
  - 0.15 per distinct trade-off that applies (at most three);
* a hypothesis needs two counted families; a mechanism a principle rules out for a part (lma:ruledOut)
  is never proposed (the hypothesis drops it, and a combination built on it is dropped).

Output is deterministic: sorted by score (descending), then id.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from lmakg.queries import run_engine_query
from lmakg.store import KnowledgeStore
from lmakg.vocab import local_name

ABSTAIN_BELOW = 0.6
BONUS_PER_EVIDENCE = 0.1
MAX_BONUS = 0.3
CONFLICT_PENALTY = 0.15
MAX_CONFLICTS = 3


@dataclass
class Evidence:
    kind: str  # "review" or "rule"
    mechanism: str
    weight: float
    rule: str | None = None
    rule_label: str | None = None
    principle: str | None = None
    principle_label: str | None = None
    section: str | None = None
    designs: list[str] = field(default_factory=list)
    references: list[int] = field(default_factory=list)
    derivation: str | None = None
    via: str | None = None  # the part of a combination that carries it

    def key(self) -> tuple[str, ...]:
        return (self.kind, self.rule or "", ",".join(self.designs), self.via or "", self.mechanism)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "mechanism": self.mechanism, "weight": self.weight}
        for key in ("rule", "rule_label", "principle", "principle_label", "section", "derivation", "via"):
            value = getattr(self, key)
            if value:
                out[key.replace("_label", "Label")] = value
        if self.designs:
            out["designs"] = self.designs
        if self.references:
            out["references"] = self.references
        return out


@dataclass
class Hypothesis:
    id: str
    kind: str
    label: str
    components: list[dict[str, Any]]
    families: dict[str, dict[str, Any]]
    tradeoffs: list[dict[str, Any]]
    excluded: list[dict[str, str]]
    novel: bool
    score: float
    pattern: str | None = None
    members: set[str] = field(default_factory=set)
    moves: list[dict[str, Any]] | None = None  # molecule kind: the design-move chain that made it

    @property
    def mechanisms(self) -> list[str]:
        return sorted({m for f in self.families.values() for m in f["mechanisms"]})

    def per_mechanism(self) -> list[dict[str, Any]]:
        """The explanation regrouped by mechanism: rules, principles, sections, designs, references."""
        out = []
        for fam, info in sorted(self.families.items()):
            for mechanism in info["mechanisms"]:
                items = [e for e in info["evidence"] if e.mechanism == mechanism]
                out.append({
                    "mechanism": mechanism, "family": fam,
                    "rules": sorted({e.rule for e in items if e.rule}),
                    "principles": sorted({e.principle for e in items if e.principle}),
                    "sections": sorted({e.section for e in items if e.section}),
                    "supportingDesigns": sorted({d for e in items for d in e.designs}),
                    "references": sorted({r for e in items for r in e.references}),
                    "reportedByReview": any(e.kind == "review" for e in items),
                    "evidenceCount": len(items),
                })
        return out

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id, "kind": self.kind, "label": self.label, "score": round(self.score, 3),
            "novel": self.novel, "components": self.components, "mechanisms": self.mechanisms,
            "families": sorted(self.families),
            "explanations": [
                {"family": fam, **{k: v for k, v in info.items() if k != "evidence"},
                 "evidence": [e.as_dict() for e in info["evidence"]]}
                for fam, info in sorted(self.families.items())
            ],
            "perMechanism": self.per_mechanism(),
            "tradeoffs": self.tradeoffs, "excluded": self.excluded,
        }
        if self.pattern:
            out["pattern"] = self.pattern
        if self.moves is not None:
            out["moves"] = self.moves
        return out


class _Context:
    """Everything the generator reads from the store, fetched once."""

    def __init__(self, store: KnowledgeStore) -> None:
        self.family_of: dict[str, str] = {}
        self.labels: dict[str, str] = {}
        for row in run_engine_query(store, "mechanism-families"):
            self.family_of[row["mechanism"].value] = local_name(row["family"].value)
        self.family_by_mechanism = {local_name(m): f for m, f in self.family_of.items()}
        self.rules: dict[str, dict[str, Any]] = {}
        for row in run_engine_query(store, "rule-metadata"):
            self.rules[row["rule"].value] = {
                "label": row["label"].value if "label" in row else local_name(row["rule"].value),
                "confidence": float(row["confidence"].value) if "confidence" in row else 0.5,
                "principle": local_name(row["principle"].value) if "principle" in row else None,
                "principleLabel": row["principleLabel"].value if "principleLabel" in row else None,
                "section": row["sectionNumber"].value if "sectionNumber" in row else None,
            }
        self.design_info: dict[str, dict[str, Any]] = {}
        for row in run_engine_query(store, "design-references"):
            info = self.design_info.setdefault(row["design"].value, {"refs": set(), "section": None})
            if "referenceNumber" in row:
                info["refs"].add(int(row["referenceNumber"].value))
            if "sectionNumber" in row:
                info["section"] = row["sectionNumber"].value
            info["label"] = row["label"].value if "label" in row else local_name(row["design"].value)
            info["multifunctional"] = "multifunctional" in row and row["multifunctional"].value == "true"
        self.refs_by_design = {local_name(d): info["refs"] for d, info in self.design_info.items()}
        self.cards: dict[str, dict[str, Any]] = {}
        for row in run_engine_query(store, "species-cards"):
            card = self.cards.setdefault(row["species"].value, {"id": local_name(row["species"].value)})
            for key in ("label", "smiles", "inchiKey"):
                if key in row:
                    card.setdefault(key, row[key].value)
        self.roles: dict[str, set[str]] = defaultdict(set)
        self.curated: dict[str, list[Evidence]] = defaultdict(list)
        self.design_species: dict[str, set[str]] = defaultdict(set)
        for row in run_engine_query(store, "species-uses"):
            species, design = row["species"].value, row["design"].value
            self.roles[species].add(local_name(row["role"].value))
            self.design_species[design].add(species)
            if "mechanism" in row:
                info = self.design_info.get(design, {})
                self.curated[species].append(Evidence(
                    "review", local_name(row["mechanism"].value), 1.0, designs=[local_name(design)],
                    section=info.get("section"), references=sorted(info.get("refs", set()))))
        derivation_designs: dict[str, list[str]] = defaultdict(list)
        for row in run_engine_query(store, "derivation-designs"):
            derivation_designs[row["derivation"].value].append(local_name(row["design"].value))
        self.predicted: dict[str, list[Evidence]] = defaultdict(list)
        for row in run_engine_query(store, "predicted-evidence"):
            rule = self.rules.get(row["rule"].value, {"confidence": 0.5, "label": local_name(row["rule"].value)})
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
        for row in run_engine_query(store, "conflicts"):
            entry = self.conflicts[row["subject"].value].setdefault(row["tradeoff"].value, {
                "id": local_name(row["tradeoff"].value),
                "label": row["label"].value if "label" in row else local_name(row["tradeoff"].value),
                "statement": row["statement"].value if "statement" in row else "",
                "section": row["sectionNumber"].value if "sectionNumber" in row else None,
                "references": set(), "how": row["how"].value})
            if "referenceNumber" in row:
                entry["references"].add(int(row["referenceNumber"].value))
        self.fluorides: dict[str, list[str]] = defaultdict(list)
        for row in run_engine_query(store, "element-compounds"):
            self.fluorides[row["metal"].value].append(row["species"].value)

    def _refs(self, design_local: str) -> set[int]:
        return self.refs_by_design.get(design_local, set())

    def family(self, mechanism_local: str) -> str | None:
        return self.family_by_mechanism.get(mechanism_local)

    def component_card(self, species: str, role: str | None = None) -> dict[str, Any]:
        card = dict(self.cards.get(species, {"id": local_name(species)}))
        card.setdefault("label", card["id"])
        roles = sorted(self.roles.get(species, set()) - {"BaseElectrolyteComponent"})
        card["role"] = role or (roles[0] if roles else None)
        if roles:
            card["rolesInReview"] = roles
        return card

    def tradeoffs_of(self, *subjects: str) -> list[dict[str, Any]]:
        merged: dict[str, dict[str, Any]] = {}
        for subject in subjects:
            for tid, entry in self.conflicts.get(subject, {}).items():
                merged.setdefault(tid, {**entry, "references": sorted(entry["references"])})
        return sorted(merged.values(), key=lambda t: t["id"])


def _family_table(ctx: _Context, evidence: list[Evidence], excluded_mechanisms: set[str]) -> dict[str, dict[str, Any]]:
    by_family: dict[str, list[Evidence]] = defaultdict(list)
    for item in evidence:
        if item.mechanism in excluded_mechanisms:
            continue
        fam = ctx.family(item.mechanism)
        if fam:
            by_family[fam].append(item)
    table = {}
    for fam, items in by_family.items():
        unique = {i.key(): i for i in items}
        ordered = sorted(unique.values(), key=lambda e: (-e.weight, e.kind, e.rule or "", e.designs))
        strength = ordered[0].weight + min(BONUS_PER_EVIDENCE * (len(ordered) - 1), MAX_BONUS)
        designs = sorted({d for e in ordered for d in e.designs})
        refs = sorted({r for e in ordered for r in e.references})
        table[fam] = {
            "mechanisms": sorted({e.mechanism for e in ordered}),
            "strength": round(strength, 3),
            "counted": strength >= ABSTAIN_BELOW - 1e-9,
            "evidenceCount": len(ordered),
            "supportingDesigns": designs,
            "references": refs,
            "reportedByReview": any(e.kind == "review" for e in ordered),
            "evidence": ordered,
        }
    return table


def _score(families: dict[str, dict[str, Any]], tradeoffs: list[dict[str, Any]], factor: float = 1.0) -> float:
    total = sum(f["strength"] for f in families.values() if f["counted"])
    return factor * total - CONFLICT_PENALTY * min(len(tradeoffs), MAX_CONFLICTS)


class _FamilyMap:
    def __init__(self, family_of: dict[str, str]) -> None:
        self.family_of = family_of

    def family(self, mechanism_local: str) -> str | None:
        return self.family_of.get(mechanism_local)


def score_evidence(family_of: dict[str, str], evidence: list[Evidence], tradeoffs: list[dict[str, Any]],
                   excluded: set[str] | None = None) -> tuple[dict[str, dict[str, Any]], float]:
    """The family table and score of this module (see the module docstring) for evidence gathered
    elsewhere, e.g. the rules' predictions for a designed molecule (``lmakg.design``): the same weights,
    abstention threshold and trade-off penalty, so scores of all kinds are comparable.
    ``family_of`` maps a mechanism's local name to its family's."""
    families = _family_table(_FamilyMap(family_of), evidence, excluded or set())  # type: ignore[arg-type]
    return families, _score(families, tradeoffs)


def _component_hypotheses(ctx: _Context) -> list[Hypothesis]:
    out = []
    for species in sorted(set(ctx.curated) | set(ctx.predicted)):
        if species not in ctx.cards:
            continue  # designs carry predictions too; hypotheses are about species
        excluded = ctx.ruled_out.get(species, set())
        families = _family_table(ctx, ctx.curated.get(species, []) + ctx.predicted.get(species, []), excluded)
        counted = {k: v for k, v in families.items() if v["counted"]}
        if len(counted) < 2:
            continue
        reported = [k for k, v in counted.items() if v["reportedByReview"]]
        tradeoffs = ctx.tradeoffs_of(species)
        card = ctx.component_card(species)
        out.append(Hypothesis(
            id=f"H-{card['id']}", kind="component",
            label=f"{card.get('label', card['id'])} acting through {' + '.join(sorted(counted))}",
            components=[card], families=counted, tradeoffs=tradeoffs,
            excluded=[{"mechanism": m, "reason": "ruled out by a principle (lma:ruledOut)"} for m in sorted(excluded)],
            novel=len(reported) < 2, score=_score(counted, tradeoffs), members={species}))
    return out


def _combination_hypotheses(ctx: _Context, store: KnowledgeStore) -> list[Hypothesis]:
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
        parts = sorted(h["parts"])
        blocked = [m for m in h["mechanisms"] for p in parts if m in ctx.ruled_out.get(p, set())]
        if blocked:
            continue
        evidence: list[Evidence] = []
        for mechanism in sorted(h["mechanisms"]):
            # a mechanism is carried by a part, or by an SEI product the pattern expects (LiF's modulus)
            for part in parts + sorted(h["products"]):
                for item in ctx.predicted.get(part, []) + ctx.curated.get(part, []):
                    if item.mechanism == mechanism:
                        evidence.append(Evidence(**{**item.__dict__, "via": local_name(part)}))
        rule_info = pattern_rules.get(local_name(h["pattern"]), {"confidence": 0.6})
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
        families = _family_table(ctx, evidence, set())
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
            score=_score(counted, tradeoffs, rule_info["confidence"]), pattern=local_name(h["pattern"]),
            members=set(parts) | set(h["elements"])))
    return out


KINDS = ("component", "combination", "molecule")
DEFAULT_KINDS = ("component", "combination")


def generate(store: KnowledgeStore, top: int | None = None, mechanisms: list[str] | None = None,
             novel_only: bool = False, kinds: tuple[str, ...] | list[str] = DEFAULT_KINDS,
             store_location: str | None = None, progress: Any = None) -> list[Hypothesis]:
    """All hypotheses over an inferred store, filtered and ranked (see the module docstring).

    ``kinds`` selects the generators; "molecule" judges designed molecules with ``lmakg.predict``,
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
    if "molecule" in kinds:
        from lmakg.design import molecule_hypotheses

        found += molecule_hypotheses(store, store_location=store_location, progress=progress)
    if mechanisms:
        wanted = set(mechanisms)
        found = [h for h in found if wanted <= set(h.mechanisms) | set(h.families)]
    if novel_only:
        found = [h for h in found if h.novel]
    found.sort(key=lambda h: (-round(h.score, 6), h.id))
    return found[:top] if top else found


def render(found: list[Hypothesis], console: Any, explain: bool = False) -> None:
    """Print hypotheses for people: a ranked table, then (with ``explain``) each one's evidence."""
    from rich.markup import escape
    from rich.table import Table

    table = Table(show_edge=False)
    for col in ("#", "score", "id", "families", "novel", "trade-offs"):
        table.add_column(col)
    for rank, h in enumerate(found, start=1):
        table.add_row(str(rank), f"{h.score:.2f}", h.id, " + ".join(sorted(h.families)),
                      "yes" if h.novel else "reported", str(len(h.tradeoffs)))
    console.print(table)
    if not explain:
        return
    for rank, h in enumerate(found, start=1):
        console.print(f"\n[bold]{rank}. {h.label}[/bold]  (score {h.score:.2f}, {'novel' if h.novel else 'reported'})")
        for c in h.components:
            ident = " ".join(x for x in (c.get("smiles"), c.get("inchiKey")) if x)
            role = c.get("role") or "role proposed by pattern"
            console.print(f"   component: {c.get('label', c['id'])} ({role}) {ident}")
        for step in h.moves or []:
            principles = "; ".join(p["label"] for p in step["principles"])
            console.print(f"   move [magenta]{escape(step['label'])}[/magenta] (§{', §'.join(step['sections'])}): "
                          + escape(f"{step['fromLabel']} -> {step['to']} — serves: {principles}"))
        for fam, info in sorted(h.families.items()):
            console.print(f"   [cyan]{fam}[/cyan] strength {info['strength']:.2f}, {info['evidenceCount']} evidence, "
                          f"designs {', '.join(info['supportingDesigns']) or '-'}, refs "
                          f"{' '.join(f'[{r}]' for r in info['references']) or '-'}")
            for e in info["evidence"]:
                if e.kind == "review":
                    console.print(f"      review: {e.mechanism} in {', '.join(e.designs)} §{e.section} "
                                  f"{' '.join(f'[{r}]' for r in e.references)}")
                else:
                    via = f" via {e.via}" if e.via else ""
                    console.print(f"      rule {e.rule} ({e.weight}){via}: {e.rule_label}"
                                  + (f" — {e.principle} §{e.section}" if e.principle else ""))
        for t in h.tradeoffs:
            console.print(f"   [red]trade-off[/red] {t['label']} (§{t.get('section') or '?'})")
        for x in h.excluded:
            console.print(f"   [red]excluded[/red] {x['mechanism']}: {x['reason']}")
