"""Winograd minimal-filtering convolution: F(2x2,3x3) and F(4x4,3x3) on eligible 3x3 convolutions.

Model (Lavin & Gray, CVPR 2016, Algorithm 1 and eqs. 10-13; figures in ``data/winograd.yaml``):

* **Workload.** An eligible layer (a 3x3, stride-1, dilation-1, non-transposed convolution; depthwise only when
  asked) is rewritten into its transformed loop nest: ``(m+r-1)^2`` independent GEMMs ``M = U V`` over the tiles,
  i.e. ``G' = G (m+r-1)^2``, ``K``, ``C``, ``P' = ceil(P/m)``, ``Q' = ceil(Q/m)``, ``R = S = 1``. The layer keeps
  its name, tensors and output shape; the mapper maps this real transformed work, so multiplications fall to
  ``(m+r-1)^2 / (m^2 r^2)`` of the direct count (2.25x fewer for F(2x2,3x3), 4x for F(4x4,3x3), less when P or Q
  are not multiples of m). Its weights are the transformed filters, ``(m+r-1)^2`` values instead of ``r^2``.
* **Filter transform** (``filter_transform``): ``offline`` (default) stores the transformed filters, so weight
  storage and weight traffic grow by ``(m+r-1)^2/r^2`` (16/9 or 4x); ``on_chip`` stores and fetches the raw 3x3
  filters and transforms every filter the outermost mapped level delivers (Lavin & Gray's filter-transform
  operation count per fetch), so storage and top-level weight traffic stay raw.
* **Input and output transforms** run on chip, in dedicated adder units sized to keep up with the array (their
  area and leakage are added; no cycles): the outermost mapped level reads the raw input (not the larger
  transformed tiles) and receives the raw outputs (not the Winograd-domain ones). Every input tile the mapping
  fetches from that level is transformed (refetches re-transform); each output tile is inverse-transformed once.
  Each transform operation costs one add at the operand's width (input width plus the transform's bit growth for
  the data transform, the accumulator width for the others), priced by the accelerator's own adder estimator.

Limits: the Winograd-domain multiplications run on the accelerator's MAC datapath at its width (the input
transform's bit growth is not charged to the multiplier); F(4x4,3x3) is numerically harder in int8 (the caveat is
put in each layer's notes, no accuracy number is modelled); partial sums that spill to the outermost level are
charged in the Winograd domain; weight sparsity does not survive the filter transform (not modelled).
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from accelkit.optimizations.base import (
    OPTIMIZATIONS,
    WEIGHT_STORAGE_BITS,
    ExtraAction,
    LayerCounts,
    Optimization,
    OptimizationSpec,
    block_data,
)
from accelkit.workload.ir import Layer, LoopDim, Operand, OpKind

if TYPE_CHECKING:  # pragma: no cover
    from accelkit.hardware.accelerator import Accelerator
    from accelkit.model.pricing import PricedAccelerator
    from accelkit.optimizations.base import CountsContext
    from accelkit.workload.ir import Network

#: ``layer.attrs`` key carrying what the transform did (read by the counts and pricing hooks)
WINOGRAD = "winograd"
R = 3  # filter size the block supports

#: B^T of F(2,3) (Lavin & Gray eq. 7) and F(4,3) (Sec. 4.3): used for the input transform's bit growth
_BT = {
    2: ((1, 0, -1, 0), (0, 1, 1, 0), (0, -1, 1, 0), (0, 1, 0, -1)),
    4: (
        (4, 0, -5, 0, 1, 0),
        (0, -4, -4, 1, 1, 0),
        (0, 4, -4, -1, 1, 0),
        (0, -2, -1, 2, 1, 0),
        (0, 2, -1, -2, 1, 0),
        (0, 4, 0, -5, 0, 1),
    ),
}


def data() -> dict[str, Any]:
    """The block's cited figures (``data/winograd.yaml``)."""
    return dict(block_data("winograd")["entries"])


def transform_ops(tile: int) -> dict[str, int]:
    """Operations per data tile (per channel), per filter, per output tile (per output channel)."""
    d = data()
    return {
        "data": int(d["data_transform_ops"]["value"][tile]),
        "filter": int(d["filter_transform_ops"]["value"][tile]),
        "inverse": int(d["inverse_transform_ops"]["value"][tile]),
    }


def input_bit_growth(tile: int) -> int:
    """Worst-case extra bits of a 2D-transformed integer input: log2 of the squared largest row L1 norm of B^T."""
    norm = max(sum(abs(x) for x in row) for row in _BT[tile])
    return math.ceil(math.log2(norm * norm))


