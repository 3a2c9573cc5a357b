"""Run the endpoint's SPARQL in worker processes that can be killed: the per-query timeout.

Why processes: pyoxigraph 0.5 cannot cancel a query (``Store.query`` takes no timeout or cancellation
token and keeps its thread busy until the query ends), so a thread that runs away cannot be stopped. Each
worker holds its own in-memory copy of the data, loaded from an N-Quads snapshot of the server's store;
a query that outlives the timeout gets its worker killed (SIGKILL, so the CPU is really freed) and a fresh
worker takes its place in the background.

Why in-memory copies even with ``--store``: on the review graph pyoxigraph answers the named queries
several times faster from memory than from its on-disk (RocksDB) store, and a worker's copy is cheap
(40k quads, about 0.2 s to load). It also keeps workers independent of a store that the server may write
to (``--allow-update``), which RocksDB does not allow a read-only opener to share safely.

Workers are fresh interpreters (the "spawn" start method: the threaded HTTP server is never forked),
started by one long-lived thread of the pool and, on Linux, tied to it with ``PR_SET_PDEATHSIG``: if the
server process dies, however it dies, the kernel kills its workers, so a runaway query never outlives it.
A script that starts a server must therefore do so under ``if __name__ == "__main__":``, as
multiprocessing requires.

Short queries are not stalled by long ones: besides the ``size`` general workers the pool keeps one
**reserve** worker. A task that finds every general worker busy for :data:`RESERVE_GRACE` seconds runs on the
reserve, but only for :data:`RESERVE_LIMIT` seconds; a task that needs longer is stopped there and asked to
retry later, so the reserve is free again for the next short query (the cost of a SPARQL query cannot be
known before running it, so the pool measures it instead of guessing).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from lmakg.knowledge.functions import custom_functions
from lmakg.knowledge.vocab import PREFIXES
from lmakg.server.protocol import GRAPH_FORMATS, OX_GRAPH_FORMATS, OX_RESULT_FORMATS, RESULT_FORMATS

log = logging.getLogger("lmakg.serve")

TEXT = "text/plain; charset=utf-8"
LOAD_TIMEOUT = 120.0  # seconds a fresh worker may take to load the snapshot
RESERVE_GRACE = 0.5  # seconds a task waits for a general worker before it may use the reserve
RESERVE_LIMIT = 3.0  # seconds a task may run on the reserve worker


@dataclass(frozen=True)
class Task:
    """One query or update for a worker, with everything the protocol layer decided."""

    kind: str  # "query" or "update"
    text: str
    results_format: str | None = "json"  # negotiated key for SELECT/ASK, None if nothing acceptable
    graph_format: str | None = "turtle"  # negotiated key for CONSTRUCT/DESCRIBE
    default_graphs: tuple[str, ...] | None = None  # protocol dataset (default-graph-uri)
    named_graphs: tuple[str, ...] | None = None  # protocol dataset (named-graph-uri)
    union_default: bool = True  # default graph = union of all graphs (unless the query says FROM)
    max_results: int = 10_000


@dataclass(frozen=True)
class Reply:
    status: int
    content_type: str
    body: bytes


class PoolError(RuntimeError):
    """A query could not be answered by a worker; ``status`` is the HTTP status to answer with."""

    status = 503


class QueryTimeout(PoolError):
    status = 503


class PoolBusy(PoolError):
    status = 503


class WorkerCrashed(PoolError):
    status = 500


def _text(status: int, message: str) -> Reply:
    return Reply(status, TEXT, (message.rstrip("\n") + "\n").encode("utf-8"))


def _not_acceptable(kind: str, formats: dict[str, Any]) -> Reply:
    offered = ", ".join(f.media_type for f in formats.values())
    return _text(406, f"no acceptable format for {kind} results; this endpoint offers: {offered}")


def _too_many(limit: int, what: str) -> Reply:
    return _text(422, f"result has more than {limit} {what}; add LIMIT or raise --max-results")


def _select_reply(result: ox.QuerySolutions, task: Task) -> Reply:
    """Collect at most ``max_results`` rows (stopping early), then serialise them.

    The rows go through TSV (terms in N-Triples syntax, lossless) and pyoxigraph's parser, so every
    output format is written by pyoxigraph's own serialisers although the rows were counted first.
    """
    if task.results_format is None:
        return _not_acceptable("SELECT", RESULT_FORMATS)
    variables = result.variables
    lines = ["\t".join(str(v) for v in variables)]
    for n, solution in enumerate(result):
        if n >= task.max_results:
            return _too_many(task.max_results, "rows")
        lines.append("\t".join("" if (term := solution[v]) is None else str(term) for v in variables))
    tsv = "\n".join(lines) + "\n"
    fmt = RESULT_FORMATS[task.results_format]
    parsed = ox.parse_query_results(tsv, ox.QueryResultsFormat.TSV)
    return Reply(200, fmt.content_type, parsed.serialize(format=OX_RESULT_FORMATS[fmt.key]))


def _graph_reply(result: Any, task: Task) -> Reply:
    if task.graph_format is None:
        return _not_acceptable("CONSTRUCT/DESCRIBE", GRAPH_FORMATS)
    triples = []
    for n, triple in enumerate(result):
        if n >= task.max_results:
            return _too_many(task.max_results, "triples")
        triples.append(triple)
    fmt = GRAPH_FORMATS[task.graph_format]
    ox_format = OX_GRAPH_FORMATS[fmt.key]
    prefixes = PREFIXES if fmt.key in ("turtle", "trig") else None
    return Reply(200, fmt.content_type, ox.serialize(triples, format=ox_format, prefixes=prefixes))


def execute(store: ox.Store, task: Task) -> Reply:
    """Run one task on a store and answer with a status, a content type and a body (never raises for a
    bad query: syntax errors are 400 with the parser's message)."""
    options: dict[str, Any] = {"prefixes": PREFIXES, "custom_functions": custom_functions()}
    try:
        if task.kind == "update":
            store.update(task.text, **options)
            return _text(200, "update applied")
        if task.default_graphs is not None or task.named_graphs is not None:
            options["default_graph"] = [ox.NamedNode(g) for g in task.default_graphs or ()]
            options["named_graphs"] = [ox.NamedNode(g) for g in task.named_graphs or ()]
        elif task.union_default:
            options["use_default_graph_as_union"] = True
        result = store.query(task.text, **options)
        if isinstance(result, ox.QueryBoolean):
            if task.results_format is None:
                return _not_acceptable("ASK", RESULT_FORMATS)
            fmt = RESULT_FORMATS[task.results_format]
            return Reply(200, fmt.content_type, result.serialize(format=OX_RESULT_FORMATS[fmt.key]))
        if isinstance(result, ox.QuerySolutions):
            return _select_reply(result, task)
        return _graph_reply(result, task)
    except SyntaxError as exc:
        return _text(400, f"malformed SPARQL {task.kind}: {exc}")
    except (OSError, RuntimeError, ValueError, TypeError) as exc:
        return _text(400, f"the {task.kind} could not be evaluated: {exc}")


# -- worker process -----------------------------------------------------------------------------------
def _die_with_parent(parent_pid: int) -> None:
    """Ask Linux to kill this worker when the thread that started it (the pool's spawner) ends, which it
    does when the server closes the pool or its process ends, however it ends."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent_pid:  # the server was already gone before the line above
        os._exit(1)


def _worker_main(conn: Any, parent_pid: int) -> None:
    """Serve tasks from the server over a pipe until it closes; messages are ``("load", nquads)`` and
    ``("run", Task)``."""
    _die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle
    store = ox.Store()
    while True:
        try:
            kind, payload = conn.recv()
        except (EOFError, OSError):
            return
        try:
            if kind == "load":
                store = ox.Store()
                store.bulk_load(payload, format=ox.RdfFormat.N_QUADS)
                conn.send(("loaded", None))
            else:
                conn.send(execute(store, payload))
        except Exception as exc:  # keep serving: one bad task must not take the worker down
            conn.send(_text(500, f"worker error: {type(exc).__name__}: {exc}"))


class _Worker:
    def __init__(self, ctx: Any) -> None:
        parent, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker_main, args=(child, os.getpid()), daemon=True,
                                   name="lmakg-sparql-worker")
        self.process.start()
        child.close()
        self.conn = parent
        self.generation = -1
        self.reserve = False

    def load(self, generation: int, data: bytes) -> None:
        try:
            self.conn.send(("load", data))
            if not self.conn.poll(LOAD_TIMEOUT):
                raise WorkerCrashed(f"a query worker did not load the data within {LOAD_TIMEOUT:.0f} s")
            reply = self.conn.recv()
        except (EOFError, OSError) as exc:
            self.process.join(1)
            raise WorkerCrashed(f"a query worker exited while starting (exit code {self.process.exitcode}); "
                                "a script that starts the server must do so under `if __name__ == '__main__':`"
                                ) from exc
        if not (isinstance(reply, tuple) and reply[0] == "loaded"):
            raise WorkerCrashed(f"a query worker could not load the data: {getattr(reply, 'body', reply)!r}")
        self.generation = generation

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()

    def stop(self) -> None:
        self.conn.close()  # the worker sees EOF and returns
        self.process.join(2)
        if self.process.is_alive():
            self.kill()


class WorkerPool:
    """A fixed number of query workers sharing a snapshot of the data; see the module docstring."""

    def __init__(self, snapshot: bytes, size: int) -> None:
        if size < 1:
            raise ValueError(f"need at least one query worker, got {size}")
        self._ctx = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._spawn_requests: queue.Queue[queue.Queue[Any] | None] = queue.Queue()
        self._spawner = threading.Thread(target=self._spawn_loop, name="lmakg-worker-spawner", daemon=True)
        self._spawner.start()
        self._snapshot, self._generation = snapshot, 0
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._reserve: queue.Queue[_Worker] = queue.Queue()
        self._workers: set[_Worker] = set()
        self._closed = False
        self.size = size
        started = [self._spawn() for _ in range(size + 1)]
        started[-1].reserve = True
        for worker in started:
            self._refresh(worker)
            self._queue_of(worker).put(worker)

    def _queue_of(self, worker: _Worker) -> queue.Queue[_Worker]:
        return self._reserve if worker.reserve else self._idle

    def _spawn_loop(self) -> None:
        """Start every worker from this one thread, which lives as long as the pool: on Linux a worker
        dies with the thread that started it (see module docstring)."""
        while (box := self._spawn_requests.get()) is not None:
            try:
                box.put(_Worker(self._ctx))
            except BaseException as exc:
                box.put(exc)

    def _spawn(self) -> _Worker:
        box: queue.Queue[Any] = queue.Queue(maxsize=1)
        self._spawn_requests.put(box)
        while True:
            try:
                worker = box.get(timeout=1)
                break
            except queue.Empty:
                if not self._spawner.is_alive():
                    raise WorkerCrashed("the pool is closed") from None
        if isinstance(worker, BaseException):
            raise worker
        with self._lock:
            self._workers.add(worker)
        return worker

    def _refresh(self, worker: _Worker) -> None:
        """Give a worker the current snapshot if it has an older one (after an update)."""
        with self._lock:
            generation, data = self._generation, self._snapshot
        if worker.generation != generation:
            worker.load(generation, data)

    @property
    def generation(self) -> int:
        """How many times the data has changed since the pool started."""
        with self._lock:
            return self._generation

    def set_snapshot(self, snapshot: bytes) -> None:
        """New data for every worker (each reloads before its next task)."""
        with self._lock:
            self._snapshot = snapshot
            self._generation += 1

    def _take(self, timeout: float) -> tuple[_Worker, float]:
        """A worker for the next task and how long the task may run on it: a general worker (up to
        ``timeout``), or the reserve for at most :data:`RESERVE_LIMIT` once every general worker has stayed
        busy for :data:`RESERVE_GRACE` seconds (whichever is free first, while the reserve is restarting)."""
        with contextlib.suppress(queue.Empty):
            return self._idle.get(timeout=min(timeout, RESERVE_GRACE)), timeout
        deadline = time.monotonic() + max(timeout - RESERVE_GRACE, 0.0)
        while True:
            with contextlib.suppress(queue.Empty):
                return self._reserve.get_nowait(), min(timeout, RESERVE_LIMIT)
            left = deadline - time.monotonic()
            if left <= 0:
                raise PoolBusy(f"all {self.size} query workers stayed busy for {timeout:g} s; try again later")
            with contextlib.suppress(queue.Empty):
                return self._idle.get(timeout=min(left, 0.05)), timeout

    def run(self, task: Task, timeout: float) -> Reply:
        """Run a task on an idle worker; wait at most ``timeout`` seconds for a worker and as long again
        for the answer. A worker that does not answer in time is killed and replaced."""
        worker, limit = self._take(timeout)
        try:
            self._refresh(worker)
            worker.conn.send(("run", task))
            if not worker.conn.poll(limit):
                self._replace(worker)
                if worker.reserve and limit < timeout:
                    raise PoolBusy(f"every query worker is busy with long queries, and this {task.kind} took longer "
                                   f"than the {limit:g} s allowed on the worker kept for short ones; try again later")
                raise QueryTimeout(f"the {task.kind} ran longer than the {timeout:g} s timeout and was stopped; "
                                   "add LIMIT, simplify it, or raise --timeout")
            reply = worker.conn.recv()
        except (EOFError, OSError, WorkerCrashed) as exc:
            code = worker.process.exitcode
            self._replace(worker)
            raise WorkerCrashed(f"the query worker stopped (exit code {code}) and was restarted: {exc}") from exc
        self._queue_of(worker).put(worker)
        return reply

    def _replace(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            self._workers.discard(worker)
            if self._closed:
                return
        threading.Thread(target=self._start_replacement, args=(worker.reserve,), name="lmakg-worker-respawn",
                         daemon=True).start()

    def _start_replacement(self, reserve: bool) -> None:
        worker = None
        try:
            worker = self._spawn()
            worker.reserve = reserve
            self._refresh(worker)
        except Exception:
            with self._lock:
                closed = self._closed
            if not closed:  # during shutdown the new worker is stopped on purpose
                log.exception("could not start a replacement query worker")
            if worker is not None:
                worker.kill()
            return
        with self._lock:
            closed = self._closed
        if closed:
            worker.stop()
        else:
            self._queue_of(worker).put(worker)

    def pids(self) -> list[int]:
        with self._lock:
            return sorted(w.process.pid for w in self._workers if w.process.pid)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers = list(self._workers)
            self._workers.clear()
        for worker in workers:
            worker.stop()
        self._spawn_requests.put(None)
