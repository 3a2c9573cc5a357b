"""Which hypotheses a judged candidate joins: the hypotheses layer's answer to the predictor's question.

Why here: :class:`lmakg.chemistry.predict.Predictor` judges candidates with the rules and knows nothing of
hypotheses; it asks its ``annotate`` hook while the candidates are in the reasoned graph. This hook
generates the hypotheses over that graph and keeps, for each candidate, those that involve it and no other
candidate of the batch.
"""

from __future__ import annotations

from typing import Any

from lmakg.chemistry import structures as chem
from lmakg.chemistry.predict import Predictor
from lmakg.hypotheses.filters import load_filters
from lmakg.hypotheses.generate import generate
from lmakg.hypotheses.model import Hypothesis
from lmakg.knowledge.store import KnowledgeStore


def summary(h: Hypothesis) -> dict[str, Any]:
    """What a prediction reports of a hypothesis it joins."""
    return {"id": h.id, "families": sorted(h.families), "score": round(h.score, 3)}


def joined_hypotheses(store: KnowledgeStore, members: list[set[str]],
                      new_nodes: set[str]) -> list[list[dict[str, Any]]]:
    """For each candidate (its species and ions), the hypotheses that involve it and no other candidate."""
    hypotheses = generate(store)
    return _joined(hypotheses, members, new_nodes)


class JoinedHypotheses:
    """:func:`joined_hypotheses` for a predictor that judges many batches (a screen): the candidate filters are
    loaded once, and only what a summary reports is computed — the default kinds (component and combination) that
    a candidate of the batch is a member of, after the filters and scored, without precedents and experimental
    tests, which change neither id, families nor score (:func:`lmakg.hypotheses.generate.generate` adds them after
    scoring). tests/chemistry/test_predict_by_design.py compares it with :func:`joined_hypotheses`."""

    def __init__(self, filters: list[Any] | None = None) -> None:
        self.filters = filters

    def __call__(self, store: KnowledgeStore, members: list[set[str]],
                 new_nodes: set[str]) -> list[list[dict[str, Any]]]:
        from lmakg.hypotheses.generate import (
            _apply_filters,
            _combination_hypotheses,
            _component_hypotheses,
            _Context,
            rescore,
        )

        if self.filters is None:
            self.filters = load_filters(store)
        ctx = _Context(store, self.filters)
        mine = set().union(*members)  # a hypothesis none of the candidates is a member of is never reported
        found = _apply_filters(ctx, _component_hypotheses(ctx, mine) + _combination_hypotheses(ctx, store, mine), False,
                               None)
        for h in found:  # the score model (kg/curator/evidence-weights.ttl), as generate() scores
            rescore(h, ctx.model)
        return _joined(found, members, new_nodes)


def _joined(hypotheses: list[Hypothesis], members: list[set[str]], new_nodes: set[str]) -> list[list[dict[str, Any]]]:
    out = []
    for mine in members:
        others = new_nodes - mine
        out.append([summary(h) for h in hypotheses if h.members & mine and not h.members & others])
    return out


def structure_key(filters: list[Any]) -> Any:
    """What the hypotheses read of a structure beyond the graph's facts: the candidate filters
    (kg/curator/filters.ttl) check SMARTS and element symbols on a component's SMILES. Returns
    SMILES -> (matching filter SMARTS, filter elements present), for screening's shared judgements
    (:mod:`lmakg.chemistry.memo`): candidates that differ here are never judged as one. ``filters``:
    :func:`lmakg.hypotheses.filters.load_filters`."""
    patterns = sorted({p for f in filters for p in (*f.smarts, *f.paired)})
    elements = {e for f in filters for e in f.elements}

    def key(smiles: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        try:
            found = chem.matches(smiles, {p: p for p in patterns})
            present = elements & set(chem.composition(smiles))
        except chem.ChemistryError:
            return (), ()
        return tuple(sorted(found)), tuple(sorted(present))

    return key


def predictor(store: str | None = None, progress: Any = None) -> Predictor:
    """A predictor whose results list the hypotheses each candidate joins (what `lmakg predict` prints)."""
    made = Predictor(store, progress=progress)
    filters = load_filters(made.store)
    made.annotate, made.annotate_key = JoinedHypotheses(filters), structure_key(filters)
    return made
