"""Validate the knowledge files: Turtle syntax, SHACL shapes, vocabulary, and chemistry.

Why each check lives where it does:

* **Syntax** — rdflib parses each file separately so an error names the file and line.
* **SHACL** (``ontology/shapes.ttl``, run by pySHACL) — structural curation rules: a number without unit
  or source, a design without mechanism or placement, an unknown mechanism, a dangling reference...
* **Vocabulary** — every ``lma:`` term a data file uses must be declared in the ontology, which catches a
  misspelled property (``lma:actThrough``) that SHACL would silently ignore.
* **Chemistry** (RDKit) — every SMILES must parse and its InChIKey must equal the one curated.

Every problem becomes an :class:`Issue` naming the file, the line where the node is written, the node,
the constraint and the message, so a curator can go straight to it.

Run on files: ``python -m lmakg.validate kg/section-2.ttl`` (the ontology and the other files are loaded
as context, problems are reported for the named files only).
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.exceptions import ParserError
from rdflib.namespace import RDF, SH
from rdflib.plugins.parsers.notation3 import BadSyntax

from lmakg import resources
from lmakg.vocab import LMA, LMA_IRI, shorten

SHAPES_FILE = "shapes.ttl"


@dataclass(frozen=True, order=True)
class Issue:
    """One validation problem, located as precisely as the data allows."""

    file: str
    line: int
    node: str
    constraint: str
    message: str
    severity: str = "Violation"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.node}: {self.message} [{self.constraint}]"


@dataclass
class ParsedSources:
    """The merged graph of several files, remembering which file each triple came from."""

    graph: Graph = field(default_factory=Graph)
    subject_files: dict[object, set[Path]] = field(default_factory=lambda: defaultdict(set))
    texts: dict[Path, str] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    preferred: set[Path] = field(default_factory=set)  # files to name first when a node is in several


@dataclass
class ValidationReport:
    """All issues found; ``conforms`` when there are none of severity Violation."""

    issues: list[Issue]
    triples: int = 0
    files: int = 0

    @property
    def conforms(self) -> bool:
        return not any(i.severity == "Violation" for i in self.issues)

    @property
    def violations(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "Violation"]

    def summary(self) -> str:
        if self.conforms:
            return f"valid: {self.files} files, {self.triples} triples, 0 SHACL violations"
        return f"{len(self.violations)} violation(s) in {self.files} files"


def display_path(path: Path) -> str:
    """A path relative to the knowledge root (``kg/section-2.ttl``) when possible."""
    try:
        return str(path.resolve().relative_to(resources.data_dir()))
    except (ValueError, resources.DataNotFoundError):
        return str(path)


def _syntax_reason(exc: BadSyntax) -> str:
    match = re.search(r"Bad syntax \((.*?)\) at \^", str(exc))
    return match.group(1) if match else str(exc).splitlines()[0]


# rdflib parser and the name used in messages, by file extension (N-Triples is read as the Turtle it is a
# subset of, so syntax errors carry a line number); anything else is read as Turtle.
SYNTAXES = {".nt": ("turtle", "N-Triples"), ".jsonld": ("json-ld", "JSON-LD"), ".json": ("json-ld", "JSON-LD")}


def parse_files(files: list[Path]) -> ParsedSources:
    """Parse RDF files (Turtle; N-Triples and JSON-LD by extension) one by one into a merged graph;
    syntax errors become issues."""
    parsed = ParsedSources()
    for path in files:
        path = Path(path)
        parsed.files.append(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            parsed.issues.append(Issue(display_path(path), 0, "-", "syntax", f"cannot read file: {exc}"))
            continue
        parsed.texts[path] = text
        one = Graph()
        parser, syntax = SYNTAXES.get(path.suffix.lower(), ("turtle", "Turtle"))
        try:
            one.parse(data=text, format=parser, publicID=path.resolve().as_uri())
        except BadSyntax as exc:
            parsed.issues.append(
                Issue(display_path(path), exc.lines + 1, "-", f"{syntax} syntax", _syntax_reason(exc))
            )
            continue
        except (ParserError, ValueError) as exc:  # json.JSONDecodeError is a ValueError with .lineno
            parsed.issues.append(Issue(display_path(path), getattr(exc, "lineno", 0), "-", f"{syntax} syntax",
                                       str(exc)))
            continue
        for s, p, o in one:
            parsed.graph.add((s, p, o))
            parsed.subject_files[s].add(path)
    return parsed


def _owner(graph: Graph, node: object, depth: int = 0) -> object:
    """The named node a blank node hangs from (``lmk:design-x`` for its component node)."""
    if not isinstance(node, BNode) or depth > 10:
        return node
    for subject in graph.subjects(None, node):
        return _owner(graph, subject, depth + 1)
    return node


def _describe(graph: Graph, node: object) -> str:
    owner = _owner(graph, node)
    if owner is node:
        return shorten(str(node)) if isinstance(node, URIRef) else f"_:{node}"
    path = []
    current = node
    for _ in range(10):
        found = next(iter(graph.subject_predicates(current)), None)
        if found is None:
            break
        subject, predicate = found
        path.append(shorten(str(predicate)))
        if subject == owner:
            break
        current = subject
    return f"{shorten(str(owner))} / " + " / ".join(reversed(path)) + " [blank node]"


def _locate(parsed: ParsedSources, node: object) -> tuple[str, int]:
    """File and line where a node is written (best effort: the first line mentioning its name)."""
    owner = _owner(parsed.graph, node)
    files = sorted(parsed.subject_files.get(node) or parsed.subject_files.get(owner) or [],
                   key=lambda f: (f.resolve() not in parsed.preferred, f))
    if not files:
        return "-", 0
    path = files[0]
    if isinstance(owner, URIRef):
        short = shorten(str(owner))
        needles = [str(owner)] + ([short] if short != str(owner) else [])
        lines = parsed.texts.get(path, "").splitlines()
        # Prefer the line where the node is written as a subject, then any mention; skip comments.
        patterns = [rf"^<?{re.escape(n)}>?($|\s)" for n in needles]
        patterns += [rf"(^|[\s<,;]){re.escape(n)}($|[\s>,;.])" for n in needles]
        for pattern in patterns:
            for number, line in enumerate(lines, start=1):
                if not line.lstrip().startswith("#") and re.search(pattern, line):
                    return display_path(path), number
    return display_path(path), 0


def _issue(parsed: ParsedSources, node: object, constraint: str, message: str,
           severity: str = "Violation") -> Issue:
    file, line = _locate(parsed, node)
    return Issue(file, line, _describe(parsed.graph, node), constraint, message, severity)


def check_shacl(parsed: ParsedSources, shapes: Graph) -> list[Issue]:
    """Run pySHACL with the project's shapes; one issue per validation result."""
    from pyshacl import validate as shacl_validate

    _conforms, results_graph, _text = shacl_validate(
        parsed.graph, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True
    )
    issues = []
    for result in results_graph.subjects(RDF.type, SH.ValidationResult):
        focus = results_graph.value(result, SH.focusNode)
        message = results_graph.value(result, SH.resultMessage)
        component = results_graph.value(result, SH.sourceConstraintComponent)
        path = results_graph.value(result, SH.resultPath)
        value = results_graph.value(result, SH.value)
        severity = results_graph.value(result, SH.resultSeverity)
        constraint = shorten(str(component)) if component else "sh:constraint"
        if path is not None and isinstance(path, URIRef):
            constraint = f"{constraint} on {shorten(str(path))}"
        text = str(message) if message else "SHACL constraint violated"
        if value is not None and not isinstance(value, BNode) and str(value) not in text:
            text = f"{text} (value: {shorten(str(value)) if isinstance(value, URIRef) else value})"
        sev = "Violation" if severity is None or severity == SH.Violation else shorten(str(severity)).split(":")[-1]
        issues.append(_issue(parsed, focus, constraint, text, sev))
    return issues


