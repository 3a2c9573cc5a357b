"""``lmakg serve``: the knowledge graph over the SPARQL 1.1 Protocol at ``/sparql``, plus the web workbench.

Why this shape: the HTTP layer (the standard library's threading server) only parses requests, applies
the safety rules and negotiates formats; queries run in killable worker processes
(:mod:`lmakg.server.querypool`) so a per-query timeout really stops the work; protocol details that need no
server live in :mod:`lmakg.server.protocol`. Every other path goes to ``lmakg.server.workbench.route``.

Safe by default:

- binds to 127.0.0.1, and while bound to loopback answers only requests whose ``Host`` is a loopback
  name (a web page that rebinds its own domain name to 127.0.0.1 cannot read the endpoint);
- read-only: SPARQL Update is refused (403) unless the server was started with ``allow_update`` and a
  token, and then needs ``Authorization: Bearer <token>`` (401 without it, 403 with a wrong one);
- ``LOAD`` and ``SERVICE`` are refused (403) always, so the server never fetches from a URL;
- a per-query timeout (503), a result-size cap (422 rather than a silently truncated answer), a body-size
  cap (413); malformed SPARQL gets 400 with the parser's message; nothing a client sends stops the server;
- no CORS headers unless an origin is named (same-origin pages, like the workbench, need none).

>>> from lmakg.server.app import start_server
>>> server = start_server(port=0, store=None, workers=1, progress=None)  # doctest: +SKIP
"""

from __future__ import annotations

import codecs
import contextlib
import hmac
import importlib
import ipaddress
import logging
import time
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyoxigraph as ox

from lmakg.knowledge.functions import FUNCTION_NS, FUNCTIONS
from lmakg.server import protocol
from lmakg.server.config import Config
from lmakg.server.querypool import TEXT, PoolError, Reply, Task

log = logging.getLogger("lmakg.serve")

SPARQL_PATH = "/sparql"
SPARQL_METHODS = "GET, HEAD, POST, OPTIONS"
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}
# Form parameters of the SPARQL 1.1 Protocol that may appear at most once.
SINGLE_PARAMETERS = ("query", "update")
DRAIN_LIMIT = 16 << 20  # bytes of a refused body read and dropped before answering 413


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


class SparqlHandler(BaseHTTPRequestHandler):
    server_version = "lmakg"
    protocol_version = "HTTP/1.1"
    default_request_version = "HTTP/1.0"  # so even a garbled request line gets a status line back
    disable_nagle_algorithm = True  # headers and body are two writes: without TCP_NODELAY, +40 ms per answer
    timeout = 60  # seconds a client may stay silent (slow or idle connections are closed)
    error_content_type = TEXT
    error_message_format = "%(code)d %(message)s\n"
    config: Config  # set on the subclass made by start_server

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
        body = raw = b""  # a form body is parsed into the parameters; any other is handed over as it is
        content_type = self.headers.get("Content-Type", "")
        if self.command in ("POST", "PUT", "PATCH"):
            read = self._read_body()
            if read is None:
                return
            form = "application/x-www-form-urlencoded" in content_type
            body, raw = (read, b"") if form else (b"", read)
        params = self._params(query_string, body)
        if params is None:
            return
        try:
            workbench = importlib.import_module("lmakg.server.workbench")
        except ImportError as exc:
            if exc.name == "lmakg.server.workbench":
                self._message(404, f"no such resource: {path}")
                return
            raise
        method = "GET" if self.command == "HEAD" else self.command
        try:
            answer = workbench.route(method, path, params, self.config.store_location, raw, content_type)
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
        """Refuse (and answer) a request that would fetch from other servers, or is too deep to parse safely."""
        complex_reason = protocol.too_complex(text)
        if complex_reason:
            self._message(400, f"malformed SPARQL query: {complex_reason}")
            return True
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
