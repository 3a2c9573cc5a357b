"""Users' own knowledge (`lmakg add`, `graphs`, `remove`): validated all or nothing, kept in its own graph with
PROV-O provenance, part of inference and hypotheses, removable exactly, and safe against SIGKILL at any stage.

The store is built once per module (about 10 s); every test that changes a store works on a copy (a RocksDB
checkpoint, hard links, well under a second).
"""

from __future__ import annotations

import hashlib
import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rdflib import Graph

from lmakg import __version__
from lmakg.cli import app
from lmakg.curation import additions
from lmakg.curation.build import build
from lmakg.knowledge import storedir
from lmakg.knowledge.store import open_store

DATA = Path(__file__).parents[1] / "data" / "additions"
RB_FILE = DATA / "rb-shield.ttl"
RB_GRAPH = "https://w3id.org/lmakg/graph/user/rb-shield"
LMA = "https://w3id.org/lmakg/ontology#"
LMK = "https://w3id.org/lmakg/kg/"


def fingerprint(location: Path) -> tuple[int, str]:
    """Number of quads and SHA-256 of the sorted N-Quads of a store: equal fingerprints, equal stores."""
    store = open_store(f"oxigraph:{location}", read_only=True)
    lines = sorted(line for line in store.dump("nquads").decode("utf-8").splitlines() if line.strip())
    del store
    return len(lines), hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def copy_store(source: Path, folder: Path) -> Path:
    """A copy of a store as a plain folder (the layout older lmakg versions wrote)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "store"
    store = open_store(f"oxigraph:{source}", read_only=True)
    store.backup(target)
    del store
    return target


def leftovers(store: Path) -> list[str]:
    """Hidden version folders and pending links next to the store, other than the one it points to."""
    live = storedir.current_version(store)
    return sorted(p.name for p in store.parent.iterdir()
                  if p.name.startswith(f".{store.name}.") and not p.name.endswith(".lock")
                  and (live is None or p.name != live.name))


def select_values(location: Path, query: str, var: str) -> list[str]:
    store = open_store(f"oxigraph:{location}", read_only=True)
    values = sorted(row[var].value for row in store.select(query) if var in row)
    del store
    return values


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> tuple[Path, tuple[int, str]]:
    """A store built from the packaged knowledge, and its fingerprint."""
    root = tmp_path_factory.mktemp("base")
    build(str(root / "store"), None)
    return root / "store", fingerprint(root / "store")


@pytest.fixture(scope="module")
def added(base, tmp_path_factory) -> tuple[Path, additions.Addition, int]:
    """A copy of the base store with tests/data/additions/rb-shield.ttl added."""
    store = copy_store(base[0], tmp_path_factory.mktemp("added"))
    addition, inferred = additions.add(RB_FILE, store)
    return store, addition, inferred


# --------------------------------------------------------------------------------------------------
# a valid addition
# --------------------------------------------------------------------------------------------------

def test_addition_lives_in_its_own_graph_with_prov_provenance(added):
    store, addition, _inferred = added
    expected_triples = len(Graph().parse(RB_FILE, format="turtle"))
    assert addition.name == "rb-shield" and addition.graph == RB_GRAPH
    assert addition.triples == expected_triples
    knowledge = open_store(f"oxigraph:{store}", read_only=True)
    assert knowledge.count(RB_GRAPH) == expected_triples
    # the user's facts are only in their graph, not in the curated one
    assert knowledge.ask(f"ASK {{ GRAPH <{RB_GRAPH}> {{ lmk:RbPF6 a lma:Salt ; lma:hasIon lmk:Rb-cation }} }}")
    assert not knowledge.ask("ASK { GRAPH <https://w3id.org/lmakg/graph/asserted> { lmk:RbPF6 ?p ?o } }")
    rows = knowledge.select("""
        PREFIX void: <http://rdfs.org/ns/void#>
        PREFIX spdx: <http://spdx.org/rdf/terms#>
        SELECT ?g ?file ?time ?triples ?sha ?version WHERE { GRAPH ?catalogue {
          ?g a prov:Entity ; prov:wasDerivedFrom ?file ; prov:generatedAtTime ?time ; void:triples ?triples ;
             spdx:checksum [ spdx:algorithm spdx:checksumAlgorithm_sha256 ; spdx:checksumValue ?sha ] ;
             prov:wasGeneratedBy [ a prov:Activity ; prov:used ?file ;
                                   prov:wasAssociatedWith [ a prov:SoftwareAgent ; owl:versionInfo ?version ] ] } }
    """, bindings={"g": f"<{RB_GRAPH}>"})
    del knowledge
    assert len(rows) == 1
    row = rows[0]
    assert row["file"].kind == "uri" and row["file"].value == RB_FILE.resolve().as_uri()
    assert row["time"].datatype == "http://www.w3.org/2001/XMLSchema#dateTime"
    assert int(row["triples"].value) == expected_triples
    assert row["sha"].value == hashlib.sha256(RB_FILE.read_bytes()).hexdigest()
    assert row["version"].value == __version__


def test_graphs_lists_the_addition(added, runner):
    store, addition, _ = added
    result = runner.invoke(app, ["graphs", "--store", str(store), "--json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert [(a["name"], a["graph"], a["file"], a["triples"]) for a in listed] == [
        ("rb-shield", RB_GRAPH, str(RB_FILE.resolve()), addition.triples)]
    assert listed[0]["time"] == addition.time
    table = runner.invoke(app, ["graphs", "--store", str(store)])
    assert "rb-shield" in table.output and RB_GRAPH in table.output


def test_an_added_salt_makes_the_nernst_shielding_rule_fire(base, added):
    """The user's RbPF6 design puts Rb+ at 0.05 M. Nernst (review Eq. 1), z = 1, T = 298.15 K, with
    R = 8.314462618 J/(mol K) and F = 96485.33212 C/mol (kg/constants.ttl) and the CRC value E0(Rb+/Rb) =
    -2.98 V (kg/standard-potentials.ttl):
        RT/F = 8.314462618 * 298.15 / 96485.33212 = 0.0256926 V
        ln(0.05) = -2.995732
        E = -2.98 + 0.0256926 * (-2.995732) = -2.98 - 0.0769681 = -3.0569681 V vs SHE,
    below Li+ at 1 M (-3.040 V, review section 2.2), so the shielding rule must predict
    ElectrostaticShielding for Rb+; before the addition no design puts Rb+ at any concentration."""
    potential = (f"SELECT ?e WHERE {{ <{LMK}Rb-cation> lma:hasQuantity ?q . "
                 "?q lma:quantityKind lma:ReductionPotential ; qudt:numericValue ?e }")
    mechanism = f"SELECT ?m WHERE {{ <{LMK}Rb-cation> lma:predictedMechanism ?m }}"
    assert select_values(base[0], potential, "e") == []
    assert f"{LMA}ElectrostaticShielding" not in select_values(base[0], mechanism, "m")
    values = [float(v) for v in select_values(added[0], potential, "e")]
    assert values == [pytest.approx(-3.0569681, abs=1e-6)]
    assert f"{LMA}ElectrostaticShielding" in select_values(added[0], mechanism, "m")


def test_additions_take_part_in_hypotheses_show_and_why(base, added, runner):
    """The combination rule pairs every predicted shielding cation with the same SEI-forming anions, so once
    Rb+ shields, the anions paired with Rb+ are exactly those already paired with Cs+ (the review's shield)."""
    def paired(location: Path, cation: str) -> set[str]:
        result = runner.invoke(app, ["hypotheses", "--store", str(location), "--json",
                                     "--kinds", "component,combination"])
        assert result.exit_code == 0, result.output
        prefix = f"H-shielding-cation-sei-anion--{cation}--"
        return {h["id"].removeprefix(prefix) for h in json.loads(result.output) if h["id"].startswith(prefix)}

    assert paired(base[0], "Rb-cation") == set()
    cs = paired(added[0], "Cs-cation")
    assert cs  # the review's Cs+ shield pairs with at least one SEI-forming anion
    assert paired(added[0], "Rb-cation") == cs

    shown = runner.invoke(app, ["show", "RbPF6", "--store", str(added[0]), "--json"])
    assert shown.exit_code == 0, shown.output
    assert "RWUYZSGAHLMTBK-UHFFFAOYSA-N" in shown.output  # RbPF6's InChIKey, from the user's file
    why = runner.invoke(app, ["why", "Rb+", "ElectrostaticShielding", "--store", str(added[0]), "--json"])
    assert why.exit_code == 0, why.output
    assert '"status": "user"' in why.output  # the 0.05 M concentration premise comes from the user's graph


# --------------------------------------------------------------------------------------------------
# invalid files, collisions, unknown graphs: nothing changes
# --------------------------------------------------------------------------------------------------

def _line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


def test_an_invalid_file_changes_nothing_and_names_each_violation(base, tmp_path, runner):
    store = copy_store(base[0], tmp_path)
    bad = DATA / "invalid-chemistry-and-shape.ttl"
    result = runner.invoke(app, ["add", str(bad), "--store", str(store)])
    assert result.exit_code == 1
    smiles_line = _line_of(bad, "lmk:user-broken-ring a ")
    design_line = _line_of(bad, "lmk:design-user-without-placement a ")
    lines = result.output.splitlines()
    assert any(line.startswith(f"{bad}:{smiles_line}: lmk:user-broken-ring: ") and "[RDKit SMILES]" in line
               for line in lines), result.output
    assert any(line.startswith(f"{bad}:{design_line}: lmk:design-user-without-placement: ")
               and "lma:placement" in line and "MinCount" in line for line in lines), result.output
    assert "2 violation(s); nothing was changed" in result.output
    assert fingerprint(store) == base[1]
    assert leftovers(store) == []


def test_a_syntax_error_changes_nothing_and_names_the_line(base, tmp_path, runner):
    store = copy_store(base[0], tmp_path)
    bad = DATA / "invalid-syntax.ttl"
    result = runner.invoke(app, ["add", str(bad), "--store", str(store)])
    assert result.exit_code == 1
    assert f"{bad}:{_line_of(bad, 'lab:note')}: -: " in result.output
    assert "[Turtle syntax]" in result.output
    assert fingerprint(store) == base[1]


def test_syntax_errors_in_n_triples_and_json_ld_name_the_line(tmp_path):
    nt = tmp_path / "broken.nt"
    nt.write_text(f'<{LMK}a> <{LMA}smiles> "CCO" .\n<{LMK}b> <{LMA}smiles> "CCO" "CCC" .\n'
                  f'<{LMK}c> <{LMA}smiles> "CCN" .\n', encoding="utf-8")  # line 2: two objects
    issues = additions.validate_addition(nt)
    assert [(i.line, i.constraint) for i in issues] == [(2, "N-Triples syntax")]
    jsonld = tmp_path / "broken.jsonld"
    jsonld.write_text('{\n  "@id": "https://w3id.org/lmakg/kg/a",\n  "oops" 1\n}\n', encoding="utf-8")  # no colon
    issues = additions.validate_addition(jsonld)
    assert [(i.line, i.constraint) for i in issues] == [(3, "JSON-LD syntax")]


def test_a_colliding_addition_is_refused_unless_replaced(added, tmp_path, runner):
    store, addition, _ = added
    before = fingerprint(store)
    again = runner.invoke(app, ["add", str(RB_FILE), "--store", str(store)])
    assert again.exit_code == 1
    assert "collides with the existing addition rb-shield" in again.output and "--replace" in again.output
    renamed = tmp_path / "elsewhere" / "rb-shield.ttl"  # another file, same name
    renamed.parent.mkdir()
    renamed.write_bytes(RB_FILE.read_bytes())
    assert runner.invoke(app, ["add", str(renamed), "--store", str(store)]).exit_code == 1
    assert fingerprint(store) == before

    # --replace, with the same facts as JSON-LD: same graph, same triple count, one addition
    copy = copy_store(store, tmp_path / "replace")
    as_jsonld = tmp_path / "rb-shield.jsonld"
    Graph().parse(RB_FILE, format="turtle").serialize(as_jsonld, format="json-ld")
    replaced = runner.invoke(app, ["add", str(as_jsonld), "--store", str(copy), "--replace", "--json"])
    assert replaced.exit_code == 0, replaced.output
    listed = additions.additions_in(copy)
    assert [(a.name, a.file, a.triples) for a in listed] == [("rb-shield", str(as_jsonld.resolve()),
                                                              addition.triples)]


def test_remove_restores_the_previous_quads_exactly(base, added, tmp_path, runner):
    store = copy_store(added[0], tmp_path)
    result = runner.invoke(app, ["remove", RB_GRAPH, "--store", str(store)])
    assert result.exit_code == 0, result.output
    assert fingerprint(store) == base[1]
    assert additions.additions_in(store) == []
    assert leftovers(store) == []


def test_removing_an_unknown_graph_lists_the_known_ones(added, runner):
    result = runner.invoke(app, ["remove", "no-such-graph", "--store", str(added[0])])
    assert result.exit_code == 1
    assert "unknown addition 'no-such-graph'; known: rb-shield" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_add_needs_a_store_that_exists(tmp_path, runner):
    result = runner.invoke(app, ["add", str(RB_FILE)])
    assert result.exit_code == 1 and "--store DIR" in result.output
    result = runner.invoke(app, ["add", str(RB_FILE), "--store", str(tmp_path / "none" / "store")])
    assert result.exit_code == 1 and "lmakg build --store" in result.output
    assert list(tmp_path.iterdir()) == []  # not even a lock file


# --------------------------------------------------------------------------------------------------
# SIGKILL at every stage
# --------------------------------------------------------------------------------------------------

def run_until(stage: str, *args: str, timeout: float = 180.0) -> None:
    """Run `lmakg ARGS` with LMAKG_TEST_PAUSE_AT=stage, wait until it reports it paused there, SIGKILL it."""
    env = dict(os.environ, **{storedir.PAUSE_ENV: stage})
    process = subprocess.Popen([sys.executable, "-m", "lmakg", *args], env=env, stderr=subprocess.PIPE,
                               stdout=subprocess.DEVNULL)
    assert process.stderr is not None
    deadline, seen = time.monotonic() + timeout, b""
    try:
        while storedir.PAUSE_MARK.encode() + stage.encode() not in seen:
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"lmakg {' '.join(args)} never paused at {stage!r}: {seen.decode()[-2000:]}")
            ready, _, _ = select.select([process.stderr], [], [], 0.5)
            if ready:
                seen += os.read(process.stderr.fileno(), 65536)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        process.stderr.close()


