"""The ``lmakg`` command line: gathers the commands; each module does the work.

Why thin: every command parses its options, calls one module function, and prints. Heavy imports (RDKit,
pySHACL, owlready2) happen inside the modules that need them, so ``lmakg --help`` stays instant. Errors
are one line naming the bad value and exit with a non-zero code.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from lmakg import __version__

app = typer.Typer(
    name="lmakg",
    help="lmakg: the lithium-metal-anode knowledge graph (Yin et al., Batteries & Supercaps). "
    "Build and validate the graph, ask SPARQL questions, and look up species, designs and mechanisms.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)

StoreOption = Annotated[
    str | None,
    typer.Option("--store", help="Persistent store folder written by `lmakg build --store DIR`. "
                 "Default: an in-memory store loaded from the packaged knowledge files."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


class ResultFormat(StrEnum):
    table = "table"
    csv = "csv"
    tsv = "tsv"
    json = "json"
    xml = "xml"


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, soft_wrap=False, width=200 if not sys.stdout.isatty() else None)


def _fail(message: str, code: int = 1) -> NoReturn:
    # soft_wrap: an error stays one line however long (rich would otherwise wrap it at the console width)
    _console(stderr=True).print(f"[bold red]error:[/bold red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _open(store: str | None) -> Any:
    from lmakg.build import open_knowledge
    from lmakg.store import StoreError

    try:
        return open_knowledge(store)
    except StoreError as exc:
        _fail(str(exc))


def _version(value: bool) -> None:
    if value:
        typer.echo(f"lmakg {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """lmakg command line."""


@app.command()
def build(
    store: Annotated[str | None, typer.Option("--store", help="Write a persistent store to this folder "
                                              "(replaced atomically; left untouched if the build fails).")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Folder for the release artifacts "
                                             "(lmakg.ttl, lmakg.nt, lmakg.jsonld, lmakg.owl).")] = Path("build"),
    no_artifacts: Annotated[bool, typer.Option("--no-artifacts", help="Do not write release artifacts.")] = False,
) -> None:
    """Validate the ontology and the curated graph (Turtle, SHACL, RDKit), load the store, write artifacts."""
    from lmakg.build import BuildError
    from lmakg.build import build as run_build
    from lmakg.store import StoreError

    console = _console(stderr=True)
    try:
        result = run_build(store, None if no_artifacts else out, progress=lambda m: console.print(f"[dim]{m}[/dim]"))
    except BuildError as exc:
        for issue in exc.report.issues:
            console.print(str(issue), highlight=False, markup=False)
        _fail(f"build failed: {exc}; nothing was written")
    except (StoreError, OSError) as exc:
        _fail(str(exc))
    console.print(f"[green]{result.report.summary()}[/green]")
    typer.echo(f"store: {result.store or 'in memory (use --store DIR to keep it)'}; {result.triples} triples")
    for path in result.artifacts:
        typer.echo(f"wrote {path}")


@app.command()
def validate(
    files: Annotated[list[Path] | None, typer.Argument(help="Knowledge files to report on (default: all). "
                                                       "The rest of the knowledge is loaded as context.")] = None,
) -> None:
    """Validate knowledge files and list every problem with file, line, node and constraint."""
    from lmakg.validate import knowledge_files, validate_files

    for path in files or []:
        if not path.exists():
            _fail(f"no such file: {path}")
    known = {f.resolve() for f in knowledge_files()}
    extra = [f for f in files or [] if f.resolve() not in known]
    report = validate_files(knowledge_files() + extra, report_only=files or None)
    for issue in report.issues:
        typer.echo(str(issue))
    typer.echo(report.summary())
    if not report.conforms:
        raise typer.Exit(1)


@app.command()
def sparql(
    query: Annotated[str, typer.Argument(help="SPARQL query text, or a path to a .rq file.")],
    fmt: Annotated[ResultFormat, typer.Option("--format", "-f", help="Result format.")] = ResultFormat.table,
    store: StoreOption = None,
) -> None:
    """Run a SPARQL 1.1 query over the asserted (and inferred) graph."""
    path = Path(query)
    text = query
    if query.endswith(".rq") or (len(query) < 255 and path.is_file()):
        if not path.is_file():
            _fail(f"no such query file: {query}")
        text = path.read_text(encoding="utf-8")
    _run_and_print(_open(store), text, fmt)


def _run_and_print(knowledge: Any, text: str, fmt: ResultFormat, bindings: dict[str, Any] | None = None) -> None:
    from lmakg.store import QuerySyntaxError

    try:
        if fmt == ResultFormat.table:
            raw = knowledge.query_raw(text, bindings)
            import pyoxigraph as ox

            if isinstance(raw, ox.QuerySolutions):
                _print_table(knowledge.select(text, bindings))
                return
            if isinstance(raw, ox.QueryBoolean):
                typer.echo("true" if bool(raw) else "false")
                return
            data, _ = knowledge.query_serialized(text, "turtle", bindings)
        else:
            data, _ = knowledge.query_serialized(text, fmt.value, bindings)
    except QuerySyntaxError as exc:
        _fail(f"SPARQL syntax error: {exc}")
    sys.stdout.write(data.decode("utf-8"))
    if not data.endswith(b"\n"):
        sys.stdout.write("\n")


def _print_table(rows: list[dict[str, Any]]) -> None:
    from rich.table import Table

    from lmakg.vocab import shorten

    columns: list[str] = []
    for row in rows:
        for key in row:
            if key not in columns:
                columns.append(key)
    table = Table(show_edge=False)
    for col in columns:
        table.add_column(col)
    for row in rows:
        table.add_row(*[(shorten(row[c].value) if row[c].kind == "uri" else row[c].value) if c in row else ""
                        for c in columns])
    console = _console()
    console.print(table)
    console.print(f"[dim]{len(rows)} row(s)[/dim]")


@app.command("queries")
def list_named_queries(json_out: JsonOption = False) -> None:
    """List the named queries in queries/ with the question each answers."""
    from lmakg.queries import list_queries

    items = list_queries()
    if json_out:
        typer.echo(json.dumps([{"name": q.name, "title": q.title, "question": q.question, "section": q.section}
                               for q in items], indent=2, ensure_ascii=False))
        return
    from rich.table import Table

    table = Table(show_edge=False)
    table.add_column("name")
    table.add_column("question")
    table.add_column("§")
    for q in items:
        table.add_row(q.name, q.title, q.section)
    _console().print(table)


@app.command()
def query(
    name: Annotated[str, typer.Argument(help="Name of a query in queries/ (see `lmakg queries`).")],
    fmt: Annotated[ResultFormat, typer.Option("--format", "-f", help="Result format.")] = ResultFormat.table,
    store: StoreOption = None,
) -> None:
    """Run a named query."""
    from lmakg.queries import UnknownQueryError, get_query

    try:
        named = get_query(name)
    except UnknownQueryError as exc:
        _fail(str(exc))
    if fmt == ResultFormat.table:
        _console(stderr=True).print(f"[bold]{named.title}[/bold]")
    _run_and_print(_open(store), named.text, fmt)


@app.command()
def show(
    name: Annotated[str, typer.Argument(help="A label, abbreviation or synonym (case-insensitive), "
                                        "a prefixed name (lmk:FEC) or an IRI.")],
    json_out: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """Show everything known about a species, design, mechanism, principle or reference."""
    from lmakg.show import NameLookupError, describe, render, resolve

    knowledge = _open(store)
    try:
        desc = describe(knowledge, resolve(knowledge, name))
    except NameLookupError as exc:
        hint = ""
        if exc.candidates:
            hint = "; did you mean: " + ", ".join(f"{label} ({iri.rsplit('/', 1)[-1].rsplit('#', 1)[-1]})"
                                                  for label, iri in exc.candidates)
        _fail(f"{exc}{hint}")
    if json_out:
        typer.echo(json.dumps(desc, indent=2, ensure_ascii=False))
    else:
        render(desc, _console())


@app.command()
def stats(
    json_out: JsonOption = False,
    store: StoreOption = None,
    no_validate: Annotated[bool, typer.Option("--no-validate", help="Skip the SHACL run.")] = False,
) -> None:
    """Counts of designs, species, quantities, references and triples, and the SHACL result."""
    from lmakg.stats import collect, render

    result = collect(_open(store), with_validation=not no_validate)
    if json_out:
        typer.echo(json.dumps(result, indent=2))
    else:
        render(result, _console())


@app.command()
def infer(
    store: Annotated[str | None, typer.Option("--store", help="Re-run the rules on this persistent store "
                                              "(its inferred, perceived and provenance graphs are replaced).")] = None,
    json_out: JsonOption = False,
) -> None:
    """Perceive structures (RDKit) and run the rule modules to a fixpoint; inferences go to their own graph."""
    from lmakg.additions import AdditionError, rerun_rules
    from lmakg.build import load_knowledge
    from lmakg.reason import RuleError, materialize
    from lmakg.store import StoreError, open_store
    from lmakg.storedir import StoreBusyError

    console = _console(stderr=True)

    def say(message: str) -> None:
        console.print(f"[dim]{message}[/dim]")

    try:
        if store:  # on a copy, switched in atomically: a kill leaves the store as it was
            result = rerun_rules(store, progress=say)
        else:
            knowledge = open_store("oxigraph:")
            load_knowledge(knowledge)
            result = materialize(knowledge, progress=say)
    except (RuleError, StoreError, AdditionError, StoreBusyError) as exc:
        _fail(str(exc))
    data = {"rules": result.rules, "added": result.added, "derivations": result.derivations,
            "iterations": result.iterations, "seconds": round(result.seconds, 3),
            "perRule": {k: v for k, v in sorted(result.per_rule.items()) if v}}
    if json_out:
        typer.echo(json.dumps(data, indent=2))
        return
    typer.echo(f"{result.rules} rules, fixpoint after {result.iterations} iterations: {result.added} inferred "
               f"triples, {result.derivations} derivations in {result.seconds:.2f} s"
               + (f" (store {store})" if store else " (in memory; use --store DIR to keep them)"))


@app.command("rules")
def list_rules(json_out: JsonOption = False) -> None:
    """List the rule modules' rules: id, kind, mechanism, principle, section, confidence."""
    from lmakg.reason import RuleError, load_rules, rule_summary

    try:
        rows = rule_summary(load_rules())
    except RuleError as exc:
        _fail(str(exc))
    if json_out:
        typer.echo(json.dumps(rows, indent=2))
        return
    from rich.table import Table

    table = Table(show_edge=False)
    for col in ("id", "kind", "mechanism", "principle", "§", "conf.", "file"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["id"], r["kind"] or "", r["mechanism"] or "", r["principle"] or "", r["section"] or "",
                      "" if r["confidence"] is None else f"{r['confidence']:.1f}", r["file"])
    _console().print(table)


