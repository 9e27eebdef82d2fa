"""Dataflows: which loop dimensions each PE-array axis may unroll, and the spatial candidates they give.

| dataflow | rows unroll | cols unroll | stays in the PE |
|---|---|---|---|
| weight_stationary (TPU, NVDLA-like) | C, R, S (reduction) | K, G | weights |
| output_stationary (ShiDianNao-like) | P, N | Q, K, G | partial sums |
| input_stationary | C, R, S | P, Q, N | inputs |
| row_stationary (Eyeriss) | R, then C or K | P, then Q or N | a filter row, an input row, a psum row |
| best | any | any | (mapper's choice) |

An axis unrolls one or two dimensions; factors are divisors of the loop bound or the whole (padded) bound when
it is smaller than the axis. The temporal loop orders are left to the mapper in every dataflow: the spatial
choice fixes which operand is multicast/reduced, and the searched orders decide what stays where.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

from accelkit.errors import UnknownNameError
from accelkit.hardware.accelerator import Accelerator
from accelkit.registry import Registry
from accelkit.workload.ir import LOOP_DIMS, Layer, LoopDim


@dataclass(frozen=True)
class Dataflow:
    name: str
    row_dims: tuple[LoopDim, ...]
    col_dims: tuple[LoopDim, ...]
    description: str = ""
    #: Dimensions an axis must unroll (as far as the axis allows) when the layer has them (> 1).
    required_rows: tuple[LoopDim, ...] = ()
    required_cols: tuple[LoopDim, ...] = ()


@dataclass(frozen=True)
class SpatialCandidate:
    rows: dict[LoopDim, int] = field(default_factory=dict)
    cols: dict[LoopDim, int] = field(default_factory=dict)
    dataflow: str = "best"

    def factor(self, d: LoopDim) -> int:
        return self.rows.get(d, 1) * self.cols.get(d, 1)


DATAFLOWS: Registry[Dataflow] = Registry("dataflow", "accelkit.dataflows")
D = LoopDim
for _df in (
    Dataflow("weight_stationary", (D.C, D.R, D.S), (D.K, D.G), "weights stay in the PEs; inputs multicast"),
    Dataflow("output_stationary", (D.P, D.N), (D.Q, D.K, D.G), "partial sums stay in the PEs"),
    Dataflow("input_stationary", (D.C, D.R, D.S), (D.P, D.Q, D.N), "inputs stay in the PEs; weights multicast"),
    Dataflow(
        "row_stationary",
        (D.R, D.C, D.K),
        (D.P, D.Q, D.N),
        "Eyeriss: filter rows on PE rows, output rows on PE columns",
        required_rows=(D.R,),
        required_cols=(D.P,),
    ),
    Dataflow("best", tuple(LOOP_DIMS), tuple(LOOP_DIMS), "any unrolling; the mapper chooses"),
):
    DATAFLOWS.register(_df.name)(_df)

#: candidates kept per axis (most useful parallelism first); the free "best" dataflow keeps more
_PER_AXIS = {"best": 6}
_PER_AXIS_DEFAULT = 4


def _axis_options(
    layer: Layer, dims: tuple[LoopDim, ...], size: int, required: tuple[LoopDim, ...] = (), keep: int = 4
) -> list[dict[LoopDim, int]]:
    useful = [d for d in dims if layer.dims[d] > 1]
    per_dim: dict[LoopDim, list[int]] = {}
    for d in useful:
        n = layer.dims[d]
        opts = {f for f in range(2, min(n, size) + 1) if n % f == 0}
        opts.add(min(n, size))
        per_dim[d] = sorted(opts)
    options: list[dict[LoopDim, int]] = [{}]
    for d in useful:
        options += [{d: f} for f in per_dim[d]]
    for a, b in itertools.combinations(useful, 2):
        for fa in per_dim[a]:
            for fb in per_dim[b]:
                if fa * fb <= size:
                    options.append({a: fa, b: fb})
    options = [o for o in options if math.prod(o.values()) <= size]
    for d in required:
        if d in useful:  # the required dimension takes as much of the axis as it can
            want = min(layer.dims[d], size)
            options = [o for o in options if o.get(d, 1) == want] or [{d: want}]
    # keep the unrollings with the most useful parallelism: a factor f on a bound D keeps D / ceil(D / f) PEs busy
    # on average (a padded unrolling wastes the rest); then the fullest, then the dataflow's first-listed dims
    rank = {d: i for i, d in enumerate(dims)}

    def useful(o: dict[LoopDim, int]) -> float:
        return math.prod(layer.dims[d] / math.ceil(layer.dims[d] / f) for d, f in o.items())

    options.sort(key=lambda o: (-useful(o), -math.prod(o.values()), sum(rank[d] for d in o), len(o)))
    seen: set[tuple[tuple[LoopDim, int], ...]] = set()
    out = []
    for o in options:
        key = tuple(sorted(o.items()))
        if key not in seen:
            seen.add(key)
            out.append(o)
        if len(out) >= keep:
            break
    return out or [{}]


def spatial_candidates(layer: Layer, arch: Accelerator, dataflow: str) -> list[SpatialCandidate]:
    """Spatial unrollings of ``layer`` on the PE array allowed by ``dataflow`` and the hardware's axes."""
    try:
        df = DATAFLOWS.get(dataflow)
    except UnknownNameError:
        raise
    pa = arch.pe_array
    rows_allowed = tuple(D(d) for d in pa.row_dims) if pa.row_dims else df.row_dims
    cols_allowed = tuple(D(d) for d in pa.col_dims) if pa.col_dims else df.col_dims
    if pa.row_dims and df.name != "best":
        rows_allowed = tuple(d for d in df.row_dims if d in rows_allowed) or rows_allowed
    if pa.col_dims and df.name != "best":
        cols_allowed = tuple(d for d in df.col_dims if d in cols_allowed) or cols_allowed
    keep = _PER_AXIS.get(df.name, _PER_AXIS_DEFAULT)
    row_opts = _axis_options(layer, rows_allowed, pa.rows, df.required_rows, keep)
    col_opts = _axis_options(layer, cols_allowed, pa.cols * pa.clusters, df.required_cols, keep)
    out = []
    for r in row_opts:
        for c in col_opts:
            if any(d in c and r[d] * c[d] > layer.dims[d] for d in r):
                continue
            out.append(SpatialCandidate(dict(r), dict(c), df.name))
    return out or [SpatialCandidate({}, {}, df.name)]
