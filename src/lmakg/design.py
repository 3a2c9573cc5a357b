"""``lmakg design``: new molecules from known ones by the review's own design moves, judged by its rules.

Why it works this way: the review designs molecules by a handful of moves (extend the ether chain DME ->
DMB, fluorinate the backbone DMB -> FDMB, raise the fluorination level EC -> FEC -> DFEC, fluorinate an
ester ethyl acetate -> ETFA, put an active group beta to a C-F as in AFA, swap a solvent for a weakly or
non-solvating analogue). The moves are data (``kg/design-moves.ttl``: an RDKit reaction SMARTS, or for the
swap a SPARQL criterion, with the principle and section behind each); this module only applies them:

1. the starting species is resolved by name (``lmakg.show.resolve``) or read as a SMILES;
2. moves are applied breadth-first up to ``depth``; every product is sanitised by RDKit (invalid ones are
   dropped and counted) and identified by InChIKey, so a structure reached twice is kept once (at its
   shortest move chain); a product the graph already holds is not proposed but reported with the curated
   species it matches (and moves continue from it: DME -> DMB -> FDMB passes through two such species);
3. the new structures are judged together by ``lmakg.predict.predict_many`` (one reasoning pass): RDKit
   features, predicted mechanisms with the rules that fired, expected SEI products, trade-offs;
4. each is scored exactly like a hypothesis (``lmakg.hypotheses.score_evidence``): every firing rule is a
   piece of evidence weighted by its ``lma:confidence``; family strength = best weight + 0.1 per further
   piece (at most +0.3); families below 0.6 abstain; score = sum of counted family strengths - 0.15 per
   distinct trade-off (at most three). The trade-offs are those the rules infer for the structure plus
   those the review states for the moves that made it (``lma:expectedTradeOff``, e.g. weaker Li+ binding
   after fluorination also lowers ionic conductivity). Ties: fewer moves first, then SMILES.

A designed structure takes the role its starting species plays most often in the review (DME: solvent),
or ``role`` when given; a SMILES start defaults to "solvent", since the review's moves are solvent moves.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lmakg import chem, reactions
from lmakg.queries import run_engine_query
from lmakg.store import KnowledgeStore
from lmakg.vocab import local_name

Progress = Callable[[str, int, int], None]  # (stage, done, total)
MOVE_PREFIX = "move-"
DEFAULT_ROLE = "solvent"


class DesignInputError(ValueError):
    """Bad input to ``lmakg design``: the message names the value at fault."""


@dataclass
class Move:
    """One design move read from the graph."""

    iri: str
    label: str
    definition: str = ""
    smarts: str | None = None
    every_site: bool = False
    analogue_query: str | None = None
    principles: list[dict[str, str]] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    references: list[int] = field(default_factory=list)
    expected: list[str] = field(default_factory=list)  # trade-off IRIs
    addresses: list[str] = field(default_factory=list)
    examples: list[tuple[str, str]] = field(default_factory=list)
    _reaction: Any = None

    @property
    def id(self) -> str:
        return local_name(self.iri).removeprefix(MOVE_PREFIX)

    def reaction(self) -> Any:
        if self._reaction is None and self.smarts:
            self._reaction = reactions.parse_reaction(self.smarts)
        return self._reaction


@dataclass
class Step:
    move: Move
    parent: str  # SMILES
    parent_label: str
    product: str  # SMILES
    why: str | None = None  # the swap's criterion

    def as_dict(self, labels: dict[str, str]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "move": self.move.id, "label": self.move.label, "from": self.parent, "fromLabel": self.parent_label,
            "to": self.product, "sections": self.move.sections, "references": self.move.references,
            "principles": self.move.principles,
            "expectedTradeOffs": [{"id": local_name(t), "label": labels.get(t, local_name(t))}
                                  for t in self.move.expected],
            "addressesTradeOffs": [{"id": local_name(t), "label": labels.get(t, local_name(t))}
                                   for t in self.move.addresses],
        }
        if self.why:
            out["why"] = self.why
        return out


@dataclass
class Structure:
    smiles: str
    inchikey: str
    chain: list[Step]
    species: str | None = None  # the curated species with this InChIKey, if any
    label: str | None = None

    @property
    def name(self) -> str:
        return self.label or self.smiles


@dataclass
class Enumeration:
    start: Structure
    new: list[Structure]
    known: list[Structure]
    duplicates: int = 0
    invalid: list[str] = field(default_factory=list)


class _Graph:
    """What design reads from the store, fetched once: moves, species by InChIKey, roles, rule metadata,
    mechanism families and trade-off cards."""

    def __init__(self, store: KnowledgeStore) -> None:
        self.store = store
        self.moves: dict[str, Move] = {}
        for row in run_engine_query(store, "design-moves"):
            iri = row["move"].value
            self.moves[local_name(iri).removeprefix(MOVE_PREFIX)] = Move(
                iri=iri, label=row["label"].value if "label" in row else local_name(iri),
                definition=row["definition"].value if "definition" in row else "",
                smarts=row["smarts"].value if "smarts" in row else None,
                every_site="everySite" in row and row["everySite"].value == "true",
                analogue_query=row["analogueQuery"].value if "analogueQuery" in row else None)
        by_iri = {m.iri: m for m in self.moves.values()}
        for row in run_engine_query(store, "design-move-links"):
            move = by_iri.get(row["move"].value)
            if move is None:
                continue
            link, target = row["link"].value, row["target"].value
            if link == "principle" and all(p["iri"] != target for p in move.principles):
                move.principles.append({"iri": target, "id": local_name(target),
                                        "label": row["targetLabel"].value if "targetLabel" in row else
                                        local_name(target)})
            elif link == "expectedTradeOff" and target not in move.expected:
                move.expected.append(target)
            elif link == "addressesTradeOff" and target not in move.addresses:
                move.addresses.append(target)
            elif link == "section" and row["sectionNumber"].value not in move.sections:
                move.sections.append(row["sectionNumber"].value)
            elif link == "reference" and int(row["referenceNumber"].value) not in move.references:
                move.references.append(int(row["referenceNumber"].value))
            elif link == "example" and (row["from"].value, row["to"].value) not in move.examples:
                move.examples.append((row["from"].value, row["to"].value))
        for move in self.moves.values():
            move.principles.sort(key=lambda p: p["id"])
            move.sections.sort()
            move.references.sort()
            move.expected.sort()
            move.addresses.sort()
            move.examples.sort()
        self.cards: dict[str, dict[str, str]] = {}
        self.by_key: dict[str, list[str]] = defaultdict(list)
        for row in run_engine_query(store, "species-cards"):
            card = self.cards.setdefault(row["species"].value, {})
            for key in ("label", "smiles", "inchiKey"):
                if key in row:
                    card.setdefault(key, row[key].value)
        for iri, card in self.cards.items():
            if "inchiKey" in card:
                self.by_key[card["inchiKey"]].append(iri)
        # a component counts once, in its most specific role (a reasoned store also types a CoSolvent a Solvent)
        broader: dict[str, set[str]] = defaultdict(set)
        for row in run_engine_query(store, "role-hierarchy"):
            broader[local_name(row["sub"].value)].add(local_name(row["super"].value))
        uses: dict[tuple[str, str], set[str]] = defaultdict(set)
        for row in run_engine_query(store, "species-uses"):
            uses[(row["species"].value, row["design"].value)].add(local_name(row["role"].value))
        self.roles: dict[str, Counter[str]] = defaultdict(Counter)
        for (species, _design), found in uses.items():
            implied = set().union(*(broader[r] for r in found))
            for role in found - implied:
                self.roles[species][role] += 1
        self.rules: dict[str, dict[str, Any]] = {}
        for row in run_engine_query(store, "rule-metadata"):
            self.rules[local_name(row["rule"].value)] = {
                "label": row["label"].value if "label" in row else local_name(row["rule"].value),
                "confidence": float(row["confidence"].value) if "confidence" in row else 0.5,
                "principle": local_name(row["principle"].value) if "principle" in row else None,
                "principleLabel": row["principleLabel"].value if "principleLabel" in row else None,
                "section": row["sectionNumber"].value if "sectionNumber" in row else None}
        self.family_of = {local_name(r["mechanism"].value): local_name(r["family"].value)
                          for r in run_engine_query(store, "mechanism-families")}
        self.tradeoffs: dict[str, dict[str, Any]] = {}
        for row in run_engine_query(store, "tradeoff-cards"):
            entry = self.tradeoffs.setdefault(row["tradeoff"].value, {
                "id": local_name(row["tradeoff"].value),
                "label": row["label"].value if "label" in row else local_name(row["tradeoff"].value),
                "statement": row["statement"].value if "statement" in row else "",
                "section": row["sectionNumber"].value if "sectionNumber" in row else None,
                "references": set()})
            if "referenceNumber" in row:
                entry["references"].add(int(row["referenceNumber"].value))
        self.tradeoff_labels = {iri: t["label"] for iri, t in self.tradeoffs.items()}

    def species_for(self, key: str) -> str | None:
        found = sorted(self.by_key.get(key, []))
        return found[0] if found else None

    def role_of(self, species: str | None) -> str:
        """The predict role key of the role the species plays most often in the review's designs."""
        from lmakg.predict import ROLES

        by_class = {cls: key for key, cls in ROLES.items()}
        counts = self.roles.get(species or "", Counter())
        ranked = sorted((c for c in counts if c in by_class), key=lambda c: (-counts[c], list(by_class).index(c)))
        return by_class[ranked[0]] if ranked else DEFAULT_ROLE

    def select_moves(self, names: list[str] | None) -> list[Move]:
        if not self.moves:
            raise DesignInputError("the graph holds no design moves (kg/design-moves.ttl missing?)")
        if not names:
            return [self.moves[k] for k in sorted(self.moves)]
        chosen = []
        for name in names:
            key = name.strip().removeprefix("lmk:").removeprefix(MOVE_PREFIX)
            if key not in self.moves:
                raise DesignInputError(f"unknown move {name!r}; known moves: {', '.join(sorted(self.moves))}")
            if self.moves[key] not in chosen:
                chosen.append(self.moves[key])
        return chosen