@app.command()
def why(
    terms: Annotated[list[str], typer.Argument(help="NAME MECHANISM (e.g. 'Cs+' ElectrostaticShielding), or "
                                               "SUBJECT PREDICATE OBJECT (names, prefixed names or IRIs).")],
    json_out: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """Print the derivation tree of a prediction down to asserted facts, review sections and references."""
    from lmakg.explain import explain, explain_mechanism, render
    from lmakg.show import NameLookupError, resolve
    from lmakg.store import Term

    if len(terms) not in (2, 3):
        _fail("give NAME MECHANISM or SUBJECT PREDICATE OBJECT")
    knowledge = _open(store)
    try:
        subject = resolve(knowledge, terms[0])
        if len(terms) == 2:
            mechanism = _mechanism_iri(knowledge, terms[1])
            tree = explain_mechanism(knowledge, subject, mechanism)
        else:
            predicate = terms[1] if ":" in terms[1] else "lma:" + terms[1]
            predicate_iri = resolve(knowledge, predicate)
            obj = resolve(knowledge, terms[2])
            tree = explain(knowledge, Term("uri", subject), Term("uri", predicate_iri), Term("uri", obj))
    except NameLookupError as exc:
        hint = "; did you mean: " + ", ".join(label for label, _ in exc.candidates) if exc.candidates else ""
        _fail(f"{exc}{hint}")
    if json_out:
        typer.echo(json.dumps(tree, indent=2, ensure_ascii=False))
    else:
        render(tree, _console())


def _mechanism_iri(knowledge: Any, name: str) -> str:
    from lmakg.queries import run_engine_query
    from lmakg.vocab import local_name

    known = {local_name(r["mechanism"].value): r["mechanism"].value
             for r in run_engine_query(knowledge, "mechanism-families")}
    key = name.removeprefix("lma:")
    if key not in known:
        _fail(f"unknown mechanism {name!r}; known: {', '.join(sorted(known))}")
    return known[key]


@app.command()
def hypotheses(
    top: Annotated[int | None, typer.Option("--top", min=1, help="Show only the N best.")] = None,
    mechanisms: Annotated[str | None, typer.Option("--mechanisms", help="Comma-separated mechanism or family ids "
                                                   "every hypothesis must include.")] = None,
    novel_only: Annotated[bool, typer.Option("--novel-only",
                                             help="Only hypotheses not reported in the graph.")] = False,
    json_out: JsonOption = False,
    explain_out: Annotated[bool, typer.Option("--explain", help="Print each hypothesis's evidence tree.")] = False,
    kinds: Annotated[str, typer.Option("--kinds", help="Comma-separated kinds: component, combination, molecule "
                                       "(new molecules one design move away from the review's species, judged "
                                       "by the rules; about 2 s more than the other two).")]
    = "component,combination,molecule",
    store: StoreOption = None,
) -> None:
    """Rank candidate multifunctional designs, each with its explanation, trade-offs and score."""
    from lmakg.hypotheses import KINDS, generate, render

    chosen = [k.strip() for k in kinds.split(",") if k.strip()]
    unknown = [k for k in chosen if k not in KINDS]
    if unknown or not chosen:
        _fail(f"unknown hypothesis kind(s) {', '.join(unknown) or repr(kinds)}; use {', '.join(KINDS)}")
    knowledge = _open(store)
    wanted = None
    if mechanisms:
        wanted = [m.strip().removeprefix("lma:") for m in mechanisms.split(",") if m.strip()]
        for m in wanted:
            _mechanism_iri(knowledge, m)
    found = generate(knowledge, top=top, mechanisms=wanted, novel_only=novel_only, kinds=tuple(chosen),
                     store_location=store)
    if json_out:
        typer.echo(json.dumps([h.as_dict() for h in found], indent=2, ensure_ascii=False))
        return
    render(found, _console(), explain=explain_out)


@app.command("validate-hypotheses")
def validate_hypotheses(json_out: JsonOption = False) -> None:
    """Leave-one-out over the review's own multifunctional designs: recall@10 and recall@50."""
    from lmakg.evaluate import leave_one_out

    console = _console(stderr=True)
    report = leave_one_out(progress=lambda m: console.print(f"[dim]{m}[/dim]"))
    if json_out:
        typer.echo(json.dumps(report, indent=2))
        return
    from rich.table import Table

    table = Table(show_edge=False, title="leave-one-out over the review's multifunctional designs",
                  title_justify="left")
    for col in ("design", "species", "review families", "rank (novel)", "rank (all)", "hypothesis",
                "its families"):
        table.add_column(col)
    for r in report["designs"]:
        table.add_row(r["design"], ", ".join(r["species"]), ", ".join(r["families"]),
                      f"{r['rank']} / {r['novelCandidates']}" if r["rank"] else "not found",
                      f"{r['rankAmongAll']} / {r['candidates']}" if r["rankAmongAll"] else "not found",
                      r["hypothesis"] or "", ", ".join(r["hypothesisFamilies"]))
    out = _console()
    out.print(table)
    out.print(f"among novel hypotheses: recall@10 = {report['recall@10']:.2f}, recall@50 = {report['recall@50']:.2f}; "
              f"among all: recall@10 = {report['recallAmongAll@10']:.2f}, recall@50 = "
              f"{report['recallAmongAll@50']:.2f} ({report['evaluated']} designs)")


@app.command()
def predict(
    smiles: Annotated[str | None, typer.Option("--smiles", help="The structure; a salt as dot-separated ions.")] = None,
    name: Annotated[str | None, typer.Option("--name", help="A name for the output.")] = None,
    role: Annotated[str, typer.Option("--role", help="additive, solvent, cosolvent, salt, diluent, coating, "
                                      "separator, collector, interphase, weakly-solvating-solvent, "
                                      "non-solvating-cosolvent")] = "additive",
    concentration: Annotated[str | None, typer.Option("--concentration", help="e.g. 0.05M")] = None,
    electrolyte: Annotated[str | None, typer.Option("--electrolyte", help="base electrolyte, e.g. "
                                                    "'1 M LiPF6 in EC/DEC' (names from the graph)")] = None,
    lumo: Annotated[str | None, typer.Option("--lumo", help="LUMO, e.g. '-0.9 eV'")] = None,
    homo: Annotated[str | None, typer.Option("--homo", help="HOMO, e.g. '-7.5 eV'")] = None,
    binding_energy: Annotated[str | None, typer.Option("--binding-energy", help="Li+-solvent binding, kJ/mol")] = None,
    modulus: Annotated[str | None, typer.Option("--modulus", help="Young's modulus, GPa")] = None,
    standard_potential: Annotated[str | None, typer.Option("--standard-potential", help="E0 vs SHE, V")] = None,
    thermal_conductivity: Annotated[str | None, typer.Option("--thermal-conductivity", help="W/mK")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="batch mode: a CSV with a header row (smiles; "
                                              "optional name, role, concentration, electrolyte, lumo, homo...)")]
    = None,
    out_file: Annotated[Path | None, typer.Option("--out", help="batch mode: write results here (.csv or .json); "
                                                  "default: CSV on standard output")] = None,
    out_format: Annotated[str | None, typer.Option("--format", help="batch output format: csv or json "
                                                   "(default: from --out's extension, else csv)")] = None,
    store: StoreOption = None,
    json_out: JsonOption = False,
) -> None:
    """Predict mechanisms, SEI products and conflicts for a molecule or salt (or a CSV of them), with
    explanations."""
    from lmakg.predict import Candidate, PredictionInputError, Predictor, parse_concentration, parse_property
    from lmakg.store import StoreError

    if (smiles is None) == (file is None):
        _fail("give either --smiles SMILES or --file CANDIDATES.csv")
    if file is not None:
        _predict_batch(file, out_file, out_format or ("json" if json_out else None), store)
        return
    try:
        candidate = Candidate(smiles=smiles or "", name=name, role=role,
                              concentration=parse_concentration(concentration), electrolyte=electrolyte)
        for option, value in (("lumo", lumo), ("homo", homo), ("binding-energy", binding_energy),
                              ("modulus", modulus), ("standard-potential", standard_potential),
                              ("thermal-conductivity", thermal_conductivity)):
            if value is not None:
                kind, number, unit = parse_property(option, value)
                candidate.properties[kind] = number
                candidate.units[kind] = unit
        result = Predictor(store).predict(candidate)
    except (PredictionInputError, StoreError) as exc:
        _fail(str(exc))
    if "error" in result:
        _fail(result["error"])
    if json_out:
        typer.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    out = _console()
    out.print(f"[bold]{name or smiles}[/bold]  {result['inchiKey']}  charge {result['formalCharge']}")
    out.print(f"  elements: {', '.join(result['elements'])}; features: {', '.join(result['features']) or '-'}; "
              f"F mass fraction {result['fMassFraction']:.2f}")
    for m in result["mechanisms"]:
        designs = ", ".join(d["design"] for d in m["supportingDesigns"]) or "-"
        out.print(f"  [green]{m['id']}[/green] ({m['of']}) by {', '.join(m['rules'])}; review designs: {designs}")
    for r in result["ruledOut"]:
        out.print(f"  [red]ruled out[/red] {r['mechanism']} for {r['species']}")
    if result["forms"]:
        out.print(f"  forms: {', '.join(result['forms'])}")
    for d in result["derived"]:
        out.print(f"  derived {d['kind']} of {d['of']} = {d['value']:.4g} {d['unit']} ({d['rule']})")
    if result["conflicts"]:
        out.print(f"  trade-offs: {', '.join(result['conflicts'])}")
    for h in result["hypotheses"]:
        out.print(f"  hypothesis {h['id']}: {' + '.join(h['families'])} (score {h['score']})")
    for note in result["notAssessed"]:
        out.print(f"  [dim]{note}[/dim]")


