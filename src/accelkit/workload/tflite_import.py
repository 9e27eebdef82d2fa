"""Import TensorFlow Lite flatbuffers (``.tflite``) into the network IR.

:func:`load_tflite` reads subgraph 0 of a model with the ``tflite`` package's flatbuffer accessors and replays it
through :class:`~accelkit.workload.builder.NetworkBuilder`, so an imported layer means exactly what the same
layer built in the zoo means. The file is read in two stages: every flatbuffer access happens first, in one guarded
pass that turns the file into plain Python values (a corrupt or truncated file raises :class:`NetworkFileError`
naming it); the op handlers then work on those values only.

Conventions
-----------
* **Layout.** TFLite activations are NHWC; rank-4 activation shapes are transposed to the IR's NCHW (and the axes
  of CONCATENATION and MEAN with them). Tensors of other ranks keep their shape. Views only keep the element
  count, as in the IR. Constant (weight) tensors keep their TFLite layout: CONV_2D and TRANSPOSE_CONV
  ``[O, H, W, I]``, DEPTHWISE_CONV_2D ``[1, H, W, C*multiplier]``, FULLY_CONNECTED ``[O, I]``; a tensor's
  ``quantization["quantized_dimension"]`` refers to that layout.
* **Names.** An IR tensor is named after the first ``;``-separated part of its TFLite name (TFLite joins the names
  of fused ops with ``;``), made unique. A layer is named after the Keras-style layer component of its output name
  that matches the op (``conv2d_3``, ``depthwise_conv2d_1``, ``dense``, ``add_1``), else ``<op>_<index>``
  (``fc_9``). ``layer.attrs`` keeps the TFLite operator index and full output tensor name.
* **Precision.** Each tensor's TFLite type gives its IR data type (int8, uint8, int16, int4, fp32, fp16, bf16, ...);
  a layer's weight precision is the type the weights are *stored* in (an fp16 or int8 constant behind a
  DEQUANTIZE keeps its stored type), its bias precision the bias tensor's type (int32, or int64 with int16
  activations). Quantization parameters are summarised in ``Tensor.quantization`` (``count``, ``scale_min``,
  ``scale_max``, ``zero_points``, ``quantized_dimension``, ``per_channel``).
* **Weights.** Every weighted layer gets ``weight_stats`` measured on the stored values (exact zeros; for integer
  weights, relative to the zero point, plus the empirical entropy) and ``density[WEIGHT]``. Float weights get no
  entropy.
* **Ops that become no layer** (counted in ``provenance["elided_ops"]``): RESHAPE, SQUEEZE and EXPAND_DIMS are free
  views; QUANTIZE and DEQUANTIZE of an activation are views that change the data type (each listed in
  ``provenance["dtype_conversions"]``); view-like ops on constants are folded into the constant ("<OP>
  (constant)"); a standalone activation whose input has no other consumer is fused into its producer
  ("fused_activation"); a zero PAD whose only consumer is a CONV_2D / DEPTHWISE_CONV_2D is folded into that
  layer's padding ("PAD (folded into conv)", and ``"PAD"`` in the layer's ``fused``). Any other PAD is a
  data-movement layer.
* **MEAN / REDUCE_MAX** over H and W of a 4-D tensor is a global average / max pool; any other reduction (and SUM)
  is an elementwise layer with one op per input element.
* **Elementwise ops with a constant operand** (MUL by a per-channel scale, ADD of a bias) list the constant among
  the layer's inputs and count its elements in ``attrs["extra_params"]`` (so in ``Layer.params``), once per stored
  constant; a single-element constant is an immediate, not a parameter.
* **Errors.** An unknown builtin or a CUSTOM operator raises :class:`UnsupportedOperator` naming the op, the node
  and the schema/op version; an inferred output shape that differs from the file's raises :class:`ShapeError`
  naming the operator index and both shapes. Nothing is skipped silently.

Handlers live in :data:`TFLITE_OPS`; an outside package adds one through the ``accelkit.tflite_ops`` entry-point
group: a callable taking a :class:`TFLiteOpContext`.
"""

from __future__ import annotations

import math
import os
import re
import struct
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import tflite
from tflite.utils import BUILTIN_OPCODE2NAME

from accelkit.errors import AccelkitError, NetworkFileError, ShapeError, UnsupportedOperator
from accelkit.registry import Registry
from accelkit.workload.builder import NetworkBuilder
from accelkit.workload.ir import Constants, DataType, Layer, Network, Operand, OpKind, QuantParams, Tensor
from accelkit.workload.shapes import resolve_padding
from accelkit.workload.weights import measure_weights

__all__ = ["TFLITE_OPS", "TFLiteOpContext", "TFLiteOperator", "TFLiteTensor", "load_tflite"]

#: An op handler: reads the operator through the context, adds layers/views and binds every output.
OpHandler = Callable[["TFLiteOpContext"], None]

TFLITE_OPS: Registry[OpHandler] = Registry("TFLite operator", "accelkit.tflite_ops")

_FILE_IDENTIFIER = b"TFL3"
_CUSTOM = 32  # BuiltinOperator.CUSTOM

#: TFLite fused activation function -> the builder's activation name (``ActivationFunctionType``).
_FUSED_ACTIVATIONS: Mapping[int, str | None] = {0: None, 1: "relu", 2: "clip", 3: "relu6", 4: "tanh", 5: "sign"}
_PADDING: Mapping[int, str] = {0: "same", 1: "valid"}
#: The parameters of the fused activations that need them (RELU_N1_TO_1 is "clip" to [-1, 1]).
_FUSED_ACTIVATION_PARAMS: Mapping[int, Mapping[str, float]] = {2: {"min": -1.0, "max": 1.0}}
#: How each weighted op stores its weights (for the executor): O = output channels, I = input channels per group.
_WEIGHT_LAYOUTS: Mapping[str, str] = {
    "CONV_2D": "OHWI",
    "DEPTHWISE_CONV_2D": "1HWO",
    "FULLY_CONNECTED": "OI",
    "TRANSPOSE_CONV": "OHWI",
}
#: Where TFLite axis ``a`` of a rank-4 (NHWC) tensor lands in the IR's NCHW order.
_NHWC_AXIS_TO_IR = (0, 2, 3, 1)


@dataclass(frozen=True)
class _TypeInfo:
    name: str
    dtype: DataType | None  # None: the IR has no number format for it (strings, resources, complex)
    numpy: str | None  # numpy dtype used to decode a buffer; "int4" / "bf16" are unpacked by hand


_TYPES: Mapping[int, _TypeInfo] = {
    0: _TypeInfo("FLOAT32", DataType("fp", 32), "<f4"),
    1: _TypeInfo("FLOAT16", DataType("fp", 16), "<f2"),
    2: _TypeInfo("INT32", DataType("int", 32), "<i4"),
    3: _TypeInfo("UINT8", DataType("uint", 8), "u1"),
    4: _TypeInfo("INT64", DataType("int", 64), "<i8"),
    5: _TypeInfo("STRING", None, None),
    6: _TypeInfo("BOOL", DataType("uint", 1), "?"),
    7: _TypeInfo("INT16", DataType("int", 16), "<i2"),
    8: _TypeInfo("COMPLEX64", None, "<c8"),
    9: _TypeInfo("INT8", DataType("int", 8), "i1"),
    10: _TypeInfo("FLOAT64", DataType("fp", 64), "<f8"),
    11: _TypeInfo("COMPLEX128", None, "<c16"),
    12: _TypeInfo("UINT64", DataType("uint", 64), "<u8"),
    13: _TypeInfo("RESOURCE", None, None),
    14: _TypeInfo("VARIANT", None, None),
    15: _TypeInfo("UINT32", DataType("uint", 32), "<u4"),
    16: _TypeInfo("UINT16", DataType("uint", 16), "<u2"),
    17: _TypeInfo("INT4", DataType("int", 4), "int4"),
    18: _TypeInfo("BFLOAT16", DataType("bf", 16), "bf16"),
}


