"""One low-energy 3-D conformer from RDKit for a molecule, for the GFN2-xTB single point of
:mod:`lmakg.chemistry.descriptors`: ETKDGv3 with a fixed seed, several conformers, each minimised with MMFF94
(UFF where MMFF94 has no parameters), the lowest kept."""

from __future__ import annotations

import math
from typing import Any

SEED = 42
N_CONFORMERS = 10
FF_MAX_ITERS = 2000
CONFORMER_SETTINGS = f"RDKit ETKDGv3 (randomSeed={SEED}, {N_CONFORMERS} conformers)"


class ConformerError(ValueError):
    """No 3-D structure could be made; the message says which molecule and why."""


def _conformer(mol) -> tuple[Any, str]:
    """The hydrogen-complete molecule with one 3-D conformer (lowest force-field energy) and a label."""
    from rdkit import Chem, RDLogger
    from rdkit.Chem import AllChem

    molh = Chem.AddHs(mol)
    if molh.GetNumAtoms() == 1:
        conf = Chem.Conformer(1)
        conf.SetAtomPosition(0, (0.0, 0.0, 0.0))
        molh.AddConformer(conf, assignId=True)
        return molh, "single atom at the origin"
    RDLogger.DisableLog("rdApp.*")
    try:
        params = AllChem.ETKDGv3()
        params.randomSeed = SEED
        params.numThreads = 1
        ids = list(AllChem.EmbedMultipleConfs(molh, numConfs=N_CONFORMERS, params=params))
        if not ids:
            params.useRandomCoords = True
            ids = list(AllChem.EmbedMultipleConfs(molh, numConfs=N_CONFORMERS, params=params))
        if not ids:
            raise ConformerError(f"RDKit ETKDGv3 could not embed {Chem.MolToSmiles(mol)!r} in 3-D")
        energies: list[float] | None = None
        label = f"{CONFORMER_SETTINGS}, no force-field parameters: embedded geometry of conformer 0"
        if AllChem.MMFFHasAllMoleculeParams(molh):
            results = AllChem.MMFFOptimizeMoleculeConfs(molh, numThreads=1, maxIters=FF_MAX_ITERS)
            energies, ff = [e for _, e in results], "MMFF94"
        elif AllChem.UFFHasAllMoleculeParams(molh):
            results = AllChem.UFFOptimizeMoleculeConfs(molh, numThreads=1, maxIters=FF_MAX_ITERS)
            energies, ff = [e for _, e in results], "UFF"
        best = ids[0]
        if energies is not None:
            finite = [(e, cid) for e, cid in zip(energies, ids, strict=True) if math.isfinite(e)]
            if finite:
                best = min(finite)[1]
                label = f"{CONFORMER_SETTINGS}, {ff}-minimised, lowest {ff} energy kept"
    finally:
        RDLogger.EnableLog("rdApp.*")
    return _only_conformer(molh, best), label


def _only_conformer(molh, conf_id: int):
    from rdkit import Chem

    out = Chem.Mol(molh)
    out.RemoveAllConformers()
    out.AddConformer(Chem.Conformer(molh.GetConformer(conf_id)), assignId=True)
    return out
