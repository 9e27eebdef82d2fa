"""Optimization blocks: one module per technique, each a pure transform hooked into the evaluate phases.

The contract is in :mod:`accelkit.optimizations.base`; the built-in blocks register when
:mod:`accelkit.optimizations.builtin` is imported (done lazily by :func:`block_class` and :func:`available`).
"""

from __future__ import annotations

from accelkit.optimizations.base import (
    OPTIMIZATIONS,
    CountsContext,
    ExtraAction,
    LayerCounts,
    Optimization,
    OptimizationError,
    OptimizationSpec,
    block_class,
    make_block,
    ordered,
    resolve_blocks,
)


def available() -> list[str]:
    """Kinds of every registered block (built-ins and entry points)."""
    from accelkit.optimizations.base import _load_builtins

    _load_builtins()
    return OPTIMIZATIONS.names()


__all__ = [
    "OPTIMIZATIONS",
    "CountsContext",
    "ExtraAction",
    "LayerCounts",
    "Optimization",
    "OptimizationError",
    "OptimizationSpec",
    "available",
    "block_class",
    "make_block",
    "ordered",
    "resolve_blocks",
]
