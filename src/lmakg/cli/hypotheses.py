"""Commands that propose and evaluate multifunctional designs: ``hypotheses``, ``validate-hypotheses``."""

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
    from lmakg.hypotheses.generate import KINDS, generate
    from lmakg.hypotheses.render import render

    chosen = [k.strip() for k in kinds.split(",") if k.strip()]
    unknown = [k for k in chosen if k not in KINDS]
    if unknown or not chosen:
        fail(f"unknown hypothesis kind(s) {', '.join(unknown) or repr(kinds)}; use {', '.join(KINDS)}")
    knowledge = open_or_fail(store)
    wanted = None
    if mechanisms:
        wanted = [m.strip().removeprefix("lma:") for m in mechanisms.split(",") if m.strip()]
        for m in wanted:
            mechanism_iri(knowledge, m)
    found = generate(knowledge, top=top, mechanisms=wanted, novel_only=novel_only, kinds=tuple(chosen),
                     store_location=store)
    if json_out:
        typer.echo(json.dumps([h.as_dict() for h in found], indent=2, ensure_ascii=False))
        return
    render(found, make_console(), explain=explain_out)


def validate_hypotheses(json_out: JsonOption = False) -> None:
    """Leave-one-out over the review's own multifunctional designs: recall@10 and recall@50."""
    from lmakg.hypotheses.evaluate import leave_one_out

    console = make_console(stderr=True)
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
    out = make_console()
    out.print(table)
    out.print(f"among novel hypotheses: recall@10 = {report['recall@10']:.2f}, recall@50 = {report['recall@50']:.2f}; "
              f"among all: recall@10 = {report['recallAmongAll@10']:.2f}, recall@50 = "
              f"{report['recallAmongAll@50']:.2f} ({report['evaluated']} designs)")
