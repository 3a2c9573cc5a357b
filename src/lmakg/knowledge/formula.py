"""Molecular formulas from element counts (Hill order); pure text, no RDKit."""

from __future__ import annotations


def hill_formula(counts: dict[str, int]) -> str:
    """Molecular formula in Hill order: C, then H, then the rest alphabetically (all alphabetical without C).

    >>> hill_formula({"O": 3, "C": 3, "F": 1, "H": 3})
    'C3H3FO3'
    >>> hill_formula({"Li": 1, "P": 1, "F": 6})
    'F6LiP'
    """
    order = sorted(counts)
    if "C" in counts:
        order = ["C"] + (["H"] if "H" in counts else []) + [s for s in order if s not in ("C", "H")]
    return "".join(f"{s}{counts[s] if counts[s] != 1 else ''}" for s in order)
