"""A small numpy reference executor over the IR: run a network whose constant values were kept, layer by layer,
and record how dense (non-zero) every activation is.

What it is for: ``activation_density: measured`` of the sparsity blocks (zeros after ReLU are what zero gating and
skipping exploit) and sanity checks of imported models. It is a *reference*, written for clarity and for the
layer kinds of edge CNNs and MLPs, vectorized with numpy (strided windows + matmul/einsum):

* convolution (grouped, depthwise, stride, dilation, explicit/SAME padding, 1-D as H=1), fully connected, matmul
  (constant or activation right operand), max/average pooling (padding excluded from averages unless ONNX
  ``count_include_pad``), elementwise add/sub/mul/div/max/min/pow with broadcasting and constant operands,
  activations (relu, relu6, clip, sigmoid, tanh, hard-swish/-sigmoid, leaky relu, elu, gelu), softmax, mean/max/sum
  reductions, concat, pad, transpose, and free views (reshape/flatten/squeeze: the element order of the source
  format is kept, NHWC for TFLite); folded batch norms, bias adds and activations run after their layer in the order
  the importer folded them (``Constants.layer_info(...)["post"]``);
* **quantized models** (TFLite int8/uint8/int16, ONNX QDQ) run as *dequantize - compute in float - requantize*:
  weights and biases are dequantized with their (per-channel) scales and zero points, every layer output that the
  model stores as an integer is rounded and clamped to its quantized grid (fake quantization), so a value is zero
  exactly when its integer equals the zero point. This is not bit-exact TFLite integer arithmetic (fixed-point
  multipliers, rounding of requantization), but zeros and densities follow the integer model's grid.
* Not supported (a clear :class:`ExecutionError` naming the layer): transposed convolution, ONNX
  QLinearConv/ConvInteger/QLinearMatMul, gather/resize/slice/split and other data movement beyond
  concat/pad/transpose, layer normalization.

Input: seeded random data in the input's value range (a quantized input: uniform over its integer range; a float
input: uniform in ``input_range``, default ``[-1, 1)``), or user arrays (an ``.npy`` file for a single-input network,
an ``.npz`` keyed by input name, or a dict of arrays) in the IR layout or the source layout (NHWC for TFLite),
optionally with a leading sample axis.

Density is the fraction of non-zero values of a tensor (1.0 = dense), averaged over samples. For a layer,
``output_density`` is its output's and ``input_density`` its (first) activation input's, as the cost model uses
``layer.density[output]`` / ``layer.density[input]``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from accelkit.errors import AccelkitError
from accelkit.workload.ir import Constants, DataType, Layer, Network, OpKind, QuantParams, Tensor, WeightSource

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["ExecutionError", "ExecutionResult", "LayerDensity", "execute", "measure_activation_density"]

InputArg = str | os.PathLike[str] | np.ndarray | Mapping[str, Any] | None


class ExecutionError(AccelkitError):
    """The network cannot be executed (no weight values, or a layer kind the reference executor lacks)."""


@dataclass(frozen=True)
class LayerDensity:
    """Measured densities of one layer's activations (fractions of non-zero values, averaged over samples)."""

    layer: str
    op: str
    input_density: float
    output_density: float
    #: One per activation input of the layer, in input order.
    input_densities: tuple[float, ...] = ()


