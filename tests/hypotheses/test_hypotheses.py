"""Hypotheses: the review's own multifunctional designs come back with the right families
(tests/golden/inferences.toml), exclusions hold, output is deterministic, and the CLI works."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from lmakg.cli import app
from lmakg.hypotheses.generate import generate
from lmakg.knowledge.vocab import LMK_IRI
from lmakg.reasoning.evidence import ScoreModel

GOLDEN = tomllib.loads((Path(__file__).parents[1] / "golden" / "inferences.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def ranked(knowledge):
    return generate(knowledge)


@pytest.mark.parametrize("case", GOLDEN["hypothesis"], ids=[c["member"] for c in GOLDEN["hypothesis"]])
def test_review_multifunctional_designs_come_back(ranked, case):
    member = LMK_IRI + case["member"]
    hits = [h for h in ranked if member in h.members]
    assert hits, f"no hypothesis contains {case['member']} — {case['evidence']}"
    assert any(set(case["families"]) <= set(h.families) and len(h.families) >= 2 for h in hits), \
        [(h.id, sorted(h.families)) for h in hits]


def test_every_hypothesis_is_explained(knowledge, ranked):
    abstain = ScoreModel.from_store(knowledge).abstain
    assert len(ranked) >= 20
    for h in ranked:
        assert len(h.families) >= 2
        for family, info in h.families.items():
            assert info["strength"] >= abstain - 1e-9
            assert info["evidence"], (h.id, family)
            for e in info["evidence"]:
                if e.kind == "rule":
                    assert e.rule and e.section, (h.id, e)
                else:
                    assert e.designs and e.section, (h.id, e)
        for t in h.tradeoffs:  # the review's section, or for a candidate filter's trade-off its named source
            assert t["statement"] and (t["section"] or t.get("source")), (h.id, t)


def test_novel_combinations_are_proposed(ranked):
    novel = [h for h in ranked if h.kind == "combination" and h.novel]
    patterns = {h.pattern for h in novel}
    assert {"pattern-shielding-cation-sei-anion", "pattern-alloy-metal-fluoride", "pattern-wse-f-donor",
            "pattern-lithophilic-polymer-so2f", "pattern-anion-acceptor-f-donor"} <= patterns
    cs_fsi = [h for h in novel if h.id == "H-shielding-cation-sei-anion--Cs-cation--FSI-anion"]
    assert cs_fsi and {"UniformLiFlux", "SEIOptimization"} <= set(cs_fsi[0].families)


def test_ruled_out_mechanism_is_never_proposed(ranked):
    # PVIB is reduced above Li+/Li (-2.9 V > -3.040 V, section 2.2): it must never be a shield.
    for h in ranked:
        if LMK_IRI + "PVIB" in h.members:
            assert "ElectrostaticShielding" not in h.mechanisms


def _weights() -> dict[str, float]:
    """The curator's evidence weights, read straight from the data file (not through lmakg's loader)."""
    import rdflib

    g = rdflib.Graph().parse(Path(__file__).parents[2] / "kg" / "curator" / "evidence-weights.ttl")
    lma = rdflib.Namespace("https://w3id.org/lmakg/ontology#")
    (model,) = g.subjects(rdflib.RDF.type, lma.EvidenceScoreModel)
    return {p: float(g.value(model, lma[p])) for p in ("tradeoffPenalty", "maxTradeoffsCounted", "abstainBelow")}


def test_scores_follow_the_documented_formula(ranked):
    w = _weights()
    for h in (x for x in ranked if x.kind == "component"):
        expected = sum(f["strength"] for f in h.families.values()) - w["tradeoffPenalty"] * min(
            len(h.tradeoffs), w["maxTradeoffsCounted"])
        assert abs(h.score - expected) < 1e-9, h.id
        assert h.breakdown["score"] == round(h.score, 3) and h.breakdown["assessGain"] is None, h.id


def test_output_is_deterministic(knowledge, ranked):
    again = generate(knowledge)
    assert [h.as_dict() for h in again] == [h.as_dict() for h in ranked]
    # generate() orders by the score rounded to 6 decimals, then id: sums of family strengths that differ
    # only by float rounding (1.7 vs 1.7000000000000002) are the same score and are ordered by id.
    scores = [round(h.score, 6) for h in ranked]
    assert scores == sorted(scores, reverse=True)


def test_filters(knowledge):
    only = generate(knowledge, mechanisms=["ElectrostaticShielding"])
    assert only and all("ElectrostaticShielding" in h.mechanisms for h in only)
    assert all(h.novel for h in generate(knowledge, novel_only=True))
    assert len(generate(knowledge, top=3)) == 3


def test_cli_json_and_errors(runner):
    result = runner.invoke(app, ["hypotheses", "--top", "5", "--json", "--kinds", "component,combination,molecule"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert len(data) == 5
    first = data[0]
    assert {"id", "components", "mechanisms", "explanations", "tradeoffs", "novel", "score"} <= set(first)
    assert all("label" in c for c in first["components"])
    bad = runner.invoke(app, ["hypotheses", "--mechanisms", "Telepathy"])
    assert bad.exit_code == 1 and "unknown mechanism 'Telepathy'" in bad.output


def test_why_reaches_the_review(runner):
    result = runner.invoke(app, ["why", "Cs+", "ElectrostaticShielding", "--json"])
    assert result.exit_code == 0, result.output
    tree = json.loads(result.output)
    assert tree["reportedByReview"][0]["references"] == [48]
    text = json.dumps(tree["predicted"])
    assert "shielding-below-li" in text and "nernst-potential" in text and "\\u00a72.2" not in text
    assert '"sections": ["2.2"]' in text and '"references": [48]' in text
    missing = runner.invoke(app, ["why", "Cs+", "Levitation"])
    assert missing.exit_code == 1 and "unknown mechanism" in missing.output


@pytest.fixture(scope="module")
def editable(knowledge):
    """A copy of the reasoned review graph that a test may change (SPARQL Update on the score model)."""
    from lmakg.knowledge.store import open_store

    def copy():
        store = open_store()
        store.load_dataset(knowledge.dump("nquads"))
        return store

    return copy


MODEL = "https://w3id.org/lmakg/kg/evidence-score-model"
LMA = "https://w3id.org/lmakg/ontology#"


def test_the_score_model_is_data_a_changed_weight_changes_the_scores(editable, ranked):
    """Doubling lma:tradeoffPenalty in the graph (no code touched) lowers each component hypothesis with
    trade-offs by exactly the extra penalty: the weights are read from kg/curator/evidence-weights.ttl."""
    w = _weights()
    store = editable()
    doubled = 2 * w["tradeoffPenalty"]
    store.update(f"""DELETE {{ GRAPH ?g {{ <{MODEL}> <{LMA}tradeoffPenalty> ?v }} }}
        INSERT {{ GRAPH ?g {{ <{MODEL}> <{LMA}tradeoffPenalty> {doubled} }} }}
        WHERE {{ GRAPH ?g {{ <{MODEL}> <{LMA}tradeoffPenalty> ?v }} }}""")
    before = {h.id: h for h in ranked if h.kind == "component"}
    after = {h.id: h for h in generate(store, kinds=("component",))}
    with_tradeoffs = [i for i, h in before.items() if h.tradeoffs]
    assert with_tradeoffs
    for i in with_tradeoffs:
        extra = w["tradeoffPenalty"] * min(len(before[i].tradeoffs), w["maxTradeoffsCounted"])
        assert after[i].score == pytest.approx(before[i].score - extra), i


def test_a_missing_or_incomplete_score_model_is_a_clear_error(editable):
    from lmakg.reasoning.evidence import ScoreModelError

    store = editable()
    store.update(f"DELETE WHERE {{ GRAPH ?g {{ <{MODEL}> <{LMA}abstainBelow> ?v }} }}")
    with pytest.raises(ScoreModelError, match=r"lacks lma:abstainBelow \(kg/curator/evidence-weights.ttl\)"):
        ScoreModel.from_store(store)
    store.update(f"DELETE WHERE {{ GRAPH ?g {{ <{MODEL}> a ?t }} }}")
    with pytest.raises(ScoreModelError, match="0 lma:EvidenceScoreModel individuals; exactly one is needed"):
        ScoreModel.from_store(store)
