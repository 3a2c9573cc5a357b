"""Batch screening for ``lmakg predict --file``: a CSV of candidates in, one result per row out.

A bad row is reported as ``file:line: message`` and kept with ``status=error``; the output file is written
whole or not at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lmakg.chemistry.candidates import (
    PROPERTY_UNITS,
    Candidate,
    PredictionInputError,
    parse_concentration,
    parse_property,
)
from lmakg.chemistry.predict import Predictor

CSV_COLUMNS = ("name", "smiles", "role", "concentration", "electrolyte", *PROPERTY_UNITS)
RESULT_COLUMNS = ("line", "name", "smiles", "role", "concentration", "status", "error", "features", "mechanisms",
                  "forms", "ruled_out", "conflicts", "derived", "hypotheses", "best_hypothesis_score",
                  "not_assessed")


def read_candidates(path: str | Path) -> list[tuple[int, Candidate | str, dict[str, str]]]:
    """Candidates from a CSV file with a header row: ``smiles`` (required), ``name``, ``role``,
    ``concentration`` (e.g. 0.05M), ``electrolyte`` and property columns (``lumo``, ``homo``,
    ``binding-energy``... each a value with its unit, e.g. "-0.9 eV"). Returns (line number, candidate or
    error message, the row's cells) per data row, so one bad row does not stop a screening run. A file that cannot be
    read, has no ``smiles`` column or has an unknown column raises :class:`PredictionInputError`."""
    import csv

    path = Path(path)
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise PredictionInputError(f"cannot read {path}: {exc.strerror}") from exc
    with handle:
        reader = csv.DictReader(handle)
        try:
            fieldnames = reader.fieldnames or []
        except (csv.Error, UnicodeDecodeError) as exc:
            raise PredictionInputError(f"{path}:1: not a readable CSV file (UTF-8 text expected): {exc}") from exc
        header = [h.strip().lower().replace("_", "-") for h in fieldnames]
        if "smiles" not in header:
            raise PredictionInputError(f"{path}:1: no 'smiles' column (columns: {', '.join(header) or 'none'})")
        unknown = [h for h in header if h not in CSV_COLUMNS]
        if unknown:
            raise PredictionInputError(f"{path}:1: unknown column {unknown[0]!r}; known: {', '.join(CSV_COLUMNS)}")
        reader.fieldnames = header
        rows: list[tuple[int, Candidate | str, dict[str, str]]] = []
        try:
            for record in reader:
                line = reader.line_num
                cells = {k: (v or "").strip() for k, v in record.items() if k is not None}
                try:
                    if not cells.get("smiles"):
                        raise PredictionInputError("empty smiles")
                    candidate = Candidate(smiles=cells["smiles"], name=cells.get("name") or None,
                                          role=cells.get("role") or None,
                                          concentration=parse_concentration(cells.get("concentration") or None),
                                          electrolyte=cells.get("electrolyte") or None)
                    for option in PROPERTY_UNITS:
                        if cells.get(option):
                            kind, number, unit = parse_property(option, cells[option])
                            candidate.properties[kind] = number
                            candidate.units[kind] = unit
                    rows.append((line, candidate, cells))
                except PredictionInputError as exc:
                    rows.append((line, f"{path}:{line}: {exc}", cells))
        except (csv.Error, UnicodeDecodeError) as exc:
            raise PredictionInputError(f"{path}:{reader.line_num}: not a readable CSV file: {exc}") from exc
    return rows


def screen(path: str | Path, predictor: Predictor, progress: Any = None) -> list[dict[str, Any]]:
    """Judge every row of a candidates CSV; rows with bad input carry their error (file:line: message)."""
    rows = read_candidates(path)
    judged = iter(predictor.predict_many([c for _, c, _ in rows if isinstance(c, Candidate)], progress=progress))
    results = []
    for line, c, cells in rows:
        if isinstance(c, Candidate):
            result = next(judged)
            if "error" in result:
                result["error"] = f"{path}:{line}: {result['error']}"
        else:
            result = {"input": {"smiles": cells.get("smiles", ""), "name": cells.get("name") or None,
                                "role": cells.get("role", ""), "concentration": cells.get("concentration") or None},
                      "error": c}
        result["line"] = line
        results.append(result)
    return results


def result_row(result: dict[str, Any]) -> dict[str, Any]:
    """One result as a flat CSV row (lists joined with '; ')."""
    given = result.get("input", {})
    row: dict[str, Any] = {"line": result.get("line", ""), "name": given.get("name") or "",
                           "smiles": given.get("smiles", ""), "role": given.get("role", ""),
                           "concentration": given.get("concentration") or ""}
    if "error" in result:
        return {**row, "status": "error", "error": result["error"]}
    join = "; ".join
    hypotheses = result.get("hypotheses", [])
    return {**row, "status": "ok", "error": "",
            "features": join(result["features"]),
            "mechanisms": join(f"{m['id']} ({m['of']}; {', '.join(m['rules'])})" for m in result["mechanisms"]),
            "forms": join(result["forms"]),
            "ruled_out": join(f"{r['mechanism']} ({r['species']})" for r in result["ruledOut"]),
            "conflicts": join(result["conflicts"]),
            "derived": join(f"{d['kind']}={d['value']:.4g} {d['unit']}" for d in result["derived"]),
            "hypotheses": join("+".join(h["families"]) for h in hypotheses),
            "best_hypothesis_score": max((h["score"] for h in hypotheses), default=""),
            "not_assessed": join(result["notAssessed"])}


def write_results(results: list[dict[str, Any]], path: str | Path | None, fmt: str) -> str | None:
    """Write results as CSV or JSON to ``path`` atomically (a complete file or none), or return the
    text when ``path`` is None."""
    import csv
    import io
    import json
    import os

    if fmt == "json":
        text = json.dumps(results, indent=2, ensure_ascii=False) + "\n"
    elif fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=RESULT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(result_row(r) for r in results)
        text = buffer.getvalue()
    else:
        raise PredictionInputError(f"unknown output format {fmt!r}; use csv or json")
    if path is None:
        return text
    target = Path(path)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise PredictionInputError(f"cannot write {target}: {exc.strerror}") from exc
    return None