def eligible(layer: Layer, *, depthwise: bool = False) -> str | None:
    """Why ``layer`` cannot use Winograd F(m x m, 3 x 3) (None when it can)."""
    if layer.attrs.get(WINOGRAD):
        return "already transformed"
    if layer.op is OpKind.DEPTHWISE:
        if not depthwise:
            return "depthwise (the transforms are not amortized over output channels; set depthwise: true)"
    elif layer.op is not OpKind.CONV:
        return f"a {layer.op} layer, not a convolution"
    if layer.transposed:
        return "a transposed convolution"
    if (layer.R, layer.S) != (R, R):
        return f"a {layer.R}x{layer.S} filter (only 3x3)"
    if layer.stride != (1, 1):
        return f"stride {layer.stride[0]}x{layer.stride[1]} (only stride 1)"
    if layer.dilation != (1, 1):
        return "dilated"
    return None


def transform_layer(layer: Layer, tile: int) -> Layer:
    """The transformed loop nest of one eligible layer (same name, tensors and output shape)."""
    t = tile + R - 1
    tp, tq = math.ceil(layer.P / tile), math.ceil(layer.Q / tile)
    dims = dict(layer.dims)
    dims.update(
        {LoopDim.G: layer.G * t * t, LoopDim.P: tp, LoopDim.Q: tq, LoopDim.R: 1, LoopDim.S: 1},
    )
    info = {
        "tile": tile,
        "alpha": t,
        "tiles": (tp, tq),
        "dims": {str(d): v for d, v in layer.dims.items()},
        "input_rows_cols": (
            layer.input_rows - layer.padding[0] - layer.padding[2],
            layer.input_cols - layer.padding[1] - layer.padding[3],
        ),
        "direct_macs": layer.macs,
        "bias": layer.bias,
    }
    attrs = {**layer.attrs, WINOGRAD: info}
    if layer.bias:  # one bias per output channel, folded into the output transform: keep the parameter count
        attrs["extra_params"] = layer.extra_params + layer.G * layer.K
    return layer.with_(
        dims=dims,
        stride=(1, 1),
        dilation=(1, 1),
        padding=(0, 0, 0, 0),
        bias=False,
        bias_dtype=None,
        attrs=attrs,
    )


class WinogradSpec(OptimizationSpec):
    kind: Literal["winograd"] = "winograd"
    tile: Literal[2, 4] = Field(
        2,
        description="output tile m of F(m x m, 3 x 3): 2 = F(2x2,3x3) (16 instead of 36 multiplications per tile), "
        "4 = F(4x4,3x3) (36 instead of 144; numerically harder in int8)",
    )
    filter_transform: Literal["offline", "on_chip"] = Field(
        "offline",
        description="'offline': transformed filters are stored ((m+2)^2/9 more weight storage and traffic); "
        "'on_chip': raw 3x3 filters are stored and each fetched filter is transformed on chip",
    )
    layers: list[str] | None = Field(
        None, description="transform only these layers (names); default: every eligible layer"
    )
    exclude: list[str] = Field(default_factory=list, description="layers (names) to leave as direct convolutions")
    depthwise: bool = Field(
        False, description="also transform 3x3 stride-1 depthwise layers (transforms not amortized: rarely pays)"
    )


