"""OWL DL checks through owlready2 and HermiT.

Why: the ontology must be usable by OWL tools (Protégé, reasoners), not only by SPARQL. owlready2 reads
N-Triples, so the Turtle sources are converted with rdflib, loaded into a private ``World`` (never
owlready2's global default world), and HermiT (Java) is asked for consistency.

Java must be on PATH (Java 17 works with HermiT; owlready2's Pellet needs a newer Java).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from lmakg.knowledge import resources
from lmakg.knowledge.resources import SHAPES_FILE


@dataclass
class ConsistencyResult:
    consistent: bool
    classes: int
    individuals: int
    message: str = ""
    inconsistent_classes: tuple[str, ...] = ()


def ontology_files(include_kg: bool = False) -> list[Path]:
    files = [p for p in resources.turtle_files("ontology") if p.name != SHAPES_FILE]
    if include_kg:
        files += resources.turtle_files("kg")
    return files


def to_ntriples(files: list[Path], destination: Path) -> None:
    from rdflib import Graph

    graph = Graph()
    for path in files:
        graph.parse(path, format="turtle")
    graph.serialize(destination=str(destination), format="nt", encoding="utf-8")


def check_consistency(include_kg: bool = False, extra: tuple[Path, ...] = ()) -> ConsistencyResult:
    """Load the ontology (optionally with the curated graph and extra files) into owlready2; run HermiT."""
    import owlready2

    with tempfile.TemporaryDirectory(prefix="lmakg-owl-") as tmp:
        nt = Path(tmp) / "lmakg.nt"
        to_ntriples(ontology_files(include_kg) + list(extra), nt)
        world = owlready2.World()
        onto = world.get_ontology(nt.as_uri()).load(format="ntriples")
        classes = len(list(world.classes()))
        individuals = len(list(world.individuals()))
        try:
            with onto:
                owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
        except owlready2.OwlReadyInconsistentOntologyError as exc:
            return ConsistencyResult(False, classes, individuals, str(exc))
        unsatisfiable = tuple(sorted(str(c) for c in world.inconsistent_classes()))
        world.close()
        return ConsistencyResult(not unsatisfiable, classes, individuals,
                                 "unsatisfiable classes" if unsatisfiable else "consistent", unsatisfiable)


def multifamily_members_by_hermit(store: object) -> set[str]:
    """IRIs HermiT classifies under lma:MultiFamilySpecies (defined: a species with two or more predicted
    mechanism families), given the ontology, the curated graph and the store's inferred graph.

    This is the OWL-side half of a differential check: the rule engine's own count of families per species
    must give the same members.
    """
    import owlready2

    from lmakg.knowledge.vocab import INFERRED_GRAPH, LMA_IRI

    inferred = store.dump("ntriples", graph=str(INFERRED_GRAPH))  # type: ignore[attr-defined]
    with tempfile.TemporaryDirectory(prefix="lmakg-owl-") as tmp:
        base = Path(tmp) / "base.nt"
        to_ntriples(ontology_files(include_kg=True), base)
        merged = Path(tmp) / "merged.nt"
        merged.write_bytes(base.read_bytes() + b"\n" + inferred)
        world = owlready2.World()
        onto = world.get_ontology(merged.as_uri()).load(format="ntriples")
        with onto:
            owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
        cls = world[LMA_IRI + "MultiFamilySpecies"]
        members = {ind.iri for ind in cls.instances()} if cls is not None else set()
        world.close()
    return members
