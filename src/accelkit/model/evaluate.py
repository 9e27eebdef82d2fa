"""evaluate(): one fixed sequence of pure phases — resolve, workload, hardware, mapping, counts, pricing, aggregate.

Modelling conventions (stated once; the closing notes of the cost-model issue discuss their limits):

* **Precision.** Operands are stored and moved at the hardware datapath's precision (the MAC unit's input and
  weight widths, partial sums at the accumulator width); where the network's own precision differs, the layer
  is cast and the evaluation's provenance says so. Narrower per-layer precision is the quantization block's job.
* **Residency.** With ``residency="dram"`` every layer reads its inputs from and writes its outputs to the
  outermost level (DRAM), layer by layer, as Timeloop and ZigZag do. With ``"on_chip"`` the whole model —
  every weight and the peak of live activations — sits in the outermost on-chip level (which must hold every
  operand), so inferences touch no DRAM (loading the weights once at boot is not charged per inference), as a
  tinyML deployment does. ``"auto"`` (the default) picks ``on_chip`` when the model fits, else ``dram``.
  Keeping activations on chip for a model that does not fit is the layer-fusion block's job.
* **Non-MAC layers** (pooling, elementwise, data movement) run on a vector datapath with one lane per PE: their
  operations cost one accumulator-width add each; their data is staged through the innermost shared level.
* **Latency.** A level's transfers overlap with compute (prefetching, double buffering) unless the level says
  ``overlapped: false``: a layer takes the longest of its compute cycles and every overlapped level's read and
  write cycles at its bandwidth, plus the cycles of every non-overlapped level, which stall compute (a DRAM bus
  is half-duplex: its reads and writes add up; on-chip read and write ports work side by side). The mapper's
  latency and EDP objectives use the same rule. Stall = latency - compute.
* **Clock network.** Every clocked sink -- each flip-flop bit of a register file priced as a flip-flop array, the
  operand/pipeline/accumulator registers of every MAC unit, one clock pin per latch-memory row and per SRAM bank
  (an SRAM macro's internal clocking is inside its per-access energy) -- sees its clock toggle every cycle:
  ``E_clock = cycles x sinks x (C_pin (1 + tree overhead) + C_internal) V^2``, C_internal the flip-flop's own
  clock energy per cycle from the liberty (:mod:`accelkit.estimators.builtin`, ``clock_45nm.yaml``). **Without
  clock gating, clock power is charged for every cycle of the run (stalls included) on all clocked bits**, idle
  PEs and untouched levels alike; one breakdown row per layer (component ``clock``, operand ``-``, action
  ``tick``, count = cycles). The ``clock_gating`` block stops the clock of idle PEs and levels. The mapper sees
  the clock energy per cycle like leakage.
* **Power** = dynamic energy (clock included) / latency + leakage (every on-chip level and the MAC array, for the
  whole latency).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from accelkit.errors import AccelkitError
from accelkit.hardware.accelerator import Accelerator
from accelkit.mapping.mapping import Mapping
from accelkit.mapping.reuse import OPERANDS, AccessCounts, analyze
from accelkit.mapping.search import MappingError, Objective, search
from accelkit.model.pricing import PricedAccelerator, price
from accelkit.optimizations.base import (
    CLOCK_KEY,
    QUANTIZED,
    CountsContext,
    LayerCounts,
    Optimization,
)
from accelkit.workload.batch import batch_of, rebatch
from accelkit.workload.ir import Layer, LoopDim, Network, Operand
from accelkit.workload.stats import storage_bytes

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

#: the breakdown key of a layer's clock-network energy (energy_factor key for clock gating)


@dataclass(frozen=True)
class BreakdownRow:
    """One row of the tidy energy breakdown: layer x component x operand x action."""

    layer: str
    component: str  # a memory level name, "mac", "noc", "adder", "clock" or "leakage"
    operand: str  # input, weight, output, or "-"
    action: str  # read, write, mac, transfer, add, tick, static
    count: float  # bits for memory/noc rows, operations for mac/add rows, cycles for clock, seconds for leakage
    energy_j: float


@dataclass(frozen=True)
class LayerResult:
    name: str
    op: str
    macs: int
    ops: int
    mapping: Mapping | None
    cycles: float
    compute_cycles: float
    energy_j: float  # dynamic
    energy_by_level_j: dict[str, float]
    traffic_bytes: dict[str, float]
    utilization: float
    latency_s: float
    bound: str  # "compute" or the name of the level whose bandwidth limits the layer
    notes: tuple[str, ...] = ()  # what blocks did to this layer

    def to_dict(self) -> dict[str, Any]:
        """The per-layer record of the ``evaluate --json`` output contract."""
        return {
            "name": self.name,
            "op": self.op,
            "macs": self.macs,
            "ops": self.ops,
            "energy_j": self.energy_j,
            "latency_s": self.latency_s,
            "cycles": self.cycles,
            "compute_cycles": self.compute_cycles,
            "utilization": self.utilization,
            "bound": self.bound,
            "traffic_bytes": dict(self.traffic_bytes),
            "energy_by_level_j": dict(self.energy_by_level_j),
            "mapping": self.mapping.to_dict() if self.mapping else None,
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class Evaluation:
    """The result of :func:`evaluate`: totals, per-layer results, a tidy breakdown, and provenance."""

    network: Network
    accelerator: Accelerator
    priced: PricedAccelerator
    objective: str
    layers: tuple[LayerResult, ...]
    breakdown: tuple[BreakdownRow, ...]
    provenance: dict[str, Any] = field(default_factory=dict)
    #: the blocks applied, in application order (empty for a plain evaluation)
    blocks: tuple[Any, ...] = ()
    #: inferences per second the system must sustain (None: back to back, average power = active power)
    inference_rate_ips: float | None = None
    #: power drawn between runs at that rate (None: the leakage of the whole chip; power gating lowers it)
    idle_power_w: float | None = None
    #: energy spent once per run period outside the layers (e.g. waking from power gating), J
    period_energy_j: float = 0.0
    #: storage figures a block changed (``weight_bytes``, ``activation_peak_bytes``): see :meth:`memory`
    footprint_overrides: dict[str, float] = field(default_factory=dict)

    # ---- totals -------------------------------------------------------------------------------------------
    @property
    def latency_s(self) -> float:
        return sum(r.latency_s for r in self.layers)

    @property
    def cycles(self) -> float:
        return sum(r.cycles for r in self.layers)

    @property
    def dynamic_energy_j(self) -> float:
        return sum(r.energy_j for r in self.breakdown if r.component != "leakage")

    @property
    def leakage_energy_j(self) -> float:
        return sum(r.energy_j for r in self.breakdown if r.component == "leakage")

    @property
    def energy_j(self) -> float:
        """Energy per run of the network (one batch): the sum of the breakdown (dynamic + leakage)."""
        return sum(r.energy_j for r in self.breakdown)

    @property
    def batch(self) -> int:
        return int(self.provenance.get("batch", 1))

    @property
    def energy_per_inference_j(self) -> float:
        return self.energy_j / self.batch

    @property
    def throughput_ips(self) -> float:
        return self.batch / self.latency_s if self.latency_s > 0 else math.inf

    @property
    def power_w(self) -> float:
        """Power while running (energy of a run over its latency)."""
        return self.energy_j / self.latency_s if self.latency_s > 0 else 0.0

    @property
    def period_s(self) -> float:
        """Time between runs at the required inference rate (the latency when running back to back)."""
        if self.inference_rate_ips is None:
            return self.latency_s
        return max(self.batch / self.inference_rate_ips, self.latency_s)

    @property
    def meets_rate(self) -> bool:
        """Whether the design sustains the required inference rate (always true without one)."""
        return self.inference_rate_ips is None or self.throughput_ips >= self.inference_rate_ips * (1 - 1e-12)

    @property
    def average_power_w(self) -> float:
        """Average power at the required rate: runs, idle time at the idle power, per-period energy.

        Without a rate, or when the design cannot sustain it, the design runs back to back (= ``power_w``).
        """
        period = self.period_s
        if period <= 0:
            return 0.0
        idle_w = self.priced.leakage_w if self.idle_power_w is None else self.idle_power_w
        idle = max(period - self.latency_s, 0.0)
        return (self.energy_j + self.period_energy_j + idle_w * idle) / period

    @property
    def macs(self) -> int:
        return sum(r.macs for r in self.layers)

    @property
    def utilization(self) -> float:
        peak = self.accelerator.pe_array.pes * self.accelerator.pe_array.macs_per_pe
        return self.macs / (self.cycles * peak) if self.cycles else 0.0

    @property
    def tops_per_w(self) -> float:
        """Effective TOPS/W (2 ops per MAC) over the whole run, leakage included."""
        return 2 * self.macs / self.energy_j / 1e12 if self.energy_j else 0.0

    @property
    def area_mm2(self) -> float:
        return self.priced.area_m2 * 1e6

    def energy_by_level_j(self) -> dict[str, float]:
        """Energy per component: every memory level (zero when untouched), the MACs, NoC, adders and leakage."""
        out: dict[str, float] = {"mac": 0.0, **{lv.name: 0.0 for lv in self.accelerator.levels}}
        for row in self.breakdown:
            out[row.component] = out.get(row.component, 0.0) + row.energy_j
        return out

    def traffic_bytes(self) -> dict[str, float]:
        out = {lv.name: 0.0 for lv in self.accelerator.levels}
        for r in self.layers:
            for k, v in r.traffic_bytes.items():
                out[k] += v
        return out

    def memory(self) -> dict[str, Any]:
        """Footprint against on-chip capacity: do the weights and the peak live activations fit?

        Weights count as stored (compressed where a block compresses them, metadata included); blocks that
        change the activation peak (layer fusion) say so in ``footprint_overrides``.
        """
        weights, acts = storage_bytes(self.network)
        weights = self.footprint_overrides.get("weight_bytes", weights)
        acts = self.footprint_overrides.get("activation_peak_bytes", acts)
        on_chip = [lv for lv in self.accelerator.levels if lv.kind != "dram" and not lv.per_pe]
        cap = sum(lv.capacity_bits for lv in on_chip) / 8
        return {
            "weight_bytes": weights,
            "activation_peak_bytes": acts,
            "footprint_bytes": weights + acts,
            "on_chip_shared_bytes": cap,
            "weights_fit_on_chip": weights <= cap,
            "activations_fit_on_chip": acts <= cap,
            "all_fit_on_chip": weights + acts <= cap,
        }

    def totals(self) -> dict[str, Any]:
        """The ``totals`` object of the output contract (SI units, names say the unit)."""
        return {
            "energy_j": self.energy_j,
            "energy_per_inference_j": self.energy_per_inference_j,
            "dynamic_energy_j": self.dynamic_energy_j,
            "leakage_energy_j": self.leakage_energy_j,
            "latency_s": self.latency_s,
            "cycles": self.cycles,
            "throughput_ips": self.throughput_ips,
            "power_w": self.power_w,
            "average_power_w": self.average_power_w,
            "inference_rate_ips": self.inference_rate_ips,
            "meets_rate": self.meets_rate,
            "leakage_power_w": self.priced.leakage_w,
            "area_mm2": self.area_mm2,
            "utilization": self.utilization,
            "tops_per_w": self.tops_per_w,
            "energy_per_mac_j": self.energy_j / self.macs if self.macs else None,
            "traffic_bytes": self.traffic_bytes(),
            "energy_by_level_j": self.energy_by_level_j(),
            "memory": self.memory(),
            "area_by_component_mm2": {k: v * 1e6 for k, v in self.priced.area_by_component_m2().items()},
        }

    def _repr_html_(self) -> str:
        """Notebook display: the summary, the per-layer table and the breakdown."""
        from accelkit.report.notebook import evaluation_html

        return evaluation_html(self)

    def to_dataframe(self) -> pd.DataFrame:
        """The tidy breakdown: one row per layer x component x operand x action."""
        import pandas as pd

        return pd.DataFrame([r.__dict__ for r in self.breakdown])

    def layers_dataframe(self) -> pd.DataFrame:
        """One row per layer; traffic and energy per level flattened into columns."""
        import pandas as pd

        rows = []
        for r in self.layers:
            d = r.to_dict()
            traffic, energy = d.pop("traffic_bytes"), d.pop("energy_by_level_j")
            d.pop("mapping")
            d["notes"] = "; ".join(d["notes"])
            rows.append(
                {
                    **d,
                    **{f"traffic_{k}_bytes": v for k, v in traffic.items()},
                    **{f"energy_{k}_j": v for k, v in energy.items()},
                }
            )
        return pd.DataFrame(rows)


# ---- phases ---------------------------------------------------------------------------------------------------
def _cast_to_datapath(net: Network, arch: Accelerator) -> tuple[Network, list[str]]:
    """Workload phase: operands take the hardware datapath's precision (see the module docstring).

    Operands whose precision a block set (``layer.attrs[QUANTIZED]``) keep it when it is no wider than the datapath
    (stored and moved narrow, computed on the wider MAC); wider ones cannot run on this datapath.
    """
    pa = arch.pe_array
    target = {Operand.INPUT: pa.mac_input, Operand.WEIGHT: pa.mac_weight, Operand.OUTPUT: pa.mac_input}
    cast: list[str] = []
    layers = []
    for layer in net.layers:
        prec = dict(layer.precision)
        kept = {Operand(o) for o in layer.attrs.get(QUANTIZED, ())}
        changed = False
        for o, dt in target.items():
            if o in kept:
                if prec[o].bits > dt.bits:
                    raise AccelkitError(
                        f"layer {layer.name!r}: {o.value} precision {prec[o]} is wider than the MAC datapath's "
                        f"{dt} on {arch.name!r}; widen the datapath (quantization block: datapath: match) or "
                        "quantize to at most the datapath width"
                    )
                continue
            if prec[o] != dt:
                prec[o] = dt
                changed = True
        if changed:
            cast.append(layer.name)
            # biases join the partial sums: they take the accumulator's precision
            layer = layer.with_(precision=prec, bias_dtype=pa.mac_output if layer.bias else None)
        layers.append(layer)
    # activation tensors are stored at the datapath's activation precision too (the footprint and the residency
    # decision read tensor dtypes), except those a block set: outputs of layers whose output it quantized, and
    # network inputs read by layers whose input it quantized
    kept_tensors = set()
    for layer in net.layers:
        kept = set(layer.attrs.get(QUANTIZED, ()))
        if Operand.OUTPUT in kept:  # a StrEnum: equal to its name
            kept_tensors.update(net.base_tensor(t) for t in layer.outputs)
        if Operand.INPUT in kept:
            kept_tensors.update(net.base_tensor(t) for t in layer.inputs if net.base_tensor(t) in net.inputs)
    act = target[Operand.INPUT]
    tensors = dict(net.tensors)
    retyped = False
    for name, t in net.tensors.items():
        if not t.is_constant and t.alias_of is None and name not in kept_tensors and t.dtype != act:
            tensors[name] = replace(t, dtype=act)
            retyped = True
    if not cast and not retyped:
        return net, cast
    return net.with_layers(layers, tensors=tensors), cast


def _mapping_key(layer: Layer) -> tuple[Any, ...]:
    return (
        tuple(layer.dims[d] for d in LoopDim),
        layer.stride,
        layer.dilation,
        layer.padding,  # input tiles are clamped to the unpadded input: padding changes tile sizes
        layer.transposed,
        tuple(layer.precision[o].bits for o in OPERANDS),
        layer.weight_source.value,
    )


def _structure_key(arch: Accelerator) -> str:
    """What the mapper sees of an accelerator besides prices: the PE array, the levels, the NoC, the dataflow
    (not its name, technology or operating point, which reach the mapper only through the prices)."""
    return repr((arch.pe_array, arch.levels, arch.noc, arch.dataflow))


def _cost_key(costs: Any) -> tuple[float, ...]:
    """Prices up to a common factor: the best mapping under the energy, latency or EDP objective does not change
    when every price scales alike (a supply-voltage sweep), so such designs share their mapping searches."""
    values = [*costs.read_j_per_bit, *costs.write_j_per_bit, costs.mac_j, costs.noc_j_per_bit, costs.add_j]
    values.append(costs.leak_j_per_cycle)
    scale = max((abs(v) for v in values), default=0.0) or 1.0
    return tuple(float(f"{v / scale:.10g}") for v in values)


def layer_cycles(compute: float, level_cycles: dict[str, float], arch: Accelerator) -> tuple[float, str]:
    """A layer's cycles and what bounds them: overlapped levels' transfers hide behind compute (the longest of
    them all counts), a non-overlapped level's transfers stall compute and add (``MemoryLevel.overlapped``)."""
    hidden = {n: c for n, c in level_cycles.items() if arch.level(n).overlapped}
    stalls = {n: c for n, c in level_cycles.items() if not arch.level(n).overlapped}
    busy = max([compute, *hidden.values()])
    cycles = busy + sum(stalls.values())
    if cycles == compute:
        return cycles, "compute"
    candidates = {**{n: c for n, c in hidden.items() if c == busy and c > compute}, **stalls}
    bound = max(candidates, key=lambda n: candidates[n]) if candidates else "compute"
    return cycles, bound