@OPTIMIZATIONS.register("winograd")
class Winograd(Optimization):
    Spec = WinogradSpec
    kind = "winograd"
    catalog_ids = ("winograd-convolution",)
    summary = "Winograd F(2x2,3x3) / F(4x4,3x3) on 3x3 stride-1 convolutions: fewer multiplications, transform adds"
    order = 60  # after blocks that set precision or sparsity: it reads the final weight precision
    metrics = ("energy", "latency", "memory", "area", "accuracy")
    example: ClassVar[dict[str, Any]] = {"tile": 2}
    example_context: ClassVar[dict[str, Any]] = {"network": "mlperf_tiny_ic"}

    # ---- checks -------------------------------------------------------------------------------------------
    def conflict_with(self, other: Optimization) -> str | None:
        why = super().conflict_with(other)
        if why or other.kind != "quantization":
            return why
        bits = _weight_bits_of(other.spec)
        if bits is not None and bits <= 2:
            return (
                f"Winograd needs multi-bit transformed weights; {other.label!r} quantizes weights to {bits} bit(s) "
                "(binary/ternary weights become multi-bit values after the filter transform)"
            )
        return None

    def check(self, net: Network, arch: Accelerator) -> list[tuple[str, str]]:
        names = {layer.name for layer in net.layers}
        problems = []
        for field_name in ("layers", "exclude"):
            for i, name in enumerate(getattr(self.spec, field_name) or ()):
                if name not in names:
                    problems.append((f"{field_name}[{i}]", f"network {net.name!r} has no layer {name!r}"))
        return problems

    def _selected(self, layer: Layer) -> bool:
        p = self.spec
        if p.layers is not None and layer.name not in p.layers:  # type: ignore[attr-defined]
            return False
        return layer.name not in p.exclude  # type: ignore[attr-defined]

    # ---- workload -----------------------------------------------------------------------------------------
    def network(self, net: Network, arch: Accelerator) -> Network:
        from accelkit.errors import SpecError

        p = self.spec
        if p.layers is not None:  # type: ignore[attr-defined]
            bad = [
                (f"{self.label}.layers[{i}]", f"layer {n!r} cannot use Winograd: {why}")
                for i, n in enumerate(p.layers)  # type: ignore[attr-defined]
                if n in {x.name for x in net.layers} and (why := eligible(net.layer(n), depthwise=p.depthwise))  # type: ignore[attr-defined]
            ]
            if bad:
                raise SpecError(bad, source=f"block {self.label!r} on network {net.name!r}")
        layers = []
        changed = False
        for layer in net.layers:
            if self._selected(layer) and eligible(layer, depthwise=p.depthwise) is None:  # type: ignore[attr-defined]
                new = transform_layer(layer, p.tile)  # type: ignore[attr-defined]
                if p.filter_transform == "on_chip":  # type: ignore[attr-defined]
                    new = new.with_(attrs={**new.attrs, WEIGHT_STORAGE_BITS: _raw_weight_bits(layer, arch)})
                layers.append(new)
                changed = True
            else:
                layers.append(layer)
        return net.with_layers(layers) if changed else net

    # ---- pricing: the transform units ---------------------------------------------------------------------
    def prices(self, priced: PricedAccelerator, net: Network) -> PricedAccelerator:
        from accelkit.estimators import ComponentQuery, estimate_area
        from accelkit.hardware.technology import leakage_power_per_area_w_per_m2
        from accelkit.optimizations.base import ExtraComponent

        ops = transform_ops(self.spec.tile)  # type: ignore[attr-defined]
        demand = 0.0  # transform operations per Winograd-domain multiplication, worst layer
        for layer in net.layers:
            info = layer.attrs.get(WINOGRAD)
            if not info:
                continue
            t2 = info["alpha"] ** 2
            per_mult = ops["data"] / (t2 * layer.K) + ops["inverse"] / (t2 * layer.C)
            if self.spec.filter_transform == "on_chip":  # type: ignore[attr-defined]
                per_mult += ops["filter"] / (t2 * layer.N * layer.P * layer.Q)
            demand = max(demand, per_mult)
        if demand == 0:
            return priced
        arch, tech = priced.arch, priced.tech
        adders = math.ceil(arch.pe_array.pes * arch.pe_array.macs_per_pe * demand)
        fmt = "fp" if arch.pe_array.mac_input.is_float else "int"
        q = ComponentQuery("adder", {"bits": arch.pe_array.mac_output.bits, "number_format": fmt}, name="winograd")
        area = estimate_area(q, tech, dict(arch.energy_overrides)).value * adders
        leak = leakage_power_per_area_w_per_m2(tech.node_m, tech.voltage_v, flavor=tech.flavor) * area
        extra = ExtraComponent(
            "winograd_transform",
            area,
            leak,
            f"{adders} adders ({arch.pe_array.mac_output.bits} b, adder estimator) sized to transform "
            f"{demand:.3f} operations per multiplication at the array's rate (Lavin & Gray 2016 op counts)",
            self.label,
        )
        return replace(priced, extras=(*priced.extras, extra))

    # ---- counts: raw data at the outermost level, transform operations ------------------------------------
    def counts(self, lc: LayerCounts, ctx: CountsContext) -> LayerCounts:
        info = lc.layer.attrs.get(WINOGRAD)
        if not info:
            return lc
        layer = lc.layer
        tile, t = info["tile"], info["alpha"]
        g0 = layer.G // (t * t)
        top = ctx.mapped_levels[0]
        traffic = lc.counts.levels[top]
        n = layer.N
        # inputs: the outermost level holds the raw feature map, not the overlapping transformed tiles
        in_rows, in_cols = info["input_rows_cols"]
        raw_in = n * g0 * layer.C * in_rows * in_cols
        transformed_in = n * layer.G * layer.C * layer.P * layer.Q
        in_ratio = raw_in / transformed_in
        # outputs: the finished raw outputs leave; partial-sum spills stay in the Winograd domain
        out_ratio = (info["dims"]["P"] * info["dims"]["Q"]) / (t * t * layer.P * layer.Q)
        w_bits = layer.bits_of(Operand.WEIGHT)
        in_bits = layer.bits_of(Operand.INPUT)
        in_tiles_fetched = traffic.read_bits[Operand.INPUT] / (in_bits * t * t)
        filters_fetched = traffic.read_bits[Operand.WEIGHT] / (w_bits * t * t)
        out_w, out_r = traffic.write_bits[Operand.OUTPUT], traffic.read_bits[Operand.OUTPUT]
        final = max(out_w - out_r, 0.0)
        new_out_w = final * out_ratio + (out_w - final)
        lc = lc.scale_traffic(in_ratio, levels=[top], operands=["input"], actions=("read",))
        if out_w:
            lc = lc.scale_traffic(new_out_w / out_w, levels=[top], operands=["output"], actions=("write",))
        on_chip_filters = self.spec.filter_transform == "on_chip"  # type: ignore[attr-defined]
        if on_chip_filters:
            lc = lc.scale_traffic(R * R / (t * t), levels=[top], operands=["weight"], actions=("read",))
        ops = transform_ops(tile)
        arch = ctx.arch
        acc_bits = arch.pe_array.mac_output.bits
        out_tiles = n * g0 * layer.K * layer.P * layer.Q
        rows = [
            ("input", in_tiles_fetched * ops["data"], _add_j(ctx, in_bits + input_bit_growth(tile))),
            ("output", out_tiles * ops["inverse"], _add_j(ctx, acc_bits)),
        ]
        if on_chip_filters:
            rows.append(("weight", filters_fetched * ops["filter"], _add_j(ctx, acc_bits)))
        extra = [ExtraAction("winograd_transform", o, "add", c, c * e, self.label) for o, c, e in rows if c]
        lc = lc.with_extra(*extra)
        direct = info["direct_macs"]
        note = (
            f"Winograd F({tile}x{tile},3x3): {layer.macs:,} multiplications instead of {direct:,} "
            f"({direct / layer.macs:.2f}x fewer); transforms {sum(r[1] for r in rows):,.0f} adds"
        )
        if tile == 4:
            note += "; F(4x4,3x3) is numerically harder in int8 (accuracy caveat, Fernandez-Marques et al. 2020)"
        return lc.with_note(note)


