"""Heap tuning for the mapping search (glibc only; a process-wide setting, applied once).

The search evaluates batches of a few thousand tilings, each a few megabytes of short-lived numpy arrays. With
glibc's default settings the heap top is handed back to the kernel (trimmed) after each batch and grown again by
the next, so every batch pays page faults on its whole working set: about 40% of the cost model's time on
ResNet-50 layers. :func:`tune_heap` asks glibc (``mallopt``) to keep 16 MiB of free heap at the top
(``M_TOP_PAD``) and to serve blocks up to 16 MiB from the heap (``M_MMAP_THRESHOLD``), so that the pages stay
mapped between batches; the process keeps at most that much more memory than it uses. Nothing changes in any
result. Off on other C libraries and platforms, or with the environment variable ``ACCELKIT_HEAP_TUNING=0``.
"""

from __future__ import annotations

import ctypes
import os
import sys

_M_TOP_PAD = -2
_M_MMAP_THRESHOLD = -3
_BYTES = 16 << 20

_state: dict[str, bool] = {}


def tune_heap() -> bool:
    """Apply the setting once per process; returns whether it is in effect."""
    if "done" in _state:
        return _state["done"]
    _state["done"] = False
    if not sys.platform.startswith("linux") or os.environ.get("ACCELKIT_HEAP_TUNING", "1") == "0":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the process's own C library
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    _state["done"] = bool(mallopt(_M_TOP_PAD, _BYTES)) and bool(mallopt(_M_MMAP_THRESHOLD, _BYTES))
    return _state["done"]
