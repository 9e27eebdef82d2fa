"""Glue between ZigZag (zigzag-dse 3.9.1) and accelkit for bench/zigzag_compare.py.

Three jobs, each written down so a reader can check the translation rather than trust it:

1. ``translate_hardware``: a ZigZag hardware YAML (+ its mapping YAML) -> an accelkit AcceleratorSpec dict.
2. ``nest_from_cme``: ZigZag's chosen mapping (one CostModelEvaluation) -> a tool-neutral ``LoopNest``.
3. ``accelkit_at_nest``: accelkit's own reuse model (``accelkit.mapping.analyze``) and pricing
   (``accelkit.mapping.search.counts_energy`` with the accelerator's ``UnitCosts``) evaluated at that loop nest.

Translation decisions (hardware)
--------------------------------
* ``operational_array.sizes [D1, D2]`` -> ``pe_array.rows = D1``, ``cols = D2``; the mapping YAML's spatial
  mapping fixes which loop dimension each array dimension unrolls, mirrored as ``row_dims`` / ``col_dims``
  (dataflow ``best`` inside those constraints). accelkit may still pick a *smaller* unrolling than ZigZag's
  (ZigZag clips the given one to the array and the layer; accelkit searches a few divisors).
* ``unit_energy`` (pJ per MAC) -> ``energy_overrides.mac``. ZigZag has no interconnect, adder-tree or leakage
  energy ("TODO: Interconnection energy" in its cost model), so ``noc.hop_energy = 0``, ``adder = 0``,
  ``memory[*].leakage = 0``. accelkit's MAC-array logic leakage cannot be zeroed from a spec (``energy_overrides``
  takes energies only, and the array's leakage follows the estimated MAC area), so the comparisons below use
  accelkit's *dynamic* energy; that leakage still enters accelkit's mapping objective as a small per-cycle cost.
* Each memory -> one ``memory`` level: ``size`` (bits) -> ``capacity``; ``operands`` through the mapping's
  ``memory_operand_links`` (I1 -> input, I2 -> weight, O -> output); ``served_dimensions: []`` (one instance per
  MAC) -> ``per_pe: true``, ``[D1, D2]`` -> one shared instance. Partially shared memories are not translated.
* Energy per access: ZigZag's ``r_cost`` / ``w_cost`` are pJ per access of one full port word
  (``bandwidth_max`` bits). accelkit's ``width`` is that word, ``read_energy`` / ``write_energy`` its cost.
  ZigZag rounds each transfer up to whole ``bandwidth_min`` chunks; accelkit prices per bit (no rounding).
* Bandwidth: accelkit counts words of ``width`` per cycle, with one read and one write bandwidth per level. The
  read bandwidth is the number of ports that can read (``read`` and ``read_write``), likewise for writes; a shared
  read/write port therefore counts for both directions (accelkit has no shared-port model: optimistic).
* Level order: accelkit has one linear hierarchy (outermost first); ZigZag has one per operand. Levels are put in
  order shared-before-per-PE, larger-before-smaller, ties by reverse YAML order (ZigZag lists innermost first).
  Sibling memories holding different operands at the same tier (eyeriss_like's three register files, its three
  SRAMs) are therefore stacked, which constrains accelkit's search; the evaluation at ZigZag's mapping below does
  not depend on that order.
* Precision is the workload's, not the hardware's: ZigZag's ONNX parser uses W 8, I 8, partial sums 16 and final
  outputs 8 bits, so the MAC is ``{input: int8, weight: int8, output: int16}`` (accelkit casts layers to the
  datapath and writes final outputs to DRAM at the input precision, partial sums at the accumulator width).
* Technology (node, voltage, clock) has no ZigZag counterpart; 28 nm / 0.9 V / 1 GHz are placeholders (every
  energy is overridden; results are compared in cycles).

Evaluating accelkit at ZigZag's mapping
---------------------------------------
ZigZag's temporal mapping is one loop order (prime-factor loops, innermost first) cut into memory levels
*separately per operand*; accelkit's ``Mapping`` has one factor per dimension per level of one shared hierarchy.
So a ZigZag mapping is not always an accelkit ``Mapping`` (inputs and outputs of one shared SRAM may stop at
different loops; one level may hold ``K2 OX7 K2``). accelkit's reuse model (``analyze``) is however per operand:
an operand's counts depend only on the loops at or below each level holding it, and the loop sequence above it.
The glue therefore builds, per operand, an *augmented* accelerator: the operand's own levels (copied from the
translated accelerator) with one storage-less pass-through level per ZigZag loop in between, so every loop keeps
its exact position; ``analyze`` runs on it and only that operand's counts are kept. The per-operand counts are
merged into one ``AccessCounts`` on the real levels and priced with ``counts_energy``. When the ZigZag mapping
*is* expressible as a plain accelkit ``Mapping`` on the real accelerator, that mapping is built as well and its
``analyze`` counts are checked against the glue (``plain_mapping_matches``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from typing import Any

from accelkit.hardware.accelerator import Accelerator, MemoryLevel
from accelkit.mapping import Mapping, analyze
from accelkit.mapping.reuse import OPERANDS, AccessCounts, LevelTraffic
from accelkit.mapping.search import UnitCosts, counts_energy
from accelkit.workload.ir import LOOP_DIMS, Layer, LoopDim, Operand

# ---------------------------------------------------------------------------------------------------------------
# names
#: ZigZag loop dimension -> accelkit LoopDim. OY/FY pair in ``iy = s*oy + d*fy`` (rows: P/R), OX/FX in ix (Q/S).
#: Gemm layers use C, D, K (+B, H): D is the row dimension shared by input and output (like N).
ZZ_DIM: dict[str, LoopDim] = {
    "B": LoopDim.N,
    "D": LoopDim.N,
    "K": LoopDim.K,
    "G": LoopDim.G,
    "H": LoopDim.G,
    "C": LoopDim.C,
    "OY": LoopDim.P,
    "OX": LoopDim.Q,
    "FY": LoopDim.R,
    "FX": LoopDim.S,
}
#: ZigZag layer operand -> accelkit operand.
ZZ_LAYER_OP: dict[str, Operand] = {"I": Operand.INPUT, "W": Operand.WEIGHT, "O": Operand.OUTPUT}
#: ZigZag memory operand -> accelkit operand, for the usual links (O: O, W: I2, I: I1).
ZZ_MEM_OP: dict[str, Operand] = {"I1": Operand.INPUT, "I2": Operand.WEIGHT, "O": Operand.OUTPUT}


# ---------------------------------------------------------------------------------------------------------------
# 1. hardware translation
def _mem_kind(name: str, size_bits: float) -> str:
    n = name.lower()
    if n.startswith("dram") or "dram" in n:
        return "dram"
    if n.startswith("rf") or n.startswith("reg"):
        return "regfile"
    return "sram"


def translate_hardware(
    hw: MappingABC[str, Any],
    mapping: list[MappingABC[str, Any]] | None = None,
    *,
    mac_precision: tuple[str, str, str] = ("int8", "int8", "int16"),
    name: str | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """An accelkit AcceleratorSpec (as a dict) for a ZigZag hardware YAML, and the notes on what was approximated.

    ``hw`` is the parsed ZigZag hardware YAML, ``mapping`` its mapping YAML (the ``default`` entry's spatial
    mapping fixes the array axes' loop dimensions and its ``memory_operand_links`` the operand names).
    """
    notes: list[str] = []
    default = next((m for m in (mapping or []) if m.get("name") == "default"), None)
    links = {"O": "O", "W": "I2", "I": "I1"}
    if default and default.get("memory_operand_links"):
        links = dict(default["memory_operand_links"])
    mem_to_op = {mem: ZZ_LAYER_OP[layer] for layer, mem in links.items()}

    oa = hw["operational_array"]
    dims = list(oa["dimensions"])
    sizes = [int(s) for s in oa["sizes"]]
    if len(dims) != 2:
        raise NotImplementedError(f"only 2-D operational arrays are translated, got {dims}")
    axis_dims: dict[str, list[str]] = {d: [] for d in dims}
    if default and default.get("spatial_mapping"):
        for d, entries in default["spatial_mapping"].items():
            for entry in entries:
                loop = str(entry).split(",")[0].strip()
                axis_dims[d].append(str(ZZ_DIM[loop]))
    pe_array: dict[str, Any] = {
        "rows": sizes[0],
        "cols": sizes[1],
        "mac": {"input": mac_precision[0], "weight": mac_precision[1], "output": mac_precision[2]},
    }
    if axis_dims[dims[0]]:
        pe_array["row_dims"] = axis_dims[dims[0]]
    if axis_dims[dims[1]]:
        pe_array["col_dims"] = axis_dims[dims[1]]

    levels = []
    for yaml_index, (mname, m) in enumerate(hw["memories"].items()):
        served = list(m.get("served_dimensions") or [])
        if served and sorted(served) != sorted(dims):
            raise NotImplementedError(f"memory {mname}: partially shared memories ({served}) are not translated")
        per_pe = not served
        ports = m["ports"]
        widths = {int(p["bandwidth_max"]) for p in ports}
        width = max(widths)
        if len(widths) > 1:
            notes.append(f"{mname}: ports of different widths {sorted(widths)}; energy word = {width} b")
        mins = {int(p["bandwidth_min"]) for p in ports}
        if mins != {width}:
            notes.append(
                f"{mname}: ZigZag rounds each transfer up to {sorted(mins)} b chunks of a {width} b word; "
                "accelkit prices per bit"
            )
        rd_ports = sum(1 for p in ports if p["type"] in ("read", "read_write"))
        wr_ports = sum(1 for p in ports if p["type"] in ("write", "read_write"))
        if any(p["type"] == "read_write" for p in ports):
            notes.append(f"{mname}: shared read/write port counted as {rd_ports} read + {wr_ports} write words/cycle")
        ops = sorted(
            {str(mem_to_op[o]) for o in m["operands"] if o in mem_to_op}, key=["input", "weight", "output"].index
        )
        kind = _mem_kind(mname, m["size"])
        level: dict[str, Any] = {
            "name": mname,
            "kind": kind,
            "width": f"{width} b",
            "read_bandwidth": rd_ports,
            "write_bandwidth": wr_ports,
            "operands": ops,
            "read_energy": f"{float(m['r_cost'])} pJ",
            "write_energy": f"{float(m['w_cost'])} pJ",
        }
        if kind != "dram":
            level["capacity"] = f"{int(m['size'])} b"
            level["per_pe"] = per_pe
            level["leakage"] = "0 W"
            level["area"] = "0 m^2"
        levels.append((yaml_index, per_pe, float(m["size"]), level))
    # outermost first: shared before per-PE, larger before smaller, ties by reverse YAML order
    levels.sort(key=lambda t: (t[1], -t[2], -t[0]))
    memory = [lv for *_, lv in levels]
    spec = {
        "name": name or f"zigzag_{hw.get('name', 'hw')}",
        "description": f"ZigZag's {hw.get('name')} hardware YAML (zigzag-dse), translated by bench/zigzag_bridge.py",
        "technology": {"node": "28 nm", "voltage": "0.9 V", "clock": "1 GHz"},
        "pe_array": pe_array,
        "memory": memory,
        "noc": {"multicast": True, "spatial_reduction": True, "hop_energy": "0 J"},
        "dataflow": "best",
        "energy_overrides": {"mac": f"{float(oa['unit_energy'])} pJ", "adder": "0 J"},
    }
    return spec, notes


# ---------------------------------------------------------------------------------------------------------------
# 2. ZigZag mapping -> loop nest
@dataclass(frozen=True)
class LoopNest:
    """A layer's mapping in tool-neutral form.

    ``loops``: temporal loops innermost first, as (accelkit dimension, factor).
    ``bounds[operand]``: the operand's memory levels innermost first, each with the number of ``loops`` at or
    below it (the last is the outermost level and covers every loop).
    ``spatial_rows`` / ``spatial_cols``: integer unrolling per array axis.
    """

    loops: tuple[tuple[LoopDim, int], ...]
    bounds: MappingABC[Operand, tuple[tuple[str, int], ...]]
    spatial_rows: MappingABC[LoopDim, int]
    spatial_cols: MappingABC[LoopDim, int]
    notes: tuple[str, ...] = ()

    @property
    def spatial(self) -> dict[LoopDim, int]:
        return {d: self.spatial_rows.get(d, 1) * self.spatial_cols.get(d, 1) for d in LOOP_DIMS}

    @property
    def temporal_iterations(self) -> int:
        return math.prod(f for _, f in self.loops)

    def describe(self) -> str:
        """Loops outermost first, with each operand's level boundaries marked."""
        marks: dict[int, list[str]] = {}
        for o, b in self.bounds.items():
            for name, n in b:
                marks.setdefault(n, []).append(f"{o.value[0].upper()}:{name}")
        parts = []
        for i in range(len(self.loops), -1, -1):
            if i in marks:
                parts.append("[" + " ".join(sorted(marks[i])) + "]")
            if i > 0:
                d, f = self.loops[i - 1]
                parts.append(f"{d}{f}")
        sp = " ".join(f"{d}{f}" for d, f in self.spatial.items() if f > 1)
        return " ".join(parts) + f"  | spatial {sp}"


def nest_from_cme(cme: Any, layer_dims: MappingABC[LoopDim, int], row_dims: list[str] | None = None) -> LoopNest:
    """The loop nest of ZigZag's evaluated mapping ``cme`` (a CostModelEvaluation)."""
    notes: list[str] = []
    tm = cme.temporal_mapping.mapping_dic_origin
    links = cme.layer.memory_operand_links
    hier = cme.accelerator.mem_hierarchy_dict
    sequences = []
    bounds: dict[Operand, tuple[tuple[str, int], ...]] = {}
    for layer_op, levels in tm.items():
        seq: list[tuple[LoopDim, int]] = []
        b: list[tuple[str, int]] = []
        mem_op = links.layer_to_mem_op(layer_op)
        names = [lv.name for lv in hier[mem_op]]
        for lv_loops, lv_name in zip(levels, names, strict=True):
            for dim, factor in lv_loops:
                f = float(factor)
                if abs(f - round(f)) > 1e-9:
                    raise ValueError(f"non-integer temporal factor {dim} {factor}")
                seq.append((ZZ_DIM[str(dim)], round(f)))
            b.append((lv_name, len(seq)))
        sequences.append(seq)
        bounds[ZZ_LAYER_OP[str(layer_op)]] = tuple(b)
    if any(s != sequences[0] for s in sequences):
        raise ValueError("ZigZag operands disagree on the loop order")
    loops = tuple(sequences[0])
    # integer spatial unrolling: the smallest factor that covers each dimension given the temporal loops
    # (ZigZag's energy model uses fractional unrollings such as K 12.8 when an axis does not divide a dimension)
    temporal = {d: 1 for d in LOOP_DIMS}
    for d, f in loops:
        temporal[d] *= f
    frac = {}
    for lst in cme.spatial_mapping.mapping_dict_origin.values():
        for lv in lst:
            for dim, factor in lv:
                frac[ZZ_DIM[str(dim)]] = float(factor)
        break
    spatial = {d: max(1, -(-layer_dims[d] // temporal[d])) for d in LOOP_DIMS}
    for d, f in frac.items():
        if abs(f - round(f)) > 1e-9:
            notes.append(f"ZigZag unrolls {d} by {f:.3g} on average (uneven last pass); accelkit uses {spatial[d]}")
    rows = {d: f for d, f in spatial.items() if f > 1 and row_dims and str(d) in row_dims}
    cols = {d: f for d, f in spatial.items() if f > 1 and d not in rows}
    return LoopNest(loops, bounds, rows, cols, tuple(notes))


# ---------------------------------------------------------------------------------------------------------------
# 3. accelkit's model at a loop nest
def _passthrough(per_pe: bool) -> MemoryLevel:
    """A storage-less level: holds no operand, only carries one loop at its exact position."""
    return MemoryLevel(
        name="",
        kind="regfile",
        capacity_bits=math.inf,
        width_bits=8.0,
        banks=1,
        read_bandwidth=math.inf,
        write_bandwidth=math.inf,
        operands=frozenset(),
        per_pe=per_pe,
    )


def _augmented(arch: Accelerator, nest: LoopNest, o: Operand) -> tuple[Accelerator, Mapping, list[int]]:
    """``arch`` reduced to ``o``'s levels with one pass-through level per loop; and the matching Mapping."""
    by_name = {lv.name: lv for lv in arch.levels}
    b = list(nest.bounds[o])
    levels: list[MemoryLevel] = []
    temporal: list[dict[LoopDim, int]] = []
    real_idx: list[int] = []
    for j in range(len(b) - 1, -1, -1):
        name, upto = b[j]
        below = b[j - 1][1] if j > 0 else 0
        real = by_name[name]
        ops = frozenset(OPERANDS) if j == len(b) - 1 else frozenset({o})
        real_idx.append(len(levels))
        levels.append(dataclasses.replace(real, operands=ops, partition=None))
        temporal.append({})
        for i in range(upto - 1, below - 1, -1):  # this level's loops, outermost first
            levels.append(dataclasses.replace(_passthrough(real.per_pe), name=f"~{name}.{i}"))
            d, f = nest.loops[i]
            temporal.append({d: f})
    aug = dataclasses.replace(arch, levels=tuple(levels))
    mapping = Mapping(
        spatial_rows=dict(nest.spatial_rows),
        spatial_cols=dict(nest.spatial_cols),
        temporal=tuple(temporal),
        orders=tuple(tuple(LOOP_DIMS) for _ in temporal),
        spatial_level=aug.spatial_level,
    )
    return aug, mapping, real_idx


def counts_at_nest(layer: Layer, arch: Accelerator, nest: LoopNest) -> AccessCounts:
    """accelkit's ``analyze`` counts for ``layer`` under ``nest`` on ``arch`` (merged per operand, real levels)."""
    traffic = {lv.name: LevelTraffic() for lv in arch.levels}
    noc = dict.fromkeys(OPERANDS, 0.0)
    spatial_adds = 0.0
    tiles: dict[str, dict[Operand, float]] = {lv.name: {} for lv in arch.levels}
    for o in OPERANDS:
        aug, mapping, real_idx = _augmented(arch, nest, o)
        c = analyze(layer, aug, mapping)
        for i in real_idx:
            name = aug.levels[i].name
            traffic[name].read_bits[o] += c.levels[name].read_bits[o]
            traffic[name].write_bits[o] += c.levels[name].write_bits[o]
            tiles[name][o] = c.tiles[name][o]
        noc[o] = c.noc_bits[o]
        if o is Operand.OUTPUT:
            spatial_adds = c.spatial_adds
    return AccessCounts(
        macs=layer.macs,
        compute_cycles=nest.temporal_iterations,
        active_pes=math.prod(nest.spatial.values()),
        levels=traffic,
        noc_bits=noc,
        spatial_adds=spatial_adds,
        tiles=tiles,
    )


def plain_mapping(arch: Accelerator, nest: LoopNest) -> Mapping | None:
    """The nest as an accelkit Mapping on ``arch`` itself, or None when it is not expressible as one.

    Expressible = every level's boundary is the same for all operands it holds and boundaries shrink inward.
    Loops of one level are merged per dimension (ordered by their outermost occurrence): that may change reuse,
    which is why the result is checked against ``counts_at_nest``.
    """
    boundary: dict[str, int] = {}
    for b in nest.bounds.values():
        for name, n in b:
            if boundary.setdefault(name, n) != n:
                return None
    names = [lv.name for lv in arch.levels]
    if set(boundary) != set(names):
        return None
    ups = [boundary[n] for n in names]
    if any(ups[i] < ups[i + 1] for i in range(len(ups) - 1)):
        return None
    temporal = []
    orders = []
    for i in range(len(names)):
        lo = ups[i + 1] if i + 1 < len(names) else 0
        fac = {d: 1 for d in LOOP_DIMS}
        first_seen: dict[LoopDim, int] = {}
        for k in range(lo, ups[i]):
            d, f = nest.loops[k]
            fac[d] *= f
            first_seen[d] = k  # ends at the outermost occurrence
        dims = sorted(LOOP_DIMS, key=lambda d: -first_seen.get(d, -1))
        temporal.append(fac)
        orders.append(tuple(dims))
    return Mapping(
        spatial_rows=dict(nest.spatial_rows),
        spatial_cols=dict(nest.spatial_cols),
        temporal=tuple(temporal),
        orders=tuple(orders),
        spatial_level=arch.spatial_level,
    )


def same_counts(a: AccessCounts, b: AccessCounts, rel: float = 1e-9) -> bool:
    for name, t in a.levels.items():
        u = b.levels[name]
        for o in OPERANDS:
            for x, y in ((t.read_bits[o], u.read_bits[o]), (t.write_bits[o], u.write_bits[o])):
                if abs(x - y) > rel * max(abs(x), abs(y), 1.0):
                    return False
    return True


@dataclass
class AccelkitResult:
    """accelkit's energy/latency for one layer under one mapping (SI units: J, cycles)."""

    energy_j: float
    cycles: float
    compute_cycles: float
    bound: str
    energy_by_level_j: dict[str, float]
    energy_by_level_operand_j: dict[str, dict[str, float]]
    words: dict[str, dict[str, dict[str, float]]]  # level -> operand -> {read, write} in words of the level
    extra: dict[str, Any] = field(default_factory=dict)


def price_counts(counts: AccessCounts, arch: Accelerator, costs: UnitCosts) -> AccelkitResult:
    """Dynamic energy with ``counts_energy`` (accelkit's own pricing of access counts), a per-level split, and the
    latency with the same rule as ``accelkit.evaluate`` (longest of compute and each level's read/write cycles at
    its bandwidth, per-PE levels in parallel over the active PEs)."""
    # dynamic energy only: ZigZag has no leakage; accelkit's leakage per cycle (``costs.leak_j_per_cycle``) is
    # reported apart, as ``accelkit.evaluate`` does (its layer energies are dynamic, leakage is one extra row)
    total = counts_energy(counts, arch, dataclasses.replace(costs, leak_j_per_cycle=0.0))
    by_level: dict[str, float] = {"mac": counts.macs * costs.mac_j}
    by_lo: dict[str, dict[str, float]] = {}
    words: dict[str, dict[str, dict[str, float]]] = {}
    cycles_by_level: dict[str, float] = {}
    for i, lv in enumerate(arch.levels):
        t = counts.levels[lv.name]
        by_lo[lv.name] = {}
        words[lv.name] = {}
        for o in OPERANDS:
            e = t.read_bits[o] * costs.read_j_per_bit[i] + t.write_bits[o] * costs.write_j_per_bit[i]
            if t.read_bits[o] or t.write_bits[o]:
                by_lo[lv.name][o.value] = e
                words[lv.name][o.value] = {
                    "read": t.read_bits[o] / lv.width_bits,
                    "write": t.write_bits[o] / lv.width_bits,
                }
        by_level[lv.name] = sum(by_lo[lv.name].values())
        n = max(counts.active_pes if lv.per_pe else 1, 1)
        rd, wr = t.total_read_bits, t.total_write_bits
        rc = rd / lv.width_bits / n / lv.read_bandwidth if rd else 0.0
        wc = wr / lv.width_bits / n / lv.write_bandwidth if wr else 0.0
        cycles_by_level[lv.name] = max(rc, wc)
    other = total - sum(by_level.values())
    if abs(other) > 1e-9 * max(total, 1e-30):
        by_level["noc+adder"] = other
    compute = float(counts.compute_cycles)
    worst = max(cycles_by_level, key=lambda k: cycles_by_level[k])
    cycles = max(compute, cycles_by_level[worst])
    return AccelkitResult(
        energy_j=total,
        cycles=cycles,
        compute_cycles=compute,
        bound="compute" if cycles == compute else worst,
        energy_by_level_j=by_level,
        energy_by_level_operand_j=by_lo,
        words=words,
        extra={"level_cycles": cycles_by_level, "leakage_j": counts.compute_cycles * costs.leak_j_per_cycle},
    )


def datapath_layer(layer: Layer, arch: Accelerator) -> Layer:
    """The layer at the hardware datapath's precision, as ``accelkit.evaluate``'s workload phase casts it
    (input and weight at the MAC's widths, final output at the input width; partial sums use the accumulator)."""
    pa = arch.pe_array
    return layer.with_(
        precision={Operand.INPUT: pa.mac_input, Operand.WEIGHT: pa.mac_weight, Operand.OUTPUT: pa.mac_input}
    )


# ---------------------------------------------------------------------------------------------------------------
# ZigZag-side numbers of one CME
def zigzag_breakdown(cme: Any) -> dict[str, Any]:
    """Energy (pJ) per memory level and per (level, operand), word accesses per direction, latency parts."""
    from zigzag.hardware.architecture.memory_port import DataDirection

    links = cme.layer.memory_operand_links
    hier = cme.accelerator.mem_hierarchy_dict
    by_level: dict[str, float] = {"mac": float(cme.mac_energy)}
    by_lo: dict[str, dict[str, float]] = {}
    words: dict[str, dict[str, dict[str, float]]] = {}
    for layer_op, energies in cme.mem_energy_breakdown.items():
        o = ZZ_LAYER_OP[str(layer_op)].value
        names = [lv.name for lv in hier[links.layer_to_mem_op(layer_op)]]
        for name, e, acc in zip(names, energies, cme.memory_word_access[layer_op], strict=False):
            by_level[name] = by_level.get(name, 0.0) + float(e)
            by_lo.setdefault(name, {})[o] = float(e)
            words.setdefault(name, {})[o] = {
                "read": float(acc.get(DataDirection.RD_OUT_TO_LOW) + acc.get(DataDirection.RD_OUT_TO_HIGH)),
                "write": float(acc.get(DataDirection.WR_IN_BY_LOW) + acc.get(DataDirection.WR_IN_BY_HIGH)),
                "rd_out_to_low": float(acc.get(DataDirection.RD_OUT_TO_LOW)),
                "rd_out_to_high": float(acc.get(DataDirection.RD_OUT_TO_HIGH)),
                "wr_in_by_low": float(acc.get(DataDirection.WR_IN_BY_LOW)),
                "wr_in_by_high": float(acc.get(DataDirection.WR_IN_BY_HIGH)),
            }
    return {
        "energy_pj": float(cme.energy_total),
        "latency_cycles": float(cme.latency_total2),
        "ideal_cycles": float(cme.ideal_cycle),
        "ideal_temporal_cycles": float(cme.ideal_temporal_cycle),
        "stall_cycles": float(cme.latency_total0 - cme.ideal_temporal_cycle),
        "onloading_cycles": float(cme.latency_total1 - cme.latency_total0),
        "offloading_cycles": float(cme.latency_total2 - cme.latency_total1),
        "energy_by_level_pj": by_level,
        "energy_by_level_operand_pj": by_lo,
        "words": words,
    }


# ---------------------------------------------------------------------------------------------------------------
# the other direction: ZigZag's cost model at an accelkit Mapping
def zigzag_at_mapping(template_cme: Any, arch: Accelerator, mapping: Mapping) -> tuple[Any | None, str]:
    """A ZigZag CostModelEvaluation of accelkit's ``mapping``, built on ``template_cme`` (same layer, accelerator and
    spatial unrolling), or (None, reason) when the mapping cannot be handed to ZigZag as it is.

    accelkit's loops (innermost first: its innermost level first, each level's order reversed) become ZigZag's
    single loop order; each ZigZag memory level of an operand gets the loops between its tile boundary and the
    next inner level holding that operand, exactly as ``analyze`` sees them.
    """
    from zigzag.cost_model.cost_model import CostModelEvaluation
    from zigzag.mapping.temporal_mapping import TemporalMapping, TemporalMappingType

    layer = template_cme.layer
    sizes = layer.layer_dim_sizes
    zz_dims = {str(d): d for d in sizes.layer_dims}
    # accelkit dim -> the ZigZag LayerDim of this layer (the one with size > 1 when several map to it)
    ak_to_zz: dict[LoopDim, Any] = {}
    for name, d in zz_dims.items():
        ak = ZZ_DIM.get(name)
        if ak is not None and (ak not in ak_to_zz or sizes[d] > 1):
            ak_to_zz[ak] = d
    # ZigZag's integer unrolling of this layer, per accelkit dimension
    spatial_zz: dict[LoopDim, float] = {}
    for lst in template_cme.spatial_mapping.mapping_dict_origin.values():
        for lv in lst:
            for d, f in lv:
                spatial_zz[ZZ_DIM[str(d)]] = float(f)
        break
    sp = mapping.spatial
    for d in LOOP_DIMS:
        want = sp[d]
        have = spatial_zz.get(d, 1.0)
        if abs(want - have) > 1e-9:
            return None, f"spatial unrolling differs (accelkit {d}{want}, ZigZag {d}{have:g})"
    for d in LOOP_DIMS:
        size = sizes[ak_to_zz[d]] if d in ak_to_zz else 1
        if mapping.extent(d) != size:
            return None, f"accelkit pads {d} from {size} to {mapping.extent(d)}"
    L = len(arch.levels)
    seq: list[tuple[int, LoopDim, int]] = []  # (accelkit level, dim, factor), innermost first
    for m in range(L - 1, -1, -1):
        for d in reversed(mapping.orders[m]):
            f = mapping.temporal[m][d]
            if f > 1:
                seq.append((m, d, f))
    links = layer.memory_operand_links
    hier = template_cme.accelerator.mem_hierarchy_dict
    index = {lv.name: i for i, lv in enumerate(arch.levels)}
    tm_dict: dict[Any, list[list[tuple[Any, int]]]] = {}
    for layer_op in template_cme.temporal_mapping.mapping_dic_origin:
        names = [lv.name for lv in hier[links.layer_to_mem_op(layer_op)]]  # innermost first
        levels: list[list[tuple[Any, int]]] = [[] for _ in names]
        for m, d, f in seq:
            # the innermost of this operand's levels at or above accelkit level m holds the loop
            j = next(j for j, n in enumerate(names) if index[n] <= m)
            levels[j].append((ak_to_zz[d], f))
        tm_dict[layer_op] = levels
    tm = TemporalMapping(tm_dict, layer, TemporalMappingType.UNEVEN)
    cme = CostModelEvaluation(
        accelerator=template_cme.accelerator,
        layer=layer,
        spatial_mapping=template_cme.spatial_mapping,
        spatial_mapping_int=template_cme.spatial_mapping_int,
        temporal_mapping=tm,
        access_same_data_considered_as_no_access=template_cme.access_same_data_considered_as_no_access,
    )
    return cme, ""
