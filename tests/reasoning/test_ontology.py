"""The ontology: loads in rdflib, pyoxigraph and owlready2; HermiT finds it consistent; every term is
annotated; the mechanism taxonomy is the review's (tests/golden/taxonomy.toml)."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import OWL, RDF, RDFS, Graph, URIRef
from rdflib.namespace import SKOS

from lmakg.knowledge import resources
from lmakg.knowledge.vocab import LMA, LMA_IRI
from lmakg.reasoning.owl import check_consistency, ontology_files

GOLDEN = tomllib.loads((Path(__file__).parents[1] / "golden" / "taxonomy.toml").read_text(encoding="utf-8"))
needs_java = pytest.mark.skipif(shutil.which("java") is None, reason="HermiT needs Java on PATH")


@pytest.fixture(scope="module")
def ontology() -> Graph:
    graph = Graph()
    for path in ontology_files():
        graph.parse(path, format="turtle")
    return graph


def test_loads_in_pyoxigraph():
    store = ox.Store()
    for path in ontology_files():
        store.load(path=str(path), format=ox.RdfFormat.TURTLE)
    assert len(store) > 1000


def test_declares_one_owl_ontology(ontology):
    assert list(ontology.subjects(RDF.type, OWL.Ontology)) == [URIRef("https://w3id.org/lmakg/ontology")]


def test_every_term_has_label_definition_and_section(ontology):
    missing = []
    for term in set(ontology.subjects()):
        if not (isinstance(term, URIRef) and str(term).startswith(LMA_IRI)):
            continue
        for prop in (RDFS.label, SKOS.definition, LMA.inSection):
            if ontology.value(term, prop) is None:
                missing.append(f"{term} lacks {prop}")
    assert not missing, "\n".join(sorted(missing))


@pytest.mark.parametrize("family", sorted(GOLDEN["families"]))
def test_mechanism_taxonomy(ontology, family):
    spec = GOLDEN["families"][family]
    node = URIRef(LMA_IRI + family)
    assert (node, RDF.type, LMA.MechanismFamily) in ontology
    section = ontology.value(node, LMA.inSection)
    assert ontology.value(section, LMA.sectionNumber).toPython() == spec["section"]
    members = {str(m).removeprefix(LMA_IRI) for m in ontology.subjects(LMA.broaderMechanism, node)}
    assert members == set(spec["members"])


def test_solvation_routes_structures_regimes(ontology):
    def instances(cls):
        return {str(s).removeprefix(LMA_IRI) for s in ontology.subjects(RDF.type, URIRef(LMA_IRI + cls))}

    assert instances("SolvationRoute") == set(GOLDEN["routes"]["members"])
    assert instances("SolvationStructure") == set(GOLDEN["solvation"]["structures"])
    assert set(GOLDEN["solvation"]["regimes"]) <= instances("ElectrolyteRegime")


def test_required_classes_exist(ontology):
    required = """ChemicalSpecies Molecule Ion Cation Anion Salt Polymer InorganicMaterial Protein Solvent CoSolvent
    Diluent LithiumSalt Additive Coating SeparatorModifier CurrentCollectorModifier ArtificialInterphase
    FunctionalGroup Element Placement InterphaseComponent LiAlloy SolvationStructure ElectrolyteRegime Mechanism
    Outcome QuantityValue Principle Reference Design TradeOff""".split()
    missing = [c for c in required if (URIRef(LMA_IRI + c), RDF.type, OWL.Class) not in ontology]
    assert not missing


def test_interphase_components_named_by_the_review(ontology):
    # Section 4 / 4.1: LiF, Li3N, Li2O, Li2S, Li2CO3, Li alkyl carbonate, Li3PO4, LiCl, boron species,
    # alloys Li13In3, Li-Zn, Li-Ag, Li-Sn, Li3Bi, Li-Mg, Li3As; 5.2: LiNxOy.
    names = """LiF Li3N Li2O Li2S Li2CO3 LiAlkylCarbonate LiNxOy Li3PO4 LiCl BoronSEISpecies LiSnAlloy Li13In3
    LiZnAlloy LiAgAlloy Li3Bi LiMgAlloy Li3As""".split()
    for name in names:
        node = URIRef(LMA_IRI + name)
        assert any(ontology.triples((node, RDF.type, None))), name
    alloys = {str(s).removeprefix(LMA_IRI) for s in ontology.subjects(RDF.type, URIRef(LMA_IRI + "LiAlloy"))}
    assert {"LiSnAlloy", "Li13In3", "Li3Bi"} <= alloys


@pytest.mark.slow
def test_loads_in_owlready2_and_hermit_finds_it_consistent():
    if shutil.which("java") is None:
        pytest.skip("HermiT needs Java on PATH")
    result = check_consistency()
    assert result.consistent, result.message
    assert result.classes >= 50


@needs_java
@pytest.mark.slow
def test_ontology_with_curated_graph_is_consistent():
    result = check_consistency(include_kg=True)
    assert result.consistent, result.message
    assert result.individuals > 400


@needs_java
@pytest.mark.slow
def test_hermit_refutes_a_species_typed_as_molecule_and_ion(tmp_path):
    # Negative control: the consistency check can fail. Molecule and Ion are disjoint in the ontology.
    bad = tmp_path / "bad.ttl"
    bad.write_text(
        "@prefix lma: <https://w3id.org/lmakg/ontology#> .\n"
        "<https://w3id.org/lmakg/kg/impossible> a lma:Molecule, lma:Ion .\n", encoding="utf-8")
    assert not check_consistency(extra=(bad,)).consistent


def test_data_dir_holds_the_knowledge_folders():
    root = resources.data_dir()
    for name in resources.KNOWLEDGE_FOLDERS:
        assert (root / name).is_dir()
