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
    _console(stderr=True).print(f"[bold red]error:[/bold red] {message}", highlight=False)
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
    from lmakg.build import load_knowledge
    from lmakg.reason import RuleError, materialize
    from lmakg.store import StoreError, open_store

    console = _console(stderr=True)
    try:
        if store:
            knowledge = open_store(f"oxigraph:{store}")
        else:
            knowledge = open_store("oxigraph:")
            load_knowledge(knowledge)
        result = materialize(knowledge, progress=lambda m: console.print(f"[dim]{m}[/dim]"))
        knowledge.flush()
    except (RuleError, StoreError) as exc:
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
    store: StoreOption = None,
) -> None:
    """Rank candidate multifunctional designs, each with its explanation, trade-offs and score."""
    from lmakg.hypotheses import generate, render

    knowledge = _open(store)
    wanted = None
    if mechanisms:
        wanted = [m.strip().removeprefix("lma:") for m in mechanisms.split(",") if m.strip()]
        for m in wanted:
            _mechanism_iri(knowledge, m)
    found = generate(knowledge, top=top, mechanisms=wanted, novel_only=novel_only)
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
    smiles: Annotated[str, typer.Option("--smiles", help="The structure; a salt as dot-separated ions.")],
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
    json_out: JsonOption = False,
) -> None:
    """Predict mechanisms, SEI products and conflicts for a molecule or salt, with explanations."""
    from lmakg.predict import Candidate, PredictionInputError, parse_concentration, parse_property
    from lmakg.predict import predict as run_predict

    try:
        candidate = Candidate(smiles=smiles, name=name, role=role, concentration=parse_concentration(concentration),
                              electrolyte=electrolyte)
        for option, value in (("lumo", lumo), ("homo", homo), ("binding-energy", binding_energy),
                              ("modulus", modulus), ("standard-potential", standard_potential),
                              ("thermal-conductivity", thermal_conductivity)):
            if value is not None:
                kind, number, unit = parse_property(option, value)
                candidate.properties[kind] = number
                candidate.units[kind] = unit
        result = run_predict(candidate)
    except PredictionInputError as exc:
        _fail(str(exc))
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
        out.print(f"  derived {d['kind']} = {d['value']:.4g} {d['unit']} ({d['rule']})")
    if result["conflicts"]:
        out.print(f"  trade-offs: {', '.join(result['conflicts'])}")
    for h in result["hypotheses"]:
        out.print(f"  hypothesis {h['id']}: {' + '.join(h['families'])} (score {h['score']})")
    for note in result["notAssessed"]:
        out.print(f"  [dim]{note}[/dim]")


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
