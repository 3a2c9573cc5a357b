"""Screening on a Dask cluster: the reasoning is spread over workers, results come out in input order.

Why Dask: once the graph is reasoned over, judging a screen's distinct signatures (:mod:`lmakg.chemistry.memo`)
is embarrassingly parallel, and dask.distributed runs the same code on a local cluster of processes
(``--workers N``) or on a cluster a group already runs (``--scheduler ADDRESS``). The calling process reads the
rows, computes each candidate's signature (RDKit) and writes the results; the batches of stand-ins it would judge
itself go to the workers instead, all of a block's batches at once. Each worker process builds its predictor
once (kept in a module-level cache) and judges every batch it is given with it. The batches are exactly those of
a serial run, so the results are the serial results, in the same order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from lmakg.chemistry.candidates import Candidate, PredictionInputError

INSTALL_HINT = "Dask is not installed: pip install 'lmakg[scale]' (or pip install 'dask[distributed]')"
_PREDICTORS: dict[tuple[Any, str | None], Any] = {}  # per worker process: the predictor, built on first use


def _distributed() -> Any:
    try:
        import dask.distributed as distributed
    except ImportError as exc:
        raise PredictionInputError(INSTALL_HINT) from exc
    return distributed


def _judge_remote(factory: Callable[..., Any], store: str | None, batch: list[Candidate]) -> list[dict[str, Any]]:
    """Run on a worker: judge one batch of stand-ins with the process's predictor."""
    key = (factory, store)
    if key not in _PREDICTORS:
        _PREDICTORS[key] = factory(store)
    return _PREDICTORS[key].judge(batch, [""] * len(batch))


def client_for(workers: int | None = None, scheduler: str | None = None) -> Any:
    """A Dask client: to the cluster at ``scheduler``, else to a new local cluster of ``workers`` processes
    (one thread each; a predictor is not thread-safe)."""
    distributed = _distributed()
    if scheduler:
        try:
            return distributed.Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise PredictionInputError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from exc
    cluster = distributed.LocalCluster(n_workers=workers or 1, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=50)
    return distributed.Client(cluster)


def iter_screen_dask(path: str | Path, factory: Callable[..., Any], store: str | None, client: Any,
                     progress: Any = None, batch: int | None = None, inchikeys: bool = True
                     ) -> Iterator[dict[str, Any]]:
    """Like :func:`lmakg.chemistry.screening.iter_screen`, with the reasoning done on the cluster of ``client``.
    ``factory(store)`` builds a predictor (a module-level function, so workers import it by name); ``batch``:
    stand-ins per batch (:class:`lmakg.chemistry.memo.SharedJudge`; the default gives the serial batches)."""
    from lmakg.chemistry.memo import SharedJudge
    from lmakg.chemistry.screening import iter_screen

    predictor = factory(store)

    def run(batches: list[list[Candidate]]) -> list[list[dict[str, Any]]]:
        futures = [client.submit(_judge_remote, factory, store, b, pure=False) for b in batches]
        return client.gather(futures)

    options = {"batch": batch} if batch else {}
    shared = SharedJudge(predictor, run=run, inchikeys=inchikeys, **options)
    yield from iter_screen(path, predictor, progress=progress, shared=shared, inchikeys=inchikeys)
