"""Chemistry through RDKit: parse SMILES, compute InChIKeys and formal charges.

Why a module: RDKit is a heavy import used only by validation and (later) structure perception, so it is
imported here, lazily, and RDKit's own log noise is silenced in favour of one clear error message.

>>> inchikey("O=C1OCC(F)O1")
'SBLRHMKNNHXPHG-UHFFFAOYSA-N'
>>> formal_charge("[Li+].F[P-](F)(F)(F)(F)F")
0
"""

from __future__ import annotations

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


def inchikey(smiles: str) -> str:
    """Standard InChIKey of a SMILES."""
    chem = _rdkit()
    key = chem.MolToInchiKey(parse_smiles(smiles))
    if not key:
        raise ChemistryError(f"RDKit cannot compute an InChIKey for {smiles!r}")
    return key


def formal_charge(smiles: str) -> int:
    """Net formal charge of a SMILES (all fragments)."""
    chem = _rdkit()
    return int(chem.GetFormalCharge(parse_smiles(smiles)))


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
    import re

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
    mol = parse_smiles(smiles)
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


def mass_fraction(smiles: str, symbol: str) -> float:
    """Mass fraction of an element in a structure, implicit hydrogens included (e.g. F in -(CF2)n-)."""
    chem = _rdkit()
    mol = chem.AddHs(parse_smiles(smiles))
    table = chem.GetPeriodicTable()
    total = sum(table.GetAtomicWeight(a.GetAtomicNum()) for a in mol.GetAtoms() if a.GetAtomicNum() > 0)
    part = sum(table.GetAtomicWeight(a.GetAtomicNum()) for a in mol.GetAtoms() if a.GetSymbol() == symbol)
    return part / total if total else 0.0
