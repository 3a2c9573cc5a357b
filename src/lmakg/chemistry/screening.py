"""Batch screening for ``lmakg predict --file``: a CSV of candidates in, one result per row out.

A bad row is reported as ``file:line: message`` and kept with ``status=error``; the output file is written
whole or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
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


Row = tuple[int, "Candidate | str", dict[str, str]]  # (line number, candidate or error message, the row's cells)


def read_candidates(path: str | Path) -> list[Row]:
    """Every row of a candidates CSV at once (see :func:`iter_candidates`)."""
    return list(iter_candidates(path))


def iter_candidates(path: str | Path) -> Iterator[Row]:
    """Candidates from a CSV file with a header row: ``smiles`` (required), ``name``, ``role``,
    ``concentration`` (e.g. 0.05M), ``electrolyte`` and property columns (``lumo``, ``homo``,
    ``binding-energy``... each a value with its unit, e.g. "-0.9 eV"), one row at a time (the file is streamed).
    Yields (line number, candidate or error message, the row's cells) per data row, so one bad row does not stop a
    screening run. A file that cannot be read, has no ``smiles`` column or has an unknown column raises
    :class:`PredictionInputError` at once, before any row is read; a row that is not readable CSV raises it when
    reached."""
    path = Path(path)
    handle, reader = _open(path)
    return _rows(path, handle, reader)


def _open(path: Path) -> tuple[Any, Any]:
    """The open file and a DictReader over it with its header checked and normalised (see :func:`iter_candidates`)."""
    import csv

    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise PredictionInputError(f"cannot read {path}: {exc.strerror}") from exc
    reader = csv.DictReader(handle)
    try:
        fieldnames = reader.fieldnames or []
    except (csv.Error, UnicodeDecodeError) as exc:
        handle.close()
        raise PredictionInputError(f"{path}:1: not a readable CSV file (UTF-8 text expected): {exc}") from exc
    header = [h.strip().lower().replace("_", "-") for h in fieldnames]
    problem = None
    if "smiles" not in header:
        problem = f"{path}:1: no 'smiles' column (columns: {', '.join(header) or 'none'})"
    elif unknown := [h for h in header if h not in CSV_COLUMNS]:
        problem = f"{path}:1: unknown column {unknown[0]!r}; known: {', '.join(CSV_COLUMNS)}"
    if problem:
        handle.close()
        raise PredictionInputError(problem)
    reader.fieldnames = header
    return handle, reader


def count_rows(path: str | Path) -> int:
    """The number of data rows of a candidates CSV whose header :func:`iter_candidates` accepts (for a progress bar:
    records only, no candidate is built)."""
    import csv

    handle, reader = _open(Path(path))  # the header is checked first: a bad file is named before rows are counted
    with handle:
        try:
            return sum(1 for _ in reader)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise PredictionInputError(f"{path}:{reader.line_num}: not a readable CSV file: {exc}") from exc


def _rows(path: Path, handle: Any, reader: Any) -> Iterator[Row]:
    import csv

    with handle:
        try:
            for record in reader:
                line = reader.line_num
                cells = {k: (v or "").strip() for k, v in record.items() if k is not None}
                try:
                    yield line, _candidate(cells), cells
                except PredictionInputError as exc:
                    yield line, f"{path}:{line}: {exc}", cells
        except (csv.Error, UnicodeDecodeError) as exc:
            raise PredictionInputError(f"{path}:{reader.line_num}: not a readable CSV file: {exc}") from exc


def _candidate(cells: dict[str, str]) -> Candidate:
    if not cells.get("smiles"):
        raise PredictionInputError("empty smiles")
    candidate = Candidate(smiles=cells["smiles"], name=cells.get("name") or None, role=cells.get("role") or None,
                          concentration=parse_concentration(cells.get("concentration") or None),
                          electrolyte=cells.get("electrolyte") or None)
    for option in PROPERTY_UNITS:
        if cells.get(option):
            kind, number, unit = parse_property(option, cells[option])
            candidate.properties[kind] = number
            candidate.units[kind] = unit
    return candidate


def blocks(rows: Iterable[Row], size: int) -> Iterator[tuple[int, list[Row]]]:
    """Rows in blocks of ``size``, each with the number of candidates (rows that are not errors) before it: the
    position that names a candidate's nodes (``c<n>-``), so a block is judged the same wherever it runs."""
    before, block = 0, []
    for row in rows:
        block.append(row)
        if len(block) == size:
            yield before, block
            before += sum(1 for _, c, _ in block if isinstance(c, Candidate))
            block = []
    if block:
        yield before, block


def judge_block(predictor: Predictor, path: str, before: int, rows: list[Row], share: bool = True,
                shared: Any = None) -> list[dict[str, Any]]:
    """Results for one block of rows (see :func:`blocks`), in order. ``share``: judge candidates asserting the same
    facts once (:class:`lmakg.chemistry.memo.SharedJudge`, reused through ``shared`` when given)."""
    from lmakg.chemistry.memo import SharedJudge

    tagged = []
    for _line, c, _cells in rows:
        if isinstance(c, Candidate):
            tagged.append((c, f"c{before + len(tagged) + 1}-"))
    if share:
        judged = iter((shared or SharedJudge(predictor)).judge(tagged))
    else:
        judged = iter([r for begin in range(0, len(tagged), 200) for r in predictor.judge(
            [c for c, _ in tagged[begin:begin + 200]], [t for _, t in tagged[begin:begin + 200]])])
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


def iter_screen(path: str | Path, predictor: Predictor, progress: Any = None, share: bool = True,
                block: int = 5000, shared: Any = None, inchikeys: bool = True) -> Iterator[dict[str, Any]]:
    """Judge every row of a candidates CSV, streaming: rows are read, judged and handed on one block at a time
    (memory does not grow with the file). Rows with bad input carry their error (file:line: message).
    ``progress(n_done)`` counts the rows handed on (judged candidates and rows with bad input).
    ``shared``: the :class:`lmakg.chemistry.memo.SharedJudge` to use (e.g. one whose batches run on Dask,
    :mod:`lmakg.chemistry.scaleout`). ``inchikeys``: False leaves each result's ``inchiKey`` out (and uncomputed),
    for an output that does not show it (the CSV)."""
    from lmakg.chemistry.memo import SharedJudge

    shared = shared or (SharedJudge(predictor, inchikeys=inchikeys) if share else None)
    done = 0
    for before, rows in blocks(iter_candidates(path), block):
        results = judge_block(predictor, str(path), before, rows, share, shared)
        if not inchikeys:
            for result in results:
                result.pop("inchiKey", None)
        done += len(rows)
        if progress:
            progress(done)
        yield from results


def screen(path: str | Path, predictor: Predictor, progress: Any = None, share: bool = True) -> list[dict[str, Any]]:
    """Judge every row of a candidates CSV; rows with bad input carry their error (file:line: message)."""
    return list(iter_screen(path, predictor, progress, share))


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


class ResultWriter:
    """Results written as they come, to a hidden partial file renamed over ``path`` only when all are written
    (a complete file or none); without ``path`` the text goes to ``stream`` at the end (a temporary file holds it
    meanwhile, so memory does not grow with the results). Use as a context manager; an exception discards it."""

    def __init__(self, path: str | Path | None, fmt: str, stream: Any = None) -> None:
        import os
        import tempfile

        if fmt not in ("csv", "json"):
            raise PredictionInputError(f"unknown output format {fmt!r}; use csv or json")
        self.fmt, self.count, self.stream = fmt, 0, stream
        self.target = Path(path) if path is not None else None
        try:
            if self.target is not None:
                self.partial = self.target.with_name(f".{self.target.name}.{os.getpid()}.partial")
                self.handle = self.partial.open("w", encoding="utf-8", newline="")
            else:
                self.handle = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")  # noqa: SIM115 (closed in __exit__)
        except OSError as exc:
            raise PredictionInputError(f"cannot write {self.target}: {exc.strerror}") from exc
        if fmt == "csv":
            import csv

            self.writer = csv.DictWriter(self.handle, fieldnames=RESULT_COLUMNS, lineterminator="\n")
            self.writer.writeheader()
        else:
            self.handle.write("[")

    def write(self, result: dict[str, Any]) -> None:
        import json

        if self.fmt == "csv":
            self.writer.writerow(result_row(result))
        else:  # the layout of json.dumps(results, indent=2)
            text = json.dumps(result, indent=2, ensure_ascii=False).replace("\n", "\n  ")
            self.handle.write(("," if self.count else "") + "\n  " + text)
        self.count += 1

    def __enter__(self) -> ResultWriter:
        return self

    def __exit__(self, kind: Any, error: Any, trace: Any) -> None:
        import os
        import shutil

        try:
            if kind is None and self.fmt == "json":
                self.handle.write("\n]\n" if self.count else "]\n")
            if kind is None and self.target is None:
                self.handle.seek(0)
                shutil.copyfileobj(self.handle, self.stream)
            self.handle.close()
            if self.target is not None:
                if kind is None:
                    os.replace(self.partial, self.target)
                else:
                    self.partial.unlink(missing_ok=True)
        except OSError as exc:
            if self.target is not None:
                self.partial.unlink(missing_ok=True)
            raise PredictionInputError(f"cannot write {self.target}: {exc.strerror}") from exc


def write_results(results: Iterable[dict[str, Any]], path: str | Path | None, fmt: str) -> str | None:
    """Write results as CSV or JSON to ``path`` atomically (a complete file or none), or return the
    text when ``path`` is None."""
    import io

    buffer = io.StringIO()
    with ResultWriter(path, fmt, stream=buffer) as out:
        for result in results:
            out.write(result)
    return buffer.getvalue() if path is None else None