# --- users' own knowledge: lmakg add / graphs / remove ---
WriteStoreOption = Annotated[
    str | None,
    typer.Option("--store", help="The persistent store folder (written by `lmakg build --store DIR`) to change."),
]


def _writable_store(store: str | None, command: str) -> str:
    if not store:
        _fail(f"`lmakg {command}` changes a persistent store: give --store DIR (create one with "
              f"`lmakg build --store DIR`); without --store the other commands read the packaged files, "
              f"which additions do not change")
    return store


@app.command()
def add(
    file: Annotated[Path, typer.Argument(help="A Turtle file in the curation format of kg/*.ttl "
                                         "(.ttl; also .nt N-Triples, .jsonld JSON-LD).")],
    store: WriteStoreOption = None,
    name: Annotated[str | None, typer.Option("--name", help="Graph name (default: the file name without "
                                             "extension, slugified).")] = None,
    replace: Annotated[bool, typer.Option("--replace", help="Replace an addition with the same name or "
                                          "from the same file.")] = False,
    json_out: JsonOption = False,
) -> None:
    """Validate a file of your own designs/species and add it to the store as its own graph (all or nothing)."""
    from lmakg.additions import AdditionError, InvalidAddition
    from lmakg.additions import add as run_add
    from lmakg.store import StoreError
    from lmakg.storedir import StoreBusyError

    console = _console(stderr=True)
    location = _writable_store(store, "add")
    try:
        added, inferred = run_add(file, location, name=name, replace=replace,
                                  progress=lambda m: console.print(f"[dim]{m}[/dim]", highlight=False))
    except InvalidAddition as exc:
        if json_out:
            typer.echo(json.dumps({"added": False, "violations": [str(i) for i in exc.issues]}, indent=2,
                                  ensure_ascii=False))
        for issue in exc.issues:
            typer.echo(str(issue), err=True)  # one line each, never wrapped
        _fail(str(exc))
    except (AdditionError, StoreBusyError, StoreError, OSError) as exc:
        _fail(str(exc))
    if json_out:
        typer.echo(json.dumps({"added": True, **added.as_dict(), "inferredTriples": inferred}, indent=2,
                              ensure_ascii=False))
        return
    typer.echo(f"added {added.triples} triples from {added.file} as <{added.graph}>; rules re-run: "
               f"{inferred} inferred triples")


