"""Formulation hypotheses (issue: hypotheses, section 1): candidates tried in the review's base electrolytes
(kg/curator/formulation-templates.ttl) and judged as wholes by lmakg assess."""

from __future__ import annotations

import pytest

from lmakg.hypotheses.generate import _diversify, generate


@pytest.fixture(scope="module")
def formulations(knowledge):
    return {h.id: h for h in generate(knowledge, kinds=("formulation",))}


def test_diluents_are_tried_in_the_reviews_lhce_and_judged_lhce(knowledge, formulations):
    """§5.1 [144]: LiFSI-1.2DME-3 diluent; TTE meets the diluent requirements (a hydrofluoroether). Its score is
    the evidence score plus the assess weight times the gain over the base electrolyte without the diluent (the
    HCE LiFSI-1.2DME, §5.1): diluting the HCE into an LHCE is the review's improvement, so the gain is positive."""
    from lmakg.formulations.assess import Assessor
    from lmakg.reasoning.evidence import ScoreModel

    tte = formulations["H-form-LiFSI-DME-diluent--TTE"]
    assert tte.label == "LiFSI-1.2DME-3TTE"
    assert tte.assessment["regime"] == "regime-lhce"
    base = Assessor(knowledge).assess("LiFSI-1.2DME")
    assert base["regime"]["id"] == "regime-hce"
    assert tte.assess_gain == pytest.approx(tte.assessment["score"] - base["score"]) and tte.assess_gain > 0
    model = ScoreModel.from_store(knowledge)
    evidence = sum(f["strength"] for f in tte.families.values())
    expected = evidence - model.penalty * min(len(tte.tradeoffs), model.max_tradeoffs) + model.assess * tte.assess_gain
    assert tte.score == pytest.approx(expected)
    assert not tte.novel and "design-LHCE-DME-TTE" in tte.novelty  # the review's own design


def test_the_reviews_reported_diluent_failures_are_not_proposed(formulations):
    """§5.1 [144]: TFEB- and BTFEC-based LHCEs performed poorly: vetoed as diluents, not merely penalised."""
    assert "H-form-LiFSI-DME-diluent--TFEB" not in formulations
    assert "H-form-LiFSI-DME-diluent--BTFEC" not in formulations


def test_no_lone_ion_is_an_additive(formulations):
    assert not [h for h in formulations.values() if h.label.endswith(("+", "-"))]


def test_diversify_keeps_at_most_k_per_group_ahead(formulations):
    from collections import Counter

    ranked = sorted(formulations.values(), key=lambda h: -h.score)
    diverse = _diversify(ranked, 2)
    assert sorted(h.id for h in diverse) == sorted(h.id for h in ranked)  # nothing dropped
    sizes = Counter((h.kind, h.pattern, frozenset(h.families)) for h in ranked)
    head = diverse[: sum(min(n, 2) for n in sizes.values())]
    in_head = Counter((h.kind, h.pattern, frozenset(h.families)) for h in head)
    assert in_head == Counter({g: min(n, 2) for g, n in sizes.items()})


def test_a_formulation_carries_the_trade_offs_of_its_candidate_species(formulations):
    """The review reports that TFEB's electron-deficient boron accelerates O2 escape from NCM811 (section 5.1,
    [144]; kg: lmk:tradeoff-TFEB-cathode limits lmk:TFEB). TFEB is no longer proposed as a diluent, but wherever
    it is proposed as an additive that caution goes with it, and costs what any trade-off costs."""
    tfeb = [h for h in formulations.values() if "TFEB" in {c["id"] for c in h.components}]
    assert tfeb
    for h in tfeb:
        assert "tradeoff-TFEB-cathode" in {t["id"] for t in h.tradeoffs}, h.id
        assert h.breakdown["tradeoffs"] == len(h.tradeoffs)
