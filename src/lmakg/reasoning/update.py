"""Rules run where the data is: on a SPARQL server store, each rule is sent as one SPARQL Update.

Why it is built this way (the embedded engine, :mod:`lmakg.reasoning.engine`, is the reference):

* **Conclusions.** Each rule's CONSTRUCT becomes ``INSERT { GRAPH <inferred> { template } } USING <g>... WHERE
  { its WHERE }``, the ``USING`` graphs being the graphs rules read (every lmakg graph but the provenance
  graph). Rules run in the engine's order, one request each, and passes repeat until the inferred graph stops
  growing (one ``COUNT`` per pass); a conclusion some other graph already holds is then deleted from the
  inferred graph, as the engine never adds one. Nothing is pulled into Python.
* **Provenance.** After the fixpoint one more update per rule records each firing as the engine does: an
  ``lma:Derivation`` naming the rule, the premises that held and the conclusions found in the inferred graph,
  with ``rdf:Statement`` nodes. Their IRIs are the engine's content hashes, computed by the server with
  ``SHA1``/``CONCAT``/``STR`` over the N-Triples text of each term (:func:`term_text`): a statement is
  ``sha1(s p o)``, a derivation ``sha1(rule, premise keys in premise order)``, the first 20 hex digits.
  A blank node has no text a query can read: both sides key it by the triples around it
  (``blank-node-keys.rq``, written once to a private graph here and joined in).
  A server that stores typed literals by value (Virtuoso 7: ``"6.02214076E23"^^xsd:double`` comes back as
  ``"6.02214076e+23"``, ``"9"^^xsd:decimal`` as ``"9"^^xsd:integer``, ``"true"`` as ``"1"``) hashes the text it
  holds, so statements about such literals get other IRIs than on the embedded store; the derivations (rule,
  premises, conclusions) are the same, compared by value (``tests/server/test_backends.py``).
* **Extension functions** (``lmf:ln``, :mod:`lmakg.knowledge.functions`): a server cannot be taught them
  portably (Oxigraph server has no way; Virtuoso has SQL procedures), so before each pass the arguments the
  rule would pass are read with one ``SELECT DISTINCT``, the function is computed here, and the rule is sent
  with a ``VALUES`` table of argument and result in place of the call: the same numbers as the embedded engine.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pyoxigraph as ox

from lmakg.knowledge.functions import FUNCTION_NS, FUNCTIONS, XSD_DOUBLE, custom_functions
from lmakg.knowledge.queries import engine_query
from lmakg.knowledge.vocab import INFERRED_GRAPH, LMA_IRI, PREFIXES
from lmakg.reasoning import engine
from lmakg.reasoning.engine import InferenceResult
from lmakg.reasoning.provenance import DERIVATION_NS, PROVENANCE_GRAPH, STATEMENT_NS, reasoning_graphs
from lmakg.reasoning.rules import Rule, RuleError, _split_construct, load_rules

RDF = PREFIXES["rdf"]
XSD_STRING = PREFIXES["xsd"] + "string"
SEP = "\\u001F"
KEY = "urn:lmakg:blank-node-key"
KEYS_GRAPH = "urn:lmakg:blank-node-keys"  # the engine's digest() joins parts with U+001F
UNBOUND = "urn:lmakg:unbound"  # stands for an unbound variable in a join (no triple names it)
CALL = re.compile(r"(?:lmf:|<" + re.escape(FUNCTION_NS) + r")(\w+)>?\s*\(\s*\?(\w+)\s*\)")


def q(text: str) -> str:
    """A SPARQL string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r") + '"'


def term_text(var: str) -> str:
    """A SPARQL expression for the text of ?var in a content hash (``provenance.term_key``: N-Triples with a
    literal's value unescaped; ``[]`` for a blank node; unbound if ?var is). ``COALESCE`` because Virtuoso 7 gives
    no ``LANG`` at all for a number it computed or read from ``VALUES``."""
    literal = (f'CONCAT("\\"", STR(?{var}), "\\"", IF(COALESCE(LANG(?{var}), "") != "", CONCAT("@", LANG(?{var})), '
               f'IF(DATATYPE(?{var}) = <{XSD_STRING}>, "", CONCAT("^^<", STR(DATATYPE(?{var})), ">"))))')
    return f'IF(isIRI(?{var}), CONCAT("<", STR(?{var}), ">"), IF(isBlank(?{var}), "[]", {literal}))'


