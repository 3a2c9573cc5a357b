"""Users' own knowledge: ``lmakg add FILE``, ``lmakg graphs`` and ``lmakg remove GRAPH`` on a persistent store.

Why it works this way:

* **Validated like the curated files, all or nothing.** The file is checked exactly as ``lmakg build``
  checks ``kg/*.ttl`` (syntax, vocabulary, RDKit SMILES/InChIKey/charge, SHACL with ``ontology/shapes.ttl``,
  the ``*-violation.rq`` queries), with the ontology, the curated graph and the earlier additions as
  context. The curated graph and earlier additions were valid when they went in, so every violation of
  the combined graph is the new file's doing; each is reported as ``file:line: node: message
  [constraint]`` and nothing changes.
* **One named graph per addition.** The facts go to ``https://w3id.org/lmakg/graph/user/<name>``, so they
  can be listed and removed without touching anything else. What was added, from which file (absolute
  ``file:`` IRI), when, its SHA-256, its triple count and the lmakg version are PROV-O statements in the
  catalogue graph ``https://w3id.org/lmakg/graph/additions`` (not the provenance graph: that one holds
  the rule firings and is rebuilt by every reasoning run).
* **Inference sees the additions.** Queries read the union of all graphs, so after adding or removing the
  rules are re-run (:func:`lmakg.chemistry.materialize.materialize`) and ``lmakg hypotheses``, ``show`` and ``why`` see
  the result.
* **Kill-safe.** The change is made in a copy of the store (a RocksDB checkpoint of the current
  version) and swapped in by one atomic link replacement (:mod:`lmakg.knowledge.storedir`): a process killed at any
  moment leaves the store as it was, or, once the link is replaced, fully updated.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from lmakg import __version__
from lmakg.curation import onserver
from lmakg.curation.policy import check_policy, check_size
from lmakg.curation.validate import Issue
from lmakg.knowledge import storedir
from lmakg.knowledge.store import KnowledgeStore, StoreError, open_store
from lmakg.knowledge.vocab import GRAPH_IRI, INFERRED_GRAPH, PREFIXES, USER_GRAPHS

CATALOGUE_GRAPH = GRAPH_IRI + "additions"
# file extension -> store format name (see lmakg.knowledge.store.RDF_FORMATS)
FORMATS = {".ttl": "turtle", ".nt": "ntriples", ".jsonld": "json-ld"}
PROV = PREFIXES["prov"]
XSD = PREFIXES["xsd"]
DCTERMS = PREFIXES["dcterms"]
VOID = "http://rdfs.org/ns/void#"
SPDX = "http://spdx.org/rdf/terms#"


class AdditionError(RuntimeError):
    """An addition or removal that cannot be made; the one-line message says why. Nothing was changed."""


class InvalidAddition(AdditionError):
    """The file has violations; ``issues`` lists each one. Nothing was changed."""

    def __init__(self, file: Path, issues: list[Issue]) -> None:
        super().__init__(f"{file}: {len(issues)} violation(s); nothing was changed")
        self.issues = issues


@dataclass(frozen=True)
class Addition:
    """One user addition as the catalogue records it."""

    name: str
    graph: str
    file: str
    time: str
    triples: int
    sha256: str | None = None
    version: str | None = None  # of lmakg, when it was added

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["lmakgVersion"] = out.pop("version")
        return out


def slugify(text: str) -> str:
    """A graph name from a file stem or ``--name``: lower case letters, digits, '.', '_' and '-'.

    >>> slugify("My Rb+ designs (2024)")
    'my-rb-designs-2024'
    """
    return re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-.")


def graph_of(name: str) -> str:
    return USER_GRAPHS + name


def list_additions(store: KnowledgeStore) -> list[Addition]:
    """The additions a store holds, oldest first."""
    from lmakg.knowledge.queries import run_engine_query

    found = []
    for row in run_engine_query(store, "user-additions"):
        file = row["file"].value
        if file.startswith("file:"):
            file = unquote(urlparse(file).path)
        found.append(Addition(
            name=row["name"].value, graph=row["graph"].value, file=file, time=row["time"].value,
            triples=int(row["triples"].value), sha256=row["sha256"].value if "sha256" in row else None,
            version=row["version"].value if "version" in row else None))
    return found


def _format_of(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise AdditionError(f"{path}: unsupported file type {path.suffix or '(none)'!r}; "
                            f"use one of {', '.join(FORMATS)} (Turtle, N-Triples, JSON-LD)")
    return fmt


def _require_store(target: Path) -> None:
    """Fail before anything is written (not even the lock file) when there is no lmakg store at ``target``
    (nothing there, or something lmakg did not create: see :func:`lmakg.knowledge.storedir.check_target`)."""
    storedir.recover(target)
    try:
        storedir.check_target(target, must_exist=True)
    except storedir.NotAStoreError as exc:
        raise AdditionError(str(exc)) from exc


def _existing_store(target: Path) -> KnowledgeStore:
    if storedir.current_version(target) is None:
        raise AdditionError(f"no store at {target}; create it with `lmakg build --store {target}` first")
    try:
        return open_store(f"oxigraph:{target}", read_only=True)
    except (StoreError, OSError) as exc:
        raise AdditionError(f"cannot open the store {target}: {exc}") from exc


def validate_addition(path: Path, context: dict[str, bytes] | None = None) -> list[Issue]:
    """Every violation of ``path`` checked as ``lmakg build`` checks the curated files, with the ontology,
    the curated graph and ``context`` (earlier additions: name -> N-Triples) loaded alongside."""
    from lmakg.curation.build import check_violation_queries
    from lmakg.curation.validate import display_path, validate_files
    from lmakg.knowledge.resources import knowledge_files

    with tempfile.TemporaryDirectory(prefix="lmakg-additions-") as tmp:
        others = []
        for name, data in (context or {}).items():
            other = Path(tmp) / f"{name}.nt"
            other.write_bytes(data)
            others.append(other)
        files = knowledge_files() + others + [path]
        report = validate_files(files, prefer=[path])
        issues = report.violations
        if not issues:
            issues = [i for i in check_violation_queries(files) if i.severity == "Violation"]
    # name the user's file as they gave it (validate names knowledge files relative to the data folder)
    shown = display_path(path)
    return [dataclasses.replace(i, file=str(path)) if i.file == shown else i for i in issues]


def _catalogue_triples(store: KnowledgeStore, addition: Addition) -> list[tuple[Any, Any, Any]]:
    """PROV-O for one addition; every subject is the graph IRI or a fragment of it, so removal is exact."""
    iri, lit = store.iri, store.literal
    rdf_type = iri(PREFIXES["rdf"] + "type")
    graph = iri(addition.graph)
    activity, checksum, agent = (iri(f"{addition.graph}#{part}") for part in ("activity", "sha256", "agent"))
    file = iri(Path(addition.file).as_uri())
    when = lit(addition.time, XSD + "dateTime")
    return [
        (graph, rdf_type, iri(PROV + "Entity")),
        (graph, iri(DCTERMS + "identifier"), lit(addition.name)),
        (graph, iri(PROV + "wasDerivedFrom"), file),
        (graph, iri(PROV + "generatedAtTime"), when),
        (graph, iri(PROV + "wasGeneratedBy"), activity),
        (graph, iri(VOID + "triples"), lit(str(addition.triples), XSD + "integer")),
        (graph, iri(SPDX + "checksum"), checksum),
        (checksum, rdf_type, iri(SPDX + "Checksum")),
        (checksum, iri(SPDX + "algorithm"), iri(SPDX + "checksumAlgorithm_sha256")),
        (checksum, iri(SPDX + "checksumValue"), lit(addition.sha256 or "")),
        (activity, rdf_type, iri(PROV + "Activity")),
        (activity, iri(DCTERMS + "description"), lit(f"lmakg add {addition.file}")),
        (activity, iri(PROV + "used"), file),
        (activity, iri(PROV + "endedAtTime"), when),
        (activity, iri(PROV + "wasAssociatedWith"), agent),
        (agent, rdf_type, iri(PROV + "SoftwareAgent")),
        (agent, iri(DCTERMS + "title"), lit("lmakg")),
        (agent, iri(PREFIXES["owl"] + "versionInfo"), lit(addition.version or __version__)),
    ]


def _drop(store: KnowledgeStore, addition: Addition) -> None:
    """Remove an addition's graph and its catalogue entry from a (staged) store."""
    store.remove_graph(addition.graph)
    for part in ("", "#activity", "#sha256", "#agent"):
        store.remove_node(addition.graph + part)
    if store.count(CATALOGUE_GRAPH) == 0:
        store.remove_graph(CATALOGUE_GRAPH)