def resolve_start(graph: _Graph, text: str) -> Structure:
    """The starting structure: a name of the graph (label, abbreviation, synonym) or a SMILES."""
    from lmakg.show import NameLookupError, resolve

    if not text or not text.strip():
        raise DesignInputError("--from needs a name from the graph or a SMILES")
    try:
        iri = resolve(graph.store, text)
    except NameLookupError as exc:
        if "ambiguous" in str(exc):
            raise DesignInputError(f"{exc}: {', '.join(label for label, _ in exc.candidates)}") from exc
        try:
            smiles = reactions.canonical(text)
            key = chem.inchikey(smiles)
        except chem.ChemistryError:
            close = ", ".join(label for label, _ in exc.candidates[:5])
            raise DesignInputError(f"{text!r} is neither a name in the graph nor a valid SMILES"
                                   + (f" (closest names: {close})" if close else "")) from None
        species = graph.species_for(key)
        label = graph.cards.get(species or "", {}).get("label")
        return Structure(smiles, key, [], species, label)
    card = graph.cards.get(iri)
    if card is None or "smiles" not in card:
        raise DesignInputError(f"{text!r} ({local_name(iri)}) has no structure (lma:smiles) in the graph; "
                               "give a SMILES instead")
    smiles = reactions.canonical(card["smiles"])
    return Structure(smiles, chem.inchikey(smiles), [], iri, card.get("label"))