def _is_var(term: Any) -> bool:
    return type(term).__name__ == "Variable"  # rdflib's, without importing rdflib on every command


def constant_text(term: Any) -> str:
    """The N-Triples text of a constant of a rule (as pyoxigraph writes it)."""
    if type(term).__name__ == "URIRef":
        return f"<{term}>"
    if term.language:
        return str(ox.Literal(str(term), language=term.language))
    return str(ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)) if term.datatype else None))


def sparql_term(term: Any) -> str:
    return f"?{term}" if _is_var(term) else constant_text(term)


class Compiled:
    """The SPARQL Update texts of one rule for a given set of graph names."""

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        text = rule.construct.replace("$this", "?this")
        template, where = _split_construct(text, rule)
        start, end = where.find("{"), where.rfind("}")
        if start < 0 or end < start or where[end + 1:].strip():
            raise RuleError(f"{rule.file}: rule {rule.iri}: a WHERE clause with solution modifiers cannot run "
                            f"as SPARQL Update")
        self.header = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in rule.prefixes.items())
        target = f"?this <{RDF}type>/<{PREFIXES['rdfs']}subClassOf>* <{rule.target_class}> .\n" \
            if rule.target_class else ""
        self.template = template
        self.body = target + where[start + 1:end]
        self.calls = sorted(set(CALL.findall(self.body)))
        unknown = [name for name, _var in self.calls if name not in FUNCTIONS]
        if unknown:
            raise RuleError(f"{rule.file}: rule {rule.iri}: the function lmf:{unknown[0]} is not known to lmakg")

    # -- extension functions as VALUES tables ---------------------------------------------------------
    def body_for(self, store: Any, using: str) -> str:
        """The WHERE body with each extension call replaced by a variable bound by a VALUES table."""
        if not self.calls:
            return self.body
        placeholder = CALL.sub("0", self.body)
        body = CALL.sub(lambda m: f"?lmkfn_{m.group(1)}_{m.group(2)}", self.body)
        for name, var in self.calls:
            # a literal is read as its text and datatype: Virtuoso 7 writes a double in results with 6 digits
            rows = store.select(f"{self.header}SELECT DISTINCT ?{var} (STR(?{var}) AS ?lmks) "
                                f"(DATATYPE(?{var}) AS ?lmkd) WHERE {{ {placeholder} }}", graphs=using)
            values = []
            for row in rows:
                term = row.get(var)
                if term is None:
                    continue
                if "lmkd" in row and not term.language:
                    term = ox.Literal(row["lmks"].value, datatype=ox.NamedNode(row["lmkd"].value))
                try:
                    result = f'"{FUNCTIONS[name](float(term.value))!r}"^^<{XSD_DOUBLE}>'
                except (ValueError, TypeError):
                    result = "UNDEF"
                values.append(f"({store.to_store_term(term)} {result})")
            body = f"VALUES (?{var} ?lmkfn_{name}_{var}) {{ {' '.join(values)} }}\n" + body
        return body

    # -- conclusions ----------------------------------------------------------------------------------
    def conclusions(self, body: str, inferred: str, using: list[str]) -> str:
        return (f"{self.header}INSERT {{ GRAPH <{inferred}> {{ {self.template} }} }}\n"
                + "".join(f"USING <{g}>\n" for g in using) + f"WHERE {{ {body} }}")

    # -- provenance -----------------------------------------------------------------------------------
    def provenance(self, body: str, inferred: str, provenance: str, using: list[str], keys: str) -> str:
        """One update recording the rule's firings. Its WHERE nests three sub-selects — the terms' texts and
        the tests of optional premises and conclusions (level 1), the premise and conclusion keys (level 2), the
        statement IRIs and the derivation's digest (outermost) — so each expression is written once and later
        ones only name its variable: a server that expands a ``BIND`` variable into every expression using it
        (Virtuoso 7 does; the digest of a 19-premise rule then overflowed its compiler, SQ199) compiles
        expressions of the size of the rule (see DISTINCT below). A text or key that does not exist is "", never
        unbound, and every IRI is made only from a non-empty key: Virtuoso's ``CONCAT`` reads an unbound argument
        as "" (SPARQL: an error), and its ``BOUND`` is true for an unbound column of a sub-select."""
        rule = self.rule
        # as in the engine, a pattern with a variable the rule's SELECT does not project (one inside a
        # sub-select) is no premise and no conclusion
        visible = {v.value for v in ox.Store().query(rule.select, custom_functions=custom_functions()).variables}

        def usable(pattern: Any) -> bool:
            return all(str(t) in visible for t in pattern if _is_var(t))

        premises = [(p, sure) for p, sure in zip(rule.premises, rule.premise_certain, strict=True) if usable(p)]
        template = [p for p in rule.template if usable(p)]
        variables = sorted({str(t) for pattern, _sure in premises for t in pattern if _is_var(t)}
                           | {str(t) for pattern in template for t in pattern if _is_var(t)})
        sure = {str(t) for p, certain in premises if certain for t in p if _is_var(t)}
        level1, flags = self._texts(variables, sure, premises, template, inferred, keys, body)
        keyed = [f"BIND({_key(p)} AS ?lmkp_{i})" if certain else f'BIND(IF(?lmke_{i}, {_key(p)}, "") AS ?lmkp_{i})'
                 for i, (p, certain) in enumerate(premises)]
        keyed += [f'BIND(IF(?lmkh_{j}, {_key(p)}, "") AS ?lmkc_{j})' for j, p in enumerate(template)]
        found = " || ".join(f'?lmkc_{j} != ""' for j in range(len(template))) or "false"
        rule_vars = " ".join(f"?{v}" for v in variables)
        keys_out = " ".join([f"?lmkp_{i}" for i in range(len(premises))] + [f"?lmkc_{j}" for j in range(len(template))])
        # DISTINCT (the same triples are inserted): Virtuoso 7 then computes a sub-select's columns once instead
        # of expanding their expressions into the next level (measured: compiles in 0.3 s instead of SQ199)
        texts = " ".join([f"?lmkf_{v}" for v in variables] + flags)
        level1 = f"SELECT DISTINCT {rule_vars} {texts} WHERE {{ {level1} }}"
        level2 = (f"SELECT DISTINCT {rule_vars} {keys_out} WHERE {{ {{ {level1} }}\n" + "\n".join(keyed)
                  + f"\nFILTER({found}) }}")
        out = [f"?lmkd a <{LMA_IRI}Derivation> ; <{LMA_IRI}usedRule> <{rule.iri}> ."]
        out += [self._statement(f"?lmkpn_{i}", pattern, "premise") for i, (pattern, _s) in enumerate(premises)]
        out += [self._statement(f"?lmkcn_{j}", pattern, "conclusion") for j, pattern in enumerate(template)]
        return (f"{self.header}INSERT {{ GRAPH <{provenance}> {{\n" + "\n".join(out) + "\n} }\n"
                + "".join(f"USING <{g}>\n" for g in using) + f"USING NAMED <{inferred}>\nUSING NAMED <{keys}>\n"
                + f"WHERE {{ {{ {level2} }}\n" + "\n".join(self._named(rule.iri, premises, len(template))) + "\n}")

    @staticmethod
    def _texts(variables: list[str], sure: set[str], premises: list[tuple[Any, bool]], template: list[Any],
               inferred: str, keys: str, body: str) -> tuple[str, list[str]]:
        """Level 1: the rule's pattern, each term's text as ?lmkf_VAR ("" for none; a blank node's key looked up
        in the keys graph, blank-node-keys.rq), ?lmke_I whether each optional premise holds and ?lmkh_J whether
        each conclusion is in the inferred graph (tests kept beside the rule's pattern: Virtuoso 7 fails on an
        EXISTS in a sub-select over a UNION, SQ156). Returns the group's text and the flag variables."""
        # a variable the rule BINDs holds an IRI or a literal (rules mint IRIs, never BNODE()): no key to look up
        computed = set() if "BNODE" in body.upper() else set(re.findall(r"\bAS\s+\?(\w+)\s*\)", body))
        texts = [f"OPTIONAL {{ GRAPH <{keys}> {{ ?{v} <{KEY}> ?lmkb_{v} }} }}" if v in sure else
                 f"OPTIONAL {{ GRAPH <{keys}> {{ ?lmkn_{v} <{KEY}> ?lmkb_{v} }} FILTER(?lmkn_{v} = ?{v}) }}"
                 for v in variables if v not in computed]
        texts += [f'BIND(COALESCE({term_text(v)}, "") AS ?lmkf_{v})' if v in computed else
                  f'BIND(COALESCE(IF(isBlank(?{v}), ?lmkb_{v}, {term_text(v)}), "") AS ?lmkf_{v})' for v in variables]
        flags = []
        for i, (pattern, certain) in enumerate(premises):
            if not certain:
                texts.append(f"BIND(EXISTS {{ {_triple(pattern)} }} AS ?lmke_{i})")
                flags.append(f"?lmke_{i}")
        guarded: set[str] = set()
        for j, pattern in enumerate(template):
            # an OPTIONAL join, not EXISTS over a named graph (SQ156 again); a variable that may be unbound is
            # joined through a copy that never is, so the OPTIONAL binds nothing new
            terms = []
            for t in pattern:
                if _is_var(t) and str(t) not in sure:
                    if str(t) not in guarded:
                        guarded.add(str(t))
                        texts.append(f"BIND(COALESCE(?{t}, <{UNBOUND}>) AS ?lmku_{t})")
                    terms.append(f"?lmku_{t}")
                else:
                    terms.append(sparql_term(t))
            texts.append(f"OPTIONAL {{ GRAPH <{inferred}> {{ {' '.join(terms)} }} BIND(true AS ?lmkx_{j}) }}")
            texts.append(f"BIND(BOUND(?lmkx_{j}) AS ?lmkh_{j})")
            flags.append(f"?lmkh_{j}")
        return f"{body}\n" + "\n".join(texts) + "\n", flags

    @staticmethod
    def _named(rule_iri: str, premises: list[tuple[Any, bool]], conclusions: int) -> list[str]:
        """The outermost level: statement IRIs, and the derivation's digest over the distinct premise keys in
        premise order (a key is compared only with earlier premises that can be the same triple)."""
        named, parts = [], []
        for i, (pattern, _certain) in enumerate(premises):
            named.append(f'BIND(IF(?lmkp_{i} != "", IRI(CONCAT({q(STATEMENT_NS)}, ?lmkp_{i})), ?lmk_unbound) '
                         f"AS ?lmkpn_{i})")
            same = [j for j in range(i) if _may_equal(premises[j][0], pattern)]
            fresh = "".join(f" && ?lmkp_{i} != ?lmkp_{j}" for j in same)
            parts.append(f'IF(?lmkp_{i} != ""{fresh}, CONCAT("{SEP}", ?lmkp_{i}), "")')
        named += [f'BIND(IF(?lmkc_{j} != "", IRI(CONCAT({q(STATEMENT_NS)}, ?lmkc_{j})), ?lmk_unbound) AS ?lmkcn_{j})'
                  for j in range(conclusions)]
        digest = f'SUBSTR(SHA1(CONCAT({q(rule_iri)}{"".join(", " + p for p in parts)})), 1, 20)'
        named.append(f"BIND(IRI(CONCAT({q(DERIVATION_NS)}, {digest})) AS ?lmkd)")
        return named

    @staticmethod
    def _statement(node: str, pattern: Any, role: str) -> str:
        s, p, o = (sparql_term(t) for t in pattern)
        return (f"?lmkd <{LMA_IRI}{role}> {node} . {node} a <{RDF}Statement> ; <{RDF}subject> {s} ; "
                f"<{RDF}predicate> {p} ; <{RDF}object> {o} .")


