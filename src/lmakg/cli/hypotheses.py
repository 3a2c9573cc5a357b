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
                                       "by the rules; about 2 s more than the other two), formulation (candidates "
                                       "in the review's base electrolytes, judged by lmakg assess; about 5 s), salt "
                                       "(new salts of the graph's cations and anions judged by the rules; about "
                                       "25 s).")]
    = "component,combination,molecule,formulation,salt",
    show_excluded: Annotated[bool, typer.Option("--show-excluded", help="Also list the hypotheses the candidate "
                                                "filters (kg/curator/filters.ttl) removed, with the filter.")] = False,
    exclude_toxic: Annotated[bool, typer.Option("--exclude-toxic", help="Remove hypotheses with toxic or regulated "
                                                "elements (As, Be, Cd, Hg, Pb, Tl) instead of listing the "
                                                "trade-off.")] = False,
    diverse: Annotated[int, typer.Option("--diverse", min=0, help="Keep at most K hypotheses of one kind, pattern "
                                         "(or template) and family set ahead of the rest (0: plain ranking).")] = 3,
    store: StoreOption = None,
) -> None:
    """Rank candidate multifunctional designs, each with its explanation, trade-offs and score."""
    from lmakg.hypotheses.generate import generate
    from lmakg.hypotheses.render import render

    chosen = _kinds(kinds)
    knowledge = open_or_fail(store)
    wanted = None
    if mechanisms:
        wanted = [m.strip().removeprefix("lma:") for m in mechanisms.split(",") if m.strip()]
        for m in wanted:
            mechanism_iri(knowledge, m)
    excluded: list[dict] = []
    found = generate(knowledge, top=top, mechanisms=wanted, novel_only=novel_only, kinds=tuple(chosen),
                     store_location=store, exclude_toxic=exclude_toxic, excluded_out=excluded, diverse=diverse)
    if json_out:
        hypotheses_out = [h.as_dict() for h in found]
        payload = {"hypotheses": hypotheses_out, "excluded": excluded} if show_excluded else hypotheses_out
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    console = make_console()
    render(found, console, explain=explain_out)
    if show_excluded:
        from rich.markup import escape

        console.print(f"[bold]Excluded by the candidate filters ({len(excluded)})[/bold]")
        for item in excluded:
            why = "; ".join(f"{f['label']}: {f['caught']}" for f in item["filters"])
            console.print(f"  {item['id']}  [dim]{escape(why)}[/dim]")


def _kinds(kinds: str) -> list[str]:
    from lmakg.hypotheses.generate import KINDS

    chosen = [k.strip() for k in kinds.split(",") if k.strip()]
    unknown = [k for k in chosen if k not in KINDS]
    if unknown or not chosen:
        fail(f"unknown hypothesis kind(s) {', '.join(unknown) or repr(kinds)}; use {', '.join(KINDS)}")
    return chosen


def validate_hypotheses(
    json_out: JsonOption = False,
    kinds: Annotated[str, typer.Option("--kinds", help="Comma-separated kinds to regenerate (as for `lmakg "
                                       "hypotheses`; every kind by default, about 45 s per design).")]
    = "component,combination,molecule,formulation,salt",
    diverse: Annotated[int, typer.Option("--diverse", min=0, help="As for `lmakg hypotheses` (the ranking "
                                         "measured is the one that command prints).")] = 3,
    store: StoreOption = None,
) -> None:
    """Leave-one-out over the review's own multifunctional designs (or a built store's, with --store): recall@10
    and recall@50."""
    from lmakg.hypotheses.evaluate import leave_one_out

    chosen = _kinds(kinds)
    source = open_or_fail(store) if store else None
    console = make_console(stderr=True)
    report = leave_one_out(progress=lambda m: console.print(f"[dim]{m}[/dim]"), kinds=tuple(chosen),
                           diverse=diverse, source=source)
    if json_out:
        typer.echo(json.dumps(report, indent=2))
        return
    from rich.table import Table

    table = Table(show_edge=False, title="leave-one-out over the review's multifunctional designs",
                  title_justify="left")
    for col in ("design", "species", "review families", "rank (all)", "rank (novel)", "hypothesis",
                "its families", "also removed"):
        table.add_column(col)
    for r in report["designs"]:
        table.add_row(r["design"], ", ".join(r["species"]), ", ".join(r["families"]),
                      f"{r['rankAmongAll']} / {r['candidates']}" if r["rankAmongAll"] else "not found",
                      f"{r['rank']} / {r['novelCandidates']}" if r["rank"] else "not novel" if r["rankAmongAll"]
                      else "not found",
                      f"{r['hypothesis']} ({r['kind']})" if r["hypothesis"] else "", ", ".join(r["hypothesisFamilies"]),
                      ", ".join(n for n in r["removed"] if n != r["design"]) or "-")
    out = make_console()
    out.print(table)
    out.print(f"among all hypotheses: recall@10 = {report['recallAmongAll@10']:.2f}, recall@50 = "
              f"{report['recallAmongAll@50']:.2f}; among novel ones: recall@10 = {report['recall@10']:.2f}, "
              f"recall@50 = {report['recall@50']:.2f} ({report['evaluated']} designs; kinds "
              f"{', '.join(report['kinds'])}; --diverse {report['diverse']})")
