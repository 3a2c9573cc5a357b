"""Every scale benchmark of issue 12 in one run on one machine: reasoning, named queries, screening.

Usage::

    python benchmarks/run_all.py                      # full run (hours on 2 cores: see --timeout)
    python benchmarks/run_all.py --quick              # smoke run: one small size of each, in about a minute
    eval "$(.ci/services.sh env)" && python benchmarks/run_all.py   # also on the servers of .ci/services.sh
    python benchmarks/run_all.py --readme             # and put the table into README.md (between its markers)

In the same run, each measurement in a fresh process (so each has its own cold start and peak memory):

1. **Load + fixpoint** on the synthetic scale-ups of ``bench_reason.py`` at ~10k / 100k / 1M triples: lmakg in
   memory, lmakg on each SPARQL server present (the rules run there as SPARQL Update; the server's lmakg graphs are
   dropped first), and owlrl's OWL 2 RL closure; time ratios to lmakg in memory.
2. **Named queries** (``queries/*.rq``): the reasoned review graph in memory, and the same dataset loaded into each
   server; per query the median latency of ``--repeats`` runs after one warm-up, the ratio to in memory, and
   whether the server's answers equal the embedded ones (``bench_queries.py``). Run before the fixpoint, on servers
   the fixpoint has not filled yet (a store that has just dropped a million triples answers more slowly).
3. **Screening** (``bench_screen.py``): ``lmakg predict --file`` at 1k / 10k / 100k rows, growth exponents, the
   ratio to a bare RDKit pass over the same rows, and ``--workers 2`` against the serial run.

Servers come from the environment ``.ci/services.sh env`` prints: ``LMAKG_TEST_OXIGRAPH_SELECTOR`` and
``LMAKG_TEST_VIRTUOSO_SELECTOR`` (with ``LMAKG_TEST_VIRTUOSO_USER``/``_PASSWORD``), or ``--server NAME=SELECTOR``
(credentials then from ``LMAKG_SPARQL_USER``/``LMAKG_SPARQL_PASSWORD``). ``--servers none`` skips them.

Each step is stopped at ``--timeout`` seconds (default 30 minutes) and reported as "timeout"; the larger sizes of
a tool that timed out are reported as timeouts too, not run (those of a tool that failed: "not run", with the
error on the smaller size's row). Writes ``benchmarks/results/<date>.json`` and
``<date>.md`` (``--out`` for another folder; ``--quick`` names them ``<date>-quick``) and records the machine's
load average before and after each step.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
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
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import bench_reason  # noqa: E402  (the benchmarks folder is not a package)
import bench_screen  # noqa: E402

MARKERS = ("<!-- benchmarks/run_all.py: begin -->", "<!-- benchmarks/run_all.py: end -->")
FULL = {"fixpoint": "10000,100000,1000000", "screen": "1000,10000,100000", "workers_at": 10_000}
QUICK = {"fixpoint": "10000", "screen": "100,300", "workers_at": 300}


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def revision() -> str:
    """The checkout's commit, marked when the working tree has uncommitted changes."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + (" + uncommitted changes" if git("status", "--porcelain", "--untracked-files=no") else "")


def servers_from_env(given: list[str], which: str) -> dict[str, dict[str, str]]:
    """name -> {"selector", and the LMAKG_SPARQL_* credentials its requests need}."""
    if which == "none":
        return {}
    found: dict[str, dict[str, str]] = {}
    for name in ("oxigraph", "virtuoso"):
        selector = os.environ.get(f"LMAKG_TEST_{name.upper()}_SELECTOR")
        if not selector:
            continue
        # Virtuoso's default graph is the union of its graphs: read it (README: `&union=1`), not several FROMs
        found[f"{name} server"] = {"selector": selector + ("&union=1" if name == "virtuoso" else ""),
                                   "loader": f"services:{name}"}
        user = os.environ.get(f"LMAKG_TEST_{name.upper()}_USER")
        if user:
            found[f"{name} server"].update(LMAKG_SPARQL_USER=user, LMAKG_SPARQL_PASSWORD=os.environ.get(
                f"LMAKG_TEST_{name.upper()}_PASSWORD", ""))
    for item in given:
        name, _, selector = item.partition("=")
        if not selector.startswith("sparql:"):
            raise SystemExit(f"--server {item}: give NAME=sparql:QUERY_URL#update=UPDATE_URL")
        found[name] = {"selector": selector, "loader": "lmakg"}
    return found if which == "auto" else {k: v for k, v in found.items() if k.split()[0] in which.split(",")}


@contextlib.contextmanager
def environment(server: dict[str, str]):
    """Set (and afterwards restore) a server's credentials (LMAKG_SPARQL_*) for the child processes."""
    values = {k: v for k, v in server.items() if k.startswith("LMAKG_")}
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def timed_child(code: str, timeout: float, exclude: str = "") -> dict:
    """bench_reason's fresh-process runner, with the load average around it and a timeout named "timeout"."""
    before = load()
    result = bench_reason._child(code, timeout, exclude)
    if result["status"].startswith(">"):
        result["status"] = f"timeout (> {timeout:.0f} s)"
    elif result["status"] == "error":  # the last line of the traceback, e.g. a server's error message
        last = (result.get("stderr") or "").strip().splitlines()[-1:] or ["no message"]
        result["status"] = "error: " + last[0].split(": ", 1)[-1][:160].replace("|", "/")
    result.update({"load_before": before, "load_after": load()})
    return result


