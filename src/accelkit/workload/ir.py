"""The network IR: a small, immutable DAG of loop-nest layers.

Every compute layer is a loop nest over the dimensions of :class:`LoopDim` (Timeloop/ZigZag convention)::

    for n, g, k, c, p, q, r, s:
        O[n, g, k, p, q] += I[n, g, c, p*Sh + r*Dh - pad_top, q*Sw + s*Dw - pad_left] * W[g, k, c, r, s]

* ``N`` batch, ``G`` groups (independent sub-problems: conv groups, depthwise channels, batched-matmul batches),
  ``K`` output channels per group, ``C`` input channels per group (the reduction), ``P``/``Q`` output rows/cols,
  ``R``/``S`` filter rows/cols.
* Fully connected: ``K`` outputs, ``C`` inputs, everything else 1 (``N`` the batch).
* Matmul ``[G, M, C] x [G, C, K] -> [G, M, K]``: rows ``M`` map to ``P``; a weight shared by every batch folds the
  batch into ``P`` instead of ``G``.
* Transposed convolution iterates over *input* pixels: ``P``/``Q`` are the input rows/cols and each input pixel
  scatters into ``R*S`` output pixels (``transposed=True``); the output tensor carries the real output shape.
* Pooling and elementwise layers use ``G`` for channels and have no weight operand; their work is counted in
  :attr:`Layer.ops` (comparisons, adds, multiplies), never in :attr:`Layer.macs`.

Activation tensors are logically NCHW (TFLite's NHWC is transposed on import); rank-2/3 tensors keep their shape.
Numbers are plain Python ints; precision is in bits; density is the fraction of non-zero values (1.0 = dense).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from accelkit.errors import AccelkitError, ShapeError, UnknownNameError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


class LoopDim(StrEnum):
    """The loop dimensions of a layer's loop nest."""

    N = "N"
    G = "G"
    K = "K"
    C = "C"
    P = "P"
    Q = "Q"
    R = "R"
    S = "S"

    def __str__(self) -> str:
        return self.value


LOOP_DIMS: tuple[LoopDim, ...] = tuple(LoopDim)


class Operand(StrEnum):
    """The three operands of a loop nest."""

    INPUT = "input"
    WEIGHT = "weight"
    OUTPUT = "output"

    def __str__(self) -> str:
        return self.value


#: Which loop dimensions index each operand (the projection used by reuse analysis).
OPERAND_DIMS: Mapping[Operand, frozenset[LoopDim]] = {
    Operand.INPUT: frozenset({LoopDim.N, LoopDim.G, LoopDim.C, LoopDim.P, LoopDim.Q, LoopDim.R, LoopDim.S}),
    Operand.WEIGHT: frozenset({LoopDim.G, LoopDim.K, LoopDim.C, LoopDim.R, LoopDim.S}),
    Operand.OUTPUT: frozenset({LoopDim.N, LoopDim.G, LoopDim.K, LoopDim.P, LoopDim.Q}),
}


class OpKind(StrEnum):
    """The coarse operator class used by the cost model and the JSON output contract."""

    CONV = "conv"
    DEPTHWISE = "depthwise"
    FC = "fc"
    MATMUL = "matmul"
    POOL = "pool"
    ELTWISE = "eltwise"
    OTHER = "other"

    def __str__(self) -> str:
        return self.value

    @property
    def is_mac(self) -> bool:
        """Whether the op's work is multiply-accumulates (counted in ``macs``)."""
        return self in (OpKind.CONV, OpKind.DEPTHWISE, OpKind.FC, OpKind.MATMUL)


class WeightSource(StrEnum):
    """Where a layer's weight operand comes from."""

    NONE = "none"  # no weight operand (pooling, elementwise, data movement)
    CONSTANT = "constant"  # parameters stored with the model
    ACTIVATION = "activation"  # a second activation operand (attention QK^T / AV, activation x activation)

    def __str__(self) -> str:
        return self.value


_DTYPE_RE = re.compile(r"^(u?int|fp|float|bf|bfloat)(\d+)$|^(binary|ternary|bool)$")


