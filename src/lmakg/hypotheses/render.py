"""Hypotheses printed for people: a ranked table (what it is, how its score adds up, the filters it passed, its
nearest precedent and a test), then with ``--explain`` each one's evidence down to the review."""

from __future__ import annotations

from typing import Any

from lmakg.hypotheses.model import Hypothesis
from lmakg.knowledge.vocab import local_name


def render(found: list[Hypothesis], console: Any, explain: bool = False) -> None:
    """Print hypotheses for people: a ranked table, then (with ``explain``) each one's evidence."""
    from rich.markup import escape
    from rich.table import Table

    table = Table(show_edge=False, show_lines=True)
    for col, width in (("#", None), ("hypothesis", 40), ("score", 34), ("filters", 22), ("nearest precedent", 34),
                       ("a test", 48)):
        table.add_column(col, max_width=width, overflow="fold")
    for rank, h in enumerate(found, start=1):
        what = (f"[bold]{escape(h.label)}[/bold]\n{h.kind} · {'novel' if h.novel else 'published'} · "
                f"{escape(h.id)}")
        table.add_row(str(rank), what, escape(score_text(h)), escape(filters_text(h)), escape(precedent_text(h)),
                      escape(test_text(h)))
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


# why a hypothesis's assess gain is not judged, by kind (lmakg assess reads formulations of named components)
NOT_JUDGED = {"salt": "a new salt has no component data for assess",
              "molecule": "a new molecule has no component data for assess"}


def score_text(h: Hypothesis) -> str:
    """How the score adds up (:func:`lmakg.hypotheses.generate.rescore`)."""
    b = h.breakdown
    if not b:
        return f"{h.score:.2f}"
    families = " + ".join(f"{fam} {s:.2f}" for fam, s in b["families"].items())
    factor = f"{b['patternConfidence']:g} x ({families})" if b["patternConfidence"] != 1 else families
    lines = [f"{b['score']:.2f} = {b['evidence']:.2f} evidence: {factor}"]
    if b["tradeoffs"]:
        lines.append(f"{b['tradeoffPenalty']:+.2f} for {b['tradeoffs']} trade-off(s)")
    if b["assessGain"] is not None:
        a = h.assessment or {}
        absolute = (f" ({a['score']:.2f} vs {a['baseScore']:.2f})" if a.get("score") is not None
                    and a.get("baseScore") is not None else "")
        lines.append(f"{b['assess']:+.2f} assess: {b['assessGain']:+.2f} over {a.get('base')}{absolute}")
    else:
        lines.append(f"assess: not judged ({NOT_JUDGED.get(h.kind, 'no formulation')})")
    return "\n".join(lines)


def filters_text(h: Hypothesis) -> str:
    """The candidate filters passed, and those kept as trade-offs."""
    flagged = [t for t in h.tradeoffs if t.get("how", "").startswith("candidate filter")]
    passed = [f.removeprefix("filter-") for f in h.filters_passed if f not in {t["id"] for t in flagged}]
    return "\n".join([f"passed: {', '.join(passed) or 'none'}", *(f"trade-off: {t['label']}" for t in flagged)])


def precedent_text(h: Hypothesis) -> str:
    """The nearest precedent of what the hypothesis proposes: by structure (of the candidate, not of a base
    electrolyte it is tried in) and by mechanism set."""
    structure = h.precedents.get("structure", [])
    own = {local_name(m) for m in h.members}
    candidates = [p for p in structure if p["component"] in own] or structure
    lines = []
    if candidates:
        p = min(candidates, key=lambda p: p["similarity"])  # the least known part is what is new
        same = p["similarity"] >= 1.0 and p["component"] == p["species"]
        name = p["component"]
        if h.kind == "molecule":  # a designed molecule's id is its InChIKey block: name it by its structure
            name = next((c["label"] for c in h.components if c["id"] == name), name)
        lines.append(f"{name}: " + (f"itself in {p['design']} §{p['section']}" if same else
                                              f"{p['species']} (Tanimoto {p['similarity']:.2f}) in {p['design']} "
                                              f"§{p['section']}"))
    m = h.precedents.get("mechanism")
    if m:
        refs = " ".join(f"[{r}]" for r in m["references"])
        lines.append(f"mechanisms: {m['design']} (Jaccard {m['jaccard']:.2f}) §{m['section']} {refs}".rstrip())
    return "\n".join(lines) or "none found"


def test_text(h: Hypothesis) -> str:
    """The first experimental test for it (every one with --explain)."""
    if not h.tests:
        return "none recorded for its mechanisms"
    t = h.tests[0]
    more = f"\n(+{len(h.tests) - 1} more with --explain)" if len(h.tests) > 1 else ""
    return f"{t['label']}; refuted if: {t['refutingResult']} ({t['source']}){more}"
