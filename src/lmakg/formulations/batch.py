"""``lmakg assess --file``: a CSV of formulations, judged one by one, in input order. A row that cannot be
assessed is reported as ``file:line: message`` and kept with ``status=error``; the output file is written whole
or not at all (the caller writes it with one atomic rename)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from lmakg.formulations.assess import AssessError, Assessor

CSV_COLUMNS = ("line", "formulation", "status", "score", "regime", "saltMolarity", "saltMolality", "solventToSalt",
               "components", "mechanisms", "seiProducts", "tradeoffs", "notAssessed", "error")


class BatchInputError(ValueError):
    """The input file cannot be read (one line naming the file and line)."""


def read_rows(path: Path, column: str) -> Iterator[tuple[int, str]]:
    """(line number, formulation text) for every data row; blank cells are skipped."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is None or column not in reader.fieldnames:
                raise BatchInputError(f"{path}:1: no column {column!r} in the header "
                                      f"({', '.join(reader.fieldnames or []) or 'empty file'}); use --column NAME")
            for row in reader:
                text = (row.get(column) or "").strip()
                if text:
                    yield reader.line_num, text
    except UnicodeDecodeError as exc:
        raise BatchInputError(f"{path}:1: not UTF-8 text ({exc.reason})") from None
    except csv.Error as exc:
        raise BatchInputError(f"{path}: {exc}") from None


def assess_file(path: Path, column: str, assessor: Assessor,
                progress: Callable[[int], None] | None = None) -> list[dict[str, Any]]:
    rows = list(read_rows(path, column))
    results = []
    for (line, text), result in zip(rows, assessor.assess_many([t for _l, t in rows], progress=progress), strict=True):
        if isinstance(result, AssessError):
            result = {"formulation": text, "status": "error", "error": f"{path}:{line}: {result}"}
        results.append({"line": line, **result})
    return results


def _flat(result: dict[str, Any]) -> dict[str, Any]:
    if result["status"] != "ok":
        return {"line": result["line"], "formulation": result["formulation"], "status": "error",
                "error": result["error"]}
    parts = result["components"]
    return {
        "line": result["line"], "formulation": result["formulation"], "status": "ok", "score": result["score"],
        "regime": result["regime"]["id"].removeprefix("regime-"),
        **{k: result["amounts"].get(k) for k in ("saltMolarity", "saltMolality", "solventToSalt")},
        "components": "; ".join(f"{c['id']} ({c['role']})" for c in parts),
        "mechanisms": "; ".join(f"{c['id']}: {', '.join(m['id'] for m in c['mechanisms'])}" for c in parts
                                if c["mechanisms"]),
        "seiProducts": "; ".join(f"{c['id']}: {', '.join(p['id'] for p in c['seiProducts'])}" for c in parts
                                 if c["seiProducts"]),
        "tradeoffs": "; ".join(t["term"] for t in result["tradeoffs"]),
        "notAssessed": "; ".join(result["notAssessed"]), "error": "",
    }


def render(results: list[dict[str, Any]], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(results, indent=2, ensure_ascii=False) + "\n"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for result in results:
        writer.writerow(_flat(result))
    return buffer.getvalue()