@app.command()
def graphs(store: WriteStoreOption = None, json_out: JsonOption = False) -> None:
    """List your additions: graph IRI, name, file, time added, triples."""
    from lmakg.additions import AdditionError, additions_in
    from lmakg.store import StoreError

    try:
        found = additions_in(_writable_store(store, "graphs"))
    except (AdditionError, StoreError) as exc:
        _fail(str(exc))
    if json_out:
        typer.echo(json.dumps([a.as_dict() for a in found], indent=2, ensure_ascii=False))
        return
    if not found:
        typer.echo("no additions (add one with `lmakg add FILE --store DIR`)")
        return
    from rich.table import Table

    table = Table(show_edge=False)
    for col in ("name", "graph", "file", "added (UTC)", "triples"):
        table.add_column(col)
    for a in found:
        table.add_row(a.name, a.graph, a.file, a.time, str(a.triples))
    _console().print(table)


@app.command()
def remove(
    graph: Annotated[str, typer.Argument(help="The addition's name or its full graph IRI (see `lmakg graphs`).")],
    store: WriteStoreOption = None,
) -> None:
    """Remove one of your additions and its provenance, and re-run the rules (all or nothing)."""
    from lmakg.additions import AdditionError
    from lmakg.additions import remove as run_remove
    from lmakg.store import StoreError
    from lmakg.storedir import StoreBusyError

    console = _console(stderr=True)
    location = _writable_store(store, "remove")
    try:
        removed, inferred = run_remove(graph, location,
                                       progress=lambda m: console.print(f"[dim]{m}[/dim]", highlight=False))
    except (AdditionError, StoreBusyError, StoreError, OSError) as exc:
        _fail(str(exc))
    typer.echo(f"removed {removed.name} <{removed.graph}> ({removed.triples} triples from {removed.file}); "
               f"rules re-run: {inferred} inferred triples")


