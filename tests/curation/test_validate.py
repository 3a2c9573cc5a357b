"""Validation: every deliberate curation error in tests/data/invalid is caught and located.

Each invalid file states in its header what the validator must report (file, line, node, constraint,
message); the valid file must pass together with the packaged knowledge.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lmakg.curation.validate import validate_files
from lmakg.knowledge.resources import knowledge_files

DATA = Path(__file__).parents[1] / "data"
INVALID = sorted((DATA / "invalid").glob("*.ttl"))


def context() -> list[Path]:
    """The ontology plus the files the test data points into (references, shared species): enough context
    for the checks, and much faster than SHACL over the whole graph for each case."""
    return [p for p in knowledge_files() if p.parent.name == "ontology" or p.name in
            {"references.ttl", "species-common.ttl"}]


def expectations(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"#\s*expect-(\w+):\s*(.*)$", line)
        if match:
            found[match.group(1)] = match.group(2).strip()
    return found


def test_packaged_knowledge_is_valid():
    report = validate_files()
    assert report.conforms, "\n".join(str(i) for i in report.issues)
    assert report.triples > 5000


def test_valid_example_passes():
    path = DATA / "valid" / "minimal-design.ttl"
    report = validate_files([*context(), path], report_only=[path])
    assert report.issues == []


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_file_is_reported_precisely(path: Path):
    expected = expectations(path)
    assert {"line", "node", "constraint", "message"} <= expected.keys(), f"{path.name} lacks expect- headers"
    report = validate_files([*context(), path], report_only=[path])
    assert not report.conforms
    matching = [
        issue for issue in report.violations
        if issue.file.endswith(path.name)
        and issue.line == int(expected["line"])
        and issue.node.startswith(expected["node"])
        and expected["constraint"] in issue.constraint
        and expected["message"] in issue.message
    ]
    assert matching, f"expected {expected} among:\n" + "\n".join(str(i) for i in report.issues)


def test_errors_in_other_files_are_not_blamed_on_the_packaged_knowledge():
    path = DATA / "invalid" / "bad-smiles.ttl"
    report = validate_files([*context(), path])
    assert {i.file for i in report.violations} == {str(path)} or all(
        i.file.endswith("bad-smiles.ttl") for i in report.violations
    )


def test_cli_validate_exit_codes(runner):
    from lmakg.cli import app

    bad = runner.invoke(app, ["validate", str(DATA / "invalid" / "dangling-reference.ttl")])
    assert bad.exit_code == 1
    assert "lmk:ref-999" in bad.output and "dangling-reference.ttl:11" in bad.output
    good = runner.invoke(app, ["validate", str(DATA / "valid" / "minimal-design.ttl")])
    assert good.exit_code == 0, good.output