# convert: the plain-folder store is moved to a version folder, the link to it not yet made (no DIR at all);
# validated: before any store file is written; loaded: the copy holds the user's graph, rules not re-run;
# reasoned: the copy is complete, not yet swapped in.
@pytest.mark.parametrize("stage", ["convert", "validated", "loaded", "reasoned"])
def test_killing_add_before_the_final_step_leaves_the_store_as_it_was(base, tmp_path, stage):
    store = copy_store(base[0], tmp_path)
    run_until(stage, "add", str(RB_FILE), "--store", str(store))
    assert fingerprint(store) == base[1]
    assert additions.additions_in(store) == []


def test_killing_add_after_the_final_step_leaves_it_fully_added(base, added, tmp_path):
    store = copy_store(base[0], tmp_path)
    run_until("committed", "add", str(RB_FILE), "--store", str(store))
    reference = open_store(f"oxigraph:{added[0]}", read_only=True)
    killed = open_store(f"oxigraph:{store}", read_only=True)
    graphs = reference.named_graphs()
    assert killed.named_graphs() == graphs
    assert {g: killed.count(g) for g in graphs} == {g: reference.count(g) for g in graphs}


def test_killing_add_just_before_the_swap_then_adding_again(base, tmp_path):
    """Killed with the new version complete and the new link made, one rename away from the swap: the store
    is as before; the next add succeeds and removes what the killed one left."""
    store = copy_store(base[0], tmp_path)
    run_until("commit", "add", str(RB_FILE), "--store", str(store))
    assert fingerprint(store) == base[1]
    assert any(".link-" in name for name in leftovers(store))  # the killed process's copy and link ...
    addition, _ = additions.add(RB_FILE, store)
    assert leftovers(store) == []  # ... until the next writer removes it
    assert [a.graph for a in additions.additions_in(store)] == [addition.graph]