# --- molecular design moves: lmakg design ---
@app.command()
def design(
    start: Annotated[str, typer.Option("--from", help="A species of the graph (name, abbreviation) or a SMILES.")],
    moves: Annotated[str | None, typer.Option("--moves", help="Comma-separated move ids (default: all), e.g. "
                                              "extend-ether-chain,fluorinate-ether-backbone")] = None,
    depth: Annotated[int, typer.Option("--depth", help="Apply up to this many moves in a row.")] = 2,
    top: Annotated[int | None, typer.Option("--top", help="Show only the N best candidates.")] = None,
    role: Annotated[str | None, typer.Option("--role", help="Role the candidates are judged in (default: the "
                                             "starting species' most frequent role in the review, else solvent).")
                    ] = None,
    json_out: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """New molecules from a known one by the review's design moves, judged and ranked by the rules."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from lmakg.design import DesignInputError, render
    from lmakg.design import design as run_design
    from lmakg.store import StoreError

    wanted = [m for m in moves.split(",") if m.strip()] if moves else None
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=_console(stderr=True), transient=True)
    tasks: dict[str, Any] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if not tasks:
            bar.start()  # only once there is work to show, so a bad input prints its one error line alone
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total)
        bar.update(tasks[stage], completed=done, total=total)

    try:
        report = run_design(start, moves=wanted, depth=depth, top=top, role=role, store=store, progress=progress)
    except (DesignInputError, StoreError) as exc:
        bar.stop()
        _fail(str(exc))
    bar.stop()
    if json_out:
        typer.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    render(report, _console())


def _predict_batch(file: Path, out_file: Path | None, out_format: str | None, store: str | None) -> None:
    """`lmakg predict --file`: screen a CSV of candidates with a progress bar; bad rows are reported
    (file:line: message) and kept in the output with status 'error', the others are judged."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from lmakg.predict import PredictionInputError, Predictor, read_candidates, screen, write_results
    from lmakg.store import StoreError

    fmt = out_format or (out_file.suffix.lstrip(".").lower() if out_file is not None else "csv")
    if fmt not in ("csv", "json"):
        _fail(f"unknown output format {fmt!r} (from --format or the --out extension); use csv or json")
    err = _console(stderr=True)
    try:
        total = sum(1 for _, c, _ in read_candidates(file) if not isinstance(c, str))
        with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeRemainingColumn(), console=err, transient=True) as bar:
            task = bar.add_task("loading the reasoned graph", total=total)
            predictor = Predictor(store)
            bar.update(task, description="judging candidates")
            results = screen(file, predictor, progress=lambda done: bar.update(task, completed=done))
        text = write_results(results, out_file, fmt)
    except (PredictionInputError, StoreError) as exc:
        _fail(str(exc))
    failed = [r["error"] for r in results if "error" in r]
    for message in failed:
        err.print(f"[yellow]skipped[/yellow] {message}", highlight=False)
    if text is not None:
        typer.echo(text, nl=False)
    err.print(f"judged {len(results) - len(failed)} of {len(results)} candidates"
              + (f"; results in {out_file}" if out_file else ""), highlight=False)


