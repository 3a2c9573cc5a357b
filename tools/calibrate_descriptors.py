"""Calibrate the computed GFN2-xTB frontier orbitals (lmakg.chemistry.descriptors) against the review's.

Reads every lma:LUMOEnergy / lma:HOMOEnergy quantity the curated graph (kg/*.ttl) attaches to a species
with a SMILES, computes the species with GFN2-xTB, fits review ≈ a·xtb + b by least squares (LUMO, and
HOMO when there are at least 3 review values), reports n, Pearson r, Spearman ρ, the map and residuals,
checks the orderings the review relies on, and writes it all to
src/lmakg/chemistry/descriptor-calibration.json.

    .venv/bin/python tools/calibrate_descriptors.py [--out PATH] [--kg DIR]

The review's values come from different studies (refs [115] and [134]), hence different DFT levels: the
fit is also given for each single source with at least 3 values.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import sys
from pathlib import Path

import rdflib

from lmakg.chemistry.descriptors import DescriptorError, compute, method_label, rdkit_version

ROOT = Path(__file__).resolve().parent.parent
LMA = rdflib.Namespace("https://w3id.org/lmakg/ontology#")
LMK = rdflib.Namespace("https://w3id.org/lmakg/kg/")
QUDT = rdflib.Namespace("http://qudt.org/schema/qudt/")
UNIT = rdflib.Namespace("http://qudt.org/vocab/unit/")
KINDS = {"LUMO": LMA.LUMOEnergy, "HOMO": LMA.HOMOEnergy}
MIN_FIT_POINTS = 3

# Orderings the review relies on, each with where the graph states it. (quantity, lower, higher, source)
ORDERINGS: list[tuple[str, str, str, str]] = [
    ("LUMO", "FEC", "EC", "lmk:design-FEC-additive statement / review §4.1: FEC -0.87 eV < EC -0.33 eV [115]"),
    ("LUMO", "FEC", "DEC", "lmk:design-FEC-additive / review §4.1: FEC -0.87 eV < DEC 0 eV [115]"),
    ("LUMO", "EC", "DEC", "lmk:design-FEC-additive / review §4.1: EC -0.33 eV < DEC 0 eV [115]"),
    ("LUMO", "BTFEC", "DEC", "lmk:design-LiPF6-FEC-BTC / lmk:principle-lumo-reduction: fluorinating DEC into "
                             "BTC gives a low-LUMO solvent (Figure 6e, [103])"),
    ("HOMO", "FEC", "EC", "lmk:principle-homo-oxidation: fluorination decreases the HOMO of solvent molecules "
                          "(Figure 6e, [103])"),
    ("HOMO", "BTFEC", "DEC", "lmk:principle-homo-oxidation (Figure 6e, [103])"),
    ("HOMO", "FDMB", "DMB", "lmk:principle-homo-oxidation applied to the fluorinated ether FDMB, which the review "
                            "says improves anti-oxidation stability (lmk:design-FDMB-solvent, [97])"),
    ("LUMO", "LiTFA", "DME", "lmk:design-LiTFA: the LUMO of TFA- is lower than that of the solvents "
                             "(LiTFA-DME/FEC, Figure 9g)"),
    ("LUMO", "LiTFA", "FEC", "lmk:design-LiTFA: the LUMO of TFA- is lower than that of the solvents "
                             "(LiTFA-DME/FEC, Figure 9g)"),
]


def load_graph(kg: Path) -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in sorted(kg.glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


def review_values(graph: rdflib.Graph) -> list[dict]:
    rows = graph.query(
        """
        SELECT ?s ?label ?smiles ?kind ?value ?unit (GROUP_CONCAT(STR(?ref); separator=" ") AS ?refs)
        WHERE {
          ?s lma:hasQuantity ?q ; lma:smiles ?smiles .
          ?q lma:quantityKind ?kind ; qudt:numericValue ?value .
          VALUES ?kind { lma:LUMOEnergy lma:HOMOEnergy }
          OPTIONAL { ?q qudt:unit ?unit }
          OPTIONAL { ?s rdfs:label ?label }
          OPTIONAL { ?q lma:citesReference ?ref }
        }
        GROUP BY ?s ?label ?smiles ?kind ?value ?unit ORDER BY ?kind ?s
        """,
        initNs={"lma": LMA, "qudt": QUDT, "rdfs": rdflib.RDFS},
    )
    out = []
    for s, label, smiles, kind, value, unit, refs in rows:
        if unit is not None and unit != UNIT.EV:
            raise SystemExit(f"{s}: unit {unit} is not eV")
        out.append({
            "species": str(s).replace(str(LMK), "lmk:"), "label": str(label) if label else None,
            "smiles": str(smiles), "kind": "LUMO" if kind == LMA.LUMOEnergy else "HOMO",
            "review_ev": float(value),
            "references": sorted(r.replace(str(LMK), "lmk:") for r in str(refs or "").split()),
        })
    return out


def smiles_of(graph: rdflib.Graph, local: str) -> str:
    value = graph.value(LMK[local], LMA.smiles)
    if value is None:
        raise SystemExit(f"lmk:{local} has no lma:smiles in the graph")
    return str(value)


def frontier(smiles: str, kind: str) -> tuple[float, str]:
    """GFN2 HOMO or LUMO of a species; for a salt, of its largest fragment (the anion or organic ion),
    named in the second value."""
    d = compute(smiles)
    if d.fragments:
        d = max(d.fragments, key=lambda f: len(f.smiles))
    value = d.lumo_ev if kind == "LUMO" else d.homo_ev
    if value is None:
        raise DescriptorError(f"{smiles}: no GFN2 {kind}")
    return value, d.smiles


def _ranks(values: list[float]) -> list[float]:
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def pearson(x: list[float], y: list[float]) -> float | None:
    n = len(x)
    if n < 2:
        return None
    mx, my = sum(x) / n, sum(y) / n
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    if sxx == 0 or syy == 0:
        return None
    return sum((a - mx) * (b - my) for a, b in zip(x, y, strict=True)) / math.sqrt(sxx * syy)


def fit(points: list[dict]) -> dict:
    """Least-squares review ≈ a·xtb + b over ``points`` (with 'xtb_ev' and 'review_ev')."""
    n = len(points)
    x = [p["xtb_ev"] for p in points]
    y = [p["review_ev"] for p in points]
    result: dict = {"n": n, "species": [p["species"] for p in points]}
    if n < MIN_FIT_POINTS:
        result.update(a=None, b=None, pearson_r=None, spearman_rho=None, rmse_ev=None,
                      reason=f"fewer than {MIN_FIT_POINTS} review values: no fit")
        return result
    mx, my = sum(x) / n, sum(y) / n
    sxx = sum((a - mx) ** 2 for a in x)
    a = sum((xi - mx) * (yi - my) for xi, yi in zip(x, y, strict=True)) / sxx
    b = my - a * mx
    residuals = [yi - (a * xi + b) for xi, yi in zip(x, y, strict=True)]
    result.update(
        a=round(a, 4), b=round(b, 4), pearson_r=_round(pearson(x, y)),
        spearman_rho=_round(pearson(_ranks(x), _ranks(y))),
        rmse_ev=round(math.sqrt(sum(r * r for r in residuals) / n), 4),
        residuals_ev={p["species"]: round(r, 4) for p, r in zip(points, residuals, strict=True)},
    )
    return result


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kg", type=Path, default=ROOT / "kg")
    parser.add_argument("--out", type=Path, default=ROOT / "src/lmakg/chemistry/descriptor-calibration.json")
    args = parser.parse_args(argv)

    graph = load_graph(args.kg)
    values = review_values(graph)
    for v in values:
        energy, computed_smiles = frontier(v["smiles"], v["kind"])
        v["xtb_ev"], v["xtb_smiles"] = round(energy, 4), computed_smiles

    report: dict = {
        "what": "Linear map review ≈ a·xtb + b between the review's DFT frontier-orbital energies (curated in "
                "kg/*.ttl as lma:LUMOEnergy / lma:HOMOEnergy) and GFN2-xTB orbital energies computed by "
                "lmakg.chemistry.descriptors; orderings the review relies on, checked in GFN2-xTB.",
        "method": method_label(),
        "rdkit_version": rdkit_version(),
        "conformer_method": compute("O=C1OCCO1").conformer_method,
        "date": dt.date.today().isoformat(),
        "tool": "tools/calibrate_descriptors.py",
        "review": "Yin et al., Molecular/Ionic Designs in the Electrolyte and Interphases for Lithium Metal Anode, "
                  "Batteries & Supercaps 2022",
        "points": values,
    }
    for kind in ("LUMO", "HOMO"):
        points = [v for v in values if v["kind"] == kind]
        entry = {"all_sources": fit(points)}
        by_source: dict[str, list[dict]] = {}
        for p in points:
            by_source.setdefault(" ".join(p["references"]) or "uncited", []).append(p)
        for source, group in sorted(by_source.items()):
            if len(by_source) > 1 and len(group) >= MIN_FIT_POINTS:
                entry[f"single_source {source}"] = fit(group)
        report[kind.lower()] = entry

    checks = []
    for kind, lower, higher, source in ORDERINGS:
        lo, lo_smiles = frontier(smiles_of(graph, lower), kind)
        hi, hi_smiles = frontier(smiles_of(graph, higher), kind)
        checks.append({
            "quantity": kind, "review_lower": f"lmk:{lower}", "review_higher": f"lmk:{higher}",
            "computed_smiles": [lo_smiles, hi_smiles], "xtb_ev": [round(lo, 4), round(hi, 4)],
            "reproduced": lo < hi, "source": source,
        })
    report["orderings"] = checks
    report["orderings_reproduced"] = f"{sum(c['reproduced'] for c in checks)} of {len(checks)}"
    sources = sorted({r for v in values for r in v["references"]})
    report["caveats"] = [
        f"The review's values come from {len(sources)} studies ({', '.join(sources)}), at DFT levels the review "
        "does not state; the all-sources fit mixes their scales, so the single-source fits are the fairer ones.",
        f"With n = {', '.join(str(report[k]['all_sources']['n']) for k in ('lumo', 'homo'))} (LUMO, HOMO) review "
        "values a correlation coefficient has no statistical weight: the map is a scale hint, not a predictor. "
        "Use GFN2 values to rank molecules against each other, labelled as computed.",
        "A salt's orderings use its largest fragment (the anion), computed isolated in the gas phase: an anion's "
        "orbital energies are not screened by any solvent, so anion-versus-neutral comparisons are the weakest.",
    ]

    args.out.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")

    print(f"{report['method']}; RDKit {report['rdkit_version']}; {report['conformer_method']}")
    for v in values:
        print(f"  {v['kind']} {v['species']:10s} review {v['review_ev']:+.2f} eV  GFN2 {v['xtb_ev']:+.3f} eV  "
              f"{' '.join(v['references'])}")
    for kind in ("lumo", "homo"):
        for name, f in report[kind].items():
            if f["a"] is None:
                print(f"{kind.upper()} {name}: n={f['n']}: {f['reason']}")
                continue
            print(f"{kind.upper()} {name}: n={f['n']} r={f['pearson_r']} rho={f['spearman_rho']} "
                  f"review = {f['a']}*xtb {f['b']:+} eV, RMSE {f['rmse_ev']} eV, residuals {f['residuals_ev']}")
    for c in checks:
        mark = "yes" if c["reproduced"] else "NO "
        print(f"  ordering {mark} {c['quantity']} {c['review_lower']} < {c['review_higher']}: "
              f"GFN2 {c['xtb_ev'][0]:+.3f} vs {c['xtb_ev'][1]:+.3f} eV")
    print(f"orderings reproduced: {report['orderings_reproduced']}; written {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
