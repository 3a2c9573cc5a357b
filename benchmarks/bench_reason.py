"""Reasoning benchmarks: the review graph, and synthetic scale-ups run by lmakg, owlrl and pySHACL.

Usage::

    python benchmarks/bench_reason.py                 # review-graph timings + scale-ups 10k, 100k, 1M
    python benchmarks/bench_reason.py --sizes 10000   # a quick run
    python benchmarks/bench_reason.py --budget 300    # seconds allowed per (tool, size) run

Each measurement runs in a fresh subprocess (cold imports, its own peak memory, killed at the budget).
Scale-ups copy the curated graph N times with every lmk: individual renamed per copy, so the same rules
fire N times over; the ontology and rules are shared. Tools on the same data in the same run:

* lmakg   - RDKit perception + the SHACL-AF rules to a fixpoint on pyoxigraph, with provenance;
* owlrl   - rdflib + owlrl OWL 2 RL closure (the entailment part of the job, not lmakg's rules);
* pyshacl - pySHACL applying the same rules/*.ttl, repeated to a fixpoint.

Results are printed as a Markdown table and written to benchmarks/results/reasoning.md and .json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def _child(code: str, budget: float, exclude: str) -> dict:
    """Run Python code in a subprocess; it prints one JSON line (its timings and peak RSS)."""
    import os

    start = time.perf_counter()
    env = {**os.environ, "LMAKG_BENCH_EXCLUDE": exclude}
    try:
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=budget,
                              env=env)
    except subprocess.TimeoutExpired:
        return {"status": f"> {budget:.0f} s (stopped)"}
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        return {"status": "error", "stderr": proc.stderr[-800:]}
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out.update({"status": "ok", "wall": wall})
    return out


SCALE_SETUP = textwrap.dedent("""
    import json, os, re, resource, sys, time
    from pathlib import Path
    def peak():  # this process's peak resident memory in MiB (Linux reports KiB)
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    from lmakg.knowledge import resources
    from lmakg.knowledge.resources import knowledge_files
    LMK = "https://w3id.org/lmakg/kg/"
    EXCLUDE = set(filter(None, os.environ.get("LMAKG_BENCH_EXCLUDE", "").split(",")))
    RULE_FILES = [p for p in resources.turtle_files("rules") if p.name not in EXCLUDE]
    def scaled_ntriples(copies):
        from rdflib import Graph
        ontology, kg = Graph(), Graph()
        for p in knowledge_files():
            (ontology if p.parent.name == "ontology" else kg).parse(p, format="turtle")
        base = kg.serialize(format="nt")
        # shared by all copies: the review's sections and what rules name by IRI (principles with thresholds,
        # trade-offs, constants, Li+, AlN); references are per copy (each copy stands for another review)
        keep = {"sec-", "constant-", "review", "principle-", "tradeoff-", "perspective-", "Li-cation", "AlN"}
        def rename(match, n):
            local = match.group(1)
            if any(local.startswith(k) for k in keep):
                return match.group(0)
            return f"<{LMK}{local}--c{n}>"
        parts = [ontology.serialize(format="nt")]
        pattern = re.compile(r"<" + re.escape(LMK) + r"([^>]+)>")
        shared_subject = re.compile(r"^<" + re.escape(LMK) + r"(?:" + "|".join(map(re.escape, keep)) + r")[^>]*> ")
        once = [line for line in base.splitlines() if not shared_subject.match(line)]
        for n in range(copies):
            # what the shared nodes say about themselves (AlN's conductivity, Li+'s potential, a principle's
            # threshold) is stated once, as in one real graph; each copy repeats only its own designs/species
            text = pattern.sub(lambda m: rename(m, n), base if n == 0 else "\\n".join(once))
            parts.append(re.sub(r"_:(\\w+)", lambda m: f"_:c{n}x{m.group(1)}", text))
        return "\\n".join(parts)
