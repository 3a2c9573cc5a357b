"""The review's design moves as data, applied: from a starting species to new structures.

The moves are ``lma:DesignMove`` nodes of ``kg/design-moves.ttl`` (an RDKit reaction SMARTS, or for the swap
a SPARQL criterion, with the principle and section behind each). :func:`enumerate_structures` applies them
breadth-first up to a depth; every product is sanitised by RDKit (invalid ones are dropped and counted) and
identified by InChIKey, so a structure reached twice is kept once (at its shortest move chain), and a
product the graph already holds is reported with the curated species it matches.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lmakg.chemistry import reactions
from lmakg.chemistry import structures as chem
from lmakg.knowledge.queries import run_engine_query
from lmakg.knowledge.store import KnowledgeStore
from lmakg.knowledge.terms import TRUE
from lmakg.knowledge.vocab import local_name
from lmakg.reasoning.evidence import ScoreModel, rule_metadata

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


class MoveContext:
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
                every_site="everySite" in row and row["everySite"].value in TRUE,
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
        self.model = ScoreModel.from_store(store)
        self.rules = rule_metadata(store, self.model, local_name)
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
        from lmakg.chemistry.candidates import ROLES

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


def resolve_start(graph: MoveContext, text: str) -> Structure:
    """The starting structure: a name of the graph (label, abbreviation, synonym) or a SMILES."""
    from lmakg.knowledge.show import NameLookupError, resolve

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


def _apply(graph: MoveContext, move: Move, parent: Structure, invalid: list[str]) -> list[tuple[str, str | None]]:
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


def enumerate_structures(graph: MoveContext, starts: list[Structure], moves: list[Move], depth: int,
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
