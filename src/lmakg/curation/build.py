"""Build: validate the knowledge files, load them into a store, and write the release artifacts.

Why the steps are ordered this way: nothing is written until validation passes, and a persistent store
is built as a new version folder and swapped in by one atomic link replacement only when complete
(:mod:`lmakg.knowledge.storedir`), so a failed, interrupted or killed build leaves the previous store and artifacts
exactly as they were (no half-written data).

Commands that only read use :func:`lmakg.chemistry.materialize.open_knowledge` instead.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lmakg.chemistry.materialize import materialize
from lmakg.curation.onserver import build_on_server, is_server, writable
from lmakg.curation.validate import Issue, ValidationReport, validate_files
from lmakg.knowledge import resources, storedir
from lmakg.knowledge.load import load_knowledge
from lmakg.knowledge.resources import knowledge_files
from lmakg.knowledge.store import StoreError, open_store
from lmakg.knowledge.vocab import shorten

ARTIFACTS = {
    "lmakg.ttl": "turtle",
    "lmakg.nt": "ntriples",
    "lmakg.jsonld": "json-ld",
    "lmakg.owl": "xml",
}


class BuildError(RuntimeError):
    """The knowledge did not validate; ``report`` holds every issue."""

    def __init__(self, report: ValidationReport) -> None:
        super().__init__(report.summary())
        self.report = report


@dataclass
class BuildResult:
    report: ValidationReport
    triples: int
    store: str | None
    artifacts: list[Path] = field(default_factory=list)


def write_artifacts(files: list[Path], out_dir: Path) -> list[Path]:
    """Write the merged graph as Turtle, N-Triples, JSON-LD and RDF/XML (.owl, opens in Protégé).

    Files are written to a temporary folder first and moved into ``out_dir`` one by one.
    """
    from rdflib import Graph

    from lmakg.knowledge.vocab import PREFIXES

    graph = Graph()
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns)
    for path in files:
        graph.parse(path, format="turtle")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".build-") as tmp:
        for name, fmt in ARTIFACTS.items():
            staged = Path(tmp) / name
            if fmt == "ntriples":
                lines = sorted(set(graph.serialize(format="nt").splitlines()))
                staged.write_text("\n".join(line for line in lines if line.strip()) + "\n", encoding="utf-8")
            else:
                graph.serialize(destination=str(staged), format=fmt)
        for name in ARTIFACTS:
            final = out_dir / name
            os.replace(Path(tmp) / name, final)
            written.append(final)
    return written


def check_violation_queries(files: list[Path]) -> list[Issue]:
    """Run every ``queries/*-violation.rq`` (ODK convention); each row it returns is a violation."""
    from lmakg.knowledge.queries import list_queries

    checks = [q for q in list_queries() if q.is_violation_check]
    if not checks:
        return []
    store = open_store("oxigraph:")
    load_knowledge(store, files)
    issues = []
    for check in checks:
        for row in store.select(check.text):
            node = next((t.value for t in row.values() if t.kind == "uri"), "-")
            detail = ", ".join(f"{k}={v.value}" for k, v in row.items())
            issues.append(Issue(f"queries/{check.path.name}", 0, shorten(node), check.name,
                                f"{check.title}: {detail}"))
    return issues


def build(
    store_location: str | None = None,
    out_dir: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> BuildResult:
    """Validate, then load into the store at ``store_location`` (in memory if None) and write artifacts."""
    say = progress or (lambda _msg: None)
    server = is_server(store_location)
    if server:  # a SPARQL server without an update endpoint is refused before validation
        writable(str(store_location))
    elif store_location:  # refuse a path lmakg did not create before spending time on validation
        storedir.recover(storedir.store_path(store_location))
        storedir.check_target(storedir.store_path(store_location))
    files = knowledge_files()
    say(f"validating {len(files)} files from {resources.data_dir()} (Turtle, vocabulary, RDKit, SHACL)")
    report = validate_files(files)
    if not report.conforms:
        raise BuildError(report)

    say("checking the *-violation.rq queries")
    violations = check_violation_queries(files)
    if violations:
        raise BuildError(ValidationReport(violations, triples=report.triples, files=report.files))

    say("loading the store")
    if server:
        triples = build_on_server(str(store_location), files, say)
        location: str | None = str(store_location)
    elif store_location:
        target = storedir.store_path(store_location)
        with storedir.writing(target):
            staging = storedir.new_version(target)
            committed = False
            try:
                store = open_store(f"oxigraph:{staging}")
                load_knowledge(store, files)
                say("running the rules")
                materialize(store, progress=say)
                triples = store.count()
                store.flush()
                del store
                storedir.commit(target, staging)
                committed = True
            finally:
                if not committed:
                    shutil.rmtree(staging, ignore_errors=True)
        location = str(target)
    else:
        store = open_store("oxigraph:")
        load_knowledge(store, files)
        say("running the rules")
        materialize(store, progress=say)
        triples = store.count()
        location = None

    artifacts: list[Path] = []
    if out_dir is not None:
        say(f"writing release artifacts to {out_dir}")
        artifacts = write_artifacts(files, out_dir)
    return BuildResult(report, triples, location, artifacts)


__all__ = ["BuildError", "BuildResult", "StoreError", "build", "check_violation_queries", "write_artifacts"]