# ==== the file as plain values ====================================================================================
@dataclass(frozen=True)
class TFLiteTensor:
    """One tensor of the imported subgraph, read out of the flatbuffer."""

    index: int
    #: The full TFLite name (fused ops' names joined with ``;``).
    name: str
    #: The shape in the TFLite layout (NHWC for rank-4 activations).
    shape: tuple[int, ...]
    type_name: str
    #: The IR number format; None when the IR cannot represent the type (string, resource, complex).
    dtype: DataType | None
    #: Whether the tensor has a buffer with data (a constant: weights, biases, shape operands).
    is_constant: bool = False
    #: Decoded constant values in the TFLite layout (None for activations and undecodable or sparse constants).
    data: np.ndarray | None = field(default=None, repr=False, compare=False)
    #: Quantization summary for ``Tensor.quantization`` (None when the tensor is not quantized).
    quantization: Mapping[str, Any] | None = None
    #: Raw zero points (one per channel along ``quantized_dimension``) for measuring zeros of quantized weights.
    zero_points: tuple[int, ...] = ()
    quantized_dimension: int = 0
    #: Raw scales (one per channel along ``quantized_dimension``), for executing the model.
    scales: tuple[float, ...] = field(default=(), repr=False, compare=False)
    #: Stored in TFLite's sparse (compressed) format.
    sparse: bool = False
    is_variable: bool = False

    @property
    def short_name(self) -> str:
        """The first ``;``-separated part of the name (the op the tensor is named after)."""
        return self.name.split(";", 1)[0].strip() or f"tensor{self.index}"


@dataclass(frozen=True)
class TFLiteOperator:
    """One operator of the imported subgraph."""

    index: int
    #: The builtin operator name ("CONV_2D"), or the custom code of a CUSTOM operator.
    name: str
    version: int
    #: Tensor indices; -1 marks an omitted optional input.
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    #: The builtin options table as a dict of its fields ("StrideH", "Padding", "FusedActivationFunction", ...).
    options: Mapping[str, Any] = field(default_factory=dict)
    custom: bool = False


@dataclass(frozen=True)
class _Model:
    schema_version: int
    description: str
    subgraph_count: int
    subgraph_name: str
    tensors: tuple[TFLiteTensor, ...]
    operators: tuple[TFLiteOperator, ...]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]


def _read_file(path: Path) -> bytes:
    source = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NetworkFileError("no such file", source=source) from None
    except IsADirectoryError:
        raise NetworkFileError("is a directory, not a .tflite file", source=source) from None
    except OSError as exc:
        raise NetworkFileError(f"cannot read the file: {exc.strerror or exc}", source=source) from None
    if len(data) < 8 or data[4:8] != _FILE_IDENTIFIER:
        raise NetworkFileError(
            f"not a TFLite model: the flatbuffer file identifier is {data[4:8]!r}, expected {_FILE_IDENTIFIER!r} "
            f"(file of {len(data)} bytes)",
            source=source,
        )
    return data


def _parse(buf: bytes, source: str) -> _Model:
    """Read everything the importer needs out of the flatbuffer; any decoding failure -> NetworkFileError."""
    try:
        return _Reader(buf).model()
    except NetworkFileError as exc:
        if exc.source is None:
            raise NetworkFileError(str(exc), source=source) from exc
        raise
    except (IndexError, struct.error, ValueError, TypeError, AttributeError, OverflowError, UnicodeError) as exc:
        cls = type(exc)
        kind = cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
        raise NetworkFileError(f"corrupt or truncated TFLite flatbuffer ({kind}: {exc})", source=source) from exc


class _Reader:
    """Plain-value view of a TFLite flatbuffer, with plausibility checks on every length and index."""

    def __init__(self, buf: bytes) -> None:
        self.buf = buf
        self.root = tflite.Model.GetRootAsModel(buf, 0)

    def count(self, n: int, what: str) -> int:
        # every vector element takes at least one byte of the file: longer vectors are corrupt lengths
        if not 0 <= n <= len(self.buf):
            raise NetworkFileError(f"corrupt TFLite flatbuffer: implausible number of {what} ({n})")
        return n

    def index(self, i: int, n: int, what: str) -> int:
        if not 0 <= i < n:
            raise NetworkFileError(f"corrupt TFLite flatbuffer: {what} {i} is out of range (there are {n})")
        return i

    @staticmethod
    def ints(arr: Any) -> tuple[int, ...]:
        return () if isinstance(arr, int) else tuple(int(v) for v in arr)

    @staticmethod
    def text(raw: bytes | None) -> str:
        return raw.decode("utf-8", errors="replace") if raw else ""

    def model(self) -> _Model:
        m = self.root
        n_sub = self.count(m.SubgraphsLength(), "subgraphs")
        if n_sub == 0:
            raise NetworkFileError("the model has no subgraph")
        g = m.Subgraphs(0)
        n_codes = self.count(m.OperatorCodesLength(), "operator codes")
        codes = [self.opcode(m.OperatorCodes(k)) for k in range(n_codes)]
        n_buffers = self.count(m.BuffersLength(), "buffers")
        n_tensors = self.count(g.TensorsLength(), "tensors")
        tensors = tuple(self.tensor(g.Tensors(i), i, n_buffers) for i in range(n_tensors))
        operators = []
        for k in range(self.count(g.OperatorsLength(), "operators")):
            op = g.Operators(k)
            name, version, custom = codes[self.index(op.OpcodeIndex(), n_codes, f"operator #{k}: opcode index")]
            ins = self.ints(op.InputsAsNumpy())
            outs = self.ints(op.OutputsAsNumpy())
            for t in ins:
                if t != -1:
                    self.index(t, n_tensors, f"operator #{k} ({name}): input tensor")
            for t in outs:
                self.index(t, n_tensors, f"operator #{k} ({name}): output tensor")
            operators.append(TFLiteOperator(k, name, version, ins, outs, self.options(op), custom))
        inputs = tuple(self.index(t, n_tensors, "subgraph input") for t in self.ints(g.InputsAsNumpy()))
        outputs = tuple(self.index(t, n_tensors, "subgraph output") for t in self.ints(g.OutputsAsNumpy()))
        return _Model(
            schema_version=int(m.Version()),
            description=self.text(m.Description()),
            subgraph_count=n_sub,
            subgraph_name=self.text(g.Name()),
            tensors=tensors,
            operators=tuple(operators),
            inputs=inputs,
            outputs=outputs,
        )

    def opcode(self, oc: Any) -> tuple[str, int, bool]:
        code = max(int(oc.BuiltinCode()), int(oc.DeprecatedBuiltinCode()))
        version = int(oc.Version())
        if code == _CUSTOM:
            return (self.text(oc.CustomCode()) or "CUSTOM", version, True)
        return (BUILTIN_OPCODE2NAME.get(code, f"BUILTIN_{code}"), version, False)

    def options(self, op: Any) -> dict[str, Any]:
        cls = _options_class(int(op.BuiltinOptionsType()))
        table = op.BuiltinOptions()
        if cls is None or table is None:
            return {}
        obj = cls()
        obj.Init(table.Bytes, table.Pos)
        out: dict[str, Any] = {}
        for name, is_vector in _option_fields(cls):
            if is_vector:
                out[name] = self.ints(getattr(obj, name + "AsNumpy")())
            else:
                value = getattr(obj, name)()
                if isinstance(value, bytes):
                    value = self.text(value)
                if isinstance(value, (bool, int, float, str)):
                    out[name] = value
        return out

    def tensor(self, t: Any, index: int, n_buffers: int) -> TFLiteTensor:
        name = self.text(t.Name())
        shape = self.ints(t.ShapeAsNumpy())
        type_code = int(t.Type())
        info = _TYPES.get(type_code, _TypeInfo(f"TYPE_{type_code}", None, None))
        quant, zero_points, qdim, scales = self.quantization(t.Quantization())
        sparse = t.Sparsity() is not None
        raw = self.buffer(self.index(int(t.Buffer()), n_buffers, f"tensor {name!r}: buffer index"), name)
        data = None
        if raw is not None and not sparse:
            data = _decode(raw, info, shape, name)
        return TFLiteTensor(
            index=index,
            name=name,
            shape=shape,
            type_name=info.name,
            dtype=info.dtype,
            is_constant=raw is not None,
            data=data,
            quantization=quant,
            zero_points=zero_points,
            quantized_dimension=qdim,
            scales=scales,
            sparse=sparse,
            is_variable=bool(t.IsVariable()),
        )

    def buffer(self, index: int, tensor: str) -> np.ndarray | None:
        if index == 0:  # buffer 0 is the empty sentinel by convention
            return None
        b = self.root.Buffers(index)
        n = self.count(b.DataLength(), f"bytes in the buffer of {tensor!r}")
        if n:
            return np.asarray(b.DataAsNumpy(), dtype=np.uint8)
        offset, size = int(b.Offset()), int(b.Size())
        if offset > 1:  # large models (> 2 GB) keep buffers after the flatbuffer, addressed by offset
            if offset + size > len(self.buf):
                raise NetworkFileError(
                    f"truncated TFLite file: the buffer of {tensor!r} needs bytes {offset}..{offset + size} "
                    f"but the file has {len(self.buf)}"
                )
            return np.frombuffer(self.buf, dtype=np.uint8, count=size, offset=offset)
        return None

    def quantization(self, q: Any) -> tuple[dict[str, Any] | None, tuple[int, ...], int, tuple[float, ...]]:
        if q is None:
            return None, (), 0, ()
        scales = q.ScaleAsNumpy()
        if isinstance(scales, int) or len(scales) == 0:
            return None, (), 0, ()
        zps = self.ints(q.ZeroPointAsNumpy())
        qdim = int(q.QuantizedDimension())
        summary = {
            "scheme": "affine",
            "count": len(scales),
            "scale_min": float(np.min(scales)),
            "scale_max": float(np.max(scales)),
            "zero_points": tuple(sorted(set(zps)))[:16],
            "quantized_dimension": qdim,
            "per_channel": len(scales) > 1,
        }
        return summary, zps, qdim, tuple(float(v) for v in scales)


