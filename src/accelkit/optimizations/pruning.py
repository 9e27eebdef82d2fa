"""Weight pruning: unstructured (a weight density) and structured (whole output channels / filters removed).

* ``unstructured``: sets ``density[weight]`` of the chosen layers to a target (global or per layer) or keeps the
  ``measured`` density of the real weights (``layer.weight_stats``, present for imported TFLite/ONNX models). This
  changes *no* cost by itself — the Sparseloop split: storage and traffic shrink only with a sparse format
  (``sparse_format``, ``weight_sharing`` + ``huffman``), energy with ``zero_gating``, cycles with ``zero_skipping``.
  Pruned weights are taken as independently placed zeros.
* ``structured``: removes ``1 - density`` of the output channels (K) of the chosen layers: the loop nest, the MACs,
  the weights and the biases shrink, and so does the next layer's input-channel count (C), through channel-wise
  layers in between (depthwise, pooling, single-input elementwise) whose channels shrink too. A layer is pruned only
  when that is sound: every path from its output must reach convolution/FC layers (or a flatten feeding an FC)
  through channel-wise single-input layers only. Outputs that meet a residual add, a concatenation, the network
  output or an attention matmul would change a tensor shared with unpruned layers, so those layers are skipped when
  ``layers`` is ``all`` (listed in the network provenance) and refused with an error when named explicitly.
  Grouped (non-depthwise) convolutions are not pruned structurally either. Accuracy is not modelled.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from accelkit.optimizations.base import OPTIMIZATIONS, Optimization, OptimizationError, OptimizationSpec
from accelkit.optimizations.sparse_format import refresh_storage
from accelkit.workload.ir import LoopDim, Operand, OpKind, Tensor, WeightSource

if TYPE_CHECKING:  # pragma: no cover
    from accelkit.hardware.accelerator import Accelerator
    from accelkit.workload.ir import Layer, Network


class PruningSpec(OptimizationSpec):
    kind: Literal["pruning"] = "pruning"
    structure: Literal["unstructured", "structured"] = Field(
        "unstructured", description="unstructured: a weight density; structured: whole output channels removed"
    )
    density: float | dict[str, float] | Literal["measured"] = Field(
        description="fraction of weights (unstructured) or output channels (structured) kept, in (0, 1]: one value "
        "for every chosen layer, a per-layer mapping {layer: density}, or 'measured' (unstructured only: the "
        "density of the real weights, layer.weight_stats)"
    )
    layers: list[str] | Literal["all"] = Field(
        "all", description="layers to prune ('all': every layer with constant weights; structured: every safe one)"
    )
    keep_first_and_last: bool = Field(
        False, description="leave the first and the last weighted layer dense (common practice for accuracy)"
    )


def _check_density(block: str, where: str, d: float) -> None:
    if not (0.0 < d <= 1.0):
        raise OptimizationError(f"block {block!r}: density{where} = {d} must be in (0, 1]")


@OPTIMIZATIONS.register("pruning")
class Pruning(Optimization):
    """Unstructured or structured (channel) weight pruning. See the module docstring for the model and limits."""

    Spec = PruningSpec
    kind = "pruning"
    catalog_ids = ("unstructured-pruning", "structured-pruning")
    summary = "prune weights: a weight density (unstructured) or fewer output channels (structured)"
    order = 30
    metrics = ("memory", "energy", "latency")
    #: unstructured pruning alone changes no cost (the Sparseloop split); the example prunes channels
    example: ClassVar[dict[str, Any]] = {"structure": "structured", "density": 0.5}

    def conflict_with(self, other: Optimization) -> str | None:
        if isinstance(other, Pruning) and self.spec.structure == other.spec.structure:  # type: ignore[attr-defined]
            return "two pruning blocks of the same structure; give one block per-layer densities instead"
        return super().conflict_with(other)

    # ---- which layers, which density ------------------------------------------------------------------------------
    def _targets(self, net: Network) -> dict[str, float]:
        p = self.spec
        weighted = [layer for layer in net.layers if layer.has_weights and layer.weight_elements]
        if p.keep_first_and_last and len(weighted) > 2:  # type: ignore[attr-defined]
            weighted = weighted[1:-1]
        names = {layer.name for layer in net.layers}
        chosen = [layer.name for layer in weighted]
        if p.layers != "all":  # type: ignore[attr-defined]
            unknown = [n for n in p.layers if n not in names]  # type: ignore[attr-defined]
            if unknown:
                raise OptimizationError(f"block {self.label!r}: layers names unknown layer(s) {unknown}")
            nonw = [n for n in p.layers if n not in chosen]  # type: ignore[attr-defined]
            if nonw:
                raise OptimizationError(f"block {self.label!r}: layers {nonw} have no constant weights to prune")
            chosen = list(p.layers)  # type: ignore[attr-defined]
        dens = p.density  # type: ignore[attr-defined]
        if dens == "measured":
            if p.structure == "structured":  # type: ignore[attr-defined]
                raise OptimizationError(
                    f"block {self.label!r}: density 'measured' is a weight density; structured pruning needs the "
                    "fraction of channels kept"
                )
            missing = [n for n in chosen if net.layer(n).weight_stats is None]
            if missing:
                raise OptimizationError(
                    f"block {self.label!r}: density 'measured' needs real weights, but {missing[:5]}"
                    f"{' ...' if len(missing) > 5 else ''} carry no weight_stats (zoo networks have none; import a "
                    "TFLite/ONNX model with weights or give a density)"
                )
            return {n: net.layer(n).weight_stats.density for n in chosen}  # type: ignore[union-attr]
        if isinstance(dens, Mapping):
            unknown = [n for n in dens if n not in names]
            if unknown:
                raise OptimizationError(f"block {self.label!r}: density names unknown layer(s) {unknown}")
            out = {n: float(d) for n, d in dens.items() if n in chosen or p.layers != "all"}  # type: ignore[attr-defined]
        else:
            out = dict.fromkeys(chosen, float(dens))
        for n, d in out.items():
            _check_density(self.label, f"[{n!r}]", d)
        return out

    def network(self, net: Network, arch: Accelerator) -> Network:
        targets = self._targets(net)
        if self.spec.structure == "unstructured":  # type: ignore[attr-defined]
            layers = []
            for layer in net.layers:
                if layer.name in targets:
                    dens = {**layer.density, Operand.WEIGHT: targets[layer.name]}
                    layer = refresh_storage(layer.with_(density=dens))
                layers.append(layer)
            return net.with_layers(layers)
        return self._structured(net, targets)

    # ---- structured pruning ---------------------------------------------------------------------------------------
    def _channel_closure(self, net: Network, layer: Layer) -> tuple[list[Layer], list[tuple[Layer, int]]] | str:
        """Layers whose channels follow ``layer``'s output channels (pass-through) and the consumers whose C shrinks
        (with the factor: 1, or H*W for an FC after a flatten); or why pruning ``layer`` is unsafe."""
        passthrough: list[Layer] = []
        reducers: list[tuple[Layer, int]] = []
        frontier = [layer]
        while frontier:
            cur = frontier.pop()
            out = cur.outputs[0] if len(cur.outputs) == 1 else None
            if out is None:
                return f"{cur.name!r} has several outputs"
            if out in net.outputs or any(net.base_tensor(o) == out for o in net.outputs):
                return f"{cur.name!r} feeds the network output"
            views = [t for t in net.tensors.values() if t.alias_of is not None and net.base_tensor(t.name) == out]
            for v in views:
                if len(v.shape) != 2:
                    return f"view {v.name!r} of {out!r} is not a flatten"
            for c in net.consumers(out):
                acts = [t for t in c.inputs if not net.tensors[net.base_tensor(t)].is_constant]
                if len(set(net.base_tensor(t) for t in acts)) > 1:
                    return f"{out!r} meets another tensor in {c.name!r} (residual add / concatenation)"
                if c.weight_source is WeightSource.ACTIVATION:
                    return f"{out!r} is an operand of the matmul {c.name!r}"
                if c.op in (OpKind.DEPTHWISE, OpKind.POOL, OpKind.ELTWISE, OpKind.OTHER):
                    shape = net.tensors[out].shape
                    ch = shape[1] if len(shape) >= 2 else 0
                    if ch != c.G or c.attrs.get("fn") in ("softmax", "gather"):
                        return f"{c.name!r} ({c.op_type or c.op}) does not keep the {ch} channels of {out!r} apart"
                    if c.op is OpKind.DEPTHWISE and c.K != 1:
                        return f"depthwise {c.name!r} has a channel multiplier"
                    passthrough.append(c)
                    frontier.append(c)
                elif c.op in (OpKind.CONV, OpKind.FC) and c.G == 1:
                    ch = net.tensors[out].shape[1] if len(net.tensors[out].shape) >= 2 else 0
                    if ch == 0 or c.C % ch:
                        return f"cannot relate {c.name!r}'s inputs to the channels of {out!r}"
                    reducers.append((c, c.C // ch))
                else:
                    return f"{c.name!r} ({c.op}) cannot absorb fewer input channels"
        return passthrough, reducers

    def _structured(self, net: Network, targets: dict[str, float]) -> Network:
        explicit = self.spec.layers != "all"  # type: ignore[attr-defined]
        new_layers = {layer.name: layer for layer in net.layers}
        tensors = dict(net.tensors)
        skipped: dict[str, str] = {}
        pruned: dict[str, tuple[int, int]] = {}
        for name, d in targets.items():
            layer = new_layers[name]
            if layer.op is OpKind.DEPTHWISE:
                skipped[name] = "depthwise: its channels follow its producer's"
            elif layer.op not in (OpKind.CONV, OpKind.FC) or layer.G != 1:
                skipped[name] = f"{layer.op} with {layer.G} groups"
            else:
                closure = self._channel_closure(net, net.layer(name))
                if isinstance(closure, str):
                    skipped[name] = closure
                else:
                    k = layer.K
                    k_new = max(1, round(k * d))
                    if k_new == k:
                        continue
                    passthrough, reducers = closure
                    new_layers[name] = self._shrink(new_layers[name], LoopDim.K, k_new, k)
                    self._shrink_tensor(tensors, net, layer.outputs[0], k_new, k)
                    for c in passthrough:
                        new_layers[c.name] = self._shrink(new_layers[c.name], LoopDim.G, k_new, k)
                        self._shrink_tensor(tensors, net, c.outputs[0], k_new, k)
                    for c, per_channel in reducers:
                        cur = new_layers[c.name]
                        new_layers[c.name] = self._shrink(cur, LoopDim.C, cur.C - (k - k_new) * per_channel, cur.C)
                    pruned[name] = (k, k_new)
            if name in skipped and explicit:
                raise OptimizationError(
                    f"block {self.label!r}: cannot prune the channels of {name!r} soundly: {skipped[name]}"
                )
        prov = {
            **net.provenance,
            "structured_pruning": {"pruned": {n: list(v) for n, v in pruned.items()}, "skipped": skipped},
        }
        return net.with_layers([new_layers[layer.name] for layer in net.layers], tensors=tensors, provenance=prov)

    @staticmethod
    def _shrink(layer: Layer, dim: LoopDim, new: int, old: int) -> Layer:
        dims = dict(layer.dims)
        dims[dim] = new
        ops = layer.ops * new // old if layer.ops and dim is LoopDim.G else layer.ops
        return refresh_storage(layer.with_(dims=dims, ops=ops))

    @staticmethod
    def _shrink_tensor(tensors: dict[str, Tensor], net: Network, name: str, new: int, old: int) -> None:
        t = tensors[name]
        shape = list(t.shape)
        shape[1] = shape[1] * new // old
        tensors[name] = Tensor(t.name, tuple(shape), t.dtype, t.is_constant, t.quantization, t.alias_of)
        for v in net.tensors.values():
            if v.alias_of is not None and net.base_tensor(v.name) == name and len(v.shape) == 2:
                tensors[v.name] = Tensor(
                    v.name, (v.shape[0], v.shape[1] * new // old), v.dtype, v.is_constant, v.quantization, v.alias_of
                )
