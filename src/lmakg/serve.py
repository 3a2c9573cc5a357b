"""``lmakg serve``: the knowledge graph over the SPARQL 1.1 Protocol at ``/sparql``, plus the web workbench.

Why this shape: the HTTP layer (the standard library's threading server) only parses requests, applies
the safety rules and negotiates formats; queries run in killable worker processes
(:mod:`lmakg.querypool`) so a per-query timeout really stops the work; protocol details that need no
server live in :mod:`lmakg.protocol`. Every other path goes to ``lmakg.workbench.route``.

Safe by default:

- binds to 127.0.0.1, and while bound to loopback answers only requests whose ``Host`` is a loopback
  name (a web page that rebinds its own domain name to 127.0.0.1 cannot read the endpoint);
- read-only: SPARQL Update is refused (403) unless the server was started with ``allow_update`` and a
  token, and then needs ``Authorization: Bearer <token>`` (401 without it, 403 with a wrong one);
- ``LOAD`` and ``SERVICE`` are refused (403) always, so the server never fetches from a URL;
- a per-query timeout (503), a result-size cap (422 rather than a silently truncated answer), a body-size
  cap (413); malformed SPARQL gets 400 with the parser's message; nothing a client sends stops the server;
- no CORS headers unless an origin is named (same-origin pages, like the workbench, need none).

>>> server = start_server(port=0, store=None, workers=1, progress=None)  # doctest: +SKIP
"""

from __future__ import annotations

import codecs
import contextlib
import hmac
import importlib
import ipaddress
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyoxigraph as ox

from lmakg import protocol
from lmakg.functions import FUNCTION_NS, FUNCTIONS
from lmakg.querypool import TEXT, PoolError, Reply, Task, WorkerPool
from lmakg.store import KnowledgeStore

log = logging.getLogger("lmakg.serve")

SPARQL_PATH = "/sparql"
SPARQL_METHODS = "GET, HEAD, POST, OPTIONS"
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}
# Form parameters of the SPARQL 1.1 Protocol that may appear at most once.
SINGLE_PARAMETERS = ("query", "update")
DRAIN_LIMIT = 16 << 20  # bytes of a refused body read and dropped before answering 413


class ServeError(RuntimeError):
    """The server cannot start with these options (the message says which and why)."""


def is_loopback(host: str) -> bool:
    """Whether a bind address or host name stays on this machine.

    >>> [is_loopback(h) for h in ("127.0.0.1", "::1", "localhost", "0.0.0.0", "192.168.1.5")]
    [True, True, True, False, False]
    """
    name = host.strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _host_of(header: str) -> str:
    """The host part of a ``Host`` header (``[::1]:7878`` -> ``::1``)."""
    header = header.strip()
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


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


class _Config:
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