def _options_class(type_code: int) -> Any:
    if type_code == 0:
        return None
    return _OPTIONS_CLASSES.get(type_code)


_OPTIONS_CLASSES: dict[int, Any] = {
    value: getattr(tflite, name)
    for name, value in vars(tflite.BuiltinOptions).items()
    if not name.startswith("_") and isinstance(value, int) and hasattr(tflite, name)
}
_FIELDS_CACHE: dict[type, tuple[tuple[str, bool], ...]] = {}


def _option_fields(cls: type) -> tuple[tuple[str, bool], ...]:
    """The fields of a generated options class: (name, is_vector) for scalars and numeric vectors."""
    cached = _FIELDS_CACHE.get(cls)
    if cached is not None:
        return cached
    names = {n for n in dir(cls) if n[:1].isupper() and callable(getattr(cls, n))}
    fields: list[tuple[str, bool]] = []
    for n in sorted(names):
        if n == "Init" or n.startswith("GetRootAs") or n.endswith("BufferHasIdentifier"):
            continue
        if any(n.endswith(s) and n[: -len(s)] in names for s in ("AsNumpy", "Length", "IsNone")):
            continue  # accessors of a vector field
        if n + "Length" in names:
            if n + "AsNumpy" in names:  # a numeric vector; vectors of tables or strings are not needed
                fields.append((n, True))
            continue
        fields.append((n, False))
    _FIELDS_CACHE[cls] = tuple(fields)
    return _FIELDS_CACHE[cls]


def _decode(raw: np.ndarray, info: _TypeInfo, shape: tuple[int, ...], name: str) -> np.ndarray | None:
    """Typed constant values from a buffer's bytes, checked against the tensor's shape."""
    if info.numpy is None:
        return None
    n = math.prod(shape)
    if info.numpy == "int4":  # two values per byte, low nibble first
        need = (n + 1) // 2
        _check_size(raw.size, need, name, info, shape)
        nib = np.stack([raw & 0x0F, raw >> 4], axis=-1).reshape(-1)[:n].astype(np.int8)
        return np.where(nib >= 8, nib - 16, nib).astype(np.int8).reshape(shape)
    if info.numpy == "bf16":
        _check_size(raw.size, 2 * n, name, info, shape)
        bits = np.frombuffer(raw.tobytes(), dtype="<u2").astype(np.uint32) << 16
        return bits.view(np.float32).reshape(shape)
    dt = np.dtype(info.numpy)
    _check_size(raw.size, n * dt.itemsize, name, info, shape)
    return np.frombuffer(raw.tobytes(), dtype=dt).reshape(shape)


def _check_size(got: int, need: int, name: str, info: _TypeInfo, shape: tuple[int, ...]) -> None:
    if got != need:
        raise NetworkFileError(
            f"constant tensor {name!r}: its buffer holds {got} bytes but shape {list(shape)} of {info.name} "
            f"needs {need}"
        )


# ==== import state and the handler API ============================================================================
def _ir_shape(shape: Sequence[int]) -> tuple[int, ...]:
    """A TFLite activation shape in the IR layout: NHWC -> NCHW for rank 4, unchanged otherwise."""
    s = tuple(int(d) for d in shape)
    return (s[0], s[3], s[1], s[2]) if len(s) == 4 else s


_SANITIZE = re.compile(r"[^A-Za-z0-9_.\-]+")

#: Keywords that identify the Keras-style layer component of a tensor name belonging to an op.
_NAME_HINTS: Mapping[str, tuple[str, ...]] = {
    "CONV_2D": ("conv",),
    "DEPTHWISE_CONV_2D": ("depthwise", "dwconv"),
    "TRANSPOSE_CONV": ("transpose", "deconv"),
    "FULLY_CONNECTED": ("dense", "fc", "linear", "fully_connected"),
    "AVERAGE_POOL_2D": ("pool",),
    "MAX_POOL_2D": ("pool",),
    "MEAN": ("pool", "mean"),
    "REDUCE_MAX": ("pool", "max"),
    "SUM": ("sum",),
    "ADD": ("add",),
    "SUB": ("sub",),
    "MUL": ("mul",),
    "DIV": ("div", "truediv"),
    "CONCATENATION": ("concat",),
    "SOFTMAX": ("softmax",),
    "PAD": ("pad",),
}
_NAME_EXCLUDE: Mapping[str, tuple[str, ...]] = {"CONV_2D": ("depthwise", "transpose")}
_NAME_PREFIX: Mapping[str, str] = {
    "CONV_2D": "conv",
    "DEPTHWISE_CONV_2D": "dw",
    "TRANSPOSE_CONV": "deconv",
    "FULLY_CONNECTED": "fc",
    "AVERAGE_POOL_2D": "avgpool",
    "MAX_POOL_2D": "maxpool",
    "CONCATENATION": "concat",
}


def _layer_component(part: str) -> str:
    """``model/conv2d_3/BiasAdd`` -> ``conv2d_3``: the layer, between the model scope and the TF op."""
    comps = [c for c in part.strip().split("/") if c]
    if not comps:
        return ""
    return comps[1] if len(comps) >= 3 else comps[0]


def _derive_layer_name(op: TFLiteOperator, tensor_name: str) -> str:
    candidates = [_layer_component(p) for p in tensor_name.split(";")]
    hints = _NAME_HINTS.get(op.name, ())
    exclude = _NAME_EXCLUDE.get(op.name, ())
    for cand in candidates:
        low = cand.lower()
        if any(h in low for h in hints) and not any(x in low for x in exclude):
            return _SANITIZE.sub("_", cand).strip("_")
    prefix = _NAME_PREFIX.get(op.name, _SANITIZE.sub("_", op.name.lower()).strip("_") or "op")
    return f"{prefix}_{op.index}"


@dataclass
class _Const:
    """A constant value as the handlers see it (possibly reached through view-like ops on a stored constant)."""

    tensor: TFLiteTensor  # the stored tensor (type, quantization, name)
    values: np.ndarray | None
    via: tuple[str, ...] = ()


