#!/usr/bin/env python3
"""Run lmakg's rules on a SPARQL 1.1 server as SPARQL Update, and report what works.

    tools/probe_rules_on_server.py QUERY_URL UPDATE_URL [--user U --password P --auth digest|basic]
        [--load gsp|update|skip] [--gsp URL] [--chunk N] [--scale N] [--passes N] [--ln none|values]
        [--no-compare] [--json OUT.json]

What it does (the `sparql:` store backend will do the same through the SPARQL 1.1 Protocol):

1. builds the review dataset with lmakg's Python API (`load_knowledge` + RDKit perception: ontology, asserted,
   rules, perceived and provenance graphs), optionally renamed into N copies (`--scale`, for load timings);
2. drops those graphs and the inferred graph on the server (DROP SILENT GRAPH, never DROP ALL: Virtuoso keeps
   its own system graphs in the same store), loads the dataset (Graph Store Protocol POST per graph, or
   SPARQL Update chunks) and checks the per-graph counts;
3. turns every rule of `rules/*.ttl` (parsed with rdflib by `lmakg.reasoning.rules.load_rules`, in `sh:order`) into
   `INSERT { GRAPH <.../graph/inferred> { TEMPLATE } } USING <g1> ... USING <inferred> WHERE { ... }` (USING
   makes the WHERE read the union of the reasoning graphs on every server, whatever its default graph is),
   runs each once and reports ok / error / seconds / triples added, and the custom functions it calls;
4. repeats passes until the inferred graph stops growing (`--passes` caps them) and compares the server's
   inferred graph with lmakg's own engine on the same dataset (numbers compared by value).

Credentials can also come from LMAKG_PROBE_USER / LMAKG_PROBE_PASSWORD. Exit code 0 even when rules fail:
the report is the product. Needs the project's venv (lmakg, rdflib, pyoxigraph).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from lmakg.knowledge.vocab import GRAPH, INFERRED_GRAPH, PREFIXES

INFERRED = str(INFERRED_GRAPH)
PROVENANCE = str(GRAPH["provenance"])
LMK = "https://w3id.org/lmakg/kg/"
XSD = "http://www.w3.org/2001/XMLSchema#"
NUMERIC = {XSD + t for t in ("double", "float", "decimal", "integer", "int", "long", "short", "byte",
                             "nonNegativeInteger", "positiveInteger", "negativeInteger", "nonPositiveInteger",
                             "unsignedInt", "unsignedLong", "unsignedShort", "unsignedByte")}
# IRIs every copy of a scaled graph shares (what rules name by IRI); the rest of lmk: is renamed per copy.
SHARED = ("sec-", "constant-", "review", "principle-", "tradeoff-", "perspective-", "Li-cation", "AlN")


# ----------------------------------------------------------------------------------------------------------
# HTTP
# ----------------------------------------------------------------------------------------------------------

class Server:
    def __init__(self, query_url: str, update_url: str, user: str | None, password: str | None, auth: str,
                 timeout: float) -> None:
        self.query_url, self.update_url, self.timeout = query_url, update_url, timeout
        handlers: list[Any] = []
        if user:
            passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            for url in (query_url, update_url):
                passwords.add_password(None, url, user, password or "")
            self._passwords = passwords
            handlers.append(urllib.request.HTTPDigestAuthHandler(passwords) if auth == "digest"
                            else urllib.request.HTTPBasicAuthHandler(passwords))
        else:
            self._passwords = None
        self.opener = urllib.request.build_opener(*handlers)

    def allow(self, url: str, user: str | None, password: str | None) -> None:
        if self._passwords is not None and user:
            self._passwords.add_password(None, url, user, password or "")

    def _send(self, request: urllib.request.Request) -> bytes:
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                return response.read()
        except urllib.error.HTTPError as exc:
            body = exc.read().decode("utf-8", "replace").strip()
            raise ServerError(f"HTTP {exc.code}: {body}") from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise ServerError(f"{type(exc).__name__}: {exc}") from None

    def update(self, text: str) -> None:
        body = urllib.parse.urlencode({"update": text}).encode("utf-8")
        self._send(urllib.request.Request(self.update_url, data=body, method="POST",
                                          headers={"Content-Type": "application/x-www-form-urlencoded"}))

    def select(self, text: str) -> list[dict[str, dict[str, str]]]:
        body = urllib.parse.urlencode({"query": text}).encode("utf-8")
        raw = self._send(urllib.request.Request(self.query_url, data=body, method="POST", headers={
            "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/sparql-results+json"}))
        return json.loads(raw)["results"]["bindings"]

    def select_rows(self, text: str, default_graphs: list[str], named_graphs: list[str]) -> int:
        """Rows of a SELECT run over a dataset given by the protocol's default-graph-uri/named-graph-uri."""
        fields = [("query", text)] + [("default-graph-uri", g) for g in default_graphs] + \
                 [("named-graph-uri", g) for g in named_graphs]
        raw = self._send(urllib.request.Request(self.query_url, data=urllib.parse.urlencode(fields).encode("utf-8"),
                                                method="POST", headers={
            "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/sparql-results+json"}))
        return len(json.loads(raw)["results"]["bindings"])

    def post(self, url: str, data: bytes, content_type: str) -> None:
        self._send(urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": content_type}))


class ServerError(RuntimeError):
    pass


def first_line(message: str, limit: int = 300) -> str:
    """A server message without the echoed query text (Virtuoso appends the whole query)."""
    text = message.split("\n\nSPARQL query:")[0].strip()
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."


# ----------------------------------------------------------------------------------------------------------
# The dataset
# ----------------------------------------------------------------------------------------------------------

def review_dataset() -> tuple[Any, dict[str, list[str]]]:
    """The store lmakg reasons over before its rules run (knowledge files + rules graph + RDKit perception),
    and its quads as N-Triples lines per named graph."""
    from lmakg.knowledge.load import load_knowledge
    from lmakg.chemistry.perceive import perceive
    from lmakg.knowledge.store import open_store

    store = open_store("oxigraph:")
    load_knowledge(store)
    perceive(store)
    graphs: dict[str, list[str]] = defaultdict(list)
    for line in store.dump("nquads").decode("utf-8").splitlines():
        if not line.strip():
            continue
        head, graph = line.rstrip().removesuffix(".").rstrip().rsplit(" ", 1)
        graphs[graph.strip("<>")].append(head + " .")
    return store, dict(graphs)


def scaled(graphs: dict[str, list[str]], copies: int) -> dict[str, list[str]]:
    """The ontology and rules once; the asserted and perceived graphs `copies` times, each copy with its own
    lmk: IRIs (except the shared ones rules name) and blank nodes; no provenance graph."""
    iri = re.compile(r"<" + re.escape(LMK) + r"([^>]+)>")
    bnode = re.compile(r"_:(\w+)")
    out: dict[str, list[str]] = {}
    for graph, lines in graphs.items():
        if graph == PROVENANCE:
            continue
        if graph.endswith(("/asserted", "/perceived")):
            body = "\n".join(lines)
            parts = []
            for n in range(copies):
                text = iri.sub(lambda m, n=n: m.group(0) if m.group(1).startswith(SHARED)
                               else f"<{LMK}{m.group(1)}--c{n}>", body)
                parts.append(bnode.sub(lambda m, n=n: f"_:c{n}x{m.group(1)}", text))
            # what shared nodes say about themselves comes out identical in every copy: state it once
            out[graph] = list(dict.fromkeys("\n".join(parts).splitlines()))
        else:
            out[graph] = list(lines)
    return out


def chunks(lines: list[str], size: int) -> list[list[str]]:
    """Lines packed into chunks of about `size`, keeping lines that share a blank node in one chunk (a blank
    node label means one node only within one request)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    labels = [re.findall(r"_:\w+", line) for line in lines]
    for found in labels:
        for other in found[1:]:
            parent[find(found[0])] = find(other)
    groups: dict[str, list[str]] = defaultdict(list)
    plain: list[list[str]] = []
    for line, found in zip(lines, labels, strict=True):
        if found:
            groups[find(found[0])].append(line)
        else:
            plain.append([line])
    out: list[list[str]] = []
    current: list[str] = []
    for group in [*groups.values(), *plain]:
        if current and len(current) + len(group) > size:
            out.append(current)
            current = []
        current.extend(group)
    if current:
        out.append(current)
    return out


def guess_gsp(update_url: str, authenticated: bool) -> str | None:
    """The Graph Store Protocol endpoint of the servers CI runs (Oxigraph: /store; Virtuoso: /sparql-graph-crud,
    -auth for the digest-protected one)."""
    if update_url.endswith("/update"):
        return update_url[: -len("update")] + "store"
    base = re.sub(r"/sparql(-auth)?/?$", "", update_url)
    if base != update_url:
        return base + ("/sparql-graph-crud-auth" if authenticated else "/sparql-graph-crud")
    return None


def load(server: Server, graphs: dict[str, list[str]], mode: str, gsp: str | None, chunk: int) -> dict[str, Any]:
    timings: dict[str, Any] = {"mode": mode, "requests": 0}
    began = time.perf_counter()
    for graph in [*graphs, INFERRED]:
        server.update(f"DROP SILENT GRAPH <{graph}>")
    timings["drop"] = time.perf_counter() - began
    began = time.perf_counter()
    for graph, lines in graphs.items():
        for part in chunks(lines, chunk):
            if mode == "gsp":
                server.post(f"{gsp}?graph={urllib.parse.quote(graph, safe='')}",
                            ("\n".join(part) + "\n").encode("utf-8"), "application/n-triples")
            else:
                body = "\n".join(part)
                if "_:" in body:  # Virtuoso refuses blank nodes in INSERT DATA; a template with no WHERE works
                    server.update(f"INSERT {{ GRAPH <{graph}> {{\n{body}\n}} }} WHERE {{}}")
                else:
                    server.update(f"INSERT DATA {{ GRAPH <{graph}> {{\n{body}\n}} }}")
            timings["requests"] += 1
    timings["seconds"] = time.perf_counter() - began
    return timings


def graph_counts(server: Server, graphs: list[str]) -> dict[str, int]:
    values = " ".join(f"<{g}>" for g in graphs)
    rows = server.select(f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }} "
                         f"GROUP BY ?g")
    return {r["g"]["value"]: int(r["n"]["value"]) for r in rows}


# ----------------------------------------------------------------------------------------------------------
# Rules as SPARQL Update
# ----------------------------------------------------------------------------------------------------------

def split_construct(text: str) -> tuple[str, str, str]:
    """(template, WHERE group graph pattern with braces, what follows it) of a CONSTRUCT query."""
    match = re.search(r"\bCONSTRUCT\s*\{", text, re.I)
    if not match:
        raise ValueError("sh:construct is not a CONSTRUCT with a template")
    end = matching_brace(text, match.end() - 1)
    template, rest = text[match.end(): end], text[end + 1:]
    where = re.search(r"\bWHERE\s*\{", rest, re.I) or re.search(r"\{", rest)
    if where is None:
        raise ValueError("no WHERE clause")
    start = rest.index("{", where.start())
    close = matching_brace(rest, start)
    return template, rest[start: close + 1], rest[close + 1:]


def matching_brace(text: str, start: int) -> int:
    """Index of the brace closing the one at `start`, skipping strings, IRIs and comments."""
    depth, i = 0, start
    while i < len(text):
        c = text[i]
        if c == "#" and (i == 0 or text[i - 1] in " \t\n"):
            i = text.find("\n", i)
            if i < 0:
                break
        elif c in "\"'":
            i = text.find(c, i + 1)
            if i < 0:
                break
        elif c == "<" and re.match(r"<[^\s<>\"{}|^`\\]*>", text[i:]):
            i = text.find(">", i)
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise ValueError("unbalanced braces")


STANDARD_CASTS = {"xsd"}


def custom_functions(text: str, prefixes: dict[str, str]) -> list[str]:
    """Prefixed or IRI function calls that are not XSD casts: extension functions the server must know."""
    found = set()
    for prefix, local in re.findall(r"(?<![\w?$])([A-Za-z][\w-]*):([\w-]+)\s*\(", text):
        if prefix not in STANDARD_CASTS:
            found.add(prefixes.get(prefix, prefix + ":") + local)
    for iri in re.findall(r"<([^<>\s]+)>\s*\(", text):
        if not iri.startswith(XSD):
            found.add(iri)
    return sorted(found)


def update_text(rule: Any, using: list[str]) -> str:
    template, where, tail = split_construct(rule.construct)
    if tail.strip():
        raise ValueError(f"solution modifiers after WHERE ({tail.strip()[:40]}) are not allowed in an update")
    header = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in rule.prefixes.items())
    datasets = "".join(f"USING <{g}>\n" for g in using)
    return f"{header}INSERT {{ GRAPH <{INFERRED}> {{ {template.strip()} }} }}\n{datasets}WHERE {where}"


# --- lmf:ln without server support: a VALUES table computed by the client ---------------------------------

def remove_calls(where: str, function: str) -> str:
    """The WHERE pattern without the BIND(...) clauses that call `function` (prefixed name)."""
    out, i = [], 0
    for match in re.finditer(r"\bBIND\s*\(", where):
        if match.start() < i:
            continue
        depth, j = 0, match.end() - 1
        while j < len(where):
            depth += {"(": 1, ")": -1}.get(where[j], 0)
            if depth == 0:
                break
            j += 1
        if function in where[match.start(): j + 1]:
            out.append(where[i: match.start()])
            i = j + 1
    out.append(where[i:])
    return "".join(out)


def ln_values_rewrite(server: Server, rule: Any, using: list[str]) -> tuple[str, int]:
    """Rewrite `lmf:ln(?x)` into a variable bound by `VALUES (?x ?ln_x) {...}`, the values of ?x found by a
    SELECT DISTINCT of the WHERE pattern without the BINDs that call lmf:ln, their logarithms computed here.
    Standard SPARQL 1.1, two requests instead of one; returns (update text, rows in the table)."""
    template, where, _tail = split_construct(rule.construct)
    arguments = sorted(set(re.findall(r"lmf:ln\(\s*\?(\w+)\s*\)", where)))
    header = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in rule.prefixes.items())
    froms = "".join(f"FROM <{g}>\n" for g in using)
    pattern = remove_calls(where, "lmf:ln")
    rewritten = where
    tables = []
    total = 0
    for var in arguments:
        rows = server.select(f"{header}SELECT DISTINCT (STR(?{var}) AS ?lex) (DATATYPE(?{var}) AS ?dt)\n"
                             f"{froms}WHERE {pattern}")
        entries = []
        for row in rows:
            lex, dt = row["lex"]["value"], row.get("dt", {}).get("value", XSD + "string")
            try:
                value = float(lex)
                result = f'"{math.log(value)!r}"^^<{XSD}double>' if value > 0 else "UNDEF"
            except ValueError:
                result = "UNDEF"
            escaped = lex.replace("\\", "\\\\").replace('"', '\\"')
            entries.append(f'("{escaped}"^^<{dt}> {result})')
        total += len(entries)
        tables.append(f"VALUES (?{var} ?lmf_ln_{var}) {{ {' '.join(entries)} }}")
        rewritten = re.sub(r"lmf:ln\(\s*\?" + var + r"\s*\)", f"?lmf_ln_{var}", rewritten)
    rewritten = "{\n" + "\n".join(tables) + "\n" + rewritten[1:]
    datasets = "".join(f"USING <{g}>\n" for g in using)
    return f"{header}INSERT {{ GRAPH <{INFERRED}> {{ {template.strip()} }} }}\n{datasets}WHERE {rewritten}", total


# ----------------------------------------------------------------------------------------------------------
# Comparison with lmakg's engine
# ----------------------------------------------------------------------------------------------------------

def normal(kind: str, value: str, datatype: str | None, lang: str | None) -> tuple:
    if kind == "iri":
        return ("iri", value)
    if kind == "bnode":
        return ("bnode",)
    if datatype in NUMERIC:
        try:
            return ("num", float(f"{float(value):.12g}"))
        except ValueError:
            pass
    return ("lit", value, datatype or (None if lang else XSD + "string"), (lang or "").lower() or None)


def server_inferred(server: Server, include_restated: bool) -> Counter:
    """The server's inferred triples, lexical forms read with STR()/DATATYPE() (Virtuoso prints doubles with
    6 significant digits in its result formats). Without include_restated, the triples also stated in
    another graph are left out (lmakg's engine never adds a conclusion the store already holds)."""
    not_elsewhere = "" if include_restated else (
        f"FILTER NOT EXISTS {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != <{INFERRED}> && ?g != <{PROVENANCE}>) }}")
    rows = server.select(
        f"SELECT ?s ?p ?o (STR(?o) AS ?lex) (DATATYPE(?o) AS ?dt) (LANG(?o) AS ?lang) (isIRI(?o) AS ?oi) "
        f"(isBlank(?o) AS ?ob) (isBlank(?s) AS ?sb) WHERE {{ GRAPH <{INFERRED}> {{ ?s ?p ?o }} {not_elsewhere} }}")
    out: Counter = Counter()
    truthy = {"true", "1"}
    for r in rows:
        if r["oi"]["value"] in truthy:
            o = ("iri", r["o"]["value"])
        elif r["ob"]["value"] in truthy:
            o = ("bnode",)
        else:
            o = normal("literal", r["lex"]["value"], r.get("dt", {}).get("value"), r.get("lang", {}).get("value"))
        s = ("bnode",) if r["sb"]["value"] in truthy else ("iri", r["s"]["value"])
        out[(s, ("iri", r["p"]["value"]), o)] += 1
    return out


def local_inferred(store: Any) -> tuple[Counter, float]:
    import pyoxigraph as ox

    from lmakg.reasoning.engine import infer

    began = time.perf_counter()
    infer(store, record_provenance=False)
    seconds = time.perf_counter() - began

    def term(t: Any) -> tuple:
        if isinstance(t, ox.NamedNode):
            return ("iri", t.value)
        if isinstance(t, ox.BlankNode):
            return ("bnode",)
        return normal("literal", t.value, t.datatype.value if t.datatype else None, t.language)

    out = Counter((term(q.subject), term(q.predicate), term(q.object))
                  for q in store._store.quads_for_pattern(None, None, None, ox.NamedNode(INFERRED)))
    return out, seconds


def short(term: tuple) -> str:
    from lmakg.knowledge.vocab import shorten

    if term[0] == "iri":
        return shorten(term[1])
    if term[0] == "num":
        return repr(term[1])
    return repr(term[1:])


# ----------------------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("query_url")
    parser.add_argument("update_url")
    parser.add_argument("--user", default=os.environ.get("LMAKG_PROBE_USER"))
    parser.add_argument("--password", default=os.environ.get("LMAKG_PROBE_PASSWORD"))
    parser.add_argument("--auth", choices=["digest", "basic"], default="digest")
    parser.add_argument("--load", choices=["gsp", "update", "skip"], default="gsp")
    parser.add_argument("--gsp", help="Graph Store Protocol endpoint (default: guessed for Oxigraph and Virtuoso)")
    parser.add_argument("--chunk", type=int, default=0,
                        help="triples per load request (default: 500 for --load update, 200000 for gsp)")
    parser.add_argument("--scale", type=int, default=0, help="load N renamed copies of the review graph instead")
    parser.add_argument("--passes", type=int, default=10, help="cap on rule passes (1: a single pass)")
    parser.add_argument("--ln", choices=["none", "values"], default="none",
                        help="values: rewrite lmf:ln(?x) into a client-computed VALUES table")
    parser.add_argument("--no-compare", action="store_true", help="skip the comparison with lmakg's engine")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--json", type=Path, help="write the full report as JSON")
    parser.add_argument("--queries", action="store_true",
                        help="also run lmakg's SELECT queries (queries/*.rq, src/lmakg/sparql/*.rq) over the reasoned "
                             "graphs and compare their row counts with lmakg's engine")
    parser.add_argument("--progress", action="store_true", help="print each rule as it finishes (first pass)")
    parser.add_argument("--write-nquads", type=Path, help="also write the dataset as N-Quads (for bulk loaders)")
    args = parser.parse_args(argv)

    from lmakg.reasoning.rules import load_rules

    server = Server(args.query_url, args.update_url, args.user, args.password, args.auth, args.timeout)
    report: dict[str, Any] = {"query_url": args.query_url, "update_url": args.update_url}

    began = time.perf_counter()
    store, graphs = review_dataset()
    if args.scale:
        graphs = scaled(graphs, args.scale)
    report["dataset"] = {g: len(lines) for g, lines in graphs.items()}
    report["dataset_seconds"] = time.perf_counter() - began
    total = sum(report["dataset"].values())
    print(f"dataset: {total} triples in {len(graphs)} graphs ({report['dataset_seconds']:.1f} s to build)")
    if args.write_nquads:
        with args.write_nquads.open("w", encoding="utf-8") as out:
            for graph, lines in graphs.items():
                for line in lines:
                    out.write(f"{line[:-1].rstrip()} <{graph}> .\n")
        print(f"wrote {args.write_nquads}")

    if args.load != "skip":
        gsp = args.gsp or guess_gsp(args.update_url, bool(args.user))
        if args.load == "gsp" and not gsp:
            parser.error("no Graph Store endpoint known for this server: give --gsp URL or --load update")
        if gsp:
            server.allow(gsp, args.user, args.password)
        chunk = args.chunk or (500 if args.load == "update" else 200000)
        try:
            report["load"] = load(server, graphs, args.load, gsp, chunk)
        except ServerError as exc:
            print(f"load failed: {first_line(str(exc))}")
            report["load"] = {"error": first_line(str(exc))}
            if args.json:
                args.json.write_text(json.dumps(report, indent=1, default=str), encoding="utf-8")
            return 1
        counts = graph_counts(server, list(graphs))
        report["load"]["counts_match"] = counts == report["dataset"]
        report["load"]["server_counts"] = counts
        print(f"load ({args.load}, {report['load']['requests']} requests): {report['load']['seconds']:.2f} s, "
              f"{total / report['load']['seconds']:.0f} triples/s; counts match: {report['load']['counts_match']}")
        if not report["load"]["counts_match"]:
            for g in graphs:
                if counts.get(g) != report["dataset"][g]:
                    print(f"  {g}: server {counts.get(g)} vs {report['dataset'][g]}")

    rules = load_rules()
    using = [g for g in graphs if g != PROVENANCE] + [INFERRED]
    results: list[dict[str, Any]] = []
    passes: list[dict[str, Any]] = []
    inferred_before = graph_counts(server, [INFERRED]).get(INFERRED, 0)
    for number in range(1, args.passes + 1):
        pass_began = time.perf_counter()
        errors = 0
        rule_seconds = 0.0
        for rule in rules:
            entry: dict[str, Any] = {"rule": rule.id, "file": rule.file.name, "order": rule.order}
            entry["functions"] = custom_functions(rule.construct, rule.prefixes)
            try:
                if args.ln == "values" and any(f.endswith("function#ln") for f in entry["functions"]):
                    text, rows = ln_values_rewrite(server, rule, using)
                    entry["rewrite"] = f"lmf:ln -> VALUES table of {rows} rows"
                else:
                    text = update_text(rule, using)
            except (ValueError, ServerError) as exc:
                entry.update(status="error", error=first_line(str(exc)), seconds=0.0)
                errors += 1
                if number == 1:
                    results.append(entry)
                continue
            started = time.perf_counter()
            try:
                server.update(text)
                entry["status"] = "ok"
            except ServerError as exc:
                entry.update(status="error", error=first_line(str(exc)))
                errors += 1
            entry["seconds"] = time.perf_counter() - started
            rule_seconds += entry["seconds"]
            if number == 1:
                after = graph_counts(server, [INFERRED]).get(INFERRED, 0)
                entry["added"] = after - inferred_before
                inferred_before = after
                results.append(entry)
                if args.progress:
                    print(f"  {rule.id}: {entry['status']} {entry['seconds']:.2f} s, +{entry['added']}", flush=True)
        size = graph_counts(server, [INFERRED]).get(INFERRED, 0)
        passes.append({"pass": number, "seconds": time.perf_counter() - pass_began, "rule_seconds": rule_seconds,
                       "inferred": size, "errors": errors})
        print(f"pass {number}: {rule_seconds:.2f} s in rule updates ({passes[-1]['seconds']:.2f} s with counts), "
              f"inferred graph {size} triples, {errors} rules failed")
        if len(passes) > 1 and passes[-1]["inferred"] == passes[-2]["inferred"]:
            break
    report["rules"] = results
    report["passes"] = passes

    width = max(len(r["rule"]) for r in results)
    print(f"\n{'rule':<{width}}  status  seconds  added  functions / error")
    for r in results:
        extra = r.get("error") or ", ".join(r["functions"]) or ""
        if r.get("rewrite"):
            extra = (extra + "; " if extra else "") + r["rewrite"]
        print(f"{r['rule']:<{width}}  {r['status']:<6}  {r.get('seconds', 0):7.3f}  {r.get('added', 0):5}  {extra}")
    failed = [r["rule"] for r in results if r["status"] != "ok"]
    print(f"\n{len(results) - len(failed)} of {len(results)} rules ran; failed: {', '.join(failed) or 'none'}")

    if not args.no_compare:
        if args.scale:
            print("comparison skipped for scaled data (lmakg's engine would need the same copies)")
        else:
            mine, seconds = local_inferred(store)
            theirs = server_inferred(server, include_restated=False)
            restated = sum(server_inferred(server, include_restated=True).values()) - sum(theirs.values())
            missing, extra = mine - theirs, theirs - mine  # multisets: blank nodes compare by count
            report["compare"] = {
                "lmakg_inferred": sum(mine.values()), "server_inferred_new": sum(theirs.values()),
                "server_restated": restated, "missing_on_server": sum(missing.values()),
                "extra_on_server": sum(extra.values()), "lmakg_seconds": seconds,
                "missing_by_predicate": dict(Counter(short(t[1]) for t in missing.elements())),
                "extra_by_predicate": dict(Counter(short(t[1]) for t in extra.elements())),
                "missing_examples": [" ".join(map(short, t)) for t in sorted(missing)[:8]],
                "extra_examples": [" ".join(map(short, t)) for t in sorted(extra)[:8]],
            }
            c = report["compare"]
            print(f"\nlmakg's engine: {c['lmakg_inferred']} inferred triples ({seconds:.2f} s); server: "
                  f"{c['server_inferred_new']} not stated elsewhere (+{restated} restating asserted triples); "
                  f"missing on server {c['missing_on_server']}, extra on server {c['extra_on_server']}")
            for key in ("missing_by_predicate", "extra_by_predicate"):
                if c[key]:
                    print(f"  {key}: {c[key]}")
            for key in ("missing_examples", "extra_examples"):
                for line in c[key]:
                    print(f"  {key[:-9]}: {line}")
    if args.queries:
        report["queries"] = probe_queries(server, store if not args.no_compare and not args.scale else None, using)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, default=str), encoding="utf-8")
    return 0


