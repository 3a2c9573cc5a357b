"""The formulation language against the golden corpus (tests/golden/formulations.toml, components read by hand):
every [[case]] reads into its components in order (species, text as written, kind, amount, unit), every
[[error]] is refused with one line naming its token. Targeted tests cover what the parser assumes, its
suggestions, and notations and refusals beyond the corpus; their expected values come from the texts."""

from __future__ import annotations

import ast
import doctest
import tomllib
import types
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lmakg.formulations import language, tokens
from lmakg.formulations.language import UNITS, Formulation, FormulationError, parse
from lmakg.formulations.names import NameIndex

CORPUS_TEXTS = [case["text"] for case in tomllib.loads(
    (Path(__file__).parents[1] / "golden" / "formulations.toml").read_text(encoding="utf-8"))["case"]]


def read(index: NameIndex, text: str) -> Formulation:
    return parse(text, index.lookup, index.suggest, index.candidates)


def refusal(index: NameIndex, text: str) -> FormulationError:
    with pytest.raises(FormulationError) as caught:
        read(index, text)
    message = str(caught.value)
    assert "\n" not in message and "\r" not in message
    assert caught.value.token in message
    assert caught.value.token in text
    return caught.value


def test_case(index: NameIndex, case: dict) -> None:
    formulation = read(index, case["text"])
    assert formulation.text == case["text"]
    expected = case["components"]
    assert len(formulation.parts) == len(expected)
    for part, component in zip(formulation.parts, expected, strict=True):
        iri = index.lookup(component["name"])
        assert iri is not None
        assert part.iri == iri
        assert part.written == component.get("as_written", component["name"])
        assert part.kind == component["kind"]
        if "amount" in component:
            assert part.amount == pytest.approx(component["amount"])
            assert part.unit == component["unit"]
        else:
            assert part.amount is None and part.unit is None
        assert part.unit is None or part.unit in UNITS


def test_error(index: NameIndex, error: dict) -> None:
    assert refusal(index, error["text"]).token == error["token"]


# -- what the parser assumes -----------------------------------------------------------------------------------


def test_bare_percent_is_kept_and_said(index: NameIndex) -> None:
    formulation = read(index, "1 M LiTFSI in DOL/DME (1:1 v/v) + 5% AFA")
    assert formulation.parts[-1].unit == "%"
    said = [a for a in formulation.assumptions if '"5%"' in a]
    assert said and "weight" in said[0] and "volume" in said[0]


def test_percent_with_its_basis_assumes_nothing(index: NameIndex) -> None:
    for text in ("1 M LiTFSI in DOL/DME (1:1 v/v) + 5 wt% AFA",
                 "1.2 M LiPF6 in EC:EMC (3:7, vol) with 10% FEC (mass %)"):
        assert read(index, text).assumptions == ()


def test_missing_solvent_ratio_is_said(index: NameIndex) -> None:
    assert "solvent ratio not stated" in read(index, "1 M LiFSI-DOL/DME").assumptions
    assert read(index, "4 M LiFSI in DME").assumptions == ()  # one solvent: nothing to state
    assert read(index, "1 M LiTFSI in DOL/DME (1:1 v/v)").assumptions == ()


def test_ratio_without_basis_over_a_salt_is_molar_and_said(index: NameIndex) -> None:
    formulation = read(index, "LiFSI:DMC 1:1.5")
    assert [p.unit for p in formulation.parts] == ["mol-ratio", "mol-ratio"]
    assert any('"1:1.5"' in a and "molar" in a for a in formulation.assumptions)


# -- suggestions and refusals beyond the corpus --------------------------------------------------------------


def test_misspelt_name_suggests_the_known_one(index: NameIndex) -> None:
    error = refusal(index, "1 M LiFSl in DME")
    assert error.token == "LiFSl"
    assert "LiFSI" in error.suggestions
    assert "LiFSI" in str(error)


