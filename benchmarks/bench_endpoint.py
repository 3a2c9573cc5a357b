"""Endpoint latency benchmark: every named query against ``lmakg serve --store`` at 1, 4 and 16 clients.

Usage::

    lmakg build --store store --no-artifacts                 # once
    python benchmarks/bench_endpoint.py --store store         # starts `lmakg serve --store store --port 0`
    python benchmarks/bench_endpoint.py --url http://127.0.0.1:7878/sparql   # a server already running

With ``--store`` the benchmark runs the server twice: as configured by default (repeated queries are
answered from its result cache after the first time) and with ``--cache-mb 0`` (every answer computed
by a query worker), so both numbers are on record.

A loopback load generator: each client is a thread with its own keep-alive HTTP connection that sends
every named query of ``queries/`` (rotated, so clients do not move in lock-step) as a GET with
``Accept: application/sparql-results+json`` and reads the whole answer. One warm-up pass precedes each
concurrency level. Latency is from sending the request to reading the last byte of the answer. The
request count is bounded (``--samples`` answers per query and level) and the run stops by itself.

The load generator runs on the same machine as the server (and shares its CPUs), so the numbers include
its own cost. Results are printed and written to benchmarks/results/endpoint.md and .json.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import platform
import signal
import subprocess
import threading
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
TARGET_MS = 50.0


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation between closest ranks."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def start_server(store: str, options: list[str]) -> tuple[subprocess.Popen, str]:
    """Start ``lmakg serve --store STORE --port 0 OPTIONS`` and return it with its endpoint URL."""
    from lmakg.server.app import spawn_serve
    from lmakg.server.config import ServeError

    try:
        return spawn_serve("--store", store, *options, wait=120)
    except ServeError as exc:
        raise SystemExit(str(exc)) from None  # the command's own message says what is wrong


class Client(threading.Thread):
    """One simulated user: a keep-alive connection sending the queries in turn."""

    def __init__(self, endpoint: str, queries: list[tuple[str, str]], rounds: int, offset: int,
                 barrier: threading.Barrier) -> None:
        super().__init__(daemon=True)
        parts = urllib.parse.urlsplit(endpoint)
        self.host, self.port, self.path = parts.hostname or "127.0.0.1", parts.port or 80, parts.path
        self.queries = queries[offset:] + queries[:offset]
        self.rounds = rounds
        self.barrier = barrier
        self.samples: list[tuple[str, float, int]] = []  # (query name, seconds, HTTP status)

    def run(self) -> None:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
        targets = [(name, self.path + "?" + urllib.parse.urlencode({"query": text})) for name, text in self.queries]
        self.barrier.wait()
        for _ in range(self.rounds):
            for name, target in targets:
                started = time.perf_counter()
                try:
                    connection.request("GET", target, headers={"Accept": "application/sparql-results+json"})
                    response = connection.getresponse()
                    response.read()
                    status = response.status
                except (OSError, http.client.HTTPException):
                    connection.close()
                    connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
                    status = 0
                self.samples.append((name, time.perf_counter() - started, status))
        connection.close()


def run_level(endpoint: str, queries: list[tuple[str, str]], clients: int, samples: int) -> dict:
    """Warm up, then run ``clients`` concurrent clients until every query has about ``samples`` answers."""
    warm = Client(endpoint, queries, 1, 0, threading.Barrier(1))
    warm.run()
    rounds = max(1, math.ceil(samples / clients))
    barrier = threading.Barrier(clients + 1)
    threads = [Client(endpoint, queries, rounds, (i * len(queries)) // clients, barrier) for i in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    all_samples = [s for t in threads for s in t.samples]
    per_query: dict[str, list[float]] = {}
    for name, seconds, _ in all_samples:
        per_query.setdefault(name, []).append(seconds * 1000)
    errors = sum(1 for _, _, status in all_samples if status != 200)
    everything = [seconds * 1000 for _, seconds, _ in all_samples]
    return {
        "clients": clients,
        "requests": len(all_samples),
        "errors": errors,
        "seconds": wall,
        "throughput": len(all_samples) / wall,
        "p50": percentile(everything, 50),
        "p99": percentile(everything, 99),
        "queries": {name: {"p50": percentile(v, 50), "p99": percentile(v, 99), "n": len(v)}
                    for name, v in sorted(per_query.items())},
    }


def render(runs: list[dict], meta: dict) -> str:
    lines = [
        "# Endpoint latency (named queries over the SPARQL 1.1 Protocol)",
        "",
        f"`python benchmarks/bench_endpoint.py` on {meta['machine']}; load average before the run: {meta['load']}. "
        f"{meta['queries']} named queries; each client is a thread with a keep-alive connection on the same "
        "machine as the server; latency = request sent to last byte read (JSON results).",
    ]
    for run in runs:
        lines += ["", f"## `{run['server']}`", "", *render_levels(run["levels"])]
    return "\n".join(lines) + "\n"


def render_levels(levels: list[dict]) -> list[str]:
    counts = [level["clients"] for level in levels]
    lines = [
        "| clients | requests | errors | throughput (req/s) | p50 all (ms) | p99 all (ms) | "
        "queries with p50 < 50 ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for level in levels:
        under = sum(1 for q in level["queries"].values() if q["p50"] < TARGET_MS)
        lines.append(f"| {level['clients']} | {level['requests']} | {level['errors']} | {level['throughput']:.0f} | "
                     f"{level['p50']:.1f} | {level['p99']:.1f} | {under} / {len(level['queries'])} |")
    lines += ["", "Per query, p50 / p99 in ms:", "",
              "| query | " + " | ".join(f"{c} client{'s' if c > 1 else ''}" for c in counts) + " |",
              "|---|" + "---|" * len(counts)]
    for name in levels[0]["queries"]:
        cells = [f"{level['queries'][name]['p50']:.1f} / {level['queries'][name]['p99']:.1f}" for level in levels]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--store", help="store folder (lmakg build --store DIR); the benchmark starts the server")
    where.add_argument("--url", help="SPARQL endpoint of a server already running")
    parser.add_argument("--clients", default="1,4,16", help="concurrency levels (default 1,4,16)")
    parser.add_argument("--samples", type=int, default=20, help="answers per query and level (default 20)")
    parser.add_argument("--workers", type=int, default=None, help="--workers for the server the benchmark starts")
    parser.add_argument("--cache", choices=("both", "on", "off"), default="both",
                        help="with --store: run the server with its result cache, without it, or both (default)")
    parser.add_argument("--out", type=Path, default=RESULTS / "endpoint.md")
    args = parser.parse_args()

    from lmakg.knowledge.queries import list_queries

    queries = [(q.name, q.text) for q in list_queries()]
    meta = {"machine": f"{os.cpu_count()} CPUs, {platform.python_implementation()} {platform.python_version()}",
            "load": " ".join(f"{x:.2f}" for x in os.getloadavg()), "queries": len(queries)}
    configurations: list[list[str]] = [[]]
    if args.store:
        configurations = {"both": [[], ["--cache-mb", "0"]], "on": [[]], "off": [["--cache-mb", "0"]]}[args.cache]
    runs = []
    for options in configurations:
        options = options + (["--workers", str(args.workers)] if args.workers else [])
        process = None
        if args.store:
            process, endpoint = start_server(args.store, options)
            server = " ".join(["lmakg serve --store", args.store, *options])
        else:
            endpoint, server = args.url, args.url
        print(server, flush=True)
        try:
            levels = []
            for clients in (int(c) for c in args.clients.split(",")):
                level = run_level(endpoint, queries, clients, args.samples)
                levels.append(level)
                print(f"{clients:>3} clients: {level['requests']} requests, {level['errors']} errors, "
                      f"{level['throughput']:.0f} req/s, p50 {level['p50']:.1f} ms, p99 {level['p99']:.1f} ms",
                      flush=True)
        finally:
            if process is not None:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(20)
                except subprocess.TimeoutExpired:
                    process.kill()
        runs.append({"server": server, "levels": levels})
    text = render(runs, meta)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    args.out.with_suffix(".json").write_text(json.dumps({"meta": meta, "runs": runs}, indent=2), encoding="utf-8")
    print(f"wrote {args.out} and {args.out.with_suffix('.json')}")
    for run in runs:
        slow = sorted({name for level in run["levels"] for name, q in level["queries"].items()
                       if q["p50"] >= TARGET_MS})
        if slow:
            print(f"{run['server']}: p50 at or over {TARGET_MS:.0f} ms for {slow}")


if __name__ == "__main__":
    main()