@dataclass(frozen=True)
class ExecutionResult:
    """What one run of :func:`execute` measured."""

    network: str
    samples: int
    seed: int | None
    #: Per layer, in network order.
    layers: Mapping[str, LayerDensity]
    #: Density of every activation tensor that was computed (network inputs, layer outputs, views).
    tensor_density: Mapping[str, float]
    #: The network outputs of the last sample (real values, IR layout).
    outputs: Mapping[str, np.ndarray] = field(repr=False)
    #: Every tensor's value of the last sample when ``keep_values=True`` (IR layout), else None.
    values: Mapping[str, np.ndarray] | None = field(default=None, repr=False)

    def input_density(self) -> dict[str, float]:
        """``{layer: input density}`` for the layers fed by another layer (what ``activation_density`` takes)."""
        return {name: d.input_density for name, d in self.layers.items()}

    def to_dataframe(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(
            [
                {"layer": d.layer, "op": d.op, "input_density": d.input_density, "output_density": d.output_density}
                for d in self.layers.values()
            ]
        )


# ---- public entry points ----------------------------------------------------------------------------------------
def execute(
    net: Network,
    inputs: InputArg = None,
    *,
    samples: int = 1,
    seed: int | None = 0,
    input_range: tuple[float, float] = (-1.0, 1.0),
    keep_values: bool = False,
) -> ExecutionResult:
    """Run ``net`` (the network its constants belong to) on ``samples`` inputs and measure activation densities.

    ``inputs`` overrides the random data (see the module docstring); then ``samples`` is the number of samples the
    arrays hold. Raises :class:`ExecutionError` when the network has no weight values or a layer is unsupported.
    """
    store = net.constants
    if store is None:
        raise ExecutionError(
            f"network {net.name!r} has no weight values to execute (zoo and builder networks describe shapes only; "
            "import an ONNX or TFLite file with its weights, e.g. load_network(path, keep_weights=True))"
        )
    ref = store.network or net
    run = _Runner(ref, store)
    feeds = _input_samples(ref, store, inputs, samples, seed, input_range)
    sums: dict[str, float] = {}
    values: dict[str, np.ndarray] = {}
    for feed in feeds:
        values = run.run(feed)
        for name, v in values.items():
            if name in ref.tensors and not ref.tensors[name].is_constant:
                sums[name] = sums.get(name, 0.0) + _density(v)
    n = len(feeds)
    tensor_density = {k: v / n for k, v in sums.items()}
    layers: dict[str, LayerDensity] = {}
    for layer in ref.layers:
        acts = [t for t in layer.inputs if t in tensor_density]
        ins = tuple(tensor_density[t] for t in acts)
        layers[layer.name] = LayerDensity(
            layer.name,
            layer.op.value,
            ins[0] if ins else 1.0,
            tensor_density.get(layer.outputs[0], 1.0),
            ins,
        )
    outputs = {t: values[t] for t in ref.outputs if t in values}
    return ExecutionResult(
        ref.name, n, seed if inputs is None else None, layers, tensor_density, outputs, values if keep_values else None
    )


def measure_activation_density(
    net: Network,
    *,
    samples: int = 1,
    seed: int = 0,
    input: str | os.PathLike[str] | None = None,
    input_range: tuple[float, float] = (-1.0, 1.0),
) -> ExecutionResult:
    """:func:`execute` memoized on the network's constants (attribution and sweeps evaluate one network often)."""
    store = net.constants
    key = ("activation_density", samples, seed, None if input is None else str(input), tuple(input_range))
    if store is not None and key in store.cache:
        return store.cache[key]
    result = execute(net, input, samples=samples, seed=seed, input_range=input_range)
    if store is not None:
        store.cache[key] = result
    return result


# ---- inputs -----------------------------------------------------------------------------------------------------
def _int_range(dtype: DataType) -> tuple[int, int]:
    if dtype.kind == "uint":
        return 0, 2**dtype.bits - 1
    return -(2 ** (dtype.bits - 1)), 2 ** (dtype.bits - 1) - 1


def _native_shape(shape: tuple[int, ...], layout: str) -> tuple[int, ...]:
    return (shape[0], shape[2], shape[3], shape[1]) if layout == "NHWC" and len(shape) == 4 else shape


def _load_inputs(net: Network, inputs: InputArg) -> dict[str, np.ndarray]:
    if isinstance(inputs, np.ndarray):
        if len(net.inputs) != 1:
            raise ExecutionError(f"network {net.name!r} has inputs {list(net.inputs)}: give a dict or an .npz")
        return {net.inputs[0]: inputs}
    if isinstance(inputs, Mapping):
        unknown = sorted(set(inputs) - set(net.inputs))
        if unknown:
            raise ExecutionError(f"inputs {unknown} are not inputs of {net.name!r} (it has {list(net.inputs)})")
        return {k: np.asarray(v) for k, v in inputs.items()}
    path = Path(os.fspath(inputs))  # type: ignore[arg-type]
    if not path.is_file():
        raise ExecutionError("input file not found", source=str(path))
    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise ExecutionError(f"cannot read the input arrays: {exc}", source=str(path)) from None
    if isinstance(data, np.ndarray):
        return _load_inputs(net, data)
    with data:
        return _load_inputs(net, {k: data[k] for k in data.files})


def _input_samples(
    net: Network,
    store: Constants,
    inputs: InputArg,
    samples: int,
    seed: int | None,
    input_range: tuple[float, float],
) -> list[dict[str, np.ndarray]]:
    if samples < 1:
        raise ExecutionError(f"samples must be at least 1, got {samples}")
    feeds: list[dict[str, np.ndarray]]
    if inputs is None:
        rng = np.random.default_rng(seed)
        feeds = []
        for _ in range(samples):
            feed = {}
            for name in net.inputs:
                t = net.tensors[name]
                qp = store.quant(name)
                if qp is not None and not t.dtype.is_float:
                    lo, hi = _int_range(t.dtype)
                    q = rng.integers(lo, hi + 1, size=t.shape)
                    feed[name] = _dequantize_activation(q, qp, store.layout)
                else:
                    feed[name] = rng.uniform(input_range[0], input_range[1], size=t.shape).astype(np.float32)
            feeds.append(feed)
        return feeds
    given = _load_inputs(net, inputs)
    missing = [n for n in net.inputs if n not in given]
    if missing:
        raise ExecutionError(f"no array for input(s) {missing} of {net.name!r}")
    per_input: dict[str, list[np.ndarray]] = {}
    for name in net.inputs:
        per_input[name] = _split_samples(net.tensors[name], given[name], store)
    counts = {len(v) for v in per_input.values()}
    if len(counts) != 1:
        raise ExecutionError(
            f"the input arrays hold different numbers of samples: { {k: len(v) for k, v in per_input.items()} }"
        )
    return [{name: per_input[name][i] for name in net.inputs} for i in range(counts.pop())]


def _split_samples(t: Tensor, arr: np.ndarray, store: Constants) -> list[np.ndarray]:
    shape, native = t.shape, _native_shape(t.shape, store.layout)
    if arr.shape in (shape, native):
        batch = [arr]
    elif arr.ndim == len(shape) + 1 and arr.shape[1:] in (shape, native):
        batch = list(arr)
    elif shape[0] == 1 and arr.ndim == len(shape) and arr.shape[1:] in (shape[1:], native[1:]):
        batch = [a[None] for a in arr]
    else:
        raise ExecutionError(
            f"input {t.name!r}: an array of shape {list(arr.shape)} does not fit shape {list(shape)} "
            f"(source layout {list(native)}), with or without a leading sample axis"
        )
    out = []
    qp = store.quant(t.name)
    for a in batch:
        if a.shape != shape:
            a = a.transpose(0, 3, 1, 2)  # the source layout (NHWC) -> IR
        if np.issubdtype(a.dtype, np.integer) and qp is not None and not t.dtype.is_float:
            out.append(_dequantize_activation(a, qp, "NCHW"))
        else:
            v = a.astype(np.float32)
            out.append(_fake_quant(v, qp, t.dtype, "NCHW") if qp is not None and not t.dtype.is_float else v)
    return out


# ---- quantization -------------------------------------------------------------------------------------------------
def _ir_axis(axis: int, ndim: int, layout: str) -> int:
    axis %= max(ndim, 1)
    return (0, 2, 3, 1)[axis] if layout == "NHWC" and ndim == 4 else axis


def _dequantize_activation(q: np.ndarray, qp: QuantParams, layout: str) -> np.ndarray:
    return qp.dequantize(q, axis=_ir_axis(qp.axis, q.ndim, layout) if qp.per_channel else None)


def _fake_quant(v: np.ndarray, qp: QuantParams, dtype: DataType, layout: str) -> np.ndarray:
    """Round ``v`` to the quantized grid of ``qp`` (clamped to ``dtype``'s range) and back to real values."""
    scale, zp = qp.broadcast(v.ndim, _ir_axis(qp.axis, v.ndim, layout) if qp.per_channel else None)
    lo, hi = _int_range(dtype)
    q = np.clip(np.round(v / scale) + zp, lo, hi)
    return ((q - zp) * scale).astype(np.float32)


def _density(v: np.ndarray) -> float:
    return float(np.count_nonzero(v)) / v.size if v.size else 1.0


# ---- the runner ---------------------------------------------------------------------------------------------------
def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _gelu(x: np.ndarray, approximate: str = "none") -> np.ndarray:
    if approximate == "tanh":
        return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))
    from math import erf

    return 0.5 * x * (1.0 + np.vectorize(erf, otypes=[np.float64])(x / math.sqrt(2.0)))