def _apply(graph: _Graph, move: Move, parent: Structure, invalid: list[str]) -> list[tuple[str, str | None]]:
    """(product SMILES, why) for one move on one structure; invalid products are reported in ``invalid``."""
    if move.smarts:
        products, errors = reactions.apply_reaction(move.reaction(), parent.smiles, move.every_site)
        invalid += [f"{move.id} on {parent.smiles}: {e}" for e in sorted(set(errors))]
        return [(p, None) for p in products]
    if not move.analogue_query or parent.species is None:
        return []  # a substitution picks species of the graph in place of one of the graph's species
    out = []
    for row in graph.store.select(move.analogue_query, bindings={"parent": graph.store.iri(parent.species)}):
        analogue = row["analogue"].value
        smiles = graph.cards.get(analogue, {}).get("smiles")
        if smiles is None:
            invalid.append(f"{move.id} on {parent.smiles}: {local_name(analogue)} has no SMILES")
            continue
        try:
            out.append((reactions.canonical(smiles), row["why"].value if "why" in row else None))
        except chem.ChemistryError as exc:
            invalid.append(f"{move.id} on {parent.smiles}: {exc}")
    return sorted(set(out), key=lambda x: (x[0], x[1] or ""))


def enumerate_structures(graph: _Graph, starts: list[Structure], moves: list[Move], depth: int,
                         progress: Progress | None = None) -> Enumeration:
    """Apply the moves breadth-first up to ``depth`` from every start (see the module docstring)."""
    if depth < 1:
        raise DesignInputError(f"--depth must be at least 1 (got {depth})")
    seen: dict[str, Structure] = {s.inchikey: s for s in starts}
    new: list[Structure] = []
    known: list[Structure] = []
    duplicates = 0
    invalid: list[str] = []
    frontier = sorted(starts, key=lambda s: s.smiles)
    for level in range(1, depth + 1):
        following: list[Structure] = []
        total = len(frontier) * len(moves)
        for i, parent in enumerate(frontier):
            for j, move in enumerate(moves):
                for smiles, why in _apply(graph, move, parent, invalid):
                    try:
                        key = chem.inchikey(smiles)
                    except chem.ChemistryError as exc:
                        invalid.append(f"{move.id} on {parent.smiles}: {exc}")
                        continue
                    if key in seen:
                        duplicates += 1
                        continue
                    species = graph.species_for(key)
                    made = Structure(smiles, key, [*parent.chain, Step(move, parent.smiles, parent.name, smiles, why)],
                                     species, graph.cards.get(species or "", {}).get("label"))
                    seen[key] = made
                    (known if species else new).append(made)
                    following.append(made)
                if progress:
                    progress(f"applying moves (depth {level})", i * len(moves) + j + 1, total)
        frontier = sorted(following, key=lambda s: s.smiles)
    return Enumeration(starts[0], new, known, duplicates, invalid)


