"""Perception by RDKit: the SMARTS catalogue on the review's species (tests/golden/features.toml, read off
the structures by hand), composition, charge and F mass fraction of every discrete species, kept in the
perceived graph with "perceived by RDKit <version>" provenance, and never silently at odds with the
curation (lmakg.chemistry.perceive.disagreements, compared with the golden list)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from lmakg.chemistry import structures as chem
from lmakg.chemistry.perceive import AGENT_IRI, PERCEIVED_GRAPH, disagreements, perceive
from lmakg.knowledge import resources
from lmakg.knowledge.load import load_knowledge
from lmakg.knowledge.store import open_store
from lmakg.knowledge.vocab import ASSERTED_GRAPH, LMA_IRI, LMK_IRI

GOLDEN = tomllib.loads((Path(__file__).parents[1] / "golden" / "features.toml").read_text(encoding="utf-8"))
PERCEIVED = f"<{PERCEIVED_GRAPH}>"
# Features the issue lists (issue 4, section 1), by their catalogue names.
ISSUE_FEATURES = """Carbonyl Amide Imino Carboxyl EtherOxygen Nitrile CFBond Trifluoromethyl PerfluoroalkylSegment
SFBond SulfonylFluoride PFBond BFBond MetalFluoride Nitrate Nitrite Azide Sulfate Sulfonyl Sulfite Phosphate
Phosphine Borate ElectronDeficientBoron AromaticRing QuaternaryAmmonium Imidazolium Pyridinium CrownEther
Siloxane Alkyne BetaActivatedCF""".split()


@pytest.fixture(scope="module")
def perceived():
    store = open_store()
    load_knowledge(store)
    perceive(store)
    return store


def _iri(name: str) -> str:
    return LMA_IRI + name[4:] if name.startswith("lma:") else LMK_IRI + name


def _small_store(turtle: str):
    """The ontology (features, elements) plus a few test species: perception without the whole review."""
    store = open_store()
    load_knowledge(store, files=resources.turtle_files("ontology"), rules=False)
    store.load_turtle("@prefix lma: <https://w3id.org/lmakg/ontology#> .\n"
                      "@prefix lmk: <https://w3id.org/lmakg/kg/> .\n" + turtle, graph=str(ASSERTED_GRAPH))
    perceive(store)
    return store


def test_catalogue_has_every_feature_the_issue_lists_with_label_definition_section(perceived):
    rows = perceived.select("""SELECT ?g ?label ?definition ?section WHERE { ?g lma:smarts ?s .
        OPTIONAL { ?g rdfs:label ?label } OPTIONAL { ?g skos:definition ?definition }
        OPTIONAL { ?g lma:inSection ?section } }""")
    catalogue = {r["g"].value.removeprefix(LMA_IRI): r for r in rows}
    assert set(ISSUE_FEATURES) <= set(catalogue)
    incomplete = sorted(name for name, r in catalogue.items() if not {"label", "definition", "section"} <= set(r))
    assert incomplete == []


def test_every_smarts_is_tested_by_the_golden_file(perceived):
    catalogue = {r["g"].value.removeprefix(LMA_IRI) for r in perceived.select("SELECT ?g WHERE { ?g lma:smarts ?s }")}
    assert catalogue == {f["id"] for f in GOLDEN["feature"]}


@pytest.mark.parametrize("case", GOLDEN["feature"], ids=[f["id"] for f in GOLDEN["feature"]])
def test_feature_pattern(perceived, case):
    smarts = perceived.select("SELECT ?g ?s WHERE { ?g lma:smarts ?s }", bindings={"g": f"<{LMA_IRI}{case['id']}>"})
    pattern = {case["id"]: smarts[0]["s"].value}

    def found(example: str) -> bool:
        if example.startswith("smiles:"):
            return case["id"] in chem.perceive_smiles(example[7:], pattern).features
        structure = perceived.select("SELECT ?s ?t WHERE { ?s lma:smiles|lma:repeatUnitSmiles ?t }",
                                     bindings={"s": f"<{_iri(example)}>"})
        assert structure, f"{example} has no structure in the graph"
        return perceived.ask(f"ASK {{ GRAPH {PERCEIVED} {{ <{_iri(example)}> lma:hasFunctionalGroup "
                             f"<{LMA_IRI}{case['id']}> }} }}")

    assert [e for e in case["positive"] if not found(e)] == [], case["why"]
    assert [e for e in case["negative"] if found(e)] == [], case["why"]


def _composition(store, iri: str) -> dict[str, int]:
    rows = store.select(f"""SELECT ?s ?symbol ?n ?element WHERE {{ GRAPH {PERCEIVED} {{
        ?s lma:hasElementCount ?c . ?c a lma:ElementCount ; lma:elementSymbol ?symbol ; lma:atomCount ?n .
        OPTIONAL {{ ?c lma:element ?element }} }} }}""", bindings={"s": f"<{iri}>"})
    for r in rows:  # every element of the review's species is declared, so every count links to it
        assert r["element"].value == LMA_IRI + r["symbol"].value
    return {r["symbol"].value: int(r["n"].value) for r in rows}


def _f_fraction(store, iri: str) -> list[float]:
    rows = store.select(f"""SELECT ?s ?v WHERE {{ GRAPH {PERCEIVED} {{ ?s lma:hasQuantity ?q .
        ?q a lma:QuantityValue ; lma:quantityKind lma:MassFraction ; lma:element lma:F ;
           qudt:numericValue ?v ; qudt:unit unit:PERCENT ; lma:externalSource ?source }} }}""",
                        bindings={"s": f"<{iri}>"})
    return [float(r["v"].value) for r in rows]


@pytest.mark.parametrize("case", GOLDEN["species"], ids=[s["id"] for s in GOLDEN["species"]])
def test_species_descriptors(perceived, case):
    iri = _iri(case["id"])
    if "composition" in case:
        assert _composition(perceived, iri) == case["composition"], case["why"]
    if "charge" in case:
        rows = perceived.select(f"SELECT ?s ?z WHERE {{ GRAPH {PERCEIVED} {{ ?s lma:charge ?z }} }}",
                                bindings={"s": f"<{iri}>"})
        assert [int(r["z"].value) for r in rows] == [case["charge"]], case["why"]
    fractions = _f_fraction(perceived, iri)
    if "fMassFraction" in case:
        assert fractions == [pytest.approx(case["fMassFraction"], abs=0.02)], case["why"]
    else:
        assert fractions == [], case["why"]


def test_every_discrete_species_has_composition_and_charge(perceived):
    rows = perceived.select(f"""SELECT ?s WHERE {{ ?s lma:smiles ?smiles .
        FILTER NOT EXISTS {{ GRAPH {PERCEIVED} {{ ?s lma:charge ?z ; lma:hasElementCount ?c }} }} }}""")
    assert [r["s"].value for r in rows] == []
    assert len(perceived.select("SELECT DISTINCT ?s WHERE { ?s lma:smiles ?x }")) > 70


def test_f_mass_fraction_only_for_f_containing_structures(perceived):
    rows = perceived.select(f"""SELECT ?s WHERE {{ GRAPH {PERCEIVED} {{ ?s lma:hasQuantity ?q }}
        FILTER NOT EXISTS {{ GRAPH {PERCEIVED} {{ ?s lma:containsElement lma:F }} }} }}""")
    assert rows == []


def test_cf2_segment_has_the_reviews_76_percent():
    case = GOLDEN["cf2_segment"]
    store = _small_store(f'lmk:cf2-chain a lma:Polymer ; lma:repeatUnitSmiles "{case["repeatUnitSmiles"]}" .')
    (value,) = _f_fraction(store, LMK_IRI + "cf2-chain")
    assert value == pytest.approx(case["fMassFraction"], abs=0.02)
    assert value == pytest.approx(case["review"], abs=0.05)  # the review rounds to 76 %
    assert store.ask(f"ASK {{ GRAPH {PERCEIVED} {{ lmk:cf2-chain lma:hasFunctionalGroup "
                     "lma:PerfluoroalkylSegment } }")


def test_curated_and_perceived_agree_as_the_golden_file_says(perceived):
    assert disagreements(perceived) == GOLDEN["disagreements"]["expected"]


def test_disagreements_are_reported():
    # Negative control: ethanol curated with a wrong charge, a nitrile it lacks and an F it does not contain.
    store = _small_store('lmk:wrong a lma:Molecule ; lma:smiles "CCO" ; lma:charge 1 ; '
                         'lma:hasFunctionalGroup lma:Nitrile, lma:Hydroxyl ; lma:containsElement lma:F, lma:O .')
    assert disagreements(store) == ["wrong: curated charge 1, perceived 0",
                                    "wrong: curated element F, not perceived",
                                    "wrong: curated functional group Nitrile, not perceived"]


@pytest.mark.parametrize(("species", "element"), [("SnF2", "Sn"), ("SnF2", "F"), ("LiAsF6", "As"), ("FEC", "F"),
                                                    ("TPFPB", "B"), ("azidotrimethylsilane", "Si")])
def test_elements(perceived, species, element):
    assert perceived.ask(f"ASK {{ GRAPH {PERCEIVED} {{ lmk:{species} lma:containsElement lma:{element} }} }}")


def test_perceived_graph_is_kept_apart_and_stable(perceived):
    assert not perceived.ask("ASK { GRAPH ?g { ?s lma:hasElementCount ?c } "
                             f"FILTER(?g != {PERCEIVED}) }}")
    before = perceived.count(str(PERCEIVED_GRAPH))
    asserted = perceived.count(str(ASSERTED_GRAPH))
    perceive(perceived)
    assert perceived.count(str(PERCEIVED_GRAPH)) == before
    assert perceived.count(str(ASSERTED_GRAPH)) == asserted


def test_every_perceived_fact_names_rdkit_and_its_version(perceived):
    from rdkit import __version__

    rows = perceived.select(f"""
        SELECT (COUNT(*) AS ?n) WHERE {{
          GRAPH {PERCEIVED} {{ ?s ?p ?o }}
          FILTER NOT EXISTS {{ ?st rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o .
                               ?d lma:conclusion ?st ; prov:wasAssociatedWith <{AGENT_IRI}> }}
          FILTER NOT EXISTS {{ ?s prov:wasGeneratedBy ?d . ?d prov:wasAssociatedWith <{AGENT_IRI}> }}
        }}""")
    assert rows[0]["n"].value == "0"
    assert perceived.count(str(PERCEIVED_GRAPH)) > 1000
    label = perceived.select(f"SELECT ?l WHERE {{ <{AGENT_IRI}> a prov:SoftwareAgent ; rdfs:label ?l }}")
    assert [r["l"].value for r in label] == [f"perceived by RDKit {__version__}"]


def test_perceived_graph_conforms_to_the_shapes(perceived):
    from pyshacl import validate
    from rdflib import Graph, URIRef

    data = Graph()
    for graph in ("https://w3id.org/lmakg/graph/ontology", str(PERCEIVED_GRAPH)):
        data.parse(data=perceived.dump("nt", graph=graph), format="nt")
    counts = set(data.subjects(URIRef(LMA_IRI + "atomCount"), None))
    assert len(counts) > 200  # the shapes have something to check
    shapes = Graph().parse(resources.folder("ontology") / "shapes.ttl")
    conforms, _, text = validate(data, shacl_graph=shapes, inference="none")
    assert conforms, text