# --- graph visualisation, exports and analytics: lmakg viz / export / graph ---
graph_app = typer.Typer(help="networkx analytics over the graph: the most connected mechanisms and components, "
                        "communities of designs, explanatory paths.", no_args_is_help=True)
app.add_typer(graph_app, name="graph")


class ExportFormat(StrEnum):
    graphml = "graphml"
    gexf = "gexf"
    cytoscape_json = "cytoscape-json"
    jsonld = "jsonld"


class ViewKind(StrEnum):
    mechanisms = "mechanisms"
    node = "node"
    hypothesis = "hypothesis"
    query = "query"


GraphsOption = Annotated[str | None, typer.Option(
    "--graphs", help="Comma-separated named graphs whose statements become edges: ontology, asserted, user "
    "(your additions), inferred, perceived, rules, provenance, or graph IRIs.")]


def _projection(knowledge: Any, graphs: str | None, default: tuple[str, ...]) -> Any:
    from lmakg.graph import GraphError, to_networkx

    names = tuple(g for g in graphs.split(",") if g.strip()) if graphs else default
    try:
        return to_networkx(knowledge, graphs=names)
    except GraphError as exc:
        _fail(str(exc))


@app.command()
def export(
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="graphml and gexf (Gephi, yEd), cytoscape-json "
                                              "(Cytoscape, Cytoscape.js), jsonld (the projected edges as RDF).")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output file (default: standard output).")] = None,
    graphs: GraphsOption = None,
    store: StoreOption = None,
) -> None:
    """Export the networkx projection of the graph (nodes: label, kind, IRI; edges: predicate) for other tools."""
    from lmakg.graph import DEFAULT_GRAPHS, GraphError, write_export
    from lmakg.graph import export as run_export

    projection = _projection(_open(store), graphs, DEFAULT_GRAPHS)
    try:
        if out is None:
            sys.stdout.buffer.write(run_export(projection, fmt.value))
            return
        write_export(projection, fmt.value, out)
    except (GraphError, OSError) as exc:
        _fail(f"{out or 'stdout'}: {exc}")
    _console(stderr=True).print(f"wrote {out} ({projection.number_of_nodes()} nodes, "
                                f"{projection.number_of_edges()} edges, {fmt.value})", highlight=False)