def judge(graph: _Graph, structures: list[Structure], roles: list[str], store_location: str | None = None,
          progress: Progress | None = None) -> list[dict[str, Any]]:
    """The rules' verdict on each structure (``lmakg.predict.predict_many``), scored like a hypothesis."""
    from lmakg.hypotheses import Evidence, score_evidence
    from lmakg.predict import Candidate, predict_many

    if not structures:
        return []
    candidates = [Candidate(smiles=s.smiles, role=r) for s, r in zip(structures, roles, strict=True)]
    total = len(candidates)
    if progress:
        progress("judging with the rules", 0, total)
    results = predict_many(candidates, store=store_location,
                           progress=(lambda n: progress("judging with the rules", n, total)) if progress else None)
    judged = []
    for s, role, result in zip(structures, roles, results, strict=True):
        if "error" in result:
            judged.append({"structure": s, "error": result["error"]})
            continue
        evidence = []
        for m in result["mechanisms"]:
            designs = [d["design"] for d in m.get("supportingDesigns", [])]
            refs = sorted({r for d in m.get("supportingDesigns", []) for r in d.get("references", [])})
            for rule in m["rules"] or [None]:
                meta = graph.rules.get(rule or "", {"confidence": 0.5, "label": rule})
                evidence.append(Evidence("rule", m["id"], meta["confidence"], rule=rule, rule_label=meta.get("label"),
                                         principle=meta.get("principle"), principle_label=meta.get("principleLabel"),
                                         section=meta.get("section"), designs=designs, references=refs))
        tradeoffs = _tradeoffs(graph, result["conflicts"], s.chain)
        excluded = {r["mechanism"] for r in result.get("ruledOut", [])}
        families, score = score_evidence(graph.family_of, evidence, tradeoffs, excluded)
        judged.append({"structure": s, "role": role, "result": result, "families": families, "score": score,
                       "tradeoffs": tradeoffs})
    return judged


def _tradeoffs(graph: _Graph, conflicts: list[str], chain: list[Step]) -> list[dict[str, Any]]:
    """Trade-offs the rules infer for the structure, plus those the review states for its moves."""
    by_id = {t["id"]: iri for iri, t in graph.tradeoffs.items()}
    sources: dict[str, list[str]] = defaultdict(list)
    for tid in conflicts:
        sources[by_id.get(tid, tid)].append("inferred by a conflict rule")
    for step in chain:
        for iri in step.move.expected:
            sources[iri].append(f"expected from move '{step.move.label}'")
    out = []
    for iri, how in sorted(sources.items()):
        card = graph.tradeoffs.get(iri, {"id": local_name(iri), "label": local_name(iri), "statement": "",
                                         "section": None, "references": set()})
        out.append({**card, "references": sorted(card["references"]), "how": "; ".join(dict.fromkeys(how))})
    return out


