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
import os
import signal
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
    """``lmakg predict --file`` in a fresh process (its own session, killed with its Dask workers at ``timeout``):
    wall time, rows written, and the peak resident memory of that process and the processes it waited for
    (``ru_maxrss`` from ``wait4``, so earlier, larger children of this process do not count)."""
    command = [sys.executable, "-m", "lmakg", "predict", "--file", str(source), "--out", str(out), *extra]
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    began = time.perf_counter()
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors, start_new_session=True)
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - began > timeout:
                os.killpg(proc.pid, signal.SIGKILL)
                os.wait4(proc.pid, 0)
                proc.returncode = -signal.SIGKILL
                return {"timeout": True, "seconds": timeout, "load_before": load}
            time.sleep(0.05)
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - began
        if proc.returncode != 0:
            errors.seek(0)
            raise SystemExit(f"screening failed: {errors.read().decode(errors='replace')[-800:]}")
    rows = sum(1 for _ in out.open()) - 1
    return {"timeout": False, "seconds": seconds, "rows": rows, "peak_rss_mb": usage.ru_maxrss / 1024,  # KiB
            "load_before": load, "load_after": " ".join(f"{x:.2f}" for x in os.getloadavg())}


def growth(n1: float, t1: float, n2: float, t2: float) -> float:
    """The growth exponent between two sizes: log(t2/t1) / log(n2/n1) (1.0 = linear)."""
    return math.log(t2 / t1) / math.log(n2 / n1)


def measure(sizes: list[int], workers_at: int, timeout: float, folder: Path) -> dict[str, object]:
    """Screen the first N synthetic candidates for each size (smallest first), the bare RDKit pass over the same rows,
    and ``--workers 2`` at ``workers_at`` rows (0: skip) compared with the serial run."""
    sys.path.insert(0, str(HERE))
    from screening_set import write

    results: dict[str, object] = {"sizes": {}}
    for n in sorted(sizes):  # smallest first: each run's peak RSS is then its own (ru_maxrss is a maximum)
        source = folder / f"c{n}.csv"
        made = write(source, n)
        entry = run_screen(source, folder / f"r{n}.csv", timeout, [])
        entry["candidates"] = made
        entry["bare_rdkit"] = bare_rdkit(source)
        if not entry["timeout"]:
            entry["per_second"] = made / entry["seconds"]
            entry["fraction_of_rdkit"] = entry["per_second"] / entry["bare_rdkit"]["per_second"]
        results["sizes"][str(n)] = entry
        print(n, entry, flush=True)
    if workers_at:
        n = workers_at
        source = folder / f"c{n}.csv"
        made = write(source, n)
        serial_out = folder / f"r{n}.csv"
        if str(n) not in results["sizes"]:
            results["sizes"][str(n)] = run_screen(source, serial_out, timeout, [])
        dask_out = folder / f"r{n}-dask.csv"
        entry = run_screen(source, dask_out, timeout, ["--workers", "2"])
        entry["candidates"] = made
        if not entry["timeout"]:
            entry["per_second"] = made / entry["seconds"]
            entry["identical_to_serial"] = serial_out.exists() and dask_out.read_bytes() == serial_out.read_bytes()
        results["workers2"] = entry
        results["workers_at"] = n
        print("workers 2", entry, flush=True)
    return results


def render(results: dict, timeout: float) -> str:
    """The Markdown table of :func:`measure`'s results (rates from the candidates actually screened)."""
    lines = ["| rows | wall (s) | molecules/s | peak RSS (MB) | growth exponent vs previous size | bare RDKit pass "
             "(molecules/s) | screen / bare RDKit |", "|---|---|---|---|---|---|---|"]
    previous = None
    for n, e in sorted(results["sizes"].items(), key=lambda kv: int(kv[0])):
        if e.get("timeout"):
            lines.append(f"| {int(n):,} | timeout (> {timeout:.0f} s) | - | - | - | - | - |")
            previous = None
            continue
        rows = e.get("candidates", int(n))
        exponent = f"{growth(previous[0], previous[1], rows, e['seconds']):.2f}" if previous else "-"
        rss = f"{e['peak_rss_mb']:.0f}" if e.get("peak_rss_mb") else "-"
        bare = e.get("bare_rdkit", {})
        fraction = f"{e['fraction_of_rdkit']:.1%}" if "fraction_of_rdkit" in e else "-"
        lines.append(f"| {rows:,} | {e['seconds']:.1f} | {rows / e['seconds']:.0f} | {rss} | {exponent} | "
                     f"{bare.get('per_second', 0):,.0f} | {fraction} |")
        previous = (rows, e["seconds"])
    if "workers2" in results:
        at = results["workers_at"]
        w, serial = results["workers2"], results["sizes"][str(at)]
        if w.get("timeout") or serial.get("timeout"):
            lines.append(f"\n`--workers 2` at {at:,} rows: timeout (> {timeout:.0f} s)")
        else:
            lines.append(f"\n`--workers 2` at {at:,} rows: {w['seconds']:.1f} s ({w['per_second']:.0f} "
                         f"molecules/s) vs serial {serial['seconds']:.1f} s: {serial['seconds'] / w['seconds']:.2f}x; "
                         f"output identical to the serial run: {w['identical_to_serial']}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--workers-at", type=int, default=10_000, help="size of the --workers 2 comparison (0: skip)")
    parser.add_argument("--timeout", type=float, default=1800.0)
    args = parser.parse_args()
    started = " ".join(f"{x:.2f}" for x in os.getloadavg())
    with tempfile.TemporaryDirectory() as tmp:
        results = measure([int(s) for s in args.sizes.split(",") if s], args.workers_at, args.timeout, Path(tmp))
    ended = " ".join(f"{x:.2f}" for x in os.getloadavg())
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "screen.json").write_text(json.dumps(results, indent=2) + "\n")
    table = render(results, args.timeout)
    command = " ".join(["python benchmarks/bench_screen.py", *sys.argv[1:]])
    (RESULTS / "screen.md").write_text(f"# Screening benchmark\n\nCommand: `{command}`; {os.cpu_count()} CPUs; load "
                                       f"average (1/5/15 min) at start {started}, at end {ended}.\n\n{table}\n")
    print(table)


if __name__ == "__main__":
    main()
