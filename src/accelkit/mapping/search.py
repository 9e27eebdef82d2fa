"""Vectorized mapping search: arrays of candidate mappings evaluated with numpy, never a Python loop per mapping.

The space per layer is: spatial unrolling candidates (from the dataflow) x temporal tiling factors per memory
level (ordered factorizations of each remaining loop bound) x a loop order per level. It is searched as follows.

* **Tilings** are enumerated as the Cartesian product of per-dimension factorization tables. Two sound (exact)
  rules shrink the tables first (:meth:`_Problem.prune_table`): a factorization is dropped when that dimension
  alone already overflows a level (other dimensions can only grow a tile), and a dimension that indexes no
  operand of the innermost level never gets a loop there (moving it to the next level up, innermost in its class,
  changes no tile, no load count and no cycle count; e.g. a per-PE accumulator holding only outputs gets no
  C/R/S loops). Capacity is then checked exactly per candidate.
* **Loop orders** matter only through dimension classes (``NPQ``, ``K``, ``CRS``; ``G`` outermost), six orders
  per level (twelve with the P/Q choice for sliding windows). Under the energy objective the cost is *separable*
  across levels in the order choice: the number of loads of a tile depends on the order of exactly one level,
  the innermost level above it that has a loop indexing the operand. So the best order of each level is found
  independently (12 per level, not 12^levels, computed as six per-level sums: :func:`_formula_tables`); this
  is exact, and a brute-force test checks it. For latency and EDP objectives the energy-best orders are used and
  the search over tilings uses the true objective.
* **Exhaustive or sampled.** A layer whose pruned tiling space (all spatial candidates together) is at most
  ``exhaustive_limit`` tilings is searched exhaustively: the result is the optimum of the space. A larger space
  is *sampled* (the mapping's ``info`` says ``exhaustive: False``; not guaranteed optimal): ``max_candidates``
  tilings, deterministic (seeded), shared among the spatial candidates in proportion to their spaces, then a
  local search from the best few tilings overall and the best tiling of each of the most promising spatial
  candidates: each moves to its best neighbour (another factorization of one dimension, or of two at once; for
  two large tables, and walkers near the best, the larger one's rows within two levels of its current row)
  while that improves the objective (a neighbourhood several walkers meet is evaluated once). The best tiling is
  then carried over to the next most promising spatial candidates (nearest rows of their tables) and searched
  locally from there. ``bench/optimality_gap.py`` measures how far this lands from the exhaustive optimum.
* **Certified.** A lower bound per spatial candidate (its compute cycles are exact; its energy is at least the
  MACs' plus the per-cycle clock and leakage: :func:`_lower_bounds`) rules out every candidate whose bound is
  not below the best tiling found. When the others hold at most ``certify_limit`` tilings, all of them are
  evaluated and the result is proven optimal (``info["certified"]``; ``info["exhaustive"]`` stays for a search
  that enumerated the whole space).
* Candidates of all spatial unrollings are evaluated together in batches (the spatial factors are an array) of
  ``chunk`` tilings. Dimensions of bound 1 are never computed (their rows of the candidate arrays are not read);
  a batch of one spatial unrolling uses its PE counts as plain numbers. The heap is tuned once per process so
  that batches do not page-fault their arrays in again (:mod:`accelkit.mapping._heap`; results unchanged).

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
from accelkit.mapping._heap import tune_heap
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
    input_extent,
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
_G = _DIM_INDEX[LoopDim.G]


def _order_tables() -> tuple[np.ndarray, np.ndarray]:
    """Per level order and 3-bit code of which classes have a non-trivial loop at a level (bit k: class k):

    * ``apply[irr][order, code]``: whether an operand blind to class ``irr`` keeps its tile across that class's
      loops, i.e. no loop of a class relevant to it runs inside them (float, to scale the reuse directly);
    * ``npq_inner[order, code]``: whether the NPQ class holds the innermost loop indexing the input (no
      non-trivial CRS loop inside it): the condition for sliding-window reuse.
    """
    apply = np.zeros((3, _NO, 8))
    npq_inner = np.zeros((_NO, 8), dtype=bool)
    i_npq, i_crs = CLASS_NAMES.index("NPQ"), CLASS_NAMES.index("CRS")
    for code in range(8):
        bit = [bool(code >> k & 1) for k in range(3)]
        for order in range(_NO):
            pos = _ORDER_POS[order]
            for irr in range(3):
                inner = any(bit[k] and pos[k] > pos[irr] for k in range(3) if k != irr)
                apply[irr, order, code] = 0.0 if inner else 1.0
            npq_inner[order, code] = bit[i_npq] and not (bit[i_crs] and pos[i_crs] > pos[i_npq])
    return apply, npq_inner


_APPLY, _NPQ_INNER = _order_tables()

#: Order-dependent savings of one level, as sums of seven per-level features accumulated over the tile loads
#: whose order-deciding level is that level: X_I, X_W, X_O (energy of the reuse an operand gets when its
#: irrelevant class runs innermost), Y_P, Y_Q (input energy saved by sliding windows along P / Q) and Z_P, Z_Q
#: (input reuse energy that remains once the window slides along P / Q).
_FEATURES = ("XI", "XW", "XO", "YP", "YQ", "ZP", "ZQ")


def _formula_tables() -> tuple[tuple[tuple[int, ...], ...], np.ndarray]:
    """The saving of level order ``k`` at a level whose non-trivial classes are ``code`` is a sum of features
    (a *formula*): X_W if weights stay, X_O if outputs stay, and for inputs Y + Z along the sliding axis or X_I
    when they stay without sliding. A feature is structurally 0 where its classes are trivial (X_I, Z: no K loop;
    X_W, Y: no NPQ loop; X_O: no CRS loop), so only six distinct formulas remain, and the best order is found by
    evaluating each once per level instead of the twelve orders per tile load. Returns the formulas (feature
    indices) and ``first`` (formulas, 8): per code, the first order (in ``LEVEL_ORDERS``) with that formula,
    ``_NO`` if none; ties between formulas go to the first order, exactly as an argmax over the twelve orders."""
    irr = {o: CLASS_NAMES.index(IRRELEVANT_CLASS[o]) for o in OPERANDS}
    i_npq, i_k, i_crs = (1 << CLASS_NAMES.index(c) for c in ("NPQ", "K", "CRS"))
    needs = (i_k, i_npq, i_crs, i_npq, i_npq, i_k, i_k)  # the class each feature needs, per _FEATURES
    formulas: dict[tuple[int, ...], list[int]] = {}
    zero_first = [_NO] * 8  # codes where every feature is 0: any formula, at that code's first order
    for code in range(8):
        for k in range(_NO):
            a = {o: _APPLY[irr[o], k, code] > 0 for o in OPERANDS}
            f = [0] * len(_FEATURES)
            f[1], f[2] = int(a[Operand.WEIGHT]), int(a[Operand.OUTPUT])
            if _NPQ_INNER[k, code]:
                pq = int(_ORDER_PQ[k])
                f[3 + pq] = 1
                f[5 + pq] = int(a[Operand.INPUT])
            else:
                f[0] = int(a[Operand.INPUT])
            key = tuple(i for i in range(len(f)) if f[i] and code & needs[i])
            first = formulas.setdefault(key, [_NO] * 8) if key else zero_first
            first[code] = min(first[code], k)
    for code in range(8):
        if zero_first[code] < _NO and all(first[code] == _NO for first in formulas.values()):
            for first in formulas.values():
                first[code] = zero_first[code]
    # rows in the order of their first orders where every class is non-trivial (code 7): an argmax over rows
    # then picks the first order at most codes; _ARGMAX_FIX lists the codes where it would not
    rows = sorted(formulas.items(), key=lambda kv: kv[1][7])
    return tuple(f for f, _ in rows), np.array([first for _, first in rows], dtype=np.intp)


_FORMULAS, _FIRST = _formula_tables()
_VALID = _FIRST < _NO
_MASK = np.where(_VALID, 0.0, -np.inf)  # added to a formula's saving where it is no order's at that code
#: codes where the first valid row of the largest saving is not always the first order: the rows of such a code
#: in its own order of first orders
_ARGMAX_FIX = {
    code: np.argsort(_FIRST[:, code], kind="stable")[: int(_VALID[:, code].sum())]
    for code in range(8)
    if list(np.flatnonzero(_VALID[:, code])) != sorted(np.flatnonzero(_VALID[:, code]), key=lambda f: _FIRST[f, code])
}


def _formula_gains(feat: np.ndarray) -> np.ndarray:
    """Each formula's saving (formulas, n) from one level's features (7, n)."""
    out = np.empty((len(_FORMULAS), feat.shape[1]))
    for f, idx in enumerate(_FORMULAS):
        if len(idx) == 1:
            out[f] = feat[idx[0]]
        else:
            np.add(feat[idx[0]], feat[idx[1]], out=out[f])
            for i in idx[2:]:
                out[f] += feat[i]
    return out


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


def _prod(*xs: np.ndarray | float) -> np.ndarray | float:
    """Product of arrays and numbers, skipping factors that are the number 1."""
    arrs = [x for x in xs if not (isinstance(x, float | int) and x == 1)]
    if not arrs:
        return 1.0
    out = arrs[0] * arrs[1] if len(arrs) > 1 else arrs[0] * 1.0
    for x in arrs[2:]:
        out *= x
    return out


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
        tune_heap()  # keep the batches' pages mapped between batches (see _heap.py)
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
        inner = arch.levels[-1]
        #: dimensions that index no operand of the innermost level: their loops never need to run there
        self.free_inner = {
            i for i in range(len(LOOP_DIMS)) if not any(inner.holds(o) and i in self.rel[o] for o in OPERANDS)
        }
        in_rows, in_cols = input_extent(layer)
        #: per axis (P/R, Q/S): the window dimension has bound 1 and whole-P (Q) tiles fit the input, so an
        #: input tile is P_t (Q_t) rows (columns) exactly
        self.plain_window = (
            layer.dims[LoopDim.R] == 1 and layer.dims[LoopDim.P] <= in_rows,
            layer.dims[LoopDim.S] == 1 and layer.dims[LoopDim.Q] <= in_cols,
        )
        #: loop dimensions of bound > 1 (the others are 1 in every tiling)
        self.act = [i for i in range(len(LOOP_DIMS)) if self.dims[i] > 1]
        if layer.transposed:  # R/S index the output, not the input: they join the K class
            self.class_idx = {
                "NPQ": _CLASS_IDX["NPQ"],
                "K": [_DIM_INDEX[d] for d in (LoopDim.K, LoopDim.R, LoopDim.S)],
                "CRS": [_DIM_INDEX[LoopDim.C]],
            }
        else:
            self.class_idx = _CLASS_IDX

    # ---- tiles --------------------------------------------------------------------------------------------
    def tile(self, ext: np.ndarray, operand: Operand, scale: np.ndarray | None = None) -> np.ndarray:
        """Tile elements for extents ``ext`` of shape (..., 8, n) (loop dimension on axis -2), times ``scale``
        (8, n) or (8, 1) if given; shape (..., n).

        The same rule as the reference model (:func:`reuse.tile_size`), on extents clamped to the loop bounds.
        """
        dims = self.dims

        def e(d: LoopDim) -> np.ndarray | float:
            i = _DIM_INDEX[d]
            if dims[i] == 1:  # bound-1 rows are not read
                return 1.0
            x = ext[..., i, :] if scale is None else ext[..., i, :] * scale[i]
            return np.minimum(x, dims[i])

        return tile_size(self.layer, e, operand)

    def tiles(self, ext: np.ndarray) -> dict[Operand, np.ndarray]:
        """:meth:`tile` of every operand, clamping the extents once (only the rows of dimensions of bound > 1
        are read: the others may hold anything)."""
        # a dimension of bound 1 is 1 everywhere; one whose outermost extents stay within its bound (no padded
        # unrolling or tiling) needs no clamping at any level
        top = ext[(0,) * (ext.ndim - 2)] if ext.ndim > 2 else ext
        e: dict[LoopDim, np.ndarray | float] = {}
        for d, i in _DIM_INDEX.items():
            if self.dims[i] == 1:
                e[d] = 1.0
            elif top.shape[-1] and top[i].max() > self.dims[i]:
                e[d] = np.minimum(ext[..., i, :], self.dims[i])
            else:
                e[d] = ext[..., i, :]
        shape = ext.shape[:-2] + ext.shape[-1:]
        out = {o: self._tile_of(e, o) for o in OPERANDS}
        return {o: t if np.shape(t) == shape else np.broadcast_to(t, shape) for o, t in out.items()}

    def _tile_of(self, e: dict[LoopDim, np.ndarray | float], o: Operand) -> np.ndarray | float:
        """:func:`reuse.tile_size` on clamped extents ``e`` (1.0 for dimensions of bound 1), skipping the
        products by 1 and the window arithmetic along an axis whose window dimension (R or S) has bound 1 and
        whose tiles never exceed the input (there the rows are P_t exactly: (P_t-1)*stride + 1 >= P_t). Integers
        throughout, so exactly the reference's values."""
        if o is Operand.WEIGHT:
            return _prod(e[LoopDim.G], e[LoopDim.K], e[LoopDim.C], e[LoopDim.R], e[LoopDim.S])
        lay = self.layer
        if o is Operand.OUTPUT and not lay.transposed:
            return _prod(e[LoopDim.N], e[LoopDim.G], e[LoopDim.K], e[LoopDim.P], e[LoopDim.Q])
        if o is Operand.INPUT and not lay.transposed and self.plain_window[0] and self.plain_window[1]:
            return _prod(e[LoopDim.N], e[LoopDim.G], e[LoopDim.C], e[LoopDim.P], e[LoopDim.Q])
        return tile_size(lay, e.__getitem__, o)

    def extents(self, T: np.ndarray, s: np.ndarray) -> np.ndarray:
        """Tile extents (L, 8, n): the product of the factors at and below each level (+ spatial above the PEs).

        ``s``: spatial factors, (8,) for all candidates or (8, n) per candidate. Only the rows of dimensions of
        bound > 1 are computed (the others hold anything: nothing reads them)."""
        ext = np.empty_like(T)
        L, sl = T.shape[0], self.sl
        for i in self.act:  # rows of dimensions of bound 1 are left as they are (never read)
            si = s[i] if s.ndim == 1 else s[i, :]
            ext[-1, i] = T[-1, i]
            if sl == L:  # no per-PE level: the spatial factors multiply every level's tile
                ext[-1, i] *= si
            for m in range(L - 2, -1, -1):
                np.multiply(ext[m + 1, i], T[m, i], out=ext[m, i])
                if m == sl - 1:  # the first level above the PEs: its tile and every tile above span the array
                    ext[m, i] *= si
        return ext

    def capacity_mask(self, tiles: dict[Operand, np.ndarray]) -> np.ndarray:
        """(n,) True where every level's tiles fit (:func:`reuse.fits`). ``tiles[o]`` has shape (L, n)."""
        n = next(iter(tiles.values())).shape[-1]
        return np.broadcast_to(fits(self.arch, self.bits, tiles), (n,))

    def prune_tables(self, tables: list[np.ndarray], spatial: np.ndarray) -> list[np.ndarray]:
        """:meth:`prune_table` for every dimension's table at once (one capacity check)."""
        return self.prune_tables_many([(tables, spatial)])[0]

    def prune_tables_many(self, work: list[tuple[list[np.ndarray], np.ndarray]]) -> list[list[np.ndarray]]:
        """:meth:`prune_tables` for several spatial candidates' tables at once (one capacity check in all)."""
        work = [
            ([t[t[:, -1] == 1] if self.L >= 2 and d in self.free_inner else t for d, t in enumerate(tables)], sp)
            for tables, sp in work
        ]
        ks = [t.shape[0] for tables, _ in work for t in tables]
        T = np.ones((self.L, 8, sum(ks)))
        S = np.empty((8, sum(ks)))
        at = 0
        for tables, sp in work:
            start = at
            for d, t in enumerate(tables):
                T[:, d, at : at + t.shape[0]] = t.T
                at += t.shape[0]
            S[:, start:at] = np.asarray(sp, dtype=np.float64)[:, None]
        keep = self.capacity_mask(self.tiles(self.extents(T, S)))
        bounds = np.cumsum([0, *ks])
        out, i = [], 0
        for tables, _ in work:
            out.append([t[keep[bounds[i + d] : bounds[i + d + 1]]] for d, t in enumerate(tables)])
            i += len(tables)
        return out

    def prune_table(self, table: np.ndarray, dim: int, spatial: np.ndarray) -> np.ndarray:
        """Drop factorizations of ``dim`` that cannot be optimal. Both rules are sound (exact):

        * the factorization overflows some level even with every other dimension minimal (other dimensions can
          only grow a tile);
        * it puts a loop at the innermost level although ``dim`` indexes no operand held there. Such a loop
          changes nothing but the order of the loops above that level's tiles; the same loop moved to the next
          level up, in its class, run innermost there, gives the same tiles, the same tile loads at every level
          and the same cycles (a class irrelevant to the innermost level's only operand is irrelevant in full,
          and nothing below the innermost level depends on its loop order). The moved tiling is in the space,
          and its best orders are at least as good (its argmax includes that order), so it dominates.
        """
        if self.L >= 2 and dim in self.free_inner:
            table = table[table[:, -1] == 1]
        k = table.shape[0]
        T = np.ones((self.L, 8, k))
        T[:, dim, :] = table.T
        ext = self.extents(T, spatial.astype(np.float64))
        keep = self.capacity_mask(self.tiles(ext))
        return table[keep]

    # ---- evaluation ---------------------------------------------------------------------------------------
    def evaluate(
        self,
        T: np.ndarray,
        s: np.ndarray,
        objective: Objective,
        tiles: dict[Operand, np.ndarray] | None = None,
        ext: np.ndarray | None = None,
        *,
        want_orders: bool = True,
        spatial: tuple[np.ndarray, dict[Operand, np.ndarray]] | None = None,
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Objective (n,) and the chosen order index per level (L, n) for temporal factors ``T`` (L, 8, n).

        ``s``: spatial factors, (8,) for every candidate or (8, n) per candidate (candidates of several spatial
        unrollings in one batch). Order indices refer to ``mapping.LEVEL_ORDERS``. With ``want_orders=False``
        (energy objective only) the orders are not materialized (``None``): the search asks for the winner's.
        ``spatial``: the active PEs (n,) and :meth:`_spatial_rel` per operand for ``s``, when the caller has them.
        """
        T = T.astype(np.float64, copy=False)
        L, _, n = T.shape
        s = s.astype(np.float64, copy=False)
        if s.ndim == 1:
            s = s[:, None]  # (8, 1): broadcasts over candidates
        sl = self.sl
        c = self.costs
        arch = self.arch
        if ext is None:
            ext = self.extents(T, s)
        if tiles is None:
            tiles = self.tiles(ext)
        # products per dimension class and level; every loop dimension is G or in exactly one class
        PG = T[:, _G, :] if self.dims[_G] > 1 else None  # (L, n); None: G = 1 everywhere
        Pc = np.empty((3, L, n))  # class, level, candidate
        for k, cn in enumerate(CLASS_NAMES):
            idx = [i for i in self.class_idx[cn] if self.dims[i] > 1]  # dimensions of bound 1: factor 1
            if not idx:
                Pc[k] = 1.0
                continue
            np.copyto(Pc[k], T[:, idx[0], :])
            for i in idx[1:]:
                Pc[k] *= T[:, i, :]
        F = Pc[0] * Pc[1]
        if PG is not None:
            F *= PG
        F *= Pc[2]  # (L, n)
        PF = np.empty((L + 1, n))  # prefix products of whole levels
        PF[0] = 1.0
        for m in range(L):
            np.multiply(PF[m], F[m], out=PF[m + 1])
        nt = Pc > 1  # (3, L, n): a non-trivial loop of each class
        code = nt[0].astype(np.intp)
        code += 2 * nt[1]
        code += 4 * nt[2]
        g_nt = PG > 1 if PG is not None else None
        shared = s.shape[1] == 1  # one spatial unrolling for every candidate: its counts are plain numbers
        active: np.ndarray | float = np.prod(s, axis=0) if spatial is None else spatial[0]  # (n,) or (1,)
        if shared and spatial is None:
            active = float(active[0])
        multicast, reduce = arch.noc.multicast, arch.noc.spatial_reduction
        macs = float(self.layer.macs)
        cols = np.arange(n)
        flat_pf = PF.reshape(-1)
        flat_pc = [Pc[k].reshape(-1) for k in range(3)]  # (L * n,) each
        flat_code = code.reshape(-1)

        base = np.zeros(n)  # energy with every tile load counted "full" (no order-dependent reuse)
        # words per instance read from / written to each level, same "full" convention (for bandwidth)
        rw = np.zeros((L, n))
        ww = np.zeros((L, n))
        # order-dependent savings per level as _FEATURES sums (see _formula_tables): (7, L, n)
        feat = np.zeros((len(_FEATURES), L, n))
        flat_feat = feat.reshape(len(_FEATURES), -1)
        gain_levels: set[int] = set()
        # order-dependent savings, for the bandwidth model: (operand, reuse, full, halo (2, n) or None, level m*,
        # index of (m*, candidate), [(read-or-write words array, level, words per load)])
        terms: list[tuple[Operand, np.ndarray, np.ndarray, np.ndarray | None, np.ndarray, np.ndarray, list]] = []  # type: ignore[type-arg]
        lay = self.layer
        slides = not lay.transposed
        # T in one flat array (L * 8 * n,), for its P/Q rows at each candidate's level m*
        flat_t = T.reshape(-1) if T.flags.c_contiguous else None
        rows_t: dict[LoopDim, np.ndarray] = {}

        for o in OPERANDS:
            chain = self.chains[o]
            b = self.bits[o]
            irr = CLASS_NAMES.index(IRRELEVANT_CLASS[o])
            rel_classes = [k for k in range(3) if k != irr]
            if spatial is not None:
                s_rel = spatial[1][o]
            else:
                s_rel = self._spatial_rel(s, o)
                if shared:
                    s_rel = float(np.asarray(s_rel).reshape(-1)[0])
            rel_nt = nt[rel_classes[0]] | nt[rel_classes[1]]  # (L, n): a loop indexing o
            if g_nt is not None:
                rel_nt |= g_nt
            irr_cum: list[np.ndarray] = []  # products of o's irrelevant factors over the levels above each level

            def rel_prefix(h: int, irr: int = irr, irr_cum: list[np.ndarray] = irr_cum) -> np.ndarray:
                """Distinct tiles of o above level h: the product of its relevant factors at levels < h (all
                factors over the irrelevant ones; integers, so the quotient is exact)."""
                if h == 0:
                    return PF[0]
                while len(irr_cum) < h:
                    m = len(irr_cum)
                    irr_cum.append(Pc[irr, 0].copy() if m == 0 else irr_cum[-1] * Pc[irr, m])
                return PF[h] / irr_cum[h - 1]

            # deepest level above each level with a loop indexing o (-1: none)
            ms_at = [np.full(n, -1, dtype=np.intp)]
            for m in range(L - 1):
                ms_at.append(np.where(rel_nt[m], m, ms_at[-1]))
            for j in range(1, len(chain)):
                h, p = chain[j], chain[j - 1]
                crossing = p < sl <= h
                inst = active if h >= sl else 1.0
                tile = tiles[o][h]
                ms = ms_at[h]
                has = ms >= 0
                lin = np.where(has, ms, 0) * n + cols
                full = np.where(has, flat_pf[lin + n], 1.0)
                irr_prod = flat_pc[irr].take(lin)
                # loads saved with o's irrelevant class innermost at m* (when no relevant class runs inside it)
                reuse = full / irr_prod  # full - full / irr_prod is 0 where irr_prod is 1
                np.subtract(full, reuse, out=reuse)
                reuse *= has
                halo = None
                if o is Operand.INPUT and slides:
                    # sliding-window reuse when the innermost loop indexing the input is P (or Q) at level m*
                    halo = np.ones((2, n))
                    tl = None  # (m*, dimension 0, candidate) in T's flat layout
                    for axis, (dp, dr) in enumerate(((LoopDim.P, LoopDim.R), (LoopDim.Q, LoopDim.S))):
                        if self.dims[_DIM_INDEX[dp]] == 1:  # no P (Q) loop anywhere: nothing slides
                            continue
                        if flat_t is None:  # not contiguous: one row at a time
                            if dp not in rows_t:
                                rows_t[dp] = np.ascontiguousarray(T[:, _DIM_INDEX[dp], :]).reshape(-1)
                            f = rows_t[dp].take(lin)
                        else:
                            if tl is None:
                                tl = lin * 8 - cols * 7
                            f = flat_t.take(tl + _DIM_INDEX[dp] * n)
                        e_p = np.minimum(ext[h, _DIM_INDEX[dp], :], self.dims[_DIM_INDEX[dp]])
                        e_r = (
                            np.minimum(ext[h, _DIM_INDEX[dr], :], self.dims[_DIM_INDEX[dr]])
                            if self.dims[_DIM_INDEX[dr]] > 1
                            else 1.0
                        )
                        fanout = np.where(ms < sl, s[_DIM_INDEX[dp]], 1.0) if h >= sl else 1.0
                        frac = halo_share(lay, e_p, e_r, fanout, axis)
                        inv = 1.0 / np.where(has, f, 1.0)  # f = 1: exactly 1.0 below
                        halo[axis] = inv + (1.0 - inv) * frac
                if o is not Operand.OUTPUT:
                    if crossing and multicast:  # the parent reads the union of the PEs' tiles (see reuse.py)
                        union = self.tile(ext[h], o, scale=s)
                        parent_tile = np.minimum(union, tile * s_rel)
                    else:
                        parent_tile = tile * inst
                    alpha = tile * (inst * b * c.write_j_per_bit[h]) + parent_tile * (b * c.read_j_per_bit[p])
                    if crossing:
                        alpha = alpha + tile * (inst * b * c.noc_j_per_bit)
                    base += alpha * full
                    wh = tile * (inst * b / self._width(h) / self._inst(h, active))
                    wp = parent_tile * (b / self._width(p) / self._inst(p, active))
                    moves = [(ww, h, wh), (rw, p, wp)]
                    ww[h] += wh * full
                    rw[p] += wp * full
                else:
                    first = rel_prefix(h)
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
                # each candidate has one level m* per term: add the term's features to that level only
                # (where m* is none, reuse is 0 and the halo 1, so every feature added is 0)
                x = reuse * alpha
                if o is Operand.INPUT:
                    contrib = [(0, x)]
                    if halo is None:
                        contrib += [(5, x), (6, x)]
                    else:
                        af = alpha * full
                        for axis in range(2):
                            contrib += [(3 + axis, af - af * halo[axis]), (5 + axis, x * halo[axis])]
                else:
                    contrib = [(1 if o is Operand.WEIGHT else 2, x)]
                for fi, v in contrib:
                    if h == 1:  # m* is 0 or none
                        feat[fi, 0] += v
                    else:
                        row = flat_feat[fi]  # one (m*, candidate) cell per candidate: no repeated index
                        row.put(lin, row.take(lin) + v)
                gain_levels.update(range(h))
                terms.append((o, reuse, full, halo, ms, lin, moves))

            # the MACs consume from / update the innermost level holding o
            h = chain[-1]
            per_pe = h >= sl
            s_irr = active / np.maximum(s_rel, 1.0)
            if o is not Operand.OUTPUT:
                reads = macs if per_pe else macs / (s_irr if multicast else 1.0)
                base += reads * b * c.read_j_per_bit[h]
                if not per_pe:
                    base += macs * b * c.noc_j_per_bit
                rw[h] += reads * b / self._width(h) / self._inst(h, active)
            else:
                updates = macs if per_pe else macs / (s_irr if reduce else 1.0)
                first_touch = rel_prefix(h) * tiles[o][h] * (active if per_pe else 1.0)
                reads_o = np.maximum(updates - first_touch, 0.0)
                base += updates * b * c.write_j_per_bit[h] + reads_o * (b * c.read_j_per_bit[h])
                if not per_pe:
                    base += macs * b * c.noc_j_per_bit / (s_irr if reduce else 1.0)
                    if reduce:
                        base += (macs - updates) * c.add_j
                ww[h] += updates * (b / self._width(h) / self._inst(h, active))
                rw[h] += reads_o * (b / self._width(h) / self._inst(h, active))

        base += macs * c.mac_j
        compute = PF[L]
        base += compute * c.leak_j_per_cycle
        energy = base
        best_order = None if objective == "energy" and not want_orders else np.zeros((L, n), dtype=np.intp)
        for m in sorted(gain_levels):
            g, cm = _formula_gains(feat[:, m, :]), code[m]
            g += _MASK.take(cm, axis=1)
            if best_order is None:
                energy = energy - g.max(axis=0)
                continue
            # ties -> the first order in LEVEL_ORDERS, as an argmax over the twelve orders would pick
            row = g.argmax(axis=0)
            for fix_code, fix_rows in _ARGMAX_FIX.items():
                at = np.flatnonzero(cm == fix_code)
                if at.size:
                    row[at] = fix_rows[g[fix_rows][:, at].argmax(axis=0)]
            energy = energy - g.reshape(-1).take(row * n + cols)
            best_order[m] = _FIRST.reshape(-1).take(row * 8 + cm)
        if best_order is None or objective == "energy":
            return energy, best_order
        flat_order = best_order.reshape(-1)
        flat_apply = _APPLY.reshape(3, -1)
        flat_slide = _NPQ_INNER.reshape(-1)
        for o, reuse, full, halo, ms, lin, moves in terms:
            k = flat_order.take(lin)
            kc = k * 8 + flat_code.take(lin)
            chosen = flat_apply[CLASS_NAMES.index(IRRELEVANT_CLASS[o])].take(kc) * reuse
            if halo is not None:  # loads = (full - saved) * halo factor where the window slides
                slide = flat_slide.take(kc) & (ms >= 0)
                hk = np.where(_ORDER_PQ.take(k) == 0, halo[0], halo[1])
                chosen = full - (full - chosen) * np.where(slide, hk, 1.0)
            for arr, lvl, w in moves:
                arr[lvl] -= w * chosen
        rbw = np.array([self.arch.levels[i].read_bandwidth for i in range(L)])
        wbw = np.array([self.arch.levels[i].write_bandwidth for i in range(L)])
        # as evaluate's latency (model.evaluate.layer_cycles): a DRAM bus is half-duplex (reads + writes), on-chip
        # ports run side by side; overlapped levels hide behind compute, a non-overlapped level's cycles add
        half = [self.arch.levels[i].kind == "dram" for i in range(L)]
        cycles = compute.copy()
        stall = None
        for i in range(L):
            rc, wc = rw[i] / rbw[i], ww[i] / wbw[i]
            level = rc + wc if half[i] else np.maximum(rc, wc, out=rc)
            if self.arch.levels[i].overlapped:
                np.maximum(cycles, level, out=cycles)
            else:
                stall = level if stall is None else stall + level
        if stall is not None:
            cycles = cycles + stall
        if objective == "latency":
            return cycles + energy * 1e-6, best_order  # energy (J << 1) breaks ties only
        return energy * cycles, best_order

    def _spatial_rel(self, s: np.ndarray, o: Operand) -> np.ndarray:
        """PEs that need distinct data of ``o`` per candidate, for spatial factors ``s`` (8, n)."""
        if o is Operand.INPUT and not self.layer.transposed:
            return self.tile(s, Operand.INPUT)
        return np.prod(s[self.rel[o]], axis=0)

    def _width(self, i: int) -> float:
        return self.arch.levels[i].width_bits

    def _inst(self, i: int, active: np.ndarray) -> np.ndarray | float:
        return active if self.arch.levels[i].per_pe else 1.0


class _Elite:
    """The ``keep`` best distinct candidates seen so far: objective, spatial candidate and table rows."""

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self.val = np.empty(0)
        self.cand = np.empty(0, dtype=np.intp)
        self.idx = np.empty((8, 0), dtype=np.intp)

    def offer(self, val: np.ndarray, cand: np.ndarray, idx: np.ndarray) -> None:
        if val.size > self.keep:
            top = np.argpartition(val, self.keep - 1)[: self.keep]
            top.sort()  # keep the scan order among equal objectives
            val, cand, idx = val[top], cand[top], idx[:, top]
        allv = np.concatenate([self.val, val])
        allc = np.concatenate([self.cand, cand])
        alli = np.concatenate([self.idx, idx], axis=1)
        # stable: on equal objectives the candidate seen first wins (as a sequential scan would pick it); then
        # the first occurrence of each distinct tiling, in that order (at most 2 * keep of them: a Python scan)
        order = np.argsort(allv, kind="stable")
        keys = np.vstack([allc[None, :], alli]).T.tolist()
        seen: set[tuple[int, ...]] = set()
        pick = []
        for j in order.tolist():
            key = tuple(keys[j])
            if key not in seen:
                seen.add(key)
                pick.append(j)
                if len(pick) == self.keep:
                    break
        sel = np.array(pick, dtype=np.intp)
        self.val, self.cand, self.idx = allv[sel], allc[sel], alli[:, sel]


def search(
    layer: Layer,
    arch: Accelerator,
    costs: UnitCosts,
    *,
    objective: Objective = "energy",
    dataflow: str | None = None,
    max_candidates: int = 12_000,
    exhaustive_limit: int = 200_000,
    chunk: int = 1 << 13,
    seed: int = 0,
    refine_from: int = 8,
    pair_limit: int = 1024,
    certify_limit: int = 200_000,
) -> Mapping:
    """Find the best mapping of ``layer`` on ``arch`` for ``objective``; raises :class:`MappingError` if none fits.

    Exhaustive when the (soundly pruned) tiling space of all spatial candidates is at most ``exhaustive_limit``
    tilings; otherwise ``max_candidates`` sampled tilings followed by a local search from the ``refine_from``
    best (see the module docstring), then, when the spatial candidates whose lower bound is below the best found
    hold at most ``certify_limit`` tilings together, every one of those tilings: the result is then proven
    optimal (``info["certified"]``).
    """
    prob = _Problem(layer, arch, costs)
    L = prob.L
    counter = {"evaluated": 0, "generated": 0}
    rng = np.random.default_rng(seed)
    cands = spatial_candidates(layer, arch, dataflow or arch.dataflow)
    prepared: list[tuple[SpatialCandidate, np.ndarray, list[np.ndarray], list[int], int]] = []
    spatials = [np.array([cand.factor(d) for d in LOOP_DIMS], dtype=np.int64) for cand in cands]
    pruned = prob.prune_tables_many(
        [([ordered_factorizations(int(r), L) for r in -(-prob.dims // s)], s) for s in spatials]  # ceil: padded
    )
    for cand, s, tables in zip(cands, spatials, pruned, strict=True):
        sizes = [t.shape[0] for t in tables]
        if 0 not in sizes:
            ftables = [t.T.astype(np.float64) for t in tables]  # (L, k_d)
            prepared.append((cand, s.astype(np.float64), ftables, sizes, math.prod(sizes)))
    space = sum(p[4] for p in prepared)
    # exhaustive when the whole space is small enough; else a sample shared in proportion to each candidate's space
    sample = space > max(exhaustive_limit, max_candidates)
    elite = _Elite(refine_from if sample else 1)
    batch = _Batch(prob, prepared, objective, chunk, counter)
    if sample:
        batch.per_cand = {}

    for ci, (_, _, _, sizes, total) in enumerate(prepared):
        if sample and total > (budget := max(int(max_candidates * total / space), 1)):
            if total < 2**62:
                flat = rng.choice(total, size=budget, replace=False)
                batch.add(ci, np.array(np.unravel_index(flat, sizes)))
            else:  # astronomically large: sample each dimension independently
                batch.add(ci, np.stack([rng.integers(0, k, size=budget) for k in sizes]))
        else:
            batch.add_all(ci)
        batch.flush_full(elite)
    batch.flush(elite)
    if sample and elite.val.size:
        assert batch.per_cand is not None
        # start from the best tilings overall and from the best of each of the most promising spatial candidates
        starts = {(int(c), tuple(i)): float(v) for v, c, i in zip(elite.val, elite.cand, elite.idx.T, strict=True)}
        ranked = sorted(batch.per_cand.items(), key=lambda kv: kv[1][0])[:refine_from]
        for ci, (v, i) in ranked:
            starts.setdefault((ci, tuple(i)), v)
        batch.per_cand = None
        _refine(batch, elite, prepared, pair_limit, [[v, c, np.array(i)] for (c, i), v in starts.items()])
        # the best tiling carried over to the other promising spatial unrollings: the tiling nearest to it in each
        # one's tables (the same factor per level where it can be), searched locally from there -- two unrollings
        # often share their best temporal structure, which random samples of the other one rarely hit
        best_ci = int(elite.cand[0])
        others = [ci for ci, _ in ranked if ci != best_ci][:TRANSFER_TO]
        if others:
            _refine(
                batch,
                elite,
                prepared,
                pair_limit,
                [[math.inf, ci, _nearest(prepared, best_ci, elite.idx[:, 0], ci)] for ci in others],
            )
    certified = False
    if sample and elite.val.size and certify_limit > 0:
        # a spatial candidate whose lower bound is not below the best tiling found cannot beat it; if the others
        # are few enough, evaluating all their tilings proves the result optimal
        bound = _lower_bounds(prob, prepared, objective)
        best = float(elite.val[0])
        live = [ci for ci in range(len(prepared)) if bound[ci] < best]
        if sum(prepared[ci][4] for ci in live) <= certify_limit:
            for ci in live:
                batch.add_all(ci)
                batch.flush_full(elite)
            batch.flush(elite)
            certified = True
    if elite.val.size == 0:
        raise MappingError(
            f"layer {layer.name!r} ({layer.kind_label}, dims "
            + " ".join(f"{d}={layer.dims[d]}" for d in LOOP_DIMS if layer.dims[d] > 1)
            + f") cannot be mapped on {arch.name!r}: no tiling fits the memory levels "
            + ", ".join(f"{lv.name} ({lv.capacity_bits / 8:g} B)" for lv in arch.levels if lv.kind != "dram")
            + " with the PE array's unrolling; enlarge a level or change which operands it holds"
        )
    best_val, ci = float(elite.val[0]), int(elite.cand[0])
    cand, sf, ftables, _, _ = prepared[ci]
    T = np.stack([ftables[d][:, elite.idx[d, 0]] for d in range(8)], axis=1)  # (L, 8)
    _, orders = prob.evaluate(T[:, :, None], sf, objective)
    assert orders is not None
    return Mapping(
        spatial_rows=cand.rows,
        spatial_cols=cand.cols,
        temporal=tuple({d: int(T[m, i]) for i, d in enumerate(LOOP_DIMS)} for m in range(L)),
        orders=tuple(_order_dims(int(k), layer.transposed) for k in orders[:, 0]),
        spatial_level=prob.sl,
        info={
            "objective": objective,
            "objective_value": best_val,
            "candidates_generated": counter["generated"],
            "candidates_evaluated": counter["evaluated"],
            "exhaustive": not sample,
            "certified": certified,
            "space": space,
            "dataflow": cand.dataflow,
        },
    )


class _Batch:
    """Tilings of any spatial candidates, gathered and evaluated together (one numpy pass per ``chunk``)."""

    def __init__(self, prob: _Problem, prepared: list, objective: Objective, chunk: int, counter: dict) -> None:  # type: ignore[type-arg]
        self.prob, self.prepared, self.objective, self.chunk, self.counter = prob, prepared, objective, chunk, counter
        self.parts: list[tuple[int, np.ndarray, np.ndarray]] = []
        self.size = 0
        self.per_cand: dict[int, tuple[float, np.ndarray]] | None = None
        # every spatial candidate's factor tables side by side per dimension, so that a batch of tilings of any
        # candidates is gathered with one take per dimension: factors (L, sum of rows) and the tile extents they
        # give (the products at and below each level, times the spatial factor above the PEs: as
        # _Problem.extents, exactly, since all are integers)
        L = prob.L
        self.offset = np.zeros((max(len(prepared), 1), 8), dtype=np.intp)
        self.factors: list[np.ndarray] = []
        self.extents: list[np.ndarray] = []
        for d in range(8):
            fs, es, at = [], [], 0
            for ci, (_, sf, ftables, _, _) in enumerate(prepared):
                f = ftables[d]
                e = np.cumprod(f[::-1], axis=0)[::-1].copy()
                e[: prob.sl] *= sf[d]
                self.offset[ci, d] = at
                at += f.shape[1]
                fs.append(f)
                es.append(e)
            self.factors.append(np.concatenate(fs, axis=1) if fs else np.ones((L, 0)))
            self.extents.append(np.concatenate(es, axis=1) if es else np.ones((L, 0)))
        self.spatial = np.stack([p[1] for p in prepared], axis=1) if prepared else np.ones((8, 0))
        # per spatial candidate: active PEs and the PEs needing distinct data of each operand
        self.active = np.prod(self.spatial, axis=0)
        self.spatial_rel = {
            o: np.broadcast_to(prob._spatial_rel(self.spatial, o), self.active.shape).astype(np.float64)
            for o in OPERANDS
        }

    def add(self, ci: int, idx: np.ndarray, owner: int | np.ndarray = -1) -> None:
        """Queue tilings ``idx`` (8, n) (rows of each dimension's table) of spatial candidate ``ci``; ``owner``:
        a tag returned with each tiling that fits (one for all, or one per tiling)."""
        own = owner if isinstance(owner, np.ndarray) else np.full(idx.shape[1], owner, dtype=np.intp)
        self.parts.append((ci, idx, own))
        self.size += idx.shape[1]

    def add_all(self, ci: int) -> None:
        """Queue every tiling of spatial candidate ``ci`` (in ``chunk``-sized parts)."""
        sizes, total = self.prepared[ci][3], self.prepared[ci][4]
        for i in range(0, total, self.chunk):
            self.add(ci, np.array(np.unravel_index(np.arange(i, min(i + self.chunk, total)), sizes)))

    def flush_full(self, elite: _Elite) -> None:
        if self.size >= self.chunk:
            self.flush(elite)

    def flush(self, *into: _Elite) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Evaluate every queued tiling, offer the ones that fit to ``into``; returns (objective, candidate,
        rows, owner) of the ones that fit."""
        parts, self.parts, self.size = self.parts, [], 0
        prob, L = self.prob, self.prob.L
        out: list[tuple[np.ndarray, ...]] = []
        groups = _split(parts, self.chunk)
        for group in groups:
            cidx = np.concatenate([np.full(p[1].shape[1], p[0], dtype=np.intp) for p in group])
            idx = np.concatenate([p[1] for p in group], axis=1)
            owner = np.concatenate([p[2] for p in group])
            n = idx.shape[1]
            self.counter["generated"] += n
            gidx = idx + self.offset[cidx].T  # rows of the side-by-side tables
            ext = np.empty((L, 8, n))  # rows of dimensions of bound 1 are never read
            for d in prob.act:
                np.take(self.extents[d], gidx[d], axis=1, out=ext[:, d, :])
            tiles = prob.tiles(ext)
            ok = prob.capacity_mask(tiles)
            if not ok.all():
                if not ok.any():
                    continue
                gidx, idx, cidx, owner = gidx.compress(ok, 1), idx.compress(ok, 1), cidx[ok], owner[ok]
                kept = np.empty((L, 8, int(np.count_nonzero(ok))))  # bound-1 rows not read
                for d in prob.act:
                    np.compress(ok, ext[:, d, :], axis=1, out=kept[:, d, :])
                ext = kept
                tiles = {o: t.compress(ok, axis=-1) for o, t in tiles.items()}
                n = cidx.size
            T = np.empty((L, 8, n))  # rows of dimensions of bound 1 are never read
            for d in prob.act:
                np.take(self.factors[d], gidx[d], axis=1, out=T[:, d, :])
            self.counter["evaluated"] += T.shape[2]
            if cidx[0] == cidx[-1] and (cidx == cidx[0]).all():  # one spatial unrolling: shared numbers
                val, _ = prob.evaluate(T, self.spatial[:, cidx[0]], self.objective, tiles, ext, want_orders=False)
            else:
                S = self.spatial.take(cidx, axis=1)
                derived = (self.active.take(cidx), {o: r.take(cidx) for o, r in self.spatial_rel.items()})
                val, _ = prob.evaluate(T, S, self.objective, tiles, ext, want_orders=False, spatial=derived)
            for e in into:
                e.offer(val, cidx, idx)
            if self.per_cand is not None:  # the best tiling of each spatial candidate (starts of the local search)
                for ci in np.unique(cidx):
                    mine = np.flatnonzero(cidx == ci)
                    j = mine[np.argmin(val[mine])]
                    if val[j] < self.per_cand.get(int(ci), (math.inf,))[0]:
                        self.per_cand[int(ci)] = (float(val[j]), idx[:, j].copy())
            out.append((val, cidx, idx, owner))
        if not out:
            return np.empty(0), np.empty(0, dtype=np.intp), np.empty((8, 0), dtype=np.intp), np.empty(0, dtype=np.intp)
        return (
            np.concatenate([x[0] for x in out]),
            np.concatenate([x[1] for x in out]),
            np.concatenate([x[2] for x in out], axis=1),
            np.concatenate([x[3] for x in out]),
        )


def _split(
    parts: list[tuple[int, np.ndarray, np.ndarray]], chunk: int
) -> list[list[tuple[int, np.ndarray, np.ndarray]]]:
    """Cut queued parts into groups of at most ``chunk`` tilings (splitting a part where needed)."""
    groups: list[list[tuple[int, np.ndarray, np.ndarray]]] = [[]]
    room = chunk
    for ci, idx, owner in parts:
        at = 0
        while at < idx.shape[1]:
            take = min(room, idx.shape[1] - at)
            groups[-1].append((ci, idx[:, at : at + take], owner[at : at + take]))
            at += take
            room -= take
            if room == 0:
                groups.append([])
                room = chunk
    return [g for g in groups if g]


def _lower_bounds(prob: _Problem, prepared: list, objective: Objective) -> np.ndarray:  # type: ignore[type-arg]
    """A lower bound of the objective over every tiling of each spatial candidate: its compute cycles are exact
    (the product of the padded loop bounds over the unrolling; latency is never below them), and its energy is at
    least the MACs' plus the per-cycle clock and leakage over those cycles (every memory, NoC and adder term of
    the model is non-negative)."""
    c = prob.costs
    out = np.empty(len(prepared))
    for ci, (_, s, _, _, _) in enumerate(prepared):
        cycles = float(np.prod(-(-prob.dims // s.astype(np.int64))))
        energy = float(prob.layer.macs) * c.mac_j + cycles * c.leak_j_per_cycle
        out[ci] = (
            energy if objective == "energy" else cycles + energy * 1e-6 if objective == "latency" else energy * cycles
        )
    return out


def _nearest(prepared: list, from_ci: int, idx: np.ndarray, to_ci: int) -> np.ndarray:  # type: ignore[type-arg]
    """Rows of spatial candidate ``to_ci``'s tables nearest (least total |log factor| difference over the levels)
    to the tiling ``idx`` of candidate ``from_ci``."""
    src, dst = prepared[from_ci][2], prepared[to_ci][2]
    out = np.empty(8, dtype=np.intp)
    for d in range(8):
        want = np.log(src[d][:, int(idx[d])])[:, None]  # (L, 1)
        out[d] = int(np.argmin(np.abs(np.log(dst[d]) - want).sum(axis=0)))
    return out


def _refine(  # type: ignore[type-arg]
    batch: _Batch, elite: _Elite, prepared: list, pair_limit: int, current: list
) -> None:
    """Local search (the sampled path only), from each tiling of ``elite`` at once: repeatedly move each to its
    best neighbour while that improves the objective. Neighbours change the factorization of one dimension
    (every row of its table) or of two dimensions at once (every pair of rows when the two tables have at most
    ``pair_limit`` pairs; for larger pairs, and for walkers within :data:`NEAR_WITHIN` of the best tiling so
    far, the larger table's rows near the current one against every row of the other: this trades capacity
    between dimensions)."""
    active = list(range(len(current)))
    # the dimensions each walker's last move changed: the neighbourhoods that vary all of them are the ones
    # already evaluated around the previous tiling (every tiling in them costs at least the current one, which
    # was their best), so they are not evaluated again; this changes no move
    moved_dims: dict[int, set[int]] = {}
    # every neighbourhood evaluated in this search (spatial candidate, dimensions varied, rows of the others) ->
    # its best tiling (the first of the least objective, None if none fits): walkers often meet in the same
    # neighbourhoods, and a tiling's objective does not depend on its batch, so each is evaluated once
    seen: dict[tuple, tuple[float, int, np.ndarray] | None] = {}  # type: ignore[type-arg]
    near_cache: dict[tuple[int, int, int], np.ndarray] = {}
    for _ in range(32):
        pending: dict[tuple, int] = {}  # type: ignore[type-arg]
        plan: dict[int, list[tuple]] = {}  # type: ignore[type-arg]
        for w in active:
            val, ci, idx = current[w]
            near_pairs = bool(elite.val.size) and val <= float(elite.val[0]) * (1 + NEAR_WITHIN)
            sizes = prepared[ci][3]
            free = [d for d in range(8) if sizes[d] > 1]
            last = moved_dims.get(w, set())
            rows = idx.tolist()
            # the neighbourhoods, in this order: each free dimension alone, then each pair; a neighbourhood is
            # (dimensions varied, the rows each takes: None for all of its table)
            hoods: list[tuple[tuple[int, ...], tuple[np.ndarray | None, ...]]] = [
                ((d,), (None,)) for d in free if not (last and last <= {d})
            ]
            for i, a in enumerate(free):
                for b in free[i + 1 :]:
                    if sizes[a] * sizes[b] <= pair_limit:
                        if not (last and last <= {a, b}):
                            hoods.append(((a, b), (None, None)))
                        continue
                    if not near_pairs:
                        continue
                    # too many pairs: the larger table's rows near the current one (its factors redistributed
                    # over at most NEAR_LEVELS levels) against every row of the other
                    big = a if sizes[a] >= sizes[b] else b
                    near = _near_rows(near_cache, prepared, ci, big, rows[big])
                    other = b if big == a else a
                    if near.size * sizes[other] <= NEAR_CAP * pair_limit:
                        hoods.append(((a, b), (near, None) if big == a else (None, near)))
            keys = [
                (
                    ci,
                    h,
                    tuple(r for d, r in enumerate(rows) if d not in h),
                    # a near-row neighbourhood depends on the larger table's current row too (not on the other's)
                    *((d, rows[d]) for d, x in zip(h, sel, strict=True) if x is not None),
                )
                for h, sel in hoods
            ]
            plan[w] = keys
            new = [(hs, k) for hs, k in zip(hoods, keys, strict=True) if k not in seen and k not in pending]
            if not new:
                continue
            grids = [
                _grid_rows(tuple(np.arange(sizes[d]) if x is None else x for d, x in zip(h, sel, strict=True)))
                for (h, sel), _ in new
            ]
            lens = [g[0].size for g in grids]
            nb = np.repeat(idx[:, None], sum(lens), axis=1)
            owner = np.empty(sum(lens), dtype=np.intp)
            at = 0
            for ((h, _), k), g, n in zip(new, grids, lens, strict=True):
                for d, r in zip(h, g, strict=True):
                    nb[d, at : at + n] = r
                owner[at : at + n] = pending[k] = len(pending)
                at += n
            batch.add(ci, nb, owner)
        val, cidx, idx_all, owner = batch.flush(elite)
        # the first least objective of each neighbourhood (owners come in increasing runs: the order they were added)
        first: dict[int, int] = {}
        if val.size:
            starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
            least = np.repeat(np.minimum.reduceat(val, starts), np.diff(np.r_[starts, val.size]))
            at_least = np.flatnonzero(val == least)
            run = owner[at_least]
            for j in at_least[np.r_[True, run[1:] != run[:-1]]].tolist():
                first[int(owner[j])] = j
        for k, hid in pending.items():
            j = first.get(hid)
            seen[k] = None if j is None else (float(val[j]), int(cidx[j]), idx_all[:, j].copy())
        moved = []
        for w in active:
            best = None  # the walker's first neighbourhood with the least objective, as one argmin over them all
            for k in plan.get(w, []):
                r = seen[k]
                if r is not None and (best is None or r[0] < best[0]):
                    best = r
            if best is not None and best[0] < current[w][0] * (1 - 1e-12):
                moved_dims[w] = {int(d) for d in np.flatnonzero(best[2] != current[w][2])}
                current[w] = [best[0], best[1], best[2].copy()]
                moved.append(w)
        active = moved
        if not active:
            return


#: the best tiling is carried over to this many other spatial unrollings (the most promising by their samples)
TRANSFER_TO = 2
#: a pair of dimensions whose tables are too large to combine in full varies the larger one among its rows that
#: differ from the current row in at most this many levels (a factor moved between two levels)
NEAR_LEVELS = 2
#: ... and only when that gives at most this many times ``pair_limit`` pairs
NEAR_CAP = 1
#: ... and only for walkers whose objective is within this fraction of the best tiling found so far
NEAR_WITHIN = 0.05


def _near_rows(cache: dict, prepared: list, ci: int, d: int, row: int) -> np.ndarray:  # type: ignore[type-arg]
    """Rows of dimension ``d``'s table (spatial candidate ``ci``) that differ from ``row`` in at most
    :data:`NEAR_LEVELS` levels."""
    key = (ci, d, row)
    if key not in cache:
        table = prepared[ci][2][d]  # (L, k)
        cache[key] = np.flatnonzero((table != table[:, row : row + 1]).sum(axis=0) <= NEAR_LEVELS)
    return cache[key]


def _grid_rows(rows: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """Every combination of the given rows of one or two tables, the last varying fastest."""
    if len(rows) == 1:
        return (rows[0],)
    a, b = rows
    return np.repeat(a, b.size), np.tile(b, a.size)


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