# ---------------------------------------------------------------------------------------------------------------
# 1. load + fixpoint


def fixpoint(sizes: list[int], servers: dict[str, dict[str, str]], tools: list[str], timeout: float,
             exclude: str) -> list[dict]:
    copies = bench_reason.copies_for(sizes)
    runs: list[tuple[str, str | None, dict[str, str]]] = []  # (tool label, selector, server)
    for tool in tools:
        if tool == "lmakg":
            runs.append(("lmakg", None, {}))
            runs += [(f"lmakg on {name}", s["selector"], s) for name, s in servers.items()]
        else:
            runs.append((tool, None, {}))
    out, stopped = [], {}  # tool -> why its larger sizes are not run (it timed out or failed at a smaller one)
    for size in sizes:
        for label, selector, server in runs:
            if label in stopped:
                out.append({"tool": label, "target": size, "copies": copies[size], "status": stopped[label]})
                continue
            print(f"fixpoint: {label} at ~{size:,} triples ({copies[size]} copies)", file=sys.stderr, flush=True)
            code = (bench_reason.lmakg_code(copies[size], selector) if label.startswith("lmakg")
                    else bench_reason.BUILDERS[label](copies[size]))
            with environment(server):
                result = timed_child(code, timeout, exclude)
            result.update({"tool": label, "target": size, "copies": copies[size]})
            if result["status"].startswith("timeout"):
                stopped[label] = f"timeout (not run: > {timeout:.0f} s at ~{size:,})"
            elif result["status"] != "ok":
                stopped[label] = f"not run: failed at ~{size:,}"
            out.append(result)
            print(f"  {result['status']} {result.get('reason', '')}", file=sys.stderr, flush=True)
    return out


# ---------------------------------------------------------------------------------------------------------------
# 2. named queries

def named_queries(servers: dict[str, dict[str, str]], repeats: int, timeout: float) -> dict[str, dict]:
    """bench_queries.py in a fresh process per store: in memory, then each server."""
    stores = {"in memory": {"selector": None, "loader": "lmakg"}, **servers}
    out = {}
    for name, server in stores.items():
        print(f"named queries: {name}", file=sys.stderr, flush=True)
        argv = ["--repeats", str(repeats)]
        if server["selector"]:
            argv += ["--selector", server["selector"], "--loader", server["loader"]]
        code = f"import sys; sys.path.insert(0, {str(HERE)!r}); import bench_queries; bench_queries.main({argv!r})"
        with environment(server):
            out[name] = timed_child(code, timeout)
    return out


# ---------------------------------------------------------------------------------------------------------------
# report


def fixpoint_table(runs: list[dict]) -> list[str]:
    lines = bench_reason.scale_table(runs)
    embedded = sorted((r for r in runs if r["tool"] == "lmakg" and r["status"] == "ok"), key=lambda r: r["triples"])
    for small, big in itertools.pairwise(embedded):
        exponent = bench_screen.growth(small["triples"], small["reason"], big["triples"], big["reason"])
        lines.append(f"\nlmakg in memory, growth exponent {small['triples']:,} -> {big['triples']:,} triples: "
                     f"{exponent:.2f}")
    return lines


def queries_table(results: dict[str, dict]) -> list[str]:
    names = list(results)
    base = results["in memory"].get("queries", {})
    lines = ["| named query | rows | " + " | ".join(f"{n} (ms)" for n in names) + " |",
             "|---|---|" + "---|" * len(names)]
    ratios: dict[str, list[float]] = {n: [] for n in names[1:]}
    every = sorted({q for r in results.values() for q in r.get("queries", {})}) or ["(all)"]
    for query in every:
        cells = []
        for n in names:
            run = results[n]
            entry = run.get("queries", {}).get(query)
            if run["status"] != "ok":
                cells.append(run["status"])
            elif entry is None or entry["status"] != "ok":
                cells.append(f"error: {entry['error'][:60]}" if entry else "-")
            else:
                cell = f"{entry['ms']:.1f}"
                if n != "in memory" and base.get(query, {}).get("status") == "ok":
                    ratio = entry["ms"] / max(base[query]["ms"], 1e-3)
                    ratios[n].append(ratio)
                    cell += f" ({ratio:.1f}x{'' if entry['same_answers'] else ', answers differ'})"
                cells.append(cell)
        rows = base.get(query, {}).get("rows", "")
        lines.append(f"| {query} | {rows} | " + " | ".join(cells) + " |")
    for n, values in ratios.items():
        if values:
            same = sum(1 for e in results[n]["queries"].values() if e.get("same_answers"))
            loaded = results[n].get("loaded") or {}
            lines.append(f"\n{n}: median latency ratio to in memory {statistics.median(values):.1f}x over "
                         f"{len(values)} queries; answers equal to in memory for {same} of {len(every)}; "
                         f"dataset ({loaded.get('quads', 0):,} quads) loaded in {loaded.get('seconds', 0):.1f} s")
    return lines


