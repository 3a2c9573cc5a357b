"""The name index: every name the curated graph gives a chemical species, looked up loosely (subscripts, dashes,
case, spaces); ambiguous names resolved only by an exact match; suggestions for misspellings. Expected IRIs are
read by hand from kg/*.ttl."""

from __future__ import annotations

from lmakg.formulations.names import NameIndex, normalise
from lmakg.knowledge.vocab import LMK_IRI


def test_every_corpus_name_resolves(index: NameIndex, corpus_name: tuple[str, str]) -> None:
    """Each component name of the corpus, and its spelling as written, resolve to one and the same species
    ("lithium nitrate (LiNO₃)": the written-out name and the abbreviation in parentheses, each)."""
    name, written = corpus_name
    iri = index.lookup(name)
    assert iri is not None
    spelled, _, abbreviation = written.removesuffix(")").rpartition(" (") if written.endswith(")") else (
        written, "", "")
    assert index.lookup(spelled) == iri
    if abbreviation:
        assert index.lookup(abbreviation) == iri


def test_curated_names(index: NameIndex) -> None:
    # kg/species-common.ttl, kg/components-a.ttl, kg/components-b.ttl, kg/section-4-1.ttl
    assert index.lookup("DEE") == LMK_IRI + "DEE"  # diethyl ether, the review's usage
    assert index.lookup("diethyl ether") == LMK_IRI + "DEE"
    assert index.lookup("1,2-diethoxyethane") == LMK_IRI + "diethoxyethane-1-2"
    assert index.lookup("TEGDME") == LMK_IRI + "tetraglyme"
    assert index.lookup("TMS") == LMK_IRI + "SL"
    assert index.lookup("DMS") == LMK_IRI + "DMS"
    assert index.lookup("BTC") == LMK_IRI + "BTFEC"
    assert index.lookup("DPE") == LMK_IRI + "dipropyl-ether"


def test_loose_spellings(index: NameIndex) -> None:
    lipf6 = index.lookup("LiPF6")
    assert lipf6 is not None
    assert index.lookup("LiPF₆") == lipf6
    assert index.lookup("lipf6") == lipf6
    assert index.lookup("  LIPF6 ") == lipf6
    dme = index.lookup("1,2-dimethoxyethane")
    assert dme is not None
    assert index.lookup("1,2\u2013dimethoxyethane") == dme  # en dash
    assert index.lookup("1,2\u2212dimethoxyethane") == dme  # minus sign
    assert index.lookup("lithium   nitrate") == index.lookup("LiNO₃") is not None


def test_unknown_names(index: NameIndex) -> None:
    assert index.lookup("LiFSl") is None
    assert index.lookup("") is None
    assert index.candidates("LiFSl") == []


def test_suggest(index: NameIndex) -> None:
    assert "LiFSI" in index.suggest("LiFSl")
    assert "DME" in index.suggest("DMEE")
    assert len(index.suggest("LiFSl", n=2)) <= 2


def test_label(index: NameIndex) -> None:
    assert index.label(LMK_IRI + "DME") == "1,2-dimethoxyethane"  # rdfs:label in kg/species-common.ttl
    assert index.label(LMK_IRI + "LiNO3") == "lithium nitrate"
    assert index.label("urn:not-a-species") == "urn:not-a-species"
    assert index.label("https://example.org/x/thing") == "thing"


def test_ambiguous_names_prefer_the_exact_case() -> None:
    index = NameIndex([("urn:a", "DEE", "altLabel"), ("urn:b", "dee", "altLabel"), ("urn:c", "X", "label")])
    assert index.lookup("DEE") == "urn:a"
    assert index.lookup("dee") == "urn:b"
    assert index.lookup("Dee") is None
    assert index.candidates("Dee") == ["urn:a", "urn:b"]
    assert index.lookup("x") == "urn:c"


def test_normalise() -> None:
    assert normalise("LiPF₆") == "lipf6"
    assert normalise("mol L⁻¹") == "mol l-1"
    assert normalise("a\u2013b  c") == "a-b c"
