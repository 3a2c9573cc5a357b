"""A deterministic set of candidate SMILES for the screening benchmark (no download needed).

Why synthetic: the machine has no network, and what the benchmark measures is the rate at which lmakg
judges structures, not chemistry. The set mixes what a screen of electrolyte components would contain:
acyclic ethers and glymes of several lengths, carbonates and esters, each with 0-3 fluorinated ends (H,
CH2F, CHF2, CF3 end groups), a few functional end groups (nitrile, amide, sulfonyl fluoride, phosphate),
and salts that pair metal cations with common anions, at a few concentrations. Every SMILES is checked by
RDKit and kept once (canonical form).
"""

from __future__ import annotations

import csv
import itertools
import sys
from pathlib import Path

ENDS = ["C", "CF", "C(F)F", "C(F)(F)F", "CC", "CCF", "CC(F)(F)F", "C(F)(F)C(F)(F)F"]
LINKS = ["OCCO", "OCCCO", "OCCCCO", "OCCOCCO", "OCC(F)(F)CO", "OC(F)(F)C(F)(F)O", "OCCOCCOCCO", "OCOC(=O)O",
         "OC(=O)", "OC(=O)C", "OC(=O)CC", "OS(=O)(=O)", "OCC#N", "OP(=O)(OC)O", "OCCN", "OCC(=O)N(C)",
         "OCC(F)CO", "OCCOC(F)(F)CO"]
MIDS = ["C", "CC", "C(F)(F)", "C(F)(F)C(F)(F)", "CCC", "C(C)"]
CATIONS = ["[Li+]", "[Na+]", "[K+]", "[Rb+]", "[Cs+]", "[Mg+2]", "[Ca+2]", "[Zn+2]", "[Ag+]", "[In+3]"]
ANIONS = ["F[P-](F)(F)(F)(F)F", "[O-][N+](=O)[O-]", "F[B-](F)(F)F", "FS(=O)(=O)[N-]S(=O)(=O)F",
          "FC(F)(F)S(=O)(=O)[N-]S(=O)(=O)C(F)(F)F", "[O-]Cl(=O)(=O)=O", "FC(F)(F)C(=O)[O-]", "[F-]"]
CONCENTRATIONS = ["0.01M", "0.05M", "0.1M", "0.5M"]
ROLES = ["additive", "solvent", "cosolvent", "diluent"]


def candidates(n: int) -> list[dict[str, str]]:
    """The first ``n`` distinct candidates (salts first interleaved with molecules, deterministic)."""
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    seen: set[tuple[str, str]] = set()
    rows: list[dict[str, str]] = []

    def keep(smiles: str, role: str, concentration: str = "") -> None:
        mol = Chem.MolFromSmiles(smiles)
        if mol is None:
            return
        canonical = Chem.MolToSmiles(mol)
        if (canonical, concentration) in seen:
            return
        seen.add((canonical, concentration))
        rows.append({"name": f"cand-{len(rows) + 1}", "smiles": canonical, "role": role,
                     "concentration": concentration})

    def charge(smiles: str) -> int:
        return Chem.GetFormalCharge(Chem.MolFromSmiles(smiles))

    for (cation, anion), conc in itertools.product(itertools.product(CATIONS, ANIONS), CONCENTRATIONS):
        keep(".".join([cation, *[anion] * (charge(cation) // -charge(anion))]), "salt", conc)
    two_part = (left + link + right for left, link, right in itertools.product(ENDS, LINKS, ENDS))
    three_part = (left + a + b[1:] + right for left, a, b, right in itertools.product(ENDS, LINKS, LINKS, ENDS))
    four_part = (left + a + mid + b[1:] + right
                 for mid, left, a, b, right in itertools.product(MIDS, ENDS, LINKS, LINKS, ENDS))
    # five parts: only reached past the ~28,000 candidates of the shorter chains (the first rows stay the same)
    five_part = (left + a + mid + b[1:] + mid2 + c[1:] + right
                 for mid, mid2, left, a, b, c, right in itertools.product(MIDS, MIDS, ENDS, LINKS, LINKS, LINKS, ENDS))
    for smiles in itertools.chain(two_part, three_part, four_part, five_part):
        if len(rows) >= n:
            break
        keep(smiles, ROLES[len(rows) % len(ROLES)])
    return rows[:n]


def write(path: Path, n: int) -> int:
    rows = candidates(n)
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["name", "smiles", "role", "concentration"])
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "candidates.csv")
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    print(f"wrote {write(target, count)} candidates to {target}")