class _State:
    """Mutable state of one import."""

    def __init__(self, model: _Model, source: str, builder: NetworkBuilder) -> None:
        self.model = model
        self.source = source
        self.builder = builder
        self.env: dict[int, str] = {}  # TFLite tensor index -> IR activation tensor name
        self.consts: dict[int, _Const] = {}
        self.const_ir: dict[int, str] = {}  # stored constant index -> IR constant tensor name
        self.counted_params: set[int] = set()  # stored constants already counted in some layer's extra_params
        self.pending_pads: dict[int, tuple[str, tuple[int, int, int, int]]] = {}
        self.names: dict[int, str] = {}
        self.reserved: set[str] = set()
        self.layer_names: set[str] = set()
        self.consumers: dict[int, list[int]] = {}
        self.elided: dict[str, int] = {}
        self.dtype_conversions: list[dict[str, str]] = []
        # what the executor needs (kept on Network.constants when asked): values, quantization, per-layer facts
        self.kept: dict[str, np.ndarray] = {}
        self.kept_stored: dict[int, str] = {}  # stored tensor index (+ view path) -> key in ``kept``
        self.kept_quant: dict[str, QuantParams] = {}
        self.layer_info: dict[str, dict[str, Any]] = {}
        for op in model.operators:
            for t in dict.fromkeys(op.inputs):
                if t >= 0:
                    self.consumers.setdefault(t, []).append(op.index)
        for t in model.tensors:
            if t.is_constant:
                self.consts[t.index] = _Const(t, t.data)

    def unique_tensor_name(self, base: str) -> str:
        base = base or "tensor"
        name, k = base, 1
        while name in self.builder.tensors or name in self.reserved:
            k += 1
            name = f"{base}_{k}"
        self.reserved.add(name)
        return name

    def tensor_name(self, index: int) -> str:
        """The IR name reserved for a TFLite tensor (stable within one import)."""
        if index not in self.names:
            self.names[index] = self.unique_tensor_name(self.model.tensors[index].short_name)
        return self.names[index]

    def elide(self, what: str) -> None:
        self.elided[what] = self.elided.get(what, 0) + 1

    def info(self, layer: str) -> dict[str, Any]:
        """The executor facts of ``layer`` (created on first use)."""
        return self.layer_info.setdefault(layer, {})

    def keep_quant(self, key: str, t: TFLiteTensor) -> None:
        if t.scales:
            self.kept_quant[key] = QuantParams(np.asarray(t.scales), np.asarray(t.zero_points), t.quantized_dimension)


