"""The formulation language of ``lmakg assess``: electrolytes as researchers write them, read into components.

"1.2 M LiFSI in DME/TTE (1:2 v/v)", "LiFSI-1.2DME-3TTE" and "1 M LiPF₆ in EC/DMC (1:1 v/v) + 5 wt% FEC" become
:class:`Formulation` objects: each component's species, its kind (salt, solvent, additive), and its amount as
given, in one of :data:`UNITS`. The conventions are those of the golden corpus (``tests/golden/formulations.toml``):

- a component with a concentration before the solvents is a **salt**, and so is the first one given with a
  concentration when none came before ("1 : 1 vol% EC/DEC containing 1 M LiPF6");
- in a molar ratio over all components ("LiFSI/DME (1:1.2, mol)", "LiFSI-1.2DME-3TTE") the first is the salt;
- every liquid of the solvent part, diluents included, is a **solvent**; a ratio covers all of them or none;
- anything given in wt%, vol% or %, and a concentration after salt and solvents, is an **additive**.

Nothing is guessed: a number without a unit, a ratio without a basis where it matters, a ratio of the wrong
length, two amounts for one component, a name the index does not know are :class:`FormulationError`, one line
naming the fragment at fault. The parser holds no chemistry: names come from ``lookup`` and ``suggest``
(:class:`lmakg.formulations.names.NameIndex`), so it runs without a store.

>>> names = {"lifsi": "urn:LiFSI", "dme": "urn:DME", "tte": "urn:TTE"}
>>> f = parse("LiFSI-1.2DME-3TTE", lambda n: names.get(n.lower()), lambda n: [])
>>> [(p.written, p.kind, p.amount, p.unit) for p in f.parts]
[('LiFSI', 'salt', 1.0, 'mol-ratio'), ('DME', 'solvent', 1.2, 'mol-ratio'), ('TTE', 'solvent', 3.0, 'mol-ratio')]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from lmakg.formulations.tokens import FormulationError, Token, tokenize

__all__ = ["UNITS", "Formulation", "FormulationError", "Part", "parse"]

UNITS = ("mol/L", "mol/kg", "mol-ratio", "vol-ratio", "wt-ratio", "wt%", "vol%", "%")
CONCENTRATIONS = ("mol/L", "mol/kg")
PERCENTAGES = ("wt%", "vol%", "%")
RATIO_UNITS = {"mol": "mol-ratio", "vol": "vol-ratio", "wt": "wt-ratio"}


@dataclass(frozen=True)
class Part:
    iri: str  # the species' IRI as returned by lookup()
    written: str  # the fragment of the text that names it, as written
    kind: str  # "salt" | "solvent" | "additive"
    amount: float | None
    unit: str | None  # one of UNITS; None with amount None when the text gives no amount


@dataclass(frozen=True)
class Formulation:
    text: str
    parts: tuple[Part, ...]  # in the order written
    assumptions: tuple[str, ...]  # what the parser assumed, in words


@dataclass
class _Component:
    """A component while the text is read: its name token, the amount token written for it, the word that
    joined it to what came before, and whether it stands before "in"."""

    name: Token
    amount: Token | None
    connector: str
    before_in: bool = False
    kind: str = ""
    value: float | None = None
    unit: str | None = None

    @property
    def amount_text(self) -> str:
        return self.amount.text if self.amount is not None else ""


@dataclass
class _Reading:
    components: list[_Component] = field(default_factory=list)
    ratio: Token | None = None
    basis: Token | None = None
    assumptions: list[str] = field(default_factory=list)


def _check_amount(token: Token) -> None:
    if token.value <= 0:
        raise FormulationError(f'amount "{token.text}" is not positive', token.text)
    if token.unit in PERCENTAGES and token.value >= 100:
        raise FormulationError(f'percentage "{token.text}" is not below 100', token.text)


def _ratio_basis(tokens: list[Token], i: int) -> tuple[Token | None, int]:
    """The basis word written after the ratio at ``i`` ("v/v", "(3:7, vol)", "1/1 (v/v)", "= 1:1 MR"), and the
    index after it. A word there that is no basis is an error: "(1:1 xyz)" is not read as anything."""
    j, basis = i + 1, None
    while j < len(tokens) and (tokens[j].role in ("(", ")") or tokens[j].text == ","):
        j += 1
    while j < len(tokens) and tokens[j].kind == "basis":
        if basis is not None and tokens[j].role != basis.role:
            raise FormulationError(f'ratio "{tokens[i].text}" has two bases: "{basis.text}", "{tokens[j].text}"',
                                   tokens[j].text)
        basis, j = tokens[j], j + 1
    if j < len(tokens) and tokens[j].kind == "unknown":
        raise FormulationError(f'unknown ratio basis "{tokens[j].text}" (use v/v, w/w or molar)', tokens[j].text)
    return basis, (j if basis is not None else i + 1)


def _number(text: str, tokens: list[Token], i: int) -> FormulationError:
    """A number with no unit that is not a coefficient: an unknown unit ("1 Q LiPF6"), or ambiguous."""
    nxt = tokens[i + 1] if i + 1 < len(tokens) else None
    after = tokens[i + 2] if i + 2 < len(tokens) else None
    if nxt is not None and nxt.kind == "unknown" and after is not None and after.kind == "name":
        return FormulationError(f'unknown unit "{nxt.text}" after {tokens[i].text} (use M, m, mM, wt%, vol%)',
                                nxt.text)
    j = i
    while j + 1 < len(tokens) and tokens[j + 1].kind == "number":
        j += 1
    token = text[tokens[i].start:tokens[j].end]
    return FormulationError(f'ambiguous: "{token}" has no unit or basis (M, m, wt%, a ratio with v/v, ...)', token)


def _unknown(token: Token, suggest: Callable[[str], list[str]],
             candidates: Callable[[str], list[str]] | None) -> FormulationError:
    if candidates is not None and len(found := candidates(token.text)) > 1:
        return FormulationError(f'"{token.text}" names several components: {", ".join(found)}', token.text, found)
    close = suggest(token.text)
    hint = f"closest known names: {', '.join(close)}" if close else "no known name is close"
    return FormulationError(f'unknown component "{token.text}"; {hint}', token.text, close)


def _qualify(reading: _Reading, token: Token) -> None:
    """A basis word not after a ratio: "10% FEC (mass %)" says the bare percent is by weight."""
    last = reading.components[-1] if reading.components else None
    unit = {"wt": "wt%", "vol": "vol%"}.get(token.role)
    if last is None or last.amount is None or last.amount.unit not in PERCENTAGES or unit is None:
        raise FormulationError(f'"{token.text}" qualifies no ratio or percentage', token.text)
    if last.amount.unit not in ("%", unit):
        raise FormulationError(f'"{token.text}" contradicts "{last.amount.text}"', token.text)
    last.unit = unit


def _read(text: str, tokens: list[Token], suggest: Callable[[str], list[str]],
          candidates: Callable[[str], list[str]] | None) -> _Reading:
    """Components in order with the amounts written for them, and the one ratio (with its basis)."""
    reading = _Reading()
    pending: Token | None = None
    connector, seen_in, i = "start", False, 0
    while i < len(tokens):
        token = tokens[i]
        coefficient = token.kind == "number" and token.attached and i + 1 < len(tokens) and tokens[i + 1].kind == "name"
        if token.kind == "amount" or coefficient:  # "1.2 M" before a name, or "1.2" glued to it ("1.2DME")
            _check_amount(token)
            if pending is not None:
                raise FormulationError(f'two amounts for one component: "{pending.text}" and "{token.text}"',
                                       token.text)
            pending = token
        elif token.kind == "number":
            raise _number(text, tokens, i)
        elif token.kind == "ratio":
            if reading.ratio is not None:
                raise FormulationError(f'two ratios: "{reading.ratio.text}" and "{token.text}"', token.text)
            if any(v == 0 for v in token.values):
                raise FormulationError(f'ratio "{token.text}" has a part of zero', token.text)
            reading.ratio = token
            reading.basis, i = _ratio_basis(tokens, i)
            continue
        elif token.kind == "basis":
            _qualify(reading, token)
        elif token.kind == "name":
            component = _Component(token, pending, connector, before_in=not seen_in)
            if pending is not None and pending.kind == "amount":
                component.unit = pending.unit
            reading.components.append(component)
            pending, connector = None, "join"
        elif token.kind == "unknown":
            raise _unknown(token, suggest, candidates)
        elif token.role == "in":
            seen_in, connector = True, "in"
        elif token.role == "add":
            connector = "add"
        i += 1
    if pending is not None:
        raise FormulationError(f'amount "{pending.text}" names no component after it', pending.text)
    if not seen_in:
        for component in reading.components:
            component.before_in = False
    return reading


def _is_plain(component: _Component) -> bool:
    """No concentration or percentage written for it (nothing, or a coefficient as in "1.2DME")."""
    return component.amount is None or component.amount.kind == "number"


def _assign_kinds(reading: _Reading) -> _Component | None:
    """Salt, solvent or additive for every component; returns the salt that leads a molar ratio, if any."""
    components = reading.components
    coefficients = any(c.amount is not None and c.amount.kind == "number" for c in components)
    basis = reading.basis.role if reading.basis else None
    first = components[0]
    leader = None
    if _is_plain(first) and (coefficients or (reading.ratio is not None and basis in (None, "mol"))):
        leader = first
    salt_seen = leader is not None or any(_is_plain(c) and c.before_in for c in components)
    solvent_seen = False
    for c in components:
        if c is leader:
            c.kind = "salt"
        elif _is_plain(c) and c.before_in:
            c.kind = "salt"
            reading.assumptions.append(f'no concentration given for the salt "{c.name.text}"')
        elif c.unit in PERCENTAGES:
            c.kind, c.value = "additive", c.amount.value if c.amount else None
        elif c.unit in CONCENTRATIONS:
            c.kind = "additive" if salt_seen and solvent_seen else "salt"
            c.value, salt_seen = (c.amount.value if c.amount else None), True
        elif c.connector == "add" and solvent_seen and c.amount is None:
            c.kind = "additive"
            reading.assumptions.append(f'no amount given for the additive "{c.name.text}"')
        else:
            c.kind, solvent_seen = "solvent", True
    return leader


def _assign_ratio(reading: _Reading, leader: _Component | None) -> None:
    """Amounts of the solvents (and the leading salt) from coefficients or the one ratio."""
    members = [c for c in reading.components if c.kind == "solvent" or c is leader]
    coefficients = [c for c in reading.components if c.amount is not None and c.amount.kind == "number"]
    ratio = reading.ratio
    if coefficients:
        if ratio is not None:
            raise FormulationError(f'ambiguous: both coefficients and the ratio "{ratio.text}"', ratio.text)
        outside = [c for c in coefficients if c not in members]
        if outside:
            token = outside[0].amount_text
            raise FormulationError(f'ambiguous: coefficient "{token}" outside the molar ratio', token)
        for c in members:
            if c.amount is None and c is not leader:
                raise FormulationError(f'ambiguous: "{c.name.text}" has no coefficient in the molar ratio',
                                       c.name.text)
            c.value, c.unit = (c.amount.value if c.amount else 1.0), "mol-ratio"
        return
    if ratio is None:
        if sum(c.kind == "solvent" for c in reading.components) > 1:
            reading.assumptions.append("solvent ratio not stated")
        return
    names = "/".join(c.name.text for c in members)
    if len(ratio.values) != len(members):
        raise FormulationError(
            f'ratio "{ratio.text}" has {len(ratio.values)} parts for {len(members)} components ({names or "none"})',
            ratio.text)
    basis = reading.basis.role if reading.basis else None
    if basis is None:
        if leader is None:
            raise FormulationError(f'ambiguous: ratio "{ratio.text}" of {names} does not say v/v, w/w or molar',
                                   ratio.text)
        reading.assumptions.append(
            f'ratio "{ratio.text}" has no basis word: read as molar, "{leader.name.text}" being the salt')
    for c, value in zip(members, ratio.values, strict=True):
        c.value, c.unit = value, RATIO_UNITS[basis or "mol"]


def parse(text: str, lookup: Callable[[str], str | None], suggest: Callable[[str], list[str]],
          candidates: Callable[[str], list[str]] | None = None) -> Formulation:
    """Read ``text`` into its components. ``lookup`` maps a written name to a species IRI (or None),
    ``suggest`` gives the closest known names; ``candidates`` (optional) lists the species an ambiguous name
    may mean, so the error can say so. Raises :class:`FormulationError` rather than guess."""
    reading = _read(text, tokenize(text, lookup), suggest, candidates)
    if not reading.components:
        raise FormulationError(f'no component named in "{text.strip()}"', text.strip())
    seen: set[str] = set()
    for c in reading.components:
        if c.name.iri in seen:
            raise FormulationError(f'"{c.name.text}" is named twice', c.name.text)
        seen.add(c.name.iri)
    _assign_ratio(reading, _assign_kinds(reading))
    for c in reading.components:
        if c.unit == "%":
            reading.assumptions.append(
                f'bare "{c.amount_text}" kept as written: not stated whether by weight or volume')
    parts = tuple(Part(c.name.iri, c.name.text, c.kind, c.value, c.unit) for c in reading.components)
    return Formulation(text, parts, tuple(reading.assumptions))