def _copy(target: Path, current: KnowledgeStore) -> Path:
    """A new version folder holding a copy (RocksDB checkpoint) of the current store."""
    version = storedir.new_version(target)
    try:
        current.backup(version)
    except BaseException:
        shutil.rmtree(version, ignore_errors=True)
        raise
    return version


def _change(target: Path, version: Path, edit: Callable[[KnowledgeStore], None],
            say: Callable[[str], None], outcome: list[Any] | None = None) -> int:
    """Apply ``edit`` to the copy in ``version``, re-run the rules, and swap the copy in atomically.
    Returns the number of inferred triples afterwards (``outcome`` receives the inference result). On
    any error (or signal) the copy is deleted."""
    from lmakg.chemistry.materialize import materialize

    committed = False
    try:
        staged = open_store(f"oxigraph:{version}")
        edit(staged)
        storedir.pause_at("loaded")
        say("re-running the rules")
        result = materialize(staged, progress=say)
        if outcome is not None:
            outcome.append(result)
        inferred = staged.count(str(INFERRED_GRAPH))
        staged.flush()
        del staged
        storedir.pause_at("reasoned")
        storedir.commit(target, version)
        committed = True
    finally:
        if not committed:
            shutil.rmtree(version, ignore_errors=True)
    return inferred


