"""Computed frontier-orbital energies and dipole moments (GFN2-xTB via tblite) for molecules the review
never computed.

These values are *computed*, not curated: every :class:`Descriptors` carries the label
``"computed, GFN2-xTB, tblite X.Y.Z"``, and they must never be mixed silently with the review's own DFT
values (``lma:LUMOEnergy`` / ``lma:HOMOEnergy`` in ``kg/*.ttl``). GFN2-xTB orbital energies sit on a
different absolute scale from DFT ones (EC: GFN2 LUMO about -6.7 eV against the review's -0.33 eV), so
compare them with each other, or through the linear map fitted by ``tools/calibrate_descriptors.py``
(``descriptor-calibration.json`` beside this file), never directly with the review's numbers.

Method
------
1. The SMILES is parsed and canonicalised by RDKit (so two spellings of one molecule give the same
   geometry), hydrogens are added.
2. Geometry: RDKit ETKDGv3, ``randomSeed=42``, 10 conformers, each minimised with MMFF94 (RDKit's
   ``MMFFOptimizeMoleculeConfs``, 2000 iterations); the conformer of lowest MMFF94 energy is kept. MMFF94 is
   the default because it is built for organic molecules: RDKit had MMFF94 parameters for every solvent
   and additive tried (EC, PC, DMC, DEC, FEC, DME, DOL, DMB, FDMB, BTFEC, TTE, TPP) and for the FSI-, TFSI-
   and TFA- anions. Where it has none, UFF is used instead (PF6-, BF4-, BOB- here), and where neither applies
   the ETKDGv3 geometry is used as embedded. The chosen route is stated in
   :attr:`Descriptors.conformer_method`. No xTB geometry optimisation is done (tblite's Python interface has
   no optimiser short of ASE, not a dependency): GFN2 single points at a force-field geometry. The
   lowest-energy gas-phase conformer can be a symmetric one: DME comes out all-trans, with a dipole of 0 D,
   not the gauche conformers of the liquid.
3. Electronic structure: a GFN2-xTB single point with ``tblite.interface.Calculator("GFN2-xTB", numbers,
   positions_bohr, charge=, uhf=)`` (gas phase, default electronic temperature 300 K), the molecule's centre
   of mass at the origin (so the dipole of an ion is taken about its centre of mass), ``uhf=0``. The call is
   pinned to one OpenMP thread (``LMAKG_XTB_THREADS`` to change): on the shared 2-core machine tblite's
   default of all cores made EC's single point about 10x slower (median 0.24 s against 0.017 s).
4. HOMO / LUMO: closed-shell species only. With ``n`` valence electrons (the sum of tblite's
   ``orbital-occupations``), the HOMO is orbital ``n/2 - 1`` and the LUMO orbital ``n/2`` of the
   energy-ordered ``orbital-energies`` (Hartree); the occupations are checked (HOMO >= 1 e, LUMO <= 1 e),
   and the energies converted with 1 Hartree = 27.211386245988 eV. Dipole: the norm of tblite's ``dipole``
   (e·Bohr), converted with 1 e·a0 = 8.4783536255e-30 C·m and 1 D = 1e-21/299792458 C·m.

Constants: Hartree energy in eV, Bohr radius and the atomic unit of electric dipole moment are CODATA 2018
(as listed in the qdk-chemistry ``codata_2018`` namespace,
https://microsoft.github.io/qdk-chemistry/api/breathe_api_autogen/namespace/namespaceqdk_1_1chemistry_1_1constants_1_1codata__2018.html,
and docs.rs physical_constants ``ATOMIC_UNIT_OF_ELECTRIC_DIPOLE_MOM``,
https://docs.rs/physical_constants/latest/physical_constants/constant.ATOMIC_UNIT_OF_ELECTRIC_DIPOLE_MOM.html);
the debye as 1e-21/c C·m (uom ``electric_dipole_moment.rs``, https://docs.rs/crate/uom/latest/source/src/si/electric_dipole_moment.rs).

Salts and other multi-fragment SMILES (``[Li+].F[P-](F)(F)(F)(F)F``): each distinct fragment is computed
separately, isolated and with its own formal charge, and returned in :attr:`Descriptors.fragments`; the
whole species gets no HOMO/LUMO/gap/dipole of its own (its fields are None and :attr:`Descriptors.note`
says so). A fragment with no valence electron (Li+, Na+ in GFN2) has no HOMO (None), only a LUMO.

What cannot be computed raises :class:`DescriptorError` (unparsable SMILES, embedding failure, element
beyond Z = 86, open-shell species, SCF not converged, fractional frontier occupations): never a silent
wrong number.

Cache (:mod:`lmakg.chemistry.descriptor_cache`): a re-run costs nothing. One small JSON file per fragment, named
by InChIKey (or a SMILES digest when RDKit gives no InChIKey), charge and a digest of method label + tblite + RDKit
versions + conformer settings (so an upgrade of tblite or RDKit misses the cache instead of serving stale numbers),
in ``${LMAKG_CACHE:-~/.cache/lmakg}/descriptors/``; ``LMAKG_CACHE=off`` disables it. Written whole, so processes
and Dask workers share it without locks; a file that cannot be read is recomputed with one warning naming it. A
cached result is returned with ``from_cache=True`` and the seconds of the original computation.

Install and cost (measured 2026-12-05 on this project's 2-core machine, shared with other jobs; tblite 0.8.0
from PyPI, RDKit 2026.09.1): ``pip install tblite`` installs cleanly from a manylinux wheel in about 3.5 s and
adds about 20 MB (tblite 8.4 MB, its bundled BLAS/LAPACK/gfortran 9.9 MB, cffi 0.9 MB, pycparser 0.6 MB); it
links the system OpenMP runtime ``libgomp.so.1`` (Debian ``libgomp1``), which the wheel does not bundle.
Per molecule, uncached (10 conformers + MMFF94 + GFN2 single point, one OpenMP thread), median of 3 runs in
seconds: EC 0.017, PC 0.024, DMC 0.022, DEC 0.042, FEC 0.018, DME 0.031, DOL 0.017, FDMB 0.063, BTFEC 0.050,
TTE 0.050, TPP 0.098, LiPF6 (two fragments) 0.016. The first call of a process adds about 0.4 s of imports;
a cache hit takes about 1.3 ms; ``compute_many`` over the first ten took 0.39 s cold and 0.014 s warm.
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

HARTREE_IN_EV = 27.211386245988  # CODATA 2018
BOHR_IN_ANGSTROM = 0.529177210903  # CODATA 2018
AU_DIPOLE_IN_CM = 8.4783536255e-30  # CODATA 2018, e·a0 in C·m
DEBYE_IN_CM = 1e-21 / 299792458.0  # 1 D = 1e-21/c C·m
AU_DIPOLE_IN_DEBYE = AU_DIPOLE_IN_CM / DEBYE_IN_CM

MAX_Z = 86  # GFN2-xTB is parametrised for H..Rn
CACHE_SCHEMA = 1


from lmakg.chemistry import descriptor_cache as cache  # noqa: E402
from lmakg.chemistry.conformers import CONFORMER_SETTINGS, ConformerError, _conformer  # noqa: E402
from lmakg.chemistry.descriptor_cache import cache_dir  # noqa: E402  (re-exported)
from lmakg.chemistry.threads import XTB_THREADS, _openmp  # noqa: E402


class DescriptorError(ConformerError):
    """A species whose descriptors cannot be computed (bad SMILES, embedding, element, open shell, SCF)."""


@dataclass(frozen=True)
class Descriptors:
    """Computed descriptors of one species (or, with ``fragments``, of the fragments of a salt).

    Energies in eV, dipole in debye. ``method`` is the provenance label, e.g. "computed, GFN2-xTB, tblite
    0.8.0"; ``seconds`` is the wall time of the original computation (conformers + single point)."""

    smiles: str  # RDKit canonical SMILES actually computed
    inchikey: str | None
    charge: int
    homo_ev: float | None
    lumo_ev: float | None
    gap_ev: float | None
    dipole_debye: float | None
    method: str
    rdkit_version: str
    conformer_method: str
    seconds: float
    fragments: tuple[Descriptors, ...] = ()
    note: str = ""
    from_cache: bool = False

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["fragments"] = [f.to_dict() for f in self.fragments]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Descriptors:
        data = dict(data)
        data["fragments"] = tuple(cls.from_dict(f) for f in data.get("fragments", ()))
        return cls(**data)