@dataclass(frozen=True, slots=True)
class DataType:
    """A number format: ``kind`` is ``int``, ``uint`` or ``fp``; ``bits`` its width."""

    kind: str
    bits: int

    def __post_init__(self) -> None:
        if self.kind not in ("int", "uint", "fp", "bf"):
            raise ValueError(f"unknown number format kind {self.kind!r}; expected int, uint, fp or bf")
        if not (1 <= self.bits <= 64):
            raise ValueError(f"bit width must be between 1 and 64, got {self.bits}")

    @classmethod
    def parse(cls, text: str | DataType) -> DataType:
        """Parse ``"int8"``, ``"uint4"``, ``"fp16"``, ``"float32"``, ``"bf16"``, ``"binary"``, ``"ternary"``."""
        if isinstance(text, DataType):
            return text
        t = str(text).strip().lower()
        m = _DTYPE_RE.match(t)
        if not m:
            raise ValueError(
                f"unknown data type {text!r}; expected e.g. int8, uint8, int4, int16, fp16, fp32, bf16, binary"
            )
        if m.group(3):
            return {"binary": cls("int", 1), "bool": cls("uint", 1), "ternary": cls("int", 2)}[m.group(3)]
        kind, bits = m.group(1), int(m.group(2))
        kind = {"float": "fp", "bfloat": "bf"}.get(kind, kind)
        return cls(kind, bits)

    @property
    def is_float(self) -> bool:
        return self.kind in ("fp", "bf")

    def __str__(self) -> str:
        return f"{self.kind}{self.bits}"


FP32 = DataType("fp", 32)
INT8 = DataType("int", 8)
INT32 = DataType("int", 32)


@dataclass(frozen=True, slots=True)
class Tensor:
    """A tensor of the network: an activation edge or a constant (weights)."""

    name: str
    shape: tuple[int, ...]
    dtype: DataType = FP32
    is_constant: bool = False
    #: Quantization parameters when the source model had them (scale/zero-point summaries, axis).
    quantization: Mapping[str, Any] | None = None
    #: For a view (reshape, flatten, squeeze, fused activation output): the tensor whose buffer this one shares.
    alias_of: str | None = None

    def __post_init__(self) -> None:
        for d in self.shape:
            if not isinstance(d, int) or d <= 0:
                raise ShapeError(
                    f"tensor {self.name!r} has shape {list(self.shape)}: every dimension must be a positive integer"
                )

    @property
    def elements(self) -> int:
        return math.prod(self.shape)

    @property
    def bits(self) -> int:
        return self.elements * self.dtype.bits

    @property
    def bytes(self) -> float:
        return self.bits / 8


@dataclass(frozen=True, slots=True)
class WeightStats:
    """What was measured on real weight values (only when the source file carries them)."""

    elements: int
    zeros: int
    #: Empirical Shannon entropy in bits per weight of the quantized values; None for float weights.
    entropy_bits: float | None = None
    unique_values: int | None = None

    @property
    def density(self) -> float:
        return 1.0 - self.zeros / self.elements if self.elements else 1.0


