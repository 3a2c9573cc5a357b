"""Chemistry through RDKit: parse SMILES, compute InChIKeys and formal charges.

Why a module: RDKit is a heavy import used only by validation and (later) structure perception, so it is
imported here, lazily, and RDKit's own log noise is silenced in favour of one clear error message.

>>> inchikey("O=C1OCC(F)O1")
'SBLRHMKNNHXPHG-UHFFFAOYSA-N'
>>> formal_charge("[Li+].F[P-](F)(F)(F)(F)F")
0
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any


class ChemistryError(ValueError):
    """A structure RDKit cannot accept; the message names the offending SMILES."""


@lru_cache(maxsize=1)
def _rdkit() -> Any:
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    return Chem


def rdkit_version() -> str:
    from rdkit import __version__

    return __version__


def parse_smiles(smiles: str) -> Any:
    """Return an RDKit molecule or raise :class:`ChemistryError` naming the SMILES."""
    chem = _rdkit()
    if not smiles or not smiles.strip():
        raise ChemistryError("empty SMILES")
    mol = chem.MolFromSmiles(smiles)
    if mol is None:
        raise ChemistryError(f"RDKit cannot parse SMILES {smiles!r}")
    return mol


@lru_cache(maxsize=256)
def _read_only(smiles: str) -> Any:
    """A parsed molecule shared by the read-only functions below (never handed out: callers of
    :func:`parse_smiles` get their own copy): screening asks several of them about one SMILES in a row."""
    return parse_smiles(smiles)


@lru_cache(maxsize=65536)  # pure function of the text; screening asks for it several times
def inchikey(smiles: str) -> str:
    """Standard InChIKey of a SMILES."""
    chem = _rdkit()
    key = chem.MolToInchiKey(_read_only(smiles))
    if not key:
        raise ChemistryError(f"RDKit cannot compute an InChIKey for {smiles!r}")
    return key


@lru_cache(maxsize=65536)  # pure function of the text; screening asks for it several times
def formal_charge(smiles: str) -> int:
    """Net formal charge of a SMILES (all fragments)."""
    chem = _rdkit()
    return int(chem.GetFormalCharge(_read_only(smiles)))


def elements_of_smiles(smiles: str) -> set[str]:
    """Element symbols in a SMILES (hydrogens included when present, explicit or implicit)."""
    mol = parse_smiles(smiles)
    symbols = {atom.GetSymbol() for atom in mol.GetAtoms() if atom.GetSymbol() != "*"}
    if any(atom.GetTotalNumHs() for atom in mol.GetAtoms()):
        symbols.add("H")
    return symbols


def elements_of_composition(composition: str) -> set[str]:
    """Element symbols in an empirical composition such as 'Al2O3', 'Li13In3' or 'LiNi0.8Co0.1Mn0.1O2'.

    Tokens that are not element symbols of the periodic table (placeholders such as R in 'ROCO2Li', or
    x/y in 'LiNxOy') are ignored rather than guessed.

    >>> sorted(elements_of_composition("LiNi0.8Co0.1Mn0.1O2"))
    ['Co', 'Li', 'Mn', 'Ni', 'O']
    """
    chem = _rdkit()
    table = chem.GetPeriodicTable()
    found = set()
    for symbol in re.findall(r"[A-Z][a-z]?", composition):
        try:
            if table.GetAtomicNumber(symbol) > 0:
                found.add(symbol)
        except RuntimeError:
            continue
    return found


def matches(smiles: str, smarts_patterns: dict[str, str]) -> set[str]:
    """Keys of the SMARTS patterns that match a structure (repeat units with [*] included)."""
    chem = _rdkit()
    mol = _read_only(smiles)
    found = set()
    for key, smarts in smarts_patterns.items():
        pattern = _pattern(smarts)
        if pattern is not None and mol.HasSubstructMatch(pattern):
            found.add(key)
    del chem
    return found


@lru_cache(maxsize=512)
def _pattern(smarts: str) -> Any:
    return _rdkit().MolFromSmarts(smarts)


@dataclass(frozen=True)
class Perception:
    """What RDKit reads off one structure: composition, net formal charge, matched feature keys."""

    composition: dict[str, int]
    charge: int
    features: frozenset[str]


def perceive_smiles(smiles: str, smarts_patterns: dict[str, str]) -> Perception:
    """Composition, formal charge and matching SMARTS keys of a structure, from one parse.

    >>> p = perceive_smiles("[O-][N+](=O)[O-]", {"nitrate": "[NX3+](=O)([O-])[OX2,OX1-]", "CF": "[#6]F"})
    >>> p.composition, p.charge, sorted(p.features)
    ({'N': 1, 'O': 3}, -1, ['nitrate'])
    """
    return _perceived(smiles, tuple(sorted(smarts_patterns.items())))


@lru_cache(maxsize=4096)  # screening perceives a structure for its signature, then again in the graph
def _perceived(smiles: str, smarts_patterns: tuple[tuple[str, str], ...]) -> Perception:
    chem = _rdkit()
    mol = _read_only(smiles)
    found = frozenset(key for key, smarts in smarts_patterns
                      if (pattern := _pattern(smarts)) is not None and mol.HasSubstructMatch(pattern))
    return Perception(composition(smiles), int(chem.GetFormalCharge(mol)), found)


def composition(smiles: str) -> dict[str, int]:
    """Atoms per element in one formula unit of a structure, implicit and explicit hydrogens included;
    attachment points ([*]) of a repeat unit are not atoms.

    >>> composition("O=C1OCC(F)O1")
    {'C': 3, 'F': 1, 'H': 3, 'O': 3}
    >>> composition("[Li+].F[P-](F)(F)(F)(F)F")
    {'F': 6, 'Li': 1, 'P': 1}
    """
    return dict(_cached_composition(smiles))


@lru_cache(maxsize=4096)
def _cached_composition(smiles: str) -> dict[str, int]:
    return _composition(_read_only(smiles))


def _composition(mol: Any) -> dict[str, int]:
    """Read off RDKit's molecular formula (``CalcMolFormula``: every atom, implicit and explicit hydrogens, isotopes
    merged into their element, attachment points as ``*``, the net charge as a trailing sign): a fifth of the time
    of walking the atoms in Python, which screening pays per row (tests/chemistry/test_structures.py compares the
    two)."""
    from rdkit.Chem.rdMolDescriptors import CalcMolFormula

    counts: dict[str, int] = {}
    for symbol, number in _FORMULA_TOKEN.findall(CalcMolFormula(mol)):
        counts[symbol] = counts.get(symbol, 0) + (int(number) if number else 1)
    return dict(sorted(counts.items()))


_FORMULA_TOKEN = re.compile(r"([A-Z][a-z]?)(\d*)")  # an element and its count; "*", "+2", "-" are not elements


@lru_cache(maxsize=256)
def atomic_weight(symbol: str) -> float:
    """Standard atomic weight of an element from RDKit's periodic table (g/mol)."""
    return float(_rdkit().GetPeriodicTable().GetAtomicWeight(symbol))


