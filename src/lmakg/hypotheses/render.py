"""Hypotheses printed for people: a ranked table, then each one's evidence down to the review."""

from __future__ import annotations

from typing import Any

from lmakg.hypotheses.model import Hypothesis


def render(found: list[Hypothesis], console: Any, explain: bool = False) -> None:
    """Print hypotheses for people: a ranked table, then (with ``explain``) each one's evidence."""
    from rich.markup import escape
    from rich.table import Table

    table = Table(show_edge=False)
    for col in ("#", "score", "id", "families", "novel", "trade-offs"):
        table.add_column(col)
    for rank, h in enumerate(found, start=1):
        table.add_row(str(rank), f"{h.score:.2f}", h.id, " + ".join(sorted(h.families)),
                      "yes" if h.novel else "published", str(len(h.tradeoffs)))
    console.print(table)
    if not explain:
        return
    for rank, h in enumerate(found, start=1):
        console.print(f"\n[bold]{rank}. {h.label}[/bold]  (score {h.score:.2f}, {'novel' if h.novel else 'published'})")
        if h.novelty:
            console.print(f"   novelty: {escape(h.novelty)}")
        for p in h.precedents.get("structure", []):
            console.print(escape(f"   nearest by structure: {p['component']} ~ {p['label']} "
                                 f"(Tanimoto {p['similarity']}) in {p['design']} §{p['section']}"))
        if h.precedents.get("mechanism"):
            m = h.precedents["mechanism"]
            console.print(escape(f"   nearest by mechanism: {m['design']} ({', '.join(m['families'])}; Jaccard "
                                 f"{m['jaccard']}) §{m['section']} " + " ".join(f"[{r}]" for r in m["references"])))
        for c in h.components:
            ident = " ".join(x for x in (c.get("smiles"), c.get("inchiKey")) if x)
            role = c.get("role") or "role proposed by pattern"
            console.print(f"   component: {c.get('label', c['id'])} ({role}) {ident}")
        for step in h.moves or []:
            principles = "; ".join(p["label"] for p in step["principles"])
            console.print(f"   move [magenta]{escape(step['label'])}[/magenta] (§{', §'.join(step['sections'])}): "
                          + escape(f"{step['fromLabel']} -> {step['to']} — serves: {principles}"))
        for fam, info in sorted(h.families.items()):
            console.print(f"   [cyan]{fam}[/cyan] strength {info['strength']:.2f}, {info['evidenceCount']} evidence, "
                          f"designs {', '.join(info['supportingDesigns']) or '-'}, refs "
                          f"{' '.join(f'[{r}]' for r in info['references']) or '-'}")
            for e in info["evidence"]:
                if e.kind == "user":
                    console.print(escape(f"      {e.via}: {e.mechanism} in {', '.join(e.designs)} ({e.weight})"))
                elif e.kind == "review":
                    console.print(f"      review: {e.mechanism} in {', '.join(e.designs)} §{e.section} "
                                  f"{' '.join(f'[{r}]' for r in e.references)}")
                else:
                    via = f" via {e.via}" if e.via else ""
                    console.print(f"      rule {e.rule} ({e.weight}){via}: {e.rule_label}"
                                  + (f" — {e.principle} §{e.section}" if e.principle else ""))
        for t in h.tradeoffs:
            where = f"§{t['section']}" if t.get("section") else (t.get("source") or "?")
            console.print(f"   [red]trade-off[/red] {escape(t['label'])} ({escape(where)})")
        for x in h.excluded:
            console.print(f"   [red]excluded[/red] {x['mechanism']}: {x['reason']}")
        for t in h.tests:
            what = t["mechanism"] or "every hypothesis"
            console.print("   [green]test[/green] " + escape(f"{what} — {t['procedure'].rstrip('.')}; "
                                                     f"refuted if: {t['refutingResult']} ({t['source']})"))