@dataclass(frozen=True, eq=False)
class QuantParams:
    """Affine quantization of a tensor: ``real = (q - zero_point) * scale``, per tensor or per channel on ``axis``.

    ``scale`` and ``zero_point`` are 1-D read-only arrays of length 1 (per tensor) or the channel count; ``axis`` is
    the channel axis in the tensor's *stored* layout (TFLite's ``quantized_dimension``, ONNX's ``axis``).
    """

    scale: np.ndarray
    zero_point: np.ndarray
    axis: int = 0

    def __post_init__(self) -> None:
        s = np.array(self.scale, dtype=np.float64).reshape(-1)
        z = np.array(self.zero_point, dtype=np.int64).reshape(-1)
        if z.size == 0:
            z = np.zeros(1, dtype=np.int64)
        s.flags.writeable = False
        z.flags.writeable = False
        object.__setattr__(self, "scale", s)
        object.__setattr__(self, "zero_point", z)

    @property
    def per_channel(self) -> bool:
        return self.scale.size > 1

    def broadcast(self, ndim: int, axis: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Scale and zero point shaped to broadcast over an ``ndim``-D array along ``axis`` (default: own axis)."""
        if not self.per_channel and self.zero_point.size == 1:
            return self.scale.reshape(()), self.zero_point.reshape(())
        shape = [1] * ndim
        shape[(self.axis if axis is None else axis) % ndim] = -1
        scale = self.scale if self.scale.size > 1 else np.broadcast_to(self.scale, self.zero_point.shape)
        zp = self.zero_point if self.zero_point.size > 1 else np.broadcast_to(self.zero_point, scale.shape)
        return scale.reshape(shape), zp.reshape(shape)

    def dequantize(self, q: np.ndarray, axis: int | None = None) -> np.ndarray:
        """Real values of the integers ``q`` (float32)."""
        q = np.asarray(q)
        scale, zp = self.broadcast(q.ndim, axis)
        return ((q.astype(np.float64) - zp) * scale).astype(np.float32)

    def __repr__(self) -> str:
        if self.per_channel:
            return f"QuantParams({self.scale.size} channels on axis {self.axis})"
        return f"QuantParams(scale={float(self.scale[0]):.6g}, zero_point={int(self.zero_point[0])})"


def _readonly(a: Any) -> np.ndarray:
    arr = np.asarray(a)
    if arr.flags.writeable:
        arr = arr.view()
        arr.flags.writeable = False
    return arr


class Constants(Mapping[str, np.ndarray]):
    """The values of a network's constant tensors (weights, biases, folded constants), read-only.

    An importer fills one (see ``keep_weights`` of :func:`accelkit.workload.loader.load_network`); zoo and builder
    networks have none (``Network.constants is None``). What it holds:

    * the mapping itself: tensor name (the source file's tensor name, which is the IR name of every constant the IR
      lists) -> read-only numpy array in the *stored* layout and type (TFLite ``[O, H, W, I]`` int8, ONNX
      ``[O, I, kH, kW]`` float, ...);
    * :meth:`quant`: affine quantization parameters (full per-channel scale and zero-point arrays) of constants and
      of quantized activation tensors;
    * :meth:`layer_info`: per-layer facts the IR does not need for costing but an executor needs to run the layer
      (weight layout, bias tensor, folded batch-norm and bias tensors, activation parameters, operand order);
    * :attr:`network`: the network exactly as imported, which the values belong to. Transforms (pruning, Winograd,
      fusion, ...) return new networks that keep this store; an executor runs :attr:`network`, not the transformed
      loop nests.

    Equality is identity and the hash is the object's (arrays have no useful ``==``), so two imports of one file
    compare equal as Networks (``Network.constants`` is excluded from comparisons) while their stores differ. A
    *lazy* store (:meth:`lazy`) holds only a loader (e.g. "re-import this file") and loads on first access; it
    pickles as the loader. An eager store pickles with its arrays. :attr:`cache` memoizes derived results (measured
    activation densities) per store; it is not pickled.
    """

    __slots__ = ("_cache", "_layers", "_layout", "_loader", "_network", "_quant", "_values", "describe")

    def __init__(
        self,
        values: Mapping[str, Any] | None = None,
        *,
        quant: Mapping[str, QuantParams] | None = None,
        layers: Mapping[str, Mapping[str, Any]] | None = None,
        network: Network | None = None,
        layout: str = "NCHW",
        describe: str = "",
    ) -> None:
        if layout not in ("NCHW", "NHWC"):
            raise ValueError(f"layout must be NCHW or NHWC, got {layout!r}")
        self._values: dict[str, np.ndarray] | None = {k: _readonly(v) for k, v in (values or {}).items()}
        self._quant: dict[str, QuantParams] = dict(quant or {})
        self._layers: dict[str, Mapping[str, Any]] = {k: dict(v) for k, v in (layers or {}).items()}
        self._network = network
        #: The element order of the source format: views (reshape/flatten) of rank-4 tensors follow it.
        self._layout = layout
        self._loader: Callable[[], Constants] | None = None
        self._cache: dict[Any, Any] = {}
        self.describe = describe

    @classmethod
    def lazy(cls, loader: Callable[[], Constants], *, describe: str = "") -> Constants:
        """A store that calls ``loader()`` (picklable, e.g. a ``functools.partial``) on first access."""
        store = cls(describe=describe)
        store._values = None
        store._loader = loader
        return store

    # ---- loading ---------------------------------------------------------------------------------------------
    @property
    def is_loaded(self) -> bool:
        return self._values is not None

    def _load(self) -> dict[str, np.ndarray]:
        if self._values is None:
            assert self._loader is not None
            other = self._loader()
            if not isinstance(other, Constants):
                raise AccelkitError(f"cannot load the constant tensors ({self.describe or 'lazy store'})")
            other_values = other._load()
            self._quant, self._layers = other._quant, other._layers
            self._network, self._layout = other._network, other._layout
            self._values = other_values
        return self._values

    # ---- mapping ---------------------------------------------------------------------------------------------
    def __getitem__(self, name: str) -> np.ndarray:
        return self._load()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())

    def __contains__(self, name: object) -> bool:
        return name in self._load()

    def __eq__(self, other: object) -> bool:
        return self is other

    def __hash__(self) -> int:
        return id(self)

    # ---- the rest --------------------------------------------------------------------------------------------
    def quant(self, name: str) -> QuantParams | None:
        """Quantization parameters of a constant or activation tensor (None when it is not quantized)."""
        self._load()
        return self._quant.get(name)

    @property
    def quantized_tensors(self) -> Mapping[str, QuantParams]:
        self._load()
        return self._quant

    def layer_info(self, layer: str) -> Mapping[str, Any]:
        """What an executor needs to run ``layer`` beyond the IR (empty when the importer recorded nothing)."""
        self._load()
        return self._layers.get(layer, {})

    @property
    def network(self) -> Network | None:
        """The network as imported (the structure these values belong to)."""
        self._load()
        return self._network

    @property
    def layout(self) -> str:
        self._load()
        return self._layout

    @property
    def nbytes(self) -> int:
        """Bytes held by the arrays (0 for a lazy store that has not loaded yet)."""
        if self._values is None:
            return 0
        return sum(int(a.nbytes) for a in self._values.values()) + sum(
            int(q.scale.nbytes + q.zero_point.nbytes) for q in self._quant.values()
        )

    @property
    def cache(self) -> dict[Any, Any]:
        """Results derived from these values (e.g. measured densities), keyed by the caller; not pickled."""
        return self._cache

    def __getstate__(self) -> dict[str, Any]:
        if self._loader is not None:  # lazy: ship the loader only
            return {"loader": self._loader, "describe": self.describe}
        return {
            "values": self._values,
            "quant": self._quant,
            "layers": self._layers,
            "network": self._network,
            "layout": self._layout,
            "describe": self.describe,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._cache = {}
        self.describe = state.get("describe", "")
        self._loader = state.get("loader")
        self._values = None
        self._quant, self._layers, self._network, self._layout = {}, {}, None, "NCHW"
        if self._loader is None:
            self._values = {k: _readonly(v) for k, v in state["values"].items()}
            self._quant, self._layers = state["quant"], state["layers"]
            self._network, self._layout = state["network"], state["layout"]

    def __repr__(self) -> str:
        if self._values is None:
            return f"Constants(lazy: {self.describe or 'not loaded'})"
        return f"Constants({len(self._values)} tensors, {self.nbytes / 1024:.1f} KiB)"


def _full_dims(dims: Mapping[LoopDim | str, int]) -> dict[LoopDim, int]:
    out = {d: 1 for d in LOOP_DIMS}
    for key, value in dims.items():
        d = LoopDim(str(key))
        out[d] = value
    return out


@dataclass(frozen=True)
class Layer:
    """One node of the network: a loop nest (or a data-movement op) with its operands' precision and density."""

    name: str
    op: OpKind
    dims: Mapping[LoopDim, int]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    #: The operator in the source format ("Conv", "CONV_2D", "MatMul", ...) or the zoo builder's name.
    op_type: str = ""
    stride: tuple[int, int] = (1, 1)
    dilation: tuple[int, int] = (1, 1)
    #: Padding (top, left, bottom, right) in input pixels.
    padding: tuple[int, int, int, int] = (0, 0, 0, 0)
    transposed: bool = False
    weight_source: WeightSource = WeightSource.NONE
    #: The constant tensor holding the weights (or the activation tensor when weight_source is ACTIVATION).
    weight_tensor: str | None = None
    bias: bool = False
    #: Trainable batch-norm parameters folded into this layer beyond its deployed bias (see
    #: ``builder.folded_norm_params``): counted in ``params``, not stored on the accelerator.
    norm_params: int = 0
    precision: Mapping[Operand, DataType] = field(default_factory=dict)
    bias_dtype: DataType | None = None
    #: Fraction of non-zero values per operand (1.0 = dense). Weight density is measured when weights exist.
    density: Mapping[Operand, float] = field(default_factory=dict)
    weight_stats: WeightStats | None = None
    #: Work that is not a MAC: pooling comparisons/adds, elementwise ops, activation functions.
    ops: int = 0
    #: Operators folded into this layer on import (e.g. "BatchNormalization", "Relu").
    fused: tuple[str, ...] = ()
    attrs: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        dims = _full_dims(self.dims)
        object.__setattr__(self, "dims", dims)
        for d, v in dims.items():
            if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
                raise ShapeError(
                    f"layer {self.name!r}: loop dimension {d} is {v!r}; every dimension must be a positive integer"
                )
        for label, pair in (("stride", self.stride), ("dilation", self.dilation)):
            if len(pair) != 2 or any((not isinstance(v, int)) or v <= 0 for v in pair):
                raise ShapeError(f"layer {self.name!r}: {label} {pair!r} must be two positive integers")
        if len(self.padding) != 4 or any(p < 0 for p in self.padding):
            raise ShapeError(f"layer {self.name!r}: padding {self.padding!r} must be four non-negative integers")
        prec = {Operand.INPUT: FP32, Operand.WEIGHT: FP32, Operand.OUTPUT: FP32}
        prec.update({Operand(str(k)): DataType.parse(v) for k, v in self.precision.items()})
        object.__setattr__(self, "precision", prec)
        dens = {Operand.INPUT: 1.0, Operand.WEIGHT: 1.0, Operand.OUTPUT: 1.0}
        dens.update({Operand(str(k)): float(v) for k, v in self.density.items()})
        for o, v in dens.items():
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"layer {self.name!r}: {o} density {v} must be between 0 and 1")
        object.__setattr__(self, "density", dens)
        if self.weight_source is WeightSource.NONE and self.op.is_mac:
            raise ValueError(f"layer {self.name!r}: a {self.op} layer needs a weight operand")

    # ---- loop-nest views -------------------------------------------------------------------------------
    def dim(self, d: LoopDim | str) -> int:
        return self.dims[LoopDim(str(d))]

    @property
    def N(self) -> int:
        return self.dims[LoopDim.N]

    @property
    def G(self) -> int:
        return self.dims[LoopDim.G]

    @property
    def K(self) -> int:
        return self.dims[LoopDim.K]

    @property
    def C(self) -> int:
        return self.dims[LoopDim.C]

    @property
    def P(self) -> int:
        return self.dims[LoopDim.P]

    @property
    def Q(self) -> int:
        return self.dims[LoopDim.Q]

    @property
    def R(self) -> int:
        return self.dims[LoopDim.R]

    @property
    def S(self) -> int:
        return self.dims[LoopDim.S]

    @property
    def iterations(self) -> int:
        """Size of the full loop nest (product of all loop dimensions)."""
        return math.prod(self.dims.values())

    @property
    def macs(self) -> int:
        """Multiply-accumulates (dense). Zero for pooling, elementwise and data-movement layers."""
        return self.iterations if self.op.is_mac else 0

    @property
    def has_weights(self) -> bool:
        return self.weight_source is WeightSource.CONSTANT

    @property
    def weight_elements(self) -> int:
        """Elements of the weight operand (constant or dynamic); 0 when there is none."""
        if self.weight_source is WeightSource.NONE:
            return 0
        return self.G * self.K * self.C * self.R * self.S

    @property
    def bias_elements(self) -> int:
        return self.G * self.K if self.bias else 0

    @property
    def params(self) -> int:
        """Trainable parameters: constant weights + biases + folded batch-norm affine parameters + extra.

        ``attrs["extra_params"]`` holds parameters that belong to no loop operand but live with this layer
        (a ViT's position embedding and class token, a BERT's embedding tables).
        """
        w = self.weight_elements if self.has_weights else 0
        return w + self.bias_elements + self.norm_params + self.extra_params

    @property
    def extra_params(self) -> int:
        return int(self.attrs.get("extra_params", 0))

    @property
    def input_rows(self) -> int:
        """Input rows the loop nest reads (padded extent for direct conv)."""
        if self.transposed:
            return self.P
        return (self.P - 1) * self.stride[0] + (self.R - 1) * self.dilation[0] + 1

    @property
    def input_cols(self) -> int:
        if self.transposed:
            return self.Q
        return (self.Q - 1) * self.stride[1] + (self.S - 1) * self.dilation[1] + 1

    @property
    def is_pointwise(self) -> bool:
        return self.op is OpKind.CONV and self.R == 1 and self.S == 1 and self.G == 1

    @property
    def kind_label(self) -> str:
        """A finer label for tables: pointwise, grouped, transposed, attention ... beside the OpKind."""
        if self.op is OpKind.CONV:
            if self.transposed:
                return "conv-transposed"
            if self.G > 1:
                return "conv-grouped"
            return "pointwise" if self.is_pointwise else "conv"
        if self.op is OpKind.MATMUL and self.weight_source is WeightSource.ACTIVATION:
            return "matmul-act"
        return self.op.value

    def bits_of(self, operand: Operand) -> int:
        return self.precision[operand].bits

    def with_(self, **changes: Any) -> Layer:
        """A copy with some fields changed (layers are immutable)."""
        return replace(self, **changes)


