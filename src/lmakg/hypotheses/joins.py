"""Which hypotheses a judged candidate joins: the hypotheses layer's answer to the predictor's question.

Why here: :class:`lmakg.chemistry.predict.Predictor` judges candidates with the rules and knows nothing of
hypotheses; it asks its ``annotate`` hook while the candidates are in the reasoned graph. This hook
generates the hypotheses over that graph and keeps, for each candidate, those that involve it and no other
candidate of the batch.
"""

from __future__ import annotations

from typing import Any

from lmakg.chemistry.predict import Predictor
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
    out = []
    for mine in members:
        others = new_nodes - mine
        out.append([summary(h) for h in hypotheses if h.members & mine and not h.members & others])
    return out


def predictor(store: str | None = None, progress: Any = None) -> Predictor:
    """A predictor whose results list the hypotheses each candidate joins (what `lmakg predict` prints)."""
    return Predictor(store, progress=progress, annotate=joined_hypotheses)