@pytest.mark.parametrize(
    ("text", "token"),
    [
        ("1 M LiPF6 in EC/DMC 1:1", "1:1"),  # a solvent ratio that does not say v/v, w/w or molar
        ("1 M LiPF6 in EC/DMC (1:1 v/v) 1 M", "1 M"),  # an amount naming nothing
        ("LiFSI-1.2DME-TTE", "TTE"),  # a coefficient missing in the molar ratio
        ("1 M LiPF6 in EC/EC", "EC"),  # one component named twice
        ("1 M LiPF6 in EC/DMC (1:1 v/v) (1:2 v/v)", "1:2"),  # two ratios
        ("1 M LiPF6 in EC/DMC (1:1 v/v w/w)", "w/w"),  # two bases
        ("LiPF6 1 EC", "1"),  # a number with no unit
        ("1 M LiPF6 in EC/DMC (1:1 v/v) + 100 vol% FEC", "100 vol%"),
        ("1 M LiPF6 in EC/DMC (1:1 v/v) + 0 mM LiNO3", "0 mM"),
        ("1 M LiPF6 in EC/DMC (1:1 v/v) + 2 vol% FEC (mass %)", "mass %"),  # contradicts vol%
    ],
)
def test_refused(index: NameIndex, text: str, token: str) -> None:
    assert refusal(index, text).token == token


def test_empty_text_is_refused(index: NameIndex) -> None:
    with pytest.raises(FormulationError):
        read(index, "   ")


# -- notations read alike ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "1 mol/L LiPF6 in EC/DMC (1:1 v/v)",
        "1 mol L−1 LiPF6 in EC/DMC (1:1 by volume)",
        "1000 mM LiPF6 in EC/DMC 1/1 (v/v)",
        "1 mmol/L LiPF6 in EC/DMC (1:1 vol)",
        "1M LiPF₆ dissolved in EC and DMC (1 : 1, vol.)",
        "1 mol dm⁻³ LiPF6–EC:DMC (1:1 v/v)",
    ],
)
def test_notations_of_one_electrolyte(index: NameIndex, text: str) -> None:
    """Each text says: LiPF6 at 1 mol/L in EC and DMC mixed 1:1 by volume (the mmol/L one at 1 mmol/L)."""
    parts = read(index, text).parts
    assert [(p.iri, p.kind, p.unit) for p in parts] == [
        (index.lookup("LiPF6"), "salt", "mol/L"),
        (index.lookup("EC"), "solvent", "vol-ratio"),
        (index.lookup("DMC"), "solvent", "vol-ratio"),
    ]
    assert parts[0].amount == pytest.approx(0.001 if "mmol" in text else 1.0)
    assert [p.amount for p in parts[1:]] == [1.0, 1.0]


def test_solvent_blend_without_salt(index: NameIndex) -> None:
    parts = read(index, "EC/DMC (3:7 w/w)").parts
    assert [(p.kind, p.amount, p.unit) for p in parts] == [("solvent", 3.0, "wt-ratio"), ("solvent", 7.0, "wt-ratio")]


def test_additive_salt_after_solvents_and_salt_before_in(index: NameIndex) -> None:
    assert [p.kind for p in read(index, "1 M LiTFSI + 0.2 M LiNO3 in DOL/DME (1:1 v/v)").parts] == [
        "salt", "salt", "solvent", "solvent"]
    assert [p.kind for p in read(index, "1 M LiTFSI in DOL/DME (1:1 v/v) + 0.2 M LiNO3").parts] == [
        "salt", "solvent", "solvent", "additive"]


# -- the parser holds syntax, not chemistry ------------------------------------------------------------------


def test_language_doctest() -> None:
    assert doctest.testmod(language).failed == 0


@pytest.mark.parametrize("module", [language, tokens], ids=lambda m: m.__name__)
def test_no_species_names_in_the_parser(index: NameIndex, module: types.ModuleType) -> None:
    """No string the parser's code uses (docstrings aside) names a species: names come from the index."""
    tree = ast.parse(Path(str(module.__file__)).read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef) and node.body
                  and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    words = {word.strip("\"'.,;:()")
             for node in ast.walk(tree)
             if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
             for word in node.value.split()}
    assert sorted(w for w in words if len(w) > 1 and index.lookup(w)) == []


# -- properties ----------------------------------------------------------------------------------------------

_PIECES = sorted({piece for case in CORPUS_TEXTS for piece in case.replace("(", " ( ").split()})


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=8), st.sampled_from(["", " ", "/", "-"]))
def test_any_text_reads_or_is_refused_in_one_line(index: NameIndex, pieces: list[str], glue: str) -> None:
    """Words of the corpus in any order: a formulation, or a one-line refusal naming a fragment of the text."""
    text = glue.join(pieces)
    try:
        formulation = read(index, text)
    except FormulationError as error:
        assert error.token in text and "\n" not in str(error)
    else:
        assert all(part.written in text and part.kind in ("salt", "solvent", "additive") for part in formulation.parts)
        assert all((part.amount is None) == (part.unit is None) for part in formulation.parts)
