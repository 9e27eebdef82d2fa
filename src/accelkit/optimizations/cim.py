"""In-memory and near-memory computing: an SRAM compute-in-memory macro model, and compute next to the DRAM.

``in_memory_compute`` — weight-stationary SRAM CIM macros run the layers whose weights are constants (conv,
depthwise, fc, matmul); figures in ``data/cim.yaml``:

* **Mapping.** A layer's weight matrix (``C*R*S`` rows x ``K`` output channels per group, ``ceil(Bw/cell_bits)``
  columns per weight) is cut into ``rows x cols`` arrays (small groups packed block-diagonally). When a layer needs
  more arrays than there are macros it runs in passes, each pass re-streaming the layer's input. When every CIM
  layer's arrays fit the macros at once, the weights stay resident (written once at boot, not per inference);
  otherwise each layer's weights are read once per inference from the outermost mapped level and written into
  the macros (write energy from accelkit's SRAM estimator for a ``rows x cols`` array).
* **Compute.** Inputs enter bit-serially (``Bx`` cycles) or through ``dac_bits`` DACs; each used column of each
  row segment is converted once per input slice (``adc_bits`` ADC, ``columns_per_adc`` columns sharing one), and
  the digital periphery shifts and adds the conversions (one accumulator-width add each, accelkit's adder
  estimator). Cycles = passes x output positions x input slices x columns per ADC.
* **Energy.** Array energy per MAC = ``Bx * Bw * macro_energy_1b`` (Jia et al., JSSC 2020: efficiency "scales
  directly with the bit precision"); ADC energy per conversion from a cited 8-bit SAR ADC scaled 2x per bit
  (Walden FOM). Weights no longer move inside the array (per-PE weight traffic, NoC and adder tree vanish).
* **Area / leakage.** ``macros`` arrays at accelkit's SRAM area and leakage estimate x the compute-bitcell factor;
  ADC area only when ``adc_area`` is given. The digital MAC array stays (it runs what the macros cannot).

Limits: analog non-idealities are not modelled (an ADC narrower than the column sum needs is flagged in the notes,
its accuracy cost is not computed); the macro figure is used at its own node (65 nm) and supply; DAC energy is
not modelled (no cited figure); the mapper's input and output traffic at the shared levels is kept as the digital
array's (inputs streamed to the macros from the same buffers).

``near_memory`` — the compute moves next to the DRAM (or another level): the data-transfer energy of that level
falls to a cited fraction (NDA, Farmahini-Farahani et al., HPCA 2015: 68% lower data-transfer energy);
optionally its bandwidth grows (``bandwidth_factor``, a design choice). Limits: the ratio is an average over the
paper's workloads and is applied to the level's whole per-bit price.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from accelkit.optimizations.base import (
    OPTIMIZATIONS,
    ExtraAction,
    LayerCounts,
    Optimization,
    OptimizationSpec,
    block_data,
)
from accelkit.workload.ir import Layer, Operand, WeightSource

if TYPE_CHECKING:  # pragma: no cover
    from accelkit.hardware.accelerator import Accelerator
    from accelkit.model.pricing import PricedAccelerator
    from accelkit.optimizations.base import CountsContext
    from accelkit.spec.accelerator import AcceleratorSpec
    from accelkit.workload.ir import Network


def data() -> dict[str, Any]:
    """The blocks' cited figures (``data/cim.yaml``)."""
    return dict(block_data("cim")["entries"])


def adc_energy_j(bits: int) -> float:
    """Energy per conversion at ``bits``: the cited 8-bit ADC scaled at constant Walden FOM (2x per bit)."""
    return float(data()["adc_energy_8b"]["value"]) * 2.0 ** (bits - 8)


def _energy(value: str | float | None, default: float, what: str, label: str) -> float:
    from accelkit.errors import SpecError
    from accelkit.units import parse_quantity

    if value is None:
        return default
    try:
        v = parse_quantity(value, "energy")
    except ValueError as exc:
        raise SpecError([(f"{label}.{what}", str(exc))], source=f"block {label!r}") from None
    if not v > 0:
        raise SpecError([(f"{label}.{what}", f"must be a positive energy, got {value!r}")], source=f"block {label!r}")
    return v


