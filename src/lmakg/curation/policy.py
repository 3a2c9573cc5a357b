"""What a user's file may add (``lmakg add``): the additions policy, held as data in ``queries/additions/``.

Why a policy on top of validation: a file can be valid Turtle that passes every SHACL shape and still rewrite
the world — ``lma:Design rdfs:subClassOf owl:Nothing``, a new label on the review's FEC, a directly asserted
``lma:predictedMechanism``. Each ``queries/additions/*.rq`` names one thing additions may not do and returns
the triples that do it; this module runs them over the store the addition would go into (ontology, curated
graph, earlier additions, and the new file in its own graph, bound to ``?candidate``) and turns each row into
an :class:`~lmakg.curation.validate.Issue` naming the triple and the reason. Limits that are about resources,
not knowledge (file size), are checked before anything is parsed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lmakg.curation.validate import Issue
from lmakg.knowledge import resources
from lmakg.knowledge.load import load_knowledge
from lmakg.knowledge.queries import parse_query_file
from lmakg.knowledge.store import KnowledgeStore, StoreError, Term, open_store
from lmakg.knowledge.vocab import USER_GRAPHS, shorten

MAX_ADDITION_BYTES = 20 * 1024 * 1024  # a file of designs is kilobytes; this bounds memory while parsing
SHOWN_LITERAL = 60  # characters of a literal quoted in a message


@dataclass(frozen=True)
class PolicyRule:
    name: str
    reason: str
    text: str


def policy_rules() -> list[PolicyRule]:
    """The rules of ``queries/additions/`` (header ``# refuses:`` = the reason), sorted by name."""
    folder = resources.folder("queries") / "additions"
    rules = []
    for path in sorted(folder.glob("*.rq")):
        query = parse_query_file(path)
        reason = next((line.split(":", 1)[1].strip() for line in query.text.splitlines()
                       if line.startswith("# refuses:")), query.title)
        rules.append(PolicyRule(query.name, reason, query.text))
    return rules


def check_size(path: Path) -> None:
    """Refuse a file too large to be a file of designs, before it is read (raises ValueError)."""
    size = path.stat().st_size
    if size > MAX_ADDITION_BYTES:
        raise ValueError(f"{path}: {size:,} bytes is more than the {MAX_ADDITION_BYTES:,} an addition may have; "
                         f"additions describe designs — split the file or attach large data by reference")


def _show(term: Term) -> str:
    if term.kind == "uri":
        return shorten(term.value)
    if term.kind == "bnode":
        return "[blank node]"
    text = term.value if len(term.value) <= SHOWN_LITERAL else term.value[:SHOWN_LITERAL] + "…"
    return repr(text)


def _line_of(text: str, term: Term) -> int:
    """The first line of the file that writes the subject (its IRI, prefixed name or local name)."""
    if term.kind != "uri":
        return 0
    short = shorten(term.value)
    needles = [term.value, short, short.split(":", 1)[-1]] if short != term.value else [term.value]
    for needle in needles:
        for number, line in enumerate(text.splitlines(), start=1):
            if needle in line and not line.lstrip().startswith("#"):
                return number
    return 0


def check_policy(path: Path, data: bytes, fmt: str, graph: str, context: dict[str, bytes]) -> list[Issue]:
    """Every triple of the file that the policy refuses, as an issue naming the triple and the reason.

    ``context`` holds the earlier additions (name -> N-Triples), loaded into their own user graphs."""
    store: KnowledgeStore = open_store("oxigraph:")
    load_knowledge(store, rules=False)
    for name, other in context.items():
        store.load_data(other, "ntriples", USER_GRAPHS + name)
    try:
        store.load_data(data, fmt, graph, base_iri=path.resolve().as_uri())
    except StoreError:
        return []  # not parseable: validation reports the syntax error with its line
    text = data.decode("utf-8", errors="replace")
    refused: dict[tuple[Term, Term, Term], list[tuple[str, str]]] = {}
    for rule in policy_rules():
        for row in store.select(rule.text, bindings={"candidate": f"<{graph}>"}):
            detail = f" (the name of {shorten(row['curated'].value)})" if "curated" in row else ""
            refused.setdefault((row["s"], row["p"], row["o"]), []).append((rule.name, rule.reason + detail))
    issues = []
    for (s, p, o), why in refused.items():
        names = ", ".join(dict.fromkeys(name for name, _ in why))
        reasons = "; ".join(dict.fromkeys(reason for _, reason in why))
        issues.append(Issue(str(path), _line_of(text, s), _show(s), f"additions policy: {names}",
                            f"refused {_show(s)} {_show(p)} {_show(o)}: {reasons}"))
    return sorted(issues)
