"""Commands that judge new structures: ``predict`` (one SMILES or a CSV screen) and ``design`` (design moves)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from lmakg.cli.common import (
    JsonOption,
    StoreOption,
    fail,
    make_console,
    printable,
)


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
    workers: Annotated[int | None, typer.Option("--workers", min=1, help="batch mode: judge blocks of rows on a "
                                                "local Dask cluster of N processes (needs lmakg[scale])")] = None,
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="batch mode: judge blocks of rows on the "
                                                  "Dask cluster at this address, e.g. tcp://10.0.0.5:8786")] = None,
    store: StoreOption = None,
    json_out: JsonOption = False,
) -> None:
    """Predict mechanisms, SEI products and conflicts for a molecule or salt (or a CSV of them), with
    explanations."""
    from lmakg.chemistry.candidates import Candidate, PredictionInputError, parse_concentration, parse_property
    from lmakg.hypotheses import joins
    from lmakg.knowledge.store import StoreError

    if (smiles is None) == (file is None):
        fail("give either --smiles SMILES or --file CANDIDATES.csv")
    if file is not None:
        _predict_batch(file, out_file, out_format or ("json" if json_out else None), store, workers, scheduler)
        return
    if workers is not None or scheduler is not None:
        fail("--workers and --scheduler apply to a batch screen (--file CANDIDATES.csv)")
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
        result = joins.predictor(store).predict(candidate)
    except (PredictionInputError, StoreError) as exc:
        fail(str(exc))
    if "error" in result:
        fail(result["error"])
    if json_out:
        typer.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    from rich.markup import escape

    out = make_console()
    out.print(f"[bold]{escape(printable(name or smiles))}[/bold]  {result['inchiKey']}  "
              f"charge {result['formalCharge']}")
    out.print(f"  elements: {', '.join(result['elements'])}; features: {', '.join(result['features']) or '-'}; "
              f"F mass fraction {result['fMassFraction']:.2f}")
    for m in result["mechanisms"]:
        designs = ", ".join(d["design"] for d in m["supportingDesigns"]) or "-"
        out.print(f"  [green]{m['id']}[/green] ({escape(m['of'])}) by {', '.join(m['rules'])}; "
                  f"review designs: {designs}")
    for r in result["ruledOut"]:
        out.print(f"  [red]ruled out[/red] {r['mechanism']} for {escape(r['species'])}")
    if result["forms"]:
        out.print(f"  forms: {', '.join(result['forms'])}")
    for d in result["derived"]:
        out.print(f"  derived {d['kind']} of {escape(d['of'])} = {d['value']:.4g} {d['unit']} ({d['rule']})")
    if result["conflicts"]:
        out.print(f"  trade-offs: {', '.join(result['conflicts'])}")
    for h in result["hypotheses"]:
        out.print(f"  hypothesis {h['id']}: {' + '.join(h['families'])} (score {h['score']})")
    for note in result["notAssessed"]:
        out.print(f"  [dim]{note}[/dim]")


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

    from lmakg.chemistry.design import design as run_design
    from lmakg.chemistry.design import render
    from lmakg.chemistry.moves import DesignInputError
    from lmakg.knowledge.store import StoreError

    wanted = [m for m in moves.split(",") if m.strip()] if moves else None
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=make_console(stderr=True), transient=True)
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
        fail(str(exc))
    bar.stop()
    if json_out:
        typer.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    render(report, make_console())


def _predict_batch(file: Path, out_file: Path | None, out_format: str | None, store: str | None,
                   workers: int | None = None, scheduler: str | None = None) -> None:
    """`lmakg predict --file`: screen a CSV of candidates with a progress bar, streaming (rows are read, judged and
    written a block at a time; the output file appears whole at the end or not at all). Bad rows are reported
    (file:line: message) and kept in the output with status 'error', the others are judged. With --workers or
    --scheduler the blocks are judged on a Dask cluster, in the same order and with the same results."""
    import sys

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from lmakg.chemistry.candidates import PredictionInputError
    from lmakg.chemistry.screening import ResultWriter, count_rows, iter_screen
    from lmakg.hypotheses import joins
    from lmakg.knowledge.store import StoreError

    fmt = out_format or (out_file.suffix.lstrip(".").lower() if out_file is not None else "csv")
    if fmt not in ("csv", "json"):
        fail(f"unknown output format {fmt!r} (from --format or the --out extension); use csv or json")
    if workers is not None and scheduler is not None:
        fail("give either --workers N (a local Dask cluster) or --scheduler ADDRESS (an existing one), not both")
    err = make_console(stderr=True)
    judged = failed = 0
    client = None
    try:
        total = count_rows(file)
        with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeRemainingColumn(), console=err, transient=True) as bar, \
                ResultWriter(out_file, fmt, stream=sys.stdout) as out:
            task = bar.add_task("loading the reasoned graph", total=total)

            def progress(done: int) -> None:
                bar.update(task, completed=done)

            if workers is not None or scheduler is not None:
                from lmakg.chemistry.scaleout import client_for, iter_screen_dask

                bar.update(task, description="starting Dask workers" if workers else "connecting to Dask")
                client = client_for(workers, scheduler)
                bar.update(task, description="judging candidates on Dask")
                results = iter_screen_dask(file, joins.predictor, store, client, progress=progress,
                                           inchikeys=fmt == "json")
            else:
                predictor = joins.predictor(store)
                bar.update(task, description="judging candidates")
                results = iter_screen(file, predictor, progress=progress, inchikeys=fmt == "json")
            for result in results:
                out.write(result)
                judged += 1
                if "error" in result:
                    failed += 1
                    bar.console.print(f"[yellow]skipped[/yellow] {result['error']}", highlight=False)
    except (PredictionInputError, StoreError) as exc:
        fail(str(exc))
    finally:
        if client is not None:
            cluster = client.cluster
            client.close()
            if cluster is not None and workers is not None:
                cluster.close()
    err.print(f"judged {judged - failed} of {judged} candidates"
              + (f"; results in {out_file}" if out_file else ""), highlight=False)
