"""Reuse analysis: from a layer, an accelerator and a mapping to per-level, per-operand reads and writes.

This is the scalar *reference* implementation (any loop order at every level); the vectorized search in
``search.py`` must agree with it, and the tests check that on random mappings.

Model (Timeloop-style, stated once):

* A level that holds an operand is refilled each time the operand's tile changes. Walking the loops above the
  level from outermost to innermost, the number of tile loads is the product of every loop factor up to and
  including the innermost loop that indexes the operand; loops inside it that do not index the operand reuse
  the tile (stationarity). Levels that do not hold an operand are bypassed.
* Crossing the PE array (from a shared level into per-PE levels), one read of the parent reaches every PE that
  needs the same data when the NoC multicasts — the parent reads the union of the PEs' tiles (neighbouring PEs'
  input windows overlap); otherwise each PE reads its own copy.
* Outputs: each visit of an output tile ends with a write-back to the parent; a revisit first reads the partial
  sums back. Partial sums reduced across PEs (an adder tree) reach the parent once per reduction group.
* MACs read their input and weight from the innermost level holding each (once per MAC, or once per multicast
  group when that level is shared) and update the innermost output level once per MAC (once per reduction group
  when shared); the first update of each output element needs no read.
* Partial sums travel and are stored at the accumulator precision; the finished output of a tile (its last
  write-back to the parent level) travels at the output precision (it is requantized leaving the array).
* Input tiles hold data only: at most the input's own rows/columns (padding is generated, not fetched), and a
  stride larger than the window skips rows (a strided 1x1 convolution reads P_t rows, not their span).
* Sliding-window (halo) reuse: an input tile is ((P_t-1)*stride + (R_t-1)*dilation + 1) rows tall; when the
  innermost loop indexing the input is a P (or Q) loop, each step after the first loads only the P_t*stride new
  rows (columns) and the buffer keeps the overlap.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from accelkit.hardware.accelerator import Accelerator
from accelkit.mapping.mapping import Mapping
from accelkit.workload.ir import LOOP_DIMS, OPERAND_DIMS, Layer, LoopDim, Operand

OPERANDS: tuple[Operand, ...] = (Operand.INPUT, Operand.WEIGHT, Operand.OUTPUT)


@dataclass
class LevelTraffic:
    """Bits read from and written to one level, per operand (summed over its instances)."""

    read_bits: dict[Operand, float] = field(default_factory=lambda: dict.fromkeys(OPERANDS, 0.0))
    write_bits: dict[Operand, float] = field(default_factory=lambda: dict.fromkeys(OPERANDS, 0.0))

    @property
    def total_read_bits(self) -> float:
        return sum(self.read_bits.values())

    @property
    def total_write_bits(self) -> float:
        return sum(self.write_bits.values())


@dataclass
class AccessCounts:
    """What one layer does on the hardware under one mapping (before pricing)."""

    macs: int
    compute_cycles: int
    active_pes: int
    levels: dict[str, LevelTraffic]
    #: Bits delivered over the array NoC into PEs (reads fanned out, psums collected), per operand.
    noc_bits: dict[Operand, float]
    #: Additions done by the spatial reduction network (adder tree) for partial sums.
    spatial_adds: float
    #: Tile size (elements) per level and operand, per instance.
    tiles: dict[str, dict[Operand, float]]


def operand_bits(layer: Layer, arch: Accelerator) -> dict[Operand, int]:
    """Bits per element the datapath moves for each operand (partial sums at the accumulator precision)."""
    return {
        Operand.INPUT: layer.bits_of(Operand.INPUT),
        Operand.WEIGHT: layer.bits_of(Operand.WEIGHT),
        Operand.OUTPUT: max(arch.pe_array.mac_output.bits, layer.bits_of(Operand.OUTPUT)),
    }


def input_extent(layer: Layer) -> tuple[int, int]:
    """Rows and columns of the (unpadded) input a convolution reads."""
    top, left, bottom, right = layer.padding
    return max(layer.input_rows - top - bottom, 1), max(layer.input_cols - left - right, 1)


def tile_size(layer: Layer, e: Callable[[LoopDim], Any], operand: Operand) -> Any:
    """Elements of ``operand`` in a tile whose loop extents ``e(dim)`` gives (numbers or numpy arrays alike).

    ``e`` must already be clamped to the layer's loop bounds (see :func:`tile_elements`). Input and output
    windows span ``(P_t-1)*stride + (R_t-1)*dilation + 1`` rows, or ``P_t * R_t`` when the windows do not
    overlap (a stride larger than the window skips rows, e.g. a strided 1x1 convolution); an input tile never
    holds more rows/columns than the unpadded input has (padding is generated, not fetched).
    """
    if operand is Operand.WEIGHT:
        return e(LoopDim.G) * e(LoopDim.K) * e(LoopDim.C) * e(LoopDim.R) * e(LoopDim.S)
    sh, sw = layer.stride
    dh, dw = layer.dilation
    p, q, r, s_ = e(LoopDim.P), e(LoopDim.Q), e(LoopDim.R), e(LoopDim.S)
    rows = np.minimum((p - 1) * sh + (r - 1) * dh + 1, p * r)
    cols = np.minimum((q - 1) * sw + (s_ - 1) * dw + 1, q * s_)
    if operand is Operand.INPUT:
        if layer.transposed:
            rows, cols = p, q
        else:
            in_rows, in_cols = input_extent(layer)
            rows, cols = np.minimum(rows, in_rows), np.minimum(cols, in_cols)
        return e(LoopDim.N) * e(LoopDim.G) * e(LoopDim.C) * rows * cols
    if not layer.transposed:
        rows, cols = p, q
    return e(LoopDim.N) * e(LoopDim.G) * e(LoopDim.K) * rows * cols


def tile_elements(layer: Layer, ext: dict[LoopDim, int], operand: Operand) -> float:
    """Elements of ``operand`` touched by a tile with the given loop extents.

    Extents are clamped to the layer's loop bounds: a padded unrolling (a dimension smaller than the array axis,
    or not a multiple of it) iterates over data that does not exist, which is neither stored nor moved.
    """
    return float(tile_size(layer, lambda d: min(ext[d], layer.dims[d]), operand))


def halo_share(layer: Layer, p: Any, r: Any, fanout: Any, axis: int) -> Any:
    """New share of an input tile per step of a P (axis 0) or Q (axis 1) loop; numbers or numpy arrays alike.

    A tile spans ``(p-1)*stride + (r-1)*dilation + 1`` input rows and the next one starts ``p*fanout*stride``
    rows further (``fanout``: the PEs sharing the loop's step when it sits above the PE array), so only that many
    rows are new while the buffer keeps the overlap. 1.0 when tiles do not overlap, when the windows leave holes
    (a dilated tile is not contiguous) and for transposed convolutions (their outputs, not their inputs, slide).
    ``p`` and ``r`` are clamped extents (real data only).
    """
    if layer.transposed:
        return np.ones_like(np.asarray(p, dtype=float))
    stride, dil = layer.stride[axis], layer.dilation[axis]
    span = (p - 1) * stride + (r - 1) * dil + 1
    return np.where(p * r < span, 1.0, np.minimum(p * fanout * stride / span, 1.0))


def halo_fraction(layer: Layer, ext: dict[LoopDim, int], dim: LoopDim, fanout: int = 1) -> float:
    """:func:`halo_share` for one tile given by its loop extents, stepping along ``dim`` (P or Q)."""
    axis = 0 if dim is LoopDim.P else 1
    dp, dr = (LoopDim.P, LoopDim.R) if axis == 0 else (LoopDim.Q, LoopDim.S)
    p, r = min(ext[dp], layer.dims[dp]), min(ext[dr], layer.dims[dr])
    return float(halo_share(layer, p, r, fanout, axis))


def fits(arch: Accelerator, bits: dict[Operand, int], tiles: dict[Operand, Any]) -> Any:
    """Whether every on-chip level holds its tiles: ``tiles[o][i]`` is operand o's tile at level i (elements;
    numbers or arrays of candidates). A partitioned operand gets its own capacity, the others share the rest."""
    ok: Any = True
    for i, lv in enumerate(arch.levels):
        if math.isinf(lv.capacity_bits):
            continue
        pooled: Any = 0.0
        for o in OPERANDS:
            if not lv.holds(o):
                continue
            need = tiles[o][i] * bits[o]
            cap = lv.usable_bits_for(o)
            if cap is None:
                pooled = pooled + need
            else:
                ok = ok & (need <= cap)
        pool_cap = lv.usable_bits
        if lv.partition is not None:
            pool_cap -= sum(lv.partition.values()) / (2 if lv.double_buffered else 1)
        ok = ok & (pooled <= pool_cap + 1e-9)
    return ok


def relevant_dims(layer: Layer, operand: Operand) -> frozenset[LoopDim]:
    """Dimensions that index ``operand`` (for a transposed conv, R/S index the output, not the input)."""
    dims = OPERAND_DIMS[operand]
    if layer.transposed:
        if operand is Operand.INPUT:
            dims = dims - {LoopDim.R, LoopDim.S}
        elif operand is Operand.OUTPUT:
            dims = dims | {LoopDim.R, LoopDim.S}
    return dims


def _spatial_relevant(layer: Layer, mapping: Mapping, operand: Operand) -> float:
    """PEs that need distinct data of ``operand`` (inputs: sliding windows across P/R unrolling overlap)."""
    s = mapping.spatial
    if operand is Operand.INPUT and not layer.transposed:
        return tile_elements(layer, s, Operand.INPUT)
    rel = relevant_dims(layer, operand)
    return math.prod(s[d] for d in rel)


def level_extents(arch: Accelerator, mapping: Mapping, level: int) -> dict[LoopDim, int]:
    """Loop extents of the tile stored at ``level``: its own and deeper factors, plus the PE array above the PEs."""
    spatial = mapping.spatial
    return {
        d: math.prod(mapping.temporal[m][d] for m in range(level, len(arch.levels)))
        * (spatial[d] if level < arch.spatial_level else 1)
        for d in LOOP_DIMS
    }


def level_tiles(layer: Layer, arch: Accelerator, mapping: Mapping) -> dict[str, dict[Operand, float]]:
    """Tile size (elements, per instance) of every operand each level holds."""
    out = {}
    for i, lv in enumerate(arch.levels):
        e = level_extents(arch, mapping, i)
        out[lv.name] = {o: tile_elements(layer, e, o) for o in OPERANDS if lv.holds(o)}
    return out


def analyze(layer: Layer, arch: Accelerator, mapping: Mapping) -> AccessCounts:
    """Count every level's reads and writes for ``layer`` under ``mapping`` (the reference model)."""
    levels = arch.levels
    sl = arch.spatial_level
    spatial = mapping.spatial
    active = mapping.active_pes
    bits = operand_bits(layer, arch)

    def ext(level: int) -> dict[LoopDim, int]:
        return level_extents(arch, mapping, level)

    def loads(operand: Operand, h: int) -> float:
        rel = relevant_dims(layer, operand)
        seq = [
            (m, d, mapping.temporal[m][d]) for m in range(h) for d in mapping.orders[m] if mapping.temporal[m][d] > 1
        ]
        last = max((i for i, (_, d, _) in enumerate(seq) if d in rel), default=-1)
        count: float = math.prod(f for _, _, f in seq[: last + 1])
        if operand is Operand.INPUT and last >= 0 and seq[last][1] in (LoopDim.P, LoopDim.Q):
            m, d, f = seq[last]
            fanout = spatial[d] if m < sl <= h else 1
            count = count / f * (1 + (f - 1) * halo_fraction(layer, ext(h), d, fanout))
        return count

    def distinct(operand: Operand, h: int) -> int:
        rel = relevant_dims(layer, operand)
        return math.prod(mapping.temporal[m][d] for m in range(h) for d in rel)

    traffic = {lv.name: LevelTraffic() for lv in levels}
    tiles = level_tiles(layer, arch, mapping)
    noc = dict.fromkeys(OPERANDS, 0.0)
    spatial_adds = 0.0
    multicast = arch.noc.multicast
    reduce = arch.noc.spatial_reduction
    final_bits = layer.bits_of(Operand.OUTPUT)

    for o in OPERANDS:
        chain = arch.holding_levels(o)
        s_rel = _spatial_relevant(layer, mapping, o)
        for j in range(1, len(chain)):
            h, parent = chain[j], chain[j - 1]
            crossing = parent < sl <= h
            inst = active if h >= sl else 1
            tile = tiles[levels[h].name][o]
            visits = loads(o, h)
            pname, hname = levels[parent].name, levels[h].name
            if o is not Operand.OUTPUT:
                moved = visits * tile * inst
                traffic[hname].write_bits[o] += moved * bits[o]
                if crossing and multicast:
                    # one read serves every PE that needs it: the parent reads the union of the PEs' tiles (for
                    # inputs, neighbouring PEs' windows overlap; for weights the union is tile x distinct PEs)
                    union = tile_elements(layer, {d: ext(h)[d] * spatial[d] for d in LOOP_DIMS}, o)
                    parent_reads = visits * min(union, tile * s_rel)
                else:
                    parent_reads = visits * tile * inst
                traffic[pname].read_bits[o] += parent_reads * bits[o]
                if crossing:
                    noc[o] += moved * bits[o]
                continue
            first = distinct(o, h)
            inst_up = (s_rel if reduce else inst) if crossing else inst
            traffic[hname].read_bits[o] += visits * tile * inst * bits[o]
            traffic[hname].write_bits[o] += (visits - first) * tile * inst * bits[o]
            # the last visit of each tile writes back the finished (requantized) output at the output precision
            traffic[pname].write_bits[o] += (
                first * tile * inst_up * final_bits + (visits - first) * tile * inst_up * bits[o]
            )
            traffic[pname].read_bits[o] += (visits - first) * tile * inst_up * bits[o]
            if crossing:
                noc[o] += visits * tile * inst * bits[o]
                spatial_adds += visits * tile * (inst - inst_up)

        # the MACs consume from / update the innermost level holding the operand
        h = chain[-1]
        name = levels[h].name
        macs = layer.macs
        s_irr = active / s_rel if s_rel else 1
        if o is not Operand.OUTPUT:
            per_pe = h >= sl
            reads = macs if per_pe else macs / (s_irr if multicast else 1)
            traffic[name].read_bits[o] += reads * bits[o]
            if not per_pe:
                noc[o] += macs * bits[o]
        else:
            per_pe = h >= sl
            updates = macs if per_pe else macs / (s_irr if reduce else 1)
            inst = active if per_pe else 1
            first_touch = distinct(o, h) * tiles[name][o] * (inst if per_pe else 1)
            if not per_pe and reduce:
                spatial_adds += macs - updates
            traffic[name].write_bits[o] += updates * bits[o]
            traffic[name].read_bits[o] += max(updates - first_touch, 0) * bits[o]
            if not per_pe:
                noc[o] += macs * bits[o] / (s_irr if reduce else 1)

    return AccessCounts(
        macs=layer.macs,
        compute_cycles=mapping.temporal_iterations,
        active_pes=active,
        levels=traffic,
        noc_bits=noc,
        spatial_adds=spatial_adds,
        tiles=tiles,
    )


def capacity_ok(layer: Layer, arch: Accelerator, mapping: Mapping) -> bool:
    """Whether every on-chip level can hold its tiles (shared pool or per-operand partitions)."""
    tiles = level_tiles(layer, arch, mapping)
    by_operand = {o: [tiles[lv.name].get(o, 0.0) for lv in arch.levels] for o in OPERANDS}
    return bool(fits(arch, operand_bits(layer, arch), by_operand))