def probe_queries(server: Server, store: Any, using: list[str]) -> list[dict[str, Any]]:
    """Run every SELECT of queries/ and src/lmakg/sparql/ on the server (default graph = the union of the
    reasoning graphs, the same graphs named) and, with a local reasoned store, compare row counts."""
    root = Path(__file__).resolve().parents[1]
    files = sorted((root / "queries").glob("*.rq")) + sorted((root / "src" / "lmakg" / "sparql").glob("*.rq"))
    out = []
    print(f"\n{'query':<48} status  server rows  lmakg rows  seconds / error")
    for path in files:
        text = path.read_text(encoding="utf-8")
        # lmakg's own queries (src/lmakg/sparql) rely on predeclared prefixes: declare the missing ones
        declared = set(re.findall(r"(?im)^\s*PREFIX\s+([\w-]*):", text))
        text = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items() if p not in declared) + text
        if not re.search(r"^\s*SELECT\b", re.sub(r"(?m)^\s*(#.*|PREFIX.*)$", "", text), re.I | re.M):
            continue
        entry: dict[str, Any] = {"query": str(path.relative_to(root))}
        started = time.perf_counter()
        try:
            entry["rows"] = server.select_rows(text, using, using)
            entry["status"] = "ok"
        except ServerError as exc:
            entry.update(status="error", error=first_line(str(exc), 200))
        entry["seconds"] = time.perf_counter() - started
        if store is not None:
            try:
                entry["lmakg_rows"] = len(store.solutions(text, [g for g in using])[1])
            except Exception as exc:  # a query needing parameters lmakg binds itself
                entry["lmakg_rows"] = f"error: {exc}"[:80]
        flag = "" if entry.get("rows") == entry.get("lmakg_rows") or entry["status"] != "ok" else "  DIFFERS"
        print(f"{entry['query'][-48:]:<48} {entry['status']:<6}  {entry.get('rows', '-')!s:>11}  "
              f"{entry.get('lmakg_rows', '-')!s:>10}  {entry.get('error') or format(entry['seconds'], '.3f')}{flag}")
        out.append(entry)
    return out


if __name__ == "__main__":
    sys.exit(main())
