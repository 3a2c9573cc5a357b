"""Build: validates before writing, writes artifacts that load back, and never half-writes a store."""

from __future__ import annotations

import pytest
from rdflib import Graph

from lmakg.curation import build as build_module
from lmakg.curation.build import BuildError, build
from lmakg.curation.validate import ValidationReport
from lmakg.knowledge.store import open_store


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("build")
    result = build(str(root / "store"), root / "release")
    return root, result


def test_build_reports_a_clean_graph(built):
    _root, result = built
    assert result.report.conforms
    assert result.triples > 5000


def test_artifacts_load_back_with_the_same_triples(built):
    _root, result = built
    names = {p.name for p in result.artifacts}
    assert names == {"lmakg.ttl", "lmakg.nt", "lmakg.jsonld", "lmakg.owl"}
    counts = {}
    for path in result.artifacts:
        fmt = {".ttl": "turtle", ".nt": "nt", ".jsonld": "json-ld", ".owl": "xml"}[path.suffix]
        counts[path.name] = len(Graph().parse(path, format=fmt))
    assert len(set(counts.values())) == 1, counts
    assert counts["lmakg.nt"] == result.report.triples


def test_persistent_store_is_readable(built):
    root, result = built
    store = open_store(f"oxigraph:{root / 'store'}", read_only=True)
    assert store.count() == result.triples


def test_failed_validation_leaves_the_previous_store_untouched(built, monkeypatch):
    root, result = built

    def failing(_files):
        from lmakg.curation.validate import Issue

        return ValidationReport([Issue("kg/x.ttl", 1, "lmk:x", "test", "broken on purpose")])

    monkeypatch.setattr(build_module, "validate_files", failing)
    with pytest.raises(BuildError):
        build(str(root / "store"), root / "release")
    store = open_store(f"oxigraph:{root / 'store'}", read_only=True)
    assert store.count() == result.triples


def test_interrupted_load_leaves_the_previous_store_untouched(built, monkeypatch):
    root, result = built

    def crash(store, files=None):
        raise KeyboardInterrupt

    monkeypatch.setattr(build_module, "load_knowledge", crash)
    with pytest.raises(KeyboardInterrupt):
        build(str(root / "store"), None)
    store = open_store(f"oxigraph:{root / 'store'}", read_only=True)
    assert store.count() == result.triples
    leftovers = [p.name for p in root.iterdir() if ".building-" in p.name or ".old-" in p.name]
    assert leftovers == []


def test_a_violation_query_with_rows_fails_the_build(tmp_path, monkeypatch):
    import shutil

    from lmakg.knowledge import resources

    data = tmp_path / "data"
    for name in resources.KNOWLEDGE_FOLDERS:
        shutil.copytree(resources.folder(name), data / name)
    (data / "queries" / "designs-exist-violation.rq").write_text(
        "# title: Designs exist (a deliberately failing check)\n"
        "PREFIX lma: <https://w3id.org/lmakg/ontology#>\n"
        "SELECT ?design WHERE { ?design a lma:Design } LIMIT 2\n", encoding="utf-8")
    monkeypatch.setenv("LMAKG_DATA", str(data))
    with pytest.raises(BuildError) as err:
        build(None, None)
    issues = err.value.report.issues
    assert len(issues) == 2
    assert all(i.file == "queries/designs-exist-violation.rq" and i.node.startswith("lmk:design-") for i in issues)


def test_source_option_chooses_the_knowledge_folders(tmp_path, monkeypatch, runner):
    """Issue (trust): `build`/`validate` take the knowledge folders of the checkout, or `--source DIR`, and say
    which they used; a design missing its section and placement in that copy fails the build, naming the line."""
    import shutil

    from lmakg.cli import app
    from lmakg.knowledge import resources

    monkeypatch.setenv("LMAKG_DATA", "")  # empty = unset; `--source` sets it in this process, restored afterwards
    data = tmp_path / "mine"
    for name in resources.KNOWLEDGE_FOLDERS:
        shutil.copytree(resources.folder(name), data / name)
    section = data / "kg" / "section-4-1.ttl"
    lines = section.read_text(encoding="utf-8").count("\n")
    with section.open("a", encoding="utf-8") as handle:
        handle.write('lmk:design-broken a lma:Design ; rdfs:label "broken" .\n')
    monkeypatch.chdir(tmp_path)  # not inside a checkout: without --source the installed/checkout copy is used
    checked = runner.invoke(app, ["validate", "--source", str(data)])
    assert checked.exit_code == 1
    assert f"kg/section-4-1.ttl:{lines + 1}: lmk:design-broken" in checked.output
    assert f"knowledge folders: {data}" in checked.output
    built = runner.invoke(app, ["build", "--source", str(data), "--no-artifacts"])
    assert built.exit_code == 1 and "build failed" in built.output
    missing = runner.invoke(app, ["build", "--source", str(tmp_path / "nowhere"), "--no-artifacts"])
    assert missing.exit_code == 1
    assert missing.output.strip().splitlines() == [
        f"error: --source {tmp_path / 'nowhere'}: no ontology/, kg/, queries/ folder there; give the folder that "
        "holds ontology/, kg/ and queries/ (rules/ optional)"]
