"""Every number the review states is in the graph: value, unit, holder and section.

``tests/golden/review-numbers.toml`` lists, in reading order, every number with a physical meaning in the
review body, as read from the review (not from the KG): the node that should carry it, its value (or range
bounds) and QUDT unit, and its role:

* ``role = "quantity"`` — a ``lma:QuantityValue`` reachable from the holder by ``lma:hasQuantity`` (on the
  holder itself or on one of its ``lma:hasComponent`` nodes), or a quantity whose ``lma:ofSpecies`` is the
  holder, with that value and unit and ``lma:inSection`` the entry's section;
* ``role = "condition"`` — a ``lma:measuredAt`` node with that value and unit under such a quantity (a
  current density, temperature, cycle count... that only qualifies another number).

Entries with ``skip`` are numbers deliberately not curated; they show up as skipped tests with the reason.
"""

from __future__ import annotations

import math
import tomllib
from collections import Counter
from pathlib import Path

import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import RDF

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "review-numbers.toml"

LMA = Namespace("https://w3id.org/lmakg/ontology#")
LMK = Namespace("https://w3id.org/lmakg/kg/")
QUDT = Namespace("http://qudt.org/schema/qudt/")

ENTRIES: list[dict] = tomllib.loads(GOLDEN.read_text(encoding="utf-8"))["number"]


def _fmt(x: float) -> str:
    return f"{x:g}"


def _entry_id(entry: dict) -> str:
    val = _fmt(entry["value"]) if "value" in entry else f"{_fmt(entry['lower'])}..{_fmt(entry['upper'])}"
    unit = entry.get("unit", "").rstrip("/").rsplit("/", 1)[-1] or "none"
    return f"{entry['section']}-{val}-{unit}"


def _ids() -> list[str]:
    raw = [_entry_id(e) for e in ENTRIES]
    seen: Counter[str] = Counter()
    out = []
    for i in raw:
        seen[i] += 1
        out.append(i if seen[i] == 1 else f"{i}#{seen[i]}")
    return out


def _params() -> list:
    params = []
    for entry, pid in zip(ENTRIES, _ids(), strict=True):
        marks = [pytest.mark.skip(reason=f"not curated: {entry['skip']}")] if "skip" in entry else []
        params.append(pytest.param(entry, id=pid, marks=marks))
    return params


