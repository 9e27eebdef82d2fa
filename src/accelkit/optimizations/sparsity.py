"""Zero gating and zero skipping, for weights and/or activations, per level (the Sparseloop split).

* ``zero_gating``: a zero operand is detected and the work it makes ineffectual is *gated*: the MAC and the reads of
  the other operands (and the partial-sum update) at the chosen levels still take their slot but burn only a cited
  residual (Sparseloop's gated compute / gated read). Energy only; latency is unchanged by construction (only
  ``energy_factor`` changes). A zero flag per detected operand read costs one bit read at that level (Eyeriss's
  zero buffer).
* ``zero_skipping``: the ineffectual work is *skipped*: compute cycles scale to the effectual share
  (``p + (1 - p)(1 - skip_efficiency)``, ``p`` = product of the detected operands' densities), the reads of the other
  operands and the partial-sum updates at the chosen levels shrink to what effectual work needs (less energy and
  bandwidth), skipped MACs burn nothing; the intersection/lookahead logic costs ``intersection_adds_per_op``
  accumulator adds per effectual MAC and adds a cited share of area (Cnvlutin +4.49%) with its leakage.

Densities: weights use ``layer.density[weight]`` (measured by the importers on real weights, or set by ``pruning``);
activations use ``layer.density[input]``, which the ``activation_density`` parameter sets: a value for every layer
fed by another layer (network inputs are raw data and stay dense), a per-layer profile ``{layer: density}``, or
``"measured"`` / ``{measured: {samples: N, seed: S, input: x.npy, input_range: [lo, hi]}}``: the model is run by the
numpy reference executor (:mod:`accelkit.workload.execute`) on seeded random input in its input's value range (or
the given arrays) and every layer gets its measured input and output density. Measuring needs the weight *values*,
which networks imported from ONNX/TFLite files keep (``Network.constants``); zoo networks have none and are refused
with an error naming the block and field (see :func:`measured_activation_density`).

Limits: zeros are independent across operands (``p`` is a product); gating/skipping act on MAC layers only;
skipping's cycle saving assumes the mapped array keeps its PEs busy (``skip_efficiency`` is the caveat knob).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from accelkit.optimizations.base import (
    OPTIMIZATIONS,
    CountsContext,
    ExtraAction,
    LayerCounts,
    Optimization,
    OptimizationError,
    OptimizationSpec,
    cited_field,
)
from accelkit.optimizations.sparse_format import (
    ActivationDensity,
    MeasuredDensity,
    MeasureParams,
    check_levels,
    cite,
)
from accelkit.workload.ir import Operand

if TYPE_CHECKING:  # pragma: no cover
    from accelkit.hardware.accelerator import Accelerator
    from accelkit.model.pricing import PricedAccelerator
    from accelkit.workload.ir import Layer, Network


def _density_field() -> ActivationDensity:
    return Field(
        None,
        description="density (non-zero fraction) of input activations: a value in [0, 1] for every layer fed by "
        "another layer, a per-layer profile {layer: density}, 'measured' (run the model on seeded random input; "
        "or {measured: {samples, seed, input, input_range}}), or null (keep the network's own)",
    )


# ---- activation density ---------------------------------------------------------------------------------------------
def measured_activation_density(
    net: Network, block: str, params: MeasureParams | None = None
) -> tuple[dict[str, float], dict[str, float]]:
    """Input and output activation density per layer, measured by running the model on sample input.

    The model the network's constants belong to (as imported) is run by :func:`accelkit.workload.execute.execute`
    (memoized per network and parameters); layers of ``net`` that the imported model lacks keep their densities.
    """
    from accelkit.workload.execute import ExecutionError, measure_activation_density

    p = params or MeasureParams()
    if net.constants is None:
        raise OptimizationError(
            f"block {block!r}: activation_density 'measured' needs the weight values of {net.name!r} to run it on "
            "sample input, but the network has none (zoo and builder networks describe shapes only); import the "
            "model from an ONNX or TFLite file, or give a density or a per-layer profile {layer: density} instead"
        )
    try:
        result = measure_activation_density(
            net, samples=p.samples, seed=p.seed, input=p.input, input_range=p.input_range
        )
    except ExecutionError as exc:
        raise OptimizationError(f"block {block!r}: activation_density 'measured': {exc}") from None
    names = {layer.name for layer in net.layers}
    measured = {k: v for k, v in result.layers.items() if k in names}
    return {k: v.input_density for k, v in measured.items()}, {k: v.output_density for k, v in measured.items()}


def apply_activation_density(net: Network, value: ActivationDensity, block: str) -> Network:
    """``net`` with ``density[input]`` of consuming layers (and ``density[output]`` of producers) set from ``value``."""
    if value is None:
        return net
    out_density: dict[str, float] = {}
    if isinstance(value, str | MeasuredDensity):
        if isinstance(value, str) and value != "measured":
            raise OptimizationError(
                f"block {block!r}: activation_density {value!r}: expected a number, a profile or 'measured'"
            )
        params = value.measured if isinstance(value, MeasuredDensity) else None
        profile, out_density = measured_activation_density(net, block, params)
    elif isinstance(value, Mapping):
        names = {layer.name for layer in net.layers}
        unknown = sorted(set(value) - names)
        if unknown:
            from accelkit.errors import UnknownNameError

            raise OptimizationError(
                f"block {block!r}: activation_density names {unknown}: "
                + str(UnknownNameError("layer", unknown[0], sorted(names)))
            )
        profile = dict(value)
    else:
        profile = {
            layer.name: float(value) for layer in net.layers if any(net.producer(t) is not None for t in layer.inputs)
        }
    for name, d in profile.items():
        if not 0.0 <= d <= 1.0:
            raise OptimizationError(f"block {block!r}: activation_density[{name!r}] = {d} must be in [0, 1]")
    # outputs take the density their consumers see (the first profiled consumer), unless measured
    for layer in net.layers if not out_density else ():
        if layer.name in profile:
            for t in layer.inputs:
                prod = net.producer(t)
                if prod is not None:
                    out_density.setdefault(prod.name, profile[layer.name])
    layers = []
    for layer in net.layers:
        dens = dict(layer.density)
        if layer.name in profile:
            dens[Operand.INPUT] = profile[layer.name]
        if layer.name in out_density:
            dens[Operand.OUTPUT] = out_density[layer.name]
        layers.append(layer.with_(density=dens) if dens != layer.density else layer)
    return net.with_layers(layers)


def density_conflict(a: Optimization, b: Optimization) -> str | None:
    """Two blocks that each set activation densities must agree."""
    da = getattr(a.spec, "activation_density", None)
    db = getattr(b.spec, "activation_density", None)
    if da is not None and db is not None and da != db:
        return (
            f"{a.label!r} and {b.label!r} give different activation_density values; set it on one block "
            "(the other uses the network's densities)"
        )
    return None


# ---- shared counts arithmetic ---------------------------------------------------------------------------------------
def _effectual(layer: Layer, detected: list[str], exclude: str | None = None) -> float:
    p = 1.0
    for o in detected:
        if o != exclude:
            p *= layer.density[Operand(o)]
    return p


def _levels(block: Optimization, ctx: CountsContext) -> list[str]:
    given = block.spec.levels  # type: ignore[attr-defined]
    if given:
        return [lv for lv in ctx.mapped_levels if lv in given]
    return [lv.name for lv in ctx.arch.levels if lv.per_pe and lv.name in ctx.mapped_levels]


class _ZeroSpec(OptimizationSpec):
    operands: list[Literal["input", "weight"]] = Field(
        default_factory=lambda: ["input"],
        min_length=1,
        description="operands whose zeros are detected (input: activations after ReLU; weight: pruned weights)",
    )
    levels: list[str] | None = Field(
        None, description="levels whose reads are gated/skipped (default: the per-PE levels, e.g. scratchpads)"
    )
    activation_density: ActivationDensity = _density_field()


class _ZeroBlock(Optimization):
    order = 70

    def check(self, net: Network, arch: Accelerator) -> list[tuple[str, str]]:
        return check_levels(self, self.spec.levels, arch)  # type: ignore[attr-defined]

    def network(self, net: Network, arch: Accelerator) -> Network:
        return apply_activation_density(net, self.spec.activation_density, self.label)  # type: ignore[attr-defined]

    def conflict_with(self, other: Optimization) -> str | None:
        if isinstance(other, _ZeroBlock) and other.kind != self.kind:
            common = set(self.spec.operands) & set(other.spec.operands)  # type: ignore[attr-defined]
            if common:
                return f"zeros of {sorted(common)} cannot be both gated and skipped; pick one per operand"
        return density_conflict(self, other) or super().conflict_with(other)


# ---- zero gating ----------------------------------------------------------------------------------------------------
class ZeroGatingSpec(_ZeroSpec):
    kind: Literal["zero_gating"] = "zero_gating"
    gate_mac: bool = Field(True, description="gate the multiplier when an operand is zero")
    gate_partial_sums: bool = Field(
        True, description="gate the partial-sum read/update at the gated levels (a zero product adds nothing)"
    )
    mac_residual: float = cited_field(
        "sparsity",
        "gated_mac_residual",
        ge=0,
        le=1,
        description="energy of a gated MAC as a fraction of a full one (Sparseloop example ERT: 0.065)",
    )
    read_residual: float = cited_field(
        "sparsity",
        "gated_read_residual",
        ge=0,
        le=1,
        description="energy of a gated read as a fraction of a full one",
    )


@OPTIMIZATIONS.register("zero_gating")
class ZeroGating(_ZeroBlock):
    """Zero-operand gating (Eyeriss): energy only, never cycles. See the module docstring."""

    Spec = ZeroGatingSpec
    kind = "zero_gating"
    catalog_ids = ("zero-gating",)
    summary = "gate the MAC and the other operands' reads when an operand is zero (energy only)"
    metrics = ("energy", "power")
    example: ClassVar[dict[str, Any]] = {"activation_density": 0.5}

    def counts(self, lc: LayerCounts, ctx: CountsContext) -> LayerCounts:
        p = self.spec
        layer = lc.layer
        if not lc.macs:
            return lc
        det = [o for o in p.operands if o == "input" or layer.has_weights]  # type: ignore[attr-defined]
        p_all = _effectual(layer, det)
        # no early return when nothing is zero: the detection hardware (the zero flags below) still runs, so
        # energy stays monotone in sparsity (a density of 1.0 must not cost less than 0.97)
        if p.gate_mac:  # type: ignore[attr-defined]
            lc = lc.scale_energy(("mac", "-", "mac"), p_all + (1 - p_all) * p.mac_residual)  # type: ignore[attr-defined]
        levels = _levels(self, ctx)
        extras = []
        prices = {lp.name: lp for lp in ctx.priced.levels}
        for name in levels:
            for op in (Operand.INPUT, Operand.WEIGHT, Operand.OUTPUT):
                if op.value in det:
                    continue
                if op is Operand.OUTPUT and not p.gate_partial_sums:  # type: ignore[attr-defined]
                    continue
                eff = p_all if op is Operand.OUTPUT else _effectual(layer, det, exclude=op.value)
                f = eff + (1 - eff) * p.read_residual  # type: ignore[attr-defined]
                lc = lc.scale_energy((name, op.value, "read"), f)
                if op is Operand.OUTPUT:
                    lc = lc.scale_energy((name, op.value, "write"), f)
        # the zero flag: one bit read per detected operand delivered to the PEs (from the innermost level holding it)
        for o in det:
            holders = [lv for lv in ctx.arch.levels if lv.name in ctx.mapped_levels and Operand(o) in lv.operands]
            if not holders:
                continue
            lv = holders[-1]
            reads = lc.counts.levels[lv.name].read_bits.get(Operand(o), 0.0) / max(layer.bits_of(Operand(o)), 1)
            per_bit = prices[lv.name].read.value / lv.width_bits
            if reads:
                extras.append(ExtraAction("zero_detect", o, "flag_read", reads, reads * per_bit, self.label))
        lc = lc.with_extra(*extras) if extras else lc
        return lc.with_note(f"{self.label}: {1 - p_all:.1%} of MACs gated ({'+'.join(det)} zeros)")


# ---- zero skipping --------------------------------------------------------------------------------------------------
class ZeroSkippingSpec(_ZeroSpec):
    kind: Literal["zero_skipping"] = "zero_skipping"
    skip_efficiency: float = cited_field(
        "sparsity",
        "skip_efficiency",
        ge=0,
        le=1,
        description="share of the ineffectual cycles actually removed (1 = ideal; below 1 models load imbalance)",
    )
    intersection_adds_per_op: float = cited_field(
        "sparsity",
        "intersection_adds_per_op",
        ge=0,
        description="intersection/lookahead logic energy per effectual MAC, in accumulator adds (assumption)",
    )
    area_fraction: float = cited_field(
        "sparsity",
        "skipping_area_fraction",
        ge=0,
        le=1,
        description="area the skipping logic adds, as a share of the accelerator (Cnvlutin: 4.49%)",
    )


@OPTIMIZATIONS.register("zero_skipping")
class ZeroSkipping(_ZeroBlock):
    """Zero-operand skipping (Cnvlutin, SCNN, Cambricon-X): fewer cycles and reads. See the module docstring."""

    Spec = ZeroSkippingSpec
    kind = "zero_skipping"
    catalog_ids = ("zero-activation-skipping", "sparse-weight-processing")
    summary = "skip MACs with a zero operand: fewer cycles, reads and MAC energy; costs intersection logic"
    metrics = ("energy", "latency", "throughput", "area")
    example: ClassVar[dict[str, Any]] = {"activation_density": 0.5}

    def prices(self, priced: PricedAccelerator, net: Network) -> PricedAccelerator:
        from accelkit.optimizations.base import ExtraComponent

        f = self.spec.area_fraction  # type: ignore[attr-defined]
        extra = ExtraComponent(
            f"{self.label}.intersection",
            priced.area_m2 * f,
            priced.leakage_w * f,
            cite("sparsity", "skipping_area_fraction"),
            self.label,
        )
        return replace(priced, extras=(*priced.extras, extra))

    def counts(self, lc: LayerCounts, ctx: CountsContext) -> LayerCounts:
        p = self.spec
        layer = lc.layer
        if not lc.macs:
            return lc
        det = [o for o in p.operands if o == "input" or layer.has_weights]  # type: ignore[attr-defined]
        p_all = _effectual(layer, det)
        eff_ops = lc.macs * p_all
        extra = ExtraAction(
            "intersection",
            "-",
            "match",
            eff_ops,
            eff_ops * ctx.priced.adder.value * p.intersection_adds_per_op,  # type: ignore[attr-defined]
            self.label,
        )
        lc = lc.with_extra(extra)
        if p_all >= 1.0:
            return lc
        keep = p_all + (1 - p_all) * (1 - p.skip_efficiency)  # type: ignore[attr-defined]
        lc = replace(lc, compute_cycles=max(math.ceil(lc.compute_cycles * keep), 1) if lc.compute_cycles else 0)
        lc = lc.scale_energy(("mac", "-", "mac"), p_all)
        for name in _levels(self, ctx):
            for op in (Operand.INPUT, Operand.WEIGHT, Operand.OUTPUT):
                if op.value in det:
                    continue
                eff = p_all if op is Operand.OUTPUT else _effectual(layer, det, exclude=op.value)
                actions = ("read", "write") if op is Operand.OUTPUT else ("read",)
                lc = lc.scale_traffic(eff, levels=[name], operands=[op.value], actions=actions)
        return lc.with_note(f"{self.label}: {1 - p_all:.1%} of MACs skipped ({'+'.join(det)} zeros)")