# ---- in-memory computing ---------------------------------------------------------------------------------------
class InMemoryComputeSpec(OptimizationSpec):
    kind: Literal["in_memory_compute"] = "in_memory_compute"
    rows: int = Field(256, ge=8, le=4096, description="rows of one CIM array (inputs summed per column)")
    cols: int = Field(256, ge=8, le=4096, description="columns of one CIM array (one ADC read-out each)")
    macros: int = Field(16, ge=1, le=65536, description="number of CIM arrays (weight capacity = macros x rows x cols)")
    cell_bits: int = Field(
        1, ge=1, le=4, description="weight bits stored per cell (a weight spans ceil(Bw/cell_bits) columns)"
    )
    input_mode: Literal["bit_serial", "dac"] = Field(
        "bit_serial", description="'bit_serial': one input bit per cycle (no DAC); 'dac': dac_bits per cycle"
    )
    dac_bits: int = Field(4, ge=1, le=8, description="input bits per cycle in 'dac' mode")
    adc_bits: int = Field(8, ge=1, le=12, description="ADC resolution per column conversion")
    columns_per_adc: int = Field(1, ge=1, le=64, description="columns sharing one ADC (conversions in series)")
    macro_energy_1b: str | float | None = Field(
        None, description="array energy of one 1b x 1b MAC, e.g. '5 fJ' (default: Jia et al. JSSC 2020, cited)"
    )
    adc_energy: str | float | None = Field(
        None,
        description="energy of one conversion at adc_bits, e.g. '1 pJ' (default: an 8-bit 1.2 GS/s SAR ADC, "
        "Kull et al. ISSCC 2013, scaled 2x per bit)",
    )
    adc_area: str | float | None = Field(
        None, description="area of one ADC, e.g. '0.0015 mm2' (default: ADC area not included)"
    )
    layers: list[str] | None = Field(
        None, description="run only these layers on the macros (default: every eligible one)"
    )
    depthwise: bool = Field(True, description="run depthwise layers on the macros (few rows used: poor utilization)")


@dataclass(frozen=True)
class MacroPlan:
    """How one layer maps on the CIM macros."""

    arrays: int
    passes: int
    row_segments: int
    rows_used: int
    columns: int  # used columns per group and row segment
    input_slices: int
    cycles: float
    conversions: float
    required_adc_bits: int