""")


def lmakg_code(copies: int, selector: str | None = None) -> str:
    """lmakg on the scale-up: in memory, or on the store ``selector`` (e.g. a ``sparql:`` server, whose lmakg graphs
    are dropped first; the rules then run there as SPARQL Update)."""
    return SCALE_SETUP + textwrap.dedent(f"""
    from lmakg.knowledge.store import open_store
    from lmakg.chemistry.materialize import materialize
    data = scaled_ntriples({copies}).encode()
    store = open_store({selector!r})
    if {selector!r}:
        for graph in store.named_graphs():
            if graph.startswith("https://w3id.org/lmakg/graph/") or graph.startswith("urn:lmakg:staging:"):
                store.clear_graph(graph)
    t0 = time.perf_counter()
    store.bulk_load_ntriples(data, "https://w3id.org/lmakg/graph/asserted")
    for p in RULE_FILES:
        store.load_file(p, "https://w3id.org/lmakg/graph/rules")
    triples = store.count()
    t1 = time.perf_counter()
    c1 = time.process_time()
    from lmakg.reasoning.rules import load_rules
    result = materialize(store, load_rules(RULE_FILES))
    t2 = time.perf_counter()
    c2 = time.process_time()
    provenance = result.seconds_per_rule.get("(provenance)", 0.0)
    print(json.dumps({{"triples": triples, "inferred": result.added,
                      "load": t1 - t0, "reason": t2 - t1, "cpu": c2 - c1, "peakRssMiB": peak(),
                      "perception": (t2 - t1) - result.seconds, "rules": result.seconds - provenance,
                      "provenance": provenance, "derivations": result.derivations}}))
    """)


def owlrl_code(copies: int) -> str:
    return SCALE_SETUP + textwrap.dedent(f"""
    import owlrl
    from rdflib import Graph
    data = scaled_ntriples({copies})
    g = Graph()
    t0 = time.perf_counter()
    g.parse(data=data, format="nt")
    triples = len(g)
    t1 = time.perf_counter()
    c1 = time.process_time()
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(g)
    t2 = time.perf_counter()
    c2 = time.process_time()
    print(json.dumps({{"triples": triples, "inferred": len(g) - triples,
                      "load": t1 - t0, "reason": t2 - t1, "cpu": c2 - c1, "peakRssMiB": peak()}}))
    """)


def pyshacl_code(copies: int) -> str:
    return SCALE_SETUP + textwrap.dedent(f"""
    from pyshacl import shacl_rules
    from rdflib import Graph
    from lmakg.knowledge.functions import register_with_rdflib
    register_with_rdflib()
    from lmakg.chemistry.perceive import perceive
    from lmakg.knowledge.store import open_store
    data = scaled_ntriples({copies})
    # the same RDKit-perceived facts lmakg's rules see, computed outside the timing
    ox = open_store()
    ox.bulk_load_ntriples(data.encode(), "https://w3id.org/lmakg/graph/asserted")
    perceive(ox)
    perceived = ox.dump("ntriples", graph="https://w3id.org/lmakg/graph/perceived").decode()
    g = Graph()
    t0 = time.perf_counter()
    g.parse(data=data, format="nt")
    g.parse(data=perceived, format="nt")
    for p in RULE_FILES:
        g.parse(p, format="turtle")
    shapes = Graph()
    for p in RULE_FILES:
        shapes.parse(p, format="turtle")
    triples = len(g)
    t1 = time.perf_counter()
    c1 = time.process_time()
    while True:
        size = len(g)
        shacl_rules(g, shacl_graph=shapes, advanced=True, iterate_rules=True, inplace=True)
        if len(g) == size:
            break
    t2 = time.perf_counter()
    c2 = time.process_time()
    print(json.dumps({{"triples": triples, "inferred": len(g) - triples,
                      "load": t1 - t0, "reason": t2 - t1, "cpu": c2 - c1, "peakRssMiB": peak()}}))
    """)


def review_graph(repeats: int) -> list[dict]:
    """Cold end-to-end timings of the CLI on the review graph (median of `repeats` runs)."""
    rows = []
    lmakg = str(Path(sys.executable).parent / "lmakg")
    with tempfile.TemporaryDirectory() as tmp:
        commands = {
            "load + infer (Python API, warm)": None,
            "lmakg build --store DIR (validate, load, infer, 4 artifacts)":
                [lmakg, "build", "--store", f"{tmp}/store", "--out", f"{tmp}/out"],
            "lmakg infer (in memory, cold process)": [lmakg, "infer"],
            "lmakg hypotheses, all kinds (cold process)": [lmakg, "hypotheses", "--top", "10"],
            "lmakg hypotheses --store DIR, all kinds (cold process)": [lmakg, "hypotheses", "--top", "10",
                                                                       "--store", f"{tmp}/store"],
            "lmakg hypotheses --kinds component,combination (cold process)":
                [lmakg, "hypotheses", "--top", "10", "--kinds", "component,combination"],
            "lmakg hypotheses --kinds component,combination --store DIR (cold process)":
                [lmakg, "hypotheses", "--top", "10", "--kinds", "component,combination", "--store", f"{tmp}/store"],
        }
        for name, cmd in commands.items():
            times = []
            for _ in range(repeats):
                if cmd is None:
                    code = ("import time, json\nfrom lmakg.chemistry.materialize import open_knowledge\n"
                            "open_knowledge(None)\nt=time.perf_counter()\nopen_knowledge(None)\n"
                            "print(json.dumps({'t': time.perf_counter()-t}))")
                    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
                    times.append(json.loads(out.stdout)["t"])
                    continue
                start = time.perf_counter()
                subprocess.run(cmd, capture_output=True, text=True, check=True)
                times.append(time.perf_counter() - start)
            rows.append({"what": name, "median_s": statistics.median(times), "runs": repeats})
    return rows


def copies_for(sizes: list[int]) -> dict[int, int]:
    """How many copies of the curated graph make each target size (triples shared by all copies and added by each
    copy, measured on the generated data)."""
    namespace: dict = {}
    exec(SCALE_SETUP, namespace)  # our own generator code, shared with the child processes
    one = len(set(namespace["scaled_ntriples"](1).splitlines()))
    two = len(set(namespace["scaled_ntriples"](2).splitlines()))
    per_copy, shared = two - one, 2 * one - two
    return {size: max(1, round((size - shared) / per_copy)) for size in sizes}


BUILDERS = {"lmakg": lmakg_code, "owlrl": owlrl_code, "pyshacl": pyshacl_code}


def scale_table(scale: list[dict]) -> list[str]:
    """Markdown rows of the scale-ups: one per (size, tool), wall and CPU time with their ratios to lmakg in
    memory (CPU time only where the run measured it in its own process)."""
    lines = ["| size (triples) | tool | load (s) | reason (s) | reason, CPU (s) | inferred triples | peak RSS (MiB) "
             "| vs lmakg | vs lmakg, CPU |", "|---|---|---|---|---|---|---|---|---|"]
    for size in sorted({r["target"] for r in scale}):
        rows = [r for r in scale if r["target"] == size]
        ours = next((r for r in rows if r["tool"] == "lmakg" and r["status"] == "ok"), None)
        for r in rows:
            if r["status"] != "ok":
                lines.append(f"| ~{size:,} | {r['tool']} | | {r['status']} | | | | | |")
                continue
            ratio = f"{r['reason'] / ours['reason']:.1f}x" if ours and r is not ours else ""
            cpu = f"{r['cpu']:.1f}" if r.get("cpu") is not None else ""
            cpu_ratio = (f"{r['cpu'] / ours['cpu']:.1f}x" if ours and r is not ours and r.get("cpu") is not None
                         and ours.get("cpu") else "")
            lines.append(f"| {r['triples']:,} | {r['tool']} | {r['load']:.1f} | {r['reason']:.1f} | {cpu} | "
                         f"{r['inferred']:,} | {r['peakRssMiB']:.0f} | {ratio} | {cpu_ratio} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000",
                        help="approximate total triples of each scale-up (comma-separated)")
    parser.add_argument("--budget", type=float, default=300.0, help="seconds allowed per (tool, size) run")
    parser.add_argument("--repeats", type=int, default=3, help="runs per review-graph timing")
    parser.add_argument("--tools", default="lmakg,owlrl,pyshacl")
    parser.add_argument("--exclude", default="combinations.ttl",
                        help="rule files left out of the scale-ups (combination patterns pair building blocks "
                             "across the whole graph, which grows quadratically with the number of copies)")
    parser.add_argument("--skip-review", action="store_true", help="skip the review-graph CLI timings")
    args = parser.parse_args()

    import os

    load_before = os.getloadavg()  # the machine is shared: say how busy it was
    RESULTS.mkdir(exist_ok=True)
    review = [] if args.skip_review else review_graph(args.repeats)
    scale = []
    for size, copies in copies_for([int(s) for s in args.sizes.split(",") if s.strip()]).items():
        for tool in args.tools.split(","):
            print(f"{tool} at ~{size} triples ({copies} copies)...", file=sys.stderr, flush=True)
            result = _child(BUILDERS[tool](copies), args.budget, args.exclude)
            result.update({"tool": tool, "target": size, "copies": copies})
            scale.append(result)
            print(json.dumps(result)[:300], file=sys.stderr, flush=True)
    load_after = os.getloadavg()
    load = {"before": load_before, "after": load_after}
    (RESULTS / "reasoning.json").write_text(json.dumps({"review": review, "scale": scale, "loadavg": load}, indent=2))
    lines = [f"rule files excluded from the scale-ups: {args.exclude or 'none'}",
             "load average (1, 5, 15 min) at the start: {:.2f} {:.2f} {:.2f}; at the end: {:.2f} {:.2f} {:.2f}"
             .format(*load_before, *load_after), "",
             "| review graph | median (s) |", "|---|---|"]
    lines += [f"| {r['what']} | {r['median_s']:.2f} |" for r in review]
    lines += ["", *scale_table(scale)]
    runs = sorted((r for r in scale if r["tool"] == "lmakg" and r["status"] == "ok"), key=lambda r: r["triples"])
    if runs:
        lines += ["", "| lmakg size (triples) | perception and its provenance (s) | rules (s) "
                  "| provenance of the rules (s) | derivations |",
                  "|---|---|---|---|---|"]
        lines += [f"| {r['triples']:,} | {r['perception']:.1f} | {r['rules']:.1f} | {r['provenance']:.1f} | "
                  f"{r['derivations']:,} |" for r in runs]
        lines.append("")
        for small, big in itertools.pairwise(runs):
            growth = math.log(big["triples"] / small["triples"])
            exponent = math.log(big["reason"] / small["reason"]) / growth
            cpu_exponent = math.log(big["cpu"] / small["cpu"]) / growth
            lines.append(f"lmakg growth exponent {small['triples']:,} -> {big['triples']:,} triples: {exponent:.2f} "
                         f"(reason time ~ triples^{exponent:.2f}; CPU time ~ triples^{cpu_exponent:.2f})")
    table = "\n".join(lines)
    (RESULTS / "reasoning.md").write_text(table + "\n")
    print(table)


if __name__ == "__main__":
    main()
