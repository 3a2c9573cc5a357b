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
