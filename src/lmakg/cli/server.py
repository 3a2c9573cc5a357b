"""The SPARQL endpoint and web workbench: ``serve``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from lmakg.cli.common import (
    StoreOption,
    fail,
    make_console,
)


def serve(
    host: Annotated[str, typer.Option("--host", help="Address to bind. Anything but loopback exposes the "
                                      "endpoint to other machines.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port (0 picks a free one).")] = 7878,
    store: StoreOption = None,
    allow_update: Annotated[bool, typer.Option("--allow-update", help="Accept SPARQL Update from clients that "
                                               "send 'Authorization: Bearer TOKEN' (needs --token).")] = False,
    token: Annotated[str | None, typer.Option("--token", envvar="LMAKG_SERVE_TOKEN",
                                              help="Bearer token for updates (or set LMAKG_SERVE_TOKEN).")] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds a query may run before it is stopped "
                                           "(HTTP 503).")] = 10.0,
    max_results: Annotated[int, typer.Option("--max-results", help="Most rows (or triples) a result may have; "
                                             "larger results get HTTP 422.")] = 10000,
    max_body: Annotated[int, typer.Option("--max-body", help="Largest request body in bytes (HTTP 413).")]
    = 1_000_000,
    workers: Annotated[int | None, typer.Option("--workers", min=1, help="Query worker processes "
                                                "(default: number of CPUs, at least 2).")] = None,
    cors_origin: Annotated[str | None, typer.Option("--cors-origin", help="Let pages from this origin (or '*' "
                                                    "for any) read the endpoint; default: same origin only.")]
    = None,
    cache_mb: Annotated[float, typer.Option("--cache-mb", min=0, help="Memory for answers of repeated queries "
                                            "(emptied by updates; 0 turns it off).")] = 64,
    quiet: Annotated[bool, typer.Option("--quiet", help="Do not log each request.")] = False,
) -> None:
    """Serve the graph over the SPARQL 1.1 Protocol at /sparql (and the web workbench at /)."""
    import logging

    from lmakg.server.app import start_server
    from lmakg.server.config import ServeError
    from lmakg.server.http import is_loopback

    console = make_console(stderr=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    if not is_loopback(host):
        console.print(f"[bold red]WARNING: binding to {host} makes the endpoint reachable from other machines; "
                      "nothing on it is authenticated except updates.[/bold red]", highlight=False)
    try:
        server = start_server(store, host, port, allow_update=allow_update, token=token, timeout=timeout,
                              max_results=max_results, max_body=max_body, workers=workers,
                              cors_origin=cors_origin, cache_mb=cache_mb, log_requests=not quiet,
                              progress=lambda m: console.print(f"[dim]{m}[/dim]", highlight=False))
    except ServeError as exc:
        fail(str(exc))
    mode = "read-write for Bearer-token updates" if allow_update else "read-only"
    console.print(f"[green]SPARQL endpoint[/green] {server.endpoint} ({mode}); workbench {server.url}/ — "
                  "Ctrl-C stops", highlight=False)
    import signal

    def _stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt  # SIGTERM stops the workers as Ctrl-C does

    signal.signal(signal.SIGTERM, _stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        console.print("stopped", highlight=False)
