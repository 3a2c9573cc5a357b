"""The golden formulation corpus (tests/golden/formulations.toml) checked on its own: it parses, it is big and varied
enough, every case is well formed, and every hand-computed `expected` block recomputes from its `data` under the
normalisation rules stated at the top of the file. This is an independent check of the corpus arithmetic; it does
not import lmakg (the parser that `lmakg assess` will use is tested against this corpus elsewhere)."""

import re
import tomllib
from pathlib import Path

import pytest

CORPUS_PATH = Path(__file__).parents[1] / "golden" / "formulations.toml"
CORPUS = tomllib.loads(CORPUS_PATH.read_text(encoding="utf-8"))
CASES = CORPUS["case"]
ERRORS = CORPUS["error"]
EXPECTED = [c for c in CASES if "expected" in c]

UNITS = {"mol/L", "mol/kg", "mol-ratio", "vol-ratio", "wt-ratio", "wt%", "vol%", "%"}
KINDS = {"salt", "solvent", "additive"}


def _case_id(case):
    return case["text"]


def test_corpus_size():
    assert len(CASES) >= 45
    assert len(ERRORS) >= 8
    assert len(EXPECTED) >= 20


def test_texts_unique():
    texts = [c["text"] for c in CASES] + [e["text"] for e in ERRORS]
    assert len(texts) == len(set(texts))


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_case_well_formed(case):
    assert case["text"].strip() == case["text"] and case["text"]
    assert case["source"].strip()
    assert case["components"]
    names = [c["name"] for c in case["components"]]
    assert len(names) == len(set(names)), "a component listed twice"
    for comp in case["components"]:
        assert comp["name"].strip()
        assert comp["kind"] in KINDS
        assert ("amount" in comp) == ("unit" in comp), "amount and unit come together"
        if comp["kind"] in ("salt", "additive"):
            assert "amount" in comp, "salts and additives always carry an amount"
        if "amount" in comp:
            assert isinstance(comp["amount"], (int, float)) and comp["amount"] > 0
            assert comp["unit"] in UNITS
            if comp["unit"] in ("wt%", "vol%", "%"):
                assert comp["amount"] < 100
    # ratio units are shared by all solvents of a case (a ratio is one notation)
    ratio_units = {c["unit"] for c in case["components"] if c["kind"] == "solvent" and "unit" in c}
    assert len(ratio_units) <= 1
    # components are listed in the order written, each found in the text (as `as_written`, else as `name`)
    position = 0
    for comp in case["components"]:
        fragment = comp.get("as_written", comp["name"])
        if "as_written" in comp:
            assert comp["as_written"] != comp["name"]
        found = case["text"].find(fragment, position)
        assert found >= 0, f"{fragment!r} not found (in order) in the text"
        position = found + len(fragment)
    solvents = [c for c in case["components"] if c["kind"] == "solvent"]
    with_amount = [c for c in solvents if "amount" in c]
    assert not with_amount or len(with_amount) == len(solvents), "a ratio covers every solvent or none"


@pytest.mark.parametrize("error", ERRORS, ids=lambda e: e["text"])
def test_error_well_formed(error):
    assert error["text"] and error["why"].strip()
    assert error["token"] and error["token"] in error["text"]


# Each notation the brief asks for appears at least twice in the case texts.
NOTATIONS = {
    "molarity M": r"\d\s?M\b",
    "mol/L": r"mol/L",
    "mol L-1": r"mol L-1",
    "mol L⁻¹": r"mol L⁻¹",
    "mM": r"\d\s?mM\b",
    "molality m": r"\d\s?m\s",
    "mol/kg or molal": r"mol/kg|molal",
    "coefficient molar ratio (LiFSI-1.2DME-3TTE)": r"-\d+(\.\d+)?[A-Z]",
    "colon molar ratio without basis (LiFSI:DMC 1:1.5)": r"^Li\w+:\w+ (= )?\d",
    "molar ratio word ((1:2 by mol), molar, mol, MR)": r"by mol\)|molar\)|, mol\)|\bMR\b",
    "several salts": r"M Li\w+ (\+|and) ?\d",
    "volume ratio (v/v, by volume, vol., vol)": r"v/v|by volume|vol\.\)|\d vol\)|vol%\s+\w+/",
    "weight ratio (w/w, wt, by wt., by weight)": r"w/w|\d wt\)|by wt\.|by weight",
    "wt% additive": r"wt\.? ?%",
    "vol% additive": r"vol\.?% [A-Z]",
    "bare % additive": r"\d% [A-Z]",
    "M additive after the solvents": r"(\+|containing) \d+(\.\d+)? M ",
    "unicode subscript": r"[₀-₉]",
    "written-out names": r"lithium \w",
    "with / containing": r"\bwith\b|\bcontaining\b",
}


@pytest.mark.parametrize("label", sorted(NOTATIONS))
def test_notation_coverage(label):
    hits = [c["text"] for c in CASES if re.search(NOTATIONS[label], c["text"])]
    assert len(hits) >= 2, (label, hits)


# ---------------------------------------------------------------- expected blocks, recomputed from `data`

