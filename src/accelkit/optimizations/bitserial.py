"""Bit-serial / precision-scalable datapaths: time and energy follow each layer's own operand widths.

Model
-----
The PE array is rebuilt so that a layer computed at the datapath's full widths takes as many cycles as on the
bit-parallel array (the design point of Stripes, which pays 32% more area for it -- Judd et al., MICRO 2016); at
narrower per-layer precisions (set by a ``quantization`` block, e.g. with ``datapath: keep``, or imported with the
network) it runs faster and cheaper:

* ``style: serial`` (Stripes / UNPU / Loom): the serial operand is processed one bit per cycle, so a layer's compute
  cycles scale by ``p / P`` (serial operand ``p`` bits, datapath ``P`` bits; ``both``: ``(a w) / (A W)``, Loom).
  UNPU measures 345.6 -> 7372 GOPS from 16-bit to 1-bit weights (21.3x against this law's 16x).
* ``style: fusion`` (Bit Fusion, Sharma et al., ISCA 2018): 2-bit BitBricks fuse into the multiplier a layer needs,
  so cycles scale by ``ceil(a/2) ceil(w/2) / (ceil(A/2) ceil(W/2))``.
* **Energy per MAC** is the estimators' integer MAC at the layer's own widths (``m0 + m1 a w`` multiply + accumulator
  add; Horowitz ISSCC 2014 via EIE Table I): a bit-serial MAC does ``p`` shift-add steps of an ``a x 1`` product,
  which that law prices linearly in ``p``.
* **Area and leakage**: ``area_overhead`` x the MAC array (default: Stripes' cited +32% for ``serial``; no cited
  figure for ``fusion``, so 0 unless given), added as an extra component with proportional leakage.

Limits: memory traffic is unchanged (narrow operands already move narrow when the quantization block set them);
layers limited by bandwidth gain nothing; the per-step accumulator cost of a real bit-serial PE and UNPU's
voltage/frequency lowering at short work are not modelled (compare: UNPU saves 23.1/27.2/41/53.6% energy at
16/8/4/1-bit weights; Stripes 1.57x efficiency on average -- data/bitserial.yaml).
"""

from __future__ import annotations

import math
from dataclasses import replace
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from accelkit.optimizations.base import (
    OPTIMIZATIONS,
    CountsContext,
    LayerCounts,
    Optimization,
    OptimizationSpec,
    block_data,
)

if TYPE_CHECKING:  # pragma: no cover
    from accelkit.hardware.accelerator import Accelerator
    from accelkit.model.pricing import PricedAccelerator
    from accelkit.workload.ir import Network


def data() -> dict[str, Any]:
    return dict(block_data("bitserial"))


def _entry(key: str) -> dict[str, Any]:
    return data()["entries"][key]


def _cite(key: str) -> str:
    e = _entry(key)
    s = e["source"]
    return f"{s['authors']}, {s['title']}, {s['venue']} ({s['where']})"


class BitSerialSpec(OptimizationSpec):
    kind: Literal["bit_serial"] = "bit_serial"
    style: Literal["serial", "fusion"] = Field(
        "serial",
        description="'serial': one bit of the serial operand per cycle (Stripes/UNPU/Loom); 'fusion': 2-bit "
        "BitBricks fused per layer (Bit Fusion)",
    )
    serial_operand: Literal["weight", "input", "both"] = Field(
        "weight",
        description="operand processed bit-serially (style serial): 'weight' (UNPU), 'input' (Stripes), 'both' (Loom)",
    )
    area_overhead: float | None = Field(
        None,
        ge=0,
        le=10,
        description="extra MAC-array area as a fraction (default: 0.32, Stripes, for serial; 0 for fusion -- no "
        "cited figure)",
    )


