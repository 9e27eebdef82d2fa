"""Vectorized mapping search: arrays of candidate mappings evaluated with numpy, never a Python loop per mapping.

The space per layer is: spatial unrolling candidates (from the dataflow) x temporal tiling factors per memory
level (ordered factorizations of each remaining loop bound) x a loop order per level. It is searched as follows.

* **Tilings** are enumerated as the Cartesian product of per-dimension factorization tables, in chunks. A
  factorization is dropped up front only when that dimension alone already overflows a level's capacity
  (sound: other dimensions can only grow a tile). Capacity is then checked exactly per candidate.
* **Loop orders** matter only through dimension classes (``NPQ``, ``K``, ``CRS``; ``G`` outermost), six orders
  per level. Under the energy objective the cost is *separable* across levels in the order choice: the number
  of loads of a tile depends on the order of exactly one level, the innermost level above it that has a loop
  indexing the operand. So the best order of each level is found independently (6 per level, not 6^levels);
  this is exact, and a brute-force test checks it. For latency and EDP objectives the energy-best orders are
  used and the search over tilings uses the true objective.
* A layer whose whole tiling space (all spatial candidates) is at most ``exhaustive_limit`` is searched
  exhaustively. A larger space is sampled: ``max_candidates`` tilings, deterministic (seeded), shared among the
  spatial candidates in proportion to their spaces (the mapping's ``info`` says ``exhaustive: False``).

Costs come in as per-bit read/write energies per level, energy per MAC, per NoC bit and per spatial add.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from accelkit.errors import AccelkitError
from accelkit.hardware.accelerator import Accelerator
from accelkit.mapping.dataflows import SpatialCandidate, spatial_candidates
from accelkit.mapping.mapping import (
    CLASS_DIMS,
    CLASS_NAMES,
    IRRELEVANT_CLASS,
    LEVEL_ORDERS,
    Mapping,
    class_order_to_dims,
)
from accelkit.mapping.reuse import (
    OPERANDS,
    AccessCounts,
    fits,
    halo_share,
    operand_bits,
    relevant_dims,
    tile_size,
)
from accelkit.workload.ir import LOOP_DIMS, Layer, LoopDim, Operand

Objective = Literal["energy", "latency", "edp"]

_DIM_INDEX = {d: i for i, d in enumerate(LOOP_DIMS)}
_CLASS_IDX = {c: [_DIM_INDEX[d] for d in CLASS_DIMS[c]] for c in CLASS_NAMES}
#: position (0 = outermost) of each class in each level order: shape (12, 3)
_ORDER_POS = np.array([[order.index(c) for c in CLASS_NAMES] for order, _ in LEVEL_ORDERS])
#: which of P (0) / Q (1) is innermost in NPQ, per level order: shape (12,)
_ORDER_PQ = np.array([0 if inner is LoopDim.P else 1 for _, inner in LEVEL_ORDERS])
_NO = len(LEVEL_ORDERS)


class MappingError(AccelkitError):
    """No legal mapping exists for a layer on an accelerator (e.g. a level too small for any tile)."""


@dataclass(frozen=True)
class UnitCosts:
    """Energies the mapper optimizes: per bit read/written at each level, per MAC, per NoC bit, per add."""

    read_j_per_bit: tuple[float, ...]
    write_j_per_bit: tuple[float, ...]
    mac_j: float
    noc_j_per_bit: float = 0.0
    add_j: float = 0.0
    #: Static energy per cycle (leakage power / clock): charges slow mappings for the time they take.
    leak_j_per_cycle: float = 0.0


@functools.lru_cache(maxsize=4096)
def ordered_factorizations(n: int, parts: int) -> np.ndarray:
    """All ``parts``-tuples of positive integers whose product is ``n`` (shape (k, parts)), first = outermost."""
    if parts == 1:
        return np.array([[n]], dtype=np.int64)
    rows = []
    for d in _divisors(n):
        for rest in ordered_factorizations(n // d, parts - 1):
            rows.append((*rest, d))  # d is the innermost factor
    return np.array(rows, dtype=np.int64)


@functools.lru_cache(maxsize=4096)
def _divisors(n: int) -> tuple[int, ...]:
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]
    return tuple(sorted(set(small + [n // d for d in small])))


class _Problem:
    """Per-layer constants, and the cost model over arrays of candidates.

    Candidate arrays use a structure-of-arrays layout: temporal factors ``T`` have shape (L, 8, n) — level,
    loop dimension, candidate — so every operation runs over contiguous candidate vectors.
    """

    def __init__(self, layer: Layer, arch: Accelerator, costs: UnitCosts) -> None:
        self.layer = layer
        self.arch = arch
        self.costs = costs
        self.L = len(arch.levels)
        self.sl = arch.spatial_level
        self.bits = operand_bits(layer, arch)
        self.final_bits = layer.bits_of(Operand.OUTPUT)
        self.dims = np.array([layer.dims[d] for d in LOOP_DIMS], dtype=np.int64)
        self.rel = {o: [i for i, d in enumerate(LOOP_DIMS) if d in relevant_dims(layer, o)] for o in OPERANDS}
        self.chains = {o: arch.holding_levels(o) for o in OPERANDS}
        if layer.transposed:  # R/S index the output, not the input: they join the K class
            self.class_idx = {
                "NPQ": _CLASS_IDX["NPQ"],
                "K": [_DIM_INDEX[d] for d in (LoopDim.K, LoopDim.R, LoopDim.S)],
                "CRS": [_DIM_INDEX[LoopDim.C]],
            }
        else:
            self.class_idx = _CLASS_IDX

    # ---- tiles --------------------------------------------------------------------------------------------
    def tile(self, ext: np.ndarray, operand: Operand) -> np.ndarray:
        """Tile elements for extents ``ext`` of shape (..., 8, n) (loop dimension on axis -2); shape (..., n).

        The same rule as the reference model (:func:`reuse.tile_size`), on extents clamped to the loop bounds.
        """
        dims = self.dims
        return tile_size(self.layer, lambda d: np.minimum(ext[..., _DIM_INDEX[d], :], dims[_DIM_INDEX[d]]), operand)

    def extents(self, T: np.ndarray, s: np.ndarray) -> np.ndarray:
        """Tile extents (L, 8, n): the product of the factors at and below each level (+ spatial above the PEs)."""
        ext = np.empty_like(T)
        ext[-1] = T[-1]
        for m in range(T.shape[0] - 2, -1, -1):
            np.multiply(ext[m + 1], T[m], out=ext[m])
        if self.sl > 0:
            ext[: self.sl] *= s[None, :, None]
        return ext

    def capacity_mask(self, tiles: dict[Operand, np.ndarray]) -> np.ndarray:
        """(n,) True where every level's tiles fit (:func:`reuse.fits`). ``tiles[o]`` has shape (L, n)."""
        n = next(iter(tiles.values())).shape[-1]
        return np.broadcast_to(fits(self.arch, self.bits, tiles), (n,))

    def prune_table(self, table: np.ndarray, dim: int, spatial: np.ndarray) -> np.ndarray:
        """Drop factorizations of ``dim`` that overflow some level even with every other dimension minimal."""
        k = table.shape[0]
        T = np.ones((self.L, 8, k))
        T[:, dim, :] = table.T
        ext = self.extents(T, spatial.astype(np.float64))
        keep = self.capacity_mask({o: self.tile(ext, o) for o in OPERANDS})
        return table[keep]

    # ---- evaluation ---------------------------------------------------------------------------------------
    def evaluate(
        self,
        T: np.ndarray,
        s: np.ndarray,
        objective: Objective,
        tiles: dict[Operand, np.ndarray] | None = None,
        ext: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Objective (n,) and the chosen order index per level (L, n) for temporal factors ``T`` (L, 8, n).

        Order indices refer to ``mapping.LEVEL_ORDERS``.
        """
        T = T.astype(np.float64, copy=False)
        L, _, n = T.shape
        sl = self.sl
        c = self.costs
        arch = self.arch
        if ext is None:
            ext = self.extents(T, s.astype(np.float64))
        if tiles is None:
            tiles = {o: self.tile(ext, o) for o in OPERANDS}
        F = np.prod(T, axis=1)  # (L, n)
        PF = np.ones((L + 1, n))  # prefix products of whole levels
        for m in range(L):
            np.multiply(PF[m], F[m], out=PF[m + 1])
        Pc = np.stack([np.prod(T[:, self.class_idx[cn], :], axis=1) for cn in CLASS_NAMES], axis=1)  # (L, 3, n)
        PG = T[:, _DIM_INDEX[LoopDim.G], :]  # (L, n)
        active = float(np.prod(s))
        multicast, reduce = arch.noc.multicast, arch.noc.spatial_reduction
        macs = float(self.layer.macs)
        cols = np.arange(n)

        base = np.zeros(n)  # energy with every tile load counted "full" (no order-dependent reuse)
        # words per instance read from / written to each level, same "full" convention (for bandwidth)
        rw = np.zeros((L, n))
        ww = np.zeros((L, n))
        # order-dependent savings: (alpha (n,), loads saved per order (NO, n), level m* (n,),
        # [(read-or-write words array, level, words per load)])
        terms: list[tuple[np.ndarray, np.ndarray, np.ndarray, list[tuple[np.ndarray, int, np.ndarray]]]] = []
        i_npq, i_crs = CLASS_NAMES.index("NPQ"), CLASS_NAMES.index("CRS")
        lay = self.layer

        for o in OPERANDS:
            chain = self.chains[o]
            b = self.bits[o]
            irr = CLASS_NAMES.index(IRRELEVANT_CLASS[o])
            rel_classes = [k for k in range(3) if k != irr]
            s_rel = float(self._spatial_rel(s, o))
            rel_nt = (PG > 1) | np.any(Pc[:, rel_classes, :] > 1, axis=1)  # (L, n): a loop indexing o
            rel_prefix = np.ones((L + 1, n))  # distinct tiles above each level: product of relevant factors
            relT = np.prod(T[:, self.rel[o], :], axis=1)
            for m in range(L):
                np.multiply(rel_prefix[m], relT[m], out=rel_prefix[m + 1])
            for j in range(1, len(chain)):
                h, p = chain[j], chain[j - 1]
                crossing = p < sl <= h
                inst = active if h >= sl else 1.0
                tile = tiles[o][h]
                ms = np.full(n, -1)
                for m in range(h):  # deepest level above h with a loop indexing o
                    ms = np.where(rel_nt[m], m, ms)
                has = ms >= 0
                ms = np.where(has, ms, 0)
                full = np.where(has, PF[ms, cols] * F[ms, cols], 1.0)
                irr_prod = Pc[ms, irr, cols]
                div = np.where(has, full / irr_prod, 1.0)
                nt = Pc[ms, :, cols] > 1  # (n, 3)
                others_inner = np.zeros((_NO, n), dtype=bool)
                for k in rel_classes:
                    others_inner |= nt[None, :, k] & (_ORDER_POS[:, k] > _ORDER_POS[:, irr])[:, None]
                applies = (has & (irr_prod > 1))[None, :] & ~others_inner  # (NO, n)
                loads = np.where(applies, div[None, :], full[None, :])  # (NO, n)
                if o is Operand.INPUT and not lay.transposed:
                    # sliding-window reuse when the innermost loop indexing the input is P (or Q) at level m*
                    npq_inner = nt[None, :, i_npq] & ~(
                        nt[None, :, i_crs] & (_ORDER_POS[:, i_crs] > _ORDER_POS[:, i_npq])[:, None]
                    )
                    halo = np.ones((2, n))
                    for axis, (dp, dr) in enumerate(((LoopDim.P, LoopDim.R), (LoopDim.Q, LoopDim.S))):
                        f = T[ms, _DIM_INDEX[dp], cols]
                        e_p = np.minimum(ext[h, _DIM_INDEX[dp], :], self.dims[_DIM_INDEX[dp]])
                        e_r = np.minimum(ext[h, _DIM_INDEX[dr], :], self.dims[_DIM_INDEX[dr]])
                        fanout = np.where(ms < sl, s[_DIM_INDEX[dp]], 1.0) if h >= sl else 1.0
                        frac = halo_share(lay, e_p, e_r, fanout, axis)
                        halo[axis] = np.where(f > 1, 1.0 / f + (1.0 - 1.0 / f) * frac, 1.0)
                    factor = halo[_ORDER_PQ]  # (NO, n): the P or Q halo of each order
                    loads = loads * np.where(has[None, :] & npq_inner, factor, 1.0)
                if o is not Operand.OUTPUT:
                    if crossing and multicast:  # the parent reads the union of the PEs' tiles (see reuse.py)
                        union = self.tile(ext[h] * s[:, None], o)
                        parent_tile = np.minimum(union, tile * s_rel)
                    else:
                        parent_tile = tile * inst
                    alpha = tile * inst * b * c.write_j_per_bit[h] + parent_tile * b * c.read_j_per_bit[p]
                    if crossing:
                        alpha = alpha + tile * inst * b * c.noc_j_per_bit
                    base += alpha * full
                    wh = tile * (inst * b / self._width(h) / self._inst(h, active))
                    wp = parent_tile * (b / self._width(p) / self._inst(p, active))
                    moves = [(ww, h, wh), (rw, p, wp)]
                    ww[h] += wh * full
                    rw[p] += wp * full
                else:
                    first = rel_prefix[h]
                    inst_up = (s_rel if reduce else inst) if crossing else inst
                    top_bits = self.final_bits  # finished outputs leave at the output precision
                    alpha = tile * (
                        inst * b * (c.read_j_per_bit[h] + c.write_j_per_bit[h])
                        + inst_up * b * (c.write_j_per_bit[p] + c.read_j_per_bit[p])
                    )
                    beta = (tile * first) * (
                        -inst * b * c.write_j_per_bit[h]
                        + inst_up * (top_bits - b) * c.write_j_per_bit[p]
                        - inst_up * b * c.read_j_per_bit[p]
                    )
                    if crossing:
                        alpha = alpha + tile * (inst * b * c.noc_j_per_bit + (inst - inst_up) * c.add_j)
                    base += alpha * full + beta
                    h1 = tile * inst * b / self._width(h) / self._inst(h, active)
                    p1 = tile * inst_up * b / self._width(p) / self._inst(p, active)
                    # h: reads = visits, writes = visits - first; p: writes = visits, reads = visits - first
                    rw[h] += h1 * full
                    ww[h] += h1 * (full - first)
                    ww[p] += p1 * (full - first) + p1 * first * top_bits / b
                    rw[p] += p1 * (full - first)
                    moves = [(rw, h, h1), (ww, h, h1), (ww, p, p1), (rw, p, p1)]
                terms.append((alpha, full[None, :] - loads, ms, moves))

            # the MACs consume from / update the innermost level holding o
            h = chain[-1]
            per_pe = h >= sl
            s_irr = active / s_rel if s_rel else 1.0
            if o is not Operand.OUTPUT:
                reads = macs if per_pe else macs / (s_irr if multicast else 1.0)
                base += reads * b * c.read_j_per_bit[h]
                if not per_pe:
                    base += macs * b * c.noc_j_per_bit
                rw[h] += reads * b / self._width(h) / self._inst(h, active)
            else:
                updates = macs if per_pe else macs / (s_irr if reduce else 1.0)
                first_touch = rel_prefix[h] * tiles[o][h] * (active if per_pe else 1.0)
                reads_o = np.maximum(updates - first_touch, 0.0)
                base += updates * b * c.write_j_per_bit[h] + reads_o * (b * c.read_j_per_bit[h])
                if not per_pe:
                    base += macs * b * c.noc_j_per_bit / (s_irr if reduce else 1.0)
                    if reduce:
                        base += (macs - updates) * c.add_j
                ww[h] += updates * (b / self._width(h) / self._inst(h, active))
                rw[h] += reads_o * (b / self._width(h) / self._inst(h, active))

        base += macs * c.mac_j
        compute = np.prod(F, axis=0)
        base += compute * c.leak_j_per_cycle
        gain = np.zeros((L, n, _NO))  # energy saved per level, candidate and level order
        for alpha, saved, ms, _ in terms:
            # each candidate has one level m* per term, so (ms[i], i) pairs are unique: a fancy-indexed add is exact
            gain[ms, cols, :] += (alpha[None, :] * saved).T
        best_order = np.argmax(gain, axis=2)  # (L, n): ties -> the first order
        energy = base - np.take_along_axis(gain, best_order[:, :, None], axis=2)[:, :, 0].sum(axis=0)
        if objective == "energy":
            return energy, best_order
        for _, saved, ms, moves in terms:
            chosen = saved[best_order[ms, cols], cols]
            for arr, lvl, w in moves:
                arr[lvl] -= w * chosen
        rbw = np.array([self.arch.levels[i].read_bandwidth for i in range(L)])
        wbw = np.array([self.arch.levels[i].write_bandwidth for i in range(L)])
        # as evaluate's latency: a DRAM bus is half-duplex (reads + writes), on-chip ports run side by side
        half = np.array([self.arch.levels[i].kind == "dram" for i in range(L)])[:, None]
        rc, wc = rw / rbw[:, None], ww / wbw[:, None]
        cycles = np.maximum(compute, np.max(np.where(half, rc + wc, np.maximum(rc, wc)), axis=0))
        if objective == "latency":
            return cycles + energy * 1e-6, best_order  # energy (J << 1) breaks ties only
        return energy * cycles, best_order

    def _spatial_rel(self, s: np.ndarray, o: Operand) -> float:
        sf = s.astype(np.float64)
        if o is Operand.INPUT and not self.layer.transposed:
            return float(self.tile(sf[:, None], Operand.INPUT)[0])
        return float(np.prod(sf[self.rel[o]]))

    def _width(self, i: int) -> float:
        return self.arch.levels[i].width_bits

    def _inst(self, i: int, active: float) -> float:
        return active if self.arch.levels[i].per_pe else 1.0


def search(
    layer: Layer,
    arch: Accelerator,
    costs: UnitCosts,
    *,
    objective: Objective = "energy",
    dataflow: str | None = None,
    max_candidates: int = 300_000,
    exhaustive_limit: int = 2_000_000,
    chunk: int = 1 << 15,
    seed: int = 0,
) -> Mapping:
    """Find the best mapping of ``layer`` on ``arch`` for ``objective``; raises :class:`MappingError` if none fits."""
    prob = _Problem(layer, arch, costs)
    L = prob.L
    best_val = math.inf
    best: tuple[SpatialCandidate, np.ndarray, np.ndarray] | None = None
    evaluated = generated = 0
    exhaustive = True
    rng = np.random.default_rng(seed)
    cands = spatial_candidates(layer, arch, dataflow or arch.dataflow)
    prepared = []
    for cand in cands:
        s = np.array([cand.factor(d) for d in LOOP_DIMS], dtype=np.int64)
        remaining = -(-prob.dims // s)  # ceil: padded loop bounds
        tables = [prob.prune_table(ordered_factorizations(int(r), L), i, s) for i, r in enumerate(remaining)]
        sizes = [t.shape[0] for t in tables]
        if 0 not in sizes:
            prepared.append((cand, s, tables, sizes, math.prod(sizes)))
    space = sum(p[4] for p in prepared)
    # exhaustive when the whole space is small enough; else a sample shared in proportion to each candidate's space
    sample = space > max(exhaustive_limit, max_candidates)
    exhaustive = not sample
    for cand, s, tables, sizes, total in prepared:
        sf = s.astype(np.float64)
        if sample and total > (budget := max(int(max_candidates * total / space), 1)):
            flat = rng.choice(total, size=budget, replace=False) if total < 2**62 else None
            if flat is None:  # astronomically large: sample each dimension independently
                idx_all = np.stack([rng.integers(0, k, size=budget) for k in sizes])
                chunks = [idx_all[:, i : i + chunk] for i in range(0, budget, chunk)]
            else:
                chunks = [np.array(np.unravel_index(flat[i : i + chunk], sizes)) for i in range(0, len(flat), chunk)]
        else:
            chunks = [
                np.array(np.unravel_index(np.arange(i, min(i + chunk, total)), sizes)) for i in range(0, total, chunk)
            ]
        ftables = [t.T.astype(np.float64) for t in tables]  # (L, k_d)
        for idx in chunks:
            generated += idx.shape[1]
            T = np.empty((L, 8, idx.shape[1]))
            for d in range(8):
                T[:, d, :] = ftables[d][:, idx[d]]
            ext = prob.extents(T, sf)
            tiles = {o: prob.tile(ext, o) for o in OPERANDS}
            ok = prob.capacity_mask(tiles)
            if not ok.any():
                continue
            if not ok.all():
                T, ext = T[:, :, ok], ext[:, :, ok]
                tiles = {o: t[:, ok] for o, t in tiles.items()}
            evaluated += T.shape[2]
            val, orders = prob.evaluate(T, sf, objective, tiles, ext)
            i = int(np.argmin(val))
            if val[i] < best_val:
                best_val = float(val[i])
                best = (cand, T[:, :, i].copy(), orders[:, i].copy())
    if best is None:
        raise MappingError(
            f"layer {layer.name!r} ({layer.kind_label}, dims "
            + " ".join(f"{d}={layer.dims[d]}" for d in LOOP_DIMS if layer.dims[d] > 1)
            + f") cannot be mapped on {arch.name!r}: no tiling fits the memory levels "
            + ", ".join(f"{lv.name} ({lv.capacity_bits / 8:g} B)" for lv in arch.levels if lv.kind != "dram")
            + " with the PE array's unrolling; enlarge a level or change which operands it holds"
        )
    cand, T, order_idx = best
    return Mapping(
        spatial_rows=cand.rows,
        spatial_cols=cand.cols,
        temporal=tuple({d: int(T[m, i]) for i, d in enumerate(LOOP_DIMS)} for m in range(L)),
        orders=tuple(_order_dims(int(k), layer.transposed) for k in order_idx),
        spatial_level=prob.sl,
        info={
            "objective": objective,
            "objective_value": best_val,
            "candidates_generated": generated,
            "candidates_evaluated": evaluated,
            "exhaustive": exhaustive,
            "dataflow": cand.dataflow,
        },
    )


def _order_dims(index: int, transposed: bool = False) -> tuple[LoopDim, ...]:
    order, inner = LEVEL_ORDERS[index]
    dims = class_order_to_dims(order, inner)
    if not transposed:
        return dims
    rest = [d for d in dims if d not in (LoopDim.R, LoopDim.S)]  # R, S belong to the K class
    i = rest.index(LoopDim.K)
    return (*rest[: i + 1], LoopDim.R, LoopDim.S, *rest[i + 1 :])


def counts_energy(counts: AccessCounts, arch: Accelerator, costs: UnitCosts) -> float:
    """Energy of reference access counts under ``costs`` (what the vectorized search optimizes)."""
    total = counts.macs * costs.mac_j + counts.spatial_adds * costs.add_j
    total += counts.compute_cycles * costs.leak_j_per_cycle
    total += sum(counts.noc_bits.values()) * costs.noc_j_per_bit
    for i, lv in enumerate(arch.levels):
        t = counts.levels[lv.name]
        total += t.total_read_bits * costs.read_j_per_bit[i] + t.total_write_bits * costs.write_j_per_bit[i]
    return total
