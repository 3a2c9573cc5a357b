"""The named SPARQL queries in ``queries/`` against the curated graph, checked with golden answers.

The golden answers (``tests/golden/queries.toml``) were derived by reading the review, not by copying query
output; each expected value carries the evidence (section, quote, reference) that justifies it. A failure
therefore means either a wrong query or a curation gap in ``kg/``; the message lists every missing or
unexpected value with its evidence so the two can be told apart.

Checks:
  * every ``queries/*.rq`` has a kebab-case name, ``title``/``question``/``section`` headers, declares the
    prefixes it uses, has no GRAPH clause, has an ORDER BY, and parses (pyoxigraph and rdflib);
  * every golden entry: ``includes``/``exact`` expected values, ``excludes``, numeric ``values``, ``first``;
  * every ``*-violation.rq`` returns zero rows, and does return rows on a graph built to violate it;
  * every non-violation query has a golden entry, and every golden entry names an existing query.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from lmakg.chemistry.materialize import open_knowledge
from lmakg.knowledge.queries import parse_query_file
from lmakg.knowledge.store import KnowledgeStore, Term, open_store

ROOT = Path(__file__).resolve().parents[2]
QUERY_DIR = ROOT / "queries"
GOLDEN_PATH = ROOT / "tests" / "golden" / "queries.toml"

QUERY_FILES = sorted(QUERY_DIR.glob("*.rq"))
QUERIES = {path.stem: parse_query_file(path) for path in QUERY_FILES}
GOLDEN: dict[str, dict[str, Any]] = tomllib.loads(GOLDEN_PATH.read_text(encoding="utf-8")).get("queries", {})

VIOLATIONS = sorted(name for name in QUERIES if name.endswith("-violation"))
REPORTS = sorted(name for name in QUERIES if not name.endswith("-violation"))

KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@pytest.fixture(scope="module")
def store() -> KnowledgeStore:
    """The ontology and curated graph, loaded once for the whole module (in memory)."""
    return open_knowledge(None)


# --------------------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------------------


def local_name(term: Term | None) -> str | None:
    """An IRI's local name (after the last '/' or '#'); a literal's or blank node's value as is."""
    if term is None:
        return None
    if term.kind == "uri":
        return re.split(r"[/#]", term.value)[-1]
    return term.value


def run(store: KnowledgeStore, name: str) -> list[dict[str, Term]]:
    return store.select(QUERIES[name].text)


