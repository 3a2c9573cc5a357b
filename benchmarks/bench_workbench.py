"""Workbench page-load benchmark: how long the first load of each page takes in headless Chromium.

Usage::

    python benchmarks/bench_workbench.py             # 5 runs per page
    python benchmarks/bench_workbench.py --runs 10

The server (``lmakg.server.app.start_server`` over the packaged knowledge, in memory) runs in its own process,
as ``lmakg serve`` would. Chromium is Debian's (/usr/bin/chromium), driven by Playwright. Every run opens
a fresh browser context, so nothing is cached in the browser: each load is a *first* page load (HTML,
CSS, scripts including the 650 kB vis-network, and the page's own API calls). Per page:

* ``first visit``: the first time the page is loaded after the server started (includes whatever the
  server computes on first use: opening the knowledge, the node index, the hypotheses);
* ``load`` / ``ready``: median, min and max over the runs that follow, of the time to the browser's
  load event (navigation timing) and to the page being usable (``body[data-ready]``: the query menu
  listed, the hypothesis list shown, the graph drawn and its physics stopped).

The target (issue 5, section 4) is under 1 s for the first page load locally. Results are printed as a
Markdown table and written to benchmarks/results/workbench.md and .json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
PAGES = {
    "/ (query editor)": ("/", "body[data-ready=true]"),
    "/hypotheses": ("/hypotheses", "body[data-ready=true]"),
    "/mechanisms (graph drawn, physics stopped)": ("/mechanisms", "#graph[data-stabilized=true]"),
    "/graph?iri=lmk:FEC (graph drawn, physics stopped)": ("/graph?iri=https://w3id.org/lmakg/kg/FEC",
                                                          "#graph[data-stabilized=true]"),
}
SERVER = "from lmakg.server.app import start_server; start_server(None, host='127.0.0.1', port={port}).serve_forever()"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, budget: float = 60.0) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < budget:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with code {process.returncode}: {process.stderr.read()[-2000:]}")
        try:
            with urllib.request.urlopen(url + "/", timeout=2) as response:
                if response.status == 200:
                    return time.perf_counter() - start
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"the server did not answer {url}/ within {budget:.0f} s")


def load(browser, base: str, path: str, ready: str) -> dict[str, float]:
    """One first load in a fresh context: seconds to the load event and to the page being ready."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    outside: list[str] = []
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base + "/")
               else (outside.append(route.request.url), route.abort()))
    url = base + path
    start = time.perf_counter()
    page.goto(url, wait_until="load")
    page.wait_for_selector(ready, state="attached", timeout=60000)
    ready_s = time.perf_counter() - start
    nav = page.evaluate("(() => { const n = performance.getEntriesByType('navigation')[0];"
                        " return {load: n.loadEventEnd, dcl: n.domContentLoadedEventEnd}; })()")
    context.close()
    if outside:
        raise SystemExit(f"{url} tried to reach outside the server: {outside}")
    return {"load": nav["load"] / 1000, "dcl": nav["dcl"] / 1000, "ready": ready_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed loads per page after the first visit")
    options = parser.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"no Chromium at {CHROMIUM} (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-c", SERVER.format(port=port)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True, env={**os.environ})
    results: dict[str, dict] = {}
    try:
        startup = wait_until_up(base, server)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            version = browser.version
            for name, (path, ready) in PAGES.items():
                first = load(browser, base, path, ready)
                runs = [load(browser, base, path, ready) for _ in range(options.runs)]
                results[name] = {
                    "first_visit_ready": round(first["ready"], 3),
                    **{f"{key}_{stat}": round(fn([r[key] for r in runs]), 3)
                       for key in ("load", "ready") for stat, fn in (("median", statistics.median),
                                                                      ("min", min), ("max", max))},
                    "runs": runs,
                }
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)

    lines = [f"Chromium {version}, {options.runs} runs per page after the first visit, fresh browser context per "
             f"run; server up {startup:.2f} s after launch; {platform.machine()}, {os.cpu_count()} CPUs.", "",
             "| page | first visit: ready (s) | load event, median [min-max] (s) | ready, median [min-max] (s) |",
             "|---|---|---|---|"]
    for name, r in results.items():
        lines.append(f"| {name} | {r['first_visit_ready']:.2f} | {r['load_median']:.2f} "
                     f"[{r['load_min']:.2f}-{r['load_max']:.2f}] | {r['ready_median']:.2f} "
                     f"[{r['ready_min']:.2f}-{r['ready_max']:.2f}] |")
    table = "\n".join(lines)
    print(table)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "workbench.md").write_text(table + "\n", encoding="utf-8")
    (RESULTS / "workbench.json").write_text(json.dumps({"chromium": version, "startup_s": startup,
                                                        "pages": results}, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