def test_killing_remove_before_the_final_step_leaves_the_addition(added, tmp_path):
    store = copy_store(added[0], tmp_path)
    before = fingerprint(store)
    run_until("loaded", "remove", "rb-shield", "--store", str(store))
    assert fingerprint(store) == before


def test_killing_infer_on_a_store_leaves_it_as_it_was(base, tmp_path):
    """`lmakg infer --store` re-runs the rules on a copy too: killed once the rules ran, before the switch,
    the store is untouched; run to the end, it holds the same quads as before (re-running adds nothing)."""
    store = copy_store(base[0], tmp_path)
    run_until("reasoned", "infer", "--store", str(store))
    assert fingerprint(store) == base[1]
    subprocess.run([sys.executable, "-m", "lmakg", "infer", "--store", str(store)], check=True,
                   capture_output=True)
    assert fingerprint(store) == base[1]


# --------------------------------------------------------------------------------------------------
# store folders: atomic pointer and recovery (no lmakg process needed)
# --------------------------------------------------------------------------------------------------

def _tiny_store(path: Path, value: str) -> None:
    store = open_store(f"oxigraph:{path}")
    store.load_turtle(f'<http://e/s> <http://e/p> "{value}" .', graph="http://e/g")
    store.flush()
    del store


def _value(path: Path) -> str:
    store = open_store(f"oxigraph:{path}", read_only=True)
    found = [row["o"].value for row in store.select("SELECT ?o WHERE { ?s ?p ?o }")]
    del store
    return ",".join(found)


