"""Screening benchmark: `lmakg predict --file` at 1k / 10k / 100k rows, a bare RDKit pass, --workers 2.

Usage::

    python benchmarks/bench_screen.py                          # 1,000 / 10,000 / 100,000 rows
    python benchmarks/bench_screen.py --sizes 1000,10000 --workers-at 10000

What is measured, in one run on one machine (wall-clock seconds, whole command in a fresh process):

* ``lmakg predict --file candidates.csv --out results.csv`` on the first N synthetic candidates of
  benchmarks/screening_set.py (salts first, then ethers, carbonates, esters...): molecules per second and the
  peak resident memory of the command (``ru_maxrss`` of the child), and the growth exponent between sizes
  (log(t2/t1)/log(n2/n1); 1.0 = linear);
* a bare RDKit pass over the same rows in this process: parse each SMILES, match all SMARTS of
  ontology/features.ttl, Hill formula and net charge — the floor any screen pays; the screen's rate is
  reported as a fraction of it;
* ``--workers 2`` (a local Dask cluster of two processes) against the serial run at one size, and that the two
  outputs are identical.

Anything past ``--timeout`` seconds (default 30 minutes) is reported as a timeout. Results go to
benchmarks/results/screen.md and .json.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def bare_rdkit(path: Path) -> dict[str, float]:
    import csv

    import pyoxigraph as ox
    from rdkit import Chem, RDLogger
    from rdkit.Chem.rdMolDescriptors import CalcMolFormula

    RDLogger.DisableLog("rdApp.*")
    features = Path(__file__).resolve().parents[1] / "ontology" / "features.ttl"
    graph = ox.Store()
    graph.load(path=str(features), format=ox.RdfFormat.TURTLE)
    smarts = [row["s"].value for row in graph.query(
        "SELECT ?s WHERE { ?g <https://w3id.org/lmakg/ontology#smarts> ?s }")]
    patterns = [p for p in (Chem.MolFromSmarts(s) for s in smarts) if p is not None]
    with path.open(newline="") as handle:
        rows = [r["smiles"] for r in csv.DictReader(handle)]
    began = time.perf_counter()
    for smiles in rows:
        mol = Chem.MolFromSmiles(smiles)
        if mol is None:
            continue
        _ = [mol.HasSubstructMatch(p) for p in patterns]
        CalcMolFormula(mol)
        Chem.GetFormalCharge(mol)
    seconds = time.perf_counter() - began
    return {"rows": len(rows), "patterns": len(patterns), "seconds": seconds, "per_second": len(rows) / seconds}


def run_screen(source: Path, out: Path, timeout: float, extra: list[str]) -> dict[str, object]:
    command = [sys.executable, "-m", "lmakg", "predict", "--file", str(source), "--out", str(out), *extra]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    began = time.perf_counter()
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"timeout": True, "seconds": timeout}
    seconds = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB; the largest child so far
    if proc.returncode != 0:
        raise SystemExit(f"screening failed: {proc.stderr[-800:]}")
    rows = sum(1 for _ in out.open()) - 1
    return {"timeout": False, "seconds": seconds, "rows": rows, "peak_rss_mb": peak / 1024 if peak > before else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--workers-at", type=int, default=10_000, help="size of the --workers 2 comparison (0: skip)")
    parser.add_argument("--timeout", type=float, default=1800.0)
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from screening_set import write

    sizes = [int(s) for s in args.sizes.split(",") if s]
    results: dict[str, object] = {"sizes": {}}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for n in sorted(sizes):  # smallest first: each run's peak RSS is then its own (ru_maxrss is a maximum)
            source = folder / f"c{n}.csv"
            made = write(source, n)
            entry = run_screen(source, folder / f"r{n}.csv", args.timeout, [])
            entry["candidates"] = made
            entry["bare_rdkit"] = bare_rdkit(source)
            if not entry["timeout"]:
                entry["per_second"] = made / entry["seconds"]
                entry["fraction_of_rdkit"] = entry["per_second"] / entry["bare_rdkit"]["per_second"]
            results["sizes"][str(n)] = entry
            print(n, entry, flush=True)
        if args.workers_at:
            n = args.workers_at
            source = folder / f"c{n}.csv"
            made = write(source, n)
            serial_out = folder / f"r{n}.csv"
            if str(n) not in results["sizes"]:
                results["sizes"][str(n)] = run_screen(source, serial_out, args.timeout, [])
            dask_out = folder / f"r{n}-dask.csv"
            entry = run_screen(source, dask_out, args.timeout, ["--workers", "2"])
            entry["candidates"] = made
            if not entry["timeout"]:
                entry["per_second"] = made / entry["seconds"]
                entry["identical_to_serial"] = dask_out.read_bytes() == serial_out.read_bytes()
            results["workers2"] = entry
            print("workers 2", entry, flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "screen.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = ["| rows | wall (s) | molecules/s | peak RSS (MB) | growth exponent vs previous size | bare RDKit pass "
             "(molecules/s) | screen / bare RDKit |", "|---|---|---|---|---|---|---|"]
    previous = None
    for n, e in sorted(results["sizes"].items(), key=lambda kv: int(kv[0])):
        if e.get("timeout"):
            lines.append(f"| {int(n):,} | timeout (> {args.timeout:.0f} s) | - | - | - | - | - |")
            previous = None
            continue
        growth = (f"{math.log(e['seconds'] / previous[1]) / math.log(int(n) / previous[0]):.2f}"
                  if previous else "-")
        rss = f"{e['peak_rss_mb']:.0f}" if e.get("peak_rss_mb") else "-"
        bare = e.get("bare_rdkit", {})
        lines.append(f"| {int(n):,} | {e['seconds']:.1f} | {int(n) / e['seconds']:.0f} | {rss} | {growth} | "
                     f"{bare.get('per_second', 0):,.0f} | {e.get('fraction_of_rdkit', 0):.1%} |")
        previous = (int(n), e["seconds"])
    if "workers2" in results:
        w = results["workers2"]
        serial = results["sizes"][str(args.workers_at)]
        if w.get("timeout"):
            lines.append(f"\n`--workers 2` at {args.workers_at:,} rows: timeout")
        else:
            lines.append(f"\n`--workers 2` at {args.workers_at:,} rows: {w['seconds']:.1f} s ({w['per_second']:.0f} "
                         f"molecules/s) vs serial {serial['seconds']:.1f} s: {serial['seconds'] / w['seconds']:.2f}x; "
                         f"output identical to the serial run: {w['identical_to_serial']}")
    table = "\n".join(lines)
    (RESULTS / "screen.md").write_text("# Screening benchmark\n\nCommand: `python benchmarks/bench_screen.py`\n\n"
                                       f"{table}\n")
    print(table)


if __name__ == "__main__":
    main()