def _level_cycles(counts_bits: dict[str, tuple[float, float]], arch: Accelerator, active: int) -> dict[str, float]:
    out = {}
    for lv, inst in zip(arch.levels, arch.instances, strict=True):
        rd, wr = counts_bits[lv.name]
        n = active if lv.per_pe else inst
        n = max(n, 1)
        rc = rd / lv.width_bits / n / lv.read_bandwidth if rd else 0.0
        wc = wr / lv.width_bits / n / lv.write_bandwidth if wr else 0.0
        # a DRAM bus is half-duplex: its reads and writes take turns; on-chip ports run side by side
        out[lv.name] = rc + wc if lv.kind == "dram" else max(rc, wc)
    return out


def _price_layer(
    lc: LayerCounts, priced: PricedAccelerator
) -> tuple[list[BreakdownRow], dict[str, float], dict[str, float]]:
    """Pricing of one layer's counts: breakdown rows, energy per component, bytes moved per level."""
    layer, counts, ef = lc.layer, lc.counts, lc.energy_factor
    rows: list[BreakdownRow] = []
    by_level: dict[str, float] = {}
    traffic: dict[str, float] = {}
    arch = priced.arch
    mac_e = lc.macs * lc.mac_j * ef.get(("mac", "-", "mac"), 1.0)
    rows.append(BreakdownRow(layer.name, "mac", "-", "mac", lc.macs, mac_e))
    by_level["mac"] = mac_e
    for lv, lp in zip(arch.levels, priced.levels, strict=True):
        t = counts.levels[lv.name]
        e_total = 0.0
        for o in OPERANDS:
            for action, bits, per_word in (
                ("read", t.read_bits[o], lp.read.value),
                ("write", t.write_bits[o], lp.write.value),
            ):
                if bits:
                    e = bits / lv.width_bits * per_word * ef.get((lv.name, o.value, action), 1.0)
                    rows.append(BreakdownRow(layer.name, lv.name, o.value, action, bits, e))
                    e_total += e
        by_level[lv.name] = e_total
        traffic[lv.name] = (t.total_read_bits + t.total_write_bits) / 8
    noc_e = 0.0
    for o in OPERANDS:
        bits = counts.noc_bits[o]
        if bits:
            e = bits / priced.noc_width_bits * priced.noc.value * ef.get(("noc", o.value, "transfer"), 1.0)
            rows.append(BreakdownRow(layer.name, "noc", o.value, "transfer", bits, e))
            noc_e += e
    by_level["noc"] = noc_e
    if counts.spatial_adds:
        e = counts.spatial_adds * priced.adder.value * ef.get(("adder", "output", "add"), 1.0)
        rows.append(BreakdownRow(layer.name, "adder", "output", "add", counts.spatial_adds, e))
        by_level["adder"] = e
    for x in lc.extra:
        rows.append(BreakdownRow(layer.name, x.component, x.operand, x.action, x.count, x.energy_j))
        by_level[x.component] = by_level.get(x.component, 0.0) + x.energy_j
        if x.component in traffic:
            traffic[x.component] += x.count / 8
    return rows, by_level, traffic


