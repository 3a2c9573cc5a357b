"""Build: validate the knowledge files, load them into a store, and write the release artifacts.

Why the steps are ordered this way: nothing is written until validation passes, and a persistent store
is built as a new version folder and swapped in by one atomic link replacement only when complete
(:mod:`lmakg.storedir`), so a failed, interrupted or killed build leaves the previous store and artifacts
exactly as they were (no half-written data).

Commands that only read (``sparql``, ``show``, ``stats``) use :func:`open_knowledge`: the persistent
store when ``--store`` is given, otherwise an in-memory store loaded straight from the packaged Turtle
files (fast, no SHACL run).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lmakg import resources, storedir
from lmakg.reason import materialize
from lmakg.store import KnowledgeStore, StoreError, open_store
from lmakg.validate import Issue, ValidationReport, knowledge_files, validate_files
from lmakg.vocab import ASSERTED_GRAPH, CURATOR_GRAPH, ONTOLOGY_GRAPH, RULES_GRAPH, shorten

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


def graph_for(path: Path) -> str:
    """The named graph a knowledge file is loaded into: the ontology's, the curator's (``kg/curator/``) or
    the asserted one."""
    if path.parent.name == "curator":
        return str(CURATOR_GRAPH)
    return str(ONTOLOGY_GRAPH) if path.parent.name == "ontology" else str(ASSERTED_GRAPH)


def load_knowledge(store: KnowledgeStore, files: list[Path] | None = None, rules: bool = True) -> None:
    """Load the ontology and curated graph files into their named graphs (no validation), and the rule
    modules into the rules graph, so SPARQL can ask about rules (e.g. which cite section 4.1)."""
    for path in files if files is not None else knowledge_files():
        store.load_file(path, graph_for(path))
    if rules:
        for path in resources.turtle_files("rules"):
            store.load_file(path, str(RULES_GRAPH))


def open_knowledge(store_location: str | None = None, reason: bool = True) -> KnowledgeStore:
    """The store a read-only command should use (see module docstring).

    In memory, the rules are run too (``reason``) so derived values and predictions are there.
    """
    if store_location:
        return open_store(f"oxigraph:{store_location}" if ":" not in store_location or
                          Path(store_location).exists() else store_location, read_only=True)
    store = open_store("oxigraph:")
    load_knowledge(store)
    if reason:
        from lmakg.reason import materialize

        materialize(store)
    return store


def write_artifacts(files: list[Path], out_dir: Path) -> list[Path]:
    """Write the merged graph as Turtle, N-Triples, JSON-LD and RDF/XML (.owl, opens in Protégé).

    Files are written to a temporary folder first and moved into ``out_dir`` one by one.
    """
    from rdflib import Graph

    from lmakg.vocab import PREFIXES

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
    from lmakg.queries import list_queries

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
    files = knowledge_files()
    say(f"validating {len(files)} files (Turtle, vocabulary, RDKit, SHACL)")
    report = validate_files(files)
    if not report.conforms:
        raise BuildError(report)

    say("checking the *-violation.rq queries")
    violations = check_violation_queries(files)
    if violations:
        raise BuildError(ValidationReport(violations, triples=report.triples, files=report.files))

    say("loading the store")
    if store_location:
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
        location: str | None = str(target)
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


__all__ = ["BuildError", "BuildResult", "StoreError", "build", "load_knowledge", "open_knowledge", "resources"]
