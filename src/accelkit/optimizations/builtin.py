"""Imports every built-in block module (each module of this package except the plumbing) so that each
registers itself in ``OPTIMIZATIONS``; adding a block is adding a module."""

from __future__ import annotations

import importlib
import pkgutil

import accelkit.optimizations as _pkg

_PLUMBING = {"base", "builtin", "common"}

for _info in sorted(pkgutil.iter_modules(_pkg.__path__), key=lambda i: i.name):
    if _info.name not in _PLUMBING and not _info.name.startswith("_"):
        importlib.import_module(f"{_pkg.__name__}.{_info.name}")