def test_commit_swaps_the_store_in_one_step_and_removes_the_old_version(tmp_path):
    target = tmp_path / "store"
    _tiny_store(target, "old")  # a plain folder, as older lmakg versions wrote
    with storedir.writing(target):
        assert target.is_symlink() and _value(target) == "old"  # converted to a linked version
        version = storedir.new_version(target)
        _tiny_store(version, "new")
        storedir.commit(target, version)
    assert _value(target) == "new"
    assert leftovers(target) == []


def test_a_store_left_missing_by_an_older_build_is_recovered_on_open(tmp_path):
    """An older `lmakg build` renamed the store to .store.old-PID before renaming the new one in; killed between
    the two renames it left no store. Opening it (read only) puts the old one back."""
    target = tmp_path / "store"
    _tiny_store(tmp_path / ".store.old-12345", "before")
    assert not target.exists()
    assert _value(target) == "before"
    assert target.is_dir()


# --------------------------------------------------------------------------------------------------
# a user's claim speaks for the user, never for the review (issue: trust)
# --------------------------------------------------------------------------------------------------

FEC_CLAIM = DATA / "fec-modulus-claim.ttl"


@pytest.fixture(scope="module")
def claimed(base, tmp_path_factory) -> Path:
    """The trust issue's own case: a user design citing the review's [1] says FEC acts through
    HighModulusSuppression (the review attributes no such mechanism to FEC); plus a user's LUMO for FEC."""
    store = copy_store(base[0], tmp_path_factory.mktemp("claimed"))
    additions.add(FEC_CLAIM, store)
    lumo = tmp_path_factory.mktemp("lumo") / "my-lumo.ttl"
    lumo.write_text("""@prefix lma: <https://w3id.org/lmakg/ontology#> . @prefix lmk: <https://w3id.org/lmakg/kg/> .
@prefix qudt: <http://qudt.org/schema/qudt/> . @prefix unit: <http://qudt.org/vocab/unit/> .
lmk:FEC lma:hasQuantity [ a lma:QuantityValue ; lma:quantityKind lma:LUMOEnergy ; qudt:numericValue -1.5 ;
    qudt:unit unit:EV ; lma:externalSource "my DFT" ] .
""", encoding="utf-8")
    additions.add(lumo, store)
    return store


