"""Network statistics: MACs, parameters, bytes at each layer's precision, peak live activation memory.

Conventions (stated once, used everywhere):

* ``macs`` counts conv / depthwise / fc / matmul multiply-accumulates only; pooling, elementwise and activation
  work is ``ops`` (one op per arithmetic step, see ``builder.ELEMENTWISE_OPS_PER_ELEMENT``).
* ``params`` are trainable parameters (weights + biases + folded batch-norm gamma/beta + extra parameters).
* ``weight_bytes`` is what an accelerator stores: constant weights at the weight precision plus one bias per
  output channel at the bias precision (folded BN leaves exactly one bias) plus extra parameters (embedding
  tables, position embeddings, layer-norm gamma/beta), dense, uncompressed.
* **Shared (tied) weights** are stored once. When several layers read the same constant weight tensor
  (``Layer.weight_tensor``: an ONNX initializer used by two nodes, directly or through a layout-only op such as
  Transpose or DequantizeLinear; a TFLite buffer), the network totals (``params``, ``weight_bytes``,
  ``weight_density``, ``weight_entropy_bits``) count it once, at the first layer that reads it. The per-layer rows
  still show each layer's full weights (what that layer reads), so the rows can add up to more than the totals;
  ``NetworkStats.shared_weights`` names each layer whose weights were not counted again and the layer that holds
  them. A layer with a batch norm folded into it has its own deployed copy (the scales differ), so it never
  shares. Biases are counted per layer (the IR does not name bias tensors).
* Activation bytes are tensor elements times the tensor's own bit width. Views (reshape, flatten, fused
  activations) share their base tensor's buffer and are never counted twice.
* Peak live activation memory follows the network's topological layer order: while a layer runs, every tensor
  produced earlier (or a network input) that a later layer — or the network output — still needs is live, plus
  the layer's own outputs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from accelkit.workload.ir import LOOP_DIMS, Layer, Network, Operand

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


@dataclass(frozen=True)
class LayerStats:
    """Per-layer statistics."""

    name: str
    op: str
    kind: str
    op_type: str
    macs: int
    ops: int
    params: int
    weight_elements: int
    weight_bytes: float
    input_bytes: float
    output_bytes: float
    live_bytes: float
    input_bits: int
    weight_bits: int | None
    output_bits: int
    weight_density: float | None
    weight_entropy_bits: float | None


@dataclass(frozen=True)
class NetworkStats:
    """Per-layer rows and network totals."""

    name: str
    layers: tuple[LayerStats, ...]
    macs: int
    ops: int
    params: int
    weight_bytes: float
    activation_peak_bytes: float
    activation_peak_layer: str | None
    activation_total_bytes: float
    input_bytes: float
    output_bytes: float
    weight_density: float | None
    weight_entropy_bits: float | None
    layer_counts: dict[str, int]
    #: layer name -> the earlier layer whose (identical) weight tensor it reads: counted once in the totals.
    shared_weights: dict[str, str] = field(default_factory=dict)
    #: weight elements left out of ``params`` because they were already counted (sum over ``shared_weights``).
    shared_weight_params: int = 0

    def totals_dict(self) -> dict[str, Any]:
        """The totals as plain JSON-able values (the ``totals`` object of the output contract)."""
        return {
            "macs": self.macs,
            "ops": self.ops,
            "params": self.params,
            "weight_bytes": self.weight_bytes,
            "activation_peak_bytes": self.activation_peak_bytes,
            "activation_peak_layer": self.activation_peak_layer,
            "activation_total_bytes": self.activation_total_bytes,
            "input_bytes": self.input_bytes,
            "output_bytes": self.output_bytes,
            "weight_density": self.weight_density,
            "weight_entropy_bits": self.weight_entropy_bits,
            "layers": len(self.layers),
            "layer_counts": dict(self.layer_counts),
            "shared_weight_params": self.shared_weight_params,
        }


def weight_bytes(layer: Layer) -> float:
    """Bytes of stored parameters: constant weights at weight precision + biases at bias precision + extra
    parameters (embedding tables, position embeddings, layer-norm gamma/beta) at the weight precision.

    Folded batch-norm parameters are not stored: they live on in the weights and the bias.
    """
    bits = layer.extra_params * layer.bits_of(Operand.WEIGHT)
    if not layer.has_weights:
        return bits / 8
    bits += layer.weight_elements * layer.bits_of(Operand.WEIGHT)
    if layer.bias:
        bias_bits = layer.bias_dtype.bits if layer.bias_dtype else layer.bits_of(Operand.OUTPUT)
        bits += layer.bias_elements * bias_bits
    return bits / 8


def _tensor_bytes(net: Network, name: str) -> float:
    base = net.base_tensor(name)
    t = net.tensors.get(base)
    return t.bytes if t is not None else 0.0


def live_activation_bytes(net: Network, sizes: Mapping[str, float] | None = None) -> list[float]:
    """Live activation bytes while each layer runs, in the network's topological order.

    ``sizes`` replaces the bytes of some (base) tensors: fused intermediates held as tile buffers, compressed
    feature maps.
    """
    end = len(net.layers)
    last_use: dict[str, int] = {}
    born: dict[str, int] = {}
    for t in net.inputs:
        born[net.base_tensor(t)] = -1
    for i, layer in enumerate(net.layers):
        for t in layer.outputs:
            born.setdefault(net.base_tensor(t), i)
        for t in layer.inputs:
            b = net.base_tensor(t)
            if b in net.tensors and not net.tensors[b].is_constant:
                last_use[b] = max(last_use.get(b, -1), i)
    for t in net.outputs:
        last_use[net.base_tensor(t)] = end
    live: list[float] = []
    override = sizes or {}
    sizes = {b: override.get(b, _tensor_bytes(net, b)) for b in born}
    for i, _ in enumerate(net.layers):
        total = 0.0
        for b, start in born.items():
            if start <= i and last_use.get(b, start) >= i:
                total += sizes[b]
        live.append(total)
    return live


def layer_stats(net: Network) -> tuple[LayerStats, ...]:
    live = live_activation_bytes(net)
    rows = []
    for layer, live_b in zip(net.layers, live, strict=True):
        inputs = {  # activations only: constant tables read by a gather are weights, not inputs
            b: None
            for t in layer.inputs
            if (b := net.base_tensor(t)) not in net.tensors or not net.tensors[b].is_constant
        }
        if layer.weight_source.value == "activation" and layer.weight_tensor:
            inputs.pop(net.base_tensor(layer.weight_tensor), None)
        ws = layer.weight_stats
        rows.append(
            LayerStats(
                name=layer.name,
                op=layer.op.value,
                kind=layer.kind_label,
                op_type=layer.op_type,
                macs=layer.macs,
                ops=layer.ops,
                params=layer.params,
                weight_elements=layer.weight_elements,
                weight_bytes=weight_bytes(layer),
                input_bytes=sum(_tensor_bytes(net, t) for t in inputs),
                output_bytes=sum(_tensor_bytes(net, t) for t in layer.outputs),
                live_bytes=live_b,
                input_bits=layer.bits_of(Operand.INPUT),
                weight_bits=layer.bits_of(Operand.WEIGHT) if layer.weight_elements else None,
                output_bits=layer.bits_of(Operand.OUTPUT),
                weight_density=(ws.density if ws else layer.density[Operand.WEIGHT]) if layer.has_weights else None,
                weight_entropy_bits=ws.entropy_bits if ws else None,
            )
        )
    return tuple(rows)


def shared_weights(net: Network) -> dict[str, str]:
    """Layers whose constant weights are the same tensor as an earlier layer's: ``{layer: first layer}``.

    Same tensor means the same ``weight_tensor`` name, element count and weight precision; a layer with a folded
    batch norm (``norm_params``) deploys its own scaled copy and never shares.
    """
    first: dict[tuple[str, int, int], str] = {}
    out: dict[str, str] = {}
    for layer in net.layers:
        if not layer.has_weights or not layer.weight_tensor or layer.norm_params:
            continue
        key = (layer.weight_tensor, layer.weight_elements, layer.bits_of(Operand.WEIGHT))
        if key in first:
            out[layer.name] = first[key]
        else:
            first[key] = layer.name
    return out


def network_stats(net: Network) -> NetworkStats:
    """Compute every statistic of ``net`` in one pass over its layers (shared weights counted once)."""
    rows = layer_stats(net)
    peak_i = max(range(len(rows)), key=lambda i: rows[i].live_bytes) if rows else None
    shared = shared_weights(net)
    repeated = [layer for layer in net.layers if layer.name in shared]
    shared_params = sum(layer.weight_elements for layer in repeated)
    shared_bytes = sum(layer.weight_elements * layer.bits_of(Operand.WEIGHT) / 8 for layer in repeated)
    measured = [
        layer.weight_stats
        for layer in net.layers
        if layer.has_weights and layer.weight_stats and layer.name not in shared
    ]
    n_w = sum(ws.elements for ws in measured)
    density = (1 - sum(ws.zeros for ws in measured) / n_w) if n_w else None
    ent = [ws for ws in measured if ws.entropy_bits is not None]
    n_e = sum(ws.elements for ws in ent)
    entropy = sum(ws.entropy_bits * ws.elements for ws in ent) / n_e if n_e else None  # type: ignore[operator]
    counts: dict[str, int] = {}
    for layer in net.layers:
        counts[layer.op.value] = counts.get(layer.op.value, 0) + 1
    produced = {net.base_tensor(t) for layer in net.layers for t in layer.outputs}
    return NetworkStats(
        name=net.name,
        layers=rows,
        macs=sum(r.macs for r in rows),
        ops=sum(r.ops for r in rows),
        params=sum(r.params for r in rows) - shared_params,
        weight_bytes=sum(r.weight_bytes for r in rows) - shared_bytes,
        activation_peak_bytes=rows[peak_i].live_bytes if peak_i is not None else 0.0,
        activation_peak_layer=rows[peak_i].name if peak_i is not None else None,
        activation_total_bytes=sum(_tensor_bytes(net, t) for t in produced),
        input_bytes=sum(_tensor_bytes(net, t) for t in net.inputs),
        output_bytes=sum(_tensor_bytes(net, t) for t in dict.fromkeys(net.base_tensor(t) for t in net.outputs)),
        weight_density=density,
        weight_entropy_bits=entropy,
        layer_counts=counts,
        shared_weights=shared,
        shared_weight_params=shared_params,
    )


def layer_table(net: Network) -> pd.DataFrame:
    """A pandas DataFrame with one row per layer: identity, loop dims, work, parameters, bytes, precision."""
    import pandas as pd

    rows = []
    for layer, st in zip(net.layers, layer_stats(net), strict=True):
        row: dict[str, Any] = {"name": layer.name, "op": st.op, "kind": st.kind, "op_type": layer.op_type}
        row.update({str(d): layer.dims[d] for d in LOOP_DIMS})
        row.update(
            {
                "stride": f"{layer.stride[0]}x{layer.stride[1]}",
                "macs": st.macs,
                "ops": st.ops,
                "params": st.params,
                "weight_bytes": st.weight_bytes,
                "input_bytes": st.input_bytes,
                "output_bytes": st.output_bytes,
                "live_bytes": st.live_bytes,
                "input_dtype": str(layer.precision[Operand.INPUT]),
                "weight_dtype": str(layer.precision[Operand.WEIGHT]) if layer.weight_elements else None,
                "output_dtype": str(layer.precision[Operand.OUTPUT]),
                "weight_density": st.weight_density,
                "weight_entropy_bits": st.weight_entropy_bits,
                "fused": ",".join(layer.fused),
                "inputs": ",".join(layer.inputs),
                "outputs": ",".join(layer.outputs),
            }
        )
        rows.append(row)
    df = pd.DataFrame(rows)
    if not rows:
        return df
    return df.set_index("name", drop=False).rename_axis(None)


def human_count(n: float) -> str:
    """12_501_632 -> '12.50 M'."""
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= scale:
            return f"{n / scale:.2f} {unit}"
    return f"{n:g}"


def human_bytes(n: float) -> str:
    """Binary units: 1536 -> '1.50 KiB'."""
    if n < 1024:
        return f"{n:g} B"
    exp = min(int(math.log(n, 1024)), 4)
    return f"{n / 1024**exp:.2f} {['B', 'KiB', 'MiB', 'GiB', 'TiB'][exp]}"


#: ``layer.attrs`` key: stored weight bits after compression (metadata included), set by compression blocks
WEIGHT_STORAGE_BITS = "weight_storage_bits"


def storage_bytes(net: Network) -> tuple[float, float]:
    """(weight bytes as stored, peak live activation bytes): compressed weights where a block compressed them
    (``layer.attrs[WEIGHT_STORAGE_BITS]``), dense otherwise."""
    st = network_stats(net)
    weights = st.weight_bytes
    for layer in net.layers:
        stored = layer.attrs.get(WEIGHT_STORAGE_BITS)
        if stored is not None:
            weights += stored / 8 - weight_bytes(layer)
    return weights, st.activation_peak_bytes
