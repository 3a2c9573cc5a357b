"""The README is the user's entry point: its test command is the one CI runs, and it documents every
command the CLI offers."""

from __future__ import annotations

import re
from pathlib import Path

from lmakg.cli import app

ROOT = Path(__file__).resolve().parents[2]


def fenced_commands(text: str) -> list[str]:
    return [line.strip() for block in re.findall(r"```bash\n(.*?)```", text, re.S) for line in block.splitlines()
            if line.strip()]


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = fenced_commands(readme)
    assert len(commands) == 2, commands  # main job, tests
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci.splitlines()


def test_readme_documents_every_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    names = [c.name or c.callback.__name__ for c in app.registered_commands]
    undocumented = [n for n in names if f"`lmakg {n}" not in readme]
    assert not undocumented