@graph_app.command("stats")
def graph_stats(
    top: Annotated[int, typer.Option("--top", min=1, help="How many mechanisms and components to rank.")] = 10,
    json_out: JsonOption = False,
    graphs: GraphsOption = None,
    store: StoreOption = None,
) -> None:
    """Sizes, the most connected mechanisms and components (degree, betweenness), communities of designs."""
    from lmakg.graph import ANALYTICS_GRAPHS
    from lmakg.graph import stats as run_stats

    result = run_stats(_projection(_open(store), graphs, ANALYTICS_GRAPHS), top=top)
    if json_out:
        typer.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    from rich.table import Table

    out = _console()
    out.print(f"[bold]{result['nodes']} nodes, {result['edges']} edges[/bold] (graphs: {result['graphs']}; "
              f"{result['weaklyConnectedComponents']} connected component(s))")
    out.print("nodes by kind: " + ", ".join(f"{k} {v}" for k, v in result["nodesByKind"].items()))
    out.print("edges by predicate: " + ", ".join(f"{k} {v}" for k, v in result["edgesByPredicate"].items()))
    for key, title in (("mechanisms", "Most connected mechanisms"),
                       ("components", "Most connected components (species used in designs)")):
        table = Table(title=title, title_justify="left", show_edge=False)
        for col in ("id", "label", "degree", "betweenness"):
            table.add_column(col)
        for item in result[key]:
            table.add_row(item["id"], item["label"], str(item["degree"]), f"{item['betweenness']:.4f}")
        out.print(table)
    table = Table(title="Communities of designs (Louvain, seed 0; designs linked by shared species, mechanisms, "
                  "products, outcomes)", title_justify="left", show_edge=False)
    for col in ("#", "size", "main mechanisms", "designs"):
        table.add_column(col)
    for index, community in enumerate(result["designCommunities"], 1):
        table.add_row(str(index), str(community["size"]), ", ".join(community["mechanisms"]),
                      ", ".join(d.removeprefix("design-") for d in community["designs"]))
    out.print(table)


@graph_app.command("paths")
def graph_paths(
    source: Annotated[str, typer.Argument(help="Start: a name as `lmakg show` takes it (e.g. LiNO3, 'Cs+').")],
    target: Annotated[str, typer.Argument(help="End: e.g. DendriteSuppression, LiF, ElectrostaticShielding.")],
    max_paths: Annotated[int, typer.Option("--max", min=1, help="At most this many shortest paths.")] = 5,
    json_out: JsonOption = False,
    graphs: GraphsOption = None,
    store: StoreOption = None,
) -> None:
    """Shortest explanatory paths between two nodes, each hop with its predicate (never via references/sections)."""
    from lmakg.graph import ANALYTICS_GRAPHS, GraphError, format_path
    from lmakg.graph import paths as run_paths
    from lmakg.show import NameLookupError, resolve

    knowledge = _open(store)
    ends = []
    for name in (source, target):
        try:
            ends.append(resolve(knowledge, name))
        except NameLookupError as exc:
            hint = "; did you mean: " + ", ".join(label for label, _ in exc.candidates) if exc.candidates else ""
            _fail(f"{exc}{hint}")
    projection = _projection(knowledge, graphs, ANALYTICS_GRAPHS)
    try:
        found = run_paths(projection, ends[0], ends[1], max_paths=max_paths)
    except GraphError as exc:
        _fail(str(exc))
    if json_out:
        typer.echo(json.dumps([[hop.as_dict(projection) for hop in path] for path in found], indent=2,
                              ensure_ascii=False))
        return
    if not found:
        _fail(f"no path links {source} and {target}")
    out = _console()
    out.print(f"[bold]{len(found)} shortest path(s) of {len(found[0])} hop(s)[/bold]")
    for path in found:
        out.print("  " + format_path(projection, path), highlight=False, markup=False)


