"""Every name a chemical species is known by, for reading formulations.

Why an index of its own: a formulation names its components the way papers do ("LiPF₆", "1,2-dimethoxyethane",
"TEGDME"), so the parser needs the species behind a written name, spelled loosely (subscripts, dashes, case),
and the closest known names when it finds none. The names are the curated ones (``rdfs:label``,
``skos:prefLabel``, ``skos:altLabel`` of every ``lma:ChemicalSpecies``, read by ``component-names.rq``); no name
is written in Python.

>>> from lmakg.chemistry.materialize import open_knowledge
>>> index = NameIndex.from_store(open_knowledge(None))
>>> index.lookup("LiPF₆") == index.lookup("lipf6")
True
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable

from lmakg.knowledge.queries import run_engine_query
from lmakg.knowledge.store import KnowledgeStore

# Unicode dashes and minus signs that papers write where a hyphen is meant (NFKC keeps them apart).
DASHES = re.compile("[\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u207b\u208b\ufe58\ufe63\uff0d]")
# Label kinds in the order a display name is chosen.
LABEL_ORDER = ("label", "prefLabel", "altLabel")


def spelling(name: str) -> str:
    """A name as written, made comparable but case kept: NFKC (sub- and superscript digits become ASCII
    digits), every dash or minus a hyphen, runs of whitespace one space."""
    return " ".join(DASHES.sub("-", unicodedata.normalize("NFKC", name)).split())


def normalise(name: str) -> str:
    """The lookup key of a name: its :func:`spelling`, case-folded."""
    return spelling(name).casefold()


class NameIndex:
    """Written names of chemical species → species IRIs, case- and notation-insensitive."""

    def __init__(self, names: Iterable[tuple[str, str, str]]) -> None:
        """``names``: (species IRI, name, kind) with kind ``label``, ``prefLabel`` or ``altLabel``."""
        self._by_key: dict[str, set[str]] = defaultdict(set)
        self._spellings: dict[str, set[tuple[str, str]]] = defaultdict(set)  # key -> {(spelling, iri)}
        self._display: dict[str, str] = {}  # key -> a known name as curated
        labels: dict[str, dict[str, str]] = defaultdict(dict)
        for iri, name, kind in sorted(names):
            key = normalise(name)
            if not key:
                continue
            self._by_key[key].add(iri)
            self._spellings[key].add((spelling(name), iri))
            self._display.setdefault(key, spelling(name))
            labels[iri].setdefault(kind, name)
        self._labels = {
            iri: next(kinds[k] for k in LABEL_ORDER if k in kinds) for iri, kinds in labels.items()
        }

    @classmethod
    def from_store(cls, store: KnowledgeStore) -> NameIndex:
        rows = run_engine_query(store, "component-names")
        return cls((row["species"].value, row["name"].value, row["kind"].value) for row in rows)

    def __len__(self) -> int:
        return len(self._by_key)

    def candidates(self, name: str) -> list[str]:
        """Every species the name may mean (sorted IRIs); more than one when the name is ambiguous."""
        return sorted(self._by_key.get(normalise(name), ()))

    def lookup(self, name: str) -> str | None:
        """The IRI of the species called ``name``, or None when no species, or several, are called so.

        Several species under one loose name: the one whose curated name matches the case as written wins;
        if that does not single one out, None (and :meth:`candidates` lists them)."""
        key = normalise(name)
        hits = self._by_key.get(key)
        if not hits:
            return None
        if len(hits) == 1:
            return next(iter(hits))
        written = spelling(name)
        exact = {iri for known, iri in self._spellings[key] if known == written}
        return next(iter(exact)) if len(exact) == 1 else None

    def suggest(self, name: str, n: int = 5) -> list[str]:
        """The known names closest to ``name`` (difflib), best first, as curated."""
        close = difflib.get_close_matches(normalise(name), list(self._by_key), n=n, cutoff=0.6)
        return [self._display[key] for key in close]

    def written_name(self, iri: str) -> str | None:
        """The shortest curated name that :meth:`lookup` reads back as this species (an abbreviation where one
        exists), for writing a formulation; None if no name singles it out."""
        names = sorted({known for spellings in self._spellings.values() for known, i in spellings if i == iri},
                       key=lambda n: (len(n), n))
        return next((n for n in names if self.lookup(n) == iri), None)

    def label(self, iri: str) -> str:
        """The species' display name (``rdfs:label``, else ``skos:prefLabel``, else an ``altLabel``)."""
        return self._labels.get(iri, iri.rsplit("/", 1)[-1].rsplit("#", 1)[-1])
