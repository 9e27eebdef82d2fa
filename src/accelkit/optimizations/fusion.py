"""Layer fusion / depth-first processing: consecutive layers run tile by tile so their intermediate feature maps
stay in an on-chip buffer instead of a round trip to DRAM.

Model (fused-layer pyramids of Alwani et al., MICRO 2016; depth-first tiling as in DeFiNES, Mei et al., HPCA 2023):

* **Groups.** Consecutive layers of a single-consumer chain (each intermediate tensor read by the next layer only)
  of convolutions, depthwise convolutions, pooling and fully connected layers. ``groups`` gives them by name; by
  default they are built greedily front to back, a layer joining while the group's buffers fit ``budget`` of the
  on-chip ``level`` (default: the outermost on-chip shared level) and while its window slides (a global pooling
  or a fully connected layer after a feature map needs the whole map: it starts a new group).
* **Tiles.** The last layer of a group produces ``tile_rows`` output rows per step (``tile_cols`` columns in
  ``recompute`` mode, full width otherwise); walking back, layer i must produce
  ``h_i = (h_{i+1} - 1) * stride_{i+1} + (R_{i+1} - 1) * dilation_{i+1} + 1`` rows (clamped to its height).
* **Modes.** ``line_buffer``: each intermediate keeps ``h_i`` full-width rows (line buffers carry the overlap from
  one tile to the next; no recompute). ``recompute``: each tile's pyramid is computed independently on a
  ``h_i x w_i`` window, so overlapping halos are recomputed: layer i does ``ceil(P_last/h_last) * h_i / P_i`` x
  ``ceil(Q_last/w_last) * w_i / Q_i`` times its MACs (and its on-chip traffic and cycles), in exchange for small
  buffers. Buffers per group = the sum of its intermediates' tiles at their output precision.
* **Counts.** A fused layer's DRAM write of its output (finished outputs; partial-sum spills stay) and the next
  layer's DRAM reads of it are removed; the on-chip traffic the mapper already counts at the buffer level (fill
  and drain of the tiles) now stands for the producer writing and the consumer reading the buffer.
* **Footprint.** The activation peak is recomputed with every fused intermediate replaced by its tile buffer
  (``footprint_overrides["activation_peak_bytes"]``); the group buffers are reported in the layer notes.
* **Residency.** Fusion removes DRAM traffic only when there is some: on an evaluation with the model resident on
  chip (``residency`` ``on_chip``), the block changes nothing and says so in the notes.

Limits: the mapper maps each layer on its own (the fused tiles' on-chip traffic is its layer-by-layer traffic, not
a joint depth-first schedule); weights are still fetched per layer (once per inference when they fit, as the
mapper decides), not re-fetched per tile; buffers are not checked against what the mapper also keeps in the same
level beyond the ``budget`` share; elementwise layers (residual adds) end a chain.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from accelkit.optimizations.base import OPTIMIZATIONS, LayerCounts, Optimization, OptimizationSpec
from accelkit.workload.ir import Layer, Operand, OpKind
from accelkit.workload.stats import live_activation_bytes

if TYPE_CHECKING:  # pragma: no cover
    from accelkit.hardware.accelerator import Accelerator, MemoryLevel
    from accelkit.model.evaluate import Evaluation
    from accelkit.optimizations.base import CountsContext
    from accelkit.workload.ir import Network

#: ``layer.attrs`` key: the fusion plan of a layer (group, role, rows, recompute factor, buffer bytes)
FUSION = "layer_fusion"
_FUSABLE = (OpKind.CONV, OpKind.DEPTHWISE, OpKind.POOL, OpKind.FC)


class LayerFusionSpec(OptimizationSpec):
    kind: Literal["layer_fusion"] = "layer_fusion"
    mode: Literal["line_buffer", "recompute"] = Field(
        "line_buffer",
        description="'line_buffer': full-width line buffers carry tile overlaps (more on-chip storage, no "
        "recompute); 'recompute': independent tile pyramids recompute their halos (extra MACs, small buffers)",
    )
    groups: list[list[str]] | None = Field(
        None,
        description="fused groups of consecutive layer names, e.g. [[conv1, dw1, pw1]]; default: greedy groups "
        "whose buffers fit the budget",
    )
    level: str | None = Field(
        None, description="on-chip level holding the fused tiles (default: the outermost on-chip shared level)"
    )
    budget: float = Field(
        0.5,
        gt=0,
        le=1,
        description="share of the level's capacity the fused buffers may use (the rest stays for the mapper's "
        "tiles); a design choice, not a cited figure",
    )
    tile_rows: int = Field(1, ge=1, description="output rows of a group's last layer produced per tile")
    tile_cols: int | None = Field(
        None, ge=1, description="output columns per tile in recompute mode (default: the full width)"
    )


@dataclass(frozen=True)
class _Geom:
    """What fusion needs of a layer: output rows/cols/channels, its window on its input, output bits."""

    rows: int
    cols: int
    channels: int
    r: int
    s: int
    stride: tuple[int, int]
    dilation: tuple[int, int]
    out_bits: int
    #: the layer reads its whole input for every output (fully connected): no spatial tiling across it
    full_input: bool = False


def _geom(layer: Layer, out_bits: int) -> _Geom:
    if layer.op is OpKind.FC:
        return _Geom(1, 1, layer.K * layer.G, 1, 1, (1, 1), (1, 1), out_bits, full_input=True)
    channels = layer.G * layer.K
    return _Geom(layer.P, layer.Q, channels, layer.R, layer.S, layer.stride, layer.dilation, out_bits)


def _window(out_rows: int, stride: int, r: int, dil: int) -> int:
    return (out_rows - 1) * stride + (r - 1) * dil + 1


def plan_group(geoms: list[_Geom], mode: str, tile_rows: int, tile_cols: int | None) -> dict[str, Any]:
    """Rows/cols each layer of a group computes per tile, recompute factors and buffer bits of the intermediates."""
    n = len(geoms)
    h = [0] * n
    w = [0] * n
    h[-1] = min(tile_rows, geoms[-1].rows)
    w[-1] = geoms[-1].cols if (mode == "line_buffer" or tile_cols is None) else min(tile_cols, geoms[-1].cols)
    for i in range(n - 2, -1, -1):
        nxt = geoms[i + 1]
        h[i] = min(_window(h[i + 1], nxt.stride[0], nxt.r, nxt.dilation[0]), geoms[i].rows)
        w[i] = min(_window(w[i + 1], nxt.stride[1], nxt.s, nxt.dilation[1]), geoms[i].cols)
        if nxt.full_input:
            h[i], w[i] = geoms[i].rows, geoms[i].cols
        if mode == "line_buffer":
            w[i] = geoms[i].cols
    steps_p = math.ceil(geoms[-1].rows / h[-1])
    steps_q = math.ceil(geoms[-1].cols / w[-1])
    recompute = [1.0] * n
    if mode == "recompute":
        for i in range(n):
            fp = max(steps_p * h[i] / geoms[i].rows, 1.0) if steps_p > 1 else 1.0
            fq = max(steps_q * w[i] / geoms[i].cols, 1.0) if steps_q > 1 else 1.0
            recompute[i] = fp * fq
    buffers = [h[i] * w[i] * geoms[i].channels * geoms[i].out_bits for i in range(n - 1)]
    return {"rows": h, "cols": w, "recompute": recompute, "buffer_bits": buffers}


def _buffer_level(arch: Accelerator, name: str | None) -> MemoryLevel:
    on_chip = [lv for lv in arch.levels if lv.kind != "dram" and not lv.per_pe]
    if name is None:
        if not on_chip:
            raise ValueError("the accelerator has no on-chip shared level to hold fused tiles")
        return on_chip[0]
    return arch.level(name)


@OPTIMIZATIONS.register("layer_fusion")
class LayerFusion(Optimization):
    Spec = LayerFusionSpec
    kind = "layer_fusion"
    catalog_ids = ("layer-fusion", "patch-based-inference")
    summary = "fuse consecutive layers depth-first so intermediate feature maps stay on chip (no DRAM round trip)"
    order = 70
    metrics = ("energy", "latency", "memory")
    example: ClassVar[dict[str, Any]] = {"mode": "line_buffer"}
    example_context: ClassVar[dict[str, Any]] = {"residency": "dram"}

    # ---- checks -------------------------------------------------------------------------------------------
    def check(self, net: Network, arch: Accelerator) -> list[tuple[str, str]]:
        p = self.spec
        problems: list[tuple[str, str]] = []
        if p.level is not None:  # type: ignore[attr-defined]
            names = [lv.name for lv in arch.levels]
            if p.level not in names:  # type: ignore[attr-defined]
                from accelkit.errors import UnknownNameError

                problems.append(("level", str(UnknownNameError("memory level", p.level, names))))  # type: ignore[attr-defined]
            else:
                lv = arch.level(p.level)  # type: ignore[attr-defined]
                if lv.kind == "dram" or lv.per_pe:
                    problems.append(("level", f"level {lv.name!r} is not an on-chip shared buffer"))
        for gi, group in enumerate(p.groups or ()):  # type: ignore[attr-defined]
            why = self._group_problem(net, group)
            if why:
                problems.append((f"groups[{gi}]", why))
        return problems

    def _group_problem(self, net: Network, group: list[str]) -> str | None:
        if len(group) < 2:
            return "a fused group needs at least two layers"
        for name in group:
            try:
                layer = net.layer(name)
            except Exception as exc:  # UnknownNameError with suggestions
                return str(exc)
            if layer.op not in _FUSABLE:
                return f"layer {name!r} is a {layer.op} layer (fusable: conv, depthwise, pool, fc)"
        for a, b in itertools.pairwise(group):
            if not _chained(net, net.layer(a), net.layer(b)):
                return f"{b!r} is not the only consumer of {a!r}'s output (layers must form a single chain)"
        return None

    # ---- workload: the plan, carried in the layers' attrs -------------------------------------------------
    def network(self, net: Network, arch: Accelerator) -> Network:
        p = self.spec
        try:
            level = _buffer_level(arch, p.level)  # type: ignore[attr-defined]
        except (ValueError, KeyError):
            return net  # check() names the field
        budget = level.usable_bits * p.budget  # type: ignore[attr-defined]
        bits = _out_bits(arch)
        if p.groups is not None:  # type: ignore[attr-defined]
            groups = [list(g) for g in p.groups if self._group_problem(net, g) is None]  # type: ignore[attr-defined]
        else:
            groups = self._auto_groups(net, bits, budget)
        if not groups:
            return net
        attrs: dict[str, dict[str, Any]] = {}
        for gi, group in enumerate(groups):
            layers = [net.layer(n) for n in group]
            plan = plan_group([_geom(x, bits(x)) for x in layers], p.mode, p.tile_rows, p.tile_cols)  # type: ignore[attr-defined]
            total = sum(plan["buffer_bits"])
            for i, layer in enumerate(layers):
                attrs[layer.name] = {
                    "group": gi,
                    "layers": tuple(group),
                    "fused_input": i > 0,
                    "fused_output": i < len(layers) - 1,
                    "output_tensor": layer.outputs[0],
                    "rows": plan["rows"][i],
                    "cols": plan["cols"][i],
                    "recompute": plan["recompute"][i],
                    "buffer_bytes": plan["buffer_bits"][i] / 8 if i < len(layers) - 1 else 0.0,
                    "group_buffer_bytes": total / 8,
                    "level": level.name,
                    "fits": total <= budget,
                }
        return net.with_layers(
            layer.with_(attrs={**layer.attrs, FUSION: attrs[layer.name]}) if layer.name in attrs else layer
            for layer in net.layers
        )

    def _auto_groups(self, net: Network, bits: Any, budget: float) -> list[list[str]]:
        p = self.spec
        groups: list[list[str]] = []
        current: list[Layer] = []
        for layer in net.layers:
            if layer.op not in _FUSABLE:
                if len(current) > 1:
                    groups.append([x.name for x in current])
                current = []
                continue
            if current and _chained(net, current[-1], layer) and _slides(current[-1], layer, bits):
                trial = [*current, layer]
                plan = plan_group([_geom(x, bits(x)) for x in trial], p.mode, p.tile_rows, p.tile_cols)  # type: ignore[attr-defined]
                if sum(plan["buffer_bits"]) <= budget:
                    current = trial
                    continue
            if len(current) > 1:
                groups.append([x.name for x in current])
            current = [layer]
        if len(current) > 1:
            groups.append([x.name for x in current])
        return groups

    # ---- counts: the DRAM round trips of fused intermediates disappear -------------------------------------
    def counts(self, lc: LayerCounts, ctx: CountsContext) -> LayerCounts:
        plan = lc.layer.attrs.get(FUSION)
        if not plan:
            return lc
        if ctx.resident:
            return lc.with_note(
                "layer fusion: no effect — the model is resident on chip, so there is no DRAM traffic to remove"
            )
        top = ctx.mapped_levels[0]
        layer = lc.layer
        traffic = lc.counts.levels[top]
        removed_in = removed_out = 0.0
        if plan["fused_input"]:
            removed_in = traffic.read_bits[Operand.INPUT]
            lc = lc.scale_traffic(0.0, levels=[top], operands=["input"], actions=("read",))
        if plan["fused_output"]:
            out_w, out_r = traffic.write_bits[Operand.OUTPUT], traffic.read_bits[Operand.OUTPUT]
            final = min(max(out_w - out_r, 0.0), _tensor_bits(ctx.network, layer))
            if out_w and final:
                removed_out = final
                lc = lc.scale_traffic((out_w - final) / out_w, levels=[top], operands=["output"], actions=("write",))
        f = plan["recompute"]
        if f > 1.0:
            inner = [n for n in ctx.mapped_levels if n != top]
            lc = lc.scale_traffic(f, levels=inner)
            lc = replace(lc, macs=lc.macs * f, compute_cycles=lc.compute_cycles * f)
        note = (
            f"layer fusion group {plan['group']} ({' > '.join(plan['layers'])}) in {plan['level']!r}: "
            f"{(removed_in + removed_out) / 8:,.0f} B of DRAM traffic removed; tile {plan['rows']}x{plan['cols']}; "
            f"group buffers {plan['group_buffer_bytes']:,.0f} B"
        )
        if f > 1.0:
            note += f"; recompute x{f:.3f} MACs"
        if not plan["fits"]:
            note += "; WARNING: the group's buffers exceed the budget share of the level"
        return lc.with_note(note)

    # ---- aggregate: the activation peak with fused intermediates as tile buffers ---------------------------
    def evaluation(self, ev: Evaluation) -> Evaluation:
        if ev.provenance.get("residency") == "on_chip":
            return ev
        net = ev.network
        override: dict[str, float] = {}
        for layer in net.layers:
            plan = layer.attrs.get(FUSION)
            if plan and plan["fused_output"]:
                override[net.base_tensor(plan["output_tensor"])] = plan["buffer_bytes"]
        if not override:
            return ev
        peak = max(live_activation_bytes(net, override), default=0.0)
        return replace(ev, footprint_overrides={**ev.footprint_overrides, "activation_peak_bytes": peak})


def _chained(net: Network, producer: Layer, consumer: Layer) -> bool:
    """Whether ``consumer`` is the only reader of ``producer``'s only output and reads no other activation."""
    if len(producer.outputs) != 1:
        return False
    out = net.base_tensor(producer.outputs[0])
    if out in {net.base_tensor(t) for t in net.outputs}:
        return False
    readers = net.consumers(out)
    if len(readers) != 1 or readers[0].name != consumer.name:
        return False
    acts = {
        net.base_tensor(t)
        for t in consumer.inputs
        if not (net.tensors.get(net.base_tensor(t)) and net.tensors[net.base_tensor(t)].is_constant)
    }
    return acts == {out}


def _slides(producer: Layer, consumer: Layer, bits: Any) -> bool:
    """Whether depth-first tiling across this edge keeps less than the whole intermediate: the consumer's window
    for one output row is shorter than the producer's height, or the intermediate is a vector (FC chains)."""
    g, c = _geom(producer, bits(producer)), _geom(consumer, bits(consumer))
    if g.rows == 1 and g.cols == 1:
        return True
    if c.full_input:
        return False
    return _window(1, c.stride[0], c.r, c.dilation[0]) < g.rows


def _out_bits(arch: Accelerator) -> Any:
    """Bits of a stored output element: the datapath's input width (outputs feed the next layer's input)."""
    from accelkit.optimizations.base import QUANTIZED

    def bits(layer: Layer) -> int:
        if "output" in layer.attrs.get(QUANTIZED, ()):
            return layer.bits_of(Operand.OUTPUT)
        return arch.pe_array.mac_input.bits

    return bits


def _tensor_bits(net: Network, layer: Layer) -> float:
    t = net.tensors[net.base_tensor(layer.outputs[0])]
    return float(t.elements * layer.bits_of(Operand.OUTPUT))