def _entry(graph: _Graph, judged: dict[str, Any]) -> dict[str, Any]:
    s: Structure = judged["structure"]
    chain = [step.as_dict(graph.tradeoff_labels) for step in s.chain]
    if "error" in judged:
        return {"smiles": s.smiles, "inchiKey": s.inchikey, "moves": chain, "error": judged["error"]}
    result = judged["result"]
    return {
        "smiles": s.smiles, "inchiKey": s.inchikey, "role": judged["role"], "score": round(judged["score"], 3),
        "moves": chain,
        "families": {fam: {"strength": info["strength"], "counted": info["counted"],
                           "mechanisms": info["mechanisms"]} for fam, info in sorted(judged["families"].items())},
        "mechanisms": [{"id": m["id"], "rules": m["rules"],
                        "supportingDesigns": [d["design"] for d in m.get("supportingDesigns", [])]}
                       for m in result["mechanisms"]],
        "forms": result["forms"], "features": result["features"], "elements": result["elements"],
        "fMassFraction": result["fMassFraction"], "ruledOut": result.get("ruledOut", []),
        "tradeoffs": [{k: t[k] for k in ("id", "label", "section", "how")} for t in judged["tradeoffs"]],
        "notAssessed": result.get("notAssessed", []),
    }


def design(start: str, moves: list[str] | None = None, depth: int = 2, top: int | None = None,
           role: str | None = None, store: str | None = None, progress: Progress | None = None) -> dict[str, Any]:
    """Enumerate, judge and rank new structures from ``start`` (a name or SMILES); a JSON-ready dict.
    Raises :class:`DesignInputError` on bad input (unknown name/move, invalid SMILES, depth < 1)."""
    from lmakg.build import open_knowledge
    from lmakg.predict import ROLES

    if depth < 1:
        raise DesignInputError(f"--depth must be at least 1 (got {depth})")
    if top is not None and top < 1:
        raise DesignInputError(f"--top must be at least 1 (got {top})")
    if role is not None and role.lower() not in ROLES:
        raise DesignInputError(f"unknown role {role!r}; use one of: {', '.join(ROLES)}")
    graph = _Graph(open_knowledge(store, reason=False))
    chosen = graph.select_moves(moves)
    origin = resolve_start(graph, start)
    found = enumerate_structures(graph, [origin], chosen, depth, progress)
    the_role = role.lower() if role else (graph.role_of(origin.species) if origin.species else DEFAULT_ROLE)
    judged = judge(graph, found.new, [the_role] * len(found.new), store, progress)
    ok = [j for j in judged if "error" not in j]
    ok.sort(key=lambda j: (-round(j["score"], 6), len(j["structure"].chain), j["structure"].smiles))
    ranked = [_entry(graph, j) for j in (ok[:top] if top else ok)]
    for rank, entry in enumerate(ranked, start=1):
        entry["rank"] = rank
    return {
        "start": {"input": start, "smiles": origin.smiles, "inchiKey": origin.inchikey,
                  "species": local_name(origin.species) if origin.species else None, "label": origin.label,
                  "role": the_role},
        "moves": [m.id for m in chosen], "depth": depth,
        "candidates": ranked,
        "judged": len(ok),
        "knownInGraph": [{"smiles": k.smiles, "inchiKey": k.inchikey, "species": local_name(k.species or ""),
                          "label": k.label, "moves": [step.as_dict(graph.tradeoff_labels) for step in k.chain]}
                         for k in found.known],
        "dropped": {"duplicates": found.duplicates, "alreadyInGraph": len(found.known),
                    "invalid": len(found.invalid) + len(judged) - len(ok),
                    "invalidExamples": (found.invalid + [f"{j['structure'].smiles}: {j['error']}"
                                                         for j in judged if "error" in j])[:10]},
    }


def _chain_text(start: str, moves: list[dict[str, Any]]) -> str:
    """'COCCOC --(extend the ether chain §4.1)--> COCCCCOC', escaped for rich."""
    from rich.markup import escape

    parts = [start]
    for step in moves:
        parts.append(f"--({step['label']} §{', §'.join(step['sections'])})--> {step['to']}")
    return escape(" ".join(parts))


