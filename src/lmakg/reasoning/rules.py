"""Rules: the SHACL-AF SPARQL rules of ``rules/``, parsed and compiled for the engine.

Why it is built this way (pySHACL's ``apply_rules`` is the model):

* Rules are data: each ``rules/*.ttl`` file holds SHACL node shapes whose ``sh:rule`` values are
  ``sh:SPARQLRule`` nodes with ``sh:construct``, ``sh:order``, optional ``sh:deactivated`` and lmakg's
  metadata (label, ``lma:encodesPrinciple``, ``lma:inSection``, ``lma:confidence``...). The same files run
  unchanged in pySHACL, the independent executor the tests compare against.
* lmakg's rules are graph-wide: each shape targets one node (``sh:targetNode lmr:whole-graph``) and its
  rules do not use ``$this``, so every executor evaluates each rule once per pass (pySHACL would
  otherwise run one query per focus node). A rule whose shape uses ``sh:targetClass C`` is also
  supported: the engine evaluates all focus nodes in one SELECT (``rdf:type/rdfs:subClassOf* C``). The
  engine instantiates the CONSTRUCT template itself (:mod:`lmakg.reasoning.engine`), so it knows the
  premises behind each conclusion; compiling derives that SELECT, the template and the premise patterns.
* Errors name the rule file, the rule and the spec section they break.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lmakg.knowledge import resources
from lmakg.knowledge.vocab import LMA_IRI, PREFIXES
from lmakg.reasoning.delta import Pattern, plan
from lmakg.reasoning.dependencies import reads_of

RULE_NS = "https://w3id.org/lmakg/rules/"
SH = "http://www.w3.org/ns/shacl#"
RDF = PREFIXES["rdf"]
RDFS = PREFIXES["rdfs"]
SPEC = "SHACL Advanced Features, section 8.3 (SPARQL rules)"
COMPILED_FORMAT = 6  # bump when compile_rule derives something new, so cached rule lists are rebuilt


class RuleError(ValueError):
    """A rule file or rule that cannot run; the message names the file, the rule and the spec section."""


@dataclass
class Rule:
    """One compiled ``sh:SPARQLRule``."""

    iri: str
    label: str
    order: float
    construct: str
    file: Path
    target_class: str | None = None
    principle: str | None = None
    section: str | None = None
    confidence: float | None = None
    mechanism: str | None = None
    kind: str | None = None
    deactivated: bool = False
    prefixes: dict[str, str] = field(default_factory=dict)
    # compiled
    select: str = ""
    template: list[tuple[Any, Any, Any]] = field(default_factory=list)
    premises: list[tuple[Any, Any, Any]] = field(default_factory=list)
    premise_certain: list[bool] = field(default_factory=list)
    #: what the WHERE clause can read (:mod:`lmakg.reasoning.dependencies`); None: any triple
    reads: frozenset[tuple[str, str]] | None = None
    #: for a monotone join, (prefix header, WHERE body, its patterns) for semi-naive re-runs
    #: (:mod:`lmakg.reasoning.delta`); None: the rule always re-runs in full
    delta: tuple[str, str, list[Pattern]] | None = None

    @property
    def id(self) -> str:
        return self.iri.removeprefix(RULE_NS)



# ----------------------------------------------------------------------------------------------------
# Loading and compiling rules
# ----------------------------------------------------------------------------------------------------

def rule_files() -> list[Path]:
    return resources.turtle_files("rules")


def _cache_dir() -> Path | None:
    """Where compiled rules are kept between runs (``LMAKG_CACHE``, else the user's cache folder); None
    when ``LMAKG_CACHE`` is empty or ``off``."""
    override = os.environ.get("LMAKG_CACHE")
    if override is not None:
        return None if override.strip().lower() in ("", "off", "0", "none") else Path(override).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lmakg"


def _cache_key(paths: list[Path], include_deactivated: bool) -> str:
    """A digest of everything a compiled rule list depends on: the files' bytes, the engine version, the
    rdflib version (its algebra objects are pickled) and the flag."""
    import rdflib

    from lmakg import __version__

    digest = hashlib.sha256(
        f"{__version__}|{COMPILED_FORMAT}|{rdflib.__version__}|{include_deactivated}|{PREFIXES}".encode())
    for path in paths:
        digest.update(str(path.name).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:32]


def load_rules(files: Iterable[Path] | None = None, include_deactivated: bool = False) -> list[Rule]:
    """Parse and compile the rules in ``files`` (default: every ``rules/*.ttl``), sorted for execution.

    Why a cache: compiling means parsing every CONSTRUCT with rdflib's SPARQL parser (pure Python, about
    three seconds for the review's rules), which would dominate every short command. The compiled list is
    pickled under a digest of the rule files' bytes and the engine/rdflib versions, so any edit to a rule
    recompiles it; a missing, stale or unreadable cache is simply rebuilt.
    """
    paths = list(files) if files is not None else rule_files()
    folder = _cache_dir()
    cached = None
    if folder is not None:
        try:
            cached = folder / f"rules-{_cache_key(paths, include_deactivated)}.pickle"
            with cached.open("rb") as handle:
                rules = pickle.load(handle)
            if isinstance(rules, list) and all(isinstance(r, Rule) for r in rules):
                return rules
        except (OSError, pickle.PickleError, EOFError, AttributeError, ImportError, TypeError, ValueError):
            pass
    rules = _load_rules(paths, include_deactivated)
    if cached is not None:
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            partial = cached.with_suffix(f".{os.getpid()}.tmp")
            with partial.open("wb") as handle:
                pickle.dump(rules, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(partial, cached)  # atomic: readers never see half a file
        except (OSError, pickle.PickleError):
            pass  # a read-only home is fine: the rules were compiled anyway
    return rules


def _load_rules(paths: list[Path], include_deactivated: bool) -> list[Rule]:
    from rdflib import Graph, Literal, URIRef
    from rdflib.namespace import RDF as RDF_NS
    from rdflib.namespace import RDFS as RDFS_NS
    from rdflib.namespace import SH as SH_NS
    from rdflib.plugins.parsers.notation3 import BadSyntax

    from lmakg.knowledge.vocab import LMA

    graph = Graph()
    origin: dict[Any, Path] = {}
    for path in paths:
        one = Graph()
        try:
            one.parse(path, format="turtle")
        except BadSyntax as exc:
            raise RuleError(f"{path}:{exc.lines + 1}: Turtle syntax error in rule file") from exc
        for rule_node in one.objects(None, SH_NS.rule):
            if rule_node in origin and origin[rule_node] != path:
                raise RuleError(f"{path}: rule {rule_node} is also defined in {origin[rule_node]}")
            origin[rule_node] = path
        for s, _p, _o in one.triples((None, RDF_NS.type, SH_NS.SPARQLRule)):
            origin.setdefault(s, path)
        graph += one

    def value(pred: Any, node: Any) -> Any:
        found = graph.value(node, pred)
        return found.toPython() if isinstance(found, Literal) else (str(found) if found else None)

    rules: list[Rule] = []
    for shape, rule_node in sorted(graph.subject_objects(SH_NS.rule), key=lambda t: (str(t[1]), str(t[0]))):
        path = origin.get(rule_node, paths[0] if paths else Path("rules"))
        iri = str(rule_node)
        if not isinstance(rule_node, URIRef):
            raise RuleError(f"{path}: a rule of shape {shape} is a blank node; give every rule an IRI "
                            f"so its conclusions can name it")
        if any(r.iri == iri for r in rules):
            raise RuleError(f"{path}: rule {iri} is attached to more than one shape")
        if (rule_node, RDF_NS.type, SH_NS.SPARQLRule) not in graph:
            raise RuleError(f"{path}: rule {iri}: only sh:SPARQLRule is supported ({SPEC})")
        construct = graph.value(rule_node, SH_NS.construct)
        if construct is None:
            raise RuleError(f"{path}: rule {iri}: missing sh:construct ({SPEC})")
        prefixes = dict(PREFIXES)
        for holder in graph.objects(rule_node, SH_NS.prefixes):
            for decl in graph.objects(holder, SH_NS.declare):
                prefixes[str(graph.value(decl, SH_NS.prefix))] = str(graph.value(decl, SH_NS.namespace))
        section = graph.value(rule_node, LMA.inSection)
        confidence = value(URIRef(LMA_IRI + "confidence"), rule_node)
        rule = Rule(
            iri=iri,
            label=str(graph.value(rule_node, RDFS_NS.label) or iri),
            order=float(value(SH_NS.order, rule_node) or 0),
            construct=str(construct),
            file=path,
            target_class=value(SH_NS.targetClass, shape),
            principle=value(URIRef(LMA_IRI + "encodesPrinciple"), rule_node),
            section=str(section) if section else None,
            confidence=float(confidence) if confidence is not None else None,
            mechanism=value(URIRef(LMA_IRI + "concernsMechanism"), rule_node),
            kind=value(URIRef(LMA_IRI + "ruleKind"), rule_node),
            deactivated=bool(value(SH_NS.deactivated, rule_node)) or bool(value(SH_NS.deactivated, shape)),
            prefixes=prefixes,
        )
        if rule.deactivated and not include_deactivated:
            continue
        compile_rule(rule)
        rules.append(rule)
    return sorted(rules, key=lambda r: (r.order, r.iri))


def _prefix_header(prefixes: dict[str, str]) -> str:
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in prefixes.items())


def _split_construct(text: str, rule: Rule) -> tuple[str, str]:
    """Return (template text, WHERE clause text) of a CONSTRUCT query."""
    match = re.search(r"\bCONSTRUCT\s*\{", text, re.I)
    if not match:
        raise RuleError(f"{rule.file}: rule {rule.iri}: sh:construct must be a CONSTRUCT query with a "
                        f"template ({SPEC})")
    depth, i = 1, match.end()
    while i < len(text) and depth:
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        i += 1
    if depth:
        raise RuleError(f"{rule.file}: rule {rule.iri}: unbalanced braces in the CONSTRUCT template")
    return text[match.end(): i - 1], text[i:]


def compile_rule(rule: Rule) -> None:
    """Check a rule parses, and derive the SELECT it runs, its template and its premise patterns."""
    from rdflib.paths import Path as RdfPath
    from rdflib.plugins.sparql import prepareQuery
    from rdflib.term import BNode

    text = rule.construct.replace("$this", "?this")
    header = _prefix_header(rule.prefixes)
    try:
        query = prepareQuery(header + text)
    except Exception as exc:  # rdflib raises pyparsing errors of several types
        raise RuleError(f"{rule.file}: rule {rule.iri}: sh:construct is not valid SPARQL: {exc} ({SPEC})") from exc
    algebra = query.algebra
    if algebra.name != "ConstructQuery":
        raise RuleError(f"{rule.file}: rule {rule.iri}: sh:construct must be a CONSTRUCT query ({SPEC})")
    template = list(algebra.template or [])
    for triple in template:
        if any(isinstance(t, BNode) for t in triple):
            raise RuleError(f"{rule.file}: rule {rule.iri}: the template uses a blank node; mint an IRI with "
                            f"BIND(IRI(...)) so re-running the rule adds nothing")
    rule.template = template
    premises: list[tuple[Any, Any, Any]] = []
    certain: list[bool] = []

    def walk(node: Any, sure: bool = True) -> None:
        """Collect triple patterns in positive positions; ``sure`` is False under UNION or OPTIONAL, where a
        fully bound pattern may still not hold (its existence is then checked when recording)."""
        name = getattr(node, "name", None)
        if name == "BGP":
            for t in node.triples:
                if not isinstance(t[1], RdfPath):
                    premises.append(t)
                    certain.append(sure)
            return
        if name == "Minus":
            walk(node.p1, sure)
            return
        if name == "Filter":
            walk(node.p, sure)
            return
        if name == "Union":
            walk(node.p1, False)
            walk(node.p2, False)
            return
        if name == "LeftJoin":
            walk(node.p1, sure)
            walk(node.p2, False)
            return
        for key in ("p", "p1", "p2"):
            child = getattr(node, key, None) if hasattr(node, "get") else None
            if child is not None and hasattr(child, "name"):
                walk(child, sure)

    walk(algebra.p)
    reads = reads_of(algebra.p)
    if reads is not None and rule.target_class:  # the focus-node pattern added below
        reads = reads | {("p", f"{RDF}type"), ("p", f"{RDFS}subClassOf")}
    rule.reads = reads
    rule.premises = premises
    rule.premise_certain = certain
    _template_text, where = _split_construct(text, rule)
    monotone = None if rule.target_class else plan(algebra.p, where)
    rule.delta = (header, *monotone) if monotone else None
    target = ""
    if rule.target_class:
        target = f"?this <{RDF}type>/<{RDFS}subClassOf>* <{rule.target_class}> .\n"
    brace = where.find("{")
    if brace < 0:
        raise RuleError(f"{rule.file}: rule {rule.iri}: missing WHERE clause")
    # Keep the query's own modifiers; project every variable the template or premises need.
    rule.select = header + "SELECT * " + where[:brace + 1] + "\n" + target + where[brace + 1:]


def rule_summary(rules: list[Rule]) -> list[dict[str, Any]]:
    """Rules as plain dicts, for `lmakg rules`."""
    from lmakg.knowledge.vocab import local_name

    return [{
        "id": r.id, "label": r.label, "kind": r.kind, "order": r.order, "confidence": r.confidence,
        "mechanism": local_name(r.mechanism) if r.mechanism else None,
        "principle": local_name(r.principle) if r.principle else None,
        "section": local_name(r.section).removeprefix("sec-").replace("-", ".") if r.section else None,
        "file": r.file.name, "target": local_name(r.target_class) if r.target_class else None,
    } for r in rules]
