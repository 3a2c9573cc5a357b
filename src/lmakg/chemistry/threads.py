"""OpenMP thread control for tblite (GFN2-xTB): calls are pinned to ``XTB_THREADS`` threads."""

from __future__ import annotations

import os
from typing import Any

XTB_THREADS = max(1, int(os.environ.get("LMAKG_XTB_THREADS", "1") or 1))
_OMP: list[Any] = []


def _openmp():
    """The OpenMP runtime tblite links (libgomp), or None. tblite runs its loops on all cores by default;
    for molecules of this size that gains nothing and, on a shared 2-core machine, spinning threads made
    single points 10x slower (EC 0.24 s median against 0.017 s on one thread), so calls are pinned to
    ``XTB_THREADS`` threads (``LMAKG_XTB_THREADS``, default 1) and the caller's setting is restored after."""
    if not _OMP:
        import ctypes
        import ctypes.util

        lib = None
        for name in ("libgomp.so.1", ctypes.util.find_library("gomp")):
            if not name:
                continue
            try:
                lib = ctypes.CDLL(name)
                lib.omp_get_max_threads.restype = ctypes.c_int
                lib.omp_set_num_threads.argtypes = [ctypes.c_int]
                break
            except (OSError, AttributeError):
                lib = None
        _OMP.append(lib)
    return _OMP[0]