def _vector_layer(layer: Layer, net: Network, priced: PricedAccelerator) -> tuple[AccessCounts, float]:
    """Counts for a pooling / elementwise / data-movement layer on the vector datapath."""
    from accelkit.mapping.reuse import LevelTraffic

    arch = priced.arch
    in_bits = sum(
        net.tensors[net.base_tensor(t)].elements * layer.bits_of(Operand.INPUT)
        for t in dict.fromkeys(layer.inputs)
        if not net.tensors[net.base_tensor(t)].is_constant
    )
    out_bits = sum(net.tensors[t].elements * layer.bits_of(Operand.OUTPUT) for t in layer.outputs)
    if layer.attrs.get("fn") == "gather":  # an embedding lookup fetches one table row per output row
        in_bits += out_bits
    traffic = {lv.name: LevelTraffic() for lv in arch.levels}
    top = arch.levels[0].name
    traffic[top].read_bits[Operand.INPUT] += in_bits
    traffic[top].write_bits[Operand.OUTPUT] += out_bits
    staging = [lv for lv in arch.levels[1:] if not lv.per_pe]
    if staging:
        st = staging[-1].name
        traffic[st].write_bits[Operand.INPUT] += in_bits
        traffic[st].read_bits[Operand.INPUT] += in_bits
        traffic[st].write_bits[Operand.OUTPUT] += out_bits
        traffic[st].read_bits[Operand.OUTPUT] += out_bits
    lanes = arch.pe_array.pes
    compute = max(math.ceil(layer.ops / lanes), 1)
    counts = AccessCounts(
        macs=0,
        compute_cycles=compute,
        active_pes=min(lanes, max(layer.ops, 1)),
        levels=traffic,
        noc_bits=dict.fromkeys(OPERANDS, 0.0),
        spatial_adds=float(layer.ops),
        tiles={},
    )
    return counts, compute


