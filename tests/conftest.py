"""Shared fixtures: the packaged knowledge loaded once per session, and a CLI runner."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from lmakg.chemistry.materialize import open_knowledge
from lmakg.knowledge.store import KnowledgeStore


@pytest.fixture(scope="session")
def knowledge() -> KnowledgeStore:
    """The ontology and curated graph in an in-memory store (what commands use without --store)."""
    return open_knowledge(None)


@pytest.fixture()
def runner() -> CliRunner:
    return CliRunner()
