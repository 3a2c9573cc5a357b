"""The command line as a user meets it: help, build, sparql, queries, stats, and one-line errors."""

from __future__ import annotations

import json

from lmakg.cli import app


def test_help_lists_every_command(runner):
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("build", "validate", "sparql", "queries", "query", "show", "stats"):
        assert command in result.output


def test_sparql_formats(runner, tmp_path):
    query = ("PREFIX lma: <https://w3id.org/lmakg/ontology#> "
             "SELECT ?m WHERE { ?m a lma:MechanismFamily } ORDER BY ?m")
    table = runner.invoke(app, ["sparql", query])
    assert table.exit_code == 0, table.output
    assert "6 row(s)" in table.output
    as_json = runner.invoke(app, ["sparql", query, "--format", "json"])
    bindings = json.loads(as_json.output)["results"]["bindings"]
    names = [b["m"]["value"].rsplit("#", 1)[1] for b in bindings]
    assert names == sorted(["UniformLiFlux", "DesolvationRegulation", "SEIOptimization", "AnionRichSolvation",
                            "SpaceChargeWeakening", "HighModulusSuppression"])
    as_csv = runner.invoke(app, ["sparql", query, "--format", "csv"])
    assert as_csv.output.splitlines()[0] == "m"
    path = tmp_path / "q.rq"
    path.write_text(query, encoding="utf-8")
    from_file = runner.invoke(app, ["sparql", str(path), "--format", "tsv"])
    assert from_file.exit_code == 0 and from_file.output.splitlines()[0] == "?m"


def test_sparql_syntax_error_is_one_line(runner):
    result = runner.invoke(app, ["sparql", "SELECT WHERE {"])
    assert result.exit_code == 1
    assert "SPARQL syntax error" in result.output
    assert "Traceback" not in result.output


def test_missing_query_file(runner):
    result = runner.invoke(app, ["sparql", "nowhere.rq"])
    assert result.exit_code == 1 and "no such query file: nowhere.rq" in result.output


def test_named_queries_listed_and_unknown_name_suggests(runner):
    listing = runner.invoke(app, ["queries", "--json"])
    assert listing.exit_code == 0
    names = [q["name"] for q in json.loads(listing.output)]
    assert len(names) >= 20
    first = names[0]
    assert runner.invoke(app, ["query", first, "--format", "json"]).exit_code == 0
    unknown = runner.invoke(app, ["query", first + "x"])
    assert unknown.exit_code == 1 and first in unknown.output


def test_stats_json(runner):
    result = runner.invoke(app, ["stats", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["shacl"]["violations"] == 0
    assert data["designs"] >= 60


def test_build_with_store_then_query_it(runner, tmp_path):
    store = tmp_path / "store"
    built = runner.invoke(app, ["build", "--store", str(store), "--out", str(tmp_path / "release")])
    assert built.exit_code == 0, built.output
    assert (tmp_path / "release" / "lmakg.owl").exists()
    shown = runner.invoke(app, ["show", "FEC", "--json", "--store", str(store)])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["inchiKey"] == "SBLRHMKNNHXPHG-UHFFFAOYSA-N"


def test_store_that_does_not_exist(runner, tmp_path):
    result = runner.invoke(app, ["stats", "--store", str(tmp_path / "nothing")])
    assert result.exit_code == 1 and "does not exist" in result.output


def test_infer_rules_and_persistent_infer(runner, tmp_path):
    listing = runner.invoke(app, ["rules", "--json"])
    assert listing.exit_code == 0
    rules = json.loads(listing.output)
    assert len(rules) >= 40 and all(r["section"] for r in rules)
    result = runner.invoke(app, ["infer", "--json"])
    assert result.exit_code == 0, result.output
    first = json.loads(result.stdout)
    assert first["added"] > 1000 and first["derivations"] > 500
    store = tmp_path / "s"
    assert runner.invoke(app, ["build", "--store", str(store), "--no-artifacts"]).exit_code == 0
    again = runner.invoke(app, ["infer", "--store", str(store), "--json"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["added"] == first["added"]
