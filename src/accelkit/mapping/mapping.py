"""A layer's mapping: spatial unrolling on the PE array, temporal tiling factors and loop order per memory level.

Conventions (Timeloop-style):

* levels are indexed outermost (0, usually DRAM) to innermost; the loops *of* level ``m`` iterate over the tiles
  of the levels below it, so the tile stored at level ``m`` covers the loops of every level at or below ``m``
  (plus the spatial factors when ``m`` sits above the PE array);
* the spatial unrolling sits directly above the first per-PE level (``Accelerator.spatial_level``);
* ``orders[m]`` lists level ``m``'s loops outermost first. For reuse only three classes of dimensions matter:
  ``NPQ`` (irrelevant to weights), ``K`` (irrelevant to inputs) and ``CRS`` (irrelevant to outputs); ``G`` is
  relevant to all operands, so it always goes outermost. Within a class only one thing matters: whether P or Q
  runs innermost in ``NPQ`` (sliding-window reuse of inputs along that axis).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from typing import Any

from accelkit.workload.ir import LOOP_DIMS, LoopDim, Operand

#: Dimension classes by which operand they do not index.
CLASS_NAMES: tuple[str, ...] = ("NPQ", "K", "CRS")
CLASS_DIMS: dict[str, tuple[LoopDim, ...]] = {
    "NPQ": (LoopDim.N, LoopDim.P, LoopDim.Q),
    "K": (LoopDim.K,),
    "CRS": (LoopDim.C, LoopDim.R, LoopDim.S),
}
#: The class each operand is blind to (loops of that class innermost = the operand stays: "stationary").
IRRELEVANT_CLASS: dict[Operand, str] = {Operand.WEIGHT: "NPQ", Operand.INPUT: "K", Operand.OUTPUT: "CRS"}
#: The six class orders, outermost first.
CLASS_ORDERS: tuple[tuple[str, ...], ...] = tuple(itertools.permutations(CLASS_NAMES))


def class_order_to_dims(order: tuple[str, ...], npq_inner: LoopDim = LoopDim.Q) -> tuple[LoopDim, ...]:
    """Expand a class order to a full loop order (G outermost; ``npq_inner`` innermost within the NPQ class)."""
    npq = (LoopDim.N, LoopDim.Q, LoopDim.P) if npq_inner is LoopDim.P else (LoopDim.N, LoopDim.P, LoopDim.Q)
    dims = {"NPQ": npq, "K": CLASS_DIMS["K"], "CRS": CLASS_DIMS["CRS"]}
    return (LoopDim.G, *(d for c in order for d in dims[c]))


#: The orders the mapper chooses among at each level: a class order and which of P / Q runs innermost within
#: the NPQ class (it decides on which axis consecutive input tiles overlap: sliding-window reuse).
LEVEL_ORDERS: tuple[tuple[tuple[str, ...], LoopDim], ...] = tuple(
    (order, inner) for order in CLASS_ORDERS for inner in (LoopDim.P, LoopDim.Q)
)


def stationary_operand(order: tuple[str, ...]) -> Operand:
    """The operand whose irrelevant class is innermost in ``order`` (it stays while those loops run)."""
    inner = order[-1]
    return next(o for o, c in IRRELEVANT_CLASS.items() if c == inner)


@dataclass(frozen=True)
class Mapping:
    """One layer's mapping on one accelerator."""

    spatial_rows: MappingABC[LoopDim, int]
    spatial_cols: MappingABC[LoopDim, int]
    temporal: tuple[MappingABC[LoopDim, int], ...]
    orders: tuple[tuple[LoopDim, ...], ...]
    spatial_level: int
    #: How the mapping was found (search statistics, whether the search was exhaustive).
    info: MappingABC[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        norm = lambda m: {d: int(m.get(d, 1)) for d in LOOP_DIMS}  # noqa: E731
        object.__setattr__(self, "spatial_rows", norm(self.spatial_rows))
        object.__setattr__(self, "spatial_cols", norm(self.spatial_cols))
        object.__setattr__(self, "temporal", tuple(norm(t) for t in self.temporal))
        if len(self.orders) != len(self.temporal):
            raise ValueError("a mapping needs one loop order per memory level")
        for order in self.orders:
            if sorted(order) != sorted(LOOP_DIMS):
                raise ValueError(f"loop order {order} must list every loop dimension once")

    @property
    def spatial(self) -> dict[LoopDim, int]:
        return {d: self.spatial_rows[d] * self.spatial_cols[d] for d in LOOP_DIMS}

    @property
    def active_pes(self) -> int:
        return math.prod(self.spatial.values())

    @property
    def temporal_iterations(self) -> int:
        """Cycles of the loop nest with one MAC per active PE per cycle."""
        return math.prod(f for level in self.temporal for f in level.values())

    def extent(self, dim: LoopDim) -> int:
        """The (possibly padded) extent of ``dim`` this mapping covers."""
        return self.spatial[dim] * math.prod(level[dim] for level in self.temporal)

    def covers(self, dims: MappingABC[LoopDim, int]) -> bool:
        return all(self.extent(d) >= dims[d] for d in LOOP_DIMS)

    def loop_nest(self, level_names: tuple[str, ...]) -> str:
        """A readable loop nest, outermost first (Timeloop style)."""
        lines = []
        depth = 0
        for m, (name, order) in enumerate(zip(level_names, self.orders, strict=True)):
            lines.append("  " * depth + f"[{name}]")
            for d in order:
                f = self.temporal[m][d]
                if f > 1:
                    lines.append("  " * depth + f"for {str(d).lower()} in [0:{f})")
                    depth += 1
            if m + 1 == self.spatial_level:
                for axis, sp in (("rows", self.spatial_rows), ("cols", self.spatial_cols)):
                    for d in LOOP_DIMS:
                        if sp[d] > 1:
                            lines.append("  " * depth + f"parallel-for {str(d).lower()} in [0:{sp[d]}) ({axis})")
                            depth += 1
        if self.spatial_level == len(self.temporal):
            for axis, sp in (("rows", self.spatial_rows), ("cols", self.spatial_cols)):
                for d in LOOP_DIMS:
                    if sp[d] > 1:
                        lines.append("  " * depth + f"parallel-for {str(d).lower()} in [0:{sp[d]}) ({axis})")
                        depth += 1
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "spatial_rows": {str(d): f for d, f in self.spatial_rows.items() if f > 1},
            "spatial_cols": {str(d): f for d, f in self.spatial_cols.items() if f > 1},
            "temporal": [{str(d): f for d, f in level.items() if f > 1} for level in self.temporal],
            "orders": ["".join(str(d) for d in order) for order in self.orders],
        }