@dataclass(frozen=True)
class Network:
    """A DAG of layers in topological order, with the tensors that connect them.

    Build one with :mod:`accelkit.workload.builder`, an importer, or the zoo; never mutate it — every transform
    returns a new network (``with_layers``).
    """

    name: str
    layers: tuple[Layer, ...]
    tensors: Mapping[str, Tensor]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    #: Where the network came from and what the importer did (source file, format, opset, folded/elided ops).
    provenance: Mapping[str, Any] = field(default_factory=dict)
    #: The values of the constant tensors when the importer kept them (None for zoo/builder networks). Excluded
    #: from ``==`` and ``repr`` (a :class:`Constants` compares by identity); transforms keep it.
    constants: Constants | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "layers", tuple(self.layers))
        object.__setattr__(self, "tensors", dict(self.tensors))
        names: set[str] = set()
        produced: set[str] = set(self.inputs)
        for t in self.inputs:
            if t not in self.tensors:
                raise ShapeError(f"network {self.name!r}: input tensor {t!r} has no shape")
        for t in self.tensors.values():
            if t.alias_of is not None:
                if t.alias_of not in self.tensors:
                    raise ValueError(f"network {self.name!r}: view {t.name!r} aliases unknown {t.alias_of!r}")
                if self.tensors[t.alias_of].elements != t.elements:
                    raise ShapeError(
                        f"network {self.name!r}: view {t.name!r} {list(t.shape)} has a different element count "
                        f"than {t.alias_of!r} {list(self.tensors[t.alias_of].shape)}"
                    )
        for layer in self.layers:
            if layer.name in names:
                raise ValueError(f"network {self.name!r}: duplicate layer name {layer.name!r}")
            names.add(layer.name)
            for t in layer.inputs:
                if self.base_tensor(t) not in produced and not self._is_constant(t):
                    raise ValueError(
                        f"network {self.name!r}: layer {layer.name!r} reads {t!r} before it is produced "
                        "(layers must be in topological order)"
                    )
            for t in layer.outputs:
                if t not in self.tensors:
                    raise ShapeError(f"network {self.name!r}: layer {layer.name!r} output {t!r} has no shape")
                produced.add(t)
        for t in self.outputs:
            if self.base_tensor(t) not in produced:
                raise ValueError(f"network {self.name!r}: output {t!r} is never produced")

    def _is_constant(self, tensor: str) -> bool:
        t = self.tensors.get(tensor)
        return t is not None and t.is_constant

    # ---- lookup --------------------------------------------------------------------------------------------
    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    @cached_property
    def _by_name(self) -> dict[str, Layer]:
        return {layer.name: layer for layer in self.layers}

    def layer(self, name: str) -> Layer:
        try:
            return self._by_name[name]
        except KeyError:
            raise UnknownNameError("layer", name, list(self._by_name)) from None

    def base_tensor(self, tensor: str) -> str:
        """Follow view aliases to the tensor that owns the buffer."""
        seen = 0
        while (t := self.tensors.get(tensor)) is not None and t.alias_of is not None:
            tensor = t.alias_of
            seen += 1
            if seen > len(self.tensors):
                raise ValueError(f"network {self.name!r}: alias cycle at {tensor!r}")
        return tensor

    def producer(self, tensor: str) -> Layer | None:
        """The layer that produces ``tensor`` (through views); None for network inputs and constants."""
        return self._producers.get(self.base_tensor(tensor))

    def consumers(self, tensor: str) -> list[Layer]:
        """Layers that read ``tensor`` or any view of it."""
        return self._consumers.get(self.base_tensor(tensor), [])

    @cached_property
    def _producers(self) -> dict[str, Layer]:
        return {t: layer for layer in self.layers for t in layer.outputs}

    @cached_property
    def _consumers(self) -> dict[str, list[Layer]]:
        out: dict[str, list[Layer]] = {}
        for layer in self.layers:
            for t in dict.fromkeys(self.base_tensor(t) for t in layer.inputs):
                out.setdefault(t, []).append(layer)
        return out

    def predecessors(self, layer: Layer | str) -> list[Layer]:
        lyr = self.layer(layer) if isinstance(layer, str) else layer
        preds = {p.name: p for t in lyr.inputs if (p := self.producer(t)) is not None}
        return list(preds.values())

    def successors(self, layer: Layer | str) -> list[Layer]:
        lyr = self.layer(layer) if isinstance(layer, str) else layer
        succ = {c.name: c for t in lyr.outputs for c in self.consumers(t)}
        return list(succ.values())

    @property
    def has_constants(self) -> bool:
        """Whether the values of the constant tensors are available (``constants`` is set)."""
        return self.constants is not None

    @property
    def compute_layers(self) -> tuple[Layer, ...]:
        """Layers whose work is multiply-accumulates (conv, depthwise, fc, matmul)."""
        return tuple(layer for layer in self.layers if layer.op.is_mac)

    # ---- totals --------------------------------------------------------------------------------------------
    @property
    def macs(self) -> int:
        return sum(layer.macs for layer in self.layers)

    @property
    def params(self) -> int:
        return sum(layer.params for layer in self.layers)

    # ---- transforms ----------------------------------------------------------------------------------------
    def with_layers(self, layers: Iterable[Layer], **changes: Any) -> Network:
        """A new network with the given layers (same tensors unless ``tensors=`` is passed)."""
        return replace(self, layers=tuple(layers), **changes)

    def map_layers(self, fn: Any) -> Network:
        """A new network with ``fn(layer)`` applied to every layer."""
        return self.with_layers(fn(layer) for layer in self.layers)

    # ---- views ---------------------------------------------------------------------------------------------
    def to_dataframe(self) -> pd.DataFrame:
        """One row per layer: loop dims, MACs, parameters, bytes, precision and density."""
        from accelkit.workload.stats import layer_table

        return layer_table(self)

    def summary(self) -> dict[str, Any]:
        from accelkit.workload.stats import network_stats

        return network_stats(self).totals_dict()

    def __repr__(self) -> str:
        return f"Network(name={self.name!r}, layers={len(self.layers)}, macs={self.macs:,}, params={self.params:,})"


def check_positive_shape(shape: Sequence[Any], what: str, *, source: str | None = None) -> tuple[int, ...]:
    """Validate a concrete shape: every entry a positive int. Raises :class:`ShapeError` naming ``what``."""
    out = []
    for i, d in enumerate(shape):
        if not isinstance(d, int) or isinstance(d, bool):
            raise ShapeError(
                f"{what} has a dynamic or unknown dimension {d!r} at axis {i} (shape {list(shape)}); "
                "give concrete input shapes, e.g. --input-shape input=1x3x224x224",
                source=source,
            )
        if d <= 0:
            raise ShapeError(
                f"{what} has dimension {d} at axis {i} (shape {list(shape)}); dimensions must be positive",
                source=source,
            )
        out.append(d)
    return tuple(out)
