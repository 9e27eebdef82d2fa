"""Tests of the ONNX importer on tiny models built with ``onnx.helper`` (every expected number is hand-computed)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from onnx import TensorProto as TP
from onnx import helper, numpy_helper

from accelkit.errors import AccelkitError, NetworkFileError, ShapeError, UnsupportedOperator
from accelkit.workload.builder import folded_norm_params
from accelkit.workload.ir import DataType, Network, Operand, OpKind, WeightSource
from accelkit.workload.onnx_import import ONNX_OPS, load_onnx
from accelkit.workload.zoo import get_network

RNG = np.random.default_rng(0)
FP32, FP16 = DataType("fp", 32), DataType("fp", 16)
INT8, UINT8, INT32, INT4 = DataType("int", 8), DataType("uint", 8), DataType("int", 32), DataType("int", 4)


# ---- helpers ----------------------------------------------------------------------------------------------------
def vi(name: str, shape: Sequence[int | str | None], elem: int = TP.FLOAT) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, elem, list(shape))


def init(name: str, values: Any, dtype: Any = np.float32) -> onnx.TensorProto:
    return numpy_helper.from_array(np.asarray(values, dtype=dtype), name)


def rand(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape).astype(np.float32)


def node(op: str, inputs: Sequence[str], outputs: Sequence[str], name: str, **attrs: Any) -> onnx.NodeProto:
    return helper.make_node(op, list(inputs), list(outputs), name=name, **attrs)


def make_model(
    nodes: Sequence[onnx.NodeProto],
    inputs: Sequence[onnx.ValueInfoProto],
    outputs: Sequence[str],
    inits: Sequence[onnx.TensorProto] = (),
    *,
    opset: int = 13,
    ir_version: int | None = None,
    output_shapes: dict[str, list[int | str]] | None = None,
) -> onnx.ModelProto:
    """A checked model whose output types come from shape inference (or ``output_shapes``); no value_info."""
    graph = helper.make_graph(list(nodes), "test", list(inputs), [onnx.ValueInfoProto(name=o) for o in outputs])
    graph.initializer.extend(inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="accelkit-tests")
    if ir_version is not None:
        model.ir_version = ir_version
    inferred = onnx.shape_inference.infer_shapes(model)
    types = {o.name: o.type for o in inferred.graph.output}
    for o in model.graph.output:
        o.type.CopyFrom(types[o.name])
        if output_shapes and o.name in output_shapes:
            o.type.CopyFrom(helper.make_tensor_type_proto(o.type.tensor_type.elem_type, output_shapes[o.name]))
    onnx.checker.check_model(model)
    return model


def save(tmp_path: Path, model: onnx.ModelProto, fname: str = "model.onnx") -> Path:
    path = tmp_path / fname
    onnx.save(model, str(path))
    return path


def load(tmp_path: Path, model: onnx.ModelProto, **kw: Any) -> Network:
    return load_onnx(save(tmp_path, model), **kw)


def conv_macs(n: int, k: int, c: int, g: int, p: int, q: int, r: int, s: int) -> int:
    """MACs of a (grouped) convolution: N * K * C/G * P * Q * R * S (K, C are total channels)."""
    return n * k * (c // g) * p * q * r * s


# ---- registry ---------------------------------------------------------------------------------------------------
def test_registry_lists_the_supported_operators() -> None:
    required = {
        "Conv", "ConvTranspose", "ConvInteger", "QLinearConv", "Gemm", "MatMul", "MatMulInteger", "QLinearMatMul",
        "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "ReduceMean", "Add", "Sub", "Mul", "Div",
        "Concat", "Relu", "Clip", "Sigmoid", "HardSwish", "HardSigmoid", "Tanh", "LeakyRelu", "Softmax", "Gelu",
        "BatchNormalization", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout", "Transpose",
        "Pad", "Resize", "Split", "Slice", "Gather", "QuantizeLinear", "DequantizeLinear",
    }  # fmt: skip
    assert required <= set(ONNX_OPS.names())
    assert ONNX_OPS.kind == "ONNX operator" and ONNX_OPS.entry_point_group == "accelkit.onnx_ops"


# ---- convolution --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("attrs", "pq", "padding"),
    [
        # 8x8 input, 3x3 kernel, stride 2. SAME: out = ceil(8/2) = 4, total pad = (4-1)*2 + 3 - 8 = 1.
        ({"auto_pad": "SAME_UPPER"}, (4, 4), (0, 0, 1, 1)),
        ({"auto_pad": "SAME_LOWER"}, (4, 4), (1, 1, 0, 0)),
        # VALID: (8 - 3) // 2 + 1 = 3
        ({"auto_pad": "VALID"}, (3, 3), (0, 0, 0, 0)),
        # explicit pads (top, left, bottom, right) = (1, 0, 2, 1): P = (8+3-3)//2+1 = 5, Q = (8+1-3)//2+1 = 4
        ({"pads": [1, 0, 2, 1]}, (5, 4), (1, 0, 2, 1)),
        ({"auto_pad": "NOTSET", "pads": [1, 1, 1, 1]}, (4, 4), (1, 1, 1, 1)),
    ],
)
def test_conv_auto_pad_variants(tmp_path: Path, attrs: dict[str, Any], pq: tuple[int, int], padding: tuple) -> None:
    model = make_model(
        [node("Conv", ["x", "w", "b"], ["y"], "conv", strides=[2, 2], kernel_shape=[3, 3], **attrs)],
        [vi("x", [1, 3, 8, 8])],
        ["y"],
        [init("w", rand(4, 3, 3, 3)), init("b", rand(4))],
    )
    net = load(tmp_path, model)
    (layer,) = net.layers
    assert (layer.name, layer.op, layer.op_type) == ("conv", OpKind.CONV, "Conv")
    assert pq == (layer.P, layer.Q) and layer.padding == padding and layer.stride == (2, 2)
    assert layer.macs == conv_macs(1, 4, 3, 1, *pq, 3, 3)
    assert layer.params == 4 * 3 * 3 * 3 + 4  # weights + bias
    assert layer.weight_tensor == "w" and layer.bias
    assert net.tensors["y"].shape == (1, 4, *pq)


def test_conv_dilation_and_1d(tmp_path: Path) -> None:
    # dilation 2, kernel 3 -> span 5; pads 2: P = 8 + 4 - 5 + 1 = 8
    model = make_model(
        [node("Conv", ["x", "w"], ["y"], "dil", dilations=[2, 2], pads=[2, 2, 2, 2])],
        [vi("x", [1, 2, 8, 8])],
        ["y"],
        [init("w", rand(5, 2, 3, 3))],
    )
    (layer,) = load(tmp_path, model).layers
    assert layer.dilation == (2, 2) and (layer.P, layer.Q) == (8, 8)
    assert layer.macs == conv_macs(1, 5, 2, 1, 8, 8, 3, 3) and not layer.bias
    # 1-D conv (N, C, L) runs as H = 1: L = 20, k = 5, stride 3, pads (1, 1): Q = (20 + 2 - 5) // 3 + 1 = 6
    model = make_model(
        [node("Conv", ["x", "w"], ["y"], "conv1d", strides=[3], pads=[1, 1])],
        [vi("x", [1, 4, 20])],
        ["y"],
        [init("w", rand(8, 4, 5))],
    )
    net = load(tmp_path, model)
    (layer,) = net.layers
    assert (layer.P, layer.Q, layer.R, layer.S) == (1, 6, 1, 5) and layer.stride == (1, 3)
    assert layer.padding == (0, 1, 0, 1) and layer.macs == 8 * 4 * 6 * 5
    assert net.tensors["y"].shape == (1, 8, 6)


def test_depthwise_separable_block_with_bn_and_relu(tmp_path: Path) -> None:
    c, h = 8, 16
    nodes = [
        node("Conv", ["x", "dw_w"], ["dw"], "dw", group=c, pads=[1, 1, 1, 1]),
        node("BatchNormalization", ["dw", "g1", "b1", "m1", "v1"], ["dw_bn"], "dw_bn"),
        node("Relu", ["dw_bn"], ["dw_relu"], "dw_relu"),
        node("Conv", ["dw_relu", "pw_w"], ["pw"], "pw"),
        node("BatchNormalization", ["pw", "g2", "b2", "m2", "v2"], ["pw_bn"], "pw_bn"),
        node("Clip", ["pw_bn", "lo", "hi"], ["y"], "pw_relu6"),
    ]
    bn = lambda i, ch: [init(f"{k}{i}", np.abs(rand(ch)) + 0.5) for k in "gbmv"]  # noqa: E731
    inits = [init("dw_w", rand(c, 1, 3, 3)), init("pw_w", rand(16, c, 1, 1)), *bn(1, c), *bn(2, 16)]
    inits += [init("lo", 0.0), init("hi", 6.0)]
    net = load(tmp_path, make_model(nodes, [vi("x", [1, c, h, h])], ["y"], inits))
    dw, pw = net.layers  # BN and activations are folded: exactly two layers
    assert dw.op is OpKind.DEPTHWISE and dw.fused == ("BatchNormalization", "Relu")
    assert pw.op is OpKind.CONV and pw.is_pointwise and pw.fused == ("BatchNormalization", "Clip")
    # MACs: depthwise 8 ch * 16*16 * 3*3 = 18432; pointwise 16 * 8 * 16*16 = 32768
    assert dw.macs == 8 * 256 * 9 == 18_432
    assert pw.macs == 16 * 8 * 256 == 32_768
    # params: a bias-less conv + BN = weights + (deployed bias = beta) + gamma = weights + 2 * channels
    assert dw.params == 72 + 8 + folded_norm_params(8, bias=False) == 88
    assert pw.params == 128 + 16 + 16 == 160
    assert net.params == 248 and net.macs == 51_200
    # fused activation ops: one op per output element (relu and relu6 alike)
    assert dw.ops == 8 * 256 and pw.ops == 16 * 256
    assert [f["op"] for f in net.provenance["folded"]] == ["BatchNormalization", "Relu", "BatchNormalization", "Clip"]


def _residual_block(c: int = 16, h: int = 8) -> onnx.ModelProto:
    nodes, inits = [], []
    prev = "x"
    for i in (1, 2):
        nodes.append(node("Conv", [prev, f"w{i}", f"cb{i}"], [f"c{i}"], f"conv{i}", pads=[1, 1, 1, 1]))
        nodes.append(node("BatchNormalization", [f"c{i}", f"g{i}", f"b{i}", f"m{i}", f"v{i}"], [f"bn{i}"], f"bn{i}"))
        inits += [init(f"w{i}", rand(c, c, 3, 3)), init(f"cb{i}", rand(c))]
        inits += [init(f"{k}{i}", np.abs(rand(c)) + 0.1) for k in "gbmv"]
        prev = f"bn{i}"
        if i == 1:
            nodes.append(node("Relu", ["bn1"], ["r1"], "relu1"))
            prev = "r1"
    nodes += [node("Add", ["bn2", "x"], ["s"], "add"), node("Relu", ["s"], ["y"], "relu_out")]
    return make_model(nodes, [vi("x", [1, c, h, h])], ["y"], inits)


def test_residual_block(tmp_path: Path) -> None:
    net = load(tmp_path, _residual_block())
    assert [layer.name for layer in net.layers] == ["conv1", "conv2", "add"]
    conv1, conv2, add = net.layers
    # each conv: 16 out * 16 in * 8*8 * 3*3 = 147456 MACs
    assert conv1.macs == conv2.macs == 16 * 16 * 64 * 9 == 147_456
    # params: weights 2304 + conv bias 16 + folded BN gamma and beta (conv had a bias: 2 * 16)
    assert conv1.params == 2304 + 16 + 32 == 2352
    assert net.params == 2 * 2352 and net.macs == 2 * 147_456
    assert conv1.fused == ("BatchNormalization", "Relu") and conv2.fused == ("BatchNormalization",)
    assert add.op is OpKind.ELTWISE and add.fused == ("Relu",) and set(add.inputs) == {"bn2", "x"}
    assert add.ops == 2 * 16 * 64  # the add and the fused relu, one op per element each
    assert net.outputs == ("y",) and net.producer("y") is add


def test_bn_and_activation_not_folded_when_output_is_shared(tmp_path: Path) -> None:
    nodes = [
        node("Conv", ["x", "w"], ["c"], "conv"),
        node("BatchNormalization", ["c", "g", "b", "m", "v"], ["bn"], "bn"),
        node("Relu", ["c"], ["r"], "relu"),  # a second consumer of the conv output
        node("Add", ["bn", "r"], ["y"], "add"),
    ]
    inits = [init("w", rand(4, 3, 1, 1)), *[init(k, np.ones(4)) for k in "gbmv"]]
    net = load(tmp_path, make_model(nodes, [vi("x", [1, 3, 5, 5])], ["y"], inits))
    conv, bn, relu, add = net.layers
    assert conv.fused == () and bn.op is OpKind.ELTWISE and bn.attrs["fn"] == "batchnorm"
    assert bn.extra_params == 2 * 4 and bn.params == 8  # the stored per-channel scale and shift
    assert relu.op is OpKind.ELTWISE and relu.attrs["fn"] == "relu" and relu.ops == 4 * 25
    assert net.params == 4 * 3 + 8 and net.macs == 4 * 3 * 25
    assert add.inputs == ("bn", "r")


def test_conv_transpose_macs_and_shapes(tmp_path: Path) -> None:
    # input 1x4x5x5, W [C_in=4, M/g=6, 3, 3], stride 2, pads 1, output_padding 1:
    # out = (5-1)*2 - 2 + (3-1) + 1 + 1 = 10; MACs iterate input pixels: 6 * 4 * 5*5 * 3*3 = 5400
    for attrs in ({"pads": [1, 1, 1, 1], "output_padding": [1, 1]}, {"output_shape": [10, 10]}):
        model = make_model(
            [node("ConvTranspose", ["x", "w", "b"], ["y"], "deconv", strides=[2, 2], **attrs)],
            [vi("x", [1, 4, 5, 5])],
            ["y"],
            [init("w", rand(4, 6, 3, 3)), init("b", rand(6))],
        )
        net = load(tmp_path, model)
        (layer,) = net.layers
        assert layer.transposed and (layer.P, layer.Q, layer.K, layer.C) == (5, 5, 6, 4)
        assert layer.macs == 6 * 4 * 25 * 9 == 5400 and layer.params == 216 + 6
        assert net.tensors["y"].shape == (1, 6, 10, 10)
    # grouped, SAME_UPPER: out = in * stride = 10; weight [4, 3, 3, 3] with group 2 -> 6 outputs, C/G = 2
    model = make_model(
        [node("ConvTranspose", ["x", "w"], ["y"], "deconv_g", strides=[2, 2], group=2, auto_pad="SAME_UPPER")],
        [vi("x", [1, 4, 5, 5])],
        ["y"],
        [init("w", rand(4, 3, 3, 3))],
    )
    (layer,) = load(tmp_path, model).layers
    assert (layer.G, layer.K, layer.C) == (2, 3, 2) and layer.macs == 2 * 3 * 2 * 25 * 9
    assert layer.params == 4 * 3 * 9


# ---- fully connected and matmul -------------------------------------------------------------------------------------
def test_gemm_and_matmul_variants(tmp_path: Path) -> None:
    nodes = [
        node("Flatten", ["x"], ["f"], "flatten"),  # 1x2x3x4 -> 1x24, a free view
        node("Gemm", ["f", "w1", "b1"], ["g1"], "gemm_tb", transB=1),  # W [10, 24]
        node("Gemm", ["g1", "w2"], ["g2"], "gemm"),  # W [10, 5], no bias
        node("MatMul", ["g2", "w3"], ["m"], "matmul_fc"),  # 2-D A, constant B [5, 7] -> fc
        node("Add", ["m", "b3"], ["y"], "bias_add"),  # constant bias after the MatMul: folded
    ]
    inits = [init("w1", rand(10, 24)), init("b1", rand(10)), init("w2", rand(10, 5)), init("w3", rand(5, 7))]
    inits.append(init("b3", rand(7)))
    net = load(tmp_path, make_model(nodes, [vi("x", [1, 2, 3, 4])], ["y"], inits))
    g1, g2, m = net.layers
    assert all(layer.op is OpKind.FC for layer in net.layers)
    assert (g1.K, g1.C, g1.params) == (10, 24, 240 + 10)
    assert (g2.K, g2.C, g2.params) == (5, 10, 50)
    assert (m.K, m.C, m.params, m.bias, m.fused) == (7, 5, 35 + 7, True, ("Add",))
    assert net.macs == 240 + 50 + 35
    assert net.provenance["elided_ops"]["Flatten"] == 1
    assert {"node": "bias_add", "op": "Add", "into": "matmul_fc"} in net.provenance["folded"]


def test_matmul_linear_and_batched_broadcast(tmp_path: Path) -> None:
    nodes = [
        node("MatMul", ["x", "w"], ["lin"], "linear"),  # (2, 3, 4) @ W[4, 5]: rows 2*3 fold into P
        node("MatMul", ["a", "bt"], ["y"], "bmm"),  # (2, 3, 4, 5) @ (5, 6): batch (2, 3) broadcast -> G = 6
        node("Gemm", ["x2", "v"], ["z"], "gemm_act"),  # two activations
    ]
    inputs = [vi("x", [2, 3, 4]), vi("a", [2, 3, 4, 5]), vi("bt", [5, 6]), vi("x2", [3, 4]), vi("v", [4, 2])]
    net = load(tmp_path, make_model(nodes, inputs, ["lin", "y", "z"], [init("w", rand(4, 5))]))
    lin, bmm, gemm = net.layers
    assert lin.op is OpKind.MATMUL and (lin.P, lin.K, lin.C) == (6, 5, 4) and lin.macs == 120
    assert lin.weight_source is WeightSource.CONSTANT and lin.params == 20
    assert bmm.weight_source is WeightSource.ACTIVATION and (bmm.G, bmm.P, bmm.K, bmm.C) == (6, 4, 6, 5)
    assert bmm.macs == 6 * 4 * 6 * 5 == 720 and bmm.params == 0
    assert gemm.macs == 3 * 2 * 4 and net.tensors["y"].shape == (2, 3, 4, 6)


def test_attention_block(tmp_path: Path) -> None:
    """Two-head self-attention over T=4 tokens of width D=8 (head dim 4), PyTorch-style shape chains."""
    t, d, h = 4, 8, 2  # head dim d // h = 4 is computed in the graph
    nodes: list[onnx.NodeProto] = []
    inits = [init(f"W{p}", rand(d, d)) for p in "qkvo"] + [init(f"B{p}", rand(d)) for p in "qkvo"]
    # the head-split target shape is computed from Shape -> Gather -> Unsqueeze -> Concat (must constant-fold)
    nodes += [
        node("Shape", ["x"], ["x_shape"], "shape"),
        node("Gather", ["x_shape", "i0"], ["n"], "gather0", axis=0),
        node("Gather", ["x_shape", "i1"], ["tt"], "gather1", axis=0),
        node("Unsqueeze", ["n", "ax0"], ["n1"], "unsq0"),
        node("Unsqueeze", ["tt", "ax0"], ["t1"], "unsq1"),
        node("Gather", ["x_shape", "i2"], ["dd"], "gather2", axis=0),
        node("Div", ["dd", "n_heads"], ["head_dim"], "div_heads"),  # D / heads = 4
        node("Unsqueeze", ["head_dim", "ax0"], ["hd1"], "unsq2"),
        node("Concat", ["n1", "t1", "heads", "hd1"], ["split_shape"], "concat_shape", axis=0),
    ]
    inits += [init("i0", 0, np.int64), init("i1", 1, np.int64), init("i2", 2, np.int64), init("ax0", [0], np.int64)]
    inits += [init("n_heads", h, np.int64), init("heads", [h], np.int64), init("merged", [1, t, d], np.int64)]
    inits.append(init("scale", 0.5))
    for p, perm in (("q", [0, 2, 1, 3]), ("k", [0, 2, 3, 1]), ("v", [0, 2, 1, 3])):
        nodes += [
            node("MatMul", ["x", f"W{p}"], [f"{p}_mm"], f"{p}_proj"),
            node("Add", [f"{p}_mm", f"B{p}"], [f"{p}_lin"], f"{p}_bias"),
            node("Reshape", [f"{p}_lin", "split_shape"], [f"{p}_heads"], f"{p}_reshape"),
            node("Transpose", [f"{p}_heads"], [f"{p}_t"], f"{p}_transpose", perm=perm),
        ]
    nodes += [
        node("MatMul", ["q_t", "k_t"], ["scores"], "qk"),
        node("Mul", ["scores", "scale"], ["scaled"], "scale_mul"),
        node("Softmax", ["scaled"], ["attn"], "softmax", axis=-1),
        node("MatMul", ["attn", "v_t"], ["ctx"], "av"),
        node("Transpose", ["ctx"], ["ctx_t"], "merge_transpose", perm=[0, 2, 1, 3]),
        node("Reshape", ["ctx_t", "merged"], ["ctx_m"], "merge_reshape"),
        node("MatMul", ["ctx_m", "Wo"], ["o_mm"], "o_proj"),
        node("Add", ["o_mm", "Bo"], ["y"], "o_bias"),
    ]
    net = load(tmp_path, make_model(nodes, [vi("x", [1, t, d])], ["y"], inits))
    by_name = {layer.name: layer for layer in net.layers}
    # no shape-computation node becomes a layer
    assert not {"shape", "gather0", "gather1", "gather2", "div_heads", "unsq0", "concat_shape"} & set(by_name)
    assert net.provenance["constant_folded"] == {"Shape": 1, "Gather": 3, "Unsqueeze": 3, "Div": 1, "Concat": 1}
    assert net.provenance["elided_ops"]["Reshape"] == 4
    # projections: rows T=4, C=D=8, K=8 -> 4*8*8 = 256 MACs each, bias folded: 64 + 8 params each
    for p in "qkvo":
        proj = by_name[f"{p}_proj"]
        assert (proj.op, proj.P, proj.C, proj.K, proj.bias) == (OpKind.MATMUL, 4, 8, 8, True)
        assert proj.macs == 256 and proj.params == 72
    # QK^T: per head (G=2) [T x hd] @ [hd x T]: P=4 rows, C=4, K=4 -> 2*4*4*4 = 128; AV: same, 128
    qk, av = by_name["qk"], by_name["av"]
    assert (qk.G, qk.P, qk.C, qk.K) == (2, 4, 4, 4) and qk.macs == 128
    assert (av.G, av.P, av.C, av.K) == (2, 4, 4, 4) and av.macs == 128
    assert qk.weight_source is WeightSource.ACTIVATION and qk.weight_tensor == "k_t"
    assert net.macs == 4 * 256 + 2 * 128 == 1280
    assert net.params == 4 * 72 == 288
    assert by_name["q_transpose"].op is OpKind.OTHER and by_name["q_transpose"].attrs["perm"] == [0, 2, 1, 3]
    assert by_name["scale_mul"].inputs == ("scores",) and by_name["softmax"].attrs["fn"] == "softmax"
    assert net.tensors["y"].shape == (1, 4, 8)


# ---- pooling -----------------------------------------------------------------------------------------------------
def test_pooling(tmp_path: Path) -> None:
    nodes = [
        node("MaxPool", ["x"], ["mp"], "maxpool_ceil", kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1),
        node("AveragePool", ["mp"], ["ap"], "avgpool", kernel_shape=[3, 3], pads=[1, 1, 1, 1], count_include_pad=1),
        node("GlobalMaxPool", ["ap"], ["gmp"], "gmp"),
        node("GlobalAveragePool", ["ap"], ["gap"], "gap"),
        node("ReduceMean", ["ap"], ["rm"], "reduce_mean", axes=[2, 3], keepdims=0),
    ]
    net = load(tmp_path, make_model(nodes, [vi("x", [1, 2, 7, 7])], ["gmp", "gap", "rm"]))
    mp, ap, gmp, gap, rm = net.layers
    assert all(layer.op is OpKind.POOL and layer.macs == 0 for layer in net.layers)
    # ceil((7 - 2) / 2) + 1 = 4 (floor would give 3)
    assert (mp.P, mp.Q) == (4, 4) and mp.ops == 2 * 16 * 4 and mp.attrs["pool"] == "max"
    # ONNX default stride is 1: (4 + 2 - 3) // 1 + 1 = 4
    assert (ap.P, ap.Q, ap.stride) == (4, 4, (1, 1)) and ap.ops == 2 * 16 * 9
    assert (gmp.R, gmp.S, gmp.P) == (4, 4, 1) and gmp.attrs["pool"] == "max"
    assert gap.dims == rm.dims and rm.attrs["pool"] == "avg" and rm.op_type == "ReduceMean"
    assert net.tensors["rm"].shape == (1, 2)
    # 1-D pooling runs on a 4-D view: L = 9, k = 3, stride 2 -> 4
    model = make_model(
        [node("MaxPool", ["x"], ["y"], "pool1d", kernel_shape=[3], strides=[2])], [vi("x", [1, 3, 9])], ["y"]
    )
    net = load(tmp_path, model)
    (layer,) = net.layers
    assert (layer.P, layer.Q, layer.R, layer.S) == (1, 4, 1, 3) and net.tensors["y"].shape == (1, 3, 4)


def test_reduce_mean_axes_as_input_opset18(tmp_path: Path) -> None:
    model = make_model(
        [node("ReduceMean", ["x", "axes"], ["y"], "rm", keepdims=1)],
        [vi("x", [1, 3, 5, 6])],
        ["y"],
        [init("axes", [-2, -1], np.int64)],
        opset=18,
    )
    (layer,) = load(tmp_path, model).layers
    assert (layer.op, layer.R, layer.S, layer.G) == (OpKind.POOL, 5, 6, 3)
    bad = make_model(
        [node("ReduceMean", ["x", "axes"], ["y"], "rm_channels")],
        [vi("x", [1, 3, 5, 6])],
        ["y"],
        [init("axes", [1], np.int64)],
        opset=18,
    )
    with pytest.raises(UnsupportedOperator, match="rm_channels"):
        load(tmp_path, bad)


# ---- elementwise and activations ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("op", "fn", "attrs", "opset", "per_element"),
    [
        ("Relu", "relu", {}, 13, 1),
        ("Sigmoid", "sigmoid", {}, 13, 4),
        ("HardSwish", "hardswish", {}, 14, 4),
        ("HardSigmoid", "hardsigmoid", {"alpha": 0.2}, 13, 3),
        ("Tanh", "tanh", {}, 13, 4),
        ("LeakyRelu", "leaky_relu", {"alpha": 0.1}, 13, 2),
        ("Gelu", "gelu", {}, 20, 8),
        ("Clip", "clip", {}, 13, 1),
    ],
)
def test_activations_fused_or_standalone(
    tmp_path: Path, op: str, fn: str, attrs: dict, opset: int, per_element: int
) -> None:
    # standalone: applied to the graph input
    net = load(
        tmp_path, make_model([node(op, ["x"], ["y"], "act", **attrs)], [vi("x", [1, 4, 3, 3])], ["y"], opset=opset)
    )
    (layer,) = net.layers
    assert (layer.op, layer.attrs["fn"], layer.op_type, layer.ops) == (OpKind.ELTWISE, fn, op, per_element * 36)
    # fused into the producing conv: the conv's ops grow by the activation's, no extra layer
    model = make_model(
        [node("Conv", ["x", "w"], ["c"], "conv"), node(op, ["c"], ["y"], "act", **attrs)],
        [vi("x", [1, 4, 3, 3])],
        ["y"],
        [init("w", rand(2, 4, 1, 1))],
        opset=opset,
    )
    (conv,) = load(tmp_path, model).layers
    assert conv.fused == (op,) and conv.ops == per_element * 2 * 9


def test_softmax_is_never_fused_and_eltwise_constants(tmp_path: Path) -> None:
    nodes = [
        node("Conv", ["x", "w"], ["c"], "conv"),
        node("Softmax", ["c"], ["s"], "softmax", axis=1),
        node("Sub", ["s", "k1"], ["d1"], "sub"),  # activation - constant: eltwise with one input
        node("Mul", ["d1", "k2"], ["d2"], "mul"),
        node("Div", ["d2", "s"], ["d3"], "div"),  # two activations
        node("Add", ["d3", "k3"], ["y"], "add_const"),  # a constant add NOT after a MatMul: stays a layer
    ]
    inits = [init("w", rand(2, 4, 1, 1)), init("k1", 1.0), init("k2", rand(1, 2, 1, 1)), init("k3", rand(2, 1, 1))]
    net = load(tmp_path, make_model(nodes, [vi("x", [1, 4, 3, 3])], ["y"], inits))
    conv, softmax, sub, mul, div, add = net.layers
    assert conv.fused == () and softmax.ops == 3 * 18
    # a scalar constant is an immediate; a per-channel constant's elements are parameters of the layer
    assert sub.inputs == ("s",) and sub.attrs["constant_operands"] == {"k1": 1} and sub.ops == 18
    assert sub.params == 0
    assert mul.inputs == ("d1",) and mul.attrs["constant_operands"] == {"k2": 2} and mul.params == 2
    assert div.inputs == ("d2", "s")
    assert add.inputs == ("d3",) and add.op is OpKind.ELTWISE and add.params == 2
    assert net.params == 2 * 4 + 2 + 2  # conv weights, the Mul scale, the Add shift


# ---- views and data movement --------------------------------------------------------------------------------------
def test_views_and_data_movement(tmp_path: Path) -> None:
    nodes = [
        node("Identity", ["x"], ["i"], "identity"),
        node("Dropout", ["i"], ["d"], "dropout"),
        node("Unsqueeze", ["d", "ax0"], ["u"], "unsqueeze"),  # (1, 1, 4, 6, 6)
        node("Squeeze", ["u", "ax0"], ["sq"], "squeeze"),  # (1, 4, 6, 6)
        node("Transpose", ["sq"], ["t"], "transpose", perm=[0, 1, 3, 2]),
        node("Pad", ["t", "pads"], ["p"], "pad"),  # (1, 4, 8, 8)
        node("Resize", ["p", "", "scales"], ["r"], "resize", mode="nearest"),  # (1, 4, 16, 16)
        node("Slice", ["r", "starts", "ends", "axes"], ["sl"], "slice"),  # (1, 4, 8, 16)
        node("Gather", ["sl", "idx"], ["g"], "gather", axis=1),  # (1, 2, 8, 16)
        node("Split", ["g", "split"], ["s0", "s1"], "split", axis=3),  # (1, 2, 8, 4) and (1, 2, 8, 12)
        node("Concat", ["s1", "s0"], ["cat"], "concat", axis=3),  # (1, 2, 8, 16)
        node("Reshape", ["cat", "shape"], ["y"], "reshape"),
    ]
    inits = [
        init("ax0", [0], np.int64),
        init("pads", [0, 0, 1, 1, 0, 0, 1, 1], np.int64),
        init("scales", [1, 1, 2, 2]),
        init("starts", [0], np.int64),
        init("ends", [8], np.int64),
        init("axes", [2], np.int64),
        init("idx", [0, 3], np.int64),
        init("split", [4, 12], np.int64),
        init("shape", [1, -1], np.int64),
    ]
    net = load(tmp_path, make_model(nodes, [vi("x", [1, 4, 6, 6])], ["y"], inits))
    names = [layer.name for layer in net.layers]
    assert names == ["transpose", "pad", "resize", "slice", "gather", "split:0", "split:1", "concat"]
    assert all(layer.op is OpKind.OTHER and layer.macs == 0 and layer.params == 0 for layer in net.layers)
    shapes = {t: net.tensors[t].shape for t in ("t", "p", "r", "sl", "g", "s0", "s1", "cat", "y")}
    assert shapes == {
        "t": (1, 4, 6, 6),
        "p": (1, 4, 8, 8),
        "r": (1, 4, 16, 16),
        "sl": (1, 4, 8, 16),
        "g": (1, 2, 8, 16),
        "s0": (1, 2, 8, 4),
        "s1": (1, 2, 8, 12),
        "cat": (1, 2, 8, 16),
        "y": (1, 256),
    }
    by_name = {layer.name: layer for layer in net.layers}
    assert by_name["split:0"].P == 64 and by_name["split:1"].P == 192 and by_name["concat"].P == 256
    assert by_name["concat"].inputs == ("s1", "s0")
    elided = net.provenance["elided_ops"]
    assert {k: elided[k] for k in ("Identity", "Dropout", "Unsqueeze", "Squeeze", "Reshape")} == dict.fromkeys(
        ("Identity", "Dropout", "Unsqueeze", "Squeeze", "Reshape"), 1
    )
    assert net.base_tensor("y") == "cat" and net.base_tensor("sq") == "x"


# ---- quantization -----------------------------------------------------------------------------------------------
def _int8_weights(shape: tuple[int, ...]) -> np.ndarray:
    """Half zeros, a quarter +1, a quarter -1: density 0.5, entropy -(.5 log2 .5 + 2 * .25 log2 .25) = 1.5 bits."""
    n = math.prod(shape)
    values = np.array([0] * (n // 2) + [1] * (n // 4) + [-1] * (n // 4), dtype=np.int8)
    return RNG.permutation(values).reshape(shape)


def test_qdq_conv_runs_at_int8(tmp_path: Path) -> None:
    w_q = _int8_weights((8, 4, 3, 3))  # 288 weights
    nodes = [
        node("QuantizeLinear", ["x", "xs", "xz"], ["xq"], "q_in"),
        node("DequantizeLinear", ["xq", "xs", "xz"], ["xd"], "dq_in"),
        node("DequantizeLinear", ["w_q", "ws", "wz"], ["w"], "dq_w", axis=0),
        node("DequantizeLinear", ["b_q", "bs"], ["b"], "dq_b", axis=0),
        node("Conv", ["xd", "w", "b"], ["c"], "conv", pads=[1, 1, 1, 1]),
        node("Relu", ["c"], ["r"], "relu"),
        node("QuantizeLinear", ["r", "ys", "yz"], ["rq"], "q_out"),
        node("DequantizeLinear", ["rq", "ys", "yz"], ["y"], "dq_out"),
    ]
    inits = [
        init("xs", 0.05),
        init("xz", 0, np.int8),
        init("w_q", w_q, np.int8),
        init("ws", np.full(8, 0.01)),
        init("wz", np.zeros(8), np.int8),
        init("b_q", np.arange(8), np.int32),
        init("bs", np.full(8, 0.0005)),
        init("ys", 0.1),
        init("yz", 0, np.int8),
    ]
    net = load(tmp_path, make_model(nodes, [vi("x", [1, 4, 6, 6])], ["y"], inits))
    (conv,) = net.layers  # Q/DQ are views, the relu is fused
    assert conv.precision == {Operand.INPUT: INT8, Operand.WEIGHT: INT8, Operand.OUTPUT: INT8}
    assert conv.weight_tensor == "w_q" and conv.bias and conv.fused == ("Relu",)
    stats = conv.weight_stats
    assert stats is not None and (stats.elements, stats.zeros, stats.unique_values) == (288, 144, 3)
    assert stats.entropy_bits == pytest.approx(1.5) and conv.density[Operand.WEIGHT] == 0.5
    assert conv.macs == 8 * 4 * 36 * 9 and conv.params == 288 + 8
    assert net.provenance["elided_ops"]["QuantizeLinear"] == 2
    assert net.provenance["elided_ops"]["DequantizeLinear"] == 2
    assert net.provenance["constant_folded"]["DequantizeLinear"] == 2
    assert net.tensors["xq"].dtype == INT8 and net.tensors["xq"].quantization["scale"] == pytest.approx(0.05)


def test_qdq_int4_weights_opset21(tmp_path: Path) -> None:
    w = helper.make_tensor("w_q", TP.INT4, [4, 2, 1, 1], [1, -2, 0, 7, -8, 0, 3, 0])
    nodes = [
        node("DequantizeLinear", ["w_q", "ws"], ["w"], "dq_w"),
        node("Conv", ["x", "w"], ["y"], "conv"),
    ]
    net = load(tmp_path, make_model(nodes, [vi("x", [1, 2, 3, 3])], ["y"], [w, init("ws", 0.1)], opset=21))
    (conv,) = net.layers
    assert conv.precision[Operand.WEIGHT] == INT4 and conv.precision[Operand.INPUT] == FP32
    assert conv.weight_stats.zeros == 3 and conv.weight_stats.unique_values == 6


def test_qlinear_and_integer_ops(tmp_path: Path) -> None:
    # uint8 weights with zero point 128: density counts (w - 128) == 0 -> exactly half are real zeros
    w_u8 = RNG.permutation(np.array([128] * 36 + list(range(92, 128)), dtype=np.uint8)).reshape(4, 2, 3, 3)
    nodes = [
        node("QLinearConv", ["x", "xs", "xz", "w8", "ws", "wz", "ys", "yz", "b"], ["qc"], "qconv", pads=[1, 1, 1, 1]),
        node("ConvInteger", ["x", "wu", "xz", "wuz"], ["ci"], "conv_int"),
        node("Flatten", ["qc"], ["f"], "flatten"),
        node("QLinearMatMul", ["f", "ys", "yz", "m8", "ms", "mz", "os", "oz"], ["qm"], "qmatmul"),
        node("MatMulInteger", ["f", "m8", "yz", "mz"], ["mi"], "matmul_int"),
    ]
    inits = [
        init("xs", 0.02),
        init("xz", 128, np.uint8),
        init("w8", _int8_weights((4, 2, 3, 3)), np.int8),
        init("ws", np.full(4, 0.01)),
        init("wz", np.zeros(4), np.int8),
        init("ys", 0.1),
        init("yz", 0, np.int8),
        init("b", np.zeros(4), np.int32),
        init("wu", w_u8, np.uint8),
        init("wuz", 128, np.uint8),
        init("m8", _int8_weights((144, 4)), np.int8),
        init("ms", 0.01),
        init("mz", 0, np.int8),
        init("os", 0.2),
        init("oz", 0, np.uint8),
    ]
    net = load(tmp_path, make_model(nodes, [vi("x", [1, 2, 6, 6], TP.UINT8)], ["ci", "qm", "mi"], inits))
    qconv, conv_int, qmm, mm_int = net.layers
    assert qconv.precision == {Operand.INPUT: UINT8, Operand.WEIGHT: INT8, Operand.OUTPUT: INT8}
    assert qconv.bias and qconv.macs == 4 * 2 * 36 * 9 and qconv.weight_stats.entropy_bits == pytest.approx(1.5)
    assert conv_int.precision == {Operand.INPUT: UINT8, Operand.WEIGHT: UINT8, Operand.OUTPUT: INT32}
    assert conv_int.density[Operand.WEIGHT] == 0.5 and conv_int.macs == 4 * 2 * 16 * 9
    assert qmm.op is OpKind.FC and qmm.precision == {Operand.INPUT: INT8, Operand.WEIGHT: INT8, Operand.OUTPUT: UINT8}
    assert (qmm.C, qmm.K, qmm.macs) == (144, 4, 576) and mm_int.precision[Operand.OUTPUT] == INT32


def test_fp16_model_has_fp16_operands(tmp_path: Path) -> None:
    model = make_model(
        [node("Conv", ["x", "w", "b"], ["y"], "conv")],
        [vi("x", [1, 3, 4, 4], TP.FLOAT16)],
        ["y"],
        [init("w", rand(2, 3, 1, 1), np.float16), init("b", rand(2), np.float16)],
    )
    (conv,) = load(tmp_path, model).layers
    assert set(conv.precision.values()) == {FP16} and conv.bias_dtype == FP16


def test_float_weight_density(tmp_path: Path) -> None:
    w = rand(4, 4, 3, 3)
    w.reshape(-1)[::4] = 0.0  # 36 of 144 weights are exact zeros
    model = make_model([node("Conv", ["x", "w"], ["y"], "conv")], [vi("x", [1, 4, 5, 5])], ["y"], [init("w", w)])
    (conv,) = load(tmp_path, model).layers
    assert conv.weight_stats.zeros == 36 and conv.weight_stats.entropy_bits is None
    assert conv.density[Operand.WEIGHT] == pytest.approx(0.75)
    assert conv.precision == {Operand.INPUT: FP32, Operand.WEIGHT: FP32, Operand.OUTPUT: FP32}


# ---- opset variants ---------------------------------------------------------------------------------------------
def _opset_variant(opset: int) -> onnx.ModelProto:
    """The same small network written the opset-11 way (attributes) or the opset-13+ way (inputs)."""
    as_input = opset >= 13
    split_attr = {} if as_input else {"split": [3, 5]}
    sq_attr = {} if as_input else {"axes": [2, 3]}
    rm_attr = {"keepdims": 1} if opset >= 18 else {"axes": [2, 3], "keepdims": 1}
    nodes = [
        node("Conv", ["x", "w", "b"], ["c"], "conv", pads=[1, 1, 1, 1], strides=[2, 2]),
        node("Clip", ["c", "lo", "hi"], ["r"], "relu6"),
        node("Pad", ["r", "pads"], ["p"], "pad"),
        node("Resize", ["p", "roi", "scales"], ["u"], "upsample", mode="nearest"),
        node("Split", ["u", "split"] if as_input else ["u"], ["a", "bb"], "split", axis=1, **split_attr),
        node("Conv", ["bb", "w2"], ["c2"], "conv2"),
        node("Concat", ["a", "c2"], ["cat"], "concat", axis=1),
        node("ReduceMean", ["cat", "rm_axes"] if opset >= 18 else ["cat"], ["gap"], "gap", **rm_attr),
        node("Squeeze", ["gap", "sq_axes"] if as_input else ["gap"], ["f"], "squeeze", **sq_attr),
        node("Gemm", ["f", "fw", "fb"], ["y"], "fc", transB=1),
    ]
    inits = [
        init("w", rand(8, 3, 3, 3)),
        init("b", rand(8)),
        init("lo", 0.0),
        init("hi", 6.0),
        init("pads", [0, 0, 1, 1, 0, 0, 1, 1], np.int64),
        init("roi", np.zeros(0)),
        init("scales", [1, 1, 2, 2]),
        init("split", [3, 5], np.int64),
        init("w2", rand(5, 5, 1, 1)),
        init("rm_axes", [2, 3], np.int64),
        init("sq_axes", [2, 3], np.int64),
        init("fw", rand(10, 8)),
        init("fb", rand(10)),
    ]
    return make_model(nodes, [vi("x", [1, 3, 16, 16])], ["y"], inits, opset=opset)


def test_opset_11_and_21_give_the_same_network(tmp_path: Path) -> None:
    nets = {opset: load_onnx(save(tmp_path, _opset_variant(opset), f"m{opset}.onnx")) for opset in (11, 13, 18, 21)}
    ref = nets[11]
    # conv: 8x8 out (stride 2, pad 1 on 16x16): 8*3*64*9 = 13824; conv2 on 20x20 (pad to 10x10, resize x2): 5*5*400
    assert ref.macs == 8 * 3 * 64 * 9 + 5 * 5 * 400 + 80 == 23_904
    assert ref.params == 216 + 8 + 25 + 80 + 10
    for opset, net in nets.items():
        assert net.provenance["opset"] == opset
        assert (net.macs, net.params) == (ref.macs, ref.params)
        assert [(layer.name, dict(layer.dims), layer.ops, layer.fused) for layer in net.layers] == [
            (layer.name, dict(layer.dims), layer.ops, layer.fused) for layer in ref.layers
        ]
    assert ref.layer("conv").fused == ("Clip",) and ref.layer("gap").op is OpKind.POOL


# ---- export of zoo networks ---------------------------------------------------------------------------------------
def network_to_onnx(net: Network, opset: int = 13) -> onnx.ModelProto:
    """Write a (BN-free) zoo network as ONNX: Conv/Add/pools/Gemm/Softmax with random initializers."""
    nodes: list[onnx.NodeProto] = []
    inits: list[onnx.TensorProto] = []
    for layer in net.layers:
        out = layer.outputs[0]
        acts = [f for f in layer.fused if f.lower() in ("relu",)]
        y = f"{out}__pre" if acts else out
        x = layer.inputs[0]
        if layer.op in (OpKind.CONV, OpKind.DEPTHWISE):
            w = f"{layer.name}.weight"
            inits.append(init(w, rand(layer.G * layer.K, layer.C, layer.R, layer.S)))
            ins = [x, w]
            if layer.bias:
                inits.append(init(f"{layer.name}.bias", rand(layer.G * layer.K)))
                ins.append(f"{layer.name}.bias")
            attrs = {"kernel_shape": [layer.R, layer.S], "strides": list(layer.stride), "group": layer.G}
            attrs |= {"dilations": list(layer.dilation), "pads": list(layer.padding)}
            nodes.append(node("Conv", ins, [y], layer.name, **attrs))
        elif layer.op is OpKind.FC:
            if len(net.tensors[x].shape) > 2:
                nodes.append(node("Flatten", [x], [f"{x}__flat"], f"{layer.name}_flatten"))
                x = f"{x}__flat"
            inits += [init(f"{layer.name}.weight", rand(layer.K, layer.C)), init(f"{layer.name}.bias", rand(layer.K))]
            nodes.append(node("Gemm", [x, f"{layer.name}.weight", f"{layer.name}.bias"], [y], layer.name, transB=1))
        elif layer.op is OpKind.POOL:
            kind = "Average" if layer.attrs["pool"] == "avg" else "Max"
            if layer.P == layer.Q == 1 and layer.stride == (1, 1):
                nodes.append(node(f"Global{kind}Pool", [x], [y], layer.name))
            else:
                attrs = {"kernel_shape": [layer.R, layer.S], "strides": list(layer.stride), "pads": list(layer.padding)}
                nodes.append(node(f"{kind}Pool", [x], [y], layer.name, **attrs))
        elif layer.op is OpKind.ELTWISE and layer.attrs["fn"] == "add":
            nodes.append(node("Add", list(layer.inputs), [y], layer.name))
        elif layer.op is OpKind.ELTWISE and layer.attrs["fn"] == "softmax":
            nodes.append(node("Softmax", [x], [y], layer.name, axis=-1))
        else:  # pragma: no cover - the helper covers what the MLPerf Tiny zoo uses
            raise NotImplementedError(layer.kind_label)
        if acts:
            nodes.append(node("Relu", [y], [out], f"{layer.name}_relu"))
    inputs = [vi(name, net.tensors[name].shape) for name in net.inputs]
    return make_model(nodes, inputs, list(net.outputs), inits, opset=opset)


@pytest.mark.parametrize(
    ("zoo_name", "macs", "params"), [("mlperf_tiny_ic", 12_501_632, 77_706), ("mlperf_tiny_kws", 2_656_768, 22_604)]
)
def test_export_of_zoo_network_imports_identically(tmp_path: Path, zoo_name: str, macs: int, params: int) -> None:
    zoo = get_network(zoo_name)
    net = load(tmp_path, network_to_onnx(zoo))
    assert (zoo.macs, zoo.params) == (macs, params)  # the published totals
    assert (net.macs, net.params) == (macs, params)
    assert [layer.name for layer in net.layers] == [layer.name for layer in zoo.layers]
    for ours, theirs in zip(net.layers, zoo.layers, strict=True):
        assert (ours.op, dict(ours.dims), ours.macs, ours.params) == (
            theirs.op,
            dict(theirs.dims),
            theirs.macs,
            theirs.params,
        )
        assert (ours.stride, ours.padding, ours.bias) == (theirs.stride, theirs.padding, theirs.bias)
        assert bool(ours.fused) == bool(theirs.fused)
        assert ours.ops == theirs.ops
    assert net.tensors[net.outputs[0]].shape == zoo.tensors[zoo.outputs[0]].shape


# ---- shapes -----------------------------------------------------------------------------------------------------
def _dynamic_model() -> onnx.ModelProto:
    return make_model(
        [node("Conv", ["x", "w"], ["y"], "conv", pads=[1, 1, 1, 1])],
        [vi("x", ["batch", 3, "h", 8])],
        ["y"],
        [init("w", rand(4, 3, 3, 3))],
    )


def test_dynamic_input_needs_input_shapes(tmp_path: Path) -> None:
    path = save(tmp_path, _dynamic_model())
    with pytest.raises(ShapeError) as err:
        load_onnx(path)
    msg = str(err.value)
    assert "--input-shape" in msg and str(path) in msg and "'x'" in msg and "batch" in msg
    net = load_onnx(path, input_shapes={"x": (2, 3, 8, 8)})
    assert net.layers[0].macs == 2 * 4 * 3 * 64 * 9 and net.tensors["y"].shape == (2, 4, 8, 8)
    # a static input may be re-sized too (stored downstream shapes are recomputed)
    static = load(tmp_path, _residual_block(), input_shapes={"x": (4, 16, 8, 8)})
    assert static.macs == 4 * 2 * 147_456
    with pytest.raises(ShapeError, match="'nope'"):
        load_onnx(path, input_shapes={"nope": (1, 3, 8, 8)})
    with pytest.raises(ShapeError, match="rank"):
        load_onnx(path, input_shapes={"x": (1, 3, 8)})


def test_zero_dimension_is_rejected(tmp_path: Path) -> None:
    path = save(tmp_path, make_model([node("Relu", ["x"], ["y"], "relu")], [vi("x", [1, 0, 4, 4])], ["y"]))
    with pytest.raises(ShapeError) as err:
        load_onnx(path)
    assert "dimension 0" in str(err.value) and "'x'" in str(err.value) and str(path) in str(err.value)
    dyn = save(tmp_path, _dynamic_model(), "dyn.onnx")
    with pytest.raises(ShapeError, match="positive"):
        load_onnx(dyn, input_shapes={"x": (1, 3, 0, 8)})


def test_shape_mismatch_names_node_and_both_shapes(tmp_path: Path) -> None:
    model = make_model(
        [node("Conv", ["x", "w"], ["y"], "conv7")], [vi("x", [1, 3, 8, 8])], ["y"], [init("w", rand(4, 3, 3, 3))]
    )
    del model.graph.output[0].type.tensor_type.shape.dim[:]
    for d in (1, 4, 7, 7):  # the real output is 6x6; non-strict inference keeps the stored shape
        model.graph.output[0].type.tensor_type.shape.dim.add().dim_value = d
    path = save(tmp_path, model)
    with pytest.raises(ShapeError) as err:
        load_onnx(path)
    msg = str(err.value)
    assert "'conv7'" in msg and "[1, 4, 6, 6]" in msg and "[1, 4, 7, 7]" in msg and str(path) in msg


# ---- bad input --------------------------------------------------------------------------------------------------
def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.onnx"
    with pytest.raises(NetworkFileError, match="not found") as err:
        load_onnx(path)
    assert str(path) in str(err.value)
    with pytest.raises(NetworkFileError, match="directory"):
        load_onnx(tmp_path)


def test_truncated_and_garbage_files(tmp_path: Path) -> None:
    good = save(tmp_path, _residual_block())
    truncated = tmp_path / "truncated.onnx"
    truncated.write_bytes(good.read_bytes()[:100])
    with pytest.raises(NetworkFileError, match="truncated or corrupt") as err:
        load_onnx(truncated)
    assert str(truncated) in str(err.value)
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(np.random.default_rng(1).bytes(300))
    with pytest.raises(NetworkFileError) as err:
        load_onnx(garbage)
    assert str(garbage) in str(err.value)
    empty = tmp_path / "empty.onnx"
    empty.write_bytes(b"")
    with pytest.raises(NetworkFileError, match=str(empty)):
        load_onnx(empty)


def test_checker_failure_is_a_network_file_error(tmp_path: Path) -> None:
    model = make_model([node("Relu", ["x"], ["y"], "relu")], [vi("x", [1, 4])], ["y"])
    model.graph.node[0].input[0] = "undefined_tensor"
    path = save(tmp_path, model)
    with pytest.raises(NetworkFileError, match="not a valid ONNX model") as err:
        load_onnx(path)
    assert str(path) in str(err.value) and len(str(err.value)) < 500


def test_unsupported_operator_names_op_node_and_opset(tmp_path: Path) -> None:
    model = make_model(
        [node("NonMaxSuppression", ["boxes", "scores"], ["sel"], "nms_1")],
        [vi("boxes", [1, 5, 4]), vi("scores", [1, 1, 5])],
        ["sel"],
        opset=13,
    )
    path = save(tmp_path, model)
    with pytest.raises(UnsupportedOperator) as err:
        load_onnx(path)
    exc = err.value
    assert (exc.op, exc.node, exc.opset) == ("NonMaxSuppression", "nms_1", 13)
    assert "'NonMaxSuppression'" in str(exc) and "'nms_1'" in str(exc) and "opset 13" in str(exc)
    assert str(path) in str(exc)


def test_opset_out_of_range(tmp_path: Path) -> None:
    for opset in (9, 22):
        model = make_model([node("Relu", ["x"], ["y"], "relu")], [vi("x", [1, 4])], ["y"], opset=opset)
        path = save(tmp_path, model, f"m{opset}.onnx")
        with pytest.raises(AccelkitError, match=f"opset {opset} is not supported") as err:
            load_onnx(path)
        assert str(path) in str(err.value) and "11 to 21" in str(err.value)


def test_unnamed_and_duplicate_node_names_get_unique_layer_names(tmp_path: Path) -> None:
    nodes = [
        helper.make_node("Relu", ["x"], ["a"]),
        node("Sigmoid", ["a"], ["b"], "act"),
        node("Tanh", ["a"], ["c"], "act"),
        node("Add", ["b", "c"], ["y"], ""),
    ]
    net = load(tmp_path, make_model(nodes, [vi("x", [1, 4])], ["y"]))
    names = [layer.name for layer in net.layers]
    assert names == ["Relu_a", "act", "act_2", "Add_y"] and len(set(names)) == 4


# ---- weights ----------------------------------------------------------------------------------------------------
def test_missing_external_weights_import_shapes_only(tmp_path: Path) -> None:
    model = _residual_block()
    path = tmp_path / "ext.onnx"
    onnx.save_model(model, str(path), save_as_external_data=True, location="ext.bin", size_threshold=0)
    with_data = load_onnx(path)
    assert with_data.provenance["weights"] == "measured" and with_data.layers[0].weight_stats is not None
    (tmp_path / "ext.bin").unlink()
    net = load_onnx(path)
    assert (net.macs, net.params) == (with_data.macs, with_data.params)
    assert net.provenance["weights"] == "absent" and "w1" in net.provenance["missing_weights"]
    assert "could not be read" in net.provenance["weights_note"]
    assert all(layer.weight_stats is None for layer in net.layers)
    assert [layer.fused for layer in net.layers] == [layer.fused for layer in with_data.layers]


def test_provenance(tmp_path: Path) -> None:
    path = save(tmp_path, _residual_block())
    net = load_onnx(path, name="block")
    prov = net.provenance
    assert net.name == "block" and load_onnx(path).name == "model"
    assert (prov["format"], prov["source"], prov["opset"], prov["producer"]) == (
        "onnx",
        str(path),
        13,
        "accelkit-tests",
    )
    assert prov["elided_ops"] == {"folded_batchnorm": 2, "fused_activation": 2}
    assert len(prov["folded"]) == 4 and prov["constant_folded"] == {}


# ---- property: conv MACs against onnxruntime ------------------------------------------------------------------------
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    groups=st.integers(1, 3),
    cin_g=st.integers(1, 3),
    cout_g=st.integers(1, 3),
    kernel=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    stride=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    dilation=st.tuples(st.integers(1, 2), st.integers(1, 2)),
    pads=st.tuples(*[st.integers(0, 2)] * 4),
    auto_pad=st.sampled_from(["NOTSET", "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"]),
    hw=st.tuples(st.integers(7, 12), st.integers(7, 12)),
)
def test_conv_macs_match_onnxruntime(
    tmp_path: Path,
    groups: int,
    cin_g: int,
    cout_g: int,
    kernel: tuple[int, int],
    stride: tuple[int, int],
    dilation: tuple[int, int],
    pads: tuple[int, int, int, int],
    auto_pad: str,
    hw: tuple[int, int],
) -> None:
    ort = pytest.importorskip("onnxruntime")
    for i in range(2):  # the dilated window must fit the (padded) input
        extra = (pads[i] + pads[i + 2]) if auto_pad == "NOTSET" else 0
        assume(auto_pad.startswith("SAME") or hw[i] + extra >= dilation[i] * (kernel[i] - 1) + 1)
    c, k = groups * cin_g, groups * cout_g
    attrs: dict[str, Any] = {"group": groups, "strides": list(stride), "dilations": list(dilation)}
    attrs |= {"pads": list(pads)} if auto_pad == "NOTSET" else {"auto_pad": auto_pad}
    model = make_model(
        [node("Conv", ["x", "w"], ["y"], "conv", **attrs)],
        [vi("x", [1, c, *hw])],
        ["y"],
        [init("w", rand(k, cin_g, *kernel))],
        ir_version=8,
    )
    path = save(tmp_path, model, "prop.onnx")
    if auto_pad.startswith("SAME") and dilation != (1, 1):
        # onnxruntime refuses dilated SAME convolutions: the reference is ONNX shape inference
        inferred = onnx.shape_inference.infer_shapes(model).graph.output[0].type.tensor_type.shape.dim
        k_out, p, q = (d.dim_value for d in inferred[1:])
    else:
        ort.set_default_logger_severity(3)
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        (out,) = session.run(None, {"x": rand(1, c, *hw)})
        _, k_out, p, q = out.shape
    assert k_out == k
    (layer,) = load_onnx(path).layers
    assert (p, q) == (layer.P, layer.Q)
    assert layer.macs == 1 * k * c // groups * p * q * kernel[0] * kernel[1]
    assert layer.op is (OpKind.DEPTHWISE if groups == c and groups > 1 else OpKind.CONV)


# ---- regressions found by fuzzing against onnxruntime ---------------------------------------------------------------
def test_ceil_mode_pool_window_starting_past_the_input_is_dropped(tmp_path: Path) -> None:
    # 1x1 window, stride 2, ceil_mode over 4 pixels: windows start at 0 and 2; a third would start at 4, outside
    # the input, so onnxruntime and PyTorch give 2. onnx's shape inference says 3: the importer corrects it and
    # propagates the corrected shape to the consumers.
    nodes = [
        node("MaxPool", ["x"], ["p"], "pool", kernel_shape=[1, 1], strides=[2, 2], ceil_mode=1),
        node("Conv", ["p", "w"], ["y"], "conv"),
    ]
    net = load(tmp_path, make_model(nodes, [vi("x", [1, 1, 4, 4])], ["y"], [init("w", rand(2, 1, 1, 1))]))
    pool, conv = net.layers
    assert (pool.P, pool.Q) == (2, 2) and (conv.P, conv.Q) == (2, 2) and conv.macs == 2 * 4
    (fix,) = net.provenance["shape_inference_corrections"]
    assert fix == {"tensor": "p", "onnx_shape_inference": [1, 1, 3, 3], "used": [1, 1, 2, 2]}


def test_conv_transpose_same_never_pads_negatively(tmp_path: Path) -> None:
    # kernel 1, stride 2 over 2 pixels: the unpadded output is (2-1)*2 + 1 = 3 < 2*2, so SAME gives 3 (not 4)
    model = make_model(
        [node("ConvTranspose", ["x", "w"], ["y"], "deconv", strides=[2, 2], auto_pad="SAME_UPPER")],
        [vi("x", [1, 2, 2, 2])],
        ["y"],
        [init("w", rand(2, 3, 1, 1))],
    )
    net = load(tmp_path, model)
    assert net.tensors["y"].shape == (1, 3, 3, 3) and net.layers[0].macs == 3 * 2 * 4


# ---- more graph patterns -------------------------------------------------------------------------------------------
def test_gemm_trans_a_adds_a_transpose(tmp_path: Path) -> None:
    model = make_model(
        [node("Gemm", ["x", "w"], ["y"], "gemm", transA=1)], [vi("x", [6, 2])], ["y"], [init("w", rand(6, 3))]
    )
    net = load(tmp_path, model)
    transpose, fc = net.layers
    assert transpose.name == "gemm.transA" and transpose.op is OpKind.OTHER
    assert (fc.N, fc.C, fc.K, fc.macs) == (2, 6, 3, 36) and net.tensors["y"].shape == (2, 3)


def test_shape_chain_that_inference_cannot_resolve(tmp_path: Path) -> None:
    # Reshape(x, Cast(Concat(Constant[-1], ReduceProd(Slice(Shape(x)))))) -- a flatten as some exporters write
    # it; onnx's data propagation stops at ReduceProd, the importer folds the chain and evaluates the Reshape.
    nodes = [
        node("Shape", ["x"], ["s"], "shape"),
        node("Slice", ["s", "start", "end"], ["tail"], "slice_tail"),
        node("ReduceProd", ["tail"], ["prod"], "prod", keepdims=1),
        node("Constant", [], ["n"], "minus_one", value=numpy_helper.from_array(np.array([-1], np.int64))),
        node("Concat", ["n", "prod"], ["target"], "concat", axis=0),
        node("Cast", ["target"], ["target64"], "cast", to=TP.INT64),
        node("Reshape", ["x", "target64"], ["r"], "reshape"),
        node("MatMul", ["r", "w"], ["y"], "fc"),
    ]
    inits = [init("start", [1], np.int64), init("end", [3], np.int64), init("w", rand(12, 5))]
    model = make_model(nodes, [vi("x", [2, 3, 4])], ["y"], inits, output_shapes={"y": ["a", "b"]})
    net = load(tmp_path, model)
    (fc,) = net.layers
    assert net.tensors["r"].shape == (2, 12) and (fc.N, fc.C, fc.K) == (2, 12, 5)
    assert set(net.provenance["constant_folded"]) == {"Shape", "Slice", "ReduceProd", "Constant", "Concat", "Cast"}


@pytest.mark.parametrize(
    ("nodes", "inputs", "inits", "op", "reason"),
    [
        (
            [node("Gather", ["table", "ids"], ["y"], "column_gather", axis=1)],
            [vi("ids", [1, 4], TP.INT64)],
            [init("table", rand(10, 8))],
            "Gather",
            "row lookup",
        ),
        (
            [node("Where", ["c", "x", "x"], ["y"], "where")],
            [vi("c", [1, 4], TP.BOOL), vi("x", [1, 4])],
            [],
            "Where",
            "not supported",
        ),
        (
            [node("Conv", ["x", "wx"], ["y"], "dyn_conv")],
            [vi("x", [1, 2, 4, 4]), vi("wx", [3, 2, 1, 1])],
            [],
            "Conv",
            "not a constant",
        ),
    ],
)
def test_more_unsupported_constructs(
    tmp_path: Path, nodes: list, inputs: list, inits: list, op: str, reason: str
) -> None:
    path = save(tmp_path, make_model(nodes, inputs, ["y"], inits, opset=17))
    with pytest.raises(UnsupportedOperator, match=reason) as err:
        load_onnx(path)
    assert err.value.op == op and err.value.node == nodes[0].name and str(path) in str(err.value)


def test_registry_extension_point(tmp_path: Path) -> None:
    model = make_model([node("Mish", ["x"], ["y"], "mish")], [vi("x", [1, 4])], ["y"], opset=18)
    with pytest.raises(UnsupportedOperator, match="'Mish'"):
        load(tmp_path, model)

    @ONNX_OPS.register("Mish")
    def mish(imp: Any, n: onnx.NodeProto) -> None:
        x = imp.activation(n, n.input[0])
        imp.builder.activation(x, "mish", name=imp.layer_name(n), out=n.output[0], op_type="Mish")

    try:
        (layer,) = load(tmp_path, model).layers
        assert (layer.name, layer.attrs["fn"], layer.op_type) == ("mish", "mish", "Mish")
    finally:
        ONNX_OPS._items.pop("Mish")


def test_batchnorm_folds_into_gemm(tmp_path: Path) -> None:
    nodes = [
        node("Gemm", ["x", "w"], ["g"], "fc", transB=1),  # no bias: BN adds beta as bias + gamma
        node("BatchNormalization", ["g", "s", "b", "m", "v"], ["y"], "bn1d"),
    ]
    inits = [init("w", rand(6, 10)), *[init(k, np.ones(6)) for k in "sbmv"]]
    (fc,) = load(tmp_path, make_model(nodes, [vi("x", [2, 10])], ["y"], inits)).layers
    assert fc.op is OpKind.FC and fc.fused == ("BatchNormalization",)
    assert fc.params == 60 + 6 + 6 and fc.macs == 2 * 6 * 10


def test_sparse_initializer_is_densified(tmp_path: Path) -> None:
    # a 4x3x1x1 conv weight with 3 non-zeros, stored as a sparse initializer (linearized indices)
    values = init("w", [1.0, 2.0, 3.0])
    sparse = helper.make_sparse_tensor(values, init("w_idx", [0, 5, 11], np.int64), [4, 3, 1, 1])
    graph = helper.make_graph(
        [node("Conv", ["x", "w"], ["y"], "conv")], "g", [vi("x", [1, 3, 2, 2])], [vi("y", [1, 4, 2, 2])]
    )
    graph.sparse_initializer.append(sparse)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    (conv,) = load(tmp_path, model).layers
    assert conv.weight_stats.zeros == 9 and conv.density[Operand.WEIGHT] == pytest.approx(0.25)
    assert conv.params == 12 and conv.macs == 4 * 3 * 4


def test_embedding_and_layernorm(tmp_path: Path) -> None:
    """Token + position embeddings, LayerNormalization (opset 17) and a projection: a BERT-style input block."""
    nodes = [
        node("Gather", ["tok_table", "ids"], ["tok"], "tok_embed"),  # (1, 4) ids -> (1, 4, 8)
        node("Gather", ["tok_table", "ids2"], ["tok2"], "tok_embed_again"),  # the same table: counted once
        node("Add", ["tok", "pos"], ["e"], "add_pos"),  # a (4, 8) position embedding: 32 parameters
        node("Add", ["e", "tok2"], ["e2"], "add_tok2"),
        node("LayerNormalization", ["e2", "ln_g", "ln_b"], ["n"], "ln", axis=-1),
        node("MatMul", ["n", "w"], ["y"], "proj"),
    ]
    inits = [init("tok_table", rand(10, 8)), init("pos", rand(4, 8)), init("ln_g", rand(8)), init("ln_b", rand(8))]
    inits.append(init("w", rand(8, 8)))
    inputs = [vi("ids", [1, 4], TP.INT64), vi("ids2", [1, 4], TP.INT64)]
    net = load(tmp_path, make_model(nodes, inputs, ["y"], inits, opset=17))
    by_name = {layer.name: layer for layer in net.layers}
    tok = by_name["tok_embed"]
    assert tok.op is OpKind.OTHER and tok.attrs["fn"] == "gather" and tok.params == 80
    assert tok.inputs == ("ids", "tok_table") and net.tensors["tok"].shape == (1, 4, 8)
    assert by_name["tok_embed_again"].params == 0
    assert by_name["add_pos"].params == 32 and by_name["add_pos"].inputs == ("tok",)
    ln = by_name["ln"]
    assert (ln.attrs["fn"], ln.op_type, ln.params, ln.ops) == ("layernorm", "LayerNormalization", 16, 5 * 32)
    assert by_name["proj"].macs == 4 * 8 * 8
    assert net.params == 80 + 32 + 16 + 64


# ---- the remaining registered operators, one tiny model each ---------------------------------------------------------
_X = (1, 2, 4, 4)  # 32 elements
OTHER_OPS: list[tuple[str, dict[str, Any], list[onnx.TensorProto], tuple[int, ...], OpKind, tuple[int, ...], int]] = [
    # (op, attributes, constant second input, input shape, layer kind, output shape, non-MAC ops)
    ("ReduceMax", {"axes": [2, 3], "keepdims": 1}, [], _X, OpKind.POOL, (1, 2, 1, 1), 32),
    ("Max", {}, [init("k", rand(1, 2, 1, 1))], _X, OpKind.ELTWISE, _X, 32),
    ("Min", {}, [init("k", rand(4))], _X, OpKind.ELTWISE, _X, 32),
    ("Pow", {}, [init("k", 2.0)], _X, OpKind.ELTWISE, _X, 32),
    ("Elu", {"alpha": 1.0}, [], _X, OpKind.ELTWISE, _X, 32),
    ("LogSoftmax", {"axis": 1}, [], _X, OpKind.ELTWISE, _X, 3 * 32),
    ("Expand", {}, [init("k", [2, 1, 1, 1], np.int64)], _X, OpKind.OTHER, (2, 2, 4, 4), 0),
    ("Tile", {}, [init("k", [1, 1, 2, 1], np.int64)], _X, OpKind.OTHER, (1, 2, 8, 4), 0),
    ("DepthToSpace", {"blocksize": 2}, [], (1, 8, 2, 2), OpKind.OTHER, (1, 2, 4, 4), 0),
    ("SpaceToDepth", {"blocksize": 2}, [], _X, OpKind.OTHER, (1, 8, 2, 2), 0),
    ("Sqrt", {}, [], _X, OpKind.ELTWISE, _X, 32),
    ("Exp", {}, [], _X, OpKind.ELTWISE, _X, 32),
    ("Neg", {}, [], _X, OpKind.ELTWISE, _X, 32),
    ("Abs", {}, [], _X, OpKind.ELTWISE, _X, 32),
    ("Erf", {}, [], _X, OpKind.ELTWISE, _X, 32),
    ("Reciprocal", {}, [], _X, OpKind.ELTWISE, _X, 32),
    ("Cast", {"to": TP.FLOAT16}, [], _X, OpKind.ELTWISE, _X, 32),
]

#: Operators exercised by the tests above this table.
_TESTED_ELSEWHERE = {
    "Conv", "ConvTranspose", "ConvInteger", "QLinearConv", "Gemm", "MatMul", "MatMulInteger", "QLinearMatMul",
    "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "ReduceMean", "Add", "Sub", "Mul", "Div",
    "Concat", "Relu", "Clip", "Sigmoid", "HardSwish", "HardSigmoid", "Tanh", "LeakyRelu", "Gelu", "Softmax",
    "BatchNormalization", "LayerNormalization", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout",
    "Transpose", "Pad", "Resize", "Slice", "Gather", "Split", "QuantizeLinear", "DequantizeLinear",
}  # fmt: skip


def test_every_registered_operator_is_tested() -> None:
    assert set(ONNX_OPS.names()) == _TESTED_ELSEWHERE | {row[0] for row in OTHER_OPS}


@pytest.mark.parametrize(("op", "attrs", "consts", "in_shape", "kind", "out_shape", "ops"), OTHER_OPS)
def test_other_operators(
    tmp_path: Path,
    op: str,
    attrs: dict[str, Any],
    consts: list[onnx.TensorProto],
    in_shape: tuple[int, ...],
    kind: OpKind,
    out_shape: tuple[int, ...],
    ops: int,
) -> None:
    inputs = ["x", *(c.name for c in consts)]
    model = make_model([node(op, inputs, ["y"], "the_op", **attrs)], [vi("x", in_shape)], ["y"], consts)
    net = load(tmp_path, model)
    (layer,) = net.layers
    assert (layer.name, layer.op, layer.op_type, layer.ops, layer.macs) == ("the_op", kind, op, ops, 0)
    assert net.tensors["y"].shape == out_shape and layer.inputs == ("x",)
    if op == "Cast":
        assert net.tensors["y"].dtype == FP16 and layer.precision[Operand.INPUT] == FP32


@pytest.mark.parametrize(
    "attrs",
    [{"strides": [0, 0]}, {"pads": [1, 1]}, {"dilations": [0, 0]}],
    ids=["zero-stride", "short-pads", "zero-dilation"],
)
def test_malformed_conv_attributes_are_clear_errors(tmp_path: Path, attrs: dict[str, object]) -> None:
    model = make_model(
        [node("Conv", ["x", "w"], ["y"], "bad_conv", **attrs)],
        [vi("x", [1, 3, 8, 8])],
        ["y"],
        [init("w", rand(4, 3, 3, 3))],
        output_shapes={"y": [1, 4, 8, 8]},
    )
    path = save(tmp_path, model)
    with pytest.raises((UnsupportedOperator, ShapeError, NetworkFileError)) as err:
        load_onnx(path)
    assert str(path) in str(err.value) and "bad_conv" in str(err.value)


@pytest.mark.parametrize(
    ("op", "w_shape", "x_shape", "kernel_shape", "expected"),
    [
        ("Conv", (4, 3, 3, 3), [1, 3, 8, 8], [5, 5], [3, 3]),
        ("Conv", (4, 3, 3, 3), [1, 3, 8, 8], [3], [3, 3]),
        ("Conv", (4, 3, 5), [1, 3, 16], [3], [5]),
        ("ConvTranspose", (3, 4, 3, 3), [1, 3, 8, 8], [2, 2], [3, 3]),
    ],
    ids=["conv", "conv-short", "conv1d", "conv-transpose"],
)
def test_kernel_shape_that_disagrees_with_the_weight_is_rejected(
    tmp_path: Path, op: str, w_shape: tuple[int, ...], x_shape: list[int], kernel_shape: list[int], expected: list[int]
) -> None:
    """ONNX shape inference trusts ``kernel_shape``; the MACs would then follow the attribute, not the weight."""
    model = make_model(
        [node(op, ["x", "w"], ["y"], "odd_kernel", kernel_shape=kernel_shape)],
        [vi("x", x_shape)],
        ["y"],
        [init("w", rand(*w_shape))],
        output_shapes={"y": [1, 4, *([4] * (len(x_shape) - 2))]},
    )
    path = save(tmp_path, model)
    with pytest.raises(UnsupportedOperator) as err:
        load_onnx(path)
    exc, msg = err.value, str(err.value)
    assert (exc.op, exc.node, exc.opset) == (op, "odd_kernel", 13)
    assert str(path) in msg and "kernel_shape" in msg and "'w'" in msg
    assert f"expected kernel_shape {expected}" in msg and f"got {kernel_shape}" in msg


def test_kernel_shape_that_repeats_the_weight_is_accepted(tmp_path: Path) -> None:
    model = make_model(
        [node("Conv", ["x", "w"], ["y"], "conv", kernel_shape=[3, 1])],
        [vi("x", [1, 3, 8, 8])],
        ["y"],
        [init("w", rand(4, 3, 3, 1))],
    )
    (layer,) = load(tmp_path, model).layers
    assert (layer.R, layer.S) == (3, 1) and layer.macs == conv_macs(1, 4, 3, 1, 6, 8, 3, 1)
