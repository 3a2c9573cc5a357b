"""``POST /api/assess``: formulations judged as wholes (:mod:`lmakg.formulations.assess`) for the workbench's
Assess page, ranked by score.

The request is JSON, ``{"formulations": ["1.2 M LiFSI in DME/TTE (1:2 v/v)", ...]}`` (an item holding several
lines counts as one formulation a line; blank lines are skipped). The answer lists the assessed formulations
first, best score first (ties in input order), each with its ``rank``; then the lines that could not be
assessed, in input order, each ``{"line", "formulation", "status": "error", "error"}`` with the assessor's
one-line message. Every result keeps its input ``line`` number. ``sources`` gives the title of every review
section and the citation of every reference the results mention.

One Assessor per store is built on first use (it loads and reasons over the graph, about a second) and kept;
it is not thread-safe, so requests take turns (:class:`lmakg.server.api.Guarded`). A formulation takes about
0.4 s, so a request may hold at most :data:`MAX_FORMULATIONS` (HTTP 413 beyond that).
"""

from __future__ import annotations

from typing import Any, Protocol

from lmakg.server.api import BadRequest, Guarded, TooLarge, collect_sources

MAX_FORMULATIONS = 200  # lines per request: about 0.4 s each, so at most a minute and a half
MAX_LINE_CHARS = 500  # a longer line is reported as an error row, not parsed


class AssessEntry(Protocol):
    """What :func:`api_assess` reads: the guarded Assessor and the node index (section titles, citations)."""

    assessor: Guarded
    index: dict[str, Any]


def build_assessor(location: str | None) -> Any:
    """The Assessor for a ``--store`` folder (copied into memory), or for the packaged graph (None)."""
    from lmakg.formulations.assess import Assessor

    return Assessor(location)


def formulation_lines(params: dict[str, list[str]]) -> list[str]:
    """The non-blank lines of every ``formulations`` item, stripped, in order."""
    lines = [line.strip() for item in params.get("formulations", []) for line in item.splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        raise BadRequest('no formulations: send {"formulations": ["1.2 M LiFSI in DME/TTE (1:2 v/v)", ...]}, '
                         "one formulation a line")
    if len(lines) > MAX_FORMULATIONS:
        raise TooLarge(f"{len(lines)} formulations in one request; at most {MAX_FORMULATIONS} "
                       "(split the list into several requests)")
    return lines


def _assess_one(assessor: Any, text: str) -> dict[str, Any]:
    from lmakg.formulations.assess import AssessError

    if len(text) > MAX_LINE_CHARS:
        return {"formulation": text[:80] + "…", "status": "error",
                "error": f"line of {len(text)} characters; a formulation may have at most {MAX_LINE_CHARS}"}
    try:
        return assessor.assess(text)
    except AssessError as exc:
        return {"formulation": text, "status": "error", "error": str(exc)}


def api_assess(params: dict[str, list[str]], entry: AssessEntry) -> dict[str, Any]:
    lines = formulation_lines(params)
    seen: dict[str, dict[str, Any]] = {}
    with entry.assessor.use() as assessor:
        for text in lines:
            if text not in seen:
                seen[text] = _assess_one(assessor, text)
    results = [{"line": n, **seen[text]} for n, text in enumerate(lines, start=1)]
    ranked = sorted((r for r in results if r["status"] == "ok"), key=lambda r: (-r["score"], r["line"]))
    for rank, result in enumerate(ranked, start=1):
        result["rank"] = rank
    failed = [r for r in results if r["status"] != "ok"]
    return {"count": len(results), "assessed": len(ranked), "failed": len(failed),
            "maxFormulations": MAX_FORMULATIONS, "results": ranked + failed,
            "sources": collect_sources(entry.index, ranked)}
