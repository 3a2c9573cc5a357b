"""Commands of the rule engine: ``infer``, ``rules``, ``why``."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from lmakg.cli.common import (
    JsonOption,
    StoreOption,
    fail,
    make_console,
    mechanism_iri,
    open_or_fail,
)


def infer(
    store: Annotated[str | None, typer.Option("--store", help="Re-run the rules on this persistent store "
                                              "(its inferred, perceived and provenance graphs are replaced).")] = None,
    json_out: JsonOption = False,
) -> None:
    """Perceive structures (RDKit) and run the rule modules to a fixpoint; inferences go to their own graph."""
    from lmakg.chemistry.materialize import materialize
    from lmakg.curation.additions import AdditionError, rerun_rules
    from lmakg.knowledge.load import load_knowledge
    from lmakg.knowledge.store import StoreError, open_store
    from lmakg.knowledge.storedir import StoreBusyError
    from lmakg.reasoning.rules import RuleError

    console = make_console(stderr=True)

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
        fail(str(exc))
    data = {"rules": result.rules, "added": result.added, "derivations": result.derivations,
            "iterations": result.iterations, "seconds": round(result.seconds, 3),
            "perRule": {k: v for k, v in sorted(result.per_rule.items()) if v}}
    if json_out:
        typer.echo(json.dumps(data, indent=2))
        return
    typer.echo(f"{result.rules} rules, fixpoint after {result.iterations} iterations: {result.added} inferred "
               f"triples, {result.derivations} derivations in {result.seconds:.2f} s"
               + (f" (store {store})" if store else " (in memory; use --store DIR to keep them)"))


def list_rules(json_out: JsonOption = False) -> None:
    """List the rule modules' rules: id, kind, mechanism, principle, section, confidence."""
    from lmakg.reasoning.rules import RuleError, load_rules, rule_summary

    try:
        rows = rule_summary(load_rules())
    except RuleError as exc:
        fail(str(exc))
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
    make_console().print(table)


def why(
    terms: Annotated[list[str], typer.Argument(help="NAME MECHANISM (e.g. 'Cs+' ElectrostaticShielding), or "
                                               "SUBJECT PREDICATE OBJECT (names, prefixed names or IRIs).")],
    json_out: JsonOption = False,
    full: Annotated[bool, typer.Option("--full", help="Every premise as stored: blank-node components and "
                                       "quantities, constants and class-hierarchy derivations (folded by "
                                       "default).")] = False,
    store: StoreOption = None,
) -> None:
    """Print the derivation tree of a prediction down to asserted facts, review sections and references."""
    from lmakg.knowledge.show import NameLookupError, resolve
    from lmakg.knowledge.store import Term
    from lmakg.reasoning.explain import explain, explain_mechanism, render

    if len(terms) not in (2, 3):
        fail("give NAME MECHANISM or SUBJECT PREDICATE OBJECT")
    knowledge = open_or_fail(store)
    try:
        subject = resolve(knowledge, terms[0])
        if len(terms) == 2:
            mechanism = mechanism_iri(knowledge, terms[1])
            tree = explain_mechanism(knowledge, subject, mechanism)
        else:
            predicate = terms[1] if ":" in terms[1] else "lma:" + terms[1]
            predicate_iri = resolve(knowledge, predicate)
            obj = resolve(knowledge, terms[2])
            tree = explain(knowledge, Term("uri", subject), Term("uri", predicate_iri), Term("uri", obj))
    except NameLookupError as exc:
        hint = "; did you mean: " + ", ".join(label for label, _ in exc.candidates) if exc.candidates else ""
        fail(f"{exc}{hint}")
    if not full:
        from lmakg.reasoning.condense import condense

        tree = condense(tree)
    if json_out:
        typer.echo(json.dumps(tree, indent=2, ensure_ascii=False))
    else:
        render(tree, make_console())
