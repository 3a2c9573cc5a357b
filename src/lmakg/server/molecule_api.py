"""``GET /api/predict?smiles=...``: what the review's principles imply for one molecule or salt
(:mod:`lmakg.chemistry.predict`, as ``lmakg predict``), with a 2-D depiction, for the workbench's Molecule page.

Parameters: ``smiles`` (a salt as dot-separated ions), optional ``name``, ``role`` (additive, solvent,
co-solvent, diluent, salt; default additive), ``concentration`` with ``unit`` (M, mol/L or mM). The answer is
the predictor's JSON (mechanisms with their rules, forms, conflicts, ruledOut, derived, notAssessed, the
hypotheses the molecule joins) plus ``depiction``, an SVG drawn by RDKit (``MolDraw2DSVG``), and ``labels``,
the display names of the mechanisms, products and trade-offs it names. Bad input (an unparsable SMILES, an
unknown role or unit, an impossible concentration) is HTTP 400 with a one-line message.

One Predictor per store, built on first use and used by one request at a time (it is not thread-safe).
"""

from __future__ import annotations

import re
from typing import Any, Protocol

from lmakg.server.api import BadRequest, Guarded

ROLES = {"additive": "additive", "solvent": "solvent", "co-solvent": "cosolvent", "cosolvent": "cosolvent",
         "diluent": "diluent", "salt": "salt"}
UNITS = {"M": 1.0, "mol/L": 1.0, "mM": 0.001}
MAX_SMILES = 400
MAX_NAME = 80
DEPICTION_SIZE = (420, 300)


class MoleculeEntry(Protocol):
    predictor: Guarded
    index: dict[str, Any]


def build_predictor(location: str | None) -> Any:
    """A predictor whose results list the hypotheses each molecule joins (as ``lmakg predict``)."""
    from lmakg.hypotheses import joins

    return joins.predictor(location)


def depict(smiles: str, size: tuple[int, int] = DEPICTION_SIZE) -> str:
    """An SVG drawing of ``smiles`` by RDKit (no XML declaration, so it can sit in a page or a data: URL)."""
    from rdkit.Chem import rdDepictor
    from rdkit.Chem.Draw import rdMolDraw2D

    from lmakg.chemistry.structures import ChemistryError, parse_smiles

    try:
        mol = parse_smiles(smiles)
    except ChemistryError as exc:
        raise BadRequest(f"invalid SMILES {smiles!r}: {exc}") from None
    rdDepictor.Compute2DCoords(mol)
    drawer = rdMolDraw2D.MolDraw2DSVG(*size)
    rdMolDraw2D.PrepareAndDrawMolecule(drawer, mol)
    drawer.FinishDrawing()
    return re.sub(r"^<\?xml[^>]*\?>\s*", "", drawer.GetDrawingText())


def _text(params: dict[str, list[str]], key: str, limit: int) -> str:
    value = ((params.get(key) or [""])[0]).strip()
    if len(value) > limit:
        raise BadRequest(f"parameter {key!r} is {len(value)} characters long; at most {limit}")
    return value


def _concentration(params: dict[str, list[str]]) -> float | None:
    from lmakg.chemistry.candidates import PredictionInputError, parse_concentration

    text = _text(params, "concentration", 40)
    if not text:
        return None
    unit = _text(params, "unit", 10) or "M"
    if unit not in UNITS:
        raise BadRequest(f"unknown concentration unit {unit!r}; use one of: {', '.join(UNITS)}")
    try:
        value = float(text) * UNITS[unit]
    except ValueError:
        raise BadRequest(f"concentration {text!r} is not a number") from None
    try:
        return parse_concentration(f"{value!r} M")
    except PredictionInputError as exc:
        raise BadRequest(f"{exc} (given: {text} {unit})") from None


def api_predict(params: dict[str, list[str]], entry: MoleculeEntry) -> dict[str, Any]:
    from lmakg.chemistry.candidates import Candidate, PredictionInputError
    from lmakg.knowledge.store import StoreError

    smiles = _text(params, "smiles", MAX_SMILES)
    if not smiles:
        raise BadRequest("missing parameter 'smiles'")
    role = _text(params, "role", 20) or "additive"
    if role not in ROLES:
        raise BadRequest(f"unknown role {role!r}; use one of: {', '.join(r for r in ROLES if r != 'cosolvent')}")
    candidate = Candidate(smiles=smiles, name=_text(params, "name", MAX_NAME) or None, role=ROLES[role],
                          concentration=_concentration(params))
    try:
        with entry.predictor.use() as predictor:
            result = predictor.predict(candidate, explain=False)
    except (PredictionInputError, StoreError) as exc:
        raise BadRequest(str(exc)) from None
    if "error" in result:
        raise BadRequest(result["error"])
    result["depiction"] = depict(smiles)
    named = {m["id"] for m in result["mechanisms"]} | set(result["forms"]) | set(result["conflicts"])
    index = entry.index
    result["labels"] = {n: index["titles"].get(index["by_local"].get(n, ""), n) for n in sorted(named)}
    return result