def check_vocabulary(parsed: ParsedSources, declared: set[URIRef]) -> list[Issue]:
    """Every lma: IRI used as predicate, class or object must be declared in the ontology."""
    issues = []
    seen: set[tuple[object, URIRef]] = set()
    for s, p, o in parsed.graph:
        for term in (p, o):
            if isinstance(term, URIRef) and str(term).startswith(LMA_IRI) and term not in declared:
                if (s, term) in seen:
                    continue
                seen.add((s, term))
                issues.append(_issue(parsed, s, "vocabulary",
                                     f"unknown ontology term {shorten(str(term))} (not declared in ontology/)"))
    return issues


def check_chemistry(parsed: ParsedSources) -> list[Issue]:
    """RDKit must parse every SMILES, and the curated InChIKey must equal RDKit's."""
    from lmakg import chem

    issues = []
    for subject, smiles in parsed.graph.subject_objects(LMA.smiles):
        try:
            key = chem.inchikey(str(smiles))
        except chem.ChemistryError as exc:
            issues.append(_issue(parsed, subject, "RDKit SMILES", str(exc)))
            continue
        curated = parsed.graph.value(subject, LMA.inchiKey)
        if curated is not None and str(curated) != key:
            issues.append(_issue(parsed, subject, "RDKit InChIKey",
                                 f"lma:inchiKey {curated} does not match RDKit's {key} for SMILES {smiles}"))
    for subject, smiles in parsed.graph.subject_objects(LMA.repeatUnitSmiles):
        try:
            chem.parse_smiles(str(smiles))
        except chem.ChemistryError as exc:
            issues.append(_issue(parsed, subject, "RDKit repeat unit", str(exc)))
    for subject, charge in parsed.graph.subject_objects(LMA.charge):
        smiles = parsed.graph.value(subject, LMA.smiles)
        if smiles is None or not isinstance(charge, Literal):
            continue
        try:
            computed = chem.formal_charge(str(smiles))
        except chem.ChemistryError:
            continue
        if computed != int(charge):
            issues.append(_issue(parsed, subject, "RDKit charge",
                                 f"lma:charge {charge} disagrees with the SMILES' formal charge {computed}"))
    return issues + check_design_moves(parsed)


