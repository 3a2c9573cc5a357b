"""Reaction SMARTS through RDKit: parse a design move's edit and apply it to a structure.

Why a module of its own: the design moves (``kg/design-moves.ttl``) are RDKit reaction SMARTS; both the
validator (every SMARTS must parse and reproduce the review's examples) and ``lmakg design`` apply them,
and every product must be sanitised before it is trusted (a template can make a pentavalent carbon).

>>> reaction = parse_reaction("[CH3:1]-[CX3:2](=[OX1:3])-[OX2:4]>>[C:1](F)(F)(F)-[C:2](=[O:3])-[O:4]")
>>> apply_reaction(reaction, "CCOC(C)=O")
(['CCOC(=O)C(F)(F)F'], [])
"""

from __future__ import annotations

from typing import Any

from lmakg.chemistry.structures import ChemistryError, parse_smiles


def _chem() -> Any:
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    return Chem


def parse_reaction(smarts: str) -> Any:
    """An RDKit reaction from a reaction SMARTS, or :class:`ChemistryError` naming it and what is wrong."""
    from rdkit.Chem import rdChemReactions

    _chem()
    if not smarts or ">>" not in smarts:
        raise ChemistryError(f"reaction SMARTS {smarts!r} has no '>>' between reactant and product templates")
    try:
        reaction = rdChemReactions.ReactionFromSmarts(smarts)
    except ValueError as exc:
        raise ChemistryError(f"RDKit cannot parse reaction SMARTS {smarts!r}") from exc
    if reaction is None:
        raise ChemistryError(f"RDKit cannot parse reaction SMARTS {smarts!r}")
    if reaction.GetNumReactantTemplates() != 1 or reaction.GetNumProductTemplates() != 1:
        raise ChemistryError(f"reaction SMARTS {smarts!r} must have one reactant and one product template "
                             f"(has {reaction.GetNumReactantTemplates()} and {reaction.GetNumProductTemplates()})")
    reaction.Initialize()
    return reaction


def canonical_smiles(mol: Any) -> str:
    """Sanitised canonical SMILES of an RDKit molecule; :class:`ChemistryError` when it is not a valid
    structure (e.g. a carbon with five bonds that a reaction template produced)."""
    chem = _chem()
    copy = chem.Mol(mol)
    try:
        chem.SanitizeMol(copy)
        smiles = chem.MolToSmiles(copy)
    except (ValueError, RuntimeError) as exc:  # RDKit's sanitisation errors derive from ValueError
        raise ChemistryError(f"invalid structure: {exc}") from exc
    if chem.MolFromSmiles(smiles) is None:
        raise ChemistryError(f"invalid structure {smiles!r}")
    return smiles


def canonical(smiles: str) -> str:
    """Canonical SMILES of a SMILES string (:class:`ChemistryError` if RDKit rejects it)."""
    return canonical_smiles(parse_smiles(smiles))


def apply_reaction(reaction: Any, smiles: str, every_site: bool = False,
                   max_rounds: int = 12) -> tuple[list[str], list[str]]:
    """Apply a one-reactant reaction to a structure: (sorted distinct valid products as canonical SMILES,
    messages for the invalid ones).

    One edited site per product; with ``every_site`` the reaction is applied again to each product until
    no site is left (at most ``max_rounds`` rounds) and only the fully edited products are returned.
    """
    errors: list[str] = []

    def once(mol: Any) -> set[str]:
        found = set()
        for products in reaction.RunReactants((mol,)):
            try:
                found.add(canonical_smiles(products[0]))
            except ChemistryError as exc:
                errors.append(str(exc))
        return found

    products = once(parse_smiles(smiles))
    if every_site:
        finished: set[str] = set()
        frontier = products
        for _ in range(max_rounds):
            if not frontier:
                break
            following: set[str] = set()
            for product in frontier:
                more = once(parse_smiles(product))
                if more:
                    following |= more
                else:
                    finished.add(product)
            frontier = following
        products = finished
    return sorted(products), errors
