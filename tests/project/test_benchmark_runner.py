"""benchmarks/run_all.py, the one benchmark command: a --quick run on tiny sizes measures every section and writes
<date>-quick.json/.md; a step past --timeout is reported as a timeout (and the larger sizes of that tool too), not
left out. Expectations: row counts from the named queries run here on the embedded store, rates recomputed from the
recorded seconds."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_queries  # noqa: E402
import run_all  # noqa: E402


def test_quick_run_measures_every_section(tmp_path, knowledge):
    from lmakg.knowledge.queries import list_queries

    report = run_all.main(["--quick", "--servers", "none", "--out", str(tmp_path), "--tools", "lmakg",
                           "--screen-sizes", "20,40", "--workers-at", "0", "--repeats", "1"])
    (written,) = tmp_path.glob("*-quick.json")
    assert json.loads(written.read_text()) == json.loads(json.dumps(report))
    table = written.with_suffix(".md").read_text()

    (run,) = report["fixpoint"]
    assert run["tool"] == "lmakg" and run["status"] == "ok" and run["copies"] == 1
    assert run["triples"] > 10_000 and run["inferred"] > 1_000 and run["reason"] > 0
    assert f"| {run['triples']:,} | lmakg |" in table

    queries = report["queries"]["in memory"]
    assert queries["status"] == "ok"
    answers = queries["queries"]
    assert set(answers) == {q.name for q in list_queries()}
    for q in list_queries():
        assert answers[q.name]["status"] == "ok"
        assert answers[q.name]["rows"] == len(knowledge.select(q.text)), q.name

    sizes = report["screening"]["sizes"]
    assert [sizes[n]["candidates"] for n in ("20", "40")] == [20, 40]
    assert [sizes[n]["rows"] for n in ("20", "40")] == [20, 40]  # rows in the output file
    small, big = sizes["20"], sizes["40"]
    assert big["per_second"] == pytest.approx(40 / big["seconds"])
    assert 0 < big["fraction_of_rdkit"] < 1
    assert big["peak_rss_mb"] > 50  # the screen's own process (RDKit and the graph loaded), measured per child
    exponent = math.log(big["seconds"] / small["seconds"]) / math.log(2)
    assert f"| 40 | {big['seconds']:.1f} | {40 / big['seconds']:.0f} |" in table
    assert f"| {exponent:.2f} |" in table


def test_a_step_past_the_timeout_is_reported_not_left_out(tmp_path):
    report = run_all.main(["--quick", "--servers", "none", "--out", str(tmp_path), "--timeout", "0.3",
                           "--steps", "fixpoint,screening", "--tools", "lmakg,owlrl", "--fixpoint-sizes",
                           "10000,100000", "--screen-sizes", "20", "--workers-at", "0"])
    statuses = [(r["tool"], r["target"], r["status"]) for r in report["fixpoint"]]
    assert [s[:2] for s in statuses] == [("lmakg", 10000), ("owlrl", 10000), ("lmakg", 100000), ("owlrl", 100000)]
    assert all(s.startswith("timeout") for *_, s in statuses)
    assert "not run" in statuses[2][2] and "not run" in statuses[3][2]  # a tool that timed out is not re-run bigger
    assert report["screening"]["sizes"]["20"]["timeout"]
    table = (tmp_path / f"{report['meta']['date']}-quick.md").read_text()
    assert sum(1 for line in table.splitlines() if line.startswith("|") and "timeout" in line) == 5


def test_server_answers_are_compared_as_sets_where_sparql_leaves_order_open():
    import pyoxigraph as ox

    xsd = "http://www.w3.org/2001/XMLSchema#"
    assert bench_queries.cell(ox.Literal("1", datatype=ox.NamedNode(xsd + "decimal"))) == \
        bench_queries.cell(ox.Literal("1", datatype=ox.NamedNode(xsd + "integer")))
    assert bench_queries.cell(ox.Literal("82, 81")) == bench_queries.cell(ox.Literal("81, 82"))
    assert bench_queries.cell(ox.Literal("81, 82")) != bench_queries.cell(ox.Literal("81, 83"))
    assert bench_queries.cell(ox.BlankNode("a")) == bench_queries.cell(ox.BlankNode("b")) == "_:"
    assert bench_queries.cell(ox.Literal("true", datatype=ox.NamedNode(xsd + "boolean"))) != bench_queries.cell(
        ox.Literal("1", datatype=ox.NamedNode(xsd + "integer")))  # Virtuoso's 1 for true is a different answer
