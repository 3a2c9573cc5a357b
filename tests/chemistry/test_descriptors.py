"""lmakg.chemistry.descriptors: computed GFN2-xTB (tblite) HOMO/LUMO/gap/dipole.

Expectations come from the review (Yin et al., Batteries & Supercaps 2022) or from what can be derived
by hand (symmetry, unit constants), never from the program's own output."""

from __future__ import annotations

import json
import re

import pytest

pytest.importorskip("tblite", reason="tblite (GFN2-xTB) is not installed: pip install tblite")

from lmakg.chemistry import descriptors as D

EC, FEC, DEC = "O=C1OCCO1", "O=C1OCC(F)O1", "CCOC(=O)OCC"
DMB, FDMB = "COCCCCOC", "COCC(F)(F)C(F)(F)COC"
BTFEC = "O=C(OCC(F)(F)F)OCC(F)(F)F"
EC_INCHIKEY = "KMTRUDSVKNLOMY-UHFFFAOYSA-N"  # lmk:EC lma:inchiKey in kg/species-common.ttl


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LMAKG_CACHE", str(tmp_path / "cache"))


def test_fec_lumo_below_ec_and_dec():
    # Review §4.1 (DFT, ref. [115]): LUMO FEC -0.87 eV < EC -0.33 eV < DEC 0 eV.
    fec, ec, dec = (D.compute(s).lumo_ev for s in (FEC, EC, DEC))
    assert fec < ec < dec


def test_fluorination_lowers_the_homo():
    # Review §4.1 (lmk:principle-homo-oxidation, Figure 6e, ref. [103]): fluorination decreases the HOMO of
    # solvent molecules: FEC vs EC and BTC vs DEC; and the fluorinated ether FDMB vs its parent DMB.
    for fluorinated, parent in ((FEC, EC), (BTFEC, DEC), (FDMB, DMB)):
        assert D.compute(fluorinated).homo_ev < D.compute(parent).homo_ev, (fluorinated, parent)


def test_fluorination_lowers_the_dipole_of_ec():
    # Review §3 (lmk:move-raise-fluorination-level, ref. [83]): F substitution reduces the overall dipole
    # moment of EC.
    assert D.compute(FEC).dipole_debye < D.compute(EC).dipole_debye


def test_centrosymmetric_molecule_has_no_dipole():
    # Benzene (D6h) has an inversion centre, so its dipole moment is zero by symmetry.
    assert D.compute("c1ccccc1").dipole_debye == pytest.approx(0.0, abs=0.05)


def test_record_fields_and_labels():
    import rdkit

    d = D.compute(EC)
    assert re.fullmatch(r"computed, GFN2-xTB, tblite \d+\.\d+\.\d+", d.method)
    assert d.rdkit_version == rdkit.__version__
    assert "ETKDGv3" in d.conformer_method and "MMFF94" in d.conformer_method
    assert d.inchikey == EC_INCHIKEY and d.charge == 0 and not d.fragments
    assert d.homo_ev < d.lumo_ev and d.gap_ev == pytest.approx(d.lumo_ev - d.homo_ev)
    assert d.seconds > 0


def test_orbital_selection_and_unit_conversion(monkeypatch):
    # H2 has 2 valence electrons: orbital 0 is the HOMO, orbital 1 the LUMO, whatever order tblite returns
    # them in. 1 Hartree = 27.211386245988 eV (CODATA 2018); 1 e·a0 = 8.4783536255e-30 C·m (CODATA 2018)
    # and 1 D = 1e-21/299792458 C·m, so 1 e·a0 = 2.541746 D.
    def fake(numbers, positions, charge, uhf):
        return [0.1, -0.5], [0.0, 2.0], [0.0, 0.0, 1.0]

    monkeypatch.setenv("LMAKG_CACHE", "off")
    monkeypatch.setattr(D, "_singlepoint", fake)
    d = D.compute("[H][H]")
    assert d.homo_ev == pytest.approx(-0.5 * 27.211386245988)
    assert d.lumo_ev == pytest.approx(0.1 * 27.211386245988)
    assert d.dipole_debye == pytest.approx(2.541746, abs=1e-6)


def test_salt_fragments_computed_separately():
    d = D.compute("[Li+].F[P-](F)(F)(F)(F)F")
    assert d.homo_ev is d.lumo_ev is d.gap_ev is d.dipole_debye is None
    assert "separately" in d.note
    by_smiles = {f.smiles: f for f in d.fragments}
    assert set(by_smiles) == {"[Li+]", "F[P-](F)(F)(F)(F)F"}
    assert by_smiles["[Li+]"].charge == 1 and by_smiles["[Li+]"].homo_ev is None  # no valence electron
    assert by_smiles["F[P-](F)(F)(F)(F)F"].charge == -1
    with pytest.raises(D.DescriptorError):
        D.compute("[Li+].F[P-](F)(F)(F)(F)F", charge=1)  # a charge that cannot be shared out


@pytest.mark.parametrize("smiles", ["C1CC", "not a smiles", "", "[U]", "[CH3]"])
def test_what_cannot_be_computed_raises(smiles):
    # unparsable / unclosed ring / empty; uranium (Z 92 > 86, beyond GFN2-xTB); methyl radical (open shell)
    with pytest.raises(D.DescriptorError):
        D.compute(smiles)


def test_scf_failure_raises(monkeypatch):
    from tblite.exceptions import TBLiteRuntimeError
    from tblite.interface import Calculator

    def fail(self, *args, **kwargs):
        raise TBLiteRuntimeError("SCF not converged in 250 cycles")

    monkeypatch.setenv("LMAKG_CACHE", "off")
    monkeypatch.setattr(Calculator, "singlepoint", fail)
    with pytest.raises(D.DescriptorError, match="SCF not converged"):
        D.compute(EC)


def test_cache_hit_returns_identical_values_without_recomputing(monkeypatch, tmp_path):
    first = D.compute(EC)
    files = list((tmp_path / "cache" / "descriptors").glob("*.json"))
    assert len(files) == 1 and files[0].name.startswith(EC_INCHIKEY)
    assert json.loads(files[0].read_text())["lumo_ev"] == first.lumo_ev

    def boom(*args, **kwargs):
        raise AssertionError("recomputed despite the cache")

    monkeypatch.setattr(D, "_compute_fragment", boom)
    again = D.compute("C1COC(=O)O1")  # another spelling of EC
    assert again.from_cache and not first.from_cache
    assert (again.homo_ev, again.lumo_ev, again.gap_ev, again.dipole_debye, again.method) == (
        first.homo_ev, first.lumo_ev, first.gap_ev, first.dipole_debye, first.method)
    assert D.compute_many([EC, (EC, 0)]) == [again, again]


def test_cache_off_writes_nothing(monkeypatch, tmp_path):
    monkeypatch.setenv("LMAKG_CACHE", "off")
    assert D.cache_dir() is None
    D.compute(EC)
    assert not (tmp_path / "cache").exists()


def test_compute_many_keeps_order_and_can_return_errors():
    out = D.compute_many([EC, "C1CC", FEC], errors="return")
    assert isinstance(out[1], D.DescriptorError)
    assert out[0].inchikey == EC_INCHIKEY and out[2].lumo_ev < out[0].lumo_ev
    with pytest.raises(D.DescriptorError):
        D.compute_many([EC, "C1CC"])
