"""Imports every built-in block module so that each registers itself in ``OPTIMIZATIONS``."""

from __future__ import annotations

from accelkit.optimizations import (  # noqa: F401
    hardware,
)
