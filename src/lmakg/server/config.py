"""What a running endpoint knows: its limits, its store, its worker pool and its answer cache."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Any

from lmakg.server.querypool import Reply, WorkerPool

log = logging.getLogger("lmakg.serve")


class ServeError(RuntimeError):
    """The server cannot start with these options (the message says which and why)."""


class ResultCache:
    """Answers of deterministic queries, kept while the data does not change (an update empties it).

    Why: the endpoint serves fixed data, so the same query (a named query, a workbench page) gets the same
    answer; keeping it spares a worker round trip. Bounded by total bytes, least recently used first out.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Any, Reply] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Any) -> Reply | None:
        with self._lock:
            reply = self._entries.get(key)
            if reply is not None:
                self._entries.move_to_end(key)
            return reply

    def put(self, key: Any, reply: Reply) -> None:
        size = len(reply.body)
        if size > self.max_bytes // 4:
            return
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = reply
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= len(dropped.body)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0


class Config:
    """What the request handlers share: options, the worker pool, the store behind updates."""

    def __init__(self, *, store_location: str | None, knowledge: Any, pool: WorkerPool, allow_update: bool,
                 token: str | None, timeout: float, max_results: int, max_body: int, cors_origin: str | None,
                 check_host: bool, log_requests: bool, cache_bytes: int) -> None:
        self.store_location = store_location
        self.knowledge = knowledge
        self.pool = pool
        self.allow_update = allow_update
        self.token = token
        self.timeout = timeout
        self.max_results = max_results
        self.max_body = max_body
        self.cors_origin = cors_origin
        self.check_host = check_host
        self.log_requests = log_requests
        self.update_lock = threading.Lock()
        self.cache = ResultCache(cache_bytes) if cache_bytes > 0 else None
        self.graphs: dict[str, int] = {}
        self.refresh_graphs()

    def refresh_graphs(self) -> None:
        """Named graphs and their sizes, for the service description (recomputed after an update)."""
        self.graphs = {g: self.knowledge.count(g) for g in self.knowledge.named_graphs()}
