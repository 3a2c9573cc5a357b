"""Commands that bring knowledge in and check it: ``build``, ``validate``, ``stats``, and users' own graphs
(``add``, ``graphs``, ``remove``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from lmakg.cli.common import (
    JsonOption,
    SourceOption,
    StoreOption,
    WriteStoreOption,
    fail,
    make_console,
    open_or_fail,
    use_source,
    writable_store,
)


def build(
    store: Annotated[str | None, typer.Option("--store", help="Write a persistent store to this folder "
                                              "(replaced atomically; left untouched if the build fails).")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Folder for the release artifacts "
                                             "(lmakg.ttl, lmakg.nt, lmakg.jsonld, lmakg.owl).")] = Path("build"),
    no_artifacts: Annotated[bool, typer.Option("--no-artifacts", help="Do not write release artifacts.")] = False,
    source: SourceOption = None,
) -> None:
    """Validate the ontology and the curated graph (Turtle, SHACL, RDKit), load the store, write artifacts."""
    from lmakg.curation.build import BuildError
    from lmakg.curation.build import build as run_build
    from lmakg.knowledge.store import StoreError

    use_source(source)
    console = make_console(stderr=True)
    try:
        result = run_build(store, None if no_artifacts else out, progress=lambda m: console.print(f"[dim]{m}[/dim]"))
    except BuildError as exc:
        for issue in exc.report.issues:
            console.print(str(issue), highlight=False, markup=False)
        fail(f"build failed: {exc}; nothing was written")
    except (StoreError, OSError) as exc:
        fail(str(exc))
    console.print(f"[green]{result.report.summary()}[/green]")
    typer.echo(f"store: {result.store or 'in memory (use --store DIR to keep it)'}; {result.triples} triples")
    for path in result.artifacts:
        typer.echo(f"wrote {path}")


def validate(
    files: Annotated[list[Path] | None, typer.Argument(help="Knowledge files to report on (default: all). "
                                                       "The rest of the knowledge is loaded as context.")] = None,
    source: SourceOption = None,
) -> None:
    """Validate knowledge files and list every problem with file, line, node and constraint."""
    from lmakg.curation.validate import validate_files
    from lmakg.knowledge import resources
    from lmakg.knowledge.resources import knowledge_files

    use_source(source)
    for path in files or []:
        if not path.exists():
            fail(f"no such file: {path}")
    known = {f.resolve() for f in knowledge_files()}
    extra = [f for f in files or [] if f.resolve() not in known]
    report = validate_files(knowledge_files() + extra, report_only=files or None)
    for issue in report.issues:
        typer.echo(str(issue))
    typer.echo(report.summary())
    make_console(stderr=True).print(f"[dim]knowledge folders: {resources.data_dir()}[/dim]", highlight=False)
    if not report.conforms:
        raise typer.Exit(1)


def stats(
    json_out: JsonOption = False,
    store: StoreOption = None,
    no_validate: Annotated[bool, typer.Option("--no-validate", help="Skip the SHACL run.")] = False,
) -> None:
    """Counts of designs, species, quantities, references and triples, and the SHACL result."""
    from lmakg.curation.stats import collect, render

    result = collect(open_or_fail(store), with_validation=not no_validate)
    if json_out:
        typer.echo(json.dumps(result, indent=2))
    else:
        render(result, make_console())


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
    from lmakg.curation.additions import AdditionError, InvalidAddition
    from lmakg.curation.additions import add as run_add
    from lmakg.knowledge.store import StoreError
    from lmakg.knowledge.storedir import StoreBusyError

    console = make_console(stderr=True)
    location = writable_store(store, "add")
    try:
        added, inferred = run_add(file, location, name=name, replace=replace,
                                  progress=lambda m: console.print(f"[dim]{m}[/dim]", highlight=False))
    except InvalidAddition as exc:
        if json_out:
            typer.echo(json.dumps({"added": False, "violations": [str(i) for i in exc.issues]}, indent=2,
                                  ensure_ascii=False))
        for issue in exc.issues:
            typer.echo(str(issue), err=True)  # one line each, never wrapped
        fail(str(exc))
    except (AdditionError, StoreBusyError, StoreError, OSError) as exc:
        fail(str(exc))
    if json_out:
        typer.echo(json.dumps({"added": True, **added.as_dict(), "inferredTriples": inferred}, indent=2,
                              ensure_ascii=False))
        return
    typer.echo(f"added {added.triples} triples from {added.file} as <{added.graph}>; rules re-run: "
               f"{inferred} inferred triples")


def graphs(store: WriteStoreOption = None, json_out: JsonOption = False) -> None:
    """List your additions: graph IRI, name, file, time added, triples."""
    from lmakg.curation.additions import AdditionError, additions_in
    from lmakg.knowledge.store import StoreError

    try:
        found = additions_in(writable_store(store, "graphs"))
    except (AdditionError, StoreError) as exc:
        fail(str(exc))
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
    make_console().print(table)


def remove(
    graph: Annotated[str, typer.Argument(help="The addition's name or its full graph IRI (see `lmakg graphs`).")],
    store: WriteStoreOption = None,
) -> None:
    """Remove one of your additions and its provenance, and re-run the rules (all or nothing)."""
    from lmakg.curation.additions import AdditionError
    from lmakg.curation.additions import remove as run_remove
    from lmakg.knowledge.store import StoreError
    from lmakg.knowledge.storedir import StoreBusyError

    console = make_console(stderr=True)
    location = writable_store(store, "remove")
    try:
        removed, inferred = run_remove(graph, location,
                                       progress=lambda m: console.print(f"[dim]{m}[/dim]", highlight=False))
    except (AdditionError, StoreBusyError, StoreError, OSError) as exc:
        fail(str(exc))
    typer.echo(f"removed {removed.name} <{removed.graph}> ({removed.triples} triples from {removed.file}); "
               f"rules re-run: {inferred} inferred triples")