def _recompute(case):
    """Normalise the case under the corpus rules, from its components and expected.data only."""
    comps = case["components"]
    data = case["expected"]["data"]
    salts = [c for c in comps if c["kind"] == "salt"]
    solvents = [c for c in comps if c["kind"] == "solvent"]
    additives = [c for c in comps if c["kind"] == "additive"]
    M = {k: d["molar_mass"] for k, d in data.items()}
    rho = {k: d.get("density") for k, d in data.items()}
    moles, grams = {}, {}
    salt_units = {c["unit"] for c in salts}
    single = len(solvents) == 1 and "amount" not in solvents[0]
    if salt_units == {"mol/L"}:
        # 1 L of solution ~ 1 L of solvent blend
        if single:
            phi = {solvents[0]["name"]: 1.0}
        else:
            unit = solvents[0]["unit"]
            vol = {}
            for c in solvents:
                k, a = c["name"], c["amount"]
                vol[k] = {"vol-ratio": a, "wt-ratio": a / (rho[k] or 0), "mol-ratio": a * M[k] / (rho[k] or 0)}[unit]
            phi = {k: v / sum(vol.values()) for k, v in vol.items()}
        for k, f in phi.items():
            grams[k] = f * 1000.0 * rho[k]
            moles[k] = grams[k] / M[k]
        for c in salts:
            moles[c["name"]] = c["amount"]
            grams[c["name"]] = c["amount"] * M[c["name"]]
        base_volume_ml = 1000.0
    elif salt_units == {"mol/kg"}:
        if single:
            frac = {solvents[0]["name"]: 1.0}
        else:
            unit = solvents[0]["unit"]
            part = {c["name"]: c["amount"] * (rho[c["name"]] if unit == "vol-ratio" else 1.0) for c in solvents}
            assert unit in ("vol-ratio", "wt-ratio")
            frac = {k: p / sum(part.values()) for k, p in part.items()}
        for k, f in frac.items():
            grams[k] = f * 1000.0
            moles[k] = grams[k] / M[k]
        for c in salts:
            moles[c["name"]] = c["amount"]
            grams[c["name"]] = c["amount"] * M[c["name"]]
        base_volume_ml = None
    else:
        assert salt_units == {"mol-ratio"}
        for c in salts + solvents:
            assert c["unit"] == "mol-ratio"
            moles[c["name"]] = c["amount"]
            grams[c["name"]] = c["amount"] * M[c["name"]]
        base_volume_ml = None
    for c in additives:
        k = c["name"]
        if c["unit"] == "mol/L":
            assert base_volume_ml is not None
            moles[k] = c["amount"] * base_volume_ml / 1000.0
            grams[k] = moles[k] * M[k]
        elif c["unit"] == "wt%":
            grams[k] = c["amount"] / (100.0 - c["amount"]) * sum(grams.values())
            moles[k] = grams[k] / M[k]
        elif c["unit"] == "vol%":
            assert base_volume_ml is not None
            volume = c["amount"] / (100.0 - c["amount"]) * base_volume_ml
            grams[k] = volume * rho[k]
            moles[k] = grams[k] / M[k]
        else:
            raise AssertionError(f"no rule for an additive in {c['unit']}")
    liquids = [k for k in moles if data[k]["phase"] == "liquid"]
    salt_moles = sum(moles[c["name"]] for c in salts)
    total = sum(moles.values())
    return {
        "salt_molality": salt_moles / (sum(grams[k] for k in liquids) / 1000.0),
        "mole_fraction": {k: n / total for k, n in moles.items()},
        "solvent_to_salt": sum(moles[k] for k in liquids) / salt_moles,
    }


@pytest.mark.parametrize("case", EXPECTED, ids=_case_id)
def test_expected_recomputes(case):
    exp = case["expected"]
    tol = exp["tolerance"]
    assert 0 < tol <= 0.03
    assert exp["working"].strip()
    names = {c["name"] for c in case["components"]}
    assert set(exp["data"]) == names, "data for exactly the components"
    assert set(exp["mole_fraction"]) == names
    assert abs(sum(exp["mole_fraction"].values()) - 1.0) < 2e-3
    for _k, d in exp["data"].items():
        assert d["phase"] in ("liquid", "solid") and d["molar_mass"] > 0 and d["smiles"]
        if "density" in d:
            assert d["phase"] == "liquid" and 0.5 < d["density"] < 2.5 and d["density_source"].strip()
    got = _recompute(case)
    assert got["salt_molality"] == pytest.approx(exp["salt_molality"], rel=tol)
    assert got["solvent_to_salt"] == pytest.approx(exp["solvent_to_salt"], rel=tol)
    for k, x in exp["mole_fraction"].items():
        assert got["mole_fraction"][k] == pytest.approx(x, rel=tol), k


def test_densities_consistent_across_cases():
    seen = {}
    for case in EXPECTED:
        for k, d in case["expected"]["data"].items():
            for field in ("molar_mass", "smiles", "density"):
                if field in d:
                    assert seen.setdefault((k, field), d[field]) == d[field], (k, field)


def test_molar_masses_are_rdkit_molwt():
    Chem = pytest.importorskip("rdkit.Chem")
    from rdkit.Chem import Descriptors

    for case in EXPECTED:
        for k, d in case["expected"]["data"].items():
            mol = Chem.MolFromSmiles(d["smiles"])
            assert mol is not None, k
            assert Descriptors.MolWt(mol) == pytest.approx(d["molar_mass"], abs=0.001), k
