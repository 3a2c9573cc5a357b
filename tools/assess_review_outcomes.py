"""How often `lmakg assess` orders two electrolytes as the review reports (tests/golden/review-orderings.toml).

Usage: python tools/assess_review_outcomes.py [--json]
Prints each pair with both scores and agree / disagree / tie (a tie means the criteria do not tell them apart).
"""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path

from lmakg.formulations.assess import AssessError, Assessor

PAIRS = tomllib.loads((Path(__file__).parents[1] / "tests" / "golden" / "review-orderings.toml")
                      .read_text(encoding="utf-8"))["pair"]


def compare(assessor: Assessor) -> list[dict]:
    out = []
    for pair in PAIRS:
        row = {"better": pair["better"], "worse": pair["worse"], "section": pair["section"]}
        try:
            a, b = assessor.assess(pair["better"]), assessor.assess(pair["worse"])
        except AssessError as exc:
            out.append({**row, "verdict": "not assessed", "error": str(exc)})
            continue
        row.update(better_score=a["score"], worse_score=b["score"], better_regime=a["regime"]["id"],
                   worse_regime=b["regime"]["id"])
        row["verdict"] = "agree" if a["score"] > b["score"] else ("tie" if a["score"] == b["score"] else "disagree")
        out.append(row)
    return out


if __name__ == "__main__":
    rows = compare(Assessor(None))
    if "--json" in sys.argv:
        print(json.dumps(rows, indent=2))
    else:
        for r in rows:
            print(f"{r['verdict']:>12}  §{r['section']:<4} {r['better']!r} ({r.get('better_score')}) > "
                  f"{r['worse']!r} ({r.get('worse_score')}) {r.get('error', '')}")
        counts = {v: sum(r["verdict"] == v for r in rows) for v in ("agree", "tie", "disagree", "not assessed")}
        print(", ".join(f"{k}: {n}" for k, n in counts.items()) + f" of {len(rows)} pairs")
