"""Candidate filters (kg/curator/filters.ttl; issue: hypotheses, section 2). The molecules named here are the
issue's own examples, and the expected verdicts follow from each filter's chemistry as written in its reason."""

from __future__ import annotations

import pytest

from lmakg.hypotheses.filters import caught, load_filters
from lmakg.hypotheses.generate import generate


@pytest.fixture(scope="module")
def filters(knowledge):
    return {f.id: f for f in load_filters(knowledge)}


@pytest.fixture(scope="module")
def proposed(knowledge):
    excluded: list[dict] = []
    found = generate(knowledge, kinds=("component", "combination", "molecule"), excluded_out=excluded)
    return found, excluded


def one(smiles: str, role: str = "Additive", cid: str = "x") -> list[dict]:
    return [{"id": cid, "label": smiles, "smiles": smiles, "role": role}]


@pytest.mark.parametrize("smiles, expected", [
    ("COCOCF", True),            # F-CH2-O ether: the example
    ("FC1COCCO1", True),         # 2-fluoro-1,4-dioxane (the example)
    ("O=C1OCC(F)O1", False),     # FEC: the F-bearing carbon's O is a carbonate oxygen
    ("COC(F)F", False),          # difluoromethyl ether
    ("FC(F)C(F)(F)COC(F)(F)C(F)F", False),  # TTE: the O-bound carbons carry no F, or two
])
def test_alpha_fluoroether(filters, smiles, expected):
    assert bool(caught(filters["filter-alpha-fluoroether"], one(smiles))) is expected


@pytest.mark.parametrize("smiles, role, expected", [
    ("OCC(F)(F)F", "Additive", True),   # 2,2,2-trifluoroethanol: O-H (the example)
    ("CC(=O)N", "Solvent", True),       # an N-H amide in the electrolyte
    ("COCCOC", "Solvent", False),       # DME: aprotic
    ("OC(=O)C=C", "Coating", False),    # a carboxylic acid coating is not in the electrolyte
])
def test_protic(filters, smiles, role, expected):
    assert bool(caught(filters["filter-protic"], one(smiles, role))) is expected


def test_lewis_pair_needs_two_components(filters):
    pair = filters["filter-lewis-pair"]
    tfeb, pyridine = "FC(F)(F)COB(OCC(F)(F)F)OCC(F)(F)F", "Fc1ccccn1"
    assert caught(pair, one(tfeb, cid="a") + one(pyridine, cid="b"))
    assert not caught(pair, one(tfeb, cid="a") + one("O=C1OCC(F)O1", cid="b"))
    assert not caught(pair, one(tfeb))


def test_toxic_elements_are_a_tradeoff_unless_excluded(filters):
    toxic = filters["filter-toxic-elements"]
    assert toxic.action == "exclude-on-request"
    assert "As" in caught(toxic, one("[Cs+].F[As-](F)(F)(F)(F)F"))
    assert not caught(toxic, one("[Cs+].F[P-](F)(F)(F)(F)F"))


def test_no_proposed_hypothesis_fails_an_exclusion_filter(proposed):
    found, excluded = proposed
    assert excluded  # the filters do remove something (e.g. TFEB with 2-fluoropyridine)
    smiles = {c.get("smiles") for h in found for c in h.components}
    assert not {"COCOCF", "FC1COCCO1"} & smiles
    ids = {h.id for h in found}
    assert "H-anion-acceptor-f-donor--TFEB--fluoropyridine-2" not in ids
    assert "H-FEC" in ids  # FEC is a carbonate, not an alpha-fluoroether
    removed = {e["id"]: e for e in excluded}
    assert removed["H-anion-acceptor-f-donor--TFEB--fluoropyridine-2"]["filters"][0]["filter"] == "filter-lewis-pair"


def test_tfeb_is_not_proposed_as_a_diluent(proposed):
    """§5.1 [144]: TFEB-based LHCEs performed poorly; evidence from those designs no longer lifts TFEB."""
    found, _excluded = proposed
    tfeb = next((h for h in found if h.id == "H-TFEB"), None)
    if tfeb is not None:
        assert tfeb.components[0]["role"] != "Diluent"
        assert any(e.get("filter") == "filter-veto-TFEB-diluent" for e in tfeb.excluded)
        for info in tfeb.families.values():
            for e in info["evidence"]:
                assert not (set(e.designs) and set(e.designs) <= {"design-LHCE-DME-TFEB"})


def test_nitrate_needs_a_solvent_it_dissolves_in(filters):
    """LiNO3 dissolves to ~0.03 M in carbonates (Brown et al., J. Electrochem. Soc. 2019, the filter's source): a
    nitrate additive with a carbonate *solvent* is caught; in an ether, or with FEC only as an additive, it is not."""
    f = filters["filter-nitrate-in-carbonates"]
    nitrate = one("[Li+].[O-][N+](=O)[O-]", "Additive", "LiNO3")
    assert caught(f, nitrate + one("O=C1OCCO1", "Solvent", "EC"))
    assert not caught(f, nitrate + one("COCCOC", "Solvent", "DME") + one("C1COCO1", "Solvent", "DOL"))
    assert not caught(f, nitrate + one("COCCOC", "Solvent", "DME") + one("O=C1OCC(F)O1", "Additive", "FEC"))
    assert not caught(f, one("O=C1OCCO1", "Solvent", "EC") + one("O=C1OCC(F)O1", "Additive", "FEC"))
