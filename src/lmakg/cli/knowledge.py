"""Commands that ask the graph: ``sparql``, ``queries``, ``query``, ``show``."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from lmakg.cli.common import (
    JsonOption,
    ResultFormat,
    StoreOption,
    fail,
    make_console,
    open_or_fail,
)


def sparql(
    query: Annotated[str, typer.Argument(help="SPARQL query text, or a path to a .rq file.")],
    fmt: Annotated[ResultFormat, typer.Option("--format", "-f", help="Result format.")] = ResultFormat.table,
    store: StoreOption = None,
    allow_service: Annotated[bool, typer.Option("--allow-service", help="Let the query fetch from other servers "
                                                "(SERVICE, LOAD); refused by default.")] = False,
    timeout: Annotated[float, typer.Option("--timeout", min=0.1, help="Seconds the query may run before lmakg "
                                           "stops it (exit code 3).")] = 60.0,
) -> None:
    """Run a SPARQL 1.1 query over the asserted (and inferred) graph."""
    from lmakg.server.protocol import remote_operations, too_complex

    path = Path(query)
    text = query
    if query.endswith(".rq") or (len(query) < 255 and path.is_file()):
        if not path.is_file():
            fail(f"no such query file: {query}")
        text = path.read_text(encoding="utf-8")
    reason = too_complex(text)
    if reason:
        fail(f"malformed SPARQL query: {reason}")
    remote = remote_operations(text)
    if remote and not allow_service:
        fail(f"the query uses {' and '.join(remote)}, which fetches from other servers; refused unless "
             f"--allow-service is given")
    knowledge = open_or_fail(store)
    stopper = _stop_after(timeout)
    try:
        _run_and_print(knowledge, text, fmt)
    finally:
        stopper.cancel()


def _stop_after(seconds: float) -> Any:
    """A timer that ends the process with one line when a query runs too long (the store cannot cancel a
    running query, and ending the process is what really stops it)."""
    import threading

    def stop() -> None:
        sys.stdout.flush()
        sys.stderr.write(f"error: the query ran longer than --timeout {seconds:g} s and was stopped\n")
        sys.stderr.flush()
        os._exit(3)

    timer = threading.Timer(seconds, stop)
    timer.daemon = True
    timer.start()
    return timer


def _run_and_print(knowledge: Any, text: str, fmt: ResultFormat, bindings: dict[str, Any] | None = None) -> None:
    from lmakg.knowledge.store import QuerySyntaxError

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
        fail(f"SPARQL syntax error: {exc}")
    sys.stdout.write(data.decode("utf-8"))
    if not data.endswith(b"\n"):
        sys.stdout.write("\n")


def _print_table(rows: list[dict[str, Any]]) -> None:
    from rich.table import Table

    from lmakg.knowledge.vocab import shorten

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
    console = make_console()
    console.print(table)
    console.print(f"[dim]{len(rows)} row(s)[/dim]")


def list_named_queries(json_out: JsonOption = False) -> None:
    """List the named queries in queries/ with the question each answers."""
    from lmakg.knowledge.queries import list_queries

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
    make_console().print(table)


def query(
    name: Annotated[str, typer.Argument(help="Name of a query in queries/ (see `lmakg queries`).")],
    fmt: Annotated[ResultFormat, typer.Option("--format", "-f", help="Result format.")] = ResultFormat.table,
    store: StoreOption = None,
) -> None:
    """Run a named query."""
    from lmakg.knowledge.queries import UnknownQueryError, get_query

    try:
        named = get_query(name)
    except UnknownQueryError as exc:
        fail(str(exc))
    if fmt == ResultFormat.table:
        make_console(stderr=True).print(f"[bold]{named.title}[/bold]")
    _run_and_print(open_or_fail(store), named.text, fmt)


def show(
    name: Annotated[str, typer.Argument(help="A label, abbreviation or synonym (case-insensitive), "
                                        "a prefixed name (lmk:FEC) or an IRI.")],
    json_out: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """Show everything known about a species, design, mechanism, principle or reference."""
    from lmakg.knowledge.show import NameLookupError, describe, render, resolve

    knowledge = open_or_fail(store)
    try:
        desc = describe(knowledge, resolve(knowledge, name))
    except NameLookupError as exc:
        hint = ""
        if exc.candidates:
            hint = "; did you mean: " + ", ".join(f"{label} ({iri.rsplit('/', 1)[-1].rsplit('#', 1)[-1]})"
                                                  for label, iri in exc.candidates)
        fail(f"{exc}{hint}")
    if json_out:
        typer.echo(json.dumps(desc, indent=2, ensure_ascii=False))
    else:
        render(desc, make_console())