class TFLiteOpContext:
    """What an op handler sees: the operator, its tensors, the builder, and helpers that keep the conventions.

    A handler reads inputs with :meth:`act` (an activation's IR name) or :meth:`constant` (values), builds layers
    with :attr:`builder` passing :meth:`layer_kwargs` (name, output tensor, ``op_type``, provenance attrs), and
    finishes each output with :meth:`bind`, which cross-checks the shape against the file.
    """

    def __init__(self, state: _State, op: TFLiteOperator) -> None:
        self._st = state
        self.op = op
        self.builder: NetworkBuilder = state.builder
        self.source = state.source

    # ---- errors ---------------------------------------------------------------------------------------------
    @property
    def node(self) -> str:
        """How error messages name this operator: its index and output tensor."""
        out = self.op.outputs[0] if self.op.outputs else -1
        where = f" -> {self._st.model.tensors[out].short_name}" if out >= 0 else ""
        return f"#{self.op.index}{where}"

    @property
    def opset(self) -> str:
        return f"schema v{self._st.model.schema_version}, op version {self.op.version}"

    def unsupported(self, reason: str | None = None) -> UnsupportedOperator:
        """An :class:`UnsupportedOperator` for this op (raise it)."""
        return UnsupportedOperator(self.op.name, self.node, opset=self.opset, reason=reason, source=self.source)

    # ---- options ----------------------------------------------------------------------------------------------
    def option(self, name: str, default: Any = None) -> Any:
        return self.op.options.get(name, default)

    def fused_activation(self) -> str | None:
        """The builder's activation name for the op's ``FusedActivationFunction`` (None when there is none)."""
        code = int(self.option("FusedActivationFunction", 0))
        if code not in _FUSED_ACTIVATIONS:
            raise self.unsupported(f"unknown fused activation function {code}")
        return _FUSED_ACTIVATIONS[code]

    def padding_mode(self) -> str:
        code = int(self.option("Padding", 0))
        if code not in _PADDING:
            raise self.unsupported(f"unknown padding {code}")
        return _PADDING[code]

    def pair_option(self, h: str, w: str, default: int = 1) -> tuple[int, int]:
        """Two positive integers from the options (0, an unset factor, means ``default``)."""
        vals = (int(self.option(h, default) or default), int(self.option(w, default) or default))
        if min(vals) <= 0:
            raise self.unsupported(f"{h}/{w} must be positive, got {vals}")
        return vals

    # ---- tensors ----------------------------------------------------------------------------------------------
    def _input_index(self, i: int) -> int:
        if i >= len(self.op.inputs) or self.op.inputs[i] < 0:
            raise self.unsupported(f"malformed: input {i} is missing")
        return self.op.inputs[i]

    def has_input(self, i: int) -> bool:
        """Whether optional input ``i`` is present."""
        return i < len(self.op.inputs) and self.op.inputs[i] >= 0

    def tensor(self, i: int) -> TFLiteTensor:
        """The TFLite tensor at input ``i``."""
        return self._st.model.tensors[self._input_index(i)]

    def output(self, j: int = 0) -> TFLiteTensor:
        if j >= len(self.op.outputs):
            raise self.unsupported(f"malformed: output {j} is missing")
        return self._st.model.tensors[self.op.outputs[j]]

    def is_constant(self, i: int) -> bool:
        return self._input_index(i) in self._st.consts

    def activation_inputs(self) -> list[int]:
        """Positions of the inputs that are activations (present and not constant)."""
        return [i for i, t in enumerate(self.op.inputs) if t >= 0 and t not in self._st.consts]

    def act(self, i: int = 0) -> str:
        """The IR name of the activation at input ``i``."""
        t = self._input_index(i)
        if t in self._st.env:
            return self._st.env[t]
        tensor = self._st.model.tensors[t]
        if t in self._st.consts:
            raise self.unsupported(f"input {i} ({tensor.short_name!r}) is a constant where an activation is expected")
        if tensor.is_variable:
            raise self.unsupported(f"input {i} ({tensor.short_name!r}) is a variable (stateful) tensor")
        raise self.unsupported(f"malformed: input {i} ({tensor.short_name!r}) is read before any operator writes it")

    def constant(self, i: int) -> np.ndarray:
        """The values of the constant at input ``i`` (in the stored type and TFLite layout)."""
        t = self._input_index(i)
        const = self._st.consts.get(t)
        name = self._st.model.tensors[t].short_name
        if const is None:
            raise self.unsupported(f"input {i} ({name!r}) must be a constant, but it is computed at run time")
        if const.values is None:
            raise self.unsupported(f"constant input {i} ({name!r}) of type {const.tensor.type_name} cannot be read")
        return const.values

    def out_shape(self, j: int = 0) -> tuple[int, ...]:
        """The file's shape of output ``j`` in the IR layout (NCHW for rank 4)."""
        t = self.output(j)
        for d in t.shape:
            if d <= 0:
                raise _OpShapeError(
                    f"operator #{self.op.index} {self.op.name}: output {t.short_name!r} has shape {list(t.shape)}; "
                    "dimensions must be positive (dynamic shapes are not supported)",
                    source=self.source,
                )
        return _ir_shape(t.shape)

    def out_name(self, j: int = 0) -> str:
        """The IR tensor name reserved for output ``j``."""
        return self._st.tensor_name(self.output(j).index)

    def fresh_name(self, suffix: str) -> str:
        """A new, unused IR tensor name for an intermediate tensor of this op."""
        return self._st.unique_tensor_name(f"{self.out_name()}.{suffix}")

    def channels(self, x: str) -> int:
        shape = self.builder.shape(x)
        if len(shape) != 4:
            raise self.unsupported(f"expects a 4-D (NHWC) input, got shape {list(shape)}")
        return shape[1]

    # ---- building ---------------------------------------------------------------------------------------------
    def layer_name(self) -> str:
        """A short, stable, unique layer name derived from the output tensor's name."""
        base = _derive_layer_name(self.op, self.output(0).name if self.op.outputs else "")
        name, k = base, 1
        while name in self._st.layer_names:
            k += 1
            name = f"{base}_{k}"
        self._st.layer_names.add(name)
        return name

    def layer_kwargs(self, out: str | None = None, **attrs: Any) -> dict[str, Any]:
        """Keyword arguments every builder call gets: name, output tensor, op_type and provenance attrs."""
        first = self.output(0)
        return {
            "name": self.layer_name(),
            "out": out or self.out_name(),
            "op_type": self.op.name,
            "attrs": {"tflite_op": self.op.index, "tflite_output": first.name, **attrs},
        }

    def alias(self, x: str, shape: Sequence[int], out: str) -> str:
        """An internal view (no TFLite op of its own, not counted as elided): ``out`` shares ``x``'s buffer."""
        shape = tuple(int(d) for d in shape)
        if math.prod(shape) != math.prod(self.builder.shape(x)):
            raise _OpShapeError(
                f"operator #{self.op.index} {self.op.name}: cannot view {list(self.builder.shape(x))} as {list(shape)}",
                source=self.source,
            )
        src = self.builder.tensors[x]
        self.builder.tensors[out] = Tensor(out, shape, src.dtype, quantization=src.quantization, alias_of=x)
        return out

    def replace_last_layer(self, **changes: Any) -> Layer:
        """Change fields of the layer the handler just added (e.g. ``ops`` of a reduction)."""
        layer = self.builder.layers[-1].with_(**changes)
        self.builder.layers[-1] = layer
        return layer

    @contextmanager
    def dtypes(self, *, weight: DataType | None, bias: DataType | None) -> Iterator[None]:
        """Temporarily set the builder's weight and bias precision (they are per layer in a TFLite file)."""
        b = self.builder
        old = (b.weight_dtype, b.bias_dtype)
        b.weight_dtype = weight or old[0]
        b.bias_dtype = bias or old[1]
        try:
            yield
        finally:
            b.weight_dtype, b.bias_dtype = old

    def _stored_constant(self, i: int, what: str) -> _Const:
        t = self._input_index(i)
        const = self._st.consts.get(t)
        name = self._st.model.tensors[t].short_name
        if const is None:
            raise self.unsupported(f"the {what} (input {i}, {name!r}) are computed at run time, not constant")
        if const.tensor.sparse:
            raise self.unsupported(f"the {what} {name!r} are stored sparse (TFLite sparsity format)")
        if const.values is None or const.tensor.dtype is None:
            raise self.unsupported(f"the {what} {name!r} have type {const.tensor.type_name}")
        return const

    def constant_tensor(self, i: int) -> str:
        """Register the constant at input ``i`` as an IR constant tensor (once per stored tensor); its name."""
        stored = self._stored_constant(i, "constant values").tensor
        ir_name = self._st.const_ir.get(stored.index)
        if ir_name is None:
            ir_name = self._st.unique_tensor_name(stored.short_name)
            shape = self.tensor(i).shape
            self.builder.tensors[ir_name] = Tensor(
                ir_name,
                tuple(shape),
                stored.dtype or DataType("fp", 32),
                is_constant=True,
                quantization=stored.quantization,
            )
            self._st.const_ir[stored.index] = ir_name
        return ir_name

    def keep_constant(self, i: int, key: str | None = None) -> str:
        """Keep the values (as this op sees them) and quantization of the constant at input ``i``; its key.

        ``key`` is the IR tensor name when the constant has one; otherwise the stored tensor's short name (made
        unique among the kept values and the IR's tensor names).
        """
        t = self._input_index(i)
        const = self._stored_constant(i, "constant values")
        cache_key = f"{t}"
        if cache_key in self._st.kept_stored:
            return self._st.kept_stored[cache_key]
        if key is None:
            base = const.tensor.short_name
            key, k = base, 1
            while key in self._st.kept or key in self.builder.tensors or key in self._st.reserved:
                k += 1
                key = f"{base}@{k}"
        assert const.values is not None
        self._st.kept[key] = const.values
        self._st.keep_quant(key, const.tensor)
        self._st.kept_stored[cache_key] = key
        return key

    def claim_parameters(self, i: int) -> int:
        """Elements of the constant at input ``i`` to count as parameters of this layer: 0 for a scalar or a
        constant another layer already counted."""
        stored = self._stored_constant(i, "constant values").tensor
        n = math.prod(self.tensor(i).shape)
        if n <= 1 or stored.index in self._st.counted_params:
            return 0
        self._st.counted_params.add(stored.index)
        return n

    def weights(self, i: int) -> tuple[dict[str, Any], DataType]:
        """Register the constant weight at input ``i`` as an IR tensor and measure it.

        Returns the builder keyword arguments (``weight_tensor``, ``weight_stats``, ``density``) and the stored
        precision.
        """
        const = self._stored_constant(i, "weights")
        stored = const.tensor
        values = const.values
        assert values is not None and stored.dtype is not None  # checked by _stored_constant
        quantized = bool(np.issubdtype(values.dtype, np.integer))
        measured = _centered(values, stored.zero_points, stored.quantized_dimension) if quantized else values
        stats = measure_weights(measured, quantized=quantized)
        ir_name = self.constant_tensor(i)
        self.keep_constant(i, ir_name)
        kwargs: dict[str, Any] = {
            "weight_tensor": ir_name,
            "weight_stats": stats,
            "density": {Operand.WEIGHT: stats.density},
        }
        return kwargs, stored.dtype

    def call_weighted(
        self,
        method: Callable[..., str],
        *args: Any,
        weight: int = 1,
        bias: int = 2,
        fused: Sequence[str] = (),
        out: str | None = None,
        **kwargs: Any,
    ) -> str:
        """Call a weighted builder method (conv, depthwise, fc, conv_transpose) with this op's weights and bias."""
        wkw, wdt = self.weights(weight)
        has_bias = self.has_input(bias)
        bdt = None
        attrs: dict[str, Any] = {}
        if has_bias:
            bt = self.tensor(bias)
            bdt = bt.dtype
            if bt.index in self._st.consts and self._st.consts[bt.index].via:
                attrs["bias_via"] = self._st.consts[bt.index].via
        const = self._st.consts[self._input_index(weight)]
        if const.via:
            attrs["weight_via"] = const.via
        kw = self.layer_kwargs(out=out, **attrs)
        if fused:
            kw["fused"] = tuple(fused)
        with self.dtypes(weight=wdt, bias=bdt):
            y = method(*args, bias=has_bias, **wkw, **kw, **kwargs)
        layer = self.builder.layers[-1]
        info = self._st.info(layer.name)
        info["weight"] = wkw["weight_tensor"]
        info["weight_layout"] = _WEIGHT_LAYOUTS.get(self.op.name, "")
        if has_bias:
            info["bias"] = self.keep_constant(bias)
        return y

    def record_operands(self, layer: str, acts: Sequence[int] | None = None) -> None:
        """Record the op's operands in order (activations by IR name, constants kept by key) for ``layer``."""
        acts = self.activation_inputs() if acts is None else acts
        ops: list[tuple[str, str]] = []
        for i, t in enumerate(self.op.inputs):
            if t < 0:
                continue
            if i in acts:
                ops.append(("act", self.act(i)))
            else:
                ops.append(("const", self.keep_constant(i, self._st.const_ir.get(self._stored_index(i)))))
        self._st.info(layer)["operands"] = ops

    def _stored_index(self, i: int) -> int:
        return self._stored_constant(i, "constant values").tensor.index

    def post_activation(self, layer: str, fn: str, params: Mapping[str, Any] | None = None) -> None:
        """Record an activation folded into ``layer`` (applied after its arithmetic), with its parameters."""
        self._st.info(layer).setdefault("post", []).append(("act", fn, dict(params or {})))

    def conv_input(self, i: int = 0) -> tuple[str, tuple[int, int, int, int] | None]:
        """The activation at input ``i`` and the padding of a PAD folded into this conv (None if there is none)."""
        t = self._input_index(i)
        if t in self._st.pending_pads:
            return self._st.pending_pads.pop(t)
        return self.act(i), None

    def conv_padding(
        self,
        x: str,
        kernel: tuple[int, int],
        stride: tuple[int, int],
        dilation: tuple[int, int],
        folded: tuple[int, int, int, int] | None,
    ) -> str | tuple[int, int, int, int]:
        """The builder padding argument: the op's SAME/VALID plus the padding of a folded PAD."""
        mode = self.padding_mode()
        if folded is None:
            return mode
        _, _, h, w = self.builder.shape(x)
        padded = (h + folded[0] + folded[2], w + folded[1] + folded[3])
        base = resolve_padding(mode, padded, kernel, stride, dilation)
        return tuple(a + b for a, b in zip(base, folded, strict=True))  # type: ignore[return-value]

    def fold_pad_into_consumer(self, x: str, pads: tuple[int, int, int, int]) -> None:
        """Record that this PAD's output is ``x`` padded by ``pads``; its conv consumer takes the padding."""
        self._st.pending_pads[self.output(0).index] = (x, pads)
        self._st.elide("PAD (folded into conv)")

    def single_consumer(self, j: int = 0) -> TFLiteOperator | None:
        """The only operator reading output ``j`` (None if there are several, or it is a graph output)."""
        t = self.output(j).index
        readers = self._st.consumers.get(t, [])
        if len(readers) != 1 or t in self._st.model.outputs:
            return None
        return self._st.model.operators[readers[0]]

    def can_fuse_into_producer(self, i: int = 0) -> bool:
        """Whether an activation reading input ``i`` may be folded into the layer that produced it."""
        t = self._input_index(i)
        if t not in self._st.env or len(self._st.consumers.get(t, [])) != 1 or t in self._st.model.outputs:
            return False
        x = self._st.env[t]
        if self.builder.tensors[x].alias_of is not None:
            return False
        producer = next((layer for layer in reversed(self.builder.layers) if x in layer.outputs), None)
        return producer is not None and producer.op is not OpKind.OTHER

    def propagate_constant(self) -> None:
        """This op only reshapes or re-types a constant: its output is the same constant (no layer)."""
        src = self._st.consts[self._input_index(0)]
        out = self.output(0)
        values = src.values
        if values is not None and values.size == math.prod(out.shape):
            values = values.reshape(out.shape)
        self._st.consts[out.index] = _Const(src.tensor, values, (*src.via, self.op.name))
        self._st.elide(f"{self.op.name} (constant)")

    def record_dtype_conversion(self, tensor: str, before: DataType) -> None:
        """List a view that changes the data type in ``provenance["dtype_conversions"]``."""
        after = self.builder.dtype(tensor)
        self._st.dtype_conversions.append({"op": self.op.name, "tensor": tensor, "from": str(before), "to": str(after)})

    def produced(self, j: int = 0) -> bool:
        """Whether output ``j`` has a value (an activation, a constant, or a PAD waiting for its conv)."""
        t = self.output(j).index
        return t in self._st.env or t in self._st.consts or t in self._st.pending_pads

    def bind(self, ir_name: str, j: int = 0) -> str:
        """Make ``ir_name`` the value of output ``j``: cross-check the shape, then take the file's type and
        quantization for the IR tensor."""
        t = self.output(j)
        expected = self.out_shape(j)
        got = self.builder.shape(ir_name)
        if tuple(got) != expected:
            raise _OpShapeError(
                f"operator #{self.op.index} {self.op.name} (output {t.short_name!r}): accelkit infers the output "
                f"shape {list(got)} but the file declares {list(expected)} (TFLite layout {list(t.shape)})",
                source=self.source,
            )
        if t.dtype is None:
            raise self.unsupported(f"output {t.short_name!r} has type {t.type_name}, which the IR cannot represent")
        tensor = self.builder.tensors[ir_name]
        self.builder.tensors[ir_name] = replace(tensor, dtype=t.dtype, quantization=t.quantization)
        if t.dtype != tensor.dtype and tensor.alias_of is None:
            for k, layer in enumerate(self.builder.layers):
                if ir_name in layer.outputs:
                    self.builder.layers[k] = layer.with_(precision={**layer.precision, Operand.OUTPUT: t.dtype})
        self._st.env[t.index] = ir_name
        self._st.keep_quant(ir_name, t)
        return ir_name


