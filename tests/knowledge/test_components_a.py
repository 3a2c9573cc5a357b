"""Checks of kg/components-a.ttl (electrolyte component data from outside the review).

Parses the Turtle files with rdflib only (no lmakg import). The golden file
tests/golden/component-sources-a.toml holds a sample of values with the exact excerpt of the
source each was read from; the tests check that those values are in the graph and that the rest of
the file is well formed (identity, InChIKeys, sources, plausible ranges, unambiguous abbreviations).
"""

from __future__ import annotations

import tomllib
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

ROOT = Path(__file__).resolve().parents[2]
KG = ROOT / "kg"
FILE = KG / "components-a.ttl"
GOLDEN = ROOT / "tests" / "golden" / "component-sources-a.toml"

LMA = Namespace("https://w3id.org/lmakg/ontology#")
LMK = Namespace("https://w3id.org/lmakg/kg/")
QUDT = Namespace("http://qudt.org/schema/qudt/")
UNIT = Namespace("http://qudt.org/vocab/unit/")
IONS = {LMA.Anion, LMA.Cation}


@pytest.fixture(scope="module")
def own() -> Graph:
    g = Graph()
    g.parse(FILE)
    return g


@pytest.fixture(scope="module")
def merged() -> Graph:
    g = Graph()
    for path in sorted(KG.glob("*.ttl")):
        g.parse(path)
    g.parse(ROOT / "ontology" / "lmakg.ttl")
    return g


@pytest.fixture(scope="module")
def kg_only() -> Graph:
    g = Graph()
    for path in sorted(KG.glob("*.ttl")):
        g.parse(path)
    return g


def golden() -> list[dict]:
    with GOLDEN.open("rb") as fh:
        return tomllib.load(fh)["value"]


def species_iri(name: str) -> URIRef:
    return LMA[name[4:]] if name.startswith("lma:") else LMK[name]


def quantities(g: Graph, subject: URIRef, kind: URIRef):
    for q in g.objects(subject, LMA.hasQuantity):
        if (q, LMA.quantityKind, kind) in g:
            yield q


def own_species(g: Graph) -> set:
    typed = {s for s, o in g.subject_objects(RDF.type)
             if o in {LMA.Molecule, LMA.Salt, LMA.Anion, LMA.Cation}}
    return typed | set(g.subjects(LMA.componentClass, None))


def test_golden_has_enough_values_spread_over_kinds():
    entries = golden()
    assert len(entries) >= 25
    assert len({e["kind"] for e in entries}) >= 6
    assert len({e["species"] for e in entries}) >= 15


@pytest.mark.parametrize("entry", golden(), ids=lambda e: f"{e['species']}-{e['kind']}")
def test_golden_value_in_graph_and_excerpt(own, entry):
    subject = species_iri(entry["species"])
    expected = Decimal(entry["value"])
    unit = UNIT[entry["unit"]]
    found = [q for q in quantities(own, subject, LMA[entry["kind"]])
             if (q, QUDT.unit, unit) in own
             and own.value(q, QUDT.numericValue) is not None
             and Decimal(str(own.value(q, QUDT.numericValue))) == expected]
    assert found, f"{entry['species']} {entry['kind']} {expected} {entry['unit']} not in {FILE.name}"
    sources = {str(own.value(q, LMA.externalSource)) for q in found}
    assert entry["source"] in sources
    # the number is printed in the excerpt (sources use the Unicode minus and decimal commas)
    text = entry["excerpt"].replace("\u2212", "-").replace(",", ".")
    assert f"{abs(expected):f}".rstrip("0").rstrip(".") in text


def test_species_identity(own, merged):
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    species = own_species(own)
    assert len(species) >= 75
    for s in species:
        assert merged.value(s, RDFS.label) is not None, s
        assert merged.value(s, SKOS.altLabel) is not None, s
        smiles = merged.value(s, LMA.smiles)
        assert smiles is not None, s
        mol = Chem.MolFromSmiles(str(smiles))
        assert mol is not None, s
        assert Chem.MolToInchiKey(mol) == str(merged.value(s, LMA.inchiKey)), s
        if not set(merged.objects(s, RDF.type)) & IONS:
            assert own.value(s, LMA.componentClass) is not None, s
            assert own.value(s, LMA.typicalRole) is not None, s


def test_enough_species_with_data(own):
    with_data = {s for s in own.subjects(LMA.hasQuantity, None)}
    assert len(with_data) >= 53


def test_every_quantity_has_a_source(own):
    qs = list(own.objects(None, LMA.hasQuantity))
    assert qs
    for q in qs:
        assert own.value(q, LMA.externalSource) is not None, q
        assert (q, QUDT.numericValue, None) in own or (q, LMA.lowerBound, None) in own


RANGES = {
    LMA.RelativePermittivity: (1, 130),  # vinylene carbonate: 126
    LMA.DonorNumber: (0, 40),
    LMA.DynamicViscosity: (0.1, 100),
}


def _values(g: Graph, q) -> list[float]:
    vals = [g.value(q, p) for p in (QUDT.numericValue, LMA.lowerBound, LMA.upperBound)]
    return [float(v.toPython()) for v in vals if isinstance(v, Literal)]


def test_sanity_ranges(own):
    for q in own.objects(None, LMA.hasQuantity):
        kind = own.value(q, LMA.quantityKind)
        condition = str(own.value(q, LMA.condition) or "")
        if kind == LMA.Density and not condition.startswith("solid"):
            assert (q, QUDT.unit, UNIT["GM-PER-CentiM3"]) in own
            assert all(0.6 <= v <= 2.5 for v in _values(own, q)), q
        if kind in RANGES:
            lo, hi = RANGES[kind]
            assert all(lo <= v <= hi for v in _values(own, q)), (kind, _values(own, q))
        if kind == LMA.DonorNumber:
            assert (q, QUDT.unit, UNIT["KiloCAL-PER-MOL"]) in own
        if kind in (LMA.MeltingPoint, LMA.BoilingPoint, LMA.FlashPoint):
            assert (q, QUDT.unit, UNIT.DEG_C) in own


def test_abbreviations_name_one_species(own, kg_only):
    holders: dict[str, set] = defaultdict(set)
    for s, label in kg_only.subject_objects(SKOS.altLabel):
        holders[str(label).casefold()].add(s)
    for s, label in own.subject_objects(SKOS.altLabel):
        assert holders[str(label).casefold()] == {s}, (str(label), holders[str(label).casefold()])