def _activation(fn: str, x: np.ndarray, params: Mapping[str, Any] | None = None) -> np.ndarray:
    p = dict(params or {})
    fn = fn.lower()
    if fn == "relu":
        return np.maximum(x, 0)
    if fn == "relu6":
        return np.clip(x, 0, 6)
    if fn == "clip":
        lo, hi = p.get("min"), p.get("max")
        return np.clip(x, -np.inf if lo is None else lo, np.inf if hi is None else hi)
    if fn == "sigmoid":
        return _sigmoid(x)
    if fn == "tanh":
        return np.tanh(x)
    if fn == "hardsigmoid":
        return np.clip(p.get("alpha", 0.2) * x + p.get("beta", 0.5), 0, 1)
    if fn == "hardswish":
        return x * np.clip(x / 6.0 + 0.5, 0, 1)
    if fn in ("leaky_relu", "leakyrelu"):
        return np.where(x >= 0, x, p.get("alpha", 0.01) * x)
    if fn == "elu":
        return np.where(x >= 0, x, p.get("alpha", 1.0) * (np.exp(np.minimum(x, 0)) - 1))
    if fn == "gelu":
        return _gelu(x, str(p.get("approximate", "none")))
    if fn == "sign":
        return np.sign(x)
    if fn == "swish":
        return x * _sigmoid(x)
    raise KeyError(fn)