class _OpShapeError(ShapeError):
    """A shape error whose message already names the operator (the cross-check of :meth:`TFLiteOpContext.bind`)."""


def _centered(values: np.ndarray, zero_points: tuple[int, ...], axis: int) -> np.ndarray:
    """Quantized values minus their zero point (per channel along ``axis``), so a real zero counts as zero."""
    if not zero_points or not any(zero_points):
        return values
    v = values.astype(np.int64)
    if len(zero_points) == 1:
        return v - zero_points[0]
    if v.ndim > axis and v.shape[axis] == len(zero_points):
        shape = [1] * v.ndim
        shape[axis] = -1
        return v - np.asarray(zero_points, dtype=np.int64).reshape(shape)
    return values


# ==== op handlers =================================================================================================
@TFLITE_OPS.register("CONV_2D")
def _conv_2d(ctx: TFLiteOpContext) -> None:
    x, folded = ctx.conv_input(0)
    w = ctx.tensor(1)
    if len(w.shape) != 4:
        raise ctx.unsupported(f"weights {w.short_name!r} have shape {list(w.shape)}, expected [O, H, W, I]")
    o, kh, kw, ci = w.shape
    c_in = ctx.channels(x)
    if ci <= 0 or c_in % ci:
        raise ctx.unsupported(f"weights take {ci} input channels per group but the input has {c_in}")
    stride = ctx.pair_option("StrideH", "StrideW")
    dilation = ctx.pair_option("DilationHFactor", "DilationWFactor")
    padding = ctx.conv_padding(x, (kh, kw), stride, dilation, folded)
    y = ctx.call_weighted(
        ctx.builder.conv,
        x,
        o,
        (kh, kw),
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=c_in // ci,
        act=ctx.fused_activation(),
        fused=("PAD",) if folded else (),
    )
    ctx.bind(y)


@TFLITE_OPS.register("DEPTHWISE_CONV_2D")
def _depthwise_conv_2d(ctx: TFLiteOpContext) -> None:
    x, folded = ctx.conv_input(0)
    w = ctx.tensor(1)
    if len(w.shape) != 4 or w.shape[0] != 1:
        raise ctx.unsupported(f"weights {w.short_name!r} have shape {list(w.shape)}, expected [1, H, W, C*mult]")
    _, kh, kw, cm = w.shape
    c_in = ctx.channels(x)
    if cm % c_in:
        raise ctx.unsupported(f"{cm} output channels are not a multiple of the {c_in} input channels")
    # the channel count of the weights is authoritative (newer converters leave depth_multiplier at 0 or 1)
    multiplier = cm // c_in
    stride = ctx.pair_option("StrideH", "StrideW")
    dilation = ctx.pair_option("DilationHFactor", "DilationWFactor")
    padding = ctx.conv_padding(x, (kh, kw), stride, dilation, folded)
    y = ctx.call_weighted(
        ctx.builder.depthwise,
        x,
        (kh, kw),
        multiplier=multiplier,
        stride=stride,
        padding=padding,
        dilation=dilation,
        act=ctx.fused_activation(),
        fused=("PAD",) if folded else (),
    )
    ctx.bind(y)


@TFLITE_OPS.register("FULLY_CONNECTED")
def _fully_connected(ctx: TFLiteOpContext) -> None:
    x = ctx.act(0)
    w = ctx.tensor(1)
    if len(w.shape) != 2:
        raise ctx.unsupported(f"weights {w.short_name!r} have shape {list(w.shape)}, expected [O, I]")
    o, i = w.shape
    b = ctx.builder
    shape = b.shape(x)
    elements = math.prod(shape)
    if i <= 0 or elements % i:
        raise ctx.unsupported(f"an input of shape {list(shape)} cannot be flattened into rows of {i}")
    rows = elements // i
    if not (shape and shape[0] == rows and math.prod(shape[1:]) == i):
        x = ctx.alias(x, (rows, i), ctx.fresh_name("flat"))  # TFLite flattens the input to [-1, I]
    want = ctx.out_shape()
    direct = want == (rows, o) or math.prod(want) != rows * o  # a mismatch is reported by bind
    y = ctx.call_weighted(b.fc, x, o, act=ctx.fused_activation(), out=None if direct else ctx.fresh_name("fc"))
    if not direct:  # keep_num_dims: the output keeps the input's leading dimensions
        y = ctx.alias(y, want, ctx.out_name())
    ctx.bind(y)


