"""Starting and stopping the endpoint: :func:`start_server` (Python), :func:`spawn_serve` (a subprocess, for
tests and benchmarks), and the :class:`Server` handle with ``.url``, ``.endpoint`` and ``.shutdown()``."""

from __future__ import annotations

import importlib
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from lmakg.knowledge.store import KnowledgeStore
from lmakg.server.config import Config, ServeError
from lmakg.server.http import SPARQL_PATH, SparqlHandler, is_loopback
from lmakg.server.querypool import WorkerPool

log = logging.getLogger("lmakg.serve")


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64
    url: str

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("connection from %s ended with an error", client_address, exc_info=True)


class Server:
    """A running endpoint: ``url``, ``serve_forever()``, ``start_in_thread()``, ``shutdown()``."""

    def __init__(self, httpd: _HTTPServer, config: Config) -> None:
        self._httpd = httpd
        self._config = config
        self._thread: threading.Thread | None = None
        host, port = httpd.server_address[:2]
        host = str(host)
        self.host, self.port = host, int(port)
        shown = f"[{host}]" if ":" in host else host
        self.url = f"http://{shown}:{self.port}"
        httpd.url = self.url

    @property
    def endpoint(self) -> str:
        return self.url + SPARQL_PATH

    @property
    def worker_pids(self) -> list[int]:
        return self._config.pool.pids()

    def serve_forever(self) -> None:
        try:
            self._httpd.serve_forever(poll_interval=0.2)
        finally:
            self._close()

    def start_in_thread(self) -> Server:
        """Serve from a daemon thread (the socket is already listening) and return at once."""
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="lmakg-serve", daemon=True)
        self._thread.start()
        return self

    def shutdown(self) -> None:
        """Stop serving, close the socket and stop the query workers."""
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(5)
            self._thread = None
        self._close()

    def _close(self) -> None:
        self._httpd.server_close()
        self._config.pool.close()
        self._config.knowledge = None  # let a persistent store close (its folder can then be reopened)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()


def _open_store(store: str | None, allow_update: bool, say: Callable[[str], None]) -> Any:
    from lmakg.chemistry.materialize import open_knowledge
    from lmakg.knowledge.store import StoreError, open_store

    try:
        if store is None:
            say("loading the packaged knowledge and reasoning over it (about 2 s; use --store DIR to skip)")
            return open_knowledge(None)
        location = Path(store.removeprefix("oxigraph:")).expanduser()
        if not location.is_dir():
            raise ServeError(f"store {location} does not exist; run `lmakg build --store {location}` first")
        if allow_update:
            say(f"opening the store {location} for reading and writing (--allow-update)")
            return open_store(f"oxigraph:{location}")
        say(f"opening the store {location} read-only")
        return open_knowledge(str(location))
    except (StoreError, OSError) as exc:
        raise ServeError(str(exc)) from exc