def _map_layers(
    work: Network,
    arch: Accelerator,
    priced: PricedAccelerator,
    *,
    resident: bool,
    objective: Objective,
    dataflow: str | None,
    progress: Callable[[int, int, str], None] | None,
    blocks: tuple[Optimization, ...] = (),
    mapping_cache: dict[Any, Mapping] | None = None,
) -> tuple[list[LayerResult], list[BreakdownRow], dict[tuple[Any, ...], Mapping]]:
    """Mapping, counts and pricing phases for every layer (on the hierarchy without DRAM when ``resident``)."""
    map_arch, map_priced = arch, priced
    if resident:
        map_arch = replace(arch, levels=arch.levels[1:])
        map_priced = replace(priced, arch=map_arch, levels=priced.levels[1:])
    costs = map_priced.unit_costs
    # mappings depend on the layer's loop nest, the hierarchy and its prices, the objective and the dataflow:
    # a cache shared across evaluations (attribution, sweeps) keys on all of them
    context_key = (_structure_key(map_arch), _cost_key(costs), objective, dataflow)
    shared = mapping_cache if mapping_cache is not None else {}
    cache: dict[tuple[Any, ...], Mapping] = {}
    counts_hooks = [b for b in blocks if b.overrides("counts")]
    ctx = CountsContext(work, arch, priced, resident, tuple(lv.name for lv in map_arch.levels))
    layer_results: list[LayerResult] = []
    rows: list[BreakdownRow] = []
    n_layers = len(work.layers)
    for i, layer in enumerate(work.layers):
        if progress:
            progress(i, n_layers, layer.name)
        mapping = None
        if layer.op.is_mac:
            key = _mapping_key(layer)
            mapping = cache.get(key) or shared.get((key, context_key))
            if mapping is None:
                mapping = search(layer, map_arch, costs, objective=objective, dataflow=dataflow)
                shared[(key, context_key)] = mapping
            cache[key] = mapping
            counts = analyze(layer, map_arch, mapping)
            compute = float(mapping.temporal_iterations)
        else:
            counts, compute = _vector_layer(layer, work, map_priced)
        lc = LayerCounts(layer, counts, compute, map_priced.mac.value, float(counts.macs))
        for b in counts_hooks:
            lc = b.counts(lc, ctx)
        counts, compute = lc.counts, lc.compute_cycles
        lrows, by_level, traffic = _price_layer(lc, map_priced)
        for lv in arch.levels[: len(arch.levels) - len(map_arch.levels)]:
            by_level.setdefault(lv.name, 0.0)
            traffic.setdefault(lv.name, 0.0)
        rows.extend(lrows)
        level_bits = {
            lv.name: (counts.levels[lv.name].total_read_bits, counts.levels[lv.name].total_write_bits)
            for lv in map_arch.levels
        }
        for x in lc.extra:  # metadata and other bits a block moves also use the level's bandwidth
            if x.component in level_bits:
                rd, wr = level_bits[x.component]
                level_bits[x.component] = (rd + x.count, wr) if x.action.endswith("read") else (rd, wr + x.count)
        lc_cycles = _level_cycles(level_bits, map_arch, counts.active_pes)
        cycles, bound = layer_cycles(compute, lc_cycles, map_arch)
        # the clock network ticks every cycle the layer runs, stalls included (no clock gating in the baseline;
        # the clock_gating block scales this row through energy_factor[CLOCK_KEY])
        clock_e = cycles * priced.clock_j_per_cycle * lc.energy_factor.get(CLOCK_KEY, 1.0)
        if priced.clock is not None:
            clock_row = BreakdownRow(layer.name, "clock", "-", "tick", cycles, clock_e)
            lrows.append(clock_row)
            rows.append(clock_row)
            by_level["clock"] = clock_e
        peak = arch.pe_array.pes * arch.pe_array.macs_per_pe
        layer_results.append(
            LayerResult(
                name=layer.name,
                op=layer.op.value,
                macs=layer.macs,
                ops=layer.ops,
                mapping=mapping,
                cycles=cycles,
                compute_cycles=compute,
                energy_j=sum(r.energy_j for r in lrows),
                energy_by_level_j=by_level,
                traffic_bytes=traffic,
                utilization=layer.macs / (cycles * peak) if cycles and layer.macs else 0.0,
                latency_s=cycles / arch.clock_hz,
                bound=bound,
                notes=lc.notes,
            )
        )
    return layer_results, rows, cache