@app.command()
def viz(
    what: Annotated[ViewKind, typer.Argument(help="mechanisms (Figure 2), node NAME, hypothesis ID, "
                                             "query FILE|NAME.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output file: .html (interactive, works offline), "
                                      ".svg or .png.")],
    name: Annotated[str | None, typer.Argument(help="The node, hypothesis id (e.g. H-FEC) or query (.rq file "
                                               "or named query).")] = None,
    depth: Annotated[int, typer.Option("--depth", min=1, max=4, help="node: hops around the node.")] = 1,
    store: StoreOption = None,
) -> None:
    """Draw the mechanism map, a node's neighbourhood, a hypothesis or a query result as HTML, SVG or PNG."""
    from lmakg.graph import GraphError
    from lmakg.viz import OUTPUT_SUFFIXES, VizError, hypothesis_view, mechanisms_view, node_view, query_view

    placeholder = {ViewKind.node: "NAME", ViewKind.hypothesis: "ID", ViewKind.query: "FILE"}
    if what != ViewKind.mechanisms and not name:
        _fail(f"`lmakg viz {what.value}` needs a value: lmakg viz {what.value} {placeholder[what]} --out FILE")
    if what == ViewKind.mechanisms and name:
        _fail(f"`lmakg viz mechanisms` takes no argument (got {name!r})")
    if out.suffix.lower() not in OUTPUT_SUFFIXES:
        _fail(f"{out}: unknown output type {out.suffix or '(none)'!r}; use {', '.join(OUTPUT_SUFFIXES)}")
    knowledge = _open(store)
    try:
        if what == ViewKind.mechanisms:
            drawing = mechanisms_view(knowledge)
        elif what == ViewKind.node:
            drawing = node_view(knowledge, name, depth=depth)
        elif what == ViewKind.hypothesis:
            drawing = hypothesis_view(knowledge, name)
        else:
            drawing = query_view(knowledge, name)
        drawing.save(out)
    except (VizError, GraphError, OSError) as exc:
        _fail(str(exc))
    _console(stderr=True).print(f"wrote {out} ({drawing.graph.number_of_nodes()} nodes, "
                                f"{drawing.graph.number_of_edges()} edges)", highlight=False)


# --- SPARQL endpoint: lmakg serve ---
@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to bind. Anything but loopback exposes the "
                                      "endpoint to other machines.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port (0 picks a free one).")] = 7878,
    store: StoreOption = None,
    allow_update: Annotated[bool, typer.Option("--allow-update", help="Accept SPARQL Update from clients that "
                                               "send 'Authorization: Bearer TOKEN' (needs --token).")] = False,
    token: Annotated[str | None, typer.Option("--token", envvar="LMAKG_SERVE_TOKEN",
                                              help="Bearer token for updates (or set LMAKG_SERVE_TOKEN).")] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds a query may run before it is stopped "
                                           "(HTTP 503).")] = 10.0,
    max_results: Annotated[int, typer.Option("--max-results", help="Most rows (or triples) a result may have; "
                                             "larger results get HTTP 422.")] = 10000,
    max_body: Annotated[int, typer.Option("--max-body", help="Largest request body in bytes (HTTP 413).")]
    = 1_000_000,
    workers: Annotated[int | None, typer.Option("--workers", min=1, help="Query worker processes "
                                                "(default: number of CPUs, at least 2).")] = None,
    cors_origin: Annotated[str | None, typer.Option("--cors-origin", help="Let pages from this origin (or '*' "
                                                    "for any) read the endpoint; default: same origin only.")]
    = None,
    cache_mb: Annotated[float, typer.Option("--cache-mb", min=0, help="Memory for answers of repeated queries "
                                            "(emptied by updates; 0 turns it off).")] = 64,
    quiet: Annotated[bool, typer.Option("--quiet", help="Do not log each request.")] = False,
) -> None:
    """Serve the graph over the SPARQL 1.1 Protocol at /sparql (and the web workbench at /)."""
    import logging

    from lmakg.serve import ServeError, is_loopback, start_server

    console = _console(stderr=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    if not is_loopback(host):
        console.print(f"[bold red]WARNING: binding to {host} makes the endpoint reachable from other machines; "
                      "nothing on it is authenticated except updates.[/bold red]", highlight=False)
    try:
        server = start_server(store, host, port, allow_update=allow_update, token=token, timeout=timeout,
                              max_results=max_results, max_body=max_body, workers=workers,
                              cors_origin=cors_origin, cache_mb=cache_mb, log_requests=not quiet,
                              progress=lambda m: console.print(f"[dim]{m}[/dim]", highlight=False))
    except ServeError as exc:
        _fail(str(exc))
    mode = "read-write for Bearer-token updates" if allow_update else "read-only"
    console.print(f"[green]SPARQL endpoint[/green] {server.endpoint} ({mode}); workbench {server.url}/ — "
                  "Ctrl-C stops", highlight=False)
    import signal

    def _stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt  # SIGTERM stops the workers as Ctrl-C does

    signal.signal(signal.SIGTERM, _stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        console.print("stopped", highlight=False)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
