"""The words of the formulation language: a formulation text cut into tokens (names, amounts, ratios, basis
words, keywords, separators), each with its span in the text as written.

Why a module of its own: reading the notation (units, dashes, coefficients glued to names, names holding
parentheses, commas and hyphens) is one job; deciding what the tokens mean (salt, solvent, additive; which
ratio covers which components) is another, in :mod:`lmakg.formulations.language`. Only syntax lives here:
unit spellings and keywords. Names come from the ``lookup`` callable (the name index), tried longest first, so
"1,2-dimethoxyethane" and "lithium bis(fluorosulfonyl)imide" stay whole.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass


class FormulationError(ValueError):
    """A formulation that cannot be read without guessing. ``token`` is the fragment at fault, exactly as in the
    text; ``suggestions`` the closest known names when the fragment names no known component."""

    def __init__(self, message: str, token: str, suggestions: list[str] | None = None) -> None:
        self.token = token
        self.suggestions = list(suggestions or [])
        super().__init__(message.replace("\r", " ").replace("\n", " "))


# Characters papers use for a minus sign or a dash (hyphen, non-breaking hyphen, figure/en/em dash, minus,
# superscript minus).
MINUS = "\\-\u2010\u2011\u2012\u2013\u2014\u2212\u207b"
NUMBER = r"(?:\d+(?:\.\d+)?|\.\d+)"
END = r"(?![A-Za-z0-9])"
_M = f"[{MINUS}]\\s*"

# Amount units as written -> (unit, divisor). Alternatives are tried in order, so longer spellings come first.
UNIT_SPELLINGS: tuple[tuple[str, str, float], ...] = (
    (rf"mmol\s*/\s*[Ll]|mmol[\s·]*[Ll]\s*{_M}[1¹]|mM", "mol/L", 1000.0),
    (rf"mol\s*/\s*(?:[Ll]|dm\s*[3³])|mol[\s·]*(?:[Ll]\s*{_M}[1¹]|dm\s*{_M}[3³])|M", "mol/L", 1.0),
    (rf"mol\s*/\s*kg|mol[\s·]*kg\s*{_M}[1¹]|molal|m", "mol/kg", 1.0),
    (r"wt\.?\s*%|mass\s*%|weight\s*%", "wt%", 1.0),
    (r"vol\.?\s*%|volume\s*%", "vol%", 1.0),
    (r"%", "%", 1.0),
)
_AMOUNT = re.compile(
    rf"(?P<number>{NUMBER})\s*(?:"
    + "|".join(f"(?P<u{i}>{pattern})" for i, (pattern, _, _) in enumerate(UNIT_SPELLINGS))
    + rf")(?:{END}|(?<=%))"
)
_RATIO = re.compile(rf"{NUMBER}(?:\s*:\s*{NUMBER})+(?![\d.])|{NUMBER}(?:/{NUMBER})+(?![\d./])")
_BARE_NUMBER = re.compile(NUMBER)

# Words saying what a ratio counts: "v/v", "(3:7 wt)", "by weight", "molar", "MR" ...
BASIS_SPELLINGS: tuple[tuple[str, str], ...] = (
    (r"by\s+vol(?:ume|\.)?|v\s*/\s*v|v:v|vol(?:ume)?\.?(?:\s*%)?", "vol"),
    (r"by\s+(?:weight|wt\.?|mass)|w\s*/\s*w|w:w|wt\.?(?:\s*%)?|weight|mass(?:\s*%)?", "wt"),
    (r"by\s+mol(?:e|ar)?\.?|molar(?:\s+ratio)?|mol(?:e|\.)?|MR|n\s*/\s*n", "mol"),
)
_BASIS = re.compile(
    "|".join(f"(?P<b{i}>{pattern})" for i, (pattern, _) in enumerate(BASIS_SPELLINGS)) + rf"(?:{END}|(?<=[.%]))",
    re.IGNORECASE,
)
# Keywords -> role: "in" opens the solvent part, "add" adds to a base electrolyte, "join" lists, "of" is filler.
KEYWORDS: tuple[tuple[str, str], ...] = (
    (r"solvated\s+in|dissolved\s+in|in", "in"),
    (r"with|containing|plus", "add"),
    (r"and", "join"),
    (r"of", "of"),
)
_KEYWORD = re.compile(
    "|".join(f"(?P<k{i}>{pattern})" for i, (pattern, _) in enumerate(KEYWORDS)) + r"(?=\s|$|[(])", re.IGNORECASE
)
SEPARATORS = {"+": "add", "=": "eq", "(": "(", ")": ")", "/": "join", ":": "join", ",": "join", ";": "join"}
SEPARATORS.update({c: "join" for c in MINUS.replace("\\", "")})
_WORD = re.compile(r"[^\s" + re.escape("".join(SEPARATORS)) + "]+")
# The longest name tried; longer spans are never looked up, so reading stays linear in the text's length.
MAX_NAME_CHARS = 160


@dataclass(frozen=True)
class Token:
    kind: str  # name, amount, number, ratio, basis, keyword, sep, unknown
    start: int
    end: int
    text: str
    iri: str = ""  # name
    value: float = 0.0  # amount, number
    unit: str = ""  # amount
    values: tuple[float, ...] = ()  # ratio
    role: str = ""  # basis (vol/wt/mol), keyword and sep (in/add/join/of/eq/(/))
    attached: bool = False  # number: a name follows with no space ("1.2DME")


def _at_boundary(text: str, end: int) -> bool:
    return end == len(text) or not (text[end - 1].isalnum() and text[end].isalnum())


def _name_at(text: str, pos: int, lookup: Callable[[str], str | None]) -> Token | None:
    """The longest known name starting at ``pos``, with a following "(ABBREVIATION)" of the same species
    taken in ("lithium nitrate (LiNO₃)")."""
    for end in range(min(len(text), pos + MAX_NAME_CHARS), pos, -1):
        if text[end - 1].isspace() or not _at_boundary(text, end):
            continue
        iri = lookup(text[pos:end])
        if iri is None:
            continue
        stop = end
        after = re.match(r"\s*\(([^()]+)\)", text[end:])
        if after:
            inner = lookup(after.group(1).strip())
            if inner == iri:
                stop = end + after.end()
            elif inner is not None:
                token = after.group(1).strip()
                raise FormulationError(
                    f'"{token}" in parentheses names another component than "{text[pos:end]}" before it', token
                )
        return Token("name", pos, stop, text[pos:stop], iri=iri)
    return None


def _group_value(match: re.Match[str], prefix: str) -> int:
    return next(int(k[len(prefix):]) for k, v in match.groupdict().items() if v is not None and k.startswith(prefix))


def _number_at(text: str, pos: int) -> Token | None:
    """An amount ("1.2 M", "-1 M", "10 mM", "5 vol.%"), a ratio ("1:1.2:3", "1 : 1", "1/2") or a bare number."""
    sign = ""
    if text[pos] in MINUS and (pos == 0 or text[pos - 1].isspace() or text[pos - 1] == "("):
        sign, pos = "-", pos + 1
    start = pos - len(sign)
    if not sign and (ratio := _RATIO.match(text, pos)):
        parts = re.split(r"\s*[:/]\s*", ratio.group())
        return Token("ratio", pos, ratio.end(), ratio.group(), values=tuple(float(p) for p in parts))
    if amount := _AMOUNT.match(text, pos):
        _, unit, divisor = UNIT_SPELLINGS[_group_value(amount, "u")]
        value = float(sign + amount.group("number")) / divisor
        return Token("amount", start, amount.end(), text[start:amount.end()], value=value, unit=unit)
    if number := _BARE_NUMBER.match(text, pos):
        end = number.end()
        attached = end < len(text) and text[end].isalpha()
        value = float(sign + number.group())
        return Token("number", start, end, text[start:end], value=value, attached=attached)
    return None


def tokenize(text: str, lookup: Callable[[str], str | None]) -> list[Token]:
    """The tokens of ``text`` in order. Words that are neither syntax nor a known name become ``unknown``
    tokens; what they mean (a misspelt name, an unknown unit or basis) depends on their neighbours."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        if text[pos].isspace():
            pos += 1
            continue
        token = None
        if keyword := _KEYWORD.match(text, pos):
            token = Token("keyword", pos, keyword.end(), keyword.group(), role=KEYWORDS[_group_value(keyword, "k")][1])
        if token is None:
            token = _name_at(text, pos, lookup)
        if token is None and (text[pos].isdigit() or text[pos] in MINUS + ".") and (token := _number_at(text, pos)):
            pass
        if token is None and (basis := _BASIS.match(text, pos)):
            role = BASIS_SPELLINGS[_group_value(basis, "b")][1]
            token = Token("basis", pos, basis.end(), basis.group(), role=role)
        if token is None and text[pos] in SEPARATORS:
            token = Token("sep", pos, pos + 1, text[pos], role=SEPARATORS[text[pos]])
        if token is None:
            word = _WORD.match(text, pos)
            end = word.end() if word else pos + 1
            token = Token("unknown", pos, end, text[pos:end])
        tokens.append(token)
        pos = token.end
    return tokens
