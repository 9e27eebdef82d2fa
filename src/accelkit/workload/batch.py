"""Batch size of a network, and re-batching an imported one (N of every layer, the leading activation dim)."""

from __future__ import annotations

from accelkit.errors import AccelkitError
from accelkit.workload.ir import LoopDim, Network, Tensor


def batch_of(net: Network) -> int:
    """The network's batch: set by rebatch, else the zoo parameter, else 1."""
    if "batch" in net.provenance:
        return int(net.provenance["batch"])
    params = net.provenance.get("zoo_params") or {}
    return int(params.get("batch", 1))


def rebatch(net: Network, batch: int) -> Network:
    """Scale an imported network's batch: N of every layer and the leading dimension of activations."""
    if batch < 1:
        raise AccelkitError(f"batch must be a positive integer, got {batch}")
    current = batch_of(net)
    if batch == current:
        return net
    if any(net.tensors[t].shape[0] != current for t in net.inputs):
        raise AccelkitError(
            f"cannot re-batch {net.name!r}: its inputs do not all have batch {current} as their first dimension"
        )
    factor_num, factor_den = batch, current
    layers = []
    for layer in net.layers:
        dims = dict(layer.dims)
        # the batch lives in N for conv/fc/pool/eltwise layers; a matmul folds it into G (attention, activation
        # weights) or P (a weight shared by every row)
        if layer.op.value == "matmul":
            target = LoopDim.G if layer.weight_source.value == "activation" else LoopDim.P
        else:
            target = LoopDim.N
        if dims[target] * factor_num % factor_den:
            raise AccelkitError(f"cannot re-batch layer {layer.name!r} from {current} to {batch}")
        dims[target] = dims[target] * factor_num // factor_den
        layers.append(layer.with_(dims=dims, ops=layer.ops * factor_num // factor_den))
    tensors = {}
    for name, t in net.tensors.items():
        if t.is_constant or t.shape[0] % factor_den:
            tensors[name] = t
        else:
            tensors[name] = Tensor(
                t.name,
                (t.shape[0] * factor_num // factor_den, *t.shape[1:]),
                t.dtype,
                t.is_constant,
                t.quantization,
                t.alias_of,
            )
    return net.with_layers(layers, tensors=tensors, provenance={**net.provenance, "batch": batch})
