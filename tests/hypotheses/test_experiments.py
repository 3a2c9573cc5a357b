"""Experimental tests (kg/curator/experiments.ttl): every mechanism of the review's taxonomy can be tested,
every test says how, what would support and what would refute it, and where the method comes from; every
hypothesis carries the tests of the families it claims and the Li||Cu CE yardstick.

The expected methods come from the review (Yin et al., Batteries & Supercaps 2022), not from the program:
Raman/FTIR of the anion bands for CIP/AGG (5.1 [77], 5.2 [143]), the Li+ transference number for space charge
(6.1 [22,185]), the Monroe-Newman 10 GPa for high modulus (4 and 6.2 [15,91]), XPS/ToF-SIMS of SEI products
(4 [12], 4.1 [108]), Li+-solvent binding energies for de-solvation (3 [25,82]), the nucleation overpotential
and DFT binding energies for lithophilic groups (2.1 [46,58]), the reduction potential of a shielding cation
(2.2 [48,49]).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from lmakg.cli import app
from lmakg.hypotheses.experiments import ExperimentalTests
from lmakg.hypotheses.generate import generate
from lmakg.knowledge.vocab import local_name

# The mechanisms and families of the review's Figure 2 (sections 2-6), as ontology/lmakg.ttl names them.
TAXONOMY = {"UniformLiFlux", "LithophilicGuidance", "ElectrostaticShielding", "ThermalHotspotElimination",
            "DesolvationRegulation", "SEIOptimization", "ReactiveSEIFormation", "SelectiveDecomposition",
            "AnionRichSolvation", "SpaceChargeWeakening", "HighModulusSuppression"}
REVIEW = sorted((Path(__file__).resolve().parents[3] / "shared" / "review").glob("*.txt"))


@pytest.fixture(scope="module")
def tests(knowledge) -> ExperimentalTests:
    return ExperimentalTests.load(knowledge)


@pytest.fixture(scope="module")
def ranked(knowledge):
    return generate(knowledge)


def by_mechanism(tests: ExperimentalTests, mechanism: str) -> list:
    return [t for t in tests.tests if t.mechanism == mechanism]


def test_every_mechanism_and_family_of_the_ontology_has_a_test(knowledge, tests):
    rows = knowledge.select("SELECT ?m WHERE { { ?m a lma:Mechanism } UNION { ?m a lma:MechanismFamily } }")
    ontology = {local_name(r["m"].value) for r in rows}
    assert ontology == TAXONOMY
    untested = {m for m in ontology if not by_mechanism(tests, m)}
    assert untested == set()


def test_every_test_says_how_what_supports_what_refutes_and_where_it_comes_from(tests):
    assert len(tests.tests) >= len(TAXONOMY) + 1
    for t in tests.tests:
        assert t.procedure.strip() and t.supporting.strip() and t.refuting.strip(), t.id
        assert t.sections or t.external, f"{t.id} names neither a review section nor an external source"
        assert all(1 <= r <= 188 for r in t.references), t.id
        assert t.mechanism or t.every_hypothesis, f"{t.id} tests nothing"
        assert t.source, t.id


def test_one_yardstick_li_cu_ce_applies_to_every_hypothesis(tests):
    yardsticks = [t for t in tests.tests if t.every_hypothesis]
    assert [t.id for t in yardsticks] == ["test-li-cu-ce"]
    ce = yardsticks[0]
    assert "Li||Cu" in ce.procedure and "Q_T" in ce.procedure  # the reservoir protocol
    assert "Accurate determination of Coulombic efficiency" in (ce.external or "")
    assert ce.mechanism is None


@pytest.mark.parametrize(("mechanism", "method", "section", "references"), [
    ("AnionRichSolvation", r"Raman|FTIR", "5.2", {143}),  # Raman of FSI- bands, AGG 31% -> 42%
    ("AnionRichSolvation", r"FTIR", "5.1", {77}),  # ATR-FTIR blue shift of LiTFA's carbonyl
    ("SpaceChargeWeakening", r"transference number", "6.1", {185, 22}),
    ("HighModulusSuppression", r"modulus", "6.2", {15, 91}),
    ("SEIOptimization", r"XPS.*ToF-SIMS", "4.1", {108}),
    ("ReactiveSEIFormation", r"LUMO", "4.1", {115}),
    ("SelectiveDecomposition", r"control", "4.2", {137}),
    ("DesolvationRegulation", r"binding energy", "3", {82, 25}),
    ("LithophilicGuidance", r"nucleation overpotential", "2.1", {46, 58}),
    ("ElectrostaticShielding", r"reduction potential", "2.2", {48}),
    ("ThermalHotspotElimination", r"thermal conductivity", "2.2", {52, 67}),
    ("UniformLiFlux", r"SEM", "2.1", {46}),
])
def test_the_review_s_own_method_is_the_test(tests, mechanism, method, section, references):
    hits = [t for t in by_mechanism(tests, mechanism)
            if re.search(method, t.procedure) and section in t.sections and references <= t.references]
    assert hits, f"no test of {mechanism} by {method} citing §{section} {sorted(references)}"


def test_monroe_newman_threshold_is_the_review_s_ten_gpa(tests):
    (t,) = by_mechanism(tests, "HighModulusSuppression")
    assert "10 GPa" in t.supporting and {15, 91} <= t.references


@pytest.mark.skipif(not REVIEW, reason="the review's text (../shared/review/) is not beside this checkout")
def test_every_number_in_a_test_is_the_review_s(tests):
    text = REVIEW[0].read_text(encoding="utf-8")
    number = re.compile(r"(?<![\w.^_])-?(\d+(?:\.\d+)?)(?![\w])")
    for t in tests.tests:
        for field in (t.supporting, t.refuting):
            for value in number.findall(field):
                assert value in text, f"{t.id}: {value} is not in the review"


def test_a_family_s_test_covers_its_mechanisms_and_no_other_family(tests):
    sei = {t["id"] for t in tests.for_claims({"SEIOptimization", "ReactiveSEIFormation"})}
    assert {"test-sei-composition", "test-reactive-sei-lumo-products", "test-li-cu-ce"} <= sei
    assert "test-selective-decomposition-control" not in sei  # not claimed
    flux = {t["id"] for t in tests.for_claims({"ElectrostaticShielding"})}  # a sub-mechanism: its family's test too
    assert flux == {"test-uniform-flux-morphology", "test-shielding-reduction-potential", "test-li-cu-ce"}
    family = next(t for t in tests.tests if t.id == "test-uniform-flux-morphology")
    assert family.covers == {"UniformLiFlux", "LithophilicGuidance", "ElectrostaticShielding",
                             "ThermalHotspotElimination"}
    assert [t["id"] for t in tests.for_claims(set())] == ["test-li-cu-ce"]


def test_every_hypothesis_carries_the_yardstick_and_a_test_per_family(ranked):
    assert ranked
    for h in ranked:
        ids = [t["id"] for t in h.tests]
        assert ids[-1] == "test-li-cu-ce" and len(ids) == len(set(ids)), h.id
        tested = {t["mechanism"] for t in h.tests}
        for family, info in h.families.items():
            assert tested & ({family} | set(info["mechanisms"])), (h.id, family)
        assert h.as_dict()["tests"] == h.tests


def test_cli_json_and_explain_show_the_tests(runner):
    fast = ["--kinds", "component,combination"]  # the tests are attached the same way for every kind
    result = runner.invoke(app, ["hypotheses", "--top", "3", "--json", *fast])
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert len(found) == 3
    for h in found:
        assert "tests" in h and h["tests"][-1]["id"] == "test-li-cu-ce"
        assert all(t["procedure"] and t["refutingResult"] and t["source"] for t in h["tests"])
    explained = runner.invoke(app, ["hypotheses", "--top", "1", "--explain", *fast])
    assert explained.exit_code == 0 and "refuted if" in explained.output
