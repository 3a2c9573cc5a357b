"""Shared judgements for screening: candidates asserting the same facts are reasoned over once.

Why it is exact: the rules and the queries a prediction reads see a candidate only through the triples written
about it (:func:`lmakg.chemistry.candidates.candidate_turtle`) and perceived from it
(:func:`lmakg.chemistry.perceive.perceive`). Two candidates whose triples are the same up to the names of
their own nodes (species, ions, design) get the same conclusions up to those names. The *signature* of a
candidate is therefore the list of what is asserted about it, with its own names left out:

* its role, concentration, base electrolyte (as written) and supplied properties (kind, value, unit);
* for the species and each ion: the graph's IRI when the InChIKey is already in the graph (that node and all
  it carries are reused), else what perception asserts and the rules can read: net charge, matched features
  of ``ontology/features.ttl``, the elements of the composition; and what the ``annotate`` hook reads of the
  structure beyond the graph (for the hypotheses: which candidate-filter SMARTS match, see
  :func:`lmakg.hypotheses.joins.structure_key`).

Left out, because no rule (``rules/*.ttl``) nor any query of a prediction reads them: labels, SMILES,
InChIKeys of new nodes, the atom counts (``lma:ElementCount``) and the perceived F mass fraction. The one
output that shows a value left out — the perceived ``MassFraction`` among the derived values — is recomputed
from each candidate's own structure; so are ``input``, ``inchiKey``, ``formalCharge`` and ``fMassFraction``.
Minted names (a Nernst potential's IRI, a hypothesis id such as ``H-cation-anion--X--Y``) contain the
candidate's local names; the representative of a signature is judged under a placeholder name that occurs
nowhere else, and each member's results are the representative's with the placeholder replaced by the member's
own name, re-sorted (:func:`lmakg.chemistry.predict.canonical_order`).

Not shared (judged under their own names, each alone): rows with a name or SMILES outside printable ASCII, and
any signature whose representative could not be placed.

Each result is what judging the candidate alone against the graph gives: stand-ins judged together share no
node of the graph (see :meth:`SharedJudge._judge_representatives`).
``tests/chemistry/test_screen.py`` checks that shared judgements equal unshared ones on a varied set.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

from lmakg.chemistry import structures as chem
from lmakg.chemistry.candidates import USER_NS, Candidate, PredictionInputError, candidate_turtle
from lmakg.chemistry.predict import Predictor, canonical_order, design_of
from lmakg.reasoning.gcpause import gc_paused

PLAIN = re.compile(r"[ -~]*")  # printable ASCII: names RDF carries as written
RECOMPUTED = ("input", "inchiKey", "formalCharge", "fMassFraction")
CACHE_SIZE = 100_000  # signatures remembered per predictor (oldest forgotten first): memory stays bounded


class SharedJudge:
    """Judges rows of a screen through a :class:`Predictor`, once per signature (see the module docstring)."""

    def __init__(self, predictor: Predictor, batch: int = 250, run: Any = None, inchikeys: bool = True) -> None:
        from lmakg.knowledge.queries import run_engine_query

        self.predictor = predictor
        self.inchikeys = inchikeys  # False: members' InChIKeys not computed (a CSV has no column for them; RDKit's
        # InChI is the dearest step of a row); iter_screen then drops the key from every result
        self.batch = batch
        store = predictor.store
        self.patterns = {row["group"].value: row["smarts"].value for row in run_engine_query(store, "feature-patterns")}
        self.cache: OrderedDict[Hashable, dict[str, Any]] = OrderedDict()
        self.unshareable: set[Hashable] = set()
        self.count = 0
        # judges batches of stand-ins: here by default; a Dask cluster (lmakg.chemistry.scaleout) gives the same
        # results because the batches are the same
        self.run = run or self._run_here
        self.structures: dict[str, tuple[Hashable, dict[str, int]]] = {}

    @gc_paused()  # a block allocates many small objects and no cycles (see lmakg.reasoning.gcpause)
    def judge(self, rows: list[tuple[Candidate, str]]) -> list[dict[str, Any]]:
        """Results for (candidate, tag) rows, in order; tags as in :meth:`Predictor.judge`."""
        prepared: list[tuple[str, Any, Any]] = []  # (kind, key, extra)
        pending: dict[Hashable, Candidate] = {}
        for c, tag in rows:
            try:
                turtle, species, ions = candidate_turtle(c, self.predictor.store, self.predictor.known, tag=tag,
                                                         inchikeys=False)  # the names only
            except PredictionInputError as exc:
                prepared.append(("error", str(exc), None))
                continue
            slug = design_of(turtle)[len(USER_NS):-len("-design")]
            key = self._signature(c, species, ions) if PLAIN.fullmatch(f"{c.name or ''}{c.smiles}") else None
            if key is None or key in self.unshareable:
                prepared.append(("own", None, (c, tag)))
                continue
            if key not in self.cache and key not in pending:
                pending[key] = c

            prepared.append(("shared", key, (c, slug, species, ions)))
        self._judge_representatives(pending)
        own = [(c, tag) for (kind, key, _extra), (c, tag) in zip(prepared, rows, strict=True)
               if kind == "own" or (kind == "shared" and key in self.unshareable)]
        judged_own = iter(self._own(own))
        out = []
        for kind, key, extra in prepared:
            if kind == "error":
                out.append({"input": _input(rows[len(out)][0]), "error": key})
            elif kind == "own" or key in self.unshareable:
                out.append(next(judged_own))
            else:
                self.cache.move_to_end(key)
                out.append(_renamed(self.cache[key], *extra, composition=self.composition, inchikey=self.inchikeys))
        return out

    def _own(self, rows: list[tuple[Candidate, str]]) -> list[dict[str, Any]]:
        return [self.predictor.judge([c], [tag])[0] for c, tag in rows]  # rare: each alone, never entangled

    def _judge_representatives(self, pending: dict[Hashable, Candidate]) -> None:
        """Judge one stand-in per new signature, in batches of ``batch`` in the order first seen; the batches go
        through ``self.run`` (all at once, so that a Dask cluster judges them in parallel)."""
        items = list(pending.items())
        parts, stand_ins = [], []
        for begin in range(0, len(items), self.batch):
            part = items[begin:begin + self.batch]
            made = []
            for _key, c in part:
                self.count += 1
                made.append(Candidate(c.smiles, name=placeholder(self.count), role=c.role,
                                      concentration=c.concentration, electrolyte=c.electrolyte,
                                      properties=dict(c.properties), units=dict(c.units)))
            parts.append(part)
            stand_ins.append(made)
        for part, made, results in zip(parts, stand_ins, self.run(stand_ins), strict=True):
            for (key, _c), stand_in, result in zip(part, made, results, strict=True):
                if "error" in result:  # judged under its own name instead, with its own error message
                    self.unshareable.add(key)
                    continue
                self.cache[key] = {"name": stand_in.name, "result": result}
                if len(self.cache) > CACHE_SIZE:
                    self.cache.popitem(last=False)

    def _run_here(self, batches: list[list[Candidate]]) -> list[list[dict[str, Any]]]:
        return [self.predictor.judge(b, [""] * len(b)) for b in batches]

    def _signature(self, c: Candidate, species: str, ions: list[str]) -> Hashable:
        fragments = c.smiles.split(".")
        parts: list[Hashable] = [(c.role or "additive").lower(), c.concentration, c.electrolyte,
                                 tuple(sorted((k, v, c.units.get(k)) for k, v in c.properties.items())),
                                 len(fragments)]
        parts.append(species if not species.startswith(USER_NS) else ("new", self._structure(c.smiles)))
        if len(fragments) > 1:
            parts += [ion if not ion.startswith(USER_NS) else ("new", self._structure(fragment))
                      for fragment, ion in zip(fragments, ions, strict=True)]
        return tuple(parts)

    def _structure(self, smiles: str) -> Hashable:
        return self._perceived(smiles)[0]

    def _perceived(self, smiles: str) -> tuple[Hashable, dict[str, int]]:
        """(what the signature holds of a structure, its composition), computed once per SMILES."""
        if smiles not in self.structures:
            if len(self.structures) > CACHE_SIZE:
                self.structures.clear()
            seen = chem.perceive_smiles(smiles, self.patterns)
            extra = self.predictor.annotate_key(smiles) if self.predictor.annotate_key else None
            self.structures[smiles] = ((seen.charge, tuple(sorted(seen.features)), tuple(sorted(seen.composition)),
                                        extra), seen.composition)
        return self.structures[smiles]

    def composition(self, smiles: str) -> dict[str, int]:
        return self._perceived(smiles)[1]


def placeholder(number: int) -> str:
    """A name no graph uses, fixed width so that no placeholder is a prefix of another."""
    return f"zqsharedjudgement{number:09d}zq"


def _where(value: Any, name: str) -> Any:
    """Where ``name`` occurs in a JSON-like value: None (nowhere), True (a string holding it), [(index, where)] for
    a list, ({key: where}, whether a key holds it) for a dict."""
    if isinstance(value, str):
        return True if name in value else None
    if isinstance(value, list):
        found = [(i, w) for i, item in enumerate(value) if (w := _where(item, name)) is not None]
        return found or None
    if isinstance(value, dict):
        inside = {k: w for k, item in value.items() if (w := _where(item, name)) is not None}
        keys = any(name in k for k in value)
        return (inside, keys) if inside or keys else None
    return None


def _swapped(value: Any, where: Any, name: str, slug: str) -> Any:
    """A copy of ``value`` with ``name`` replaced by ``slug`` where :func:`_where` found it; only the strings and
    containers on the way are new, everything else is shared."""
    if where is True:
        return value.replace(name, slug)
    if isinstance(value, list):
        copy = list(value)
        for i, inner in where:
            copy[i] = _swapped(value[i], inner, name, slug)
        return copy
    inside, keys = where
    copy = {k: _swapped(item, inside[k], name, slug) if k in inside else item for k, item in value.items()}
    return {k.replace(name, slug): item for k, item in copy.items()} if keys else copy


def _input(c: Candidate) -> dict[str, Any]:
    from lmakg.chemistry.predict import _input as given

    return given(c)


def _renamed(entry: dict[str, Any], c: Candidate, slug: str, species: str, ions: list[str],
             composition: Any = chem.composition, inchikey: bool = True) -> dict[str, Any]:
    """The representative's result as the member's: names replaced, own values recomputed, lists re-sorted
    (``inchikey``: with the member's InChIKey). The parts of the result that do not name the placeholder are the
    representative's own objects, shared by every member (copy a result before changing it in place)."""
    from lmakg.knowledge.vocab import local_name

    source = entry["result"]
    if "plan" not in entry:  # where the placeholder occurs, found once per representative
        entry["base"] = {k: v for k, v in source.items() if k not in RECOMPUTED}
        entry["plan"] = _where(entry["base"], entry["name"])
    base, plan = entry["base"], entry["plan"]
    out = _swapped(base, plan, entry["name"], slug) if plan is not None else dict(base)
    out = {"input": _input(c), "species": out.pop("species"),
           **({"inchiKey": chem.inchikey(c.smiles)} if inchikey else {}),
           "formalCharge": chem.formal_charge(c.smiles), **out}
    out["fMassFraction"] = round(chem.mass_fraction_of(composition(c.smiles), "F"), 4)
    structure_of = {local_name(species): c.smiles} if species.startswith(USER_NS) else {}
    if ions:
        structure_of.update({local_name(ion): fragment for ion, fragment in zip(ions, c.smiles.split("."), strict=True)
                             if ion.startswith(USER_NS)})
    for d in out["derived"]:
        if d["kind"] == "MassFraction" and d["rule"].startswith("perceived by RDKit") and d["of"] in structure_of:
            # the perceived F mass fraction (perceive._fluorine_fraction: percent, two decimals) of the member
            counts = composition(structure_of[d["of"]])
            d["value"] = float(f"{100 * chem.mass_fraction_of(counts, 'F'):.2f}")
    order = list(source)  # the keys in the order predict writes them
    return canonical_order({k: out[k] for k in order if k in out})
