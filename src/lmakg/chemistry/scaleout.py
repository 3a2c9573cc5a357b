"""Screening on a Dask cluster: blocks of rows judged by workers, results handed on in input order.

Why Dask: a screen of hundreds of thousands of candidates is embarrassingly parallel once the graph is reasoned
over, and dask.distributed runs the same code on a local cluster of processes (``--workers N``) or on a cluster
a group already runs (``--scheduler ADDRESS``). Each worker process builds its predictor once (the reasoned
graph, kept in a module-level cache) and judges every block it is given with it; a block carries the number of
candidates before it, so its candidates get the same names (``c<n>-``) and the same results as in a serial run.
At most a few blocks per worker are in flight, so memory does not grow with the file.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from lmakg.chemistry.candidates import Candidate, PredictionInputError
from lmakg.chemistry.screening import Row, blocks, iter_candidates, judge_block

INSTALL_HINT = "Dask is not installed: pip install 'lmakg[scale]' (or pip install 'dask[distributed]')"
_WORKER_STATE: dict[tuple[Any, str | None], tuple[Any, Any]] = {}  # per worker process: (predictor, shared judge)


def _distributed() -> Any:
    try:
        import dask.distributed as distributed
    except ImportError as exc:
        raise PredictionInputError(INSTALL_HINT) from exc
    return distributed


def _judge_remote(factory: Callable[..., Any], store: str | None, path: str, before: int, rows: list[Row],
                  share: bool) -> list[dict[str, Any]]:
    """Run on a worker: judge one block with the process's predictor (built on first use)."""
    from lmakg.chemistry.memo import SharedJudge

    key = (factory, store)
    if key not in _WORKER_STATE:
        predictor = factory(store)
        _WORKER_STATE[key] = (predictor, SharedJudge(predictor))
    predictor, shared = _WORKER_STATE[key]
    return judge_block(predictor, path, before, rows, share, shared)


def client_for(workers: int | None = None, scheduler: str | None = None) -> Any:
    """A Dask client: to the cluster at ``scheduler``, else to a new local cluster of ``workers`` processes
    (one thread each; the predictor is not thread-safe)."""
    distributed = _distributed()
    if scheduler:
        try:
            return distributed.Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise PredictionInputError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from exc
    cluster = distributed.LocalCluster(n_workers=workers or 1, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=50)
    return distributed.Client(cluster)


def iter_screen_dask(path: str | Path, factory: Callable[..., Any], store: str | None, client: Any,
                     progress: Any = None, share: bool = True, block: int = 1000,
                     in_flight: int | None = None) -> Iterator[dict[str, Any]]:
    """Like :func:`lmakg.chemistry.screening.iter_screen`, with the blocks judged on the cluster of ``client``.
    ``factory(store)`` builds a worker's predictor (a module-level function, so workers import it by name)."""
    workers = max(1, len(client.scheduler_info().get("workers", {})))
    limit = in_flight or 2 * workers
    pending: deque[tuple[Any, int]] = deque()
    done = 0
    rows = iter_candidates(path)  # the header is checked here, before any work is sent
    for before, part in blocks(rows, block):
        count = sum(1 for _, c, _ in part if isinstance(c, Candidate))
        pending.append((client.submit(_judge_remote, factory, store, str(path), before, part, share, pure=False),
                        count))
        while len(pending) >= limit:
            done = yield from _collect(pending, done, progress)
    while pending:
        done = yield from _collect(pending, done, progress)


def _collect(pending: deque[tuple[Any, int]], done: int, progress: Any) -> Iterator[dict[str, Any]]:
    future, count = pending.popleft()
    results = future.result()
    done += count
    if progress:
        progress(done)
    yield from results
    return done
