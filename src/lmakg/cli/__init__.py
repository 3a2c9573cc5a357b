"""The ``lmakg`` command line, assembled in one place: every command, in the order ``lmakg --help`` lists it.

Why thin: each area module (``lmakg.cli.curation``, ``.knowledge``, ``.reasoning``, ``.chemistry``,
``.hypotheses``, ``.graph``, ``.server``) parses its options, calls one function of the engine, and prints;
shared options and the one-line error live in :mod:`lmakg.cli.common`. Heavy imports (RDKit, pySHACL,
owlready2) happen inside the engine modules that need them, so ``lmakg --help`` stays instant. Errors are one
line naming the bad value and exit with a non-zero code.
"""

from __future__ import annotations

from typing import Annotated

import typer

from lmakg import __version__
from lmakg.cli import chemistry, curation, formulations, graph, hypotheses, knowledge, reasoning, server
from lmakg.cli.common import DEBUG, app, guarded

COMMANDS = [  # (command name, function)
    ("build", curation.build),
    ("validate", curation.validate),
    ("sparql", knowledge.sparql),
    ("queries", knowledge.list_named_queries),
    ("query", knowledge.query),
    ("show", knowledge.show),
    ("stats", curation.stats),
    ("infer", reasoning.infer),
    ("rules", reasoning.list_rules),
    ("why", reasoning.why),
    ("hypotheses", hypotheses.hypotheses),
    ("validate-hypotheses", hypotheses.validate_hypotheses),
    ("predict", chemistry.predict),
    ("assess", formulations.assess),
    ("add", curation.add),
    ("graphs", curation.graphs),
    ("remove", curation.remove),
    ("design", chemistry.design),
    ("export", graph.export),
    ("viz", graph.viz),
    ("serve", server.serve),
]
GRAPH_COMMANDS = [  # lmakg graph ...
    ("stats", graph.graph_stats),
    ("paths", graph.graph_paths),
]

for _name, _command in COMMANDS:
    app.command(_name)(guarded(_command))
for _name, _command in GRAPH_COMMANDS:
    graph.graph_app.command(_name)(guarded(_command))
app.add_typer(graph.graph_app, name="graph")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"lmakg {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show the full traceback of an error instead of "
                                        "one line.")] = False,
) -> None:
    """lmakg command line."""
    DEBUG["on"] = debug


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
