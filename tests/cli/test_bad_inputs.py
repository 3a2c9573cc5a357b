"""Bad input (issue: trust): one line naming what is wrong, a non-zero exit code, no traceback, and nothing
that lmakg did not create is changed. Each case comes from the issue's measurements or is of the same kind."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data"


def lmakg(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lmakg", *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "LMAKG_DEBUG": "0"}, timeout=300)


def snapshot(folder: Path) -> dict[str, str]:
    """Every entry under a folder (links as their targets, files by content hash)."""
    found = {}
    for path in sorted(folder.rglob("*")):
        key = str(path.relative_to(folder))
        if path.is_symlink():
            found[key] = "-> " + os.readlink(path)
        elif path.is_file():
            found[key] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            found[key] = "dir"
    return found


def one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode != 0, result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    for needle in needles:
        assert needle in errors[0], errors[0]


def test_build_into_the_working_folder_refuses_and_keeps_its_files(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("my notes")
    before = snapshot(tmp_path)
    one_line_error(lmakg("build", "--store", ".", "--no-artifacts", cwd=tmp_path), "working folder")
    assert snapshot(tmp_path) == before


def test_build_over_a_regular_file_refuses(tmp_path: Path) -> None:
    (tmp_path / "report.txt").write_text("a report")
    before = snapshot(tmp_path)
    one_line_error(lmakg("build", "--store", "report.txt", "--no-artifacts", cwd=tmp_path), "is not an lmakg store")
    assert snapshot(tmp_path) == before


def test_add_to_a_folder_that_is_not_a_store_touches_nothing(tmp_path: Path) -> None:
    (tmp_path / "somedir").mkdir()
    (tmp_path / "somedir" / "a.txt").write_text("mine")
    before = snapshot(tmp_path)
    one_line_error(lmakg("add", str(DATA / "additions" / "rb-shield.ttl"), "--store", "somedir", cwd=tmp_path),
                   "is not an lmakg store", "a.txt")
    assert snapshot(tmp_path) == before  # no renamed folder, no link, no lock file


@pytest.mark.parametrize(("args", "needle"), [
    (["predict", "--smiles", "CCO", "--concentration", "0.05"], "has no unit"),
    (["predict", "--smiles", "CCO", "--modulus", "-5 GPa"], "impossible --modulus"),
    (["predict", "--smiles", "CCO", "--standard-potential", "1e400 V"], "impossible --standard-potential"),
    (["predict", "--smiles", "CCO", "--lumo", "-1.2"], "has no unit"),
    (["sparql", "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"], "SERVICE"),
    (["viz", "mechanisms", "--out", "/nonexistent-lmakg-folder/x.svg"], "does not exist"),
    (["show", "FEC", "--store", "no-such-store"], "does not exist"),
])
def test_bad_values_get_one_line(tmp_path: Path, args: list[str], needle: str) -> None:
    one_line_error(lmakg(*args, cwd=tmp_path), needle)
    assert not Path("/nonexistent-lmakg-folder").exists()


def test_rich_markup_in_a_name_is_text(tmp_path: Path) -> None:
    result = lmakg("predict", "--smiles", "CCO", "--name", "[/]", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("[/]")


def test_a_binary_candidates_file_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "candidates.csv"
    bad.write_bytes(bytes(range(256)) * 20)
    one_line_error(lmakg("predict", "--file", str(bad), cwd=tmp_path), f"{bad}:1:", "UTF-8")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("trust")
    result = lmakg("build", "--store", "store", "--no-artifacts", cwd=folder)
    assert result.returncode == 0, result.stderr
    return folder


def _damaged_copy(built: Path, tmp_path: Path, damage: str) -> Path:
    import shutil

    version = built / os.readlink(built / "store")
    copy = tmp_path / ".store.v-copy"
    shutil.copytree(version, copy)
    (tmp_path / "store").symlink_to(copy.name)
    tables = sorted(copy.glob("*.sst"))
    if damage == "empty CURRENT":
        (copy / "CURRENT").write_text("")
    elif damage == "truncated table":
        with tables[0].open("r+b") as handle:
            handle.truncate(100)
    elif damage == "random table":
        tables[0].write_bytes(os.urandom(200_000))
    elif damage == "deleted table":
        tables[0].unlink()
    return tmp_path


@pytest.mark.parametrize("damage", ["empty CURRENT", "truncated table", "random table", "deleted table"])
def test_a_damaged_store_is_one_line_naming_it(built: Path, tmp_path: Path, damage: str) -> None:
    folder = _damaged_copy(built, tmp_path, damage)
    for args in (["show", "FEC"], ["sparql", "SELECT * WHERE { ?s ?p ?o } LIMIT 1"]):
        one_line_error(lmakg(*args, "--store", "store", cwd=folder), "is damaged", "lmakg build --store")


POISON = """@prefix lma: <https://w3id.org/lmakg/ontology#> .
@prefix lmk: <https://w3id.org/lmakg/kg/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
"""


@pytest.mark.parametrize(("triples", "rule"), [
    ("lma:Design rdfs:subClassOf owl:Nothing .", "ontology-axiom"),
    ("lma:ElectrostaticShielding lma:broaderMechanism lma:SEIOptimization .", "ontology-axiom"),
    ("lmk:FEC lma:actsThrough lma:HighModulusSuppression .", "curated-node"),
    ("lmk:mine lma:predictedMechanism lma:HighModulusSuppression .", "inferred-only"),
    ('lmk:FEC rdfs:label "water" .', "curated-node"),
    ('lmk:mine skos:altLabel "Cs+" .', "curated-name"),
    ("lmk:mine owl:sameAs lmk:FEC .", "ontology-axiom"),
    ('<javascript:alert(1)> rdfs:label "x" .', "iri-scheme"),
    ('<file:///etc/passwd> rdfs:label "y" .', "iri-scheme"),
])
def test_additions_cannot_rewrite_the_world(built: Path, tmp_path: Path, triples: str, rule: str) -> None:
    addition = tmp_path / "mine.ttl"
    addition.write_text(POISON + triples + "\n")
    before = snapshot(built)
    result = lmakg("add", str(addition), "--store", "store", cwd=built)
    assert result.returncode == 1
    assert "additions policy: " in result.stdout + result.stderr and rule in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(built) == before


@pytest.mark.parametrize("command", [["build", "--no-artifacts"], ["show", "FEC"], ["infer"], ["hypotheses"],
                                     ["add", "x.ttl"]])
def test_an_unknown_store_scheme_is_one_line_and_creates_nothing(tmp_path: Path, command: list[str]) -> None:
    """Issue (scale): `--store sparql:http://...` was taken for a folder name and `build` created `sparql:http:/`."""
    (tmp_path / "x.ttl").write_text("", encoding="utf-8")
    before = snapshot(tmp_path)
    one_line_error(lmakg(*command, "--store", "foo:bar", cwd=tmp_path), "unknown store scheme", "foo",
                   "oxigraph:PATH", "sparql:QUERY_URL")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(("command", "needle"), [
    (["build", "--no-artifacts"], "read-only"), (["infer"], "read-only"), (["add", "x.ttl"], "read-only"),
    (["show", "FEC"], "cannot reach the SPARQL server at http://127.0.0.1:9/query"),
    (["hypotheses"], "cannot reach the SPARQL server at http://127.0.0.1:9/query"),
])
def test_a_sparql_store_is_read_only_and_a_down_server_is_one_line(tmp_path: Path, command: list[str],
                                                                    needle: str) -> None:
    (tmp_path / "x.ttl").write_text("", encoding="utf-8")
    before = snapshot(tmp_path)
    one_line_error(lmakg(*command, "--store", "sparql:http://127.0.0.1:9/query", cwd=tmp_path), needle)
    assert snapshot(tmp_path) == before
