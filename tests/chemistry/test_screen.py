"""`lmakg predict --file` at scale: shared judgements (chemistry/memo.py) give exactly what judging every row
under its own name gives; the output is streamed and written whole or not at all; Dask workers give the serial
results in the serial order.

Hand-derived expectations (see tests/chemistry/test_predict.py for the arithmetic): Rb+ at 0.05 M has a Nernst
potential of -3.0570 V; Rb+ at 0.1 M: -2.98 + 0.025693 * ln(0.1) = -2.98 - 0.05916 = -3.0392 V. Each
candidate reports only its own design's value, however many other designs with Rb+ are judged in the batch.
"""

from __future__ import annotations

import json

import pytest

from lmakg.chemistry.candidates import Candidate
from lmakg.chemistry.memo import SharedJudge
from lmakg.chemistry.screening import iter_candidates, iter_screen, screen, write_results
from lmakg.cli import app

# salts (graph ions and new ones, same salt twice, two concentrations), graph species (with and without a
# supplied LUMO), homologous molecules that assert the same facts, a base electrolyte, roles, invalid rows,
# a name outside ASCII (never shared), a toxic-element salt (candidate filters)
VARIED = """name,smiles,role,concentration,electrolyte,lumo
RbPF6,[Rb+].F[P-](F)(F)(F)(F)F,salt,0.05M,,
RbPF6 again,[Rb+].F[P-](F)(F)(F)(F)F,salt,0.05M,,
KPF6,[K+].F[P-](F)(F)(F)(F)F,salt,0.05M,,
CsNO3,[Cs+].[O-][N+](=O)[O-],additive,0.05M,,
new salt,[Rb+].FC(F)(F)C(=O)[O-],salt,0.1M,,
new salt 2,[Cs+].FC(F)(F)C(=O)[O-],salt,0.1M,,
LiFSI,[Li+].FS(=O)(=O)[N-]S(=O)(=O)F,salt,4.6M,,
LiFSI,[Li+].FS(=O)(=O)[N-]S(=O)(=O)F,salt,1M,,
FEC,O=C1OCC(F)O1,additive,,,
FEC lumo,O=C1OCC(F)O1,additive,,,-0.9 eV
EC,O=C1OCCO1,solvent,,,
,COCCOC,solvent,,,
DME-like,CCOCCOCC,solvent,,,
diglyme-like,COCCOCCOC,solvent,,,
HFE,FC(F)C(F)(F)COC(F)(F)C(F)F,diluent,,,
HFE2,FC(F)(F)COC(F)(F)C(F)F,diluent,,,
TFEP,FC(F)(F)COP(=O)(OCC(F)(F)F)OCC(F)(F)F,additive,,1 M LiPF6 in EC/DEC,
TFEP2,FC(F)(F)CCOP(=O)(OCC(F)(F)F)OCC(F)(F)F,additive,,1 M LiPF6 in EC/DEC,
InF3,F[In](F)F,coating,,,
GaF3,F[Ga](F)F,coating,,,
nitrile,CCC#N,additive,,,
nitrile2,CCCC#N,additive,,,
nitrile C6,CCCCCC#N,additive,,,
nitrile C7,CCCCCCC#N,additive,,,
sulfonyl fluoride,CS(=O)(=O)F,additive,,,
sulfonyl fluoride 2,CCS(=O)(=O)F,additive,,,
lumo add,COC(=O)OC,additive,,,-1.2 eV
lumo add2,CCOC(=O)OCC,additive,,,-1.2 eV
bad smiles,C1CC(,additive,,,
bad conc,CCO,additive,99M,,
bad role,CCO,catalyst,,,
charged salt,[Li+].[Li+].F[P-](F)(F)(F)(F)F,salt,1M,,
neutral frag,[Li+].CCO,salt,1M,,
bad electrolyte,CCO,additive,,1 M LiXX in EC,
café,CCOC,solvent,,,
plain,CCOC,solvent,,,
HgF2,[Hg+2].[F-].[F-],additive,0.05M,,
"""


@pytest.fixture(scope="module")
def predictor():
    from lmakg.hypotheses.joins import predictor

    return predictor()


@pytest.fixture(scope="module")
def varied(tmp_path_factory):
    path = tmp_path_factory.mktemp("screen") / "varied.csv"
    path.write_text(VARIED, encoding="utf-8")
    return path