def columns_of(rows: list[dict[str, Term]]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            seen.setdefault(key, None)
    return list(seen)


def _strip_for_prefix_scan(text: str) -> str:
    """The query without comments, IRIs in <...> and string literals (to find prefixed names)."""
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    body = re.sub(r"<[^<>\s]*>", " ", body)
    body = re.sub(r'"(?:[^"\\]|\\.)*"', " ", body)
    body = re.sub(r"'(?:[^'\\]|\\.)*'", " ", body)
    return body


def used_prefixes(text: str) -> set[str]:
    body = _strip_for_prefix_scan(text)
    return set(re.findall(r"(?<![\w?$:/.-])([A-Za-z][\w-]*):(?=[A-Za-z0-9_])", body))


def declared_prefixes(text: str) -> set[str]:
    return set(re.findall(r"(?im)^\s*PREFIX\s+([A-Za-z][\w-]*)\s*:", text))


# --------------------------------------------------------------------------------------------------------
# (a) every query file is well formed
# --------------------------------------------------------------------------------------------------------


def test_enough_queries() -> None:
    assert len(QUERY_FILES) >= 22, f"expected at least 22 named queries in {QUERY_DIR}, found {len(QUERY_FILES)}"


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_query_file_is_well_formed(name: str, store: KnowledgeStore) -> None:
    query = QUERIES[name]
    text = query.text
    problems: list[str] = []
    if not KEBAB.match(name):
        problems.append(f"file name {name!r} is not kebab-case")
    header = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            if line.strip():
                break
            continue
        match = re.match(r"^#\s*(title|question|section)\s*:\s*(.*)$", line)
        if match:
            header[match.group(1)] = match.group(2).strip()
    for key in ("title", "question", "section"):
        if not header.get(key):
            problems.append(f"missing or empty '# {key}:' header")
    undeclared = used_prefixes(text) - declared_prefixes(text)
    if undeclared:
        problems.append(f"uses prefixes without a PREFIX line: {sorted(undeclared)}")
    if re.search(r"(?i)\bGRAPH\s*[?<$]", _strip_for_prefix_scan(text)):
        problems.append("uses a GRAPH clause (queries must read the union default graph)")
    if not re.search(r"(?i)\bORDER\s+BY\b", _strip_for_prefix_scan(text)):
        problems.append("has no ORDER BY (output must be deterministic)")
    assert not problems, f"{query.path.name}: " + "; ".join(problems)

    # parses and runs in the engine (pyoxigraph) ...
    store.select(text)
    # ... and parses in a second, independent SPARQL implementation
    from rdflib.plugins.sparql import prepareQuery

    try:
        prepareQuery(text)
    except Exception as exc:  # pragma: no cover - the message is the point
        pytest.fail(f"{query.path.name} does not parse in rdflib: {exc}")


# --------------------------------------------------------------------------------------------------------
# (b) golden answers
# --------------------------------------------------------------------------------------------------------


def test_golden_file_is_well_formed() -> None:
    problems: list[str] = []
    for name, entry in GOLDEN.items():
        if name not in QUERIES:
            problems.append(f"[queries.{name}] names no file queries/{name}.rq")
        if name.endswith("-violation"):
            problems.append(f"[queries.{name}] is a violation query; it needs no golden entry")
        if not entry.get("column"):
            problems.append(f"[queries.{name}] has no 'column'")
        if entry.get("mode", "includes") not in {"includes", "exact"}:
            problems.append(f"[queries.{name}] mode must be 'includes' or 'exact', not {entry.get('mode')!r}")
        expected = entry.get("expected", [])
        if not expected:
            problems.append(f"[queries.{name}] has no [[expected]] values")
        for item in expected:
            if not item.get("value") or not item.get("evidence"):
                problems.append(f"[queries.{name}] expected item without value or evidence: {item}")
        for check in entry.get("values", []):
            missing = {"match", "column", "value"} - set(check)
            if missing:
                problems.append(f"[queries.{name}] values check {check} lacks {sorted(missing)}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", REPORTS)
def test_report_query_has_golden_entry(name: str) -> None:
    assert name in GOLDEN, (
        f"queries/{name}.rq has no [queries.{name}] entry in {GOLDEN_PATH.relative_to(ROOT)}: "
        "work out its expected answer from the review and add it"
    )


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden_answer(name: str, store: KnowledgeStore) -> None:
    if name not in QUERIES:
        pytest.fail(f"golden entry [queries.{name}] has no queries/{name}.rq")
    entry = GOLDEN[name]
    column = entry["column"]
    mode = entry.get("mode", "includes")
    rows = run(store, name)
    available = columns_of(rows)
    if rows and column not in available:
        pytest.fail(f"{name}: result has no column {column!r}; columns are {available}")

    got = [local_name(row.get(column)) for row in rows]
    got_set = {value for value in got if value is not None}
    expected = {item["value"]: item["evidence"] for item in entry.get("expected", [])}
    failures: list[str] = []

    missing = [value for value in expected if value not in got_set]
    if missing:
        failures.append(
            f"missing from column {column!r} ({len(missing)} of {len(expected)} expected):\n"
            + "\n".join(f"    - {value}   [review: {expected[value]}]" for value in missing)
        )
    if mode == "exact":
        unexpected = sorted(got_set - set(expected))
        if unexpected:
            failures.append(
                f"not expected in column {column!r} (mode = exact; the review fixes the full set):\n"
                + "\n".join(f"    - {value}" for value in unexpected)
            )
    forbidden = sorted(got_set & set(entry.get("excludes", [])))
    if forbidden:
        failures.append(
            f"values the review rules out appear in column {column!r}:\n"
            + "\n".join(f"    - {value}" for value in forbidden)
        )
    first = entry.get("first")
    if first is not None and (not got or got[0] != first):
        failures.append(f"first row should be {first!r} (ranking), got {got[0] if got else None!r}")

    for check in entry.get("values", []):
        match, value_column = check["match"], check["column"]
        target, tolerance = float(check["value"]), float(check.get("tolerance", 1e-9))
        found: list[Any] = []
        for row in rows:
            if local_name(row.get(column)) != match or value_column not in row:
                continue
            found.append(row[value_column].python())
        numeric = [value for value in found if isinstance(value, (int, float)) and not isinstance(value, bool)]
        if not any(abs(value - target) <= tolerance for value in numeric):
            failures.append(
                f"{value_column} for {match}: expected {target} (± {tolerance}), found {found or 'no row/value'}"
            )

    if failures:
        title = QUERIES[name].title
        pytest.fail(f"{name} ({title}) — {len(rows)} rows\n" + "\n".join(failures), pytrace=False)


# --------------------------------------------------------------------------------------------------------
# (c) violation queries
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", VIOLATIONS)
def test_violation_query_returns_no_rows(name: str, store: KnowledgeStore) -> None:
    rows = run(store, name)
    if rows:
        shown = "\n".join(
            "    - " + ", ".join(f"{key}={local_name(value)}" for key, value in row.items()) for row in rows[:25]
        )
        more = f"\n    ... and {len(rows) - 25} more" if len(rows) > 25 else ""
        pytest.fail(f"{name} must return no rows; it returned {len(rows)}:\n{shown}{more}", pytrace=False)


# A small graph that breaks each rule once, so a violation query that can never fire is caught.
BROKEN_TURTLE = """
@prefix lma:  <https://w3id.org/lmakg/ontology#> .
@prefix lmk:  <https://w3id.org/lmakg/kg/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix qudt: <http://qudt.org/schema/qudt/> .
@prefix unit: <http://qudt.org/vocab/unit/> .

lmk:ref-1 a lma:Reference .
lmk:test-molecule a lma:Molecule ; rdfs:label "molecule without SMILES" .
lmk:test-anion a lma:Anion ; lma:smiles "[F-]" ; lma:inchiKey "KRHYYFGTRYWZRS-UHFFFAOYSA-M" .
lmk:test-design a lma:Design ; rdfs:label "design without reference" ;
    lma:hasQuantity [ lma:quantityKind lma:Temperature ; qudt:numericValue 25.0 ; lma:inSection lmk:sec-1 ] ,
                    [ lma:quantityKind lma:Temperature ; qudt:numericValue 30.0 ; qudt:unit unit:DEG_C ] .
lmk:test-design-ok a lma:Design ; lma:citesReference lmk:ref-1 .
"""

EXPECTED_VIOLATORS = {
    "discrete-species-without-smiles-violation": {"test-molecule", "test-anion"},
    "designs-without-reference-violation": {"test-design"},
    "quantities-without-unit-or-source-violation": {"test-design"},
}


@pytest.mark.parametrize("name", VIOLATIONS)
def test_violation_query_detects_violations(name: str) -> None:
    broken = open_store("oxigraph:")
    broken.load_turtle(BROKEN_TURTLE, graph="https://w3id.org/lmakg/graph/test")
    rows = broken.select(QUERIES[name].text)
    flagged = {local_name(value) for row in rows for value in row.values() if value.kind == "uri"}
    expected = EXPECTED_VIOLATORS.get(name)
    assert rows, f"{name} returned no rows on a graph built to violate it"
    if expected is not None:
        assert expected <= flagged, f"{name} should flag {sorted(expected)}; flagged {sorted(flagged)}"
    assert "test-design-ok" not in flagged, f"{name} flagged a node that satisfies the rule"