#: Activation names as layers record them in ``fused`` (builder names and ONNX op types).
_FUSED_NAMES = {
    "relu": "relu",
    "relu6": "relu6",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "hardswish": "hardswish",
    "swish": "swish",
}
_UNARY = {
    "exp": np.exp,
    "sqrt": np.sqrt,
    "neg": np.negative,
    "abs": np.abs,
    "reciprocal": np.reciprocal,
    "cast": lambda x: x,
    "floor": np.floor,
    "ceil": np.ceil,
}
_BINARY = {
    "add": np.add,
    "sub": np.subtract,
    "mul": np.multiply,
    "div": np.divide,
    "max": np.maximum,
    "min": np.minimum,
    "pow": np.power,
}


class _Runner:
    """Runs one network; prepared (dequantized, canonical-layout) weights are cached on the store."""

    def __init__(self, net: Network, store: Constants) -> None:
        self.net = net
        self.store = store
        self.layout = store.layout
        self.values: dict[str, np.ndarray] = {}

    # ---- errors -----------------------------------------------------------------------------------------------
    def error(self, layer: Layer, why: str) -> ExecutionError:
        return ExecutionError(
            f"network {self.net.name!r}, layer {layer.name!r} ({layer.op_type or layer.op}): the reference "
            f"executor cannot run it: {why}"
        )

    # ---- values -----------------------------------------------------------------------------------------------
    def run(self, feed: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        self.values = {k: np.asarray(v, dtype=np.float32) for k, v in feed.items()}
        for layer in self.net.layers:
            out = self.layer(layer)
            t = self.net.tensors[layer.outputs[0]]
            out = np.asarray(out, dtype=np.float32).reshape(t.shape)
            qp = self.store.quant(t.name)
            if qp is not None and not t.dtype.is_float:
                out = _fake_quant(out, qp, t.dtype, self.layout)
            self.values[t.name] = out
        for name in self.net.outputs:
            self.get(name)
        return self.values

    def get(self, name: str) -> np.ndarray:
        v = self.values.get(name)
        if v is not None:
            return v
        t = self.net.tensors[name]
        if t.alias_of is None:
            if t.is_constant and name in self.store:
                return self.const(name, len(t.shape))
            raise ExecutionError(f"network {self.net.name!r}: tensor {name!r} is read before it has a value")
        src = self.get(t.alias_of)
        v = self.view(src, t.shape)
        qp = self.store.quant(name)
        if qp is not None and not t.dtype.is_float:
            sq = self.store.quant(t.alias_of)
            same = (
                sq is not None
                and sq.scale.shape == qp.scale.shape
                and np.array_equal(sq.scale, qp.scale)
                and np.array_equal(sq.zero_point, qp.zero_point)
                and self.net.tensors[t.alias_of].dtype == t.dtype
            )
            if not same:  # QUANTIZE / QuantizeLinear / requantize: onto this view's grid
                v = _fake_quant(v, qp, t.dtype, self.layout)
        self.values[name] = v
        return v

    def view(self, v: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        """Reshape in the source format's element order (NHWC for TFLite)."""
        if self.layout == "NHWC" and (v.ndim == 4 or len(shape) == 4):
            x = v.transpose(0, 2, 3, 1) if v.ndim == 4 else v
            x = x.reshape(_native_shape(shape, "NHWC"))
            return np.ascontiguousarray(x.transpose(0, 3, 1, 2) if len(shape) == 4 else x)
        return v.reshape(shape)

    def raw(self, key: str) -> np.ndarray:
        """A kept constant as real values (dequantized when stored as integers), in its stored layout."""
        cache_key = ("exec-const", key)
        if cache_key in self.store.cache:
            return self.store.cache[cache_key]
        a = self.store[key]
        qp = self.store.quant(key)
        if np.issubdtype(a.dtype, np.integer) and qp is not None:
            v = qp.dequantize(a) if not qp.per_channel or a.ndim > qp.axis else qp.dequantize(a, axis=0)
        else:
            v = a.astype(np.float32)
        self.store.cache[cache_key] = v
        return v

    def const(self, key: str, rank: int) -> np.ndarray:
        """A constant operand of an elementwise op in the IR layout (NHWC constants are transposed)."""
        v = self.raw(key)
        if self.layout == "NHWC" and rank == 4 and v.ndim <= 4:
            v = v.reshape((1,) * (4 - v.ndim) + v.shape).transpose(0, 3, 1, 2)
        return v

    # ---- layers -----------------------------------------------------------------------------------------------
    def layer(self, layer: Layer) -> np.ndarray:
        info = self.store.layer_info(layer.name)
        try:
            if layer.op.is_mac:
                y = self.mac(layer, info)
            elif layer.op is OpKind.POOL:
                y = self.pool(layer, info)
            elif layer.op is OpKind.ELTWISE:
                y = self.eltwise(layer, info)
            else:
                y = self.other(layer, info)
            return self.post(layer, info, y)
        except ExecutionError:
            raise
        except KeyError as exc:
            raise self.error(layer, f"unknown function or missing value {exc}") from None
        except (ValueError, IndexError) as exc:
            raise self.error(layer, f"{type(exc).__name__}: {exc}") from None

    def post(self, layer: Layer, info: Mapping[str, Any], y: np.ndarray) -> np.ndarray:
        steps = info.get("post")
        if steps is None:  # no importer record: the activations named in ``fused`` (builder networks)
            steps = []
            for f in layer.fused:
                if f.lower() in _FUSED_NAMES:
                    steps.append(("act", _FUSED_NAMES[f.lower()], {}))
                elif f.upper() != "PAD":
                    raise self.error(layer, f"its fused {f!r} has no recorded parameters")
        for step in steps:
            kind = step[0]
            if kind == "act":
                y = _activation(step[1], y, step[2])
            elif kind == "add":
                y = y + self.raw(step[1])
            elif kind == "bn":
                y = self.batchnorm(y, step[1])
            else:  # pragma: no cover - importers record only these
                raise self.error(layer, f"unknown folded step {kind!r}")
        return y

    def batchnorm(self, y: np.ndarray, bn: Mapping[str, Any]) -> np.ndarray:
        shape = [1] * y.ndim
        shape[1 if y.ndim > 1 else 0] = -1
        scale, bias, mean, var = (self.raw(bn[k]).reshape(shape) for k in ("scale", "bias", "mean", "var"))
        return (y - mean) / np.sqrt(var + bn["epsilon"]) * scale + bias

    # ---- MAC layers ---------------------------------------------------------------------------------------------
    def weights(self, layer: Layer, info: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray | None]:
        """The weights as ``[G, K, C, R, S]`` (conv) or ``[K, C]`` (fc/matmul) real values, and the bias."""
        cache_key = ("exec-weights", layer.name)
        if cache_key in self.store.cache:
            return self.store.cache[cache_key]
        key = info.get("weight")
        if not key or key not in self.store:
            raise self.error(
                layer,
                "the importer kept no weight values for it (quantized ONNX ops such as "
                "QLinearConv/ConvInteger and transformed networks are not supported)",
            )
        w = self.raw(key)
        layout = info.get("weight_layout", "")
        g, k, c, r, s = layer.G, layer.K, layer.C, layer.R, layer.S
        if layer.op in (OpKind.CONV, OpKind.DEPTHWISE):
            if layout == "OHWI":
                w = w.reshape(g, k, r, s, c).transpose(0, 1, 4, 2, 3)
            elif layout == "1HWO":
                w = w.reshape(r, s, g, k).transpose(2, 3, 0, 1)[:, :, None]
            elif layout == "OIHW":
                w = w.reshape(g, k, c, r, s)
            else:
                raise self.error(layer, f"unknown weight layout {layout!r}")
        else:
            if layout in ("OI", "KC"):
                w = w.reshape(k, c)
            elif layout == "CK":
                w = w.reshape(c, k).T
            else:
                raise self.error(layer, f"unknown weight layout {layout!r}")
        w = np.ascontiguousarray(w, dtype=np.float32)
        bias = self.raw(info["bias"]).reshape(-1) if info.get("bias") else None
        if bias is not None and "beta" in info:
            bias = bias * info["beta"]
        if "alpha" in info and info["alpha"] != 1.0:
            w = w * info["alpha"]
        self.store.cache[cache_key] = (w, bias)
        return w, bias

    def mac(self, layer: Layer, info: Mapping[str, Any]) -> np.ndarray:
        if layer.weight_source is WeightSource.ACTIVATION:
            a, b = (self.get(t) for t in layer.inputs[:2])
            return np.matmul(a, b)
        if layer.transposed:
            raise self.error(layer, "transposed convolution is not supported")
        w, bias = self.weights(layer, info)
        x = self.get(layer.inputs[0])
        if layer.op is OpKind.FC:
            y = self.view(x, (layer.N, layer.C)) @ w.T
            return y + bias if bias is not None else y
        if layer.op is OpKind.MATMUL:
            y = x @ w.T
            return y + bias if bias is not None else y
        return self.conv(layer, x, w, bias)

    def conv(self, layer: Layer, x: np.ndarray, w: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
        n, g, k, c, p, q, r, s = (layer.N, layer.G, layer.K, layer.C, layer.P, layer.Q, layer.R, layer.S)
        x4 = x.reshape(n, g * c, -1, x.shape[-1]) if x.ndim != 4 else x
        win = self.windows(x4, layer, 0.0).reshape(n, g, c, p, q, r, s)
        if g == 1:
            cols = win[:, 0].transpose(0, 2, 3, 1, 4, 5).reshape(n * p * q, c * r * s)
            y = (cols @ w.reshape(k, c * r * s).T).reshape(n, p, q, k).transpose(0, 3, 1, 2)
        elif c == 1 and k == 1:  # depthwise: a weighted sum of the R*S shifted planes
            y = np.einsum("ngpqrs,grs->ngpq", win[:, :, 0], w[:, 0, 0], optimize=True)
        else:
            y = np.einsum("ngcpqrs,gkcrs->ngkpq", win, w, optimize=True).reshape(n, g * k, p, q)
        y = y.reshape(n, g * k, p, q)
        return y + bias.reshape(1, -1, 1, 1) if bias is not None else y

    def windows(self, x: np.ndarray, layer: Layer, fill: float) -> np.ndarray:
        """``[N, C, P, Q, R, S]`` strided windows of ``x`` padded with ``fill`` (and enough extra for ceil mode)."""
        n, ch, h, wd = x.shape
        top, left, bottom, right = layer.padding
        (sh, sw), (dh, dw) = layer.stride, layer.dilation
        need_h = (layer.P - 1) * sh + (layer.R - 1) * dh + 1
        need_w = (layer.Q - 1) * sw + (layer.S - 1) * dw + 1
        bottom = max(bottom, need_h - h - top)
        right = max(right, need_w - wd - left)
        xp = (
            np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)), constant_values=fill)
            if (top or left or bottom or right)
            else x
        )
        xp = np.ascontiguousarray(xp, dtype=np.float32)
        s0, s1, s2, s3 = xp.strides
        return as_strided(
            xp,
            shape=(n, ch, layer.P, layer.Q, layer.R, layer.S),
            strides=(s0, s1, s2 * sh, s3 * sw, s2 * dh, s3 * dw),
            writeable=False,
        )

    # ---- other layers -----------------------------------------------------------------------------------------
    def pool(self, layer: Layer, info: Mapping[str, Any]) -> np.ndarray:
        x = self.get(layer.inputs[0])
        x4 = x if x.ndim == 4 else x.reshape(layer.N, layer.G, -1, x.shape[-1])
        kind = layer.attrs.get("pool", "max")
        if kind == "max":
            return self.windows(x4, layer, -np.inf).max(axis=(-2, -1))
        total = self.windows(x4, layer, 0.0).sum(axis=(-2, -1), dtype=np.float64)
        if info.get("count_include_pad"):  # ONNX: the explicit padding counts, ceil-mode overhang does not
            top, left, bottom, right = layer.padding
            ones = np.pad(
                np.ones((1, 1, *x4.shape[2:]), np.float32),
                ((0, 0), (0, 0), (top, bottom), (left, right)),
                constant_values=1.0,
            )
            count = self.windows(ones, layer.with_(padding=(0, 0, 0, 0)), 0.0).sum(axis=(-2, -1))
        else:
            count = self.windows(np.ones((1, 1, *x4.shape[2:]), dtype=np.float32), layer, 0.0).sum(axis=(-2, -1))
        return total / np.maximum(count, 1)

    def operands(self, layer: Layer, info: Mapping[str, Any], rank: int) -> list[np.ndarray]:
        ops = info.get("operands")
        if ops is None:
            return [self.get(t) for t in layer.inputs]
        return [self.get(name) if kind == "act" else self.const(name, rank) for kind, name in ops]

    def eltwise(self, layer: Layer, info: Mapping[str, Any]) -> np.ndarray:
        fn = str(layer.attrs.get("fn", layer.op_type)).lower()
        out_rank = len(self.net.tensors[layer.outputs[0]].shape)
        if fn in _BINARY:
            xs = self.operands(layer, info, out_rank)
            y = xs[0]
            for other in xs[1:]:
                y = _BINARY[fn](y, other)
            return y
        x = self.get(layer.inputs[0])
        if fn in _UNARY:
            return _UNARY[fn](x)
        if fn == "softmax":
            return self.softmax(x, info)
        if fn in ("mean", "max", "sum") and "reduce_axes" in layer.attrs:
            axes = tuple(int(a) for a in layer.attrs["reduce_axes"])
            red = {"mean": np.mean, "max": np.max, "sum": np.sum}[fn]
            return red(x, axis=axes, keepdims=True)
        if fn == "batchnorm" and "bn" in info:
            return self.batchnorm(x, info["bn"])
        try:
            return _activation(fn, x, info.get("act_params") or layer.attrs)
        except KeyError:
            raise self.error(layer, f"elementwise function {fn!r} is not supported") from None

    def softmax(self, x: np.ndarray, info: Mapping[str, Any]) -> np.ndarray:
        if "axis" in info:
            axis = int(info["axis"]) % x.ndim
            if info.get("coerce_2d"):  # opset < 13: softmax over the flattened trailing axes
                flat = x.reshape(math.prod(x.shape[:axis]), -1)
                return self.softmax(flat, {"axis": 1}).reshape(x.shape)
        else:  # TFLite: the last axis of the source layout (channels of an NHWC tensor)
            axis = 1 if (self.layout == "NHWC" and x.ndim == 4) else x.ndim - 1
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        y = e / e.sum(axis=axis, keepdims=True)
        return np.log(y) if info.get("log") else y

    def other(self, layer: Layer, info: Mapping[str, Any]) -> np.ndarray:
        fn = str(layer.attrs.get("fn", layer.op_type)).lower()
        out_shape = self.net.tensors[layer.outputs[0]].shape
        if fn == "concat":
            if "axis" not in info:
                raise self.error(layer, "the importer recorded no concatenation axis")
            xs = self.operands(layer, info, len(out_shape))
            return np.concatenate(xs, axis=int(info["axis"]) % len(out_shape))
        if fn == "pad" and "pads" in info:
            if info.get("mode", "constant") != "constant":
                raise self.error(layer, f"pad mode {info['mode']!r}")
            x = self.get(layer.inputs[0])
            value = float(info.get("value", 0.0))
            if info.get("operands"):
                value = float(self.raw(info["operands"][1][1]).reshape(-1)[0])
            return np.pad(x, tuple(info["pads"]), constant_values=value)
        if fn == "transpose":
            x = self.get(layer.inputs[0])
            perm = info.get("perm") or layer.attrs.get("perm")
            return np.transpose(x, tuple(perm) if perm is not None else None)
        raise self.error(layer, f"data movement {fn!r} is not supported")