@TFLITE_OPS.register("TRANSPOSE_CONV")
def _transpose_conv(ctx: TFLiteOpContext) -> None:
    x = ctx.act(2)
    w = ctx.tensor(1)
    if len(w.shape) != 4:
        raise ctx.unsupported(f"weights {w.short_name!r} have shape {list(w.shape)}, expected [O, H, W, I]")
    o, kh, kw, ci = w.shape
    c_in = ctx.channels(x)
    if ci <= 0 or c_in % ci:
        raise ctx.unsupported(f"weights take {ci} input channels per group but the input has {c_in}")
    want = ctx.out_shape()
    if len(want) != 4:
        raise ctx.unsupported(f"output shape {list(want)} is not 4-D")
    _, _, h, wd = ctx.builder.shape(x)
    sh, sw = ctx.pair_option("StrideH", "StrideW")
    pads: list[int] = [0, 0, 0, 0]
    out_pad = [0, 0]
    for axis, (size, k, s, target) in enumerate(((h, kh, sh, want[2]), (wd, kw, sw, want[3]))):
        total = (size - 1) * s + k - target  # what the SAME padding crops from the full scatter
        if ctx.padding_mode() == "same" and total >= 0:
            pads[axis], pads[axis + 2] = total // 2, total - total // 2
        elif total < 0:
            out_pad[axis] = -total
    y = ctx.call_weighted(
        ctx.builder.conv_transpose,
        x,
        o,
        (kh, kw),
        stride=(sh, sw),
        padding=tuple(pads),
        output_padding=tuple(out_pad),
        groups=c_in // ci,
        act=ctx.fused_activation(),
        weight=1,
        bias=3,
    )
    ctx.bind(y)


def _pool_handler(kind: str) -> OpHandler:
    def handler(ctx: TFLiteOpContext) -> None:
        x = ctx.act(0)
        y = ctx.builder.pool(
            x,
            kind,
            ctx.pair_option("FilterHeight", "FilterWidth"),
            stride=ctx.pair_option("StrideH", "StrideW"),
            padding=ctx.padding_mode(),
            **ctx.layer_kwargs(),
        )
        act = ctx.fused_activation()
        if act:
            ctx.builder.fuse_activation(y, act)
        ctx.bind(y)

    handler.__doc__ = f"{kind} pooling over a window (SAME/VALID padding, fused activation)."
    return handler


TFLITE_OPS.register("AVERAGE_POOL_2D")(_pool_handler("avg"))
TFLITE_OPS.register("MAX_POOL_2D")(_pool_handler("max"))


def _reduce_handler(pool_kind: str | None, fn: str) -> OpHandler:
    def handler(ctx: TFLiteOpContext) -> None:
        x = ctx.act(0)
        rank = len(ctx.tensor(0).shape)
        if rank == 0:
            raise ctx.unsupported("cannot reduce a scalar")
        axes = sorted({int(a) % rank for a in ctx.constant(1).reshape(-1)})
        keep = bool(ctx.option("KeepDims", False))
        want = ctx.out_shape()
        b = ctx.builder
        if pool_kind and rank == 4 and axes == [1, 2]:
            pooled_out = ctx.out_name() if keep else ctx.fresh_name("pool")
            y = b.global_pool(x, pool_kind, **ctx.layer_kwargs(out=pooled_out, reduce=ctx.op.name))
            if not keep:
                y = ctx.alias(y, want, ctx.out_name())
        else:
            ir_axes = [_NHWC_AXIS_TO_IR[a] for a in axes] if rank == 4 else axes
            y = b.eltwise([x], fn, out_shape=want, **ctx.layer_kwargs(reduce_axes=tuple(ir_axes), keep_dims=keep))
            ctx.replace_last_layer(ops=math.prod(b.shape(x)))  # one op per input element
        ctx.bind(y)

    handler.__doc__ = f"{fn} reduction: a global {pool_kind} pool over H and W, else an elementwise reduction."
    return handler


TFLITE_OPS.register("MEAN")(_reduce_handler("avg", "mean"))
TFLITE_OPS.register("REDUCE_MAX")(_reduce_handler("max", "max"))
TFLITE_OPS.register("SUM")(_reduce_handler(None, "sum"))


def _binary_handler(fn: str) -> OpHandler:
    def handler(ctx: TFLiteOpContext) -> None:
        acts = ctx.activation_inputs()
        if not acts:
            raise ctx.unsupported("every input is a constant (nothing is computed at run time)")
        act = ctx.fused_activation()
        consts = [i for i, t in enumerate(ctx.op.inputs) if t >= 0 and i not in acts]
        inputs = [ctx.act(i) for i in acts]
        extra: dict[str, Any] = {}
        if consts:
            # a constant operand (per-channel scale, bias): listed among the inputs; its elements are parameters
            # of this layer (each stored constant counted once; a scalar is an immediate, not a parameter)
            inputs.extend(ctx.constant_tensor(i) for i in consts)
            params = sum(ctx.claim_parameters(i) for i in consts)
            if params:
                extra["extra_params"] = params
        y = ctx.builder.eltwise(
            inputs,
            fn,
            out_shape=ctx.out_shape() if consts else None,
            fused=(act,) if act else (),
            **ctx.layer_kwargs(**extra),
        )
        ctx.record_operands(ctx.builder.layers[-1].name, acts)
        ctx.bind(y)

    handler.__doc__ = f"Elementwise {fn} (broadcasting, fused activation like the builder's ``add(act=...)``)."
    return handler


for _name, _fn in (("ADD", "add"), ("SUB", "sub"), ("MUL", "mul"), ("DIV", "div")):
    TFLITE_OPS.register(_name)(_binary_handler(_fn))


@TFLITE_OPS.register("CONCATENATION")
def _concatenation(ctx: TFLiteOpContext) -> None:
    rank = len(ctx.output(0).shape)
    axis = int(ctx.option("Axis", 0))
    if rank == 0 or not -rank <= axis < rank:
        raise ctx.unsupported(f"axis {axis} is out of range for rank {rank}")
    axis %= rank
    ir_axis = _NHWC_AXIS_TO_IR[axis] if rank == 4 else axis
    acts = ctx.activation_inputs()
    if not acts:
        raise ctx.unsupported("every input is a constant (nothing is computed at run time)")
    b = ctx.builder
    xs = [ctx.act(i) for i in acts]
    if len(acts) == len(ctx.op.inputs):
        y = b.concat(xs, axis=ir_axis, **ctx.layer_kwargs())
    else:  # constant pieces are copied in too: a data-movement layer with the file's output shape
        y = b.data_movement(xs, "concat", ctx.out_shape(), **ctx.layer_kwargs(axis=ir_axis))
    ctx.record_operands(b.layers[-1].name, acts)
    ctx._st.info(b.layers[-1].name)["axis"] = ir_axis
    act = ctx.fused_activation()
    if act:
        b.fuse_activation(y, act)
    ctx.bind(y)


def _view_handler(ctx: TFLiteOpContext) -> None:
    """RESHAPE, SQUEEZE, EXPAND_DIMS: a free view (or a reshaped constant)."""
    if ctx.is_constant(0):
        ctx.propagate_constant()
        return
    y = ctx.builder.view(ctx.act(0), ctx.out_shape(), out=ctx.out_name(), op=ctx.op.name)
    ctx.bind(y)


for _name in ("RESHAPE", "SQUEEZE", "EXPAND_DIMS"):
    TFLITE_OPS.register(_name)(_view_handler)


def _convert_handler(ctx: TFLiteOpContext) -> None:
    """QUANTIZE, DEQUANTIZE: a view that changes the data type (or, on a constant, its stored form is kept)."""
    if ctx.is_constant(0):
        ctx.propagate_constant()
        return
    x = ctx.act(0)
    before = ctx.builder.dtype(x)
    y = ctx.bind(ctx.builder.view(x, ctx.out_shape(), out=ctx.out_name(), op=ctx.op.name))
    ctx.record_dtype_conversion(y, before)


TFLITE_OPS.register("QUANTIZE")(_convert_handler)
TFLITE_OPS.register("DEQUANTIZE")(_convert_handler)


@TFLITE_OPS.register("SOFTMAX")
def _softmax(ctx: TFLiteOpContext) -> None:
    y = ctx.builder.softmax(ctx.act(0), **ctx.layer_kwargs(beta=float(ctx.option("Beta", 1.0))))
    ctx.bind(y)


