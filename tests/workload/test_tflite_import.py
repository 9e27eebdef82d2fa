"""Unit tests of the TFLite importer: op handlers on tiny flatbuffers built here, and bad input.

The tiny models are written with the ``flatbuffers`` Builder and the ``tflite`` package's generated builder
functions (:class:`TinyModel`), so every handler is exercised without TensorFlow.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import flatbuffers
import numpy as np
import pytest
import tflite
from tflite.utils import BUILTIN_OPCODE2NAME

from accelkit.errors import AccelkitError, NetworkFileError, ShapeError, UnsupportedOperator
from accelkit.workload.ir import DataType, LoopDim, Network, Operand, OpKind
from accelkit.workload.tflite_import import TFLITE_OPS, TFLiteOpContext, load_tflite

OPCODES = {name: code for code, name in BUILTIN_OPCODE2NAME.items()}
TYPES = {k: v for k, v in vars(tflite.TensorType).items() if not k.startswith("_")}
NUMPY = {
    "FLOAT32": "<f4",
    "FLOAT16": "<f2",
    "INT32": "<i4",
    "INT64": "<i8",
    "INT8": "i1",
    "UINT8": "u1",
    "INT16": "<i2",
}
OPTIONS = {k: v for k, v in vars(tflite.BuiltinOptions).items() if not k.startswith("_")}
INT8, INT32, FP32 = DataType("int", 8), DataType("int", 32), DataType("fp", 32)


class TinyModel:
    """A minimal TFLite model (one subgraph) assembled tensor by tensor and op by op."""

    def __init__(self, description: str = "tiny test model", *, extra_subgraphs: int = 0) -> None:
        self.description = description
        self.extra_subgraphs = extra_subgraphs  # empty subgraphs after "main" (as control-flow bodies would be)
        self.tensors: list[dict[str, Any]] = []
        self.ops: list[dict[str, Any]] = []
        self.inputs: list[int] = []
        self.outputs: list[int] = []

    def tensor(
        self,
        name: str,
        shape: Sequence[int],
        dtype: str = "FLOAT32",
        data: Any = None,
        quant: Mapping[str, Any] | None = None,
    ) -> int:
        raw = None
        if data is not None:
            raw = np.asarray(data, dtype=NUMPY[dtype]).tobytes()
        self.tensors.append({"name": name, "shape": list(shape), "type": TYPES[dtype], "data": raw, "quant": quant})
        return len(self.tensors) - 1

    def input(self, name: str, shape: Sequence[int], dtype: str = "FLOAT32", **kw: Any) -> int:
        t = self.tensor(name, shape, dtype, **kw)
        self.inputs.append(t)
        return t

    def weight(self, name: str, shape: Sequence[int], dtype: str = "FLOAT32", seed: int = 0, **kw: Any) -> int:
        rng = np.random.default_rng(seed)
        if dtype in ("INT8", "UINT8", "INT32", "INT16", "INT64"):
            values = rng.integers(-100 if dtype != "UINT8" else 0, 100, size=shape)
        else:
            values = rng.standard_normal(shape)
        return self.tensor(name, shape, dtype, data=values, **kw)

    def op(
        self,
        name: str,
        inputs: Sequence[int],
        outputs: Sequence[int],
        options: tuple[str, Mapping[str, Any]] | None = None,
        *,
        custom: str | None = None,
        version: int = 1,
    ) -> None:
        self.ops.append(
            {
                "name": name,
                "inputs": list(inputs),
                "outputs": list(outputs),
                "options": options,
                "custom": custom,
                "version": version,
            }
        )

    # ---- serialisation -------------------------------------------------------------------------------------
    def build(self, *, identifier: bytes = b"TFL3") -> bytes:
        b = flatbuffers.Builder(1024)
        codes: list[tuple[str, str | None, int]] = []
        for op in self.ops:
            key = (op["name"], op["custom"], op["version"])
            if key not in codes:
                codes.append(key)

        buffers = [self._buffer(b, None)]
        tensor_offsets = []
        for t in self.tensors:
            buf_index = 0
            if t["data"] is not None:
                buffers.append(self._buffer(b, t["data"]))
                buf_index = len(buffers) - 1
            tensor_offsets.append(self._tensor(b, t, buf_index))

        op_offsets = []
        for op in self.ops:
            op_offsets.append(self._operator(b, op, codes.index((op["name"], op["custom"], op["version"]))))

        code_offsets = []
        for name, custom, version in codes:
            custom_off = b.CreateString(custom) if custom else None
            tflite.OperatorCodeStart(b)
            code = OPCODES[name]
            tflite.OperatorCodeAddDeprecatedBuiltinCode(b, min(code, 127))
            tflite.OperatorCodeAddBuiltinCode(b, code)
            tflite.OperatorCodeAddVersion(b, version)
            if custom_off is not None:
                tflite.OperatorCodeAddCustomCode(b, custom_off)
            code_offsets.append(tflite.OperatorCodeEnd(b))

        tensors_vec = self._offsets(b, tflite.SubGraphStartTensorsVector, tensor_offsets)
        ops_vec = self._offsets(b, tflite.SubGraphStartOperatorsVector, op_offsets)
        ins = b.CreateNumpyVector(np.asarray(self.inputs, dtype=np.int32))
        outs = b.CreateNumpyVector(np.asarray(self.outputs, dtype=np.int32))
        sg_name = b.CreateString("main")
        tflite.SubGraphStart(b)
        tflite.SubGraphAddTensors(b, tensors_vec)
        tflite.SubGraphAddInputs(b, ins)
        tflite.SubGraphAddOutputs(b, outs)
        tflite.SubGraphAddOperators(b, ops_vec)
        tflite.SubGraphAddName(b, sg_name)
        subgraph = tflite.SubGraphEnd(b)

        extra = []
        for _ in range(self.extra_subgraphs):
            tflite.SubGraphStart(b)
            extra.append(tflite.SubGraphEnd(b))
        subgraphs_vec = self._offsets(b, tflite.ModelStartSubgraphsVector, [subgraph, *extra])
        codes_vec = self._offsets(b, tflite.ModelStartOperatorCodesVector, code_offsets)
        buffers_vec = self._offsets(b, tflite.ModelStartBuffersVector, buffers)
        desc = b.CreateString(self.description)
        tflite.ModelStart(b)
        tflite.ModelAddVersion(b, 3)
        tflite.ModelAddOperatorCodes(b, codes_vec)
        tflite.ModelAddSubgraphs(b, subgraphs_vec)
        tflite.ModelAddDescription(b, desc)
        tflite.ModelAddBuffers(b, buffers_vec)
        b.Finish(tflite.ModelEnd(b), file_identifier=identifier)
        return bytes(b.Output())

    def write(self, path: Path) -> Path:
        path.write_bytes(self.build())
        return path

    @staticmethod
    def _offsets(b: flatbuffers.Builder, start: Any, offsets: Sequence[int]) -> int:
        start(b, len(offsets))
        for off in reversed(offsets):
            b.PrependUOffsetTRelative(off)
        return b.EndVector()

    @staticmethod
    def _buffer(b: flatbuffers.Builder, data: bytes | None) -> int:
        vec = b.CreateNumpyVector(np.frombuffer(data, dtype=np.uint8)) if data else None
        tflite.BufferStart(b)
        if vec is not None:
            tflite.BufferAddData(b, vec)
        return tflite.BufferEnd(b)

    @staticmethod
    def _tensor(b: flatbuffers.Builder, t: Mapping[str, Any], buffer: int) -> int:
        name = b.CreateString(t["name"])
        shape = b.CreateNumpyVector(np.asarray(t["shape"], dtype=np.int32))
        quant = None
        if t["quant"]:
            q = t["quant"]
            scale = b.CreateNumpyVector(np.asarray(q["scale"], dtype=np.float32))
            zp = b.CreateNumpyVector(np.asarray(q.get("zero_point", [0] * len(q["scale"])), dtype=np.int64))
            tflite.QuantizationParametersStart(b)
            tflite.QuantizationParametersAddScale(b, scale)
            tflite.QuantizationParametersAddZeroPoint(b, zp)
            tflite.QuantizationParametersAddQuantizedDimension(b, q.get("axis", 0))
            quant = tflite.QuantizationParametersEnd(b)
        tflite.TensorStart(b)
        tflite.TensorAddShape(b, shape)
        tflite.TensorAddType(b, t["type"])
        tflite.TensorAddBuffer(b, buffer)
        tflite.TensorAddName(b, name)
        if quant is not None:
            tflite.TensorAddQuantization(b, quant)
        return tflite.TensorEnd(b)

    @staticmethod
    def _operator(b: flatbuffers.Builder, op: Mapping[str, Any], opcode_index: int) -> int:
        options = None
        if op["options"]:
            kind, fields = op["options"]
            getattr(tflite, f"{kind}Start")(b)
            for field, value in fields.items():
                getattr(tflite, f"{kind}Add{field}")(b, value)
            options = getattr(tflite, f"{kind}End")(b)
        ins = b.CreateNumpyVector(np.asarray(op["inputs"], dtype=np.int32))
        outs = b.CreateNumpyVector(np.asarray(op["outputs"], dtype=np.int32))
        tflite.OperatorStart(b)
        tflite.OperatorAddOpcodeIndex(b, opcode_index)
        tflite.OperatorAddInputs(b, ins)
        tflite.OperatorAddOutputs(b, outs)
        if options is not None:
            tflite.OperatorAddBuiltinOptionsType(b, OPTIONS[op["options"][0]])
            tflite.OperatorAddBuiltinOptions(b, options)
        return tflite.OperatorEnd(b)


def conv_opts(padding: str = "SAME", stride: int = 1, act: int = 0, dilation: int = 1) -> tuple[str, dict]:
    return (
        "Conv2DOptions",
        {
            "Padding": 0 if padding == "SAME" else 1,
            "StrideH": stride,
            "StrideW": stride,
            "FusedActivationFunction": act,
            "DilationHFactor": dilation,
            "DilationWFactor": dilation,
        },
    )


def load(model: TinyModel, tmp_path: Path, name: str = "tiny.tflite") -> Network:
    return load_tflite(model.write(tmp_path / name))


def only(net: Network, op: OpKind) -> list:
    return [layer for layer in net.layers if layer.op is op]


# ==== compute layers ==============================================================================================
def test_conv_int8_nhwc_to_nchw_weights_and_fused_activation(tmp_path: Path) -> None:
    m = TinyModel()
    q = {"scale": [0.1], "zero_point": [-3]}
    x = m.input("input", (1, 9, 8, 3), "INT8", quant=q)
    w = np.arange(16 * 3 * 3 * 3).reshape(16, 3, 3, 3) % 7 - 3  # some exact zeros
    wt = m.tensor("model/conv2d_7/Conv2D", (16, 3, 3, 3), "INT8", data=w, quant={"scale": [0.02] * 16, "axis": 0})
    bt = m.weight("model/conv2d_7/BiasAdd", (16,), "INT32")
    y = m.tensor("model/re_lu/Relu6;model/conv2d_7/BiasAdd", (1, 5, 4, 16), "INT8", quant=q)
    m.op("CONV_2D", [x, wt, bt], [y], conv_opts("SAME", stride=2, act=3), version=3)
    m.outputs = [y]
    net = load(m, tmp_path)

    (conv,) = net.layers
    assert conv.name == "conv2d_7"
    assert conv.op is OpKind.CONV and conv.op_type == "CONV_2D"
    assert dict(conv.dims) == {
        LoopDim.N: 1, LoopDim.G: 1, LoopDim.K: 16, LoopDim.C: 3, LoopDim.P: 5, LoopDim.Q: 4, LoopDim.R: 3,
        LoopDim.S: 3,
    }  # fmt: skip
    assert conv.stride == (2, 2) and conv.padding == (1, 0, 1, 1)  # TF SAME: H 9 -> 5, W 8 -> 4
    assert conv.fused == ("relu6",) and conv.ops == 16 * 5 * 4
    assert conv.precision[Operand.INPUT] == INT8 and conv.precision[Operand.WEIGHT] == INT8
    assert conv.precision[Operand.OUTPUT] == INT8 and conv.bias and conv.bias_dtype == INT32
    assert net.tensors["input"].shape == (1, 3, 9, 8)
    assert net.tensors["input"].quantization["zero_points"] == (-3,)
    assert net.outputs == ("model/re_lu/Relu6",)
    assert net.tensors[net.outputs[0]].shape == (1, 16, 5, 4)
    # measured weights: exact zeros and the entropy of the stored int8 values
    zeros = int(np.count_nonzero(w == 0))
    assert conv.weight_stats.elements == w.size and conv.weight_stats.zeros == zeros
    assert conv.density[Operand.WEIGHT] == pytest.approx(1 - zeros / w.size)
    assert conv.weight_stats.entropy_bits == pytest.approx(np.log2(7), rel=1e-3)
    wt_ir = net.tensors[conv.weight_tensor]
    assert wt_ir.is_constant and wt_ir.shape == (16, 3, 3, 3) and wt_ir.dtype == INT8
    assert wt_ir.quantization["count"] == 16 and wt_ir.quantization["per_channel"]
    assert conv.attrs["tflite_op"] == 0
    prov = net.provenance
    assert prov["format"] == "tflite" and prov["schema_version"] == 3 and prov["subgraphs"] == 1
    assert prov["description"] == "tiny test model" and prov["source"].endswith("tiny.tflite")


def test_float_weights_have_no_entropy_and_valid_padding_and_dilation(tmp_path: Path) -> None:
    m = TinyModel()
    x = m.input("x", (1, 10, 10, 4))
    w = m.weight("w", (8, 3, 3, 4))
    y = m.tensor("y", (1, 6, 6, 8))
    m.op("CONV_2D", [x, w, -1], [y], conv_opts("VALID", dilation=2))
    m.outputs = [y]
    (conv,) = load(m, tmp_path).layers
    assert conv.padding == (0, 0, 0, 0) and conv.dilation == (2, 2) and (conv.P, conv.Q) == (6, 6)
    assert not conv.bias and conv.bias_dtype is None
    assert conv.weight_stats.entropy_bits is None and conv.precision[Operand.WEIGHT] == FP32


def test_grouped_conv_from_weight_channels(tmp_path: Path) -> None:
    m = TinyModel()
    x = m.input("x", (1, 8, 8, 8))
    w = m.weight("w", (8, 3, 3, 2))  # 4 groups of 2 input channels
    y = m.tensor("y", (1, 8, 8, 8))
    m.op("CONV_2D", [x, w, -1], [y], conv_opts())
    m.outputs = [y]
    (conv,) = load(m, tmp_path).layers
    assert (conv.G, conv.K, conv.C) == (4, 2, 2) and conv.macs == 8 * 8 * 8 * 2 * 9


def test_depthwise_multiplier(tmp_path: Path) -> None:
    m = TinyModel()
    x = m.input("x", (1, 12, 12, 4))
    w = m.weight("model/depthwise_conv2d/depthwise", (1, 3, 3, 8))
    b = m.weight("bias", (8,))
    y = m.tensor("model/depthwise_conv2d/BiasAdd", (1, 6, 6, 8))
    opts = ("DepthwiseConv2DOptions", {"Padding": 0, "StrideH": 2, "StrideW": 2, "DepthMultiplier": 2})
    m.op("DEPTHWISE_CONV_2D", [x, w, b], [y], opts)
    m.outputs = [y]
    (dw,) = load(m, tmp_path).layers
    assert dw.op is OpKind.DEPTHWISE and dw.name == "depthwise_conv2d"
    assert (dw.G, dw.K, dw.C, dw.R, dw.S, dw.P, dw.Q) == (4, 2, 1, 3, 3, 6, 6)
    assert dw.padding == (0, 0, 1, 1)  # TF SAME: the odd pixel at the end
    assert dw.params == 8 * 9 + 8


def test_fully_connected_flattens_and_keeps_num_dims(tmp_path: Path) -> None:
    m = TinyModel()
    x = m.input("x", (1, 2, 2, 8))  # flattened to [1, 32]
    w1 = m.weight("model/dense/MatMul", (16, 32))
    b1 = m.weight("model/dense/BiasAdd/ReadVariableOp", (16,))
    h = m.tensor("model/dense/BiasAdd", (1, 16))
    m.op("FULLY_CONNECTED", [x, w1, b1], [h], ("FullyConnectedOptions", {"FusedActivationFunction": 1}))
    r = m.tensor("r", (1, 4, 4))
    shape = m.tensor("shape", (3,), "INT32", data=[1, 4, 4])
    m.op("RESHAPE", [h, shape], [r])
    w2 = m.weight("w2", (6, 4))
    y = m.tensor("y", (1, 4, 6))  # keep_num_dims: rows folded, leading dims kept
    m.op("FULLY_CONNECTED", [r, w2, -1], [y], ("FullyConnectedOptions", {"KeepNumDims": True}))
    m.outputs = [y]
    net = load(m, tmp_path)
    fc1, fc2 = net.layers
    assert fc1.name == "dense" and (fc1.N, fc1.K, fc1.C) == (1, 16, 32) and fc1.fused == ("relu",)
    assert (fc2.N, fc2.K, fc2.C) == (4, 6, 4) and not fc2.bias
    assert net.tensors[net.outputs[0]].shape == (1, 4, 6)
    assert net.provenance["elided_ops"] == {"RESHAPE": 1}


def test_transpose_conv_same(tmp_path: Path) -> None:
    m = TinyModel()
    out_shape = m.tensor("out_shape", (4,), "INT32", data=[1, 16, 16, 4])
    w = m.weight("w", (4, 3, 3, 8))
    x = m.input("x", (1, 8, 8, 8))
    y = m.tensor("model/conv2d_transpose/conv2d_transpose", (1, 16, 16, 4))
    m.op("TRANSPOSE_CONV", [out_shape, w, x], [y], ("TransposeConvOptions", {"Padding": 0, "StrideH": 2, "StrideW": 2}))
    m.outputs = [y]
    net = load(m, tmp_path)
    (tc,) = net.layers
    assert tc.transposed and tc.name == "conv2d_transpose"
    assert (tc.K, tc.C, tc.P, tc.Q, tc.R, tc.S) == (4, 8, 8, 8, 3, 3)  # loops over input pixels
    assert tc.padding == (0, 0, 1, 1) and not tc.bias
    assert net.tensors[net.outputs[0]].shape == (1, 4, 16, 16)


# ==== pooling, reductions, elementwise ============================================================================
def test_pools(tmp_path: Path) -> None:
    m = TinyModel()
    x = m.input("x", (1, 7, 7, 4))
    a = m.tensor("avg", (1, 4, 4, 4))
    m.op(
        "AVERAGE_POOL_2D",
        [x],
        [a],
        ("Pool2DOptions", {"Padding": 0, "StrideH": 2, "StrideW": 2, "FilterHeight": 3, "FilterWidth": 3}),
    )
    mx = m.tensor("max", (1, 2, 2, 4))
    m.op(
        "MAX_POOL_2D",
        [a],
        [mx],
        (
            "Pool2DOptions",
            {
                "Padding": 1,
                "StrideH": 2,
                "StrideW": 2,
                "FilterHeight": 2,
                "FilterWidth": 2,
                "FusedActivationFunction": 1,
            },
        ),
    )
    m.outputs = [mx]
    avg, mp = load(m, tmp_path).layers
    assert avg.op is OpKind.POOL and avg.attrs["pool"] == "avg" and avg.padding == (1, 1, 1, 1)
    assert (avg.G, avg.P, avg.Q, avg.R, avg.S) == (4, 4, 4, 3, 3)
    assert mp.attrs["pool"] == "max" and mp.op_type == "MAX_POOL_2D" and mp.fused == ("relu",)
    assert mp.ops == 4 * 2 * 2 * 4 + 4 * 2 * 2  # window compares + the fused relu


def test_mean_over_hw_is_a_global_pool_other_axes_a_reduction(tmp_path: Path) -> None:
    m = TinyModel()
    x = m.input("x", (1, 5, 6, 8))
    axes_hw = m.tensor("axes_hw", (2,), "INT32", data=[1, 2])
    g = m.tensor("gap", (1, 8))
    m.op("MEAN", [x, axes_hw], [g], ("ReducerOptions", {"KeepDims": False}))
    axes_c = m.tensor("axes_c", (1,), "INT32", data=[-1])
    c = m.tensor("cmean", (1, 5, 6, 1))
    m.op("MEAN", [x, axes_c], [c], ("ReducerOptions", {"KeepDims": True}))
    m.outputs = [g, c]
    net = load(m, tmp_path)
    gap, red = net.layers
    assert gap.op is OpKind.POOL and (gap.G, gap.R, gap.S, gap.P, gap.Q) == (8, 5, 6, 1, 1)
    assert gap.op_type == "MEAN" and net.tensors["gap"].shape == (1, 8)
    assert red.op is OpKind.ELTWISE and red.ops == 5 * 6 * 8 and red.attrs["reduce_axes"] == (1,)
    assert net.tensors["cmean"].shape == (1, 1, 5, 6)


def test_residual_add_mul_with_constant_and_sub(tmp_path: Path) -> None:
    m = TinyModel()
    x = m.input("x", (1, 4, 4, 8))
    w = m.weight("w", (8, 1, 1, 8))
    c = m.tensor("c", (1, 4, 4, 8))
    m.op("CONV_2D", [x, w, -1], [c], conv_opts())
    s = m.tensor("model/add_3/add", (1, 4, 4, 8))
    m.op("ADD", [x, c], [s], ("AddOptions", {"FusedActivationFunction": 1}))
    scale = m.weight("scale", (8,))
    mul = m.tensor("mul", (1, 4, 4, 8))
    m.op("MUL", [s, scale], [mul])
    half = m.tensor("half", (), data=0.5)
    sub = m.tensor("sub", (1, 4, 4, 8))
    m.op("SUB", [mul, half], [sub])
    m.outputs = [sub]
    net = load(m, tmp_path)
    conv, add, mul_l, sub_l = net.layers
    assert add.op is OpKind.ELTWISE and add.name == "add_3" and add.fused == ("relu",)
    assert [p.name for p in net.predecessors(add)] == [conv.name]
    assert set(add.inputs) == {"x", "c"}
    assert mul_l.attrs["fn"] == "mul" and net.tensors[mul_l.inputs[1]].is_constant
    assert mul_l.params == 8 and mul_l.macs == 0
    assert sub_l.params == 0  # a scalar operand is an immediate
    assert net.params == 64 + 8


def test_concatenation_axis_follows_the_layout(tmp_path: Path) -> None:
    m = TinyModel()
    a = m.input("a", (1, 4, 4, 3))
    b = m.input("b", (1, 4, 4, 5))
    y = m.tensor("cat", (1, 4, 4, 8))
    m.op("CONCATENATION", [a, b], [y], ("ConcatenationOptions", {"Axis": -1}))
    m.outputs = [y]
    net = load(m, tmp_path)
    (cat,) = net.layers
    assert cat.op is OpKind.OTHER and cat.op_type == "CONCATENATION"
    assert net.tensors["cat"].shape == (1, 8, 4, 4)


def test_views_are_free(tmp_path: Path) -> None:
    m = TinyModel()
    x = m.input("x", (1, 6))
    e = m.tensor("e", (1, 1, 1, 6))
    axis = m.tensor("axis", (), "INT32", data=1)
    m.op("EXPAND_DIMS", [x, axis], [e])
    s = m.tensor("s", (1, 6))
    m.op("SQUEEZE", [e], [s])
    sm = m.tensor("softmax", (1, 6))
    m.op("SOFTMAX", [s], [sm], ("SoftmaxOptions", {"Beta": 1.0}))
    m.outputs = [sm]
    net = load(m, tmp_path)
    (softmax,) = net.layers
    assert softmax.op is OpKind.ELTWISE and softmax.attrs["fn"] == "softmax"
    assert net.tensors["e"].shape == (1, 6, 1, 1) and net.base_tensor("s") == "x"
    assert net.provenance["elided_ops"] == {"EXPAND_DIMS": 1, "SQUEEZE": 1}


def test_quantize_dequantize_change_dtype_and_fp16_weights_keep_stored_precision(tmp_path: Path) -> None:
    m = TinyModel()
    x = m.input("x", (1, 4, 4, 2))
    xq = m.tensor("xq", (1, 4, 4, 2), "INT8", quant={"scale": [0.5]})
    m.op("QUANTIZE", [x], [xq])
    xf = m.tensor("xf", (1, 4, 4, 2))
    m.op("DEQUANTIZE", [xq], [xf])
    w16 = m.weight("w16", (4, 1, 1, 2), "FLOAT16")
    w32 = m.tensor("w32", (4, 1, 1, 2))
    m.op("DEQUANTIZE", [w16], [w32])
    y = m.tensor("y", (1, 4, 4, 4))
    m.op("CONV_2D", [xf, w32, -1], [y], conv_opts())
    m.outputs = [y]
    net = load(m, tmp_path)
    (conv,) = net.layers
    assert net.tensors["xq"].dtype == INT8 and net.tensors["xf"].dtype == FP32
    assert conv.precision[Operand.WEIGHT] == DataType("fp", 16) and conv.attrs["weight_via"] == ("DEQUANTIZE",)
    assert net.tensors[conv.weight_tensor].dtype == DataType("fp", 16)
    conv_ = net.provenance["dtype_conversions"]
    assert [(c["op"], c["from"], c["to"]) for c in conv_] == [
        ("QUANTIZE", "fp32", "int8"),
        ("DEQUANTIZE", "int8", "fp32"),
    ]
    assert net.provenance["elided_ops"] == {"QUANTIZE": 1, "DEQUANTIZE": 1, "DEQUANTIZE (constant)": 1}


def test_uint8_zero_point_counts_as_zero_and_int16_activations_int64_bias(tmp_path: Path) -> None:
    m = TinyModel()
    x = m.input("x", (1, 8), "INT16", quant={"scale": [0.01]})
    w = np.full((4, 8), 128)
    w[0, :3] = [1, 2, 3]
    wt = m.tensor("w", (4, 8), "UINT8", data=w, quant={"scale": [0.1], "zero_point": [128]})
    bt = m.weight("b", (4,), "INT64")
    y = m.tensor("y", (1, 4), "INT16", quant={"scale": [0.02]})
    m.op("FULLY_CONNECTED", [x, wt, bt], [y], ("FullyConnectedOptions", {}))
    m.outputs = [y]
    (fc,) = load(m, tmp_path).layers
    assert fc.weight_stats.zeros == 29 and fc.density[Operand.WEIGHT] == pytest.approx(3 / 32)
    assert fc.precision[Operand.INPUT] == DataType("int", 16) and fc.precision[Operand.WEIGHT] == DataType("uint", 8)
    assert fc.bias_dtype == DataType("int", 64)


# ==== standalone activations and PAD ==============================================================================
def test_activation_fused_into_single_consumer_producer_else_eltwise(tmp_path: Path) -> None:
    m = TinyModel()
    x = m.input("x", (1, 4, 4, 2))
    w = m.weight("w", (2, 1, 1, 2))
    c = m.tensor("c", (1, 4, 4, 2))
    m.op("CONV_2D", [x, w, -1], [c], conv_opts())
    r = m.tensor("r", (1, 4, 4, 2))
    m.op("HARD_SWISH", [c], [r])  # c has one consumer: fused into the conv
    lr = m.tensor("lr", (1, 4, 4, 2))
    m.op("LEAKY_RELU", [r], [lr], ("LeakyReluOptions", {"Alpha": 0.25}))  # r is read twice: a layer
    s = m.tensor("s", (1, 4, 4, 2))
    m.op("LOGISTIC", [r], [s])
    m.outputs = [lr, s]
    net = load(m, tmp_path)
    conv, leaky, sig = net.layers
    assert conv.fused == ("hardswish",) and conv.ops == 4 * 32
    assert net.base_tensor("r") == "c" and net.provenance["elided_ops"] == {"fused_activation": 1}
    assert leaky.op is OpKind.ELTWISE and leaky.attrs["fn"] == "leaky_relu" and leaky.attrs["alpha"] == 0.25
    assert sig.attrs["fn"] == "sigmoid" and [p.name for p in net.predecessors(sig)] == [conv.name]


def test_pad_folds_into_the_following_conv_else_data_movement(tmp_path: Path) -> None:
    m = TinyModel()
    x = m.input("x", (1, 8, 8, 3))
    pads = m.tensor("pads", (4, 2), "INT32", data=[[0, 0], [0, 1], [0, 1], [0, 0]])
    p = m.tensor("model/zero_padding2d/Pad", (1, 9, 9, 3))
    m.op("PAD", [x, pads], [p])
    w = m.weight("w", (4, 3, 3, 3))
    y = m.tensor("y", (1, 4, 4, 4))
    m.op("CONV_2D", [p, w, -1], [y], conv_opts("VALID", stride=2))
    pads2 = m.tensor("pads2", (4, 2), "INT32", data=[[0, 0], [1, 1], [1, 1], [0, 0]])
    p2 = m.tensor("p2", (1, 6, 6, 4))
    m.op("PAD", [y, pads2], [p2])
    z = m.tensor("z", (1, 3, 3, 4))
    m.op(
        "MAX_POOL_2D",
        [p2],
        [z],
        ("Pool2DOptions", {"Padding": 1, "StrideH": 2, "StrideW": 2, "FilterHeight": 2, "FilterWidth": 2}),
    )
    m.outputs = [z]
    net = load(m, tmp_path)
    conv, pad, pool = net.layers
    assert conv.padding == (0, 0, 1, 1) and conv.fused == ("PAD",) and conv.inputs == ("x",)
    assert (conv.P, conv.Q) == (4, 4)
    assert pad.op is OpKind.OTHER and pad.op_type == "PAD" and pool.inputs == ("p2",)
    assert net.provenance["elided_ops"] == {"PAD (folded into conv)": 1}


def test_only_subgraph_0_is_imported_and_provenance_says_so(tmp_path: Path) -> None:
    m = TinyModel(extra_subgraphs=2)
    x = m.input("x", (1, 4))
    y = m.tensor("y", (1, 4))
    m.op("RELU", [x], [y])
    m.outputs = [y]
    net = load(m, tmp_path)
    assert [layer.attrs["fn"] for layer in net.layers] == ["relu"]  # an input has no producer to fuse into
    assert net.provenance["subgraphs"] == 3 and "only subgraph 0" in net.provenance["note"]


# ==== naming ======================================================================================================
def test_names_are_unique_and_name_override(tmp_path: Path) -> None:
    m = TinyModel()
    x = m.input("x", (1, 4))
    h = x
    for i in range(3):
        w = m.weight(f"w{i}", (4, 4))
        nxt = m.tensor("model/dense/BiasAdd", (1, 4))  # the same TFLite name three times
        m.op("FULLY_CONNECTED", [h, w, -1], [nxt], ("FullyConnectedOptions", {}))
        h = nxt
    m.outputs = [h]
    net = load_tflite(m.write(tmp_path / "t.tflite"), name="renamed")
    assert net.name == "renamed"
    assert [layer.name for layer in net.layers] == ["dense", "dense_2", "dense_3"]
    assert len({layer.outputs[0] for layer in net.layers}) == 3


# ==== errors ======================================================================================================
def test_shape_mismatch_names_the_op_and_both_shapes(tmp_path: Path) -> None:
    m = TinyModel()
    x = m.input("x", (1, 8, 8, 3))
    w = m.weight("w", (4, 3, 3, 3))
    y = m.tensor("y", (1, 7, 7, 4))  # SAME padding gives 8x8
    m.op("CONV_2D", [x, w, -1], [y], conv_opts("SAME"))
    m.outputs = [y]
    path = m.write(tmp_path / "bad_shape.tflite")
    with pytest.raises(ShapeError) as info:
        load_tflite(path)
    msg = str(info.value)
    assert str(path) in msg and "#0" in msg and "[1, 4, 8, 8]" in msg and "[1, 4, 7, 7]" in msg


def test_unknown_builtin_op(tmp_path: Path) -> None:
    m = TinyModel()
    x = m.input("x", (1, 4))
    y = m.tensor("floored", (1, 4))
    m.op("FLOOR", [x], [y], version=2)
    m.outputs = [y]
    path = m.write(tmp_path / "floor.tflite")
    with pytest.raises(UnsupportedOperator) as info:
        load_tflite(path)
    err = info.value
    assert err.op == "FLOOR" and "floored" in err.node and err.opset == "schema v3, op version 2"
    assert str(path) in str(err) and "'FLOOR'" in str(err)


def test_custom_op(tmp_path: Path) -> None:
    m = TinyModel()
    x = m.input("x", (1, 4))
    y = m.tensor("y", (1, 4))
    m.op("CUSTOM", [x], [y], custom="TFLite_Detection_PostProcess")
    m.outputs = [y]
    path = m.write(tmp_path / "custom.tflite")
    with pytest.raises(UnsupportedOperator, match="TFLite_Detection_PostProcess") as info:
        load_tflite(path)
    assert "CUSTOM" in str(info.value) and str(path) in str(info.value)


def test_malformed_operator_is_reported_not_crashed(tmp_path: Path) -> None:
    m = TinyModel()
    x = m.input("x", (1, 4, 4, 2))
    y = m.tensor("y", (1, 4, 4, 2))
    m.op("CONV_2D", [x], [y], conv_opts())  # no weights
    m.outputs = [y]
    path = m.write(tmp_path / "malformed.tflite")
    with pytest.raises(UnsupportedOperator, match="input 1 is missing") as info:
        load_tflite(path)
    assert str(path) in str(info.value)


def test_constant_buffer_of_the_wrong_size(tmp_path: Path) -> None:
    m = TinyModel()
    x = m.input("x", (1, 4))
    w = m.tensor("short_weights", (4, 4), data=np.zeros(3))
    y = m.tensor("y", (1, 4))
    m.op("FULLY_CONNECTED", [x, w, -1], [y], ("FullyConnectedOptions", {}))
    m.outputs = [y]
    path = m.write(tmp_path / "short.tflite")
    with pytest.raises(NetworkFileError, match="short_weights") as info:
        load_tflite(path)
    assert str(path) in str(info.value)


def test_output_never_produced(tmp_path: Path) -> None:
    m = TinyModel()
    x = m.input("x", (1, 4))
    ghost = m.tensor("ghost", (1, 4))
    m.outputs = [x, ghost]
    path = m.write(tmp_path / "ghost.tflite")
    with pytest.raises(NetworkFileError, match="'ghost' is never produced") as info:
        load_tflite(path)
    assert str(path) in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.tflite"
    with pytest.raises(NetworkFileError, match="no such file") as info:
        load_tflite(path)
    assert str(path) in str(info.value)


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(NetworkFileError, match="directory") as info:
        load_tflite(tmp_path)
    assert str(tmp_path) in str(info.value)


def test_truncated_real_model(mlperf_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "truncated.tflite"
    path.write_bytes((mlperf_dir / "kws_ref_model.tflite").read_bytes()[:200])
    with pytest.raises(NetworkFileError) as info:
        load_tflite(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("fraction", [0.05, 0.25, 0.5, 0.9, 0.999])
def test_truncated_anywhere(mlperf_dir: Path, tmp_path: Path, fraction: float) -> None:
    data = (mlperf_dir / "pretrainedResnet_quant.tflite").read_bytes()
    path = tmp_path / "cut.tflite"
    path.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(NetworkFileError) as info:
        load_tflite(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("content", [b"", b"\x00" * 3, b"not a model at all, just text\n" * 10, bytes(range(256))])
def test_garbage_bytes(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "garbage.tflite"
    path.write_bytes(content)
    with pytest.raises(NetworkFileError, match="not a TFLite model") as info:
        load_tflite(path)
    assert str(path) in str(info.value)


def test_garbage_behind_a_valid_identifier(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    path = tmp_path / "noise.tflite"
    path.write_bytes(b"\x10\x00\x00\x00TFL3" + rng.integers(0, 256, 4000, dtype=np.uint8).tobytes())
    with pytest.raises(NetworkFileError, match="corrupt") as info:
        load_tflite(path)
    assert str(path) in str(info.value)


def test_random_corruption_only_raises_accelkit_errors(mlperf_dir: Path, tmp_path: Path) -> None:
    """Flipped bytes give a clean AccelkitError (or a still-valid model), never an IndexError or struct.error."""
    data = (mlperf_dir / "kws_ref_model.tflite").read_bytes()
    rng = np.random.default_rng(7)
    path = tmp_path / "flipped.tflite"
    for _ in range(60):
        b = bytearray(data)
        for i in rng.integers(8, len(b), size=6):
            b[int(i)] = int(rng.integers(0, 256))
        path.write_bytes(bytes(b))
        try:
            load_tflite(path)
        except AccelkitError as exc:
            assert str(path) in str(exc)


def _patch_opcode(data: bytes, old: str, new: str) -> bytes:
    """Rewrite the operator code table entry of builtin ``old`` into ``new`` (both code fields, in place)."""
    model = tflite.Model.GetRootAsModel(data, 0)
    out = bytearray(data)
    for k in range(model.OperatorCodesLength()):
        oc = model.OperatorCodes(k)
        if oc.BuiltinCode() != OPCODES[old]:
            continue
        tab = oc._tab
        deprecated, builtin = tab.Offset(4), tab.Offset(10)  # vtable slots of the two code fields
        assert deprecated, "the real model stores the int8 code field"
        out[tab.Pos + deprecated] = OPCODES[new]
        if builtin:  # older files leave the int32 field out (0: read the int8 one)
            out[tab.Pos + builtin : tab.Pos + builtin + 4] = OPCODES[new].to_bytes(4, "little")
        return bytes(out)
    raise AssertionError(f"{old} not in the model")


def test_unsupported_op_in_a_patched_real_model(mlperf_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "kws_floor.tflite"
    path.write_bytes(_patch_opcode((mlperf_dir / "kws_ref_model.tflite").read_bytes(), "SOFTMAX", "FLOOR"))
    with pytest.raises(UnsupportedOperator) as info:
        load_tflite(path)
    err = info.value
    assert err.op == "FLOOR" and err.node == "#12 -> Identity" and err.opset == "schema v3, op version 2"
    assert str(path) in str(err)


# ==== the registry ================================================================================================
def test_registry_lists_the_required_ops() -> None:
    required = {
        "CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "TRANSPOSE_CONV", "AVERAGE_POOL_2D", "MAX_POOL_2D",
        "MEAN", "ADD", "MUL", "SUB", "CONCATENATION", "RESHAPE", "SQUEEZE", "EXPAND_DIMS", "SOFTMAX", "PAD",
        "QUANTIZE", "DEQUANTIZE", "RELU", "RELU6", "LOGISTIC", "TANH", "HARD_SWISH", "LEAKY_RELU",
    }  # fmt: skip
    assert required <= set(TFLITE_OPS.names())
    assert TFLITE_OPS.kind == "TFLite operator" and TFLITE_OPS.entry_point_group == "accelkit.tflite_ops"


def test_a_registered_handler_extends_the_importer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def floor(ctx: TFLiteOpContext) -> None:
        ctx.bind(ctx.builder.activation(ctx.act(0), "floor", **ctx.layer_kwargs()))

    TFLITE_OPS.names()  # load entry points first, so the patch is the last word
    monkeypatch.setitem(TFLITE_OPS._items, "FLOOR", floor)
    m = TinyModel()
    x = m.input("x", (1, 4))
    y = m.tensor("y", (1, 4))
    m.op("FLOOR", [x], [y])
    m.outputs = [y]
    (layer,) = load(m, tmp_path).layers
    assert layer.op_type == "FLOOR" and layer.attrs["fn"] == "floor"