@OPTIMIZATIONS.register("bit_serial")
class BitSerial(Optimization):
    """Bit-serial or bit-fusion PEs: compute cycles and MAC energy scale with each layer's operand bits."""

    Spec = BitSerialSpec
    kind = "bit_serial"
    catalog_ids = ("bit-serial-precision-scalable", "bit-level-composable-pe")
    conflicts = ("approximate_multiplier",)
    conflict_reason = "the cited approximate designs are 8x8 parallel multipliers, not bit-serial units"
    summary = "bit-serial / precision-scalable PEs: cycles and MAC energy follow each layer's bits"
    order = 60
    metrics = ("energy", "latency", "throughput", "area")
    example: ClassVar[dict[str, Any]] = {"style": "serial", "serial_operand": "weight"}

    def techniques(self) -> tuple[str, ...]:
        return ("bit-level-composable-pe",) if self.spec.style == "fusion" else ("bit-serial-precision-scalable",)  # type: ignore[attr-defined]

    @property
    def overhead(self) -> float:
        s = self.spec
        if s.area_overhead is not None:  # type: ignore[attr-defined]
            return float(s.area_overhead)  # type: ignore[attr-defined]
        return float(_entry("serial_area_overhead")["value"]) if s.style == "serial" else 0.0  # type: ignore[attr-defined]

    def cycle_factor(self, a: int, w: int, big_a: int, big_w: int) -> float:
        """Compute cycles at operand widths (a, w) relative to the full datapath widths (A, W)."""
        s = self.spec
        if s.style == "fusion":  # type: ignore[attr-defined]
            brick = int(_entry("fusion_brick_bits")["value"])

            def bricks(x: int, y: int) -> int:
                return math.ceil(x / brick) * math.ceil(y / brick)

            return bricks(a, w) / bricks(big_a, big_w)
        op = s.serial_operand  # type: ignore[attr-defined]
        if op == "weight":
            return w / big_w
        if op == "input":
            return a / big_a
        return (a * w) / (big_a * big_w)

    def check(self, net: Network, arch: Accelerator) -> list[tuple[str, str]]:
        pa = arch.pe_array
        if pa.mac_input.is_float or pa.mac_weight.is_float:
            return [("style", f"bit-serial PEs need an integer datapath; {arch.name!r} computes in {pa.mac_input}")]
        return []

    def prices(self, priced: PricedAccelerator, net: Network) -> PricedAccelerator:
        from accelkit.optimizations.base import ExtraComponent

        k = self.overhead
        if k == 0:
            return priced
        pa = priced.arch.pe_array
        array = priced.mac_area.value * pa.pes * pa.macs_per_pe
        src = (
            _cite("serial_area_overhead")
            if self.spec.area_overhead is None  # type: ignore[attr-defined]
            else "user parameter area_overhead"
        )
        extra = ExtraComponent(
            name="bit_serial",
            area_m2=k * array,
            leakage_w=k * priced.logic_leakage_w,
            source=f"{k:g} x MAC-array area ({src}); leakage in proportion",
            block=self.label,
        )
        return replace(priced, extras=(*priced.extras, extra))

    def counts(self, lc: LayerCounts, ctx: CountsContext) -> LayerCounts:
        from accelkit.workload.ir import Operand

        layer = lc.layer
        if not layer.op.is_mac or lc.macs <= 0:
            return lc
        pa = ctx.arch.pe_array
        a, w = layer.bits_of(Operand.INPUT), layer.bits_of(Operand.WEIGHT)
        big_a, big_w = pa.mac_input.bits, pa.mac_weight.bits
        factor = self.cycle_factor(a, w, big_a, big_w)
        mac_j = _mac_energy(a, w, pa.mac_output.bits, ctx.priced.tech, tuple(sorted(ctx.arch.energy_overrides.items())))
        note = (
            f"{self.label}: {a}b x {w}b on a {big_a}b x {big_w}b {self.spec.style} datapath: "  # type: ignore[attr-defined]
            f"compute cycles x{factor:.3g}, MAC {mac_j * 1e12:.3g} pJ (was {lc.mac_j * 1e12:.3g} pJ)"
        )
        return replace(lc, compute_cycles=lc.compute_cycles * factor, mac_j=mac_j).with_note(note)


@cache
def _mac_energy(a: int, w: int, acc: int, tech: Any, overrides: tuple[tuple[str, float], ...]) -> float:
    from accelkit.estimators import ComponentQuery, estimate_energy

    q = ComponentQuery(
        "mac", {"input_bits": a, "weight_bits": w, "accum_bits": acc, "number_format": "int"}, name="mac"
    )
    return estimate_energy(q, "mac", tech, dict(overrides)).value