def test_show_labels_the_users_design_mechanism_and_quantity(claimed, runner):
    shown = runner.invoke(app, ["show", "FEC", "--store", str(claimed), "--json"])
    assert shown.exit_code == 0, shown.output
    desc = json.loads(shown.output)
    modulus = next(m for m in desc["mechanisms"] if m["id"] == "HighModulusSuppression")
    assert modulus["source"] == {"users": ["fec-modulus-claim"]}  # not "§6.2 [1]"
    design = next(d for d in desc["designs"] if d["id"] == "design-user-FEC-modulus")
    assert design["source"] == {"users": ["fec-modulus-claim"]}
    assert 1 not in desc["references"]  # the user's citation is not counted as the review's reference
    lumos = {p["value"]: p["source"] for p in desc["properties"] if p["kind"] == "LUMOEnergy"}
    assert lumos[-1.5] == {"users": ["my-lumo"], "external": "my DFT"}  # beside the review's, not replacing it
    assert lumos[-0.87] == {"sections": ["4.1"], "references": [115]}  # §4.1 [115], the review's value stays
    table = runner.invoke(app, ["show", "FEC", "--store", str(claimed)], terminal_width=250)
    assert "user: fec-modulus-claim" in table.output and "§6.2" not in table.output


def test_why_lists_a_users_claim_apart_from_the_review(claimed, runner):
    why = runner.invoke(app, ["why", "FEC", "HighModulusSuppression", "--store", str(claimed), "--json"])
    assert why.exit_code == 0, why.output
    tree = json.loads(why.output)
    assert tree["reportedByReview"] == []
    assert tree["reportedByUser"] == [{"design": "design-user-FEC-modulus", "user": "fec-modulus-claim",
                                       "cites": {"section": "6.2", "references": [1]}}]
    text = runner.invoke(app, ["why", "FEC", "HighModulusSuppression", "--store", str(claimed)], terminal_width=200)
    assert "no curated design attributes it" in text.output and "user: fec-modulus-claim" in text.output


def test_hypotheses_weigh_the_claim_as_the_users(claimed, runner):
    result = runner.invoke(app, ["hypotheses", "--store", str(claimed), "--json", "--kinds", "component,combination"])
    assert result.exit_code == 0, result.output
    fec = next(h for h in json.loads(result.output) if h["id"] == "H-FEC")
    evidence = [e for info in fec["explanations"] for e in info["evidence"]]
    assert not [e for e in evidence if e["kind"] == "review" and "design-user-FEC-modulus" in e.get("designs", [])]
    assert all(1 not in e.get("references", []) for e in evidence)  # [1] was cited by the user, not the review
    assert "HighModulusSuppression" not in fec["mechanisms"]  # one user claim alone does not establish a family
