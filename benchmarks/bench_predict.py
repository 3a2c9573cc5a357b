"""Prediction benchmarks: one molecule warm and cold, and a screening run over thousands of SMILES.

Usage::

    python benchmarks/bench_predict.py                  # single-molecule timings + 10,000-SMILES screen
    python benchmarks/bench_predict.py --screen 1000    # a quicker screen
    python benchmarks/bench_predict.py --screen 0       # single-molecule timings only

What is measured (wall-clock seconds, 2-core machine; medians over repeats):

* warm: ``Predictor.predict`` in a process that already holds the reasoned graph (what `lmakg serve`, a
  notebook or a batch run do) - the candidate is added to a scratch pad, reasoned over incrementally,
  read back with its explanation tree and undone;
* CLI: the whole ``lmakg predict --smiles ...`` command in a fresh process (imports, loading and
  reasoning over the packaged graph, or copying a built store with ``--store``), after one run that
  warms the rule cache and the OS file cache;
* screen: ``lmakg predict --file candidates.csv --out results.csv`` on the synthetic set of
  benchmarks/screening_set.py, reported as molecules per second (including start-up).

Results are printed and written to benchmarks/results/predict.md and .json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
MOLECULES = [  # salts and molecules the review never lists, as in tests/test_predict.py
    ("RbPF6 0.05 M", ["--smiles", "[Rb+].F[P-](F)(F)(F)(F)F", "--concentration", "0.05M"]),
    ("InF3 coating", ["--smiles", "F[In](F)F", "--role", "coating"]),
    ("TFEP additive", ["--smiles", "FC(F)(F)COP(=O)(OCC(F)(F)F)OCC(F)(F)F", "--electrolyte", "1 M LiPF6 in EC/DEC"]),
]


def _lmakg() -> list[str]:
    return [sys.executable, "-m", "lmakg"]


def warm(repeats: int) -> dict[str, float]:
    from lmakg.chemistry.candidates import Candidate
    from lmakg.chemistry.predict import Predictor

    start = time.perf_counter()
    predictor = Predictor()
    setup = time.perf_counter() - start
    cases = [Candidate("[Rb+].F[P-](F)(F)(F)(F)F", concentration=0.05), Candidate("F[In](F)F", role="coating"),
             Candidate("FC(F)(F)COP(=O)(OCC(F)(F)F)OCC(F)(F)F", electrolyte="1 M LiPF6 in EC/DEC")]
    times = []
    for _ in range(repeats):
        for case in cases:
            began = time.perf_counter()
            predictor.predict(case)
            times.append(time.perf_counter() - began)
    return {"setup": setup, "median": statistics.median(times), "max": max(times), "n": len(times)}


def cli(repeats: int, store: str | None) -> dict[str, float]:
    extra = ["--store", store] if store else []
    subprocess.run([*_lmakg(), "predict", *MOLECULES[0][1], *extra], check=True, capture_output=True)  # warm caches
    times = []
    for _ in range(repeats):
        for _label, args in MOLECULES:
            began = time.perf_counter()
            subprocess.run([*_lmakg(), "predict", *args, *extra], check=True, capture_output=True)
            times.append(time.perf_counter() - began)
    return {"median": statistics.median(times), "max": max(times), "n": len(times)}


def screen(count: int, folder: Path) -> dict[str, float]:
    sys.path.insert(0, str(HERE))
    from screening_set import write

    source = folder / "candidates.csv"
    made = write(source, count)
    began = time.perf_counter()
    proc = subprocess.run([*_lmakg(), "predict", "--file", str(source), "--out", str(folder / "results.csv")],
                          capture_output=True, text=True)
    wall = time.perf_counter() - began
    if proc.returncode != 0:
        raise SystemExit(f"screening failed: {proc.stderr[-800:]}")
    import csv

    with (folder / "results.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    errors = [r["error"] for r in rows if r["status"] == "error"]
    return {"candidates": made, "rows": len(rows), "errors": len(errors), "error_messages": errors[:10],
            "seconds": wall, "per_second": made / wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--screen", type=int, default=10_000, help="candidates in the screening run (0: skip)")
    parser.add_argument("--screen-only", action="store_true", help="skip the single-molecule timings")
    args = parser.parse_args()
    previous = RESULTS / "predict.json"
    results: dict[str, object] = {}
    if args.screen_only:  # keep the single-molecule timings of the last full run
        if not previous.exists():
            raise SystemExit(f"--screen-only needs an earlier full run ({previous} is missing)")
        results = {k: v for k, v in json.loads(previous.read_text()).items() if k != "screen"}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if not args.screen_only:
            results["warm"] = warm(args.repeats)
            print("warm", results["warm"], flush=True)
            results["cli"] = cli(args.repeats, None)
            print("cli", results["cli"], flush=True)
            subprocess.run([*_lmakg(), "build", "--store", str(folder / "store"), "--no-artifacts"], check=True,
                           capture_output=True)
            results["cli_store"] = cli(args.repeats, str(folder / "store"))
            print("cli --store", results["cli_store"], flush=True)
        if args.screen:
            results["screen"] = screen(args.screen, folder)
            print("screen", results["screen"], flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "predict.json").write_text(json.dumps(results, indent=2) + "\n")
    w, c, cs = results["warm"], results["cli"], results["cli_store"]
    lines = ["| measurement | result |", "|---|---|",
             f"| `Predictor.predict`, one molecule, warm (median of {w['n']}) | {w['median']:.2f} s "
             f"(max {w['max']:.2f} s; predictor set-up {w['setup']:.2f} s) |",
             f"| `lmakg predict --smiles` whole command (median of {c['n']}) | {c['median']:.2f} s |",
             f"| `lmakg predict --smiles --store DIR` whole command (median of {cs['n']}) | {cs['median']:.2f} s |"]
    if "screen" in results:
        s = results["screen"]
        lines.append(f"| `lmakg predict --file` screen of {s['candidates']:,} SMILES | {s['seconds']:.0f} s, "
                     f"{s['per_second']:.1f} molecules/s ({s['errors']} rows rejected) |")
    table = "\n".join(lines)
    (RESULTS / "predict.md").write_text("# Prediction benchmark\n\nCommand: `python benchmarks/bench_predict.py`"
                                        f"\n\n{table}\n")
    print(table)


if __name__ == "__main__":
    main()
