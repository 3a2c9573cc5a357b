"""Salt hypotheses (issue: hypotheses, section 1): new salts of the graph's cations (with standard potentials)
and anions, at the review's Cs+ concentration (0.05 M, §2.2 [48]), judged by the rules."""

from __future__ import annotations

from lmakg.hypotheses.generate import _Context
from lmakg.hypotheses.salts import _salts, salt_hypotheses


def test_salts_are_charge_balanced():
    rows = [{"ion": _T("urn:x/Mg-cation"), "kind": _T("cation"), "smiles": _T("[Mg+2]")},
            {"ion": _T("urn:x/PF6-anion"), "kind": _T("anion"), "smiles": _T("F[P-](F)(F)(F)(F)F")}]
    ((_c, _a, smiles, name),) = _salts(rows)
    assert smiles == "[Mg+2].F[P-](F)(F)(F)(F)F.F[P-](F)(F)(F)(F)F" and name == "MgPF6"


def test_a_caesium_borate_salt_shields_and_builds_the_sei(knowledge):
    """Cs+ at 0.05 M is reduced below Li+ at 1 M (Nernst, §2.2 [48]): electrostatic shielding (UniformLiFlux);
    BOB- is a reactive borate anion (§4.1): SEI formation."""
    ctx = _Context(knowledge)
    known = {card["inchiKey"] for card in ctx.cards.values() if card.get("inchiKey")}
    (h,) = salt_hypotheses(knowledge, ctx.rules, ctx.family_by_mechanism, known, ctx.model, only={"CsBOB"})
    assert h.id == "H-salt-CsBOB" and h.novel and h.kind == "salt"
    assert {"UniformLiFlux", "SEIOptimization"} <= set(h.families)
    assert "ElectrostaticShielding" in h.mechanisms


class _T:
    def __init__(self, value: str) -> None:
        self.value = value