def mass_fraction_of(counts: dict[str, int], symbol: str) -> float:
    """Mass fraction of one element in a composition (0 if absent)."""
    total = sum(n * atomic_weight(s) for s, n in counts.items())
    return counts.get(symbol, 0) * atomic_weight(symbol) / total if total else 0.0


def mass_fraction(smiles: str, symbol: str) -> float:
    """Mass fraction of an element in a structure, implicit hydrogens included (e.g. F in -(CF2)n-)."""
    return mass_fraction_of(composition(smiles), symbol)


def molar_mass(smiles: str) -> float:
    """Average molar mass (g/mol) of a structure, implicit hydrogens included (RDKit ``Descriptors.MolWt``)."""
    from rdkit.Chem import Descriptors

    return float(Descriptors.MolWt(parse_smiles(smiles)))


def fingerprint(smiles: str) -> Any:
    """Morgan fingerprint (radius 2, 2048 bits, RDKit) of a structure, for Tanimoto similarity."""
    from rdkit.Chem import rdFingerprintGenerator

    generator = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    return generator.GetFingerprint(parse_smiles(smiles))


def tanimoto(a: Any, b: Any) -> float:
    """Tanimoto similarity of two :func:`fingerprint` results (0 to 1)."""
    from rdkit import DataStructs

    return float(DataStructs.TanimotoSimilarity(a, b))
