"""The store contract (issue 12): whatever backend holds the review KG, lmakg answers the same.

Each backend gets the review KG from `lmakg build --store ...` once per session (``built_stores``): "embedded" is a
store folder on disk, "oxigraph" and "virtuoso" are the SPARQL servers `.ci/services.sh` starts (skipped without
them, failed without them under LMAKG_REQUIRE_SERVERS=1). The reference is the in-memory store every command uses
without --store (``knowledge``). Compared: every named query of queries/ (rows as multisets; a term as SPARQL's
``=`` sees it, see ``value_of``; the parts of a GROUP_CONCAT sorted, its order being undefined), the top
hypotheses through `lmakg hypotheses --json`, and `show`, `query` and `sparql` through the CLI.

Virtuoso 7.2 (the Debian package CI installs) evaluates transitive property paths (``p*``, ``p+``) wrongly when they
are joined with other patterns: a row per path instead of per solution, rows lost next to a grouped sub-select,
answers that change from one fresh instance to the next (openlink/virtuoso-opensource#704, #762, #1103;
docs/servers.md). Where a query with such a path gives another answer there, the test is marked xfail with that
reason; the server must still answer, and every query without a path must give the embedded answer.
"""

from __future__ import annotations

import collections
import json
import re

import pytest

from lmakg.cli import app
from lmakg.knowledge.queries import engine_query, get_query, list_queries
from lmakg.knowledge.store import open_store

BACKENDS = ("embedded", "oxigraph", "virtuoso")
QUERIES = [q.name for q in list_queries()]
TRANSITIVE_PATH = re.compile(r"[\w>)][*+](?=\s)")  # rdfs:subClassOf* ?c, lma:madeFrom+ ... (not ?a * ?b, COUNT(*))
SEPARATOR = re.compile(r'separator\s*=\s*"([^"]*)"\s*\)\s*AS\s*\?(\w+)', re.IGNORECASE)
PATH_BUG = ("Virtuoso 7.2 evaluates transitive property paths joined with other patterns wrongly "
            "(openlink/virtuoso-opensource#704, #762, #1103; docs/servers.md)")
HYPOTHESES = ["hypotheses", "--top", "10", "--json", "--kinds", "component,combination"]


def _rows(rows, text: str, value_of) -> collections.Counter:
    concatenated = {var: sep for sep, var in SEPARATOR.findall(text)}

    def value(name, term) -> tuple:
        if name in concatenated and term.kind == "literal":
            return ("concatenated", tuple(sorted(term.value.split(concatenated[name]))))
        return value_of(term.kind, term.value, term.datatype, term.language)

    return collections.Counter(tuple(sorted((k, value(k, v)) for k, v in row.items())) for row in rows)


def _json_rows(output: str, text: str, value_of) -> collections.Counter:
    """SPARQL JSON results (`--format json`) as :func:`_rows` sees them."""
    from lmakg.knowledge.terms import Term

    kinds = {"uri": "uri", "bnode": "bnode", "literal": "literal", "typed-literal": "literal"}
    rows = [{k: Term(kinds[v["type"]], v["value"], v.get("datatype"), v.get("xml:lang"))
             for k, v in binding.items()} for binding in json.loads(output)["results"]["bindings"]]
    return _rows(rows, text, value_of)


def _known_deviation(backend: str, *texts: str) -> str | None:
    return PATH_BUG if backend == "virtuoso" and any(TRANSITIVE_PATH.search(t) for t in texts) else None


def _same(embedded, found, deviation: str | None, what: str) -> None:
    if found != embedded and deviation:
        pytest.xfail(f"{what}: {deviation}")
    assert found == embedded, what


@pytest.fixture(scope="session")
def embedded_hypotheses() -> list:
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, HYPOTHESES)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_the_path_detector_finds_paths_and_nothing_else():
    for path in ("?c rdfs:subClassOf* lma:Solvent", "?x a/rdfs:subClassOf+ ?y", "?s (lma:a|lma:b)* ?o"):
        assert TRANSITIVE_PATH.search(path), path
    assert not TRANSITIVE_PATH.search("SELECT * WHERE { BIND(?a * ?b AS ?c) } GROUP BY ?x HAVING (COUNT(*) > 1)")
    assert not TRANSITIVE_PATH.search("BIND(?a+1 AS ?b) FILTER(?x > +2)")


@pytest.mark.parametrize("name", QUERIES)
@pytest.mark.parametrize("backend", BACKENDS)
def test_every_named_query_gives_the_embedded_answer(backend, name, store_of, knowledge, value_of):
    store = open_store(store_of(backend), read_only=True)
    text = get_query(name).text
    found = _rows(store.select(text), text, value_of)  # a server that cannot answer fails here, deviation or not
    _same(_rows(knowledge.select(text), text, value_of), found, _known_deviation(backend, text), name)


@pytest.mark.parametrize("backend", BACKENDS)
def test_hypotheses_give_the_embedded_top_ten(backend, store_of, runner, embedded_hypotheses):
    result = runner.invoke(app, [*HYPOTHESES, "--store", store_of(backend)])
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert len(embedded_hypotheses) == 10
    assert [h["id"] for h in found] == [h["id"] for h in embedded_hypotheses]
    if backend == "virtuoso":
        # On Virtuoso 7 the statement holding a computed double (the Nernst potential of Cs+, measured here) is
        # hashed from Virtuoso's own lexical form of the double, so it and the derivation resting on it get other
        # IRIs: the same firing (rule, conclusion, other premises) under another name. All else must be equal.
        found, expected = _without_derivation_iris(found), _without_derivation_iris(embedded_hypotheses)
        assert found == expected
        return
    assert found == embedded_hypotheses


def _without_derivation_iris(hypotheses: list) -> list:
    out = json.loads(json.dumps(hypotheses))
    for h in out:
        for explanation in h.get("explanations", []):
            for evidence in explanation.get("evidence", []):
                evidence.pop("derivation", None)
    return out


@pytest.mark.parametrize("backend", BACKENDS)
def test_show_query_and_sparql_through_the_cli(backend, store_of, runner, value_of):
    selector = store_of(backend)

    def both(*command: str) -> tuple[str, str]:
        here, there = runner.invoke(app, list(command)), runner.invoke(app, [*command, "--store", selector])
        assert here.exit_code == 0 and there.exit_code == 0, (here.output, there.output)
        return here.output, there.output

    text = get_query("coulombic-efficiency-99").text
    here, there = both("query", "coulombic-efficiency-99", "--format", "json")
    assert _json_rows(here, text, value_of)  # five designs at >= 99 % CE (tests/golden/queries.toml)
    assert _json_rows(there, text, value_of) == _json_rows(here, text, value_of)

    sparql = "SELECT ?label ?smiles WHERE { lmk:FEC rdfs:label ?label ; lma:smiles ?smiles }"
    here, there = both("sparql", sparql, "--format", "json")
    fec = (("label", ("literal", "fluoroethylene carbonate", "", "")), ("smiles", ("literal", "O=C1OCC(F)O1", "", "")))
    assert _json_rows(here, sparql, value_of) == collections.Counter({fec: 1})
    assert _json_rows(there, sparql, value_of) == _json_rows(here, sparql, value_of)

    here, there = both("show", "FEC", "--json")
    embedded, found = json.loads(here), json.loads(there)
    for shown in (embedded, found):  # the order of the properties is the order a store returns them in
        shown["properties"] = sorted(json.dumps(p, sort_keys=True) for p in shown["properties"])
    _same(embedded, found, _known_deviation(backend, engine_query("species-uses")), "show FEC")
