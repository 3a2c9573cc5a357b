"""``lmakg assess``: formulations judged as wholes (regime, mechanisms in context, score, what was not judged)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from lmakg.cli.common import JsonOption, StoreOption, fail, make_console, printable


def assess(
    formulation: Annotated[str | None, typer.Argument(help='A formulation as written, e.g. "1.2 M LiFSI in DME/TTE '
                                                      '(1:2 v/v)" or "LiFSI-1.2DME-3TTE".')] = None,
    file: Annotated[Path | None, typer.Option("--file", help="batch mode: a CSV with a header row")] = None,
    column: Annotated[str, typer.Option("--column", help="batch mode: the column holding the formulations")
                      ] = "formulation",
    out_file: Annotated[Path | None, typer.Option("--out", help="batch mode: write results here (.csv or .json; "
                                                  "written whole or not at all); default: CSV on standard output")
                        ] = None,
    json_out: JsonOption = False,
    store: StoreOption = None,
    no_descriptors: Annotated[bool, typer.Option("--no-descriptors", help="Do not compute GFN2-xTB LUMOs (tblite); "
                                                 "the LUMO ordering is then reported as not judged.")] = False,
) -> None:
    """Judge a formulation as a whole: components, normalised amounts, regime, mechanisms and SEI products in this
    formulation, trade-offs, a score (higher = better predicted Li reversibility) and what could not be judged."""
    from lmakg.formulations.assess import AssessError, Assessor
    from lmakg.knowledge.store import StoreError

    if (formulation is None) == (file is None):
        fail('give either a FORMULATION (in quotes) or --file FORMULATIONS.csv')
    err = make_console(stderr=True)
    if file is not None:
        _batch(file, column, out_file, json_out, store, not no_descriptors)
        return
    try:
        with err.status("loading the reasoned graph"):
            assessor = Assessor(store, descriptors=not no_descriptors)
        result = assessor.assess(formulation or "")
    except (AssessError, StoreError) as exc:
        fail(str(exc))
    if json_out:
        typer.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    render(result, make_console())


def _batch(file: Path, column: str, out_file: Path | None, json_out: bool, store: str | None,
           descriptors: bool) -> None:
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from lmakg.formulations.assess import Assessor
    from lmakg.formulations.batch import BatchInputError, assess_file, read_rows, render
    from lmakg.graph.export import write_whole
    from lmakg.knowledge.store import StoreError

    fmt = "json" if json_out or (out_file is not None and out_file.suffix.lower() == ".json") else "csv"
    if out_file is not None and out_file.suffix.lower() not in (".csv", ".json"):
        fail(f"--out {out_file}: use a .csv or .json file name")
    if not file.is_file():
        fail(f"no such file: {file}")
    err = make_console(stderr=True)
    try:
        total = sum(1 for _ in read_rows(file, column))
        with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeRemainingColumn(), console=err, transient=True) as bar:
            task = bar.add_task("loading the reasoned graph", total=total)
            assessor = Assessor(store, descriptors=descriptors)
            bar.update(task, description="assessing formulations")
            results = assess_file(file, column, assessor, progress=lambda n: bar.update(task, completed=n))
        text = render(results, fmt)
        if out_file is not None:
            write_whole(out_file, text.encode("utf-8"))
    except (BatchInputError, StoreError, OSError) as exc:
        fail(str(exc))
    failed = [r["error"] for r in results if r["status"] == "error"]
    for message in failed:
        err.print(f"[yellow]error[/yellow] {escape(printable(message))}", highlight=False)
    if out_file is None:
        typer.echo(text, nl=False)
    err.print(f"assessed {len(results) - len(failed)} of {len(results)} formulations"
              + (f"; results in {out_file}" if out_file else ""), highlight=False)


def render(result: dict[str, Any], console: Any) -> None:
    from rich.markup import escape
    from rich.table import Table

    regime = result["regime"]
    console.print(f"[bold]{escape(result['formulation'])}[/bold]  score [bold]{result['score']}[/bold]")
    console.print(f"  regime: [bold]{regime['id'].removeprefix('regime-')}[/bold] — {escape(regime['reason'])} "
                  f"[dim]({regime['file']})[/dim]")
    a = result["amounts"]
    numbers = [f"{label} {a[key]}" for key, label in (("saltMolarity", "salt mol/L"), ("saltMolality", "mol/kg"),
                                                      ("solventToSalt", "solvent:salt"),
                                                      ("localSaltMolarity", "local mol/L")) if a.get(key) is not None]
    if numbers:
        console.print("  amounts: " + ", ".join(numbers))
    table = Table(show_edge=False)
    for col in ("component", "role", "mole fraction", "mechanisms (here)", "SEI products (here)"):
        table.add_column(col)
    for c in result["components"]:
        table.add_row(f"{escape(c['written'])} ({c['id']})", c["role"], str(c["moleFraction"] or "-"),
                      ", ".join(m["id"] for m in c["mechanisms"]) or "-",
                      ", ".join(p["id"] for p in c["seiProducts"]) or "-")
    console.print(table)
    for term in result["scoreBreakdown"] + result["tradeoffs"]:
        src = f"§{term['section']}" if term.get("section") else ""
        refs = " ".join(f"[{r}]" for r in term.get("references", []))
        console.print(f"  {term['points']:+.2f}  {escape(term['term'])}  [dim]{src} {escape(refs)}; "
                      f"{escape('; '.join(term['because']))}[/dim]")
    for densities in [a.get("densitiesUsed") or {}]:
        for sid, d in densities.items():
            console.print(f"  [dim]density of {sid}: {d['gPerMl']} g/mL ({escape(d['source'][:90])})[/dim]")
    for note in result["notAssessed"]:
        console.print(f"  [yellow]not assessed[/yellow]: {escape(note)}")
