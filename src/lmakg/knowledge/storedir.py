"""Persistent store folders that change all at once: versions behind an atomically replaced symlink.

Why: a pyoxigraph (RocksDB) store is a folder, and a folder cannot be replaced by another in one atomic
step (renaming the old one away and the new one in is two steps; a kill between them leaves no store).
So ``DIR`` (what ``--store DIR`` names) is a symbolic link to a hidden sibling version folder
``.DIR.v-<pid>-<token>``. A writer (``lmakg build``, ``add``, ``remove``) prepares a complete new version
next to it and then swaps the link with one ``rename(2)`` of a new link over the old one, which POSIX makes
atomic: a reader, or a process killed at any moment, sees either the old version or the new one, never a
mix. Versions nobody points to any more (the replaced one, or one left by a killed writer) are removed by
the next writer.

Recovery on open: a store written by an older lmakg is a plain folder; the first writer turns it into a
version and links to it, and an older build killed between its two renames left ``.DIR.old-<pid>``.
If ``DIR`` is missing, :func:`recover` puts back whichever of these exists.

Writers hold an exclusive lock (``.DIR.lock``, released by the kernel if the process dies), so two
writers cannot both start from the same version and lose one another's change.

Never destroying what lmakg did not create: before anything is written (not even the lock file),
:func:`check_target` refuses a path that exists and is not an lmakg store — a regular file, a folder holding
anything but RocksDB's own files, a link lmakg did not make, the working folder or one that holds it. An
empty folder is taken as a new store.

Tests kill writers at named stages: with ``LMAKG_TEST_PAUSE_AT=<stage>`` in the environment, :func:`pause_at`
announces the stage on stderr and sleeps there.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

PAUSE_ENV = "LMAKG_TEST_PAUSE_AT"
PAUSE_MARK = "lmakg: paused at stage "


# The files RocksDB (pyoxigraph's on-disk backend) keeps in a store folder: a plain folder holding only
# these is a store an older lmakg wrote; anything else in it is the user's and must not be touched.
ROCKSDB_FILE = re.compile(r"^(CURRENT|IDENTITY|LOCK|LOG(\.old\.\d+)?|MANIFEST-\d+|OPTIONS-\d+(\.dbtmp)?|"
                          r"\d+\.(sst|log|blob))$")


class StoreBusyError(RuntimeError):
    """Another lmakg process is changing the store."""


class NotAStoreError(ValueError):
    """The path exists but is not an lmakg store (or no store exists where one is needed); nothing was touched."""


def kind_of(target: Path) -> str:
    """What is at ``target``: "missing", "empty" (an empty folder), "store" (an lmakg store: a link to its
    version folder, or a plain RocksDB folder an older lmakg wrote) or "other" (anything else)."""
    if target.is_symlink():
        version = target.parent / os.readlink(target)
        ours = version.parent == target.parent and version.name.startswith(f".{target.name}.v-")
        return "store" if ours and version.is_dir() else "other"
    if not target.exists():
        return "missing"
    if not target.is_dir():
        return "other"
    names = os.listdir(target)
    if not names:
        return "empty"
    if "CURRENT" in names and all(ROCKSDB_FILE.match(n) for n in names):
        return "store"
    return "other"


SST_MAGIC = bytes.fromhex("f7cff485b741e288")  # RocksDB block-based table footer magic, little-endian


def damage(folder: Path) -> str | None:
    """Why the RocksDB files of a store version are unusable, or None if they look whole.

    Why check before opening: RocksDB trusts sizes written in its files, and a table file overwritten with
    random bytes can make it allocate without bound (24 GB seen) before it reports anything. Checking that
    ``CURRENT`` names an existing manifest and that every table file ends in RocksDB's footer magic costs a
    few reads and catches truncated and overwritten files; a missing table file is reported by RocksDB itself
    on opening (see :func:`lmakg.knowledge.store.open_store`)."""
    current = folder / "CURRENT"
    if not current.is_file():
        return "its CURRENT file is missing"
    text = current.read_bytes()[:64].decode("ascii", errors="replace").strip()
    if not re.fullmatch(r"MANIFEST-\d+", text):
        return f"its CURRENT file does not name a manifest ({text[:40]!r})"
    manifest = folder / text
    if not manifest.is_file() or manifest.stat().st_size == 0:
        return f"its manifest {text} is missing or empty"
    for table in sorted(folder.glob("*.sst")):
        with table.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            if size < len(SST_MAGIC):
                return f"its table file {table.name} is truncated"
            handle.seek(size - len(SST_MAGIC))
            if handle.read() != SST_MAGIC:
                return f"its table file {table.name} is truncated or overwritten"
    return None


def check_target(target: Path, must_exist: bool = False) -> None:
    """Refuse, before anything is written, a store path that holds something lmakg did not create (raises
    :class:`NotAStoreError`); with ``must_exist``, also a path where no store is yet."""
    here = Path.cwd().resolve()
    resolved = target.resolve()
    if resolved == here or resolved in here.parents:
        raise NotAStoreError(f"{target} is the working folder (or holds it); give the store a folder of its own, "
                             f"e.g. --store store")
    kind = kind_of(target)
    if kind == "other":
        what = "a file" if target.is_file() else ("a link lmakg did not make" if target.is_symlink() else
                                                   "a folder with other files in it")
        if target.is_dir() and not target.is_symlink():
            sample = sorted(n for n in os.listdir(target) if not ROCKSDB_FILE.match(n))[:3]
            what += f" ({', '.join(sample)}{' ...' if len(sample) == 3 else ''})"
        raise NotAStoreError(f"{target} exists and is not an lmakg store: it is {what}; nothing was changed — "
                             f"choose a new path for the store, or remove it yourself")
    if must_exist and kind in ("missing", "empty"):
        raise NotAStoreError(f"no store at {target}; create it with `lmakg build --store {target}` first")


def pause_at(stage: str) -> None:
    """Test hook: sleep at ``stage`` when ``LMAKG_TEST_PAUSE_AT`` names it, so a test can kill us there."""
    if os.environ.get(PAUSE_ENV) == stage:
        print(f"{PAUSE_MARK}{stage}", file=sys.stderr, flush=True)
        time.sleep(3600)


SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):(.*)$", re.DOTALL)  # two letters or more: C:\\ is a drive
KNOWN_SCHEMES = {"oxigraph": "'oxigraph:' (in memory), 'oxigraph:PATH' or a bare PATH (on disk)",
                 "sparql": "'sparql:QUERY_URL' (a SPARQL 1.1 server, read-only)"}


class UnknownSchemeError(ValueError):
    """A ``--store`` selector names a backend lmakg does not have; nothing was created."""


class FolderError(ValueError):
    """A store folder cannot be opened: missing, not an lmakg store, or damaged (the message says how to mend it)."""


def open_folder(location: str, read_only: bool = False) -> tuple[Any, str]:
    """The pyoxigraph store in a folder (created if missing, unless ``read_only``) and its path, after putting back
    what a killed writer left (:func:`recover`) and checking the folder is an lmakg store in one piece."""
    import pyoxigraph as ox

    path = Path(location).expanduser()
    recover(path)  # a writer killed halfway by an older lmakg, or while converting a plain-folder store
    if read_only and kind_of(path) == "other":
        raise FolderError(f"{path} is not an lmakg store (it holds files lmakg did not write); "
                          f"build one with `lmakg build --store NEW_FOLDER`")
    rebuild = f"rebuild it with `lmakg build --store {path}`"
    if path.exists():
        found = damage(current_version(path) or path) if (path / "CURRENT").exists() or path.is_symlink() else None
        if found:
            raise FolderError(f"the store at {path} is damaged: {found}; {rebuild}")
    try:
        if read_only:
            if not path.exists():
                raise FolderError(f"store {path} does not exist; run `lmakg build --store {path}` first")
            return ox.Store.read_only(str(path)), str(path)
        path.mkdir(parents=True, exist_ok=True)
        return ox.Store(str(path)), str(path)
    except OSError as exc:
        raise FolderError(f"cannot open store at {path}: {exc}") from exc
    except RuntimeError as exc:  # RocksDB: "Corruption: ...", "IO error: ..."
        raise FolderError(f"the store at {path} is damaged: {str(exc).splitlines()[0][:200]}; {rebuild}") from exc


def split_selector(text: str) -> tuple[str, str]:
    """``scheme:location`` of a store selector; a bare path is ``oxigraph``. Any other scheme is refused in one
    line (so ``--store sparql:http://...`` never becomes a folder called ``sparql:http:``)."""
    found = SCHEME.match(text)
    if not found:
        return "oxigraph", text
    scheme = found.group(1).lower()
    if scheme not in KNOWN_SCHEMES:
        known = "; ".join(KNOWN_SCHEMES.values())
        raise UnknownSchemeError(f"unknown store scheme {scheme!r} in {text!r}; use {known}")
    return scheme, found.group(2)


def store_path(location: str | Path) -> Path:
    """The absolute path of a store selector (``oxigraph:DIR`` or ``DIR``), without following ``DIR``'s link."""
    scheme, text = split_selector(str(location))
    if scheme != "oxigraph":
        raise UnknownSchemeError(f"{location}: lmakg writes only to a store folder in this version (a {scheme}: store "
                                 "is read-only); build into a folder with --store DIR and load that into the server")
    return Path(os.path.abspath(os.path.expanduser(text)))


def _siblings(target: Path, kind: str) -> list[Path]:
    prefix = f".{target.name}.{kind}-"
    if not target.parent.is_dir():
        return []
    return sorted(p for p in target.parent.iterdir() if p.name.startswith(prefix))


def current_version(target: Path) -> Path | None:
    """The version folder ``target`` links to (``target`` itself for a plain folder), or None."""
    if target.is_symlink():
        resolved = target.parent / os.readlink(target)
        return resolved if resolved.is_dir() else None
    return target if target.is_dir() else None


def recover(target: Path) -> bool:
    """If ``target`` is missing, restore the store a killed writer left behind; return True if it did.

    Two writers could be interrupted with ``target`` missing: a conversion of a plain-folder store (this
    module, between moving the folder to ``.DIR.v-legacy-*`` and linking to it) and a build by an older lmakg
    (between renaming the store to ``.DIR.old-<pid>`` and renaming the new one in). The newest such folder
    is linked (or renamed) back.
    """
    if target.exists() or target.is_symlink():
        return False
    legacy = [p for p in _siblings(target, "v") if p.name.startswith(f".{target.name}.v-legacy-") and p.is_dir()]
    if legacy:
        newest = max(legacy, key=lambda p: p.stat().st_mtime)
        with contextlib.suppress(FileExistsError):
            os.symlink(newest.name, target)
        return True
    old = [p for p in _siblings(target, "old") if p.is_dir()]
    if old:
        newest = max(old, key=lambda p: p.stat().st_mtime)
        with contextlib.suppress(FileExistsError, FileNotFoundError, OSError):
            newest.rename(target)
        return True
    return False


def _make_pointer(target: Path) -> None:
    """Turn a plain-folder store into a version behind a link (recoverable if killed halfway)."""
    if target.is_symlink() or not target.is_dir():
        return
    legacy = target.parent / f".{target.name}.v-legacy-{os.getpid()}-{secrets.token_hex(4)}"
    os.rename(target, legacy)
    pause_at("convert")
    os.symlink(legacy.name, target)


def cleanup(target: Path) -> list[Path]:
    """Remove every version but the current one, and pending links: called with the writer lock held, so
    nothing else is being written and whatever ``target`` does not point to is left over from a replaced
    version or a killed writer. Returns what was removed."""
    live = current_version(target)
    live_name = live.name if live is not None else None
    removed = []
    for path in _siblings(target, "v") + _siblings(target, "link"):
        if path.name == live_name:
            continue
        if path.is_symlink() or path.is_file():
            path.unlink(missing_ok=True)
        else:
            shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


@contextlib.contextmanager
def writing(target: Path, must_exist: bool = False) -> Iterator[Path]:
    """Hold the store's writer lock; recover a store a killed writer left, convert a plain folder to a
    linked version, and remove unused versions, so the caller starts from a clean, complete store. A path
    that is not an lmakg store is refused first (:func:`check_target`), before the lock file is made."""
    import fcntl

    recover(target)  # a store a killed writer left without its link is a store again before it is judged
    check_target(target, must_exist=must_exist)
    target.parent.mkdir(parents=True, exist_ok=True)
    lock_path = target.parent / f".{target.name}.lock"
    with open(lock_path, "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise StoreBusyError(f"another lmakg process is changing the store {target} (lock {lock_path}); "
                                 f"try again when it has finished") from exc
        try:
            recover(target)
            _make_pointer(target)
            cleanup(target)
            yield target
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def new_version(target: Path) -> Path:
    """A fresh, not yet existing path for the next version of ``target`` (the caller creates it)."""
    return target.parent / f".{target.name}.v-{os.getpid()}-{secrets.token_hex(6)}"


def commit(target: Path, version: Path) -> None:
    """Make ``version`` the store at ``target`` in one atomic step (rename a new link over the old one),
    then remove the version it replaces."""
    link = target.parent / f".{target.name}.link-{os.getpid()}-{secrets.token_hex(4)}"
    os.symlink(version.name, link)
    pause_at("commit")
    os.replace(link, target)  # the atomic step: before it the old store, after it the new one
    _sync_folder(target.parent)
    pause_at("committed")
    cleanup(target)


def _sync_folder(folder: Path) -> None:
    """Flush a folder's entries to disk, so the swapped link also survives a power cut (a kill needs no sync)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
