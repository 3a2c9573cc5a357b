"""Pausing Python's cyclic garbage collector during allocation-heavy passes (perception, the rules).

Why: these passes allocate millions of small tuples and store terms that never form reference cycles. The
cyclic collector runs after every few hundred allocations and each full collection walks every live object,
so with a large graph in memory its cost grows faster than the graph (on the 1M-triple scale-up perception
took 13.0 s with it and 8.9 s without). Reference counting still frees everything; the collector is switched
back on afterwards (if it was on) and nested or concurrent pauses (threads) are counted.
"""

from __future__ import annotations

import contextlib
import gc
import threading

_lock = threading.Lock()
_depth = 0  # pauses in progress, in any thread (the collector is process-wide)
_resume = False  # whether the collector was on when the first of them began


class gc_paused(contextlib.ContextDecorator):
    """Context manager and decorator: no cyclic collection inside (the outermost pause restores it)."""

    def __enter__(self) -> gc_paused:
        global _depth, _resume
        with _lock:
            if _depth == 0:
                _resume = gc.isenabled()
                gc.disable()
            _depth += 1
        return self

    def __exit__(self, *_exc: object) -> None:
        global _depth
        with _lock:
            _depth -= 1
            if _depth == 0 and _resume:
                gc.enable()