def _literal_issue(parsed: ParsedSources, node: object, text: str, constraint: str, message: str) -> Issue:
    """An issue placed on the line where a literal value is written (the SMARTS itself), else on the node."""
    issue = _issue(parsed, node, constraint, message)
    owner = _owner(parsed.graph, node)
    for path in sorted(parsed.subject_files.get(owner) or []):
        for number, line in enumerate(parsed.texts.get(path, "").splitlines(), start=1):
            if text and text in line:
                return Issue(display_path(path), number, issue.node, constraint, message)
    return issue


def check_design_moves(parsed: ParsedSources) -> list[Issue]:
    """Every lma:reactionSmarts parses in RDKit (one reactant, one product template), and applied to each
    of its move's examples' lma:exampleFrom it yields that example's lma:exampleTo (same InChIKey)."""
    from lmakg import chem, reactions

    issues = []
    for move, smarts in parsed.graph.subject_objects(LMA.reactionSmarts):
        try:
            reaction = reactions.parse_reaction(str(smarts))
        except chem.ChemistryError as exc:
            issues.append(_literal_issue(parsed, move, str(smarts), "RDKit reaction SMARTS", str(exc)))
            continue
        every = parsed.graph.value(move, LMA.appliesAtEverySite)
        every_site = bool(every.toPython()) if isinstance(every, Literal) else False
        for example in parsed.graph.objects(move, LMA.hasExample):
            source, target = parsed.graph.value(example, LMA.exampleFrom), parsed.graph.value(example, LMA.exampleTo)
            source_smiles = parsed.graph.value(source, LMA.smiles) if source is not None else None
            target_smiles = parsed.graph.value(target, LMA.smiles) if target is not None else None
            if source_smiles is None or target_smiles is None:
                issues.append(_issue(parsed, move, "RDKit move example",
                                     "a move example needs species with lma:smiles on both sides"))
                continue
            try:
                products, _errors = reactions.apply_reaction(reaction, str(source_smiles), every_site)
                made = {chem.inchikey(p) for p in products}
                wanted = chem.inchikey(str(target_smiles))
            except chem.ChemistryError as exc:
                issues.append(_issue(parsed, move, "RDKit move example", str(exc)))
                continue
            if wanted not in made:
                issues.append(_literal_issue(
                    parsed, move, str(smarts), "RDKit move example",
                    f"applied to {shorten(str(source))} ({source_smiles}) the reaction SMARTS gives "
                    f"{', '.join(products) or 'nothing'}, not {shorten(str(target))} ({target_smiles})"))
    return issues


def load_shapes() -> Graph:
    shapes = Graph()
    shapes.parse(resources.folder("ontology") / SHAPES_FILE, format="turtle")
    return shapes


def knowledge_files() -> list[Path]:
    """The ontology modules (without the shapes), the curated graph files and the curator's inferences
    (``kg/curator/*.ttl``), in load order."""
    ontology = [p for p in resources.turtle_files("ontology") if p.name != SHAPES_FILE]
    return ontology + resources.turtle_files("kg") + sorted((resources.folder("kg") / "curator").glob("*.ttl"))


def validate_files(files: list[Path] | None = None, report_only: list[Path] | None = None,
                   prefer: list[Path] | None = None) -> ValidationReport:
    """Validate the knowledge files (default: all of them) and return every issue found.

    ``report_only`` restricts the reported issues to those located in the given files, while the whole
    knowledge base is still loaded as context (so a file may use species defined elsewhere). ``prefer``
    names files to locate a problem in when its node is written in several files (``lmakg add`` points
    at the user's file rather than at the curated file that also describes the node).
    """
    files = knowledge_files() if files is None else list(files)
    parsed = parse_files(files)
    parsed.preferred = {Path(p).resolve() for p in prefer or []}
    issues = list(parsed.issues)
    if not issues:
        ontology_dir = resources.folder("ontology").resolve()
        declared = {
            s for s in parsed.graph.subjects()
            if isinstance(s, URIRef) and any(f.resolve().parent == ontology_dir for f in parsed.subject_files[s])
        }
        issues += check_vocabulary(parsed, declared)
        issues += check_chemistry(parsed)
        issues += check_shacl(parsed, load_shapes())
    if report_only is not None:
        wanted = {display_path(Path(p)) for p in report_only}
        issues = [i for i in issues if i.file in wanted]
    return ValidationReport(sorted(set(issues)), triples=len(parsed.graph), files=len(parsed.files))


def main(argv: list[str] | None = None) -> int:
    """``python -m lmakg.validate [FILE ...]``: print issues, exit 1 if any violation."""
    args = sys.argv[1:] if argv is None else argv
    targets = [Path(a) for a in args]
    files = knowledge_files()
    resolved = {f.resolve() for f in files}
    extra = [t for t in targets if t.resolve() not in resolved]
    report = validate_files(files + extra, report_only=targets or None)
    for issue in report.issues:
        print(issue)
    print(report.summary() if not targets else f"{len(report.violations)} violation(s) in {len(targets)} file(s)")
    return 0 if report.conforms else 1


if __name__ == "__main__":
    raise SystemExit(main())
