"""The GFN2-xTB descriptor cache (lmakg.chemistry.descriptors): keyed by InChIKey + method/versions, a re-run
calls the calculator zero times, unreadable files are recomputed with one warning, writes are atomic."""

from __future__ import annotations

import json
import logging
import threading

import pytest

pytest.importorskip("tblite", reason="tblite (GFN2-xTB) is not installed: pip install tblite")

from lmakg.chemistry import descriptor_cache as C
from lmakg.chemistry import descriptors as D

EC, FEC, LIPF6 = "O=C1OCCO1", "O=C1OCC(F)O1", "[Li+].F[P-](F)(F)(F)(F)F"
EC_INCHIKEY = "KMTRUDSVKNLOMY-UHFFFAOYSA-N"  # lmk:EC lma:inchiKey in kg/species-common.ttl


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LMAKG_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "descriptors"


@pytest.fixture
def calls(monkeypatch):
    """Every GFN2-xTB single point, counted (the real calculator still runs)."""
    made: list[int] = []
    real = D._singlepoint

    def spy(numbers, positions, charge, uhf):
        made.append(len(numbers))
        return real(numbers, positions, charge, uhf)

    monkeypatch.setattr(D, "_singlepoint", spy)
    return made


def test_second_run_calls_the_calculator_zero_times(cache, calls):
    batch = [EC, FEC, LIPF6, "C1COC(=O)O1"]  # the last is EC spelt differently
    first = D.compute_many(batch)
    # distinct species computed: EC, FEC, and the salt's two ions Li+ and PF6- (each its own fragment)
    assert len(calls) == 4
    assert len(list(cache.glob("*.json"))) == 4
    calls.clear()
    again = D.compute_many(batch)
    assert calls == []
    assert all(d.from_cache for d in again)
    assert [(d.homo_ev, d.lumo_ev, d.dipole_debye) for d in again] == [
        (d.homo_ev, d.lumo_ev, d.dipole_debye) for d in first]


def test_another_tblite_version_misses_the_cache(cache, calls, monkeypatch):
    D.compute(EC)
    assert len(calls) == 1
    monkeypatch.setattr(D, "tblite_version", lambda: "99.0.0")
    upgraded = D.compute(EC)
    assert len(calls) == 2 and not upgraded.from_cache
    assert upgraded.method == "computed, GFN2-xTB, tblite 99.0.0"
    names = sorted(p.name for p in cache.glob("*.json"))
    assert len(names) == 2 and all(n.startswith(EC_INCHIKEY) for n in names)


@pytest.mark.parametrize("garbage", [b'{"smiles": "O=C1OCCO1", "lumo', b"\xff\xfe not text", b"[1, 2, 3]",
                                     b'{"unexpected": 1}'])
def test_a_corrupt_file_warns_once_naming_it_and_is_recomputed(cache, calls, caplog, garbage):
    good = D.compute(EC)
    (path,) = cache.glob("*.json")
    path.write_bytes(garbage)
    calls.clear()
    with caplog.at_level(logging.WARNING, logger="lmakg.descriptors"):
        again = D.compute(EC)
    assert len(calls) == 1 and not again.from_cache
    assert again.lumo_ev == pytest.approx(good.lumo_ev)
    warnings = [r.getMessage() for r in caplog.records if r.name == "lmakg.descriptors"]
    assert len(warnings) == 1 and str(path) in warnings[0] and "\n" not in warnings[0]
    assert json.loads(path.read_text())["lumo_ev"] == pytest.approx(good.lumo_ev)  # rewritten
    caplog.clear()
    calls.clear()
    assert D.compute(EC).from_cache and calls == [] and not caplog.records


def test_readers_never_see_a_half_written_file(cache):
    # A reader racing a writer sees the old file or the new one, whole: never a corrupt one (os.replace).
    record = D.compute(EC)
    (path,) = cache.glob("*.json")
    big = D.Descriptors(**{**record.to_dict(), "fragments": (), "note": "x" * 200_000})
    seen: list[str] = []
    stop = threading.Event()

    def write():
        for i in range(60):
            C.write(path, (big if i % 2 else record).to_dict())
        stop.set()

    writer = threading.Thread(target=write)
    writer.start()
    while not stop.is_set():
        hit = C.read(path, D.Descriptors.from_dict)
        seen.append("none" if hit is None else "big" if hit.note else "small")
    writer.join()
    assert "none" not in seen
    assert not [p for p in cache.iterdir() if p.name.startswith(".tmp-")]  # no temporary file left behind