def _activation_handler(fn: str, params: Mapping[str, float] | None = None) -> OpHandler:
    def handler(ctx: TFLiteOpContext) -> None:
        x = ctx.act(0)
        p = dict(params or {})
        if "Alpha" in ctx.op.options:
            p["alpha"] = float(ctx.option("Alpha", 0.0))
        if ctx.can_fuse_into_producer(0):
            producer = ctx.builder.producer_of(x)
            y = ctx.builder.fuse_activation(x, fn, out=ctx.out_name())
            if producer is not None:
                ctx.post_activation(producer.name, fn, p)
        else:
            attrs = {"alpha": p["alpha"]} if "alpha" in p else {}
            y = ctx.builder.activation(x, fn, **ctx.layer_kwargs(**attrs))
            if p:
                ctx._st.info(ctx.builder.layers[-1].name)["act_params"] = p
        ctx.bind(y)

    handler.__doc__ = f"Standalone {fn}: fused into its producer when that has no other consumer, else eltwise."
    return handler


for _name, _fn, _params in (
    ("RELU", "relu", None),
    ("RELU6", "relu6", None),
    ("RELU_N1_TO_1", "clip", {"min": -1.0, "max": 1.0}),
    ("RELU_0_TO_1", "clip", {"min": 0.0, "max": 1.0}),
    ("LOGISTIC", "sigmoid", None),
    ("TANH", "tanh", None),
    ("HARD_SWISH", "hardswish", None),
    ("LEAKY_RELU", "leaky_relu", None),
    ("GELU", "gelu", None),
):
    TFLITE_OPS.register(_name)(_activation_handler(_fn, _params))


@TFLITE_OPS.register("PAD")
def _pad(ctx: TFLiteOpContext) -> None:
    """Zero padding: folded into a single conv consumer's padding, else a data-movement layer."""
    x = ctx.act(0)
    rank = len(ctx.tensor(0).shape)
    pads = ctx.constant(1)
    if pads.shape != (rank, 2) or (pads < 0).any():
        raise ctx.unsupported(f"paddings of shape {list(pads.shape)} do not fit an input of rank {rank}")
    consumer = ctx.single_consumer(0)
    spatial_only = rank == 4 and not pads[0].any() and not pads[3].any()
    if (
        spatial_only
        and consumer is not None
        and consumer.name in ("CONV_2D", "DEPTHWISE_CONV_2D")
        and consumer.inputs[:1] == (ctx.output(0).index,)
    ):
        ctx.fold_pad_into_consumer(x, (int(pads[1, 0]), int(pads[2, 0]), int(pads[1, 1]), int(pads[2, 1])))
        return
    y = ctx.builder.data_movement([x], "pad", ctx.out_shape(), **ctx.layer_kwargs())
    ir_pads = [pads[a] for a in (0, 3, 1, 2)] if rank == 4 else list(pads)
    info = ctx._st.info(ctx.builder.layers[-1].name)
    info["pads"] = tuple((int(p[0]), int(p[1])) for p in ir_pads)
    if ctx.has_input(2):
        info["operands"] = [("act", x), ("const", ctx.keep_constant(2))]
    ctx.bind(y)


# ==== the entry point =============================================================================================
def load_tflite(path: str | os.PathLike[str], *, name: str | None = None, keep_weights: bool = True) -> Network:
    """Import subgraph 0 of a TFLite model as a :class:`Network`.

    ``keep_weights`` keeps the constant tensors' values, their full quantization parameters and what an executor
    needs per layer on ``Network.constants`` (see :class:`~accelkit.workload.ir.Constants`); they are decoded
    during the import anyway, so keeping them costs about the file's size of memory and no time.

    Raises :class:`NetworkFileError` for a missing, unreadable, truncated or corrupt file,
    :class:`UnsupportedOperator` for an operator without a handler (or a CUSTOM one) and :class:`ShapeError`
    when an inferred shape differs from the file's. See the module docstring for the conventions.
    """
    p = Path(path)
    source = str(path)
    model = _parse(_read_file(p), source)
    first_in = model.tensors[model.inputs[0]] if model.inputs else None
    act_dtype = first_in.dtype if first_in is not None and first_in.dtype is not None else DataType("fp", 32)
    builder = NetworkBuilder(name or p.stem, dtype=act_dtype, source=source)
    state = _State(model, source, builder)

    for t_index in model.inputs:
        t = model.tensors[t_index]
        if t_index in state.consts:
            continue
        if t.dtype is None:
            raise NetworkFileError(
                f"input {t.short_name!r} has type {t.type_name}, which the IR cannot represent", source=source
            )
        shape = _ir_shape(t.shape)
        if any(d <= 0 for d in shape):
            raise ShapeError(
                f"input {t.short_name!r} has shape {list(t.shape)}; dimensions must be positive "
                "(dynamic shapes are not supported)",
                source=source,
            )
        state.env[t_index] = builder.input(state.tensor_name(t_index), shape, t.dtype, t.quantization)
        state.keep_quant(state.env[t_index], t)

    for op in model.operators:
        _run_handler(TFLiteOpContext(state, op))

    outputs = [state.env[t] for t in model.outputs if t in state.env]
    const_outputs = [model.tensors[t].short_name for t in model.outputs if t in state.consts]
    for t in model.outputs:
        if t not in state.env and t not in state.consts:
            raise NetworkFileError(
                f"corrupt TFLite model: subgraph output {model.tensors[t].short_name!r} is never produced",
                source=source,
            )
    provenance: dict[str, Any] = {
        "format": "tflite",
        "source": source,
        "schema_version": model.schema_version,
        "description": model.description,
        "subgraphs": model.subgraph_count,
        "subgraph": model.subgraph_name,
        "imported_subgraph": 0,
        "operators": _histogram(op.name for op in model.operators),
        "elided_ops": {**builder.provenance.get("elided_ops", {}), **state.elided},
        "dtype_conversions": state.dtype_conversions,
    }
    if model.subgraph_count > 1:
        provenance["note"] = (
            f"only subgraph 0 ({model.subgraph_name or 'main'!r}) was imported; the file has "
            f"{model.subgraph_count - 1} more (control-flow bodies or other signatures)"
        )
    if const_outputs:
        provenance["constant_outputs"] = const_outputs
    net = builder.build(outputs=outputs, **provenance)
    if not keep_weights:
        return net
    store = Constants(
        state.kept,
        quant=state.kept_quant,
        layers=state.layer_info,
        network=net,
        layout="NHWC",
        describe=f"constants of {source}",
    )
    return replace(net, constants=store)


def _run_handler(ctx: TFLiteOpContext) -> None:
    op = ctx.op
    if op.custom:
        raise ctx.unsupported("a CUSTOM operator (no standard semantics to model)")
    if op.name not in TFLITE_OPS:
        raise ctx.unsupported()
    handler = TFLITE_OPS.get(op.name)
    for j in range(len(op.outputs)):
        ctx.out_name(j)  # reserve the outputs' names before any constant takes one
    n_layers = len(ctx.builder.layers)
    try:
        handler(ctx)
    except _OpShapeError:
        raise
    except ShapeError as exc:
        msg = str(exc)
        if exc.source and msg.startswith(f"{exc.source}: "):
            msg = msg[len(exc.source) + 2 :]
        raise ShapeError(f"operator #{op.index} {op.name} ({ctx.node}): {msg}", source=ctx.source) from exc
    except AccelkitError:
        raise
    except (ValueError, IndexError, KeyError, ZeroDivisionError) as exc:
        raise ctx.unsupported(f"malformed operator: {exc}") from exc
    for j in range(len(op.outputs)):
        if not ctx.produced(j):
            raise ctx.unsupported(f"the handler produced no value for output {j}")
    code = int(op.options.get("FusedActivationFunction", 0) or 0)
    if code:  # the op's own fused activation runs after the arithmetic of the layer it made
        mine = [layer for layer in ctx.builder.layers[n_layers:] if layer.attrs.get("tflite_op") == op.index]
        fn = _FUSED_ACTIVATIONS.get(code)
        if mine and fn:
            ctx.post_activation(mine[-1].name, fn, _FUSED_ACTIVATION_PARAMS.get(code))


def _histogram(names: Iterable[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for n in names:
        out[n] = out.get(n, 0) + 1
    return out
