"""`lmakg assess` benchmark: formulations per second, and how the time grows with the number of formulations.

Usage::

    python benchmarks/bench_assess.py              # set-up, one formulation warm, batches of 50/100/200/400
    python benchmarks/bench_assess.py --sizes 50   # a quicker run

What is measured (wall-clock seconds on this machine; the machine facts are printed):

* set-up: ``Assessor(None)`` — loading and reasoning over the packaged graph, names and component data;
* warm: ``Assessor.assess`` on one formulation (median of 9) — parse, diluent requirements, amounts, regime,
  the rules on the formulation as a design of its own (incremental, undone afterwards), score;
* batch: ``assess_file`` over a CSV of N formulations made by crossing the review's salts, solvents, diluents,
  additives and concentrations (below), reported as formulations per second, with the ratio of each size's
  per-formulation time to the smallest size's in the same run (1.0 = linear growth);
* CLI: the whole ``lmakg assess --file F.csv --out R.json`` command for the largest size, fresh process.

Results are printed and written to benchmarks/results/assess.md and .json.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
SALTS = ["LiFSI", "LiTFSI", "LiPF6", "LiDFOB", "LiBF4"]
BLENDS = ["DME", "DOL/DME (1:1 v/v)", "EC/DMC (1:1 v/v)", "EC/DEC (1:1 v/v)", "DME/TTE (1:2 v/v)",
          "DME/BTFE (1:2 v/v)", "DMC/TTE (1:1 v/v)", "FEC/DMC (1:4 v/v)", "DEE", "DME/DMSO (1:2 v/v)"]
CONCENTRATIONS = ["0.5 M", "1 M", "1.2 M", "2 M", "4 M"]
ADDITIVES = ["", " + 2 wt% LiNO3", " + 5 wt% FEC", " + 0.2 M LiNO3"]


def formulations(n: int) -> list[str]:
    every = [f"{c} {s} in {b}{a}" for c, s, b, a in itertools.product(CONCENTRATIONS, SALTS, BLENDS, ADDITIVES)]
    return [every[i % len(every)] for i in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="50,100,200,400")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    from lmakg.formulations.assess import Assessor
    from lmakg.formulations.batch import assess_file

    started = time.perf_counter()
    assessor = Assessor(None)
    setup = time.perf_counter() - started
    one = []
    for _ in range(9):
        t = time.perf_counter()
        assessor.assess("1.2 M LiFSI in DME/TTE (1:2 v/v)")
        one.append(time.perf_counter() - t)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            table = Path(tmp) / f"f{n}.csv"
            with table.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(["formulation"])
                writer.writerows([f] for f in formulations(n))
            t = time.perf_counter()
            results = assess_file(table, "formulation", assessor)
            elapsed = time.perf_counter() - t
            rows.append({"n": n, "seconds": round(elapsed, 2), "perSecond": round(n / elapsed, 1),
                         "errors": sum(r["status"] == "error" for r in results)})
        base = rows[0]["seconds"] / rows[0]["n"]
        for row in rows:
            row["perFormulationVsSmallest"] = round(row["seconds"] / row["n"] / base, 2)
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "lmakg", "assess", "--file", str(Path(tmp) / f"f{sizes[-1]}.csv"),
                        "--out", str(Path(tmp) / "r.json")], check=True, capture_output=True)
        cli = time.perf_counter() - t
    report = {"machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
              "setupSeconds": round(setup, 2), "oneWarmMedianSeconds": round(statistics.median(one), 3),
              "batches": rows, "cli": {"n": sizes[-1], "seconds": round(cli, 2)}}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "assess.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    lines = ["# lmakg assess benchmark", "", f"machine: {report['machine']}", "",
             f"set-up (Assessor over the packaged graph): {report['setupSeconds']} s; one formulation warm "
             f"(median of 9): {report['oneWarmMedianSeconds']} s", "",
             "| formulations | seconds | formulations/s | per-formulation time vs smallest | errors |",
             "|---|---|---|---|---|"]
    lines += [f"| {r['n']} | {r['seconds']} | {r['perSecond']} | {r['perFormulationVsSmallest']} | {r['errors']} |"
              for r in rows]
    lines += ["", f"whole command `lmakg assess --file` ({sizes[-1]} formulations, fresh process): "
                  f"{report['cli']['seconds']} s"]
    (RESULTS / "assess.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