# ---------------------------------------------------------------------------------------------------
# Versions and labels


def tblite_version() -> str:
    """The installed tblite package version; ImportError with an install hint when it is missing."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tblite")
    except PackageNotFoundError as exc:
        raise ImportError("tblite is not installed: pip install tblite") from exc


def method_label() -> str:
    return f"computed, GFN2-xTB, tblite {tblite_version()}"


def rdkit_version() -> str:
    import rdkit

    return rdkit.__version__


# ---------------------------------------------------------------------------------------------------
# Cache


def _settings_digest() -> str:
    return _digest(method_label(), rdkit_version())


@functools.lru_cache(maxsize=8)
def _digest(method: str, rdkit: str) -> str:
    text = f"{CACHE_SCHEMA}|{method}|RDKit {rdkit}|{CONFORMER_SETTINGS}|MMFF94>UFF>none"
    return hashlib.sha256(text.encode()).hexdigest()[:12]


# ---------------------------------------------------------------------------------------------------
# Computation


def _parse(smiles: str):
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    try:
        mol = Chem.MolFromSmiles(smiles) if isinstance(smiles, str) and smiles.strip() else None
    finally:
        RDLogger.EnableLog("rdApp.*")
    if mol is None:
        raise DescriptorError(f"cannot parse SMILES {smiles!r}")
    return mol


def _inchikey(mol) -> str | None:
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    try:
        key = Chem.MolToInchiKey(mol)
    except Exception:
        key = ""
    finally:
        RDLogger.EnableLog("rdApp.*")
    return key or None


def _singlepoint(numbers, positions_bohr, charge: int, uhf: int):
    """tblite GFN2-xTB single point: (orbital energies in Hartree, occupations, dipole vector in e·Bohr)."""
    try:
        from tblite.exceptions import TBLiteRuntimeError, TBLiteValueError
        from tblite.interface import Calculator
    except ImportError as exc:
        raise ImportError("tblite is not installed: pip install tblite") from exc
    omp = _openmp()
    previous = omp.omp_get_max_threads() if omp is not None else None
    try:
        if omp is not None:
            omp.omp_set_num_threads(XTB_THREADS)
        calc = Calculator("GFN2-xTB", numbers, positions_bohr, charge=float(charge), uhf=uhf,
                          color=False, logger=lambda _message: None)
        calc.set("verbosity", 0)
        res = calc.singlepoint()
        return res.get("orbital-energies"), res.get("orbital-occupations"), res.get("dipole")
    except (TBLiteRuntimeError, TBLiteValueError) as exc:
        raise DescriptorError(f"GFN2-xTB (tblite) failed: {exc}") from exc
    finally:
        if omp is not None and previous is not None:
            omp.omp_set_num_threads(previous)




def _compute_fragment(mol, charge: int | None) -> Descriptors:
    """One connected species (no cache)."""
    import numpy as np
    from rdkit import Chem

    start = time.perf_counter()
    smiles = Chem.MolToSmiles(mol)
    mol = Chem.MolFromSmiles(smiles)  # canonical atom order: the geometry depends only on the molecule
    formal = Chem.GetFormalCharge(mol)
    charge = formal if charge is None else int(charge)
    numbers = [a.GetAtomicNum() for a in Chem.AddHs(mol).GetAtoms()]
    bad = sorted({z for z in numbers if z < 1 or z > MAX_Z})
    if bad:
        raise DescriptorError(f"{smiles!r}: element(s) Z={bad} outside GFN2-xTB's range (H..Rn, Z 1-{MAX_Z})")
    electrons = sum(numbers) - charge
    if electrons % 2:
        raise DescriptorError(f"{smiles!r} with charge {charge:+d} is open-shell (odd electron count): "
                              "only closed-shell species are supported")
    molh, conformer_method = _conformer(mol)
    numbers = np.array([a.GetAtomicNum() for a in molh.GetAtoms()], dtype=np.int32)
    masses = np.array([a.GetMass() for a in molh.GetAtoms()])
    xyz = molh.GetConformer().GetPositions()
    xyz = xyz - (masses[:, None] * xyz).sum(axis=0) / masses.sum()
    energies, occupations, dipole = _singlepoint(numbers, xyz / BOHR_IN_ANGSTROM, charge, 0)
    energies, occupations = np.asarray(energies, dtype=float), np.asarray(occupations, dtype=float)
    if energies.ndim != 1 or occupations.shape != energies.shape:
        raise DescriptorError(f"{smiles!r}: unexpected orbital data shape {energies.shape}/{occupations.shape}")
    order = np.argsort(energies, kind="stable")
    energies, occupations = energies[order], occupations[order]
    n_el = round(float(occupations.sum()))
    if abs(occupations.sum() - n_el) > 1e-6 or n_el % 2:
        raise DescriptorError(f"{smiles!r}: {occupations.sum():.4f} valence electrons, not an even integer")
    n_occ = n_el // 2
    homo = lumo = None
    if n_occ > 0:
        if occupations[n_occ - 1] < 1.0:
            raise DescriptorError(f"{smiles!r}: fractional HOMO occupation {occupations[n_occ - 1]:.3f}")
        homo = float(energies[n_occ - 1]) * HARTREE_IN_EV
    if n_occ < len(energies):
        if occupations[n_occ] > 1.0:
            raise DescriptorError(f"{smiles!r}: fractional LUMO occupation {occupations[n_occ]:.3f}")
        lumo = float(energies[n_occ]) * HARTREE_IN_EV
    gap = lumo - homo if homo is not None and lumo is not None else None
    note = "" if homo is not None else "no valence electron in GFN2-xTB: no HOMO"
    return Descriptors(
        smiles=smiles, inchikey=_inchikey(mol), charge=charge, homo_ev=homo, lumo_ev=lumo, gap_ev=gap,
        dipole_debye=float(np.linalg.norm(dipole)) * AU_DIPOLE_IN_DEBYE, method=method_label(),
        rdkit_version=rdkit_version(), conformer_method=conformer_method,
        seconds=time.perf_counter() - start, note=note,
    )


def _cached_fragment(mol, charge: int | None) -> Descriptors:
    from rdkit import Chem

    canonical = Chem.MolToSmiles(mol)
    resolved = Chem.GetFormalCharge(mol) if charge is None else int(charge)
    key = _inchikey(mol) or "smiles-" + hashlib.sha256(canonical.encode()).hexdigest()[:27]
    path = cache.cache_path(key, resolved, _settings_digest())
    hit = cache.read(path, lambda record: replace(Descriptors.from_dict(record), from_cache=True))
    if hit is not None and hit.smiles == canonical:
        return hit
    result = _compute_fragment(mol, resolved)
    cache.write(path, result.to_dict())
    return result


def compute(smiles: str, charge: int | None = None) -> Descriptors:
    """GFN2-xTB HOMO/LUMO (eV), gap (eV) and dipole (D) of ``smiles`` (see the module docstring).

    ``charge`` defaults to the SMILES's formal charge; for a single fragment it may override it (the
    result must still be closed-shell). A multi-fragment SMILES is computed fragment by fragment; a
    ``charge`` given for it must equal the sum of the formal charges. Raises :class:`DescriptorError`."""
    from rdkit import Chem

    mol = _parse(smiles)
    parts = Chem.GetMolFrags(mol, asMols=True, sanitizeFrags=True)
    if len(parts) <= 1:
        return _cached_fragment(mol, charge)
    total = Chem.GetFormalCharge(mol)
    if charge is not None and int(charge) != total:
        raise DescriptorError(f"{smiles!r} has {len(parts)} fragments with formal charges summing to {total:+d}; "
                              f"a charge of {int(charge):+d} cannot be shared out among them")
    seen: dict[str, Descriptors] = {}
    for part in parts:
        canonical = Chem.MolToSmiles(part)
        if canonical not in seen:
            seen[canonical] = _cached_fragment(part, None)
    fragments = tuple(seen.values())
    return Descriptors(
        smiles=Chem.MolToSmiles(mol), inchikey=_inchikey(mol), charge=total, homo_ev=None, lumo_ev=None,
        gap_ev=None, dipole_debye=None, method=fragments[0].method, rdkit_version=rdkit_version(),
        conformer_method="per fragment", seconds=sum(f.seconds for f in fragments), fragments=fragments,
        note=f"multi-fragment SMILES: each of its {len(fragments)} distinct fragments computed separately "
             "(isolated, gas phase, own formal charge) in .fragments; no value for the whole species",
        from_cache=all(f.from_cache for f in fragments),
    )


def compute_many(items: Iterable[str | tuple[str, int | None]], *, errors: str = "raise"
                 ) -> list[Descriptors | DescriptorError]:
    """:func:`compute` for each SMILES (or ``(smiles, charge)`` pair), in order, through the cache (a
    species already computed costs one small file read). ``errors="raise"`` stops at the first
    :class:`DescriptorError`; ``errors="return"`` puts the error in that item's place."""
    if errors not in ("raise", "return"):
        raise ValueError("errors must be 'raise' or 'return'")
    out: list[Descriptors | DescriptorError] = []
    for item in items:
        smiles, charge = (item, None) if isinstance(item, str) else item
        try:
            out.append(compute(smiles, charge))
        except DescriptorError as exc:
            if errors == "raise":
                raise
            out.append(exc)
    return out


__all__: Sequence[str] = (
    "DescriptorError",
    "Descriptors",
    "cache_dir",
    "compute",
    "compute_many",
    "method_label",
    "tblite_version",
)
