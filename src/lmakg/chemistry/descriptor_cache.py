"""The cache of computed descriptors (:mod:`lmakg.chemistry.descriptors`): one small JSON file per species.

Why files, not a database: each file is written whole (a temporary file in the same folder, then ``os.replace``),
so any number of processes — Dask workers included — read and write the folder at once without locks: a reader
sees a complete old file, a complete new one or none, and two writers of one key write the same values. Keys are
made by the caller (InChIKey, charge, a digest of method and versions: see ``descriptors.py``). A file that cannot
be read is not an error: one warning line naming it (logger ``lmakg.descriptors``), and the caller recomputes and
overwrites it. Where: ``$LMAKG_CACHE/descriptors/`` (default ``$XDG_CACHE_HOME/lmakg`` or ``~/.cache/lmakg``);
``LMAKG_CACHE=off`` (or empty) disables the cache.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

log = logging.getLogger("lmakg.descriptors")
T = TypeVar("T")


def cache_dir() -> Path | None:
    """``${LMAKG_CACHE}/descriptors`` (default ``$XDG_CACHE_HOME/lmakg`` or ``~/.cache/lmakg``); None
    when ``LMAKG_CACHE`` is empty or ``off``."""
    override = os.environ.get("LMAKG_CACHE")
    if override is not None:
        if override.strip().lower() in ("", "off", "0", "none"):
            return None
        return Path(override).expanduser() / "descriptors"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lmakg" / "descriptors"


def cache_path(key: str, charge: int, digest: str) -> Path | None:
    """The file of one species (``key``, e.g. its InChIKey) at one charge, for one method and versions (``digest``)."""
    folder = cache_dir()
    if folder is None:
        return None
    sign = "m" if charge < 0 else "p"
    return folder / f"{key}_{sign}{abs(charge)}_{digest}.json"


def read(path: Path | None, decode: Callable[[dict[str, Any]], T]) -> T | None:
    """``decode`` of the cached record at ``path``; None when there is none, or when the file cannot be read or
    decoded (then one warning naming it is logged)."""
    if path is None:
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        log.warning("lmakg: ignoring unreadable descriptor cache file %s (%s); recomputing it", path, exc)
        return None
    try:
        return decode(json.loads(text))
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        log.warning("lmakg: ignoring corrupt descriptor cache file %s (%s: %s); recomputing it", path,
                    type(exc).__name__, exc)
        return None


def write(path: Path | None, record: dict[str, Any]) -> None:
    """Write ``record`` to ``path`` whole (temporary file + rename); a read-only or full folder is ignored."""
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(record, handle, indent=1, sort_keys=True)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        pass  # a read-only or full cache folder only costs a recomputation