@contextlib.contextmanager
def _opened(store_dir: str | Path) -> Iterator[tuple[KnowledgeStore, Callable[..., int]]]:
    """The current store and ``apply(edit, say)``, which makes the change all or nothing and returns the
    inferred triples after it: on a folder, locked, on a copy switched in atomically; on a SPARQL server,
    in staged graphs switched in by one request (:mod:`lmakg.curation.onserver`)."""
    if onserver.is_server(store_dir):
        server = onserver.writable(store_dir)
        yield server, lambda edit, say: onserver.change(server, edit, say).added
        return
    target = storedir.store_path(store_dir)
    _require_store(target)
    with storedir.writing(target, must_exist=True):
        current = _existing_store(target)

        def apply(edit: Callable[[KnowledgeStore], None], say: Callable[[str], None]) -> int:
            say("copying the store")
            return _change(target, _copy(target, current), edit, say)

        yield current, apply


def add(file: str | Path, store_dir: str | Path, name: str | None = None, replace: bool = False,
        progress: Callable[[str], None] | None = None) -> tuple[Addition, int]:
    """Validate ``file`` and add it to the store at ``store_dir`` as its own graph; re-run the rules.

    Returns the addition and the number of inferred triples afterwards. Raises :class:`InvalidAddition`
    (with every violation) or :class:`AdditionError`; in both cases the store is unchanged.
    """
    say = progress or (lambda _m: None)
    path = Path(file)
    if not path.is_file():
        raise AdditionError(f"no such file: {path}")
    fmt = _format_of(path)
    slug = slugify(name if name is not None else path.stem)
    if not slug:
        raise AdditionError(f"cannot make a graph name from {name if name is not None else path.stem!r}; "
                            f"give --name with letters or digits")
    graph = graph_of(slug)
    absolute = str(path.resolve())
    with _opened(store_dir) as (current, apply):
        existing = list_additions(current)
        clashes = [a for a in existing if a.graph == graph or a.file == absolute]
        if clashes and not replace:
            what = "; ".join(f"{a.name} (graph <{a.graph}>, from {a.file})" for a in clashes)
            raise AdditionError(f"{path}: collides with the existing addition {what}; "
                                f"use --replace to replace it, or --name to add it under another name")
        try:
            check_size(path)
        except ValueError as exc:
            raise AdditionError(str(exc)) from exc
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        context = {a.name: current.dump("ntriples", graph=a.graph) for a in existing if a not in clashes}
        say(f"checking {path} against the additions policy (queries/additions)")
        issues = check_policy(path, data, fmt, graph, context)
        if not issues:
            say(f"validating {path} (syntax, vocabulary, RDKit, SHACL) against the ontology and curated graph")
            issues = validate_addition(path, context)
        if issues:
            raise InvalidAddition(path, issues)
        if hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            raise AdditionError(f"{path} changed while it was being validated; nothing was changed, try again")
        storedir.pause_at("validated")
        time = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        made: dict[str, Addition] = {}

        def edit(staged: KnowledgeStore) -> None:
            for old in clashes:
                _drop(staged, old)
            try:
                staged.load_data(data, fmt, graph, base_iri=path.resolve().as_uri())
            except StoreError as exc:
                raise AdditionError(f"{path}: {exc}") from exc
            count = staged.count(graph)
            if count == 0:
                raise AdditionError(f"{path}: no triples to add")
            made["addition"] = Addition(slug, graph, absolute, time, count, digest, __version__)
            staged.add_triples(_catalogue_triples(staged, made["addition"]), CATALOGUE_GRAPH)

        inferred = apply(edit, say)
    return made["addition"], inferred


