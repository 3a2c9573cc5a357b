"""Locate the knowledge folders (``ontology/``, ``kg/``, ``rules/``, ``queries/``).

Why: the folders live at the top of the repository (the source of truth a curator edits) and are copied
into the wheel as ``lmakg/data/<folder>``. Run inside a checkout (the working folder or one above it holds
lmakg's ``pyproject.toml`` and the folders), lmakg reads that checkout's folders, so a curator's edit counts
even when lmakg was installed with ``pip install .``; elsewhere an installed package reads its bundled copy.
``LMAKG_DATA`` overrides both (a folder holding the four sub-folders).

>>> sorted(p.name for p in data_dir().iterdir() if p.name in KNOWLEDGE_FOLDERS)
['kg', 'ontology', 'queries', 'rules']
"""

from __future__ import annotations

import os
from pathlib import Path

KNOWLEDGE_FOLDERS = ("ontology", "kg", "rules", "queries")


class DataNotFoundError(RuntimeError):
    """Raised when no folder holding the knowledge data can be found."""


def _has_data(folder: Path) -> bool:
    return all((folder / name).is_dir() for name in ("ontology", "kg", "queries"))


def _checkout_around(start: Path) -> Path | None:
    """The lmakg checkout holding ``start`` (a folder with lmakg's pyproject.toml and the knowledge folders)."""
    for folder in (start, *start.parents):
        project = folder / "pyproject.toml"
        if project.is_file() and _has_data(folder):
            try:
                if 'name = "lmakg"' in project.read_text(encoding="utf-8", errors="replace"):
                    return folder
            except OSError:
                return None
    return None


def data_dir() -> Path:
    """Return the folder that holds ``ontology/``, ``kg/``, ``rules/`` and ``queries/``."""
    override = os.environ.get("LMAKG_DATA")
    if override:
        folder = Path(override).expanduser().resolve()
        if not _has_data(folder):
            raise DataNotFoundError(f"LMAKG_DATA={override} does not contain ontology/, kg/ and queries/")
        return folder
    checkout = _checkout_around(Path.cwd())
    if checkout is not None:  # run inside a checkout: a curator's edits count, whatever copy is installed
        return checkout
    here = Path(__file__).resolve().parents[1]  # the lmakg package (this module is lmakg/knowledge/resources.py)
    bundled = here / "data"
    if _has_data(bundled):
        return bundled
    checkout = here.parent.parent  # src/lmakg -> repository root
    if _has_data(checkout):
        return checkout
    raise DataNotFoundError(
        f"cannot find the lmakg knowledge folders next to {here}; reinstall lmakg or set LMAKG_DATA"
    )


def folder(name: str) -> Path:
    """Return one knowledge folder by name (``"ontology"``, ``"kg"``, ``"rules"``, ``"queries"``)."""
    if name not in KNOWLEDGE_FOLDERS:
        raise ValueError(f"unknown knowledge folder {name!r}; expected one of {KNOWLEDGE_FOLDERS}")
    return data_dir() / name


def turtle_files(name: str) -> list[Path]:
    """All Turtle files of a knowledge folder, sorted so loads are deterministic."""
    return sorted(folder(name).glob("*.ttl"))


SHAPES_FILE = "shapes.ttl"  # the SHACL shapes: validation input, not part of the loaded knowledge


def knowledge_files() -> list[Path]:
    """The ontology modules (without the shapes), the curated graph files and the curator's inferences
    (``kg/curator/*.ttl``), in load order."""
    ontology = [p for p in turtle_files("ontology") if p.name != SHAPES_FILE]
    return ontology + turtle_files("kg") + sorted((folder("kg") / "curator").glob("*.ttl"))