def evaluate(
    network: Any,
    accelerator: Any = None,
    *,
    objective: Objective | None = None,
    batch: int | None = None,
    dataflow: str | None = None,
    residency: str | None = None,
    optimizations: Sequence[Any] | None = None,
    inference_rate: float | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    mapping_cache: dict[Any, Mapping] | None = None,
) -> Evaluation:
    """Map every layer of ``network`` on ``accelerator`` and report energy, latency, power, area, memory.

    ``network``: a Network, zoo name, model file or spec; ``accelerator``: a preset name, YAML file, spec or
    Accelerator. Or pass a study (a :class:`~accelkit.spec.study.StudySpec` or a study YAML file) as ``network``
    and no accelerator: its network, accelerator, blocks and evaluation options are used (keyword arguments
    given here win). ``batch`` re-batches a zoo network (its ``batch`` parameter) or an imported one.
    ``optimizations``: blocks (instances, specs or ``{"kind": ...}`` mappings) applied through the phase hooks.
    ``inference_rate`` (inferences/s) sets the operating point for the average power. ``mapping_cache``: a dict
    shared between evaluations to reuse mapping searches (attribution and sweeps pass one).

    The default mapping objective is the energy-delay product: minimizing energy alone picks arbitrarily slow
    mappings whenever they tie on energy (leakage is small), which no real compiler does; EDP reproduces, e.g.,
    the active-PE counts Eyeriss publishes for AlexNet at practically the energy optimum.
    """
    from accelkit.optimizations.base import ordered, resolve_blocks
    from accelkit.presets import load_accelerator, load_accelerator_spec
    from accelkit.workload.loader import load_network

    if accelerator is None:
        from accelkit.model.study import load_study

        study = load_study(network)
        where = study.source
        opts = study.evaluate
        network, accelerator = study.network_source(), study.accelerator_source()
        objective = objective or opts.objective
        batch = batch if batch is not None else opts.batch
        dataflow = dataflow if dataflow is not None else opts.dataflow
        residency = residency or opts.residency
        inference_rate = inference_rate if inference_rate is not None else opts.inference_rate_ips
        if optimizations is None:
            optimizations = study.blocks_resolved()
    else:
        where = None
    objective = objective or "edp"
    residency = residency or "auto"
    if objective not in ("energy", "latency", "edp"):
        raise AccelkitError(f"unknown objective {objective!r}; expected energy, latency or edp")
    if inference_rate is not None and not (inference_rate > 0 and math.isfinite(inference_rate)):
        raise AccelkitError(f"inference_rate must be a positive number of inferences per second, got {inference_rate}")
    blocks = tuple(ordered(resolve_blocks(optimizations, prefix="optimizations")))
    # resolve
    if batch is not None and isinstance(network, str):
        from accelkit.workload import zoo

        net = load_network(network, batch=batch) if zoo.is_zoo_name(network) else rebatch(load_network(network), batch)
    else:
        net = load_network(network)
        if batch is not None:
            net = rebatch(net, batch)
    spec_hooks = [b for b in blocks if b.overrides("accelerator_spec")]
    if spec_hooks:
        if isinstance(accelerator, Accelerator):
            raise AccelkitError(
                f"block {spec_hooks[0].label!r} changes the accelerator description; pass the accelerator as a "
                "preset name, YAML file or AcceleratorSpec, not a resolved Accelerator"
            )
        acc_spec = load_accelerator_spec(accelerator)
        for b in spec_hooks:
            acc_spec = b.accelerator_spec(acc_spec, net)
        arch = load_accelerator(acc_spec)
    else:
        arch = load_accelerator(accelerator)
    if dataflow is not None:
        from accelkit.mapping.dataflows import DATAFLOWS

        DATAFLOWS.get(dataflow)  # unknown names raise with suggestions
    # workload
    for b in blocks:
        if b.overrides("network"):
            net = b.network(net, arch)
    # hardware
    for b in blocks:
        if b.overrides("accelerator"):
            arch = b.accelerator(arch, net)
    problems = [(f"{b.label}.{path}" if path else b.label, msg) for b in blocks for path, msg in b.check(net, arch)]
    if problems:
        from accelkit.errors import SpecError

        raise SpecError(problems, source=where or "optimization blocks")
    work, cast = _cast_to_datapath(net, arch)
    # pricing
    priced = price(arch)
    for b in blocks:
        if b.overrides("prices"):
            priced = b.prices(priced, work)
    resident = _resident(work, arch, residency)
    run = functools.partial(
        _map_layers,
        work,
        arch,
        priced,
        objective=objective,
        dataflow=dataflow,
        progress=progress,
        blocks=blocks,
        mapping_cache=mapping_cache,
    )
    if resident:  # the outermost on-chip level is the top of the hierarchy: no DRAM traffic per inference
        try:
            layer_results, rows, cache = run(resident=True)
        except MappingError as exc:  # e.g. a layer's partial sums at accumulator width overflow the buffer
            if residency == "on_chip":
                raise AccelkitError(f"residency 'on_chip' is impossible on {arch.name!r}: {exc}") from None
            resident = False
    if not resident:
        try:
            layer_results, rows, cache = run(resident=False)
        except MappingError as exc:
            if not blocks:
                raise
            labels = ", ".join(b.label for b in blocks)
            raise MappingError(f"{exc} (with the blocks {labels} applied: one of them may be the cause)") from None
    n_layers = len(work.layers)
    if progress:
        progress(n_layers, n_layers, "")
    latency = sum(r.latency_s for r in layer_results)
    rows.append(BreakdownRow("(all)", "leakage", "-", "static", latency, priced.leakage_w * latency))
    ev = Evaluation(
        network=work,
        accelerator=arch,
        priced=priced,
        objective=objective,
        layers=tuple(layer_results),
        breakdown=tuple(rows),
        provenance={
            "batch": batch_of(net),
            "precision_cast_layers": cast,
            "residency": "on_chip" if resident else "dram",
            "mappings_searched": len(cache),
            "estimators": priced.sources,
            "network": dict(net.provenance),
            "blocks": [
                {"kind": b.kind, "label": b.label, **b.spec.model_dump(exclude={"kind", "label"})} for b in blocks
            ],
        },
        blocks=blocks,
        inference_rate_ips=inference_rate,
    )
    for b in blocks:
        if b.overrides("evaluation"):
            ev = b.evaluation(ev)
    return ev


def _resident(net: Network, arch: Accelerator, residency: str) -> bool:
    """Whether the whole model stays on chip (see the module docstring)."""

    if residency not in ("auto", "dram", "on_chip"):
        raise AccelkitError(f"unknown residency {residency!r}; expected auto, dram or on_chip")
    if residency == "dram":
        return False
    on_chip = [lv for lv in arch.levels if lv.kind != "dram"]
    top = on_chip[0] if on_chip else None
    problem = None
    if arch.levels[0].kind != "dram":
        problem = "it has no DRAM level to bypass"
    elif top is None or top.per_pe or len(top.operands) < 3:
        problem = "its outermost on-chip level does not hold every operand"
    else:
        weights, acts = storage_bytes(net)  # weights as stored: compressed where a block compresses them
        need = weights + acts
        cap = top.usable_bits / 8
        if need > cap:
            problem = (
                f"the model needs {need:,.0f} B (weights {weights:,.0f} B + peak activations "
                f"{acts:,.0f} B) but {top.name!r} holds {cap:,.0f} B"
            )
    if problem is None:
        return True
    if residency == "on_chip":
        raise AccelkitError(f"residency 'on_chip' is impossible on {arch.name!r}: {problem}")
    return False