def find(additions: list[Addition], key: str) -> Addition | None:
    """The addition named ``key`` (a name, or the full graph IRI, with or without angle brackets)."""
    key = key.strip().removeprefix("<").removesuffix(">")
    for a in additions:
        if key in (a.name, a.graph):
            return a
    return None


def remove(key: str, store_dir: str | Path, progress: Callable[[str], None] | None = None) -> tuple[Addition, int]:
    """Remove one addition (by name or graph IRI) and its catalogue entry; re-run the rules.

    Returns the removed addition and the number of inferred triples afterwards.
    """
    say = progress or (lambda _m: None)
    with _opened(store_dir) as (current, apply):
        additions = list_additions(current)
        found = find(additions, key)
        if found is None:
            known = ", ".join(f"{a.name} <{a.graph}>" for a in additions) or "none (the store has no additions)"
            raise AdditionError(f"unknown addition {key!r}; known: {known}")
        storedir.pause_at("validated")
        inferred = apply(lambda staged: _drop(staged, found), say)
    return found, inferred


def rerun_rules(store_dir: str | Path, progress: Callable[[str], None] | None = None) -> Any:
    """`lmakg infer --store`: perceive and re-run the rules on a copy of the store and switch it in
    atomically, so a kill leaves the store as it was. Returns the inference result."""
    say = progress or (lambda _m: None)
    if onserver.is_server(store_dir):
        return onserver.change(onserver.writable(store_dir), lambda _store: None, say)
    target = storedir.store_path(store_dir)
    _require_store(target)
    outcome: list[Any] = []
    with storedir.writing(target, must_exist=True):
        current = _existing_store(target)
        version = _copy(target, current)
        del current
        _change(target, version, lambda _staged: None, say, outcome)
    return outcome[0]


def additions_in(store_dir: str | Path) -> list[Addition]:
    """The additions of the store at ``store_dir`` (read only)."""
    if onserver.is_server(store_dir):
        return list_additions(open_store(str(store_dir)))
    target = storedir.store_path(store_dir)
    _require_store(target)
    return list_additions(_existing_store(target))
