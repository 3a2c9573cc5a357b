"""The rule engine: SHACL-AF SPARQL rules from ``rules/``, run to a fixpoint, with provenance.

Why it is built this way (pySHACL's ``apply_rules`` is the model):

* Rules are data: each ``rules/*.ttl`` file holds SHACL node shapes whose ``sh:rule`` values are
  ``sh:SPARQLRule`` nodes with ``sh:construct``, ``sh:order``, optional ``sh:deactivated`` and lmakg's
  metadata (label, ``lma:encodesPrinciple``, ``lma:inSection``, ``lma:confidence``...). The same files run
  unchanged in pySHACL, the independent executor the tests compare against.
* lmakg's rules are graph-wide: each shape targets one node (``sh:targetNode lmr:whole-graph``) and its
  rules do not use ``$this``, so every executor evaluates each rule once per pass (pySHACL would
  otherwise run one query per focus node). A rule whose shape uses ``sh:targetClass C`` is also
  supported: the engine evaluates all focus nodes in one SELECT (``rdf:type/rdfs:subClassOf* C``). The
  engine instantiates the CONSTRUCT template itself, so it knows the premises behind each conclusion.
* Rules run in ``sh:order`` (then by IRI), repeated until an iteration adds nothing, with a hard cap.
  Inferred triples go to their own named graph; each firing is a ``lma:Derivation`` (PROV-O) in the
  provenance graph, naming the rule, the premises and the conclusion. IRIs of derivations and statements
  are hashes of their content, so re-running adds nothing and the result does not depend on rule order.
* Errors name the rule file, the rule and the spec section they break.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lmakg import resources
from lmakg.store import KnowledgeStore
from lmakg.vocab import GRAPH, INFERRED_GRAPH, LMA_IRI, PREFIXES

PROVENANCE_GRAPH = GRAPH["provenance"]
RULE_NS = "https://w3id.org/lmakg/rules/"
DERIVATION_NS = "https://w3id.org/lmakg/derivation/"
STATEMENT_NS = "https://w3id.org/lmakg/statement/"
SH = "http://www.w3.org/ns/shacl#"
RDF = PREFIXES["rdf"]
RDFS = PREFIXES["rdfs"]
SPEC = "SHACL Advanced Features, section 8.3 (SPARQL rules)"


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

    @property
    def id(self) -> str:
        return self.iri.removeprefix(RULE_NS)


@dataclass
class InferenceResult:
    """What a run added: the number of inferred triples and derivations, iterations, and timing."""

    added: int
    derivations: int
    iterations: int
    seconds: float
    rules: int
    per_rule: dict[str, int] = field(default_factory=dict)
    seconds_per_rule: dict[str, float] = field(default_factory=dict)
    fired: dict[str, set[tuple[Any, ...]]] = field(default_factory=dict, repr=False)


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

    digest = hashlib.sha256(f"{__version__}|{rdflib.__version__}|{include_deactivated}|{PREFIXES}".encode())
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

    from lmakg.vocab import LMA

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
    rule.premises = premises
    rule.premise_certain = certain
    _template_text, where = _split_construct(text, rule)
    target = ""
    if rule.target_class:
        target = f"?this <{RDF}type>/<{RDFS}subClassOf>* <{rule.target_class}> .\n"
    brace = where.find("{")
    if brace < 0:
        raise RuleError(f"{rule.file}: rule {rule.iri}: missing WHERE clause")
    # Keep the query's own modifiers; project every variable the template or premises need.
    rule.select = header + "SELECT * " + where[:brace + 1] + "\n" + target + where[brace + 1:]


# ----------------------------------------------------------------------------------------------------
# Running rules
# ----------------------------------------------------------------------------------------------------

def digest(*parts: str) -> str:
    """The content hash that names derivations and statements (same content, same IRI: re-runs add nothing)."""
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:20]


def reify(store: KnowledgeStore, triple: tuple[Any, Any, Any]) -> tuple[Any, str, list[tuple[Any, Any, Any]]]:
    """The rdf:Statement node naming a triple (by content hash), its hash, and the four triples describing it.
    Used for the premises and conclusions of rule firings and of RDKit perception alike."""
    key = digest(" ".join(store.term_text(t) for t in triple))
    node = store.iri(STATEMENT_NS + key)
    return node, key, [(node, store.iri(RDF + "type"), store.iri(RDF + "Statement")),
                       (node, store.iri(RDF + "subject"), triple[0]),
                       (node, store.iri(RDF + "predicate"), triple[1]),
                       (node, store.iri(RDF + "object"), triple[2])]


class _Instantiator:
    """Compiles rdflib template terms into store terms (constants cached) for :func:`_build`."""

    def __init__(self, store: KnowledgeStore) -> None:
        self.store = store
        self.cache: dict[Any, Any] = {}

    def constant(self, t: Any) -> Any:
        """The store term of an IRI or literal of a template (None for anything else)."""
        from rdflib.term import Literal, URIRef

        cached = self.cache.get(t)
        if cached is not None:
            return cached
        if isinstance(t, URIRef):
            made = self.store.iri(str(t))
        elif isinstance(t, Literal):
            made = self.store.literal(str(t), str(t.datatype) if t.datatype else None)
        else:
            return None
        self.cache[t] = made
        return made

    def builders(self, patterns: list[tuple[Any, Any, Any]], names: list[str]) -> list[Any]:
        """Patterns compiled against a solution layout: each position is (column, None) for a variable
        or (-1, store term) for a constant; None for a pattern with a variable the query never binds.
        Instantiating one is then three index lookups (see :func:`_build`)."""
        from rdflib.term import Variable

        column = {name: i for i, name in enumerate(names)}
        compiled: list[Any] = []
        for pattern in patterns:
            spec = []
            for t in pattern:
                if isinstance(t, Variable):
                    spec.append((column.get(str(t), -2), None))
                else:
                    spec.append((-1, self.constant(t)))
            usable = all(i != -2 for i, _ in spec) and all(c is not None for i, c in spec if i == -1)
            compiled.append(tuple(spec) if usable else None)
        return compiled


def _build(spec: Any, values: tuple[Any, ...]) -> tuple[Any, Any, Any] | None:
    """A triple from a compiled pattern and one solution row; None if a variable is unbound."""
    if spec is None:
        return None
    (i, a), (j, b), (k, c) = spec
    s = values[i] if i >= 0 else a
    p = values[j] if j >= 0 else b
    o = values[k] if k >= 0 else c
    if s is None or p is None or o is None:
        return None
    return s, p, o


def infer(
    store: KnowledgeStore,
    rules: list[Rule] | None = None,
    max_iterations: int = 25,
    record_provenance: bool = True,
    progress: Callable[[str], None] | None = None,
    incremental: bool = False,
    fired: dict[str, set[tuple[Any, ...]]] | None = None,
    clear: bool | None = None,
) -> InferenceResult:
    """Run the rules to a fixpoint over the store; inferred triples replace the previous inferred graph.

    ``incremental`` keeps the inferred and provenance graphs of an earlier run and only adds what new
    asserted facts imply (derivations are recorded for the new rule firings only). It is what `lmakg
    predict` uses to judge a candidate against an already reasoned graph; it is exact for monotone
    additions such as a new species in its own design (tests/test_predict.py compares it with a full run).
    ``fired`` holds the rule solutions already instantiated on this store (:func:`rule_firings`, or the
    ``fired`` of an earlier result); they are skipped. ``clear`` (default: not ``incremental``) empties
    the inferred and provenance graphs first; :func:`materialize` clears them itself, before perception
    writes its own derivations.

    Returns what was added. Raises :class:`RuleError` if the fixpoint is not reached in ``max_iterations``.
    """
    say = progress or (lambda _m: None)
    rules = load_rules() if rules is None else rules
    start = time.perf_counter()
    if (not incremental) if clear is None else clear:
        store.clear_graph(str(INFERRED_GRAPH))
        store.clear_graph(str(PROVENANCE_GRAPH))
    make = _Instantiator(store)
    graphs = reasoning_graphs(store)
    done = fired if fired is not None else {}
    mine: dict[str, set[tuple[Any, ...]]] = {r.id: set() for r in rules}
    names_of: dict[str, list[str]] = {}
    last_rows: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = {}
    added_total = 0
    per_rule: dict[str, int] = {r.id: 0 for r in rules}
    timing: dict[str, float] = {r.id: 0.0 for r in rules}
    iterations = 0
    for iterations in range(1, max_iterations + 1):
        added = 0
        for rule in rules:
            began = time.perf_counter()
            names, rows = store.solutions(rule.select, graphs)
            last_rows[rule.id] = (names, rows)
            names_of[rule.id] = names
            old, seen = done.get(rule.id, ()), mine[rule.id]
            template = make.builders(rule.template, names)
            new: dict[tuple[Any, Any, Any], None] = {}
            for values in rows:
                # a solution met before already added its conclusions (the store only grows), so only
                # new solutions are instantiated: semi-naive evaluation at the level of rule firings
                if values in seen or values in old:
                    continue
                seen.add(values)
                for spec in template:
                    triple = _build(spec, values)
                    if triple is not None and triple not in new and not store.contains(*triple):
                        new[triple] = None
            if new:
                store.add_triples(list(new), str(INFERRED_GRAPH))
                added += len(new)
                per_rule[rule.id] += len(new)
            timing[rule.id] += time.perf_counter() - began
        added_total += added
        say(f"iteration {iterations}: {added} new triples")
        if added == 0:
            break
    else:
        raise RuleError(f"no fixpoint after {max_iterations} iterations; a rule keeps minting new nodes")
    began = time.perf_counter()
    derivations = 0
    if record_provenance:
        if incremental:  # the firings met for the first time: the earlier ones are recorded already
            firings = {r.id: (names_of[r.id], list(mine[r.id])) for r in rules}
            derivations = record_derivations(store, rules, make, rows_by_rule=firings)
        else:  # the last pass added nothing, so its solutions are those of the closed graph
            derivations = record_derivations(store, rules, make, rows_by_rule=last_rows)
    timing["(provenance)"] = time.perf_counter() - began
    return InferenceResult(added_total, derivations, iterations, time.perf_counter() - start, len(rules), per_rule,
                           timing, fired=mine)


def rule_firings(store: KnowledgeStore, rules: list[Rule]) -> dict[str, set[tuple[Any, ...]]]:
    """Every solution of every rule on a closed graph: what an incremental run (``fired=``) may skip."""
    graphs = reasoning_graphs(store)
    return {rule.id: set(store.solutions(rule.select, graphs)[1]) for rule in rules}


def reasoning_graphs(store: KnowledgeStore) -> list[str]:
    """The graphs rules read: every named graph but the provenance graph. Rules reason about the
    knowledge, not about their own bookkeeping (otherwise a later run would classify the derivations an
    earlier run recorded, and the closure would depend on when provenance was written)."""
    return sorted((set(store.named_graphs()) | {str(INFERRED_GRAPH)}) - {str(PROVENANCE_GRAPH)})


def record_derivations(store: KnowledgeStore, rules: list[Rule], make: _Instantiator,
                       rows_by_rule: dict[str, tuple[list[str], list[tuple[Any, ...]]]] | None = None) -> int:
    """One pass over the closed graph: for every firing whose conclusion is inferred, record a
    lma:Derivation with the rule, the conclusion and the premises that matched. ``rows_by_rule`` passes
    solutions the caller already has (rule id -> (variable names, rows)) instead of running each rule's
    query again (an incremental run passes only its new firings).

    Provenance is written rule by rule (bounded memory); statement nodes are cached by content.
    """
    rdf_type = store.iri(RDF + "type")
    derivation_cls = store.iri(LMA_IRI + "Derivation")
    used_rule = store.iri(LMA_IRI + "usedRule")
    conclusion_p = store.iri(LMA_IRI + "conclusion")
    premise_p = store.iri(LMA_IRI + "premise")
    inferred = str(INFERRED_GRAPH)
    provenance = str(PROVENANCE_GRAPH)
    statements: dict[tuple[Any, Any, Any], tuple[Any, str]] = {}
    checked: set[tuple[Any, Any, Any]] = set()
    is_inferred: set[tuple[Any, Any, Any]] = set()
    count = 0

    def check(triple: tuple[Any, Any, Any]) -> bool:
        """Whether a conclusion is in the inferred graph (asked once per triple)."""
        checked.add(triple)
        if store.contains(*triple, graph=inferred):
            is_inferred.add(triple)
            return True
        return False

    def statement(triple: tuple[Any, Any, Any], sink: list[tuple[Any, Any, Any]]) -> tuple[Any, str]:
        found = statements.get(triple)
        if found is None:
            node, key, description = reify(store, triple)
            sink.extend(description)
            found = statements[triple] = (node, key)
        return found

    for rule in rules:
        names, rows = (rows_by_rule[rule.id] if rows_by_rule is not None
                       else store.solutions(rule.select, reasoning_graphs(store)))
        rule_node = store.iri(rule.iri)
        template = make.builders(rule.template, names)
        premises = list(zip(make.builders(rule.premises, names), rule.premise_certain, strict=True))
        sink: list[tuple[Any, Any, Any]] = []
        for values in rows:
            conclusions = [t for t in (_build(spec, values) for spec in template)
                           if t is not None and (t in is_inferred if t in checked else check(t))]
            if not conclusions:
                continue
            premise_nodes: dict[str, Any] = {}
            for spec, sure in premises:
                triple = _build(spec, values)
                if triple is None or (not sure and not store.contains(*triple)):
                    continue
                node, key = statement(triple, sink)
                premise_nodes[key] = node
            keys = sorted(premise_nodes)
            d_node = store.iri(DERIVATION_NS + digest(rule.iri, *keys))
            sink.extend(((d_node, rdf_type, derivation_cls), (d_node, used_rule, rule_node)))
            sink.extend((d_node, premise_p, premise_nodes[k]) for k in keys)
            sink.extend((d_node, conclusion_p, statement(c, sink)[0]) for c in conclusions)
            count += 1
        if sink:
            store.add_triples(sink, provenance)
    return count


def inferred_triples(store: KnowledgeStore) -> set[tuple[str, str, str]]:
    """The inferred graph as a set of N-Triples-like text tuples (for comparisons in tests)."""
    return {tuple(store.term_text(t) for t in triple) for triple in store.triples(str(INFERRED_GRAPH))}


def materialize(store: KnowledgeStore, rules: list[Rule] | None = None,
                progress: Callable[[str], None] | None = None) -> InferenceResult:
    """Perceive structures (RDKit) and run the rules to a fixpoint: what `lmakg infer` does."""
    from lmakg.perceive import perceive

    say = progress or (lambda _m: None)
    store.clear_graph(str(INFERRED_GRAPH))
    store.clear_graph(str(PROVENANCE_GRAPH))
    perceived = perceive(store)
    say(f"perceived {perceived} facts with RDKit (features, elements, charges, F fractions)")
    return infer(store, rules, progress=progress, clear=False)


def rule_summary(rules: list[Rule]) -> list[dict[str, Any]]:
    """Rules as plain dicts, for `lmakg rules`."""
    from lmakg.vocab import local_name

    return [{
        "id": r.id, "label": r.label, "kind": r.kind, "order": r.order, "confidence": r.confidence,
        "mechanism": local_name(r.mechanism) if r.mechanism else None,
        "principle": local_name(r.principle) if r.principle else None,
        "section": local_name(r.section).removeprefix("sec-").replace("-", ".") if r.section else None,
        "file": r.file.name, "target": local_name(r.target_class) if r.target_class else None,
    } for r in rules]