class _Handler(BaseHTTPRequestHandler):
    server_version = "lmakg"
    protocol_version = "HTTP/1.1"
    default_request_version = "HTTP/1.0"  # so even a garbled request line gets a status line back
    disable_nagle_algorithm = True  # headers and body are two writes: without TCP_NODELAY, +40 ms per answer
    timeout = 60  # seconds a client may stay silent (slow or idle connections are closed)
    error_content_type = TEXT
    error_message_format = "%(code)d %(message)s\n"
    config: _Config  # set on the subclass made by start_server

    # -- plumbing -------------------------------------------------------------------------------------
    def log_message(self, format: str, *args: Any) -> None:
        if self.config.log_requests:
            log.warning("%s: %s", self.address_string(), format % args)

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        self._status = code  # logged with the duration when the request ends

    def handle_expect_100(self) -> bool:
        """Refuse an oversized body before the client sends it (curl asks first for large bodies)."""
        try:
            too_big = int(self.headers.get("Content-Length", "0")) > self.config.max_body
        except ValueError:
            too_big = False
        if too_big:
            self.close_connection = True
            self._message(413, f"request body is over the {self.config.max_body}-byte limit (--max-body)")
            return False
        return super().handle_expect_100()

    def _send(self, status: int, body: bytes, content_type: str = TEXT,
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        headers = {k: v for k, v in (headers or {}).items()
                   if k.lower() not in ("content-type", "content-length", "connection", "transfer-encoding")}
        if not any(k.lower() == "x-content-type-options" for k in headers):
            self.send_header("X-Content-Type-Options", "nosniff")
        if self.config.cors_origin:
            self.send_header("Access-Control-Allow-Origin", self.config.cors_origin)
            self.send_header("Vary", "Origin")
        for name, value in headers.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _message(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        self._send(status, (message.rstrip("\n") + "\n").encode("utf-8"), TEXT, headers)

    def _dispatch(self) -> None:
        """Route one request; any failure becomes a short 500 and the server keeps serving."""
        started = time.perf_counter()
        self._status: Any = "-"
        try:
            self._route()
        except (ConnectionError, TimeoutError):
            self.close_connection = True
        except Exception as exc:
            log.exception("request %s %s failed", self.command, self.path)
            self.close_connection = True
            with contextlib.suppress(OSError):
                self._message(500, f"internal error: {type(exc).__name__}")
        finally:
            if self.config.log_requests:
                status = getattr(self._status, "value", self._status)
                log.info("%s %s %s %.1f ms", self.command, self.path[:120], status,
                         1000 * (time.perf_counter() - started))

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _dispatch

    # -- routing --------------------------------------------------------------------------------------
    def _route(self) -> None:
        if self.config.check_host and not is_loopback(_host_of(self.headers.get("Host", "localhost"))):
            self.close_connection = True
            self._message(403, "this server answers only requests addressed to localhost / 127.0.0.1 "
                          "(Host header refused)")
            return
        try:
            parts = urlsplit(self.path)
        except ValueError:
            self._message(400, "malformed request target")
            return
        path = parts.path
        if path in (SPARQL_PATH, SPARQL_PATH + "/"):
            self._sparql(parts.query)
        elif path.startswith(SPARQL_PATH + "/"):
            self._message(404, f"no such resource: {path}; the SPARQL endpoint is {SPARQL_PATH}")
        else:
            self._workbench(path, parts.query)

    def _read_body(self) -> bytes | None:
        """The request body, or None after answering 411/413/400 (the connection is then closed)."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            self._message(411, "chunked request bodies are not accepted; send Content-Length")
            return None
        length_text = self.headers.get("Content-Length")
        if length_text is None:
            return b""
        try:
            length = int(length_text)
            if length < 0:
                raise ValueError
        except ValueError:
            self.close_connection = True
            self._message(400, f"bad Content-Length: {length_text[:40]!r}")
            return None
        if length > self.config.max_body:
            self.close_connection = True
            self._discard(length)
            self._message(413, f"request body of {length} bytes is over the {self.config.max_body}-byte limit "
                          "(--max-body)")
            return None
        return self.rfile.read(length)

    def _discard(self, length: int) -> None:
        """Read and drop a refused body (up to a bound), so the client gets the answer instead of a reset
        connection; anything larger is cut off by closing the connection."""
        remaining = length if length <= max(DRAIN_LIMIT, 2 * self.config.max_body) else 0
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 1 << 16))
            if not chunk:
                break
            remaining -= len(chunk)

    def _params(self, query_string: str, body: bytes | None = None) -> dict[str, list[str]] | None:
        try:
            params = parse_qs(query_string, keep_blank_values=True, errors="strict")
            if body:
                for key, values in parse_qs(body.decode("utf-8"), keep_blank_values=True, errors="strict").items():
                    params.setdefault(key, []).extend(values)
        except (UnicodeDecodeError, ValueError) as exc:
            self._message(400, f"request parameters are not valid percent-encoded UTF-8: {exc}")
            return None
        return params

    def _workbench(self, path: str, query_string: str) -> None:
        body = b""
        if self.command in ("POST", "PUT", "PATCH"):
            read = self._read_body()
            if read is None:
                return
            form = "application/x-www-form-urlencoded" in self.headers.get("Content-Type", "")
            body = read if form else b""
        params = self._params(query_string, body)
        if params is None:
            return
        try:
            workbench = importlib.import_module("lmakg.workbench")
        except ImportError as exc:
            if exc.name == "lmakg.workbench":
                self._message(404, f"no such resource: {path}")
                return
            raise
        method = "GET" if self.command == "HEAD" else self.command
        try:
            answer = workbench.route(method, path, params, self.config.store_location)
        except Exception as exc:
            log.exception("workbench failed on %s %s", self.command, path)
            self._message(500, f"the workbench failed on {path}: {type(exc).__name__}: {str(exc)[:200]}")
            return
        if answer is None:
            self._message(404, f"no such resource: {path}")
            return
        status, headers, content = answer
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"),
                            "application/octet-stream")
        self._send(status, content, content_type, dict(headers))

    # -- SPARQL 1.1 Protocol --------------------------------------------------------------------------
    def _sparql(self, query_string: str) -> None:
        method = self.command
        if method == "OPTIONS":
            headers = {"Allow": SPARQL_METHODS}
            if self.config.cors_origin:
                headers.update({"Access-Control-Allow-Methods": SPARQL_METHODS,
                                "Access-Control-Allow-Headers": "Accept, Authorization, Content-Type",
                                "Access-Control-Max-Age": "600"})
            self._send(204, b"", TEXT, headers)
            return
        if method not in ("GET", "HEAD", "POST"):
            self._message(405, f"{method} is not allowed on {SPARQL_PATH}; use GET or POST",
                          {"Allow": SPARQL_METHODS})
            return
        body_text = None
        body_params = b""
        if method == "POST":
            body = self._read_body()
            if body is None:
                return
            media, _, rest = self.headers.get("Content-Type", "").partition(";")
            media = media.strip().lower()
            if media == "application/x-www-form-urlencoded":
                body_params = body
            elif media in ("application/sparql-query", "application/sparql-update"):
                charset = "utf-8"
                for param in rest.split(";"):
                    name, _, value = param.partition("=")
                    if name.strip().lower() == "charset" and value.strip():
                        charset = value.strip().strip('"')
                try:
                    body_text = body.decode(codecs.lookup(charset).name)
                except LookupError:
                    self._message(415, f"unknown charset {charset[:40]!r}")
                    return
                except UnicodeDecodeError as exc:
                    self._message(400, f"request body is not valid {charset}: {exc}")
                    return
            else:
                self._message(415, "POST bodies must be application/x-www-form-urlencoded, "
                              "application/sparql-query or application/sparql-update")
                return
        params = self._params(query_string, body_params)
        if params is None:
            return
        if body_text is not None:
            key = "update" if media == "application/sparql-update" else "query"
            params.setdefault(key, []).insert(0, body_text)
        for key in SINGLE_PARAMETERS:
            if len(params.get(key, [])) > 1:
                self._message(400, f"give exactly one '{key}'")
                return
        if "query" in params and "update" in params:
            self._message(400, "give either 'query' or 'update', not both")
            return
        if "update" in params:
            if method != "POST":
                self._message(405, "SPARQL Update must be sent with POST", {"Allow": "POST"})
                return
            self._update(params["update"][0], params)
        elif "query" in params:
            self._query(params["query"][0], params)
        elif method == "POST":
            self._message(400, "no 'query' or 'update' in the request")
        else:
            self._service_description()

    def _dataset(self, params: dict[str, list[str]]) -> tuple[tuple[str, ...], tuple[str, ...]] | bool | None:
        """Protocol dataset (default-graph-uri, named-graph-uri) or None; False after answering 400."""
        defaults = params.get("default-graph-uri", [])
        named = params.get("named-graph-uri", [])
        if not defaults and not named:
            return None
        for iri in (*defaults, *named):
            try:
                ox.NamedNode(iri)
            except ValueError as exc:
                self._message(400, f"bad graph IRI {iri[:200]!r}: {exc}")
                return False
        return tuple(defaults), tuple(named)

    def _run(self, task: Task) -> None:
        cache = self.config.cache if protocol.is_deterministic(task.text) else None
        key = (self.config.pool.generation, task)  # answers computed before an update are never served after
        if cache is not None and (reply := cache.get(key)) is not None:
            self._reply(reply)
            return
        try:
            reply = self.config.pool.run(task, self.config.timeout)
        except PoolError as exc:
            self._message(exc.status, str(exc))
            return
        if cache is not None and reply.status == 200:
            cache.put(key, reply)
        self._reply(reply)

    def _reply(self, reply: Reply) -> None:
        headers = {"Vary": "Accept"} if reply.status == 200 else {}
        self._send(reply.status, reply.body, reply.content_type, headers)

    def _refuse_remote(self, text: str) -> bool:
        remote = protocol.remote_operations(text)
        if remote:
            self._message(403, f"{' and '.join(sorted(set(remote)))} refused: this endpoint makes no requests to "
                          "other servers")
            return True
        return False

    def _query(self, text: str, params: dict[str, list[str]]) -> None:
        if self._refuse_remote(text):
            return
        dataset = self._dataset(params)
        if dataset is False:
            return
        accept = self.headers.get("Accept")
        results_format = protocol.negotiate(accept, protocol.RESULT_OFFERS)
        graph_format = protocol.negotiate(accept, protocol.GRAPH_OFFERS)
        override = protocol.format_override(params)
        if override in protocol.RESULT_FORMATS:
            results_format = override
        elif override in protocol.GRAPH_FORMATS:
            graph_format = override
        task = Task("query", text, results_format=results_format, graph_format=graph_format,
                    default_graphs=dataset[0] if dataset else None, named_graphs=dataset[1] if dataset else None,
                    union_default=not protocol.declares_dataset(text), max_results=self.config.max_results)
        self._run(task)

    def _update(self, text: str, params: dict[str, list[str]]) -> None:
        config = self.config
        if not config.allow_update:
            self._message(403, "SPARQL Update is disabled: this endpoint is read-only (start the server with "
                          "--allow-update --token T to accept updates)")
            return
        auth = self.headers.get("Authorization", "")
        scheme, _, given = auth.partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            self._message(401, "SPARQL Update needs 'Authorization: Bearer <token>'",
                          {"WWW-Authenticate": 'Bearer realm="lmakg"'})
            return
        if not hmac.compare_digest(given.strip().encode("utf-8"), (config.token or "").encode("utf-8")):
            self._message(403, "wrong token for SPARQL Update")
            return
        if self._refuse_remote(text):
            return
        if params.get("using-graph-uri") or params.get("using-named-graph-uri"):
            self._message(400, "using-graph-uri / using-named-graph-uri are not supported; use USING in the update")
            return
        with config.update_lock:
            # First on a worker's copy: a syntax error, or an update that runs past the timeout, stops there.
            try:
                reply = config.pool.run(Task("update", text), config.timeout)
            except PoolError as exc:
                self._message(exc.status, str(exc))
                return
            if reply.status == 200:
                config.knowledge.update(text)
                config.knowledge.flush()
                config.pool.set_snapshot(config.knowledge.dump("nquads"))
                if config.cache is not None:
                    config.cache.clear()
                config.refresh_graphs()
        self._reply(reply)

    def _service_description(self) -> None:
        fmt_key = protocol.negotiate(self.headers.get("Accept"), protocol.GRAPH_OFFERS)
        if fmt_key is None:
            offered = ", ".join(f.media_type for f in protocol.GRAPH_FORMATS.values())
            self._message(406, f"no acceptable format for the service description; offered: {offered}")
            return
        host = self.headers.get("Host")
        base = f"http://{host}" if host and not any(c in host for c in "<>\"{}|\\^` ") else self.server.url
        triples = protocol.service_description(
            base + SPARQL_PATH, self.config.graphs, update=self.config.allow_update,
            extension_functions=[FUNCTION_NS + name for name in FUNCTIONS])
        fmt = protocol.GRAPH_FORMATS[fmt_key]
        prefixes = protocol.SD_PREFIXES if fmt_key in ("turtle", "trig") else None
        body = ox.serialize(triples, format=protocol.OX_GRAPH_FORMATS[fmt_key], prefixes=prefixes)
        self._send(200, body, fmt.content_type, {"Vary": "Accept"})


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64
    url: str

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("connection from %s ended with an error", client_address, exc_info=True)


class Server:
    """A running endpoint: ``url``, ``serve_forever()``, ``start_in_thread()``, ``shutdown()``."""

    def __init__(self, httpd: _HTTPServer, config: _Config) -> None:
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
    from lmakg.build import open_knowledge
    from lmakg.store import StoreError, open_store

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
        config = _Config(store_location=store, knowledge=knowledge, pool=pool, allow_update=allow_update,
                         token=token, timeout=timeout, max_results=max_results, max_body=max_body,
                         cors_origin=cors_origin, check_host=loopback, log_requests=log_requests,
                         cache_bytes=int(cache_mb * (1 << 20)))
        if not allow_update:
            # Workers have their copies and the graph list is taken: /sparql no longer reads the store
            # (additions made with `lmakg add` while it runs are seen after a restart).
            config.knowledge = None
        handler = type("Handler", (_Handler,), {"config": config})
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
        workbench = importlib.import_module("lmakg.workbench")
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
    command = [sys.executable, "-m", "lmakg.cli", "serve", "--port", "0", "--quiet", *options]
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