def start_server(
    store: str | None = None,
    host: str = "127.0.0.1",
    port: int = 7878,
    *,
    allow_update: bool = False,
    token: str | None = None,
    timeout: float = 10.0,
    max_results: int = 10000,
    max_body: int = 1_000_000,
    workers: int | None = None,
    cors_origin: str | None = None,
    cache_mb: float = 64,
    log_requests: bool = False,
    progress: Callable[[str], None] | None = None,
    knowledge: KnowledgeStore | None = None,
) -> Server:
    """Open the knowledge, start the query workers and bind the socket (listening when this returns).

    ``store`` is a folder written by ``lmakg build --store``; without it the packaged knowledge is loaded
    and reasoned over in memory; ``knowledge`` serves an already open store instead (tests, notebooks).
    ``port=0`` picks a free port (see ``Server.url``). ``workers`` defaults to the number of CPUs (at least
    2, so one slow query never blocks the rest). ``cache_mb`` bounds the answers kept for repeated
    queries (0 turns the cache off).
    """
    say = progress or (lambda _message: None)
    if allow_update and not token:
        raise ServeError("--allow-update needs --token T (updates are accepted only with "
                         "'Authorization: Bearer T')")
    if timeout <= 0 or max_results < 1 or max_body < 1:
        raise ServeError("--timeout, --max-results and --max-body must be positive")
    if not 0 <= port <= 65535:
        raise ServeError(f"port {port} is out of range 0-65535")
    if cors_origin is not None and cors_origin != "*" and not cors_origin.startswith(("http://", "https://")):
        raise ServeError(f"--cors-origin must be an origin like https://example.org or '*', got {cors_origin!r}")
    loopback = is_loopback(host)
    if not loopback:
        log.warning("binding to %s: the endpoint is reachable from other machines", host)

    opened_here = knowledge is None
    if knowledge is None:
        knowledge = _open_store(store, allow_update, say)
    size = workers or max(2, os.cpu_count() or 2)
    say(f"starting {size} query worker(s)")
    pool = WorkerPool(knowledge.dump("nquads"), size)
    try:
        config = Config(store_location=store, knowledge=knowledge, pool=pool, allow_update=allow_update,
                         token=token, timeout=timeout, max_results=max_results, max_body=max_body,
                         cors_origin=cors_origin, check_host=loopback, log_requests=log_requests,
                         cache_bytes=int(cache_mb * (1 << 20)))
        if not allow_update:
            # Workers have their copies and the graph list is taken: /sparql no longer reads the store
            # (additions made with `lmakg add` while it runs are seen after a restart).
            config.knowledge = None
        handler = type("Handler", (SparqlHandler,), {"config": config})
        server_class = type("HTTPServer", (_HTTPServer,),
                            {"address_family": socket.AF_INET6 if ":" in host else socket.AF_INET})
        httpd = server_class((host, port), handler)
    except OSError as exc:
        pool.close()
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    except BaseException:
        pool.close()
        raise
    if opened_here and not allow_update:
        _share_with_workbench(store, knowledge)
    return Server(httpd, config)


def _share_with_workbench(store: str | None, knowledge: KnowledgeStore) -> None:
    """Hand the workbench the store opened for /sparql (saves reasoning a second in-memory copy) and let
    it compute its indexes in the background, so its first page does not wait. Read-only servers only:
    the workbench caches what it derives."""
    try:
        workbench = importlib.import_module("lmakg.server.workbench")
    except ImportError:
        return
    register = getattr(workbench, "register", None)
    preload = getattr(workbench, "preload", None)
    if store is None and register is not None:
        register(None, knowledge)
    if preload is not None:
        def run() -> None:
            try:
                preload(store)
            except Exception:
                log.exception("the workbench could not preload its indexes")

        threading.Thread(target=run, name="lmakg-workbench-preload", daemon=True).start()


def spawn_serve(*options: str, wait: float = 60.0) -> tuple[subprocess.Popen[str], str]:
    """Run ``lmakg serve --port 0 --quiet OPTIONS`` in a child process; return it, once it listens, with the
    endpoint URL it prints on its start line.

    Why a child process rather than :func:`start_server`: a client that must not share the server's CPU
    time or interpreter (the endpoint benchmark), or a test of the command itself (its signals, its worker
    processes), needs the real command. The caller stops it (SIGINT or SIGTERM stop it cleanly). Raises
    :class:`ServeError` with what the command printed if it exits or prints no start line within ``wait``
    seconds.
    """
    command = [sys.executable, "-m", "lmakg", "serve", "--port", "0", "--quiet", *options]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env={**os.environ, "COLUMNS": "200"})
    assert process.stderr is not None
    deadline = time.monotonic() + wait
    printed = []
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        if "SPARQL endpoint" in line:  # the start line of `lmakg serve` (lmakg.cli.serve)
            return process, line.split()[2]
        printed.append(line)
    process.kill()
    printed.append(process.stderr.read())
    process.wait()
    raise ServeError(f"`{' '.join(command)}` did not start: {''.join(printed).strip() or 'no output'}")