def render(report: dict) -> str:
    meta = report["meta"]
    lines = [f"# Benchmarks, {meta['date']} (`{meta['command']}`)", "",
             f"{meta['machine']}; lmakg {meta['commit']}; load average (1/5/15 min) at start {meta['load_start']}, "
             f"at end {meta['load_end']}; per-step timeout {meta['timeout']:.0f} s; servers: "
             f"{', '.join(meta['servers']) or 'none'}. Each step in a fresh process.", ""]
    if "fixpoint" in report:
        lines += ["## Load + fixpoint (synthetic scale-ups; rules to a fixpoint with provenance; owlrl: OWL 2 RL "
                  f"closure; rule files excluded: {meta['exclude'] or 'none'})", "",
                  *fixpoint_table(report["fixpoint"]), ""]
    if "queries" in report:
        lines += ["## Named queries on the reasoned review graph (median of "
                  f"{meta['repeats']} after a warm-up; ratio to in memory)", "", *queries_table(report["queries"]), ""]
    if "screening" in report:
        lines += ["## Screening (`lmakg predict --file`, whole command in a fresh process)", "",
                  bench_screen.render(report["screening"], meta["timeout"]), ""]
    return "\n".join(lines)


def update_readme(table: str, readme: Path = ROOT / "README.md") -> None:
    text = readme.read_text(encoding="utf-8")
    begin, end = (text.find(m) for m in MARKERS)
    if begin < 0 or end < begin:
        raise SystemExit(f"{readme}: no {MARKERS[0]} ... {MARKERS[1]} block to replace")
    body = table.replace("\n# ", "\n#### ").replace("\n## ", "\n#### ")
    body = "#### " + body.removeprefix("# ") if body.startswith("# ") else body
    readme.write_text(text[:begin + len(MARKERS[0])] + "\n" + body.strip() + "\n" + text[end:], encoding="utf-8")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--steps", default="fixpoint,queries,screening")
    parser.add_argument("--fixpoint-sizes", help=f"approximate triples (default {FULL['fixpoint']})")
    parser.add_argument("--tools", default="lmakg,owlrl", help="fixpoint tools (lmakg also runs on each server)")
    parser.add_argument("--exclude", default="combinations.ttl", help="rule files left out of the scale-ups")
    parser.add_argument("--screen-sizes", help=f"rows (default {FULL['screen']})")
    parser.add_argument("--workers-at", type=int, help="rows of the --workers 2 comparison (0: skip)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per named query")
    parser.add_argument("--servers", default="auto", help="auto (from the environment), none, or names: virtuoso")
    parser.add_argument("--server", action="append", default=[], metavar="NAME=SELECTOR")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per step (default 30 minutes)")
    parser.add_argument("--out", type=Path, default=HERE / "results", help="folder for <date>.json and .md")
    parser.add_argument("--readme", action="store_true", help="replace the README's benchmark block with the table")
    args = parser.parse_args(argv)
    preset = QUICK if args.quick else FULL
    sizes = [int(s) for s in (args.fixpoint_sizes or preset["fixpoint"]).split(",") if s]
    screen = [int(s) for s in (args.screen_sizes or preset["screen"]).split(",") if s]
    workers_at = preset["workers_at"] if args.workers_at is None else args.workers_at
    steps = set(args.steps.split(","))
    servers = servers_from_env(args.server, args.servers)
    command = " ".join(["python benchmarks/run_all.py", *(argv if argv is not None else sys.argv[1:])])
    report: dict = {"meta": {
        "date": datetime.date.today().isoformat(), "command": command,
        "machine": f"{os.cpu_count()} CPUs, {platform.python_implementation()} {platform.python_version()}",
        "commit": revision(), "load_start": load(), "timeout": args.timeout,
        "servers": list(servers), "exclude": args.exclude, "repeats": args.repeats}}
    began = time.perf_counter()
    if "queries" in steps:  # first: on servers not yet loaded (a store that dropped 1M triples answers slower)
        report["queries"] = named_queries(servers, args.repeats, args.timeout)
    if "fixpoint" in steps:
        report["fixpoint"] = fixpoint(sizes, servers, args.tools.split(","), args.timeout, args.exclude)
    if "screening" in steps:
        with tempfile.TemporaryDirectory() as tmp:
            report["screening"] = bench_screen.measure(screen, workers_at, args.timeout, Path(tmp))
    report["meta"].update(load_end=load(), seconds=time.perf_counter() - began)
    name = report["meta"]["date"] + ("-quick" if args.quick else "")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    table = render(report)
    (args.out / f"{name}.md").write_text(table + "\n", encoding="utf-8")
    if args.readme:
        update_readme(table)
    print(table)
    print(f"wrote {args.out / name}.json and .md", file=sys.stderr)
    return report


if __name__ == "__main__":
    main()