def _final(t: Any) -> str:
    """A term of a pattern in a key: its text (?lmkf_VAR, level 1) or the constant's."""
    return f"?lmkf_{t}" if _is_var(t) else q(constant_text(t))


def _key(pattern: Any) -> str:
    """The content key of a pattern's triple, "" unless every variable has a text ("" for none, level 1)."""
    s, p, o = (_final(t) for t in pattern)
    known = " && ".join(f'{_final(t)} != ""' for t in pattern if _is_var(t))
    key = f'SUBSTR(SHA1(CONCAT({s}, " ", {p}, " ", {o})), 1, 20)'
    return f'IF({known}, {key}, "")' if known else key


def _triple(pattern: Any) -> str:
    return " ".join(sparql_term(t) for t in pattern)


def _may_equal(a: Any, b: Any) -> bool:
    """Whether two triple patterns can match the same triple (no position holds two different constants)."""
    return all(_is_var(x) or _is_var(y) or x == y for x, y in zip(a, b, strict=True))


def _count(store: Any, graph: str, pattern: str = "?s ?p ?o") -> int:
    rows = store.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}", graphs=[graph])
    return int(rows[0]["n"].value) if rows else 0


def infer_by_update(store: Any, rules: list[Rule] | None = None, max_iterations: int = 25,
                    record_provenance: bool = True, progress: Callable[[str], None] | None = None,
                    incremental: bool = False, fired: Any = None, clear: bool | None = None) -> InferenceResult:
    """:func:`lmakg.reasoning.engine.infer` on a SPARQL server store: the same fixpoint and provenance, computed
    by the server (see the module docstring)."""
    if incremental or fired:
        raise RuleError(f"incremental reasoning runs on an embedded store only, not on {store.location}")
    say = progress or (lambda _m: None)
    rules = load_rules() if rules is None else rules
    start = time.perf_counter()
    if clear is None or clear:
        store.clear_graph(str(INFERRED_GRAPH))
        store.clear_graph(str(PROVENANCE_GRAPH))
    compiled = [Compiled(rule) for rule in rules]
    # the graphs written first (while a change is staged, that gives them their private copies), then read
    inferred, provenance = store.write_name(str(INFERRED_GRAPH)), store.write_name(str(PROVENANCE_GRAPH))
    read = reasoning_graphs(store)
    using = [store.graph_name(g) for g in read]
    timing = {r.id: 0.0 for r in rules}
    before = _count(store, str(INFERRED_GRAPH))
    size, iterations = before, 0
    for iterations in range(1, max_iterations + 1):
        for c in compiled:
            began = time.perf_counter()
            store.update(c.conclusions(c.body_for(store, read), inferred, using))
            timing[c.rule.id] += time.perf_counter() - began
        now = _count(store, str(INFERRED_GRAPH))
        say(f"iteration {iterations}: {now - size} new triples (on the server)")
        if now == size:
            break
        size = now
    else:
        raise RuleError(f"no fixpoint after {max_iterations} iterations; a rule keeps minting new nodes")
    # the engine never restates what another graph holds: drop such conclusions from the inferred graph
    others = "".join(f"USING NAMED <{g}>\n" for g in using)
    store.update(f"DELETE {{ GRAPH <{inferred}> {{ ?s ?p ?o }} }}\n{others}WHERE {{ GRAPH <{inferred}> {{ ?s ?p ?o }} "
                 f"GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != <{inferred}>) }}")
    added = _count(store, str(INFERRED_GRAPH)) - before
    began = time.perf_counter()
    derivations = 0
    if record_provenance:
        counted = f"?d <{LMA_IRI}usedRule> ?rule"
        old = _count(store, str(PROVENANCE_GRAPH), counted)
        keys = store.write_name(KEYS_GRAPH)
        store.update(f"INSERT {{ GRAPH <{keys}> {{ ?b <{KEY}> ?key }} }}\n" + "".join(f"USING <{g}>\n" for g in using)
                     + f"WHERE {{ {{ {engine_query('blank-node-keys')} }} }}")
        try:
            for c in compiled:
                store.update(c.provenance(c.body_for(store, read), inferred, provenance, using, keys))
        finally:
            store.update(f"DROP SILENT GRAPH <{keys}>")
        derivations = _count(store, str(PROVENANCE_GRAPH), counted) - old
        say(f"provenance: {derivations} derivations recorded on the server in {time.perf_counter() - began:.1f} s")
    timing["(provenance)"] = time.perf_counter() - began
    return InferenceResult(added, derivations, iterations, time.perf_counter() - start, len(rules),
                           {r.id: 0 for r in rules}, timing)


engine.REMOTE["sparql"] = infer_by_update