def render(report: dict[str, Any], console: Any) -> None:
    """Print a design report for people: ranked candidates with their move chains and verdicts."""
    from rich.markup import escape
    from rich.table import Table

    s = report["start"]
    console.print(f"[bold]from {escape(s['label'] or s['smiles'])}[/bold] ({escape(s['smiles'])}), role {s['role']}; "
                  f"moves {', '.join(report['moves'])}; depth {report['depth']}")
    table = Table(show_edge=False)
    for col in ("#", "score", "SMILES", "moves", "families", "forms", "trade-offs"):
        table.add_column(col)
    for c in report["candidates"]:
        counted = [f for f, info in c["families"].items() if info["counted"]]
        table.add_row(str(c["rank"]), f"{c['score']:.2f}", c["smiles"], " > ".join(m["move"] for m in c["moves"]),
                      " + ".join(counted) or "-", ", ".join(c["forms"]) or "-", str(len(c["tradeoffs"])))
    if report["candidates"]:
        console.print(table)
    else:
        console.print("no new structure: every product is already in the graph, a duplicate or invalid")
    for c in report["candidates"]:
        console.print(f"\n[bold]{c['rank']}. {escape(c['smiles'])}[/bold]  score {c['score']:.2f}  {c['inchiKey']}")
        console.print(f"   {_chain_text(report['start']['smiles'], c['moves'])}")
        for step in c["moves"]:
            principles = "; ".join(p["label"] for p in step["principles"])
            console.print(f"   move [magenta]{escape(step['label'])}[/magenta] (§{', §'.join(step['sections'])}) "
                          f"serves: {escape(principles)}" + (f" — {escape(step['why'])}" if step.get("why") else ""))
        for m in c["mechanisms"]:
            console.print(f"   [green]{m['id']}[/green] by {', '.join(m['rules']) or '-'}")
        if c["forms"]:
            console.print(f"   forms: {', '.join(c['forms'])}")
        for t in c["tradeoffs"]:
            console.print(f"   [red]trade-off[/red] {escape(t['label'])} "
                          f"(§{t.get('section') or '?'}; {escape(t['how'])})")
    if report["knownInGraph"]:
        console.print("\n[bold]already in the graph[/bold] (not proposed):")
        for k in report["knownInGraph"]:
            console.print(f"   {escape(k['smiles'])} = lmk:{k['species']} ({escape(k['label'] or '')}): "
                          f"{_chain_text(report['start']['smiles'], k['moves'])}")
    d = report["dropped"]
    console.print(f"\n{report['judged']} new structures judged; dropped: {d['duplicates']} duplicates, "
                  f"{d['alreadyInGraph']} already in the graph, {d['invalid']} invalid")


def molecule_hypotheses(store: KnowledgeStore, store_location: str | None = None,
                        progress: Progress | None = None) -> list[Any]:
    """Hypotheses of kind "molecule": every structure one move away from a species the review uses in a
    role (solvent, additive, salt, diluent ...), judged by the rules, kept when two or more mechanism
    families count (the rule every hypothesis follows). All are novel: the graph does not hold them."""
    from lmakg.hypotheses import Hypothesis
    from lmakg.predict import ROLES

    graph = _Graph(store)
    moves = graph.select_moves(None)
    starts: list[Structure] = []
    roles: dict[str, str] = {}
    for species in sorted(graph.roles):
        card = graph.cards.get(species, {})
        if "smiles" not in card or not any(r in ROLES.values() for r in graph.roles[species]):
            continue
        try:
            smiles = reactions.canonical(card["smiles"])
            key = chem.inchikey(smiles)
        except chem.ChemistryError:
            continue
        starts.append(Structure(smiles, key, [], species, card.get("label")))
        roles[key] = graph.role_of(species)
    if not starts:
        return []
    found = enumerate_structures(graph, starts, moves, 1, progress)
    start_role = {s.smiles: roles[s.inchikey] for s in starts}
    judged = judge(graph, found.new, [start_role[s.chain[0].parent] for s in found.new], store_location, progress)
    out = []
    for j in judged:
        if "error" in j:
            continue
        counted = {k: v for k, v in j["families"].items() if v["counted"]}
        if len(counted) < 2:
            continue
        s: Structure = j["structure"]
        step = s.chain[-1]
        out.append(Hypothesis(
            id=f"H-mol-{s.inchikey.split('-')[0]}", kind="molecule",
            label=(f"{s.smiles}: {step.parent_label} by '{step.move.label}' acting through "
                   f"{' + '.join(sorted(counted))}"),
            components=[{"id": s.inchikey.split("-")[0], "label": s.smiles, "smiles": s.smiles,
                         "inchiKey": s.inchikey, "role": j["role"]}],
            families=counted, tradeoffs=j["tradeoffs"], excluded=[
                {"mechanism": r["mechanism"], "reason": "ruled out by a principle (lma:ruledOut)"}
                for r in j["result"].get("ruledOut", [])],
            novel=True, score=j["score"], pattern=step.move.id, members=set(),
            moves=[st.as_dict(graph.tradeoff_labels) for st in s.chain]))
    return out


__all__ = ["DesignInputError", "Move", "design", "enumerate_structures", "molecule_hypotheses", "render",
           "resolve_start"]
