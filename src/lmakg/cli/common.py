"""Shared pieces of the command line: the app, common options, one-line errors, opening a store."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

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
    typer.Option("--store", help="Persistent store folder written by `lmakg build --store DIR`, or a SPARQL "
                 "server: sparql:QUERY_URL (README, SPARQL servers as stores). "
                 "Default: an in-memory store loaded from the packaged knowledge files."),
]


JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


class ResultFormat(StrEnum):
    table = "table"
    csv = "csv"
    tsv = "tsv"
    json = "json"
    xml = "xml"


SourceOption = Annotated[
    Path | None,
    typer.Option("--source", help="Folder holding the knowledge folders (ontology/, kg/, rules/, queries/) to use "
                 "instead of the checkout around the working folder or the installed copy."),
]


def use_source(source: Path | None) -> None:
    """Make ``--source DIR`` the knowledge folders of this run (as ``LMAKG_DATA`` does), or fail in one line."""
    if source is None:
        return
    missing = [name for name in ("ontology", "kg", "queries") if not (source / name).is_dir()]
    if missing:
        fail(f"--source {source}: no {', '.join(name + '/' for name in missing)} folder there; give the folder "
             "that holds ontology/, kg/ and queries/ (rules/ optional)")
    os.environ["LMAKG_DATA"] = str(source.resolve())


def make_console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, soft_wrap=False, width=200 if not sys.stdout.isatty() else None)


def printable(text: str) -> str:
    """User text made safe to print: bytes that are not UTF-8 (kept by Python as surrogates) shown as escapes."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one line ``error: MESSAGE`` on standard error and exit with ``code``.

    The message is escaped (a name like "[/]" is text, not Rich markup) and kept on one line however long."""
    from rich.markup import escape

    line = " ".join(printable(str(message)).split("\n"))
    make_console(stderr=True).print(f"[bold red]error:[/bold red] {escape(line)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


DEBUG = {"on": False}  # set by `lmakg --debug` (or LMAKG_DEBUG=1): show tracebacks instead of one line

# Exceptions that are about the user's input or environment (a bad value, file, store or server): exit 1.
# Anything else is a defect of lmakg: exit 2, still one line, and --debug shows where it happened.
USER_ERROR_TYPES = (OSError, ValueError, LookupError, UnicodeError)


def _user_error(exc: BaseException) -> bool:
    return isinstance(exc, USER_ERROR_TYPES) or type(exc).__module__.startswith("lmakg.") or \
        type(exc).__name__ in ("MarkupError",)


def guarded(command: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a command so no user error ends in a traceback: one line, a non-zero exit code, nothing else.

    Arguments that are not valid UTF-8 (a shell passing raw bytes) are refused first, naming the option."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        from typer.exceptions import Abort, Exit, TyperException

        for name, value in kwargs.items():
            values = value if isinstance(value, list) else [value]
            for item in values:
                if isinstance(item, str) and printable(item) != item:
                    fail(f"--{name.replace('_', '-')} is not valid UTF-8 text: {printable(item)!r}")
        try:
            return command(*args, **kwargs)
        except (Exit, Abort, TyperException):
            raise
        except KeyboardInterrupt:
            fail("interrupted", 130)
        except MemoryError:
            if DEBUG["on"]:
                raise
            fail("out of memory; the input is too large for this machine", 1)
        except Exception as exc:
            if DEBUG["on"] or os.environ.get("LMAKG_DEBUG") == "1":
                raise
            if _user_error(exc):
                fail(str(exc) or type(exc).__name__)
            fail(f"internal error ({type(exc).__name__}: {exc}); run `lmakg --debug ...` for the traceback "
                 f"and report it", 2)

    return run


def open_or_fail(store: str | None) -> Any:
    from lmakg.chemistry.materialize import open_knowledge
    from lmakg.knowledge.store import StoreError

    try:
        return open_knowledge(store)
    except StoreError as exc:
        fail(str(exc))


def mechanism_iri(knowledge: Any, name: str) -> str:
    from lmakg.knowledge.queries import run_engine_query
    from lmakg.knowledge.vocab import local_name

    known = {local_name(r["mechanism"].value): r["mechanism"].value
             for r in run_engine_query(knowledge, "mechanism-families")}
    key = name.removeprefix("lma:")
    if key not in known:
        fail(f"unknown mechanism {name!r}; known: {', '.join(sorted(known))}")
    return known[key]


WriteStoreOption = Annotated[
    str | None,
    typer.Option("--store", help="The persistent store folder (written by `lmakg build --store DIR`) to change, "
                 "or a SPARQL server: \"sparql:QUERY_URL#update=UPDATE_URL\"."),
]


def writable_store(store: str | None, command: str) -> str:
    if not store:
        fail(f"`lmakg {command}` changes a persistent store: give --store DIR (create one with "
              f"`lmakg build --store DIR`); without --store the other commands read the packaged files, "
              f"which additions do not change")
    return store