def test_shared_judgements_equal_unshared(predictor, varied):
    alone = screen(varied, predictor, share=False)  # every row under its own name (as predict_many)
    shared = screen(varied, predictor, share=True)
    assert len(alone) == len(shared) == VARIED.count("\n") - 1
    for a, b in zip(alone, shared, strict=True):
        assert a == b, a["line"]
    judge = SharedJudge(predictor)
    rows = {c.name: c for _l, c, _cells in iter_candidates(varied) if isinstance(c, Candidate)}

    def key(name):
        from lmakg.chemistry.candidates import candidate_turtle

        _turtle, species, ions = candidate_turtle(rows[name], predictor.store, predictor.known, tag="x-")
        return judge._signature(rows[name], species, ions)

    # same facts asserted: one judgement; a supplied LUMO, another concentration or another metal: not
    assert key("RbPF6") == key("RbPF6 again") and key("nitrile C6") == key("nitrile C7")
    assert key("FEC") != key("FEC lumo") and key("new salt") != key("new salt 2") and key("InF3") != key("GaF3")
    by_name = {r["input"]["name"]: r for r in shared}
    for name in ("RbPF6", "RbPF6 again"):
        nernst = [d["value"] for d in by_name[name]["derived"] if d["kind"] == "ReductionPotential"]
        assert nernst == [pytest.approx(-3.0570, abs=5e-4)]  # not the 0.1 M value of "new salt" in the batch
    assert [d["value"] for d in by_name["new salt"]["derived"]
            if d["kind"] == "ReductionPotential"] == [pytest.approx(-3.0392, abs=5e-4)]
    assert by_name["RbPF6 again"]["species"].endswith("/c2-RbPF6-again")
    assert by_name["bad smiles"]["error"].startswith(f"{varied}:30: invalid SMILES")


def test_a_screen_without_inchikeys_differs_only_by_them(predictor, varied):
    """What a CSV screen judges (no InChIKey computed where none decides a name) is what a JSON screen judges."""
    full = screen(varied, predictor)
    lean = list(iter_screen(varied, predictor, inchikeys=False))
    assert [{k: v for k, v in r.items() if k != "inchiKey"} for r in full] == lean
    assert all("inchiKey" not in r for r in lean) and sum("inchiKey" in r for r in full) > 30


def test_streamed_json_is_the_whole_list(predictor, varied, tmp_path):
    results = screen(varied, predictor)
    out = tmp_path / "r.json"
    write_results(iter(results), out, "json")
    assert out.read_text(encoding="utf-8") == json.dumps(results, indent=2, ensure_ascii=False) + "\n"
    assert json.loads(write_results([], None, "json")) == []


def test_a_bad_row_late_in_the_file_leaves_no_output(runner, tmp_path):
    source = tmp_path / "c.csv"
    source.write_bytes(b"smiles,role\nCCO,solvent\nCCOC,solvent\n\xff\xfe,solvent\n")
    out = tmp_path / "r.csv"
    result = runner.invoke(app, ["predict", "--file", str(source), "--out", str(out)])
    assert result.exit_code == 1 and f"{source}:" in result.output and "not a readable CSV" in result.output
    assert not out.exists() and not list(tmp_path.glob(".*partial"))


def test_dask_workers_give_the_serial_results_in_order(predictor, runner, tmp_path):
    pytest.importorskip("dask.distributed")
    from lmakg.chemistry.scaleout import client_for, iter_screen_dask
    from lmakg.hypotheses.joins import predictor as factory

    source = tmp_path / "c.csv"
    lines = VARIED.splitlines()
    source.write_text("\n".join([*lines, *[line.replace(",salt,", ",additive,") for line in lines[1:]]]) + "\n",
                      encoding="utf-8")  # ~70 rows
    serial = list(iter_screen(source, predictor, shared=SharedJudge(predictor, batch=8)))
    client = client_for(workers=2)
    try:
        assert len(client.scheduler_info()["workers"]) == 2
        distributed = list(iter_screen_dask(source, factory, None, client, batch=8))  # batches over 2 workers
    finally:
        cluster = client.cluster
        client.close()
        cluster.close()
    assert distributed == serial
    assert [r["line"] for r in distributed] == list(range(2, len(serial) + 2))
    out_serial, out_dask = tmp_path / "serial.csv", tmp_path / "dask.csv"
    write_results(screen(source, predictor), out_serial, "csv")
    result = runner.invoke(app, ["predict", "--file", str(source), "--out", str(out_dask), "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert out_dask.read_text() == out_serial.read_text()


def test_missing_dask_is_one_line(runner, tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "dask.distributed", None)  # import fails as if not installed
    source = tmp_path / "c.csv"
    source.write_text("smiles\nCCO\n")
    result = runner.invoke(app, ["predict", "--file", str(source), "--workers", "2"])
    assert result.exit_code == 1
    assert "pip install 'lmakg[scale]'" in result.output and len(result.output.strip().splitlines()) == 1
