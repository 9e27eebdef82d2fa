"""Import an ONNX model into the accelkit :class:`~accelkit.workload.ir.Network` IR.

The importer reads the file with the ``onnx`` package, checks it with ``onnx.checker``, substitutes user-given
input shapes for dynamic dimensions, runs ONNX shape inference and then walks the nodes in their (topological)
order, emitting layers through :class:`~accelkit.workload.builder.NetworkBuilder` so that an imported layer means
exactly what a zoo layer means. After every layer the builder's shape is cross-checked against shape inference.

How ONNX constructs map to the IR:

* **Constants** — initializers, ``Constant`` nodes and every node whose inputs are all constant (the
  ``Shape -> Gather -> Concat -> Reshape`` chains of PyTorch exports) are evaluated with ``onnx.reference`` and
  never become layers. ``Shape``/``Size`` of an activation are constants too (shapes are static after import).
* **Compute** — Conv/ConvTranspose/ConvInteger/QLinearConv, Gemm, MatMul/MatMulInteger/QLinearMatMul, pooling,
  elementwise and activation ops become layers; ops are looked up in :data:`ONNX_OPS`, a registry that outside
  packages extend through the ``accelkit.onnx_ops`` entry-point group. An op without a handler raises
  :class:`~accelkit.errors.UnsupportedOperator`; nothing that changes the totals is skipped silently.
* **Fusion** — BatchNormalization folds into the producing Conv/Gemm/MatMul, an activation into its producer and
  a constant bias ``Add`` into a bias-less MatMul, each only when the producer's output has exactly one consumer
  in the ONNX graph (otherwise an elementwise layer). Folds are listed in ``provenance["folded"]``.
* **Parameters outside loop nests** — as in the TFLite importer, a non-scalar constant operand of an elementwise
  op (a per-channel scale), a LayerNormalization's scale/bias, an unfolded BatchNormalization's scale/shift and an
  embedding table (``Gather`` from a constant) are counted in ``attrs["extra_params"]``, once per stored constant.
  The elementwise layer's inputs are its activations only.
* **Views** — Reshape/Flatten/Squeeze/Unsqueeze/Identity/Dropout and QuantizeLinear/DequantizeLinear on
  activations are free views (counted in ``provenance["elided_ops"]``); Transpose/Pad/Resize/Slice/Gather/
  Split/Expand/Tile/DepthToSpace/SpaceToDepth are data-movement layers. ``Split`` emits one data-movement layer
  per output, named ``"<node>:<i>"`` (each moves its own slice, so the moved total equals the input). 1-D pooling
  and transposed convolution run on a 4-D ``(N, C, 1, L)`` view (``"to_4d"``/``"from_4d"`` in elided_ops).
* **Shapes** — from ONNX shape inference; where it leaves a shape unknown (e.g. a Reshape target computed through
  ReduceProd) the node is evaluated on zeros. ``onnx.shape_inference`` keeps a ``ceil_mode`` pooling window that
  starts past the input, which the ONNX spec, onnxruntime and PyTorch drop; such shapes are corrected and listed in
  ``provenance["shape_inference_corrections"]``.
* **Precision** — a tensor's precision is its ONNX element type, except that a DequantizeLinear output keeps the
  integer type of its input: a layer reading ``DQ(int8)`` runs at int8, weights behind a DequantizeLinear are
  int8, and a layer's output precision is the type of the QuantizeLinear that consumes it (if any).
* **Weights** — read with ``onnx.numpy_helper``; every weighted layer records
  :func:`~accelkit.workload.weights.measure_weights` (zero points subtracted for quantized weights). When
  external weight data cannot be found the model is imported shapes-only and ``provenance["weights"]`` says so.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import NodeProto, TensorProto, numpy_helper

from accelkit.errors import AccelkitError, NetworkFileError, ShapeError, UnsupportedOperator
from accelkit.registry import Registry
from accelkit.workload.builder import NetworkBuilder
from accelkit.workload.ir import (
    Constants,
    DataType,
    Layer,
    Network,
    Operand,
    OpKind,
    QuantParams,
    WeightSource,
    check_positive_shape,
)
from accelkit.workload.shapes import conv_out, same_pads
from accelkit.workload.weights import measure_weights

__all__ = ["MAX_OPSET", "MIN_OPSET", "ONNX_OPS", "OnnxImporter", "OpHandler", "load_onnx"]

#: The range of default-domain opsets the importer understands.
MIN_OPSET, MAX_OPSET = 11, 21

#: An op handler reads one node and emits layers/views through ``importer.builder``.
OpHandler = Callable[["OnnxImporter", NodeProto], None]

#: ONNX operator handlers, keyed by op type (default domain). Extend with ``@ONNX_OPS.register("MyOp")`` or the
#: ``accelkit.onnx_ops`` entry-point group.
ONNX_OPS: Registry[OpHandler] = Registry("ONNX operator", "accelkit.onnx_ops")

_DTYPE_NAMES: dict[str, DataType] = {
    "FLOAT": DataType("fp", 32),
    "FLOAT16": DataType("fp", 16),
    "BFLOAT16": DataType("bf", 16),
    "DOUBLE": DataType("fp", 64),
    "INT8": DataType("int", 8),
    "UINT8": DataType("uint", 8),
    "INT16": DataType("int", 16),
    "UINT16": DataType("uint", 16),
    "INT32": DataType("int", 32),
    "UINT32": DataType("uint", 32),
    "INT64": DataType("int", 64),
    "UINT64": DataType("uint", 64),
    "INT4": DataType("int", 4),
    "UINT4": DataType("uint", 4),
    "BOOL": DataType("uint", 1),
    "FLOAT8E4M3FN": DataType("fp", 8),
    "FLOAT8E4M3FNUZ": DataType("fp", 8),
    "FLOAT8E5M2": DataType("fp", 8),
    "FLOAT8E5M2FNUZ": DataType("fp", 8),
}
#: ONNX ``TensorProto`` element type -> accelkit number format (only the types this onnx version knows).
ONNX_DTYPES: dict[int, DataType] = {
    getattr(TensorProto, k): v for k, v in _DTYPE_NAMES.items() if hasattr(TensorProto, k)
}

#: Activation ops that fold into their producer (op type -> builder function name).
_ACTIVATIONS: dict[str, str] = {
    "Relu": "relu",
    "Clip": "clip",
    "Sigmoid": "sigmoid",
    "HardSwish": "hardswish",
    "HardSigmoid": "hardsigmoid",
    "Tanh": "tanh",
    "LeakyRelu": "leaky_relu",
    "Gelu": "gelu",
    "Elu": "elu",
}
#: Unary elementwise ops that always become their own layer.
_UNARY: dict[str, str] = {
    "Sqrt": "sqrt",
    "Exp": "exp",
    "Neg": "neg",
    "Abs": "abs",
    "Erf": "erf",
    "Reciprocal": "reciprocal",
    "Cast": "cast",
}
#: Ops whose output is a relabelling of their first input: a quantized constant stays quantized through them.
_LAYOUT_OPS = frozenset({"Identity", "Reshape", "Transpose", "Squeeze", "Unsqueeze", "Flatten"})
#: Layer kinds an activation may fuse into.
_FUSABLE_INTO = frozenset({OpKind.CONV, OpKind.DEPTHWISE, OpKind.FC, OpKind.MATMUL, OpKind.POOL, OpKind.ELTWISE})


# ---- entry point ----------------------------------------------------------------------------------------------
def load_onnx(
    path: str | os.PathLike[str],
    *,
    input_shapes: Mapping[str, Sequence[int]] | None = None,
    name: str | None = None,
    keep_weights: bool = True,
) -> Network:
    """Import the ONNX model at ``path`` as a :class:`Network`.

    ``input_shapes`` gives concrete shapes (``{"input": (1, 3, 224, 224)}``) for inputs with dynamic or
    symbolic dimensions; ``name`` defaults to the file's stem. ``keep_weights`` keeps the values of the constants
    the layers read (weights, biases, folded batch-norm parameters, constant operands), the quantization
    parameters of QuantizeLinear views and what an executor needs per layer on ``Network.constants`` (see
    :class:`~accelkit.workload.ir.Constants`); the importer holds them in memory anyway.

    Raises :class:`NetworkFileError` for a missing, unreadable or invalid file, :class:`ShapeError` for shapes
    that are dynamic, non-positive or inconsistent, :class:`UnsupportedOperator` for an operator the importer
    cannot represent, and :class:`AccelkitError` for an opset outside 11..21.
    """
    source = str(path)
    model, missing = _read_model(Path(path), source)
    _check_model(model, source)
    opset = _default_opset(model, source)
    _apply_input_shapes(model, input_shapes, source, constants=set(missing))
    inferred = _infer(model, source)
    corrections: list[dict[str, Any]] = []
    while (fix := _ceil_mode_correction(inferred)) is not None and len(corrections) < len(model.graph.node):
        tensor, onnx_shape, shape, elem = fix
        if any(c["tensor"] == tensor for c in corrections):
            break  # inference did not honour the stored shape; the importer's cross-check will report it
        corrections.append({"tensor": tensor, "onnx_shape_inference": onnx_shape, "used": shape})
        # stored shapes downstream may derive from the wrong one: keep only the corrections, re-infer the rest
        fixed = {c["tensor"] for c in corrections}
        _drop_stored_shapes(model.graph, keep=fixed - {tensor})
        model.graph.value_info.append(onnx.helper.make_tensor_value_info(tensor, elem, shape))
        for out in model.graph.output:
            if out.name == tensor:
                out.type.CopyFrom(onnx.helper.make_tensor_type_proto(elem, shape))
        inferred = _infer(model, source)
    importer = OnnxImporter(inferred, source=source, opset=opset, name=name or Path(path).stem, missing=missing)
    if corrections:
        importer.notes["shape_inference_corrections"] = corrections
    net = importer.run()
    if not keep_weights or missing:
        return net
    store = Constants(
        importer.kept,
        quant=importer.kept_quant,
        layers=importer.layer_info,
        network=net,
        layout="NCHW",
        describe=f"constants of {source}",
    )
    return replace(net, constants=store)


def _infer(model: onnx.ModelProto, source: str) -> onnx.ModelProto:
    try:
        return onnx.shape_inference.infer_shapes(model, check_type=False, strict_mode=False, data_prop=True)
    except Exception as exc:  # onnx raises InferenceError / ValidationError / RuntimeError
        raise ShapeError(f"ONNX shape inference failed: {_first_line(exc)}", source=source) from None


def _ceil_mode_correction(model: onnx.ModelProto) -> tuple[str, list[Any], list[int], int] | None:
    """The first ``ceil_mode`` pool whose inferred output keeps a window that starts past the input.

    ONNX's operator spec, onnxruntime and PyTorch drop such a window ("sliding windows that would start in the
    right padded region are ignored"); ``onnx.shape_inference`` (1.23 at least) keeps it, e.g. a 1x1 window with
    stride 2 over 4 pixels gives 3 instead of 2. Returns (tensor, ONNX's shape, the correct shape, elem type).
    """
    types = {v.name: v.type for v in (*model.graph.input, *model.graph.value_info, *model.graph.output)}
    for node in model.graph.node:
        if node.op_type not in ("MaxPool", "AveragePool") or node.domain not in ("", "ai.onnx"):
            continue
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        auto = (attrs.get("auto_pad") or b"NOTSET").decode().upper()
        if not attrs.get("ceil_mode") or node.output[0] not in types:
            continue
        in_any, out_any = _dims(types.get(node.input[0], onnx.TypeProto())), _dims(types[node.output[0]])
        if in_any is None or out_any is None or not all(isinstance(d, int) for d in (*in_any, *out_any)):
            continue
        in_dims = [int(d) for d in in_any]  # type: ignore[arg-type]
        out_dims = [int(d) for d in out_any]  # type: ignore[arg-type]
        rank = len(in_dims) - 2
        kernel = list(attrs.get("kernel_shape", [1] * rank))
        strides = list(attrs.get("strides", [1] * rank))
        dilations = list(attrs.get("dilations", [1] * rank))
        pads = list(attrs.get("pads", [0] * (2 * rank))) if auto == "NOTSET" else [0] * (2 * rank)
        try:
            spatial = []
            for i in range(rank):
                size = in_dims[2 + i]
                begin, end = pads[i], pads[rank + i]
                if auto.startswith("SAME"):
                    begin, end = same_pads(size, kernel[i], strides[i], dilations[i], upper=auto == "SAME_UPPER")
                spatial.append(conv_out(size, kernel[i], strides[i], dilations[i], begin, end, ceil_mode=True))
        except (ShapeError, IndexError, ZeroDivisionError):
            continue
        shape = [*in_dims[:2], *spatial]
        if shape != out_dims:
            return node.output[0], out_dims, shape, types[node.output[0]].tensor_type.elem_type
    return None


# ---- file reading & validation --------------------------------------------------------------------------------
def _first_line(exc: BaseException, limit: int = 300) -> str:
    text = str(exc).strip().splitlines()
    line = text[0] if text else type(exc).__name__
    return line if len(line) <= limit else line[: limit - 3] + "..."


@dataclass(frozen=True)
class _Missing:
    """An initializer whose external data could not be read: shape and type are known, values are not."""

    name: str
    shape: tuple[int, ...]
    elem_type: int
    reason: str


def _read_model(path: Path, source: str) -> tuple[onnx.ModelProto, dict[str, _Missing]]:
    """Load the protobuf, then its external data tensor by tensor (a tensor that cannot be read is 'missing')."""
    if not path.exists():
        raise NetworkFileError("file not found", source=source)
    if path.is_dir():
        raise NetworkFileError("is a directory, not an ONNX file", source=source)
    try:
        model = onnx.load(str(path), load_external_data=False)
    except OSError as exc:
        raise NetworkFileError(f"cannot read the file: {exc.strerror or _first_line(exc)}", source=source) from None
    except Exception as exc:  # google.protobuf DecodeError and friends
        raise NetworkFileError(
            f"not a valid ONNX model (truncated or corrupt protobuf): {_first_line(exc)}", source=source
        ) from None
    if not model.HasField("graph") or not model.opset_import:
        raise NetworkFileError("not a valid ONNX model: it has no graph or no opset_import", source=source)
    missing: dict[str, _Missing] = {}
    base = str(path.parent)
    for tensor in model.graph.initializer:
        if not onnx.external_data_helper.uses_external_data(tensor):
            continue
        try:
            onnx.external_data_helper.load_external_data_for_tensor(tensor, base)
            tensor.data_location = TensorProto.DEFAULT
            del tensor.external_data[:]
        except Exception as exc:
            missing[tensor.name] = _Missing(tensor.name, tuple(tensor.dims), tensor.data_type, _first_line(exc))
    if missing:
        # The checker and shape inference need either the data or a graph input: turn the missing initializers
        # into inputs (same type and shape) and remember they are constants.
        keep = [t for t in model.graph.initializer if t.name not in missing]
        del model.graph.initializer[:]
        model.graph.initializer.extend(keep)
        listed = {i.name for i in model.graph.input}
        for m in missing.values():
            if m.name not in listed:
                model.graph.input.append(onnx.helper.make_tensor_value_info(m.name, m.elem_type, list(m.shape)))
    return model, missing


def _check_model(model: onnx.ModelProto, source: str) -> None:
    try:
        onnx.checker.check_model(model)
    except Exception as exc:  # ValidationError, or a C++ error surfaced as another type
        raise NetworkFileError(f"not a valid ONNX model: {_first_line(exc)}", source=source) from None


def _default_opset(model: onnx.ModelProto, source: str) -> int:
    versions = [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")]
    if not versions:
        raise AccelkitError("the model imports no default-domain (ai.onnx) opset", source=source)
    opset = int(versions[0])
    if not MIN_OPSET <= opset <= MAX_OPSET:
        raise AccelkitError(
            f"ONNX opset {opset} is not supported; the importer reads opsets {MIN_OPSET} to {MAX_OPSET} "
            "(convert the model with onnx.version_converter.convert_version)",
            source=source,
        )
    return opset


def _dims(value_type: onnx.TypeProto) -> tuple[int | str | None, ...] | None:
    """The dims of a tensor type: ints, symbolic names, or None for unknown; None when the rank is unknown."""
    tt = value_type.tensor_type
    if not tt.HasField("shape"):
        return None
    out: list[int | str | None] = []
    for d in tt.shape.dim:
        if d.HasField("dim_value"):
            out.append(int(d.dim_value))
        elif d.HasField("dim_param") and d.dim_param:
            out.append(d.dim_param)
        else:
            out.append(None)
    return tuple(out)


def _apply_input_shapes(
    model: onnx.ModelProto,
    input_shapes: Mapping[str, Sequence[int]] | None,
    source: str,
    *,
    constants: set[str] | frozenset[str] = frozenset(),
) -> None:
    """Write the user's concrete shapes into the graph inputs (and drop stale stored shapes downstream)."""
    if not input_shapes:
        return
    graph = model.graph
    inits = {t.name for t in graph.initializer} | set(constants)
    inputs = {i.name: i for i in graph.input if i.name not in inits}
    unknown = sorted(set(input_shapes) - set(inputs))
    if unknown:
        raise ShapeError(
            f"input_shapes names {', '.join(map(repr, unknown))}, but the model's inputs are "
            f"{', '.join(map(repr, inputs)) or 'none'}",
            source=source,
        )
    for iname, shape in input_shapes.items():
        dims = check_positive_shape(tuple(shape), f"input shape given for {iname!r}", source=source)
        vi = inputs[iname]
        old = _dims(vi.type)
        if old is not None and len(old) != len(dims):
            raise ShapeError(
                f"input {iname!r} has rank {len(old)} (shape {list(old)}), but the given shape {list(dims)} has "
                f"rank {len(dims)}",
                source=source,
            )
        shape_proto = vi.type.tensor_type.shape
        shape_proto.Clear()
        for d in dims:
            shape_proto.dim.add().dim_value = d
    # Shapes the exporter stored for intermediate tensors and outputs may contradict the new input shapes, and
    # non-strict inference keeps stored shapes over inferred ones: drop them (inference recomputes them).
    _drop_stored_shapes(graph)


def _drop_stored_shapes(graph: onnx.GraphProto, keep: set[str] | frozenset[str] = frozenset()) -> None:
    """Forget the stored shapes of intermediate tensors and outputs (except ``keep``)."""
    kept = [v for v in graph.value_info if v.name in keep]
    del graph.value_info[:]
    graph.value_info.extend(kept)
    for out in graph.output:
        if out.name not in keep and out.type.tensor_type.HasField("shape"):
            out.type.tensor_type.ClearField("shape")


# ---- constants ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class QuantizedValues:
    """The integer storage behind a dequantized constant (a QDQ weight)."""

    values: np.ndarray | None  # zero point subtracted; None when the data is missing
    dtype: DataType
    source: str  # the initializer holding the integers


@dataclass(frozen=True)
class Const:
    """A constant tensor: an initializer, a ``Constant`` output or a folded expression."""

    name: str
    shape: tuple[int, ...]
    elem_type: int
    values: np.ndarray | None  # None when external data is missing
    source: str  # the initializer the values come from (for ``weight_tensor``)
    quant: QuantizedValues | None = None


@dataclass(frozen=True)
class WeightInfo:
    """A layer's constant weight as the importer sees it."""

    tensor: str
    shape: tuple[int, ...]
    dtype: DataType
    values: np.ndarray | None
    quantized: bool

    def layer_kwargs(self) -> dict[str, Any]:
        """``weight_tensor``/``weight_stats``/``density`` keyword arguments for a builder call."""
        kw: dict[str, Any] = {"weight_tensor": self.tensor}
        if self.values is not None:
            stats = measure_weights(self.values, quantized=self.quantized)
            kw["weight_stats"] = stats
            kw["density"] = {Operand.WEIGHT: stats.density}
        return kw


def _as_stats_array(values: np.ndarray) -> np.ndarray:
    """int4/uint4 (ml_dtypes) and other exotic integer arrays as plain int arrays for arithmetic."""
    if values.dtype.kind in "iub":
        return values
    try:
        return values.astype(np.int32)
    except (TypeError, ValueError):  # pragma: no cover - defensive
        return values


def _center(q: np.ndarray | None, zero_point: np.ndarray | None, axis: int) -> np.ndarray | None:
    """``q - zero_point`` (per tensor or per ``axis``) so that density counts real zeros."""
    if q is None:
        return None
    q = _as_stats_array(q)
    if zero_point is None:
        return q
    zp = _as_stats_array(np.asarray(zero_point)).astype(np.int32)
    if not np.any(zp):
        return q
    if zp.size == 1:
        return q.astype(np.int32) - int(zp.reshape(-1)[0])
    ax = axis % q.ndim
    if q.shape[ax] != zp.size:
        return q  # blocked quantization or an odd layout: keep raw integers
    shape = [1] * q.ndim
    shape[ax] = zp.size
    return q.astype(np.int32) - zp.reshape(shape)


# ---- the importer ---------------------------------------------------------------------------------------------
class OnnxImporter:
    """Walks a shape-inferred ONNX graph and emits layers. Op handlers use its helper methods.

    Handler API: :meth:`activation` (the builder tensor of an input, constant inputs refused), :meth:`const`,
    :meth:`is_const`, :meth:`weight`, :meth:`attr`, :meth:`ints`, :meth:`shape`, :meth:`out_shape`,
    :meth:`out_dtype`, :meth:`layer_name`, :meth:`check_output`, :meth:`fusable_producer`, :meth:`record_fold`,
    :meth:`unsupported`, and :attr:`builder`.
    """

    def __init__(
        self,
        model: onnx.ModelProto,
        *,
        source: str,
        opset: int,
        name: str,
        missing: Mapping[str, _Missing] | None = None,
    ) -> None:
        self.model = model
        self.graph = model.graph
        self.source = source
        self.opset = opset
        self.missing = dict(missing or {})
        self.types: dict[str, tuple[int, tuple[int | str | None, ...] | None]] = {}
        for vi in (*self.graph.input, *self.graph.value_info, *self.graph.output):
            self.types[vi.name] = (vi.type.tensor_type.elem_type, _dims(vi.type))
        self.consts: dict[str, Const] = {}
        for t in self.graph.initializer:
            self.consts[t.name] = Const(t.name, tuple(t.dims), t.data_type, numpy_helper.to_array(t), t.name)
        for t in self.graph.sparse_initializer:
            name_ = t.values.name
            self.consts[name_] = Const(name_, tuple(t.dims), t.values.data_type, _densify(t), name_)
        for m in self.missing.values():
            self.consts[m.name] = Const(m.name, m.shape, m.elem_type, None, m.name)
        self.consumers: dict[str, list[NodeProto]] = {}
        for node in self.graph.node:
            for i in dict.fromkeys(i for i in node.input if i):
                self.consumers.setdefault(i, []).append(node)
        self.graph_outputs = {o.name for o in self.graph.output}
        self.builder = NetworkBuilder(name, dtype=self._model_float_dtype(), source=source)
        self.folded: list[dict[str, str]] = []
        self.constant_folded: Counter[str] = Counter()
        self._layer_names: set[str] = set()
        self._internal: set[str] = set()
        self._claimed: set[str] = set()
        self._shape_cache: dict[int, list[tuple[int, ...]]] = {}
        #: Extra provenance entries (e.g. corrections of ONNX shape inference).
        self.notes: dict[str, Any] = {}
        # what the executor needs (kept on Network.constants when asked): values, quantization, per-layer facts
        self.kept: dict[str, np.ndarray] = {}
        self.kept_quant: dict[str, QuantParams] = {}
        self.layer_info: dict[str, dict[str, Any]] = {}

    # ---- what an executor needs ----------------------------------------------------------------------------
    def keep(self, tensor: str) -> str | None:
        """Keep the values of constant ``tensor`` (as the node reads them) under its ONNX name; the key."""
        c = self.consts.get(tensor)
        if not tensor or c is None or c.values is None:
            return None
        self.kept.setdefault(tensor, c.values)
        return tensor

    def info(self, layer: str) -> dict[str, Any]:
        """The executor facts of ``layer`` (created on first use)."""
        return self.layer_info.setdefault(layer, {})

    def post(self, layer: str, step: tuple[Any, ...]) -> None:
        """Record a step folded into ``layer`` (batch norm, bias add, activation), applied after its arithmetic."""
        self.info(layer).setdefault("post", []).append(step)

    # ---- driving -----------------------------------------------------------------------------------------
    def run(self) -> Network:
        """Import every node and build the network."""
        b = self.builder
        for vi in self.graph.input:
            if vi.name in self.consts:
                continue
            elem, dims = self.types[vi.name]
            shape = check_positive_shape(
                dims if dims is not None else (None,), f"model input {vi.name!r}", source=self.source
            )
            b.input(vi.name, shape, dtype=self.dtype_of_elem(elem))
        for node in self.graph.node:
            self._import_node(node)
        outputs = [o.name for o in self.graph.output if o.name in b.tensors]
        constant_outputs = [o.name for o in self.graph.output if o.name not in b.tensors]
        provenance: dict[str, Any] = {
            "format": "onnx",
            "source": self.source,
            "opset": self.opset,
            "producer": self.model.producer_name,
            "producer_version": self.model.producer_version,
            "ir_version": self.model.ir_version,
            "elided_ops": dict(b.provenance.get("elided_ops", {})),
            "folded": list(self.folded),
            "constant_folded": dict(self.constant_folded),
            "weights": "absent" if self.missing else "measured",
        }
        if self.missing:
            provenance["missing_weights"] = sorted(self.missing)
            provenance["weights_note"] = (
                f"{len(self.missing)} initializer(s) stored as external data could not be read (e.g. "
                f"{next(iter(self.missing.values())).reason}); shapes were imported, weight statistics were not"
            )
        if constant_outputs:
            provenance["constant_outputs"] = constant_outputs
        provenance.update(self.notes)
        return b.build(outputs=outputs, **provenance)

    def _import_node(self, node: NodeProto) -> None:
        op = node.op_type
        if node.domain not in ("", "ai.onnx"):
            raise self.unsupported(node, op=f"{node.domain}.{op}", reason="operators outside the default domain")
        if op in ("Shape", "Size") or all(i in self.consts for i in node.input if i):
            self._fold(node)
            return
        if op not in ONNX_OPS:
            raise self.unsupported(node)
        try:
            ONNX_OPS.get(op)(self, node)
        except ShapeError as exc:
            if getattr(exc, "node", None) is not None:
                raise
            raise self.shape_error(node, _strip_source(exc)) from None
        except ValueError as exc:  # the builder refusing a fusion or a malformed combination of attributes
            raise self.unsupported(node, reason=str(exc)) from None
        except AccelkitError:
            raise
        except (ArithmeticError, IndexError, KeyError, TypeError) as exc:
            # malformed attributes (a zero stride, pads of the wrong length, ...) must not escape as a traceback
            raise self.unsupported(
                node, reason=f"malformed attributes or inputs ({type(exc).__name__}: {exc})"
            ) from None
        for i, out in enumerate(node.output):
            if out and out not in self.builder.tensors and out not in self.consts and self._is_used(out):
                raise self.unsupported(node, reason=f"its output #{i} ({out!r}) is not supported")

    def _is_used(self, tensor: str) -> bool:
        return bool(self.consumers.get(tensor)) or tensor in self.graph_outputs

    # ---- errors --------------------------------------------------------------------------------------------
    def node_name(self, node: NodeProto) -> str:
        return node.name or f"<unnamed {node.op_type} -> {node.output[0] if node.output else '?'}>"

    def unsupported(self, node: NodeProto, *, op: str | None = None, reason: str | None = None) -> UnsupportedOperator:
        """An :class:`UnsupportedOperator` naming the op, node, opset and file (raise it)."""
        return UnsupportedOperator(
            op or node.op_type, self.node_name(node), opset=self.opset, reason=reason, source=self.source
        )

    def shape_error(self, node: NodeProto, message: str) -> ShapeError:
        """A :class:`ShapeError` naming the node and the file (raise it)."""
        exc = ShapeError(f"node {self.node_name(node)!r} ({node.op_type}): {message}", source=self.source)
        exc.node = node.name  # type: ignore[attr-defined]
        return exc

    # ---- types, shapes, constants ---------------------------------------------------------------------------
    def _model_float_dtype(self) -> DataType:
        for vi in self.graph.input:
            dt = ONNX_DTYPES.get(vi.type.tensor_type.elem_type)
            if dt is not None and dt.is_float and vi.name not in self.consts:
                return dt
        for t in self.graph.initializer:
            dt = ONNX_DTYPES.get(t.data_type)
            if dt is not None and dt.is_float:
                return dt
        return DataType("fp", 32)

    def dtype_of_elem(self, elem: int) -> DataType:
        """The accelkit number format of an ONNX element type (the model's float type when unknown)."""
        dt = ONNX_DTYPES.get(elem)
        return dt if dt is not None else self.builder.act_dtype

    def is_const(self, tensor: str) -> bool:
        return tensor in self.consts

    def const(self, node: NodeProto, tensor: str) -> np.ndarray:
        """The values of a constant input (raises UnsupportedOperator when it is not a constant)."""
        c = self.consts.get(tensor)
        if c is None:
            raise self.unsupported(node, reason=f"input {tensor!r} must be a constant")
        if c.values is None:
            raise self.unsupported(node, reason=f"the values of constant {tensor!r} are not available")
        return c.values

    def activation(self, node: NodeProto, tensor: str) -> str:
        """The builder tensor for an activation input of ``node``."""
        if tensor in self.builder.tensors:
            return tensor
        if tensor in self.consts:
            raise self.unsupported(node, reason=f"input {tensor!r} is a constant where an activation is expected")
        raise self.unsupported(node, reason=f"input {tensor!r} is not produced by a supported node")

    def shape(self, tensor: str) -> tuple[int, ...]:
        """The concrete shape of an activation or constant."""
        if tensor in self.builder.tensors:
            return self.builder.shape(tensor)
        if tensor in self.consts:
            return self.consts[tensor].shape
        raise ShapeError(f"unknown tensor {tensor!r}", source=self.source)

    def out_shape(self, node: NodeProto, index: int = 0) -> tuple[int, ...]:
        """The concrete shape of output ``index`` of ``node``: from shape inference, else by running the node."""
        tensor = node.output[index]
        dims = self.types.get(tensor, (0, None))[1]
        what = f"tensor {tensor!r} (output of node {self.node_name(node)!r}, {node.op_type})"
        if dims is not None and all(isinstance(d, int) for d in dims):
            return self._positive(node, dims, what)
        shapes = self._run_for_shapes(node)
        if shapes is not None:
            return self._positive(node, shapes[index], what)
        return check_positive_shape(dims if dims is not None else (None,), what, source=self.source)

    def _positive(self, node: NodeProto, dims: Sequence[Any], what: str) -> tuple[int, ...]:
        try:
            return check_positive_shape(tuple(dims), what, source=self.source)
        except ShapeError as exc:
            exc.node = node.name  # type: ignore[attr-defined]
            raise

    def _run_for_shapes(self, node: NodeProto) -> list[tuple[int, ...]] | None:
        """Output shapes of ``node`` by evaluating it on zeros (when shape inference left them unknown)."""
        key = id(node)
        if key not in self._shape_cache:
            feeds: dict[str, np.ndarray] = {}
            for i in node.input:
                if not i or i in feeds:
                    continue
                if i in self.consts:
                    if self.consts[i].values is None:
                        return None
                    feeds[i] = self.consts[i].values  # type: ignore[assignment]
                elif i in self.builder.tensors:
                    elem = self.types.get(i, (TensorProto.FLOAT, None))[0] or TensorProto.FLOAT
                    np_dtype = onnx.helper.tensor_dtype_to_np_dtype(elem)
                    feeds[i] = np.zeros(self.builder.shape(i), dtype=np_dtype)
                else:
                    return None
            try:
                results = self._evaluate(node, feeds)
            except Exception:
                return None
            self._shape_cache[key] = [tuple(int(d) for d in np.shape(r)) for r in results]
        return self._shape_cache[key]

    def _evaluate(self, node: NodeProto, feeds: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        from onnx.reference import ReferenceEvaluator

        evaluator = ReferenceEvaluator(node, opsets={"": self.opset})
        return [np.asarray(r) for r in evaluator.run(None, dict(feeds))]

    def out_dtype(self, tensor: str) -> DataType:
        """The precision ``tensor`` is stored at: a consuming QuantizeLinear's type, else its ONNX type.

        Looks through a single-consumer chain of activations/batch norms (they fuse into the producer).
        """
        t = tensor
        for _ in range(8):
            cons = self.consumers.get(t, [])
            if t in self.graph_outputs or not cons:
                break
            if all(c.op_type == "QuantizeLinear" for c in cons):
                dts = {self.dtype_of_elem(self.types.get(c.output[0], (0, None))[0]) for c in cons}
                if len(dts) == 1:
                    return dts.pop()
                break
            if len(cons) == 1 and cons[0].op_type in (*_ACTIVATIONS, "BatchNormalization"):
                t = cons[0].output[0]
                continue
            break
        return self.dtype_of_elem(self.types.get(tensor, (0, None))[0])

    def weight(self, node: NodeProto, tensor: str, *, zero_point: str | None = None, axis: int = 0) -> WeightInfo:
        """The constant weight ``tensor`` of ``node`` (behind a DequantizeLinear or integer-typed)."""
        c = self.consts.get(tensor)
        if c is None:
            raise self.unsupported(node, reason=f"its weight {tensor!r} is not a constant")
        if c.quant is not None:
            return WeightInfo(c.quant.source, c.shape, c.quant.dtype, c.quant.values, True)
        dtype = self.dtype_of_elem(c.elem_type)
        quantized = not dtype.is_float
        values = c.values
        if quantized:
            zp = None
            if zero_point and zero_point in self.consts:
                zp = self.consts[zero_point].values
            values = _center(values, zp, axis)
        return WeightInfo(c.source, c.shape, dtype, values, quantized)

    def attr(self, node: NodeProto, name: str, default: Any = None) -> Any:
        """An attribute value (ints/floats/strings decoded) or ``default``."""
        for a in node.attribute:
            if a.name == name:
                value = onnx.helper.get_attribute_value(a)
                if isinstance(value, bytes):
                    return value.decode()
                return value
        return default

    def ints(self, node: NodeProto, attr: str, input_index: int) -> list[int] | None:
        """An int list given as an attribute (older opsets) or as a constant input (newer opsets)."""
        value = self.attr(node, attr)
        if value is not None:
            return [int(v) for v in value]
        if len(node.input) > input_index and node.input[input_index]:
            return [int(v) for v in np.asarray(self.const(node, node.input[input_index])).reshape(-1)]
        return None

    def layer_name(self, node: NodeProto, suffix: str = "") -> str:
        """A unique layer name: the node's name (plus ``suffix``), or a generated one."""
        base = (node.name or f"{node.op_type}_{node.output[0] if node.output else ''}") + suffix
        candidate, i = base, 1
        while candidate in self._layer_names:
            i += 1
            candidate = f"{base}_{i}"
        self._layer_names.add(candidate)
        return candidate

    def internal(self, name: str) -> str:
        """Reserve an importer-made tensor name (not in the ONNX graph)."""
        self._internal.add(name)
        return name

    def check_output(self, node: NodeProto, tensor: str) -> None:
        """Cross-check the builder's shape for ``tensor`` against ONNX shape inference."""
        ours = self.builder.shape(tensor)
        dims = self.types.get(tensor, (0, None))[1]
        if dims is None or not all(isinstance(d, int) for d in dims):
            return
        if any(d <= 0 for d in dims):  # type: ignore[operator]
            self._positive(node, dims, f"tensor {tensor!r}")
        if tuple(dims) != tuple(ours):
            raise self.shape_error(
                node,
                f"accelkit computes shape {list(ours)} for output {tensor!r} but ONNX shape inference gives "
                f"{list(dims)}",
            )

    def sole_consumer(self, tensor: str) -> bool:
        """Whether ``tensor`` has exactly one consumer in the ONNX graph (and is not a graph output)."""
        if tensor in self._internal:
            return True
        return len(self.consumers.get(tensor, [])) == 1 and tensor not in self.graph_outputs

    def fusable_producer(self, tensor: str, accept: Callable[[Layer], bool]) -> Layer | None:
        """The layer that produced ``tensor`` (through views) if every link has a single consumer."""
        b = self.builder
        t = tensor
        while True:
            if not self.sole_consumer(t):
                return None
            info = b.tensors.get(t)
            if info is None:
                return None
            if info.alias_of is None:
                break
            t = info.alias_of
        layer = b.producer_of(t)
        if layer is None or t not in layer.outputs:
            return None
        return layer if accept(layer) else None

    def record_fold(self, node: NodeProto, into: str) -> None:
        self.folded.append({"node": self.node_name(node), "op": node.op_type, "into": into})

    def claim_parameters(self, tensors: Sequence[str]) -> int:
        """Elements of constant operands to count as a layer's ``extra_params``: a scalar is an immediate, and a
        stored constant is counted once (by the first layer that reads it)."""
        total = 0
        for t in tensors:
            c = self.consts.get(t)
            if c is None or math.prod(c.shape) <= 1 or c.source in self._claimed:
                continue
            self._claimed.add(c.source)
            total += math.prod(c.shape)
        return total

    # ---- constant folding -----------------------------------------------------------------------------------
    def _fold(self, node: NodeProto) -> None:
        """Evaluate a node whose inputs are all constant (or a Shape/Size of an activation)."""
        op = node.op_type
        outs = [o for o in node.output if o]
        inputs = [self.consts.get(i) for i in node.input if i]
        values: list[np.ndarray | None]
        if op in ("Shape", "Size"):
            dims = self.shape(node.input[0])
            if op == "Size":
                values = [np.array(math.prod(dims), dtype=np.int64)]
            else:
                start, end = self.attr(node, "start", 0), self.attr(node, "end", None)
                values = [np.array(dims[start:end], dtype=np.int64)]
        elif any(c is not None and c.values is None for c in inputs):
            values = [None] * len(outs)  # missing external data: shape only
        else:
            feeds = {i: self.consts[i].values for i in node.input if i}
            try:
                values = list(self._evaluate(node, feeds))  # type: ignore[arg-type]
            except Exception as exc:
                reason = f"cannot evaluate this constant expression: {_first_line(exc)}"
                raise self.unsupported(node, reason=reason) from None
        first = inputs[0] if inputs else None
        for i, out in enumerate(outs):
            v = values[i] if i < len(values) else None
            if v is not None:
                shape = tuple(int(d) for d in np.shape(v))
                try:
                    elem = onnx.helper.np_dtype_to_tensor_dtype(np.asarray(v).dtype)
                except (KeyError, TypeError, ValueError):  # e.g. strings
                    elem = self.types.get(out, (TensorProto.UNDEFINED, None))[0]
            else:  # values unavailable (missing external data): the shape comes from shape inference
                elem, dims = self.types.get(out, (TensorProto.FLOAT, None))
                if dims is None or not all(isinstance(d, int) for d in dims):
                    raise self.shape_error(node, f"the shape of constant {out!r} is unknown and its inputs are missing")
                shape = tuple(int(d) for d in dims)  # type: ignore[arg-type]
            quant = None
            src = first.source if first is not None else out
            if op == "DequantizeLinear" and first is not None and i == 0:
                zp = self.consts.get(node.input[2]) if len(node.input) > 2 and node.input[2] else None
                q_dtype = self.dtype_of_elem(first.elem_type)
                q_values = _center(first.values, zp.values if zp is not None else None, self.attr(node, "axis", 1))
                quant = QuantizedValues(q_values, q_dtype, first.source)
            elif op in _LAYOUT_OPS and first is not None:
                quant = first.quant
            elif op not in _LAYOUT_OPS:
                src = out
            self.consts[out] = Const(out, shape, elem, v, src, quant)
        self.constant_folded[op] += 1


def _densify(t: onnx.SparseTensorProto) -> np.ndarray | None:
    """A sparse initializer as a dense array (None when it cannot be read)."""
    try:
        values = numpy_helper.to_array(t.values)
        indices = numpy_helper.to_array(t.indices).astype(np.int64)
        dense = np.zeros(tuple(t.dims), dtype=values.dtype)
        if indices.ndim == 1:  # linearized indices
            dense.reshape(-1)[indices] = values
        else:  # [NNZ, rank] coordinates
            dense[tuple(indices.T)] = values
        return dense
    except Exception:
        return None


def _strip_source(exc: ShapeError) -> str:
    text = str(exc)
    if exc.source and text.startswith(f"{exc.source}: "):
        return text[len(exc.source) + 2 :]
    return text


# ---- geometry helpers -------------------------------------------------------------------------------------------
def _spatial(values: Sequence[int] | None, rank: int, default: int) -> tuple[int, int]:
    """A 1-D or 2-D spatial attribute as (h, w); 1-D ops run as H=1."""
    vals = [default] * rank if values is None else [int(v) for v in values]
    return (1, vals[0]) if rank == 1 else (vals[0], vals[1])


def _kernel(imp: OnnxImporter, node: NodeProto, weight: str, shape: tuple[int, ...], rank: int) -> tuple[int, int]:
    """The kernel size of a conv node: the weight's spatial dimensions, which ``kernel_shape`` (optional in ONNX)
    must repeat exactly; a disagreement is a malformed node (onnxruntime refuses it too)."""
    expected = [int(d) for d in shape[2:]]
    given = imp.attr(node, "kernel_shape")
    if given is not None and [int(v) for v in given] != expected:
        raise imp.unsupported(
            node,
            reason=f"attribute kernel_shape disagrees with weight {weight!r} of shape {list(shape)}: expected "
            f"kernel_shape {expected} (the weight's spatial dimensions), got {[int(v) for v in given]}",
        )
    return _spatial(expected, rank, 1)


def _padding(imp: OnnxImporter, node: NodeProto, rank: int) -> str | tuple[int, int, int, int]:
    """The builder padding argument for ``auto_pad``/``pads`` of a conv or pool node."""
    auto = str(imp.attr(node, "auto_pad", "NOTSET") or "NOTSET").upper()
    if auto in ("SAME_UPPER", "SAME_LOWER", "VALID"):
        return {"SAME_UPPER": "same_upper", "SAME_LOWER": "same_lower", "VALID": "valid"}[auto]
    if auto != "NOTSET":
        raise imp.unsupported(node, reason=f"auto_pad={auto!r}")
    pads = [int(p) for p in imp.attr(node, "pads", [0] * (2 * rank))]
    if rank == 1:
        return (0, pads[0], 0, pads[1])
    return (pads[0], pads[1], pads[2], pads[3])


def _spatial_rank(imp: OnnxImporter, node: NodeProto, x: str) -> int:
    rank = len(imp.shape(x)) - 2
    if rank not in (1, 2):
        raise imp.unsupported(node, reason=f"{rank}-D spatial input {list(imp.shape(x))} (only 1-D and 2-D)")
    return rank


def _as_4d(imp: OnnxImporter, node: NodeProto, x: str, y: str, emit: Callable[[str, str], str]) -> None:
    """Run ``emit(x4, out)`` on a 4-D view of a 3-D (N, C, L) tensor and view the result back as 3-D."""
    b = imp.builder
    shape = imp.shape(x)
    if len(shape) == 4:
        emit(x, y)
        return
    n, c, length = shape
    x4 = b.view(x, (n, c, 1, length), out=imp.internal(f"{x}::{imp.node_name(node)}:4d"), op="to_4d")
    tmp = emit(x4, imp.internal(f"{y}::4d"))
    out = b.shape(tmp)
    b.view(tmp, (out[0], out[1], out[3]), out=y, op="from_4d")


# ---- op handlers: compute ---------------------------------------------------------------------------------------
@ONNX_OPS.register("Conv", "ConvInteger", "QLinearConv")
def _conv(imp: OnnxImporter, node: NodeProto) -> None:
    """Convolution (grouped, depthwise, dilated, 1-D as H=1), float or quantized."""
    op, ins = node.op_type, list(node.input)
    if op == "QLinearConv":
        x, w, b_in, w_zp = ins[0], ins[3], (ins[8] if len(ins) > 8 else ""), ins[5]
    elif op == "ConvInteger":
        x, w, b_in, w_zp = ins[0], ins[1], "", (ins[3] if len(ins) > 3 else "")
    else:
        x, w, b_in, w_zp = ins[0], ins[1], (ins[2] if len(ins) > 2 else ""), ""
    x = imp.activation(node, x)
    rank = _spatial_rank(imp, node, x)
    wt = imp.weight(node, w, zero_point=w_zp, axis=0)
    group = int(imp.attr(node, "group", 1))
    c_in = imp.shape(x)[1]
    if len(wt.shape) != rank + 2 or wt.shape[1] * group != c_in:
        raise imp.shape_error(
            node, f"weight {w!r} of shape {list(wt.shape)} does not fit input {list(imp.shape(x))} with group={group}"
        )
    kernel = _kernel(imp, node, w, wt.shape, rank)
    y = node.output[0]
    imp.builder.conv(
        x,
        wt.shape[0],
        kernel,
        stride=_spatial(imp.attr(node, "strides"), rank, 1),
        padding=_padding(imp, node, rank),
        dilation=_spatial(imp.attr(node, "dilations"), rank, 1),
        groups=group,
        bias=bool(b_in),
        name=imp.layer_name(node),
        out=y,
        op_type=op,
        weight_dtype=wt.dtype,
        out_dtype=imp.out_dtype(y),
        **wt.layer_kwargs(),
    )
    if op == "Conv":
        info = imp.info(imp.builder.layers[-1].name)
        info.update(weight=imp.keep(w), weight_layout="OIHW", bias=imp.keep(b_in))
    imp.check_output(node, y)


@ONNX_OPS.register("ConvTranspose")
def _conv_transpose(imp: OnnxImporter, node: NodeProto) -> None:
    """Transposed convolution (``output_padding``, ``output_shape``, ``auto_pad``); 1-D runs on a 4-D view."""
    ins = list(node.input)
    x = imp.activation(node, ins[0])
    rank = _spatial_rank(imp, node, x)
    wt = imp.weight(node, ins[1], axis=0)
    group = int(imp.attr(node, "group", 1))
    in_shape = imp.shape(x)
    if len(wt.shape) != rank + 2 or wt.shape[0] != in_shape[1]:
        raise imp.shape_error(node, f"weight {ins[1]!r} of shape {list(wt.shape)} does not fit input {list(in_shape)}")
    kernel = _kernel(imp, node, ins[1], wt.shape, rank)
    stride = _spatial(imp.attr(node, "strides"), rank, 1)
    dilation = _spatial(imp.attr(node, "dilations"), rank, 1)
    out_pad = _spatial(imp.attr(node, "output_padding"), rank, 0)
    in_hw = (1, in_shape[2]) if rank == 1 else (in_shape[2], in_shape[3])
    auto = str(imp.attr(node, "auto_pad", "NOTSET") or "NOTSET").upper()
    output_shape = imp.attr(node, "output_shape")
    y = node.output[0]
    if output_shape is not None or auto in ("SAME_UPPER", "SAME_LOWER"):
        if output_shape is not None:
            target = _spatial(output_shape[-rank:], rank, 1)
        else:
            target = (in_hw[0] * stride[0], in_hw[1] * stride[1])
        pads, sizes = [], []
        for i in range(2):
            full = stride[i] * (in_hw[i] - 1) + out_pad[i] + (kernel[i] - 1) * dilation[i] + 1
            total = full - target[i]
            if total < 0 and output_shape is None:
                total = 0  # SAME never pads negatively: the output is then the unpadded size (as onnxruntime)
            small = max(total, 0) // 2
            pads.append((small, max(total, 0) - small) if auto != "SAME_LOWER" else (max(total, 0) - small, small))
            sizes.append(full - total)
        padding: tuple[int, int, int, int] = (pads[0][0], pads[1][0], pads[0][1], pads[1][1])
        out_hw: tuple[int, int] | None = (sizes[0], sizes[1])
    elif auto == "VALID":
        padding, out_hw = (0, 0, 0, 0), None
    else:
        pad_arg = _padding(imp, node, rank)
        assert not isinstance(pad_arg, str)
        padding, out_hw = pad_arg, None

    def emit(x4: str, out: str) -> str:
        return imp.builder.conv_transpose(
            x4,
            wt.shape[1] * group,
            kernel,
            stride=stride,
            padding=padding,
            output_padding=out_pad,
            dilation=dilation,
            groups=group,
            bias=len(ins) > 2 and bool(ins[2]),
            name=imp.layer_name(node),
            out=out,
            out_shape_hw=out_hw,
            op_type="ConvTranspose",
            weight_dtype=wt.dtype,
            out_dtype=imp.out_dtype(y),
            **wt.layer_kwargs(),
        )

    _as_4d(imp, node, x, y, emit)
    imp.check_output(node, y)


@ONNX_OPS.register("Gemm")
def _gemm(imp: OnnxImporter, node: NodeProto) -> None:
    """``Y = alpha * A' B' + beta * C``: a fully connected layer (constant B), ``transA``/``transB`` honoured."""
    ins = list(node.input)
    a = imp.activation(node, ins[0])
    y = node.output[0]
    trans_a, trans_b = int(imp.attr(node, "transA", 0)), int(imp.attr(node, "transB", 0))
    c_in = ins[2] if len(ins) > 2 else ""
    if not imp.is_const(ins[1]):
        if trans_a or trans_b or c_in:
            raise imp.unsupported(node, reason="activation B with transA/transB or a C input")
        imp.builder.matmul(a, imp.activation(node, ins[1]), name=imp.layer_name(node), out=y, op_type="Gemm")
        imp.check_output(node, y)
        return
    if c_in and not imp.is_const(c_in):
        raise imp.unsupported(node, reason=f"its C input {c_in!r} is not a constant")
    wt = imp.weight(node, ins[1])
    if len(wt.shape) != 2:
        raise imp.shape_error(node, f"B {ins[1]!r} has shape {list(wt.shape)}, expected 2-D")
    k_in, k_out = (wt.shape[1], wt.shape[0]) if trans_b else wt.shape
    lname = imp.layer_name(node)
    if trans_a:
        sa = imp.shape(a)
        a = imp.builder.data_movement(
            [a], "transpose", (sa[1], sa[0]), name=imp.layer_name(node, ".transA"), out=imp.internal(f"{a}::T")
        )
        imp.info(imp.builder.layers[-1].name)["perm"] = (1, 0)
    if imp.shape(a)[-1] != k_in or len(imp.shape(a)) != 2:
        raise imp.shape_error(node, f"A {list(imp.shape(a))} does not multiply B {list(wt.shape)}")
    imp.builder.fc(
        a,
        k_out,
        bias=bool(c_in),
        name=lname,
        out=y,
        op_type="Gemm",
        weight_dtype=wt.dtype,
        out_dtype=imp.out_dtype(y),
        **wt.layer_kwargs(),
    )
    imp.info(lname).update(
        weight=imp.keep(ins[1]),
        weight_layout="KC" if trans_b else "CK",
        bias=imp.keep(c_in),
        alpha=float(imp.attr(node, "alpha", 1.0)),
        beta=float(imp.attr(node, "beta", 1.0)),
    )
    imp.check_output(node, y)


@ONNX_OPS.register("MatMul", "MatMulInteger", "QLinearMatMul")
def _matmul(imp: OnnxImporter, node: NodeProto) -> None:
    """MatMul: constant B -> fc (2-D A) or linear (N-D A); two activations -> batched, broadcast matmul."""
    op, ins = node.op_type, list(node.input)
    if op == "QLinearMatMul":
        a_in, b_in, b_zp = ins[0], ins[3], ins[5]
    else:
        a_in, b_in, b_zp = ins[0], ins[1], (ins[3] if len(ins) > 3 else "")
    y = node.output[0]
    if imp.is_const(a_in):
        raise imp.unsupported(node, reason="a constant left operand (W @ X) is not supported")
    a = imp.activation(node, a_in)
    sa = imp.shape(a)
    if len(sa) < 2:
        raise imp.unsupported(node, reason=f"a 1-D left operand {list(sa)}")
    if imp.is_const(b_in):
        wt = imp.weight(node, b_in, zero_point=b_zp, axis=-1)
        if len(wt.shape) != 2:
            raise imp.unsupported(node, reason=f"a constant right operand of rank {len(wt.shape)}")
        if sa[-1] != wt.shape[0]:
            raise imp.shape_error(node, f"A {list(sa)} does not multiply B {list(wt.shape)}")
        imp.builder.linear(
            a,
            wt.shape[1],
            bias=False,
            name=imp.layer_name(node),
            out=y,
            op_type=op,
            weight_dtype=wt.dtype,
            out_dtype=imp.out_dtype(y),
            **wt.layer_kwargs(),
        )
        if op == "MatMul":
            imp.info(imp.builder.layers[-1].name).update(weight=imp.keep(b_in), weight_layout="CK")
    else:
        b = imp.activation(node, b_in)
        if len(imp.shape(b)) < 2:
            raise imp.unsupported(node, reason=f"a 1-D right operand {list(imp.shape(b))}")
        imp.builder.matmul(a, b, name=imp.layer_name(node), out=y, op_type=op, out_dtype=imp.out_dtype(y))
    imp.check_output(node, y)


# ---- op handlers: pooling -----------------------------------------------------------------------------------------
@ONNX_OPS.register("MaxPool", "AveragePool")
def _pool(imp: OnnxImporter, node: NodeProto) -> None:
    """Max/average pooling with strides, pads, ``auto_pad`` and ``ceil_mode``; 1-D runs on a 4-D view."""
    x = imp.activation(node, node.input[0])
    rank = _spatial_rank(imp, node, x)
    if len(node.output) > 1 and node.output[1] and imp._is_used(node.output[1]):
        raise imp.unsupported(node, reason="the Indices output of MaxPool")
    if any(int(d) != 1 for d in imp.attr(node, "dilations", [1] * rank)):
        raise imp.unsupported(node, reason="dilated pooling")
    kernel = _spatial(imp.attr(node, "kernel_shape"), rank, 1)
    stride = _spatial(imp.attr(node, "strides"), rank, 1)
    padding = _padding(imp, node, rank)
    kind = "max" if node.op_type == "MaxPool" else "avg"
    y = node.output[0]

    def emit(x4: str, out: str) -> str:
        imp.builder.pool(
            x4,
            kind,
            kernel,
            stride=stride,
            padding=padding,
            ceil_mode=bool(imp.attr(node, "ceil_mode", 0)),
            name=imp.layer_name(node),
            out=out,
            op_type=node.op_type,
        )
        imp.info(imp.builder.layers[-1].name)["count_include_pad"] = bool(imp.attr(node, "count_include_pad", 0))
        return imp.builder.layers[-1].outputs[0]

    _as_4d(imp, node, x, y, emit)
    imp.check_output(node, y)


def _global_pool(imp: OnnxImporter, node: NodeProto, kind: str, *, keepdims: bool = True) -> None:
    x = imp.activation(node, node.input[0])
    _spatial_rank(imp, node, x)
    y = node.output[0]
    shape = imp.shape(x)

    def emit(x4: str, out: str) -> str:
        return imp.builder.global_pool(x4, kind, name=imp.layer_name(node), out=out, op_type=node.op_type)

    if keepdims:
        _as_4d(imp, node, x, y, emit)
    else:
        tmp = imp.internal(f"{y}::keepdims")
        _as_4d(imp, node, x, tmp, emit)
        imp.builder.view(tmp, shape[:2], out=y, op="squeeze")
    imp.check_output(node, y)


@ONNX_OPS.register("GlobalAveragePool", "GlobalMaxPool")
def _global(imp: OnnxImporter, node: NodeProto) -> None:
    """Global pooling over all spatial positions."""
    _global_pool(imp, node, "max" if node.op_type == "GlobalMaxPool" else "avg")


@ONNX_OPS.register("ReduceMean", "ReduceMax")
def _reduce(imp: OnnxImporter, node: NodeProto) -> None:
    """A mean/max over the spatial axes is a global pool; other reductions are not supported."""
    x = imp.activation(node, node.input[0])
    rank = len(imp.shape(x))
    axes = imp.ints(node, "axes", 1)
    if not axes:
        if int(imp.attr(node, "noop_with_empty_axes", 0)):
            imp.builder.view(x, imp.shape(x), out=node.output[0], op=node.op_type)
            return
        axes = list(range(rank))
    if rank < 3 or sorted(a % rank for a in axes) != list(range(2, rank)):
        raise imp.unsupported(node, reason=f"reduction over axes {axes} of a rank-{rank} tensor (only spatial axes)")
    kind = "avg" if node.op_type == "ReduceMean" else "max"
    _global_pool(imp, node, kind, keepdims=bool(imp.attr(node, "keepdims", 1)))


# ---- op handlers: elementwise, activations, normalization ------------------------------------------------------
@ONNX_OPS.register("Add", "Sub", "Mul", "Div", "Max", "Min", "Pow")
def _binary(imp: OnnxImporter, node: NodeProto) -> None:
    """Elementwise arithmetic; a constant bias Add after a bias-less MatMul/Gemm folds into it."""
    ins = [i for i in node.input if i]
    acts = [imp.activation(node, i) for i in ins if not imp.is_const(i)]
    consts = [i for i in ins if imp.is_const(i)]
    y = node.output[0]
    if node.op_type == "Add" and len(acts) == 1 and len(consts) == 1:
        c = imp.consts[consts[0]]
        layer = imp.fusable_producer(
            acts[0],
            lambda lyr: (
                lyr.op in (OpKind.FC, OpKind.MATMUL)
                and lyr.weight_source is WeightSource.CONSTANT
                and not lyr.bias
                and math.prod(c.shape) == lyr.K
                and bool(c.shape)
                and c.shape[-1] == lyr.K
            ),
        )
        if layer is not None and imp.builder.shape(acts[0]) == imp.out_shape(node):
            imp.builder.fold_bias(acts[0], out=y, op_type="Add")
            imp.record_fold(node, layer.name)
            imp.post(layer.name, ("add", imp.keep(consts[0])))
            imp._claimed.add(c.source)  # counted as the layer's bias
            return
    extra: dict[str, Any] = {}
    if consts:
        # the layer reads the activations; a constant operand (a per-channel scale, a bias) is a parameter of it
        attrs: dict[str, Any] = {"constant_operands": {i: math.prod(imp.consts[i].shape) for i in consts}}
        if params := imp.claim_parameters(consts):
            attrs["extra_params"] = params
        extra["attrs"] = attrs
        extra["out_shape"] = imp.out_shape(node)
    imp.builder.eltwise(
        acts,
        node.op_type.lower(),
        name=imp.layer_name(node),
        out=y,
        op_type=node.op_type,
        out_dtype=imp.out_dtype(y),
        **extra,
    )
    imp.info(imp.builder.layers[-1].name)["operands"] = [
        ("const", imp.keep(i)) if imp.is_const(i) else ("act", i) for i in ins
    ]
    imp.check_output(node, y)


def _clip_bounds(imp: OnnxImporter, node: NodeProto) -> tuple[float | None, float | None]:
    lo = imp.attr(node, "min")
    hi = imp.attr(node, "max")
    ins = list(node.input)
    if lo is None and len(ins) > 1 and ins[1] and imp.is_const(ins[1]) and imp.consts[ins[1]].values is not None:
        lo = float(np.asarray(imp.consts[ins[1]].values).reshape(-1)[0])
    if hi is None and len(ins) > 2 and ins[2] and imp.is_const(ins[2]) and imp.consts[ins[2]].values is not None:
        hi = float(np.asarray(imp.consts[ins[2]].values).reshape(-1)[0])
    return (None if lo is None else float(lo)), (None if hi is None else float(hi))


#: Attributes (and ONNX defaults) of the activations that take parameters, for the executor.
_ACTIVATION_ATTRS: dict[str, dict[str, Any]] = {
    "LeakyRelu": {"alpha": 0.01},
    "Elu": {"alpha": 1.0},
    "HardSigmoid": {"alpha": 0.2, "beta": 0.5},
    "Gelu": {"approximate": "none"},
}


def _activation_params(imp: OnnxImporter, node: NodeProto) -> dict[str, Any]:
    if node.op_type == "Clip":
        lo, hi = _clip_bounds(imp, node)
        return {"min": lo, "max": hi}
    return {k: imp.attr(node, k, v) for k, v in _ACTIVATION_ATTRS.get(node.op_type, {}).items()}


def _clip_fn(imp: OnnxImporter, node: NodeProto) -> str:
    lo, hi = _clip_bounds(imp, node)
    if lo == 0.0 and hi == 6.0:
        return "relu6"
    if lo == 0.0 and hi is None:
        return "relu"
    return "clip"


@ONNX_OPS.register(*_ACTIVATIONS)
def _activation(imp: OnnxImporter, node: NodeProto) -> None:
    """An activation function: fused into its producer when that output has one consumer, else a layer."""
    x = imp.activation(node, node.input[0])
    y = node.output[0]
    fn = _clip_fn(imp, node) if node.op_type == "Clip" else _ACTIVATIONS[node.op_type]
    layer = imp.fusable_producer(x, lambda lyr: lyr.op in _FUSABLE_INTO)
    if layer is not None:
        imp.builder.fuse_activation(x, fn, out=y, op_type=node.op_type)
        imp.record_fold(node, layer.name)
        imp.post(layer.name, ("act", fn, _activation_params(imp, node)))
        return
    imp.builder.activation(x, fn, name=imp.layer_name(node), out=y, op_type=node.op_type, out_dtype=imp.out_dtype(y))
    imp.info(imp.builder.layers[-1].name)["act_params"] = _activation_params(imp, node)
    imp.check_output(node, y)


@ONNX_OPS.register(*_UNARY)
def _unary(imp: OnnxImporter, node: NodeProto) -> None:
    """A unary elementwise function that is always its own layer."""
    x = imp.activation(node, node.input[0])
    y = node.output[0]
    imp.builder.eltwise(
        [x], _UNARY[node.op_type], name=imp.layer_name(node), out=y, op_type=node.op_type, out_dtype=imp.out_dtype(y)
    )
    imp.check_output(node, y)


@ONNX_OPS.register("Softmax", "LogSoftmax")
def _softmax(imp: OnnxImporter, node: NodeProto) -> None:
    """Softmax is always its own elementwise layer (it reduces along an axis)."""
    x = imp.activation(node, node.input[0])
    y = node.output[0]
    imp.builder.softmax(x, name=imp.layer_name(node), out=y, op_type=node.op_type, out_dtype=imp.out_dtype(y))
    default_axis = -1 if imp.opset >= 13 else 1
    imp.info(imp.builder.layers[-1].name).update(
        axis=int(imp.attr(node, "axis", default_axis)), coerce_2d=imp.opset < 13, log=node.op_type == "LogSoftmax"
    )
    imp.check_output(node, y)


@ONNX_OPS.register("BatchNormalization")
def _batchnorm(imp: OnnxImporter, node: NodeProto) -> None:
    """Fold into the producing Conv/Gemm/MatMul (single consumer), else an eltwise layer with 2C extra params."""
    if any(o and imp._is_used(o) for o in node.output[1:]):
        raise imp.unsupported(node, reason="training-mode outputs (running mean/variance) are used")
    x = imp.activation(node, node.input[0])
    y = node.output[0]
    channels = imp.shape(x)[1] if len(imp.shape(x)) > 1 else imp.shape(x)[0]
    layer = imp.fusable_producer(
        x,
        lambda lyr: (
            lyr.op in (OpKind.CONV, OpKind.DEPTHWISE, OpKind.FC) and lyr.has_weights and channels == lyr.G * lyr.K
        ),
    )
    bn = {
        "scale": imp.keep(node.input[1]),
        "bias": imp.keep(node.input[2]),
        "mean": imp.keep(node.input[3]),
        "var": imp.keep(node.input[4]),
        "epsilon": float(imp.attr(node, "epsilon", 1e-5)),
    }
    if layer is not None:
        imp.builder.fold_batchnorm(x, out=y, op_type="BatchNormalization")
        imp.record_fold(node, layer.name)
        imp.post(layer.name, ("bn", bn))
        return
    # not folded: the deployed scale and shift (one each per channel) are stored with this layer
    imp.builder.eltwise(
        [x],
        "batchnorm",
        name=imp.layer_name(node),
        out=y,
        op_type="BatchNormalization",
        out_dtype=imp.out_dtype(y),
        attrs={"extra_params": 2 * channels},
    )
    imp.info(imp.builder.layers[-1].name)["bn"] = bn
    imp.check_output(node, y)


# ---- op handlers: views and data movement -------------------------------------------------------------------------
@ONNX_OPS.register("Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout")
def _view(imp: OnnxImporter, node: NodeProto) -> None:
    """A free view: same buffer, new shape (the shape comes from shape inference)."""
    if node.op_type == "Dropout" and len(node.output) > 1 and node.output[1] and imp._is_used(node.output[1]):
        raise imp.unsupported(node, reason="the mask output of Dropout")
    x = imp.activation(node, node.input[0])
    imp.builder.view(x, imp.out_shape(node), out=node.output[0], op=node.op_type)


@ONNX_OPS.register("Transpose", "Pad", "Resize", "Slice", "Gather", "Expand", "Tile", "DepthToSpace", "SpaceToDepth")
def _data_movement(imp: OnnxImporter, node: NodeProto) -> None:
    """Rearranging data without arithmetic: a data-movement layer over the activation inputs."""
    ins = [i for i in node.input if i]
    if node.op_type == "Gather" and imp.is_const(ins[0]):
        _embedding(imp, node)
        return
    if node.op_type == "Pad" and len(ins) > 1 and not imp.is_const(ins[1]):
        raise imp.unsupported(node, reason="pads computed at run time")
    data = [ins[0]] if node.op_type != "Gather" else [i for i in ins if not imp.is_const(i)]
    acts = [imp.activation(node, i) for i in data]
    y = node.output[0]
    attrs = {a.name: _plain(onnx.helper.get_attribute_value(a)) for a in node.attribute}
    imp.builder.data_movement(
        acts,
        node.op_type.lower(),
        imp.out_shape(node),
        name=imp.layer_name(node),
        out=y,
        op_type=node.op_type,
        attrs=attrs,
    )
    if node.op_type == "Pad":
        rank = len(imp.shape(acts[0]))
        pads = imp.ints(node, "pads", 1) or [0] * (2 * rank)
        value = 0.0
        if len(ins) > 2 and imp.is_const(ins[2]) and imp.consts[ins[2]].values is not None:
            value = float(np.asarray(imp.consts[ins[2]].values).reshape(-1)[0])
        imp.info(imp.builder.layers[-1].name).update(
            pads=tuple((int(pads[i]), int(pads[i + rank])) for i in range(rank)),
            mode=str(imp.attr(node, "mode", "constant")),
            value=float(imp.attr(node, "value", value) or value),
        )


def _embedding(imp: OnnxImporter, node: NodeProto) -> None:
    """``Gather(table, ids)`` from a constant 2-D table along axis 0: an embedding lookup (table in params)."""
    table, ids = node.input[0], node.input[1]
    wt = imp.weight(node, table)
    if len(wt.shape) != 2 or int(imp.attr(node, "axis", 0)) % 2 != 0:
        raise imp.unsupported(node, reason=f"a gather from constant {table!r} {list(wt.shape)} other than a row lookup")
    kw = wt.layer_kwargs()
    kw.pop("weight_tensor")
    y = node.output[0]
    imp.builder.embedding(
        imp.activation(node, ids),
        wt.shape[0],
        wt.shape[1],
        table=wt.tensor,
        name=imp.layer_name(node),
        out=y,
        op_type="Gather",
        **kw,
    )
    imp.check_output(node, y)


@ONNX_OPS.register("LayerNormalization")
def _layernorm(imp: OnnxImporter, node: NodeProto) -> None:
    """Layer normalization (opset 17): an elementwise layer; its scale and bias are extra parameters."""
    if any(o and imp._is_used(o) for o in node.output[1:]):
        raise imp.unsupported(node, reason="the Mean / InvStdDev outputs are used")
    x = imp.activation(node, node.input[0])
    y = node.output[0]
    attrs: dict[str, Any] = {"axis": int(imp.attr(node, "axis", -1))}
    if params := imp.claim_parameters([i for i in node.input[1:] if i]):
        attrs["extra_params"] = params
    imp.builder.layernorm(
        x,
        affine=False,
        name=imp.layer_name(node),
        out=y,
        op_type="LayerNormalization",
        attrs=attrs,
        out_dtype=imp.out_dtype(y),
    )
    imp.check_output(node, y)


@ONNX_OPS.register("Concat")
def _concat(imp: OnnxImporter, node: NodeProto) -> None:
    """Concatenation; constant pieces are not moved at run time (only the activation inputs are listed)."""
    ins = [i for i in node.input if i]
    acts = [imp.activation(node, i) for i in ins if not imp.is_const(i)]
    y = node.output[0]
    axis = int(imp.attr(node, "axis", 0))
    if len(acts) == len(ins):
        imp.builder.concat(acts, axis, name=imp.layer_name(node), out=y, op_type="Concat")
        imp.check_output(node, y)
    else:
        imp.builder.data_movement(
            acts, "concat", imp.out_shape(node), name=imp.layer_name(node), out=y, op_type="Concat"
        )
    imp.info(imp.builder.layers[-1].name).update(
        axis=axis, operands=[("const", imp.keep(i)) if imp.is_const(i) else ("act", i) for i in ins]
    )


@ONNX_OPS.register("Split")
def _split(imp: OnnxImporter, node: NodeProto) -> None:
    """One data-movement layer per output (``"<node>:<i>"``); sizes from the attribute or input (opset 13+)."""
    x = imp.activation(node, node.input[0])
    outs = [(i, o) for i, o in enumerate(node.output) if o]
    axis = int(imp.attr(node, "axis", 0))
    for i, out in outs:
        name = imp.layer_name(node) if len(node.output) == 1 else imp.layer_name(node, f":{i}")
        imp.builder.data_movement(
            [x], "split", imp.out_shape(node, i), name=name, out=out, op_type="Split", attrs={"axis": axis, "index": i}
        )


# ---- op handlers: quantization ------------------------------------------------------------------------------------
def _qparams(imp: OnnxImporter, node: NodeProto) -> dict[str, Any]:
    """A small summary of scale/zero point (per-tensor values, or the per-axis count)."""
    info: dict[str, Any] = {"op": node.op_type}
    for key, idx in (("scale", 1), ("zero_point", 2)):
        if len(node.input) > idx and node.input[idx] and imp.is_const(node.input[idx]):
            v = imp.consts[node.input[idx]].values
            if v is None:
                continue
            flat = np.asarray(v).reshape(-1)
            info[key] = float(flat[0]) if flat.size == 1 else f"per-axis ({flat.size})"
    if imp.attr(node, "axis") is not None:
        info["axis"] = int(imp.attr(node, "axis"))
    return info


@ONNX_OPS.register("QuantizeLinear")
def _quantize(imp: OnnxImporter, node: NodeProto) -> None:
    """A view of a float activation at the quantized type (no layer)."""
    x = imp.activation(node, node.input[0])
    y = node.output[0]
    dtype = imp.dtype_of_elem(imp.types.get(y, (TensorProto.UINT8, None))[0] or TensorProto.UINT8)
    imp.builder.view(x, imp.shape(x), out=y, op="QuantizeLinear", dtype=dtype, quantization=_qparams(imp, node))
    ins = list(node.input)
    scale = imp.consts.get(ins[1]) if len(ins) > 1 else None
    zp = imp.consts.get(ins[2]) if len(ins) > 2 and ins[2] else None
    if scale is not None and scale.values is not None:
        zp_values = zp.values if zp is not None and zp.values is not None else np.zeros(1, dtype=np.int64)
        imp.kept_quant[y] = QuantParams(np.asarray(scale.values), np.asarray(zp_values), int(imp.attr(node, "axis", 1)))


@ONNX_OPS.register("DequantizeLinear")
def _dequantize(imp: OnnxImporter, node: NodeProto) -> None:
    """A view of a quantized activation that keeps its integer type: its consumers compute at that precision."""
    x = imp.activation(node, node.input[0])
    imp.builder.view(x, imp.shape(x), out=node.output[0], op="DequantizeLinear")


def _plain(value: Any) -> Any:
    """Attribute values as plain JSON-friendly Python values."""
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, int | float | str):
        return value
    return str(type(value).__name__)