@pytest.fixture(scope="module")
def kg() -> Graph:
    """The ontology (without the SHACL shapes) and every curated kg/ file, loaded once."""
    graph = Graph()
    for path in sorted((ROOT / "ontology").glob("*.ttl")):
        if path.name != "shapes.ttl":
            graph.parse(path, format="turtle")
    for path in sorted((ROOT / "kg").glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


def _holders(graph: Graph, name: str) -> list[URIRef]:
    """The nodes a golden local name can denote (lmk: data or lma: ontology individuals) that exist."""
    return [iri for iri in (LMK[name], LMA[name]) if (iri, None, None) in graph or (None, None, iri) in graph]


def _quantities(graph: Graph, holder: URIRef) -> set:
    """Quantities of a holder: its own, its components', and any quantity that is lma:ofSpecies it."""
    found = set(graph.objects(holder, LMA.hasQuantity))
    for component in graph.objects(holder, LMA.hasComponent):
        found.update(graph.objects(component, LMA.hasQuantity))
    for q in graph.subjects(LMA.ofSpecies, holder):
        if (None, LMA.hasQuantity, q) in graph:  # a top-level quantity, not a measuredAt condition
            found.add(q)
    return found


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _number(graph: Graph, node, prop) -> float | None:
    value = graph.value(node, prop)
    return None if value is None else float(value.toPython())


def _matches(graph: Graph, node, entry: dict) -> bool:
    if str(graph.value(node, QUDT.unit)) != entry["unit"]:
        return False
    if "value" in entry:
        value = _number(graph, node, QUDT.numericValue)
        return value is not None and _close(value, entry["value"])
    lower = _number(graph, node, LMA.lowerBound)
    upper = _number(graph, node, LMA.upperBound)
    return (
        lower is not None
        and upper is not None
        and _close(lower, entry["lower"])
        and _close(upper, entry["upper"])
    )


def _describe(graph: Graph, node) -> str:
    def short(x) -> str:
        return "-" if x is None else str(x).rsplit("#", 1)[-1].rsplit("/", 1)[-1]

    value = graph.value(node, QUDT.numericValue)
    if value is None:
        value = f"{graph.value(node, LMA.lowerBound)}..{graph.value(node, LMA.upperBound)}"
    sections = ",".join(sorted(short(s) for s in graph.objects(node, LMA.inSection))) or "-"
    kind, unit = short(graph.value(node, LMA.quantityKind)), short(graph.value(node, QUDT.unit))
    return f"{kind} {value} {unit} [{sections}]"


def _section_iri(section: str) -> URIRef:
    return LMK["sec-" + section.replace(".", "-")]


def test_golden_file_is_well_formed(kg: Graph) -> None:
    """Each entry has a quote, a section the review declares, one value or two bounds, and a declared unit."""
    problems = []
    units = set(kg.subjects(RDF.type, QUDT.Unit))
    for entry, pid in zip(ENTRIES, _ids(), strict=True):
        where = f"{pid} ({entry.get('text', '?')!r})"
        if not entry.get("text"):
            problems.append(f"{where}: no quote")
        if (_section_iri(entry.get("section", "")), RDF.type, LMA.ReviewSection) not in kg:
            problems.append(f"{where}: section {entry.get('section')!r} is not a declared review section")
        if ("value" in entry) == ("lower" in entry or "upper" in entry):
            problems.append(f"{where}: give either value or lower+upper")
        if "skip" in entry:
            if not entry["skip"].strip():
                problems.append(f"{where}: empty skip reason")
            continue
        if URIRef(entry.get("unit", "")) not in units:
            problems.append(f"{where}: unit {entry.get('unit')!r} is not declared in ontology/units.ttl")
        if entry.get("role") not in ("quantity", "condition"):
            problems.append(f"{where}: role must be 'quantity' or 'condition'")
        if not _holders(kg, entry.get("holder", "")):
            problems.append(f"{where}: holder {entry.get('holder')!r} is not a node of the graph")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("entry", _params())
def test_review_number_is_curated(kg: Graph, entry: dict) -> None:
    quote = entry["text"]
    expected = f"{entry['value']:g}" if "value" in entry else f"{entry['lower']:g}..{entry['upper']:g}"
    expected += f" {entry['unit'].rsplit('/', 1)[-1]}"
    holders = _holders(kg, entry["holder"])
    assert holders, f"review says {quote!r}: holder {entry['holder']!r} is not in the graph"

    quantities = set().union(*(_quantities(kg, h) for h in holders))
    if entry["role"] == "condition":
        conditions = {c for q in quantities for c in kg.objects(q, LMA.measuredAt)}
        hits = [c for c in conditions if _matches(kg, c, entry)]
        assert hits, (
            f"review says {quote!r}: no lma:measuredAt condition {expected} under a quantity of "
            f"{entry['holder']}; its conditions: {sorted(_describe(kg, c) for c in conditions)}"
        )
        return

    hits = [q for q in quantities if _matches(kg, q, entry)]
    assert hits, (
        f"review says {quote!r}: no quantity {expected} on {entry['holder']}; "
        f"its quantities: {sorted(_describe(kg, q) for q in quantities)}"
    )
    section = _section_iri(entry["section"])
    assert any((q, LMA.inSection, section) in kg for q in hits), (
        f"review says {quote!r} in section {entry['section']}: the {expected} quantity of "
        f"{entry['holder']} has lma:inSection {[_describe(kg, q) for q in hits]}"
    )