def plan_layer(layer: Layer, p: InMemoryComputeSpec, in_bits: int, w_bits: int) -> MacroPlan:
    """Arrays, passes, cycles and ADC conversions of one layer on the macros."""
    cpw = math.ceil(w_bits / p.cell_bits)
    lred = layer.C * layer.R * layer.S
    kc = layer.K * cpw
    row_seg, col_seg = math.ceil(lred / p.rows), math.ceil(kc / p.cols)
    pack = max(1, min(p.rows // lred, p.cols // kc)) if (lred <= p.rows and kc <= p.cols) else 1
    arrays = math.ceil(layer.G / pack) * row_seg * col_seg
    passes = math.ceil(arrays / p.macros)
    positions = layer.N * layer.P * layer.Q
    slices = in_bits if p.input_mode == "bit_serial" else math.ceil(in_bits / p.dac_bits)
    per_slice_bits = 1 if p.input_mode == "bit_serial" else min(p.dac_bits, in_bits)
    rows_used = min(lred, p.rows)
    cycles = float(passes * positions * slices * p.columns_per_adc)
    conversions = float(positions * layer.G * row_seg * kc * slices)
    full_scale = rows_used * (2**per_slice_bits - 1) * (2**p.cell_bits - 1)
    return MacroPlan(
        arrays, passes, row_seg, rows_used, kc, slices, cycles, conversions, math.ceil(math.log2(full_scale + 1))
    )


def cim_eligible(layer: Layer, depthwise: bool) -> bool:
    if not layer.op.is_mac or layer.weight_source is not WeightSource.CONSTANT or layer.transposed:
        return False
    return depthwise or layer.op.value != "depthwise"


@OPTIMIZATIONS.register("in_memory_compute")
class InMemoryCompute(Optimization):
    #: blocks that change the digital datapath's counts, which the macro model replaces: their effect (and cost)
    #: would be dropped or misapplied, so the combination is refused rather than silently wrong
    conflict_reason: ClassVar[str | None] = (
        "the CIM macro model replaces the digital datapath's counts (MAC energy, cycles, the weights' path into "
        "the PEs), so that block's effect would be dropped or misapplied"
    )
    conflicts: ClassVar[tuple[str, ...]] = (
        "bit_serial",
        "approximate_multiplier",
        "zero_skipping",
        "zero_gating",
        "winograd",
        "sparse_format",
        "huffman",
        "weight_sharing",
    )
    Spec = InMemoryComputeSpec
    kind = "in_memory_compute"
    catalog_ids = ("sram-in-memory-computing",)
    summary = "weight-stationary SRAM compute-in-memory macros (array energy, ADCs, weight reloads) run the MACs"
    order = 80
    metrics = ("energy", "latency", "area", "accuracy")
    example: ClassVar[dict[str, Any]] = {"rows": 256, "cols": 256, "macros": 16, "adc_bits": 6}

    def check(self, net: Network, arch: Accelerator) -> list[tuple[str, str]]:
        names = {layer.name for layer in net.layers}
        return [
            (f"layers[{i}]", f"network {net.name!r} has no layer {n!r}")
            for i, n in enumerate(self.spec.layers or ())  # type: ignore[attr-defined]
            if n not in names
        ]

    def _runs(self, layer: Layer) -> bool:
        p: InMemoryComputeSpec = self.spec  # type: ignore[assignment]
        if p.layers is not None and layer.name not in p.layers:
            return False
        return cim_eligible(layer, p.depthwise)

    def _resident(self, net: Network) -> bool:
        p: InMemoryComputeSpec = self.spec  # type: ignore[assignment]
        total = 0
        for layer in net.layers:
            if self._runs(layer):
                total += plan_layer(layer, p, layer.bits_of(Operand.INPUT), layer.bits_of(Operand.WEIGHT)).arrays
        return total <= p.macros

    # ---- pricing: the macros' area and leakage -------------------------------------------------------------
    def prices(self, priced: PricedAccelerator, net: Network) -> PricedAccelerator:
        from accelkit.estimators import ComponentQuery, estimate_area, estimate_leakage
        from accelkit.optimizations.base import ExtraComponent
        from accelkit.units import parse_quantity

        p: InMemoryComputeSpec = self.spec  # type: ignore[assignment]
        arch, tech = priced.arch, priced.tech
        q = ComponentQuery("sram", {"capacity_bits": p.rows * p.cols, "width_bits": p.cols, "banks": 1}, name="cim")
        overrides = dict(arch.energy_overrides)
        factor = float(data()["cim_bitcell_area_factor"]["value"])
        area = estimate_area(q, tech, overrides).value * factor * p.macros
        leak = estimate_leakage(q, tech, overrides).value * p.macros
        src = f"{p.macros} x {p.rows}x{p.cols} arrays: SRAM estimator x {factor} (compute bitcell, Chen et al. 2021)"
        if p.adc_area is not None:
            adcs = p.macros * math.ceil(p.cols / p.columns_per_adc)
            area += parse_quantity(p.adc_area, "area") * adcs
            src += f" + {adcs} ADCs of {p.adc_area}"
        else:
            src += "; ADC area not included (give adc_area)"
        return replace(priced, extras=(*priced.extras, ExtraComponent("cim_macros", area, leak, src, self.label)))

    # ---- counts --------------------------------------------------------------------------------------------
    def counts(self, lc: LayerCounts, ctx: CountsContext) -> LayerCounts:
        from accelkit.estimators import ComponentQuery, estimate_energy
        from accelkit.mapping.reuse import AccessCounts, LevelTraffic

        layer = lc.layer
        if not self._runs(layer):
            return lc
        p: InMemoryComputeSpec = self.spec  # type: ignore[assignment]
        arch, tech = ctx.arch, ctx.priced.tech
        bx, bw = layer.bits_of(Operand.INPUT), layer.bits_of(Operand.WEIGHT)
        plan = plan_layer(layer, p, bx, bw)
        d = data()
        e1b = _energy(p.macro_energy_1b, float(d["macro_energy_1b"]["value"]), "macro_energy_1b", self.label)
        eadc = _energy(p.adc_energy, adc_energy_j(p.adc_bits), "adc_energy", self.label)
        overrides = dict(arch.energy_overrides)
        fmt = "fp" if arch.pe_array.mac_input.is_float else "int"
        add_j = estimate_energy(
            ComponentQuery("adder", {"bits": arch.pe_array.mac_output.bits, "number_format": fmt}, name="cim"),
            "add",
            tech,
            overrides,
        ).value
        sram_q = ComponentQuery("sram", {"capacity_bits": p.rows * p.cols, "width_bits": p.cols, "banks": 1})
        write_j_per_bit = estimate_energy(sram_q, "write", tech, overrides).value / p.cols

        per_pe = {lv.name for lv in arch.levels if lv.per_pe}
        top = ctx.mapped_levels[0]
        resident = self._resident(ctx.network)
        weight_bits = float(layer.weight_elements * bw)
        levels = {}
        for name, t in lc.counts.levels.items():
            nt = LevelTraffic(dict(t.read_bits), dict(t.write_bits))
            if name in per_pe:  # nothing moves inside the PEs any more: the macros hold weights and sums
                nt = LevelTraffic()
            else:  # weights go straight from the outermost level into the macros, once per inference
                nt.read_bits[Operand.WEIGHT] = 0.0 if (resident or name != top) else weight_bits
                nt.write_bits[Operand.WEIGHT] = 0.0
            levels[name] = nt
        c = lc.counts
        counts = AccessCounts(
            c.macs, c.compute_cycles, c.active_pes, levels, dict.fromkeys(c.noc_bits, 0.0), 0.0, c.tiles
        )
        extra = [
            ExtraAction("cim_adc", "output", "convert", plan.conversions, plan.conversions * eadc, self.label),
            ExtraAction("cim_shift_add", "output", "add", plan.conversions, plan.conversions * add_j, self.label),
        ]
        if not resident:
            extra.append(
                ExtraAction("cim_macros", "weight", "write", weight_bits, weight_bits * write_j_per_bit, self.label)
            )
        if plan.passes > 1:  # every further pass streams the layer's input again from the innermost shared level
            shared = [n for n in ctx.mapped_levels if n not in per_pe]
            in_bits = sum(
                ctx.network.tensors[ctx.network.base_tensor(t)].elements * bx
                for t in dict.fromkeys(layer.inputs)
                if not ctx.network.tensors[ctx.network.base_tensor(t)].is_constant
            )
            src = shared[-1]
            lp = ctx.priced.levels[[lv.name for lv in arch.levels].index(src)]
            width = arch.level(src).width_bits
            bits = (plan.passes - 1) * in_bits
            extra.append(ExtraAction(src, "input", "read", bits, bits / width * lp.read.value, self.label))
        lc = replace(
            lc,
            counts=counts,
            compute_cycles=plan.cycles,
            mac_j=e1b * bx * bw,
        ).with_extra(*extra)
        note = (
            f"CIM: {plan.arrays} array(s) of {p.rows}x{p.cols} in {plan.passes} pass(es), {plan.rows_used} rows used, "
            f"{plan.conversions:,.0f} {p.adc_bits}-bit conversions; weights "
            + ("resident in the macros" if resident else "reloaded every inference")
        )
        if p.adc_bits < plan.required_adc_bits:
            note += (
                f"; ADC narrower than the column sum ({p.adc_bits} < {plan.required_adc_bits} bits): partial sums "
                "are quantized (accuracy cost not modelled)"
            )
        return lc.with_note(note)


# ---- near-memory processing ------------------------------------------------------------------------------------
class NearMemorySpec(OptimizationSpec):
    kind: Literal["near_memory"] = "near_memory"
    level: str = Field("dram", description="memory level the compute is placed next to")
    energy_ratio: float | None = Field(
        None,
        gt=0,
        le=1,
        description="data-transfer energy of that level relative to now (default 0.32: NDA, HPCA 2015, cited)",
    )
    bandwidth_factor: float = Field(
        1.0, ge=1, le=64, description="bandwidth multiplier of that level (wide internal links; a design choice)"
    )


@OPTIMIZATIONS.register("near_memory")
class NearMemory(Optimization):
    Spec = NearMemorySpec
    kind = "near_memory"
    catalog_ids = ("near-memory-3d-stacked",)
    summary = "compute next to the DRAM (or a buffer): cheaper data transfer at that level, optionally more bandwidth"
    order = 80
    metrics = ("energy", "latency")
    example: ClassVar[dict[str, Any]] = {"level": "dram"}
    example_context: ClassVar[dict[str, Any]] = {"residency": "dram"}

    @property
    def ratio(self) -> float:
        r = self.spec.energy_ratio  # type: ignore[attr-defined]
        return float(data()["near_memory_transfer_energy_ratio"]["value"]) if r is None else float(r)

    def accelerator_spec(self, spec: AcceleratorSpec, net: Network) -> AcceleratorSpec:
        from accelkit.errors import SpecError, UnknownNameError
        from accelkit.spec.paths import patch

        p: NearMemorySpec = self.spec  # type: ignore[assignment]
        levels = {m.name: m for m in spec.memory}
        src = f"block {self.label!r} on accelerator {spec.name!r}"
        if p.level not in levels:
            raise SpecError(
                [(f"{self.label}.level", str(UnknownNameError("memory level", p.level, list(levels))))], source=src
            )
        if getattr(levels[p.level], "per_pe", False):
            raise SpecError([(f"{self.label}.level", f"level {p.level!r} is inside the PEs already")], source=src)
        if p.bandwidth_factor == 1.0:
            return spec
        m = levels[p.level]
        return patch(
            spec,
            {
                f"memory.{p.level}.read_bandwidth": m.read_bandwidth * p.bandwidth_factor,
                f"memory.{p.level}.write_bandwidth": m.write_bandwidth * p.bandwidth_factor,
            },
            source=src,
        )

    def counts(self, lc: LayerCounts, ctx: CountsContext) -> LayerCounts:
        p: NearMemorySpec = self.spec  # type: ignore[assignment]
        if p.level not in ctx.mapped_levels:
            return lc.with_note(f"near memory: level {p.level!r} is not used by this evaluation (no effect)")
        for o in ("input", "weight", "output"):
            for action in ("read", "write"):
                lc = lc.scale_energy((p.level, o, action), self.ratio)
        return lc