def _add_j(ctx: CountsContext, bits: int) -> float:
    """Energy of one add at ``bits`` from the accelerator's own adder estimator."""
    from accelkit.estimators import ComponentQuery, estimate_energy

    arch = ctx.arch
    fmt = "fp" if arch.pe_array.mac_input.is_float else "int"
    q = ComponentQuery("adder", {"bits": bits, "number_format": fmt}, name="winograd")
    return estimate_energy(q, "add", ctx.priced.tech, dict(arch.energy_overrides)).value


def _raw_weight_bits(layer: Layer, arch: Accelerator) -> float:
    """Stored bits of the raw 3x3 filters and biases at the precision the datapath cast will give them."""
    from accelkit.optimizations.base import QUANTIZED

    kept = set(layer.attrs.get(QUANTIZED, ()))
    w_bits = layer.bits_of(Operand.WEIGHT) if "weight" in kept else arch.pe_array.mac_weight.bits
    bias_bits = arch.pe_array.mac_output.bits
    return float(layer.weight_elements * w_bits + layer.bias_elements * bias_bits)


def _weight_bits_of(spec: Any) -> int | None:
    """The narrowest weight width another block's spec asks for, read defensively (None when unknown).

    A leaf counts when its path mentions "weight" or lies under "layers" (per-layer formats) without mentioning
    "activation": an int is a bit width (``weights: 2``, ``weight_bits: 1``), a string a number format
    (``weights: int4``, ``binary``, ``ternary``); formats it cannot parse (``log4``) are skipped. Conservative: a
    single <= 2-bit layer anywhere counts, whether or not Winograd would transform that layer.
    """
    from accelkit.workload.ir import DataType

    found: list[int] = []

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{path}.{k}")
            return
        if isinstance(value, (list, tuple)):
            for v in value:
                walk(v, path)
            return
        low = path.lower()
        if "activation" in low or not ("weight" in low or low.startswith(".layers")):
            return
        if isinstance(value, int) and not isinstance(value, bool):
            found.append(value)
        elif isinstance(value, str):
            with contextlib.suppress(ValueError):
                found.append(DataType.parse(value).bits)

    try:
        dumped = spec.model_dump()
    except AttributeError:
        return None
    walk(dumped, "")
    return min(found) if found else None
