"""The numpy reference executor: against onnxruntime on tiny ONNX models built with ``onnx.helper``, on the real
MLPerf Tiny TFLite models (int8 against their float twins), and the kept-constants store it runs from."""

from __future__ import annotations

import pickle
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from onnx import TensorProto as TP
from onnx import helper, numpy_helper

from accelkit.workload import loader
from accelkit.workload.execute import ExecutionError, execute, measure_activation_density
from accelkit.workload.ir import Constants, Network, OpKind
from accelkit.workload.loader import load_network
from accelkit.workload.onnx_import import load_onnx
from accelkit.workload.tflite_import import load_tflite

ort = pytest.importorskip("onnxruntime")

MODELS = Path(__file__).resolve().parents[3] / "shared" / "models" / "mlperf-tiny"
if not MODELS.is_dir():  # the layout of the shared workspace: <work>/shared/models next to <work>/main
    MODELS = Path("/work/shared/models/mlperf-tiny")
needs_models = pytest.mark.skipif(not MODELS.is_dir(), reason=f"MLPerf Tiny models not found at {MODELS}")


# ---- tiny ONNX models ---------------------------------------------------------------------------------------------
def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _init(name: str, values: Any) -> onnx.TensorProto:
    return numpy_helper.from_array(np.asarray(values, dtype=np.float32), name)


def _save(
    tmp_path: Path,
    nodes: Sequence[onnx.NodeProto],
    inputs: dict[str, Sequence[int]],
    outputs: Sequence[str],
    inits: Sequence[onnx.TensorProto] = (),
    opset: int = 17,
) -> Path:
    graph = helper.make_graph(
        list(nodes),
        "t",
        [helper.make_tensor_value_info(k, TP.FLOAT, list(v)) for k, v in inputs.items()],
        [onnx.ValueInfoProto(name=o) for o in outputs],
        initializer=list(inits),
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    types = {o.name: o.type for o in onnx.shape_inference.infer_shapes(model).graph.output}
    for o in model.graph.output:
        o.type.CopyFrom(types[o.name])
    path = tmp_path / "m.onnx"
    onnx.save(model, path)
    return path


def _compare(path: Path, rtol: float = 1e-4, atol: float = 1e-4) -> tuple[Network, Any]:
    """Run the model with onnxruntime and the executor on the same input; every graph output must agree."""
    net = load_onnx(path)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feeds = {i.name: _rng(1).standard_normal(net.tensors[i.name].shape).astype(np.float32) for i in sess.get_inputs()}
    want = dict(zip([o.name for o in sess.get_outputs()], sess.run(None, feeds), strict=True))
    got = execute(net, feeds, keep_values=True)
    for name, value in want.items():
        np.testing.assert_allclose(got.values[name].reshape(value.shape), value, rtol=rtol, atol=atol, err_msg=name)
        assert got.tensor_density[name] == pytest.approx(np.count_nonzero(value) / value.size)
    return net, got


def _conv_w(k: int, c: int, r: int, s: int, seed: int = 0) -> np.ndarray:
    return _rng(seed).standard_normal((k, c, r, s)).astype(np.float32) * 0.3


@pytest.mark.parametrize(
    ("group", "k", "kernel", "stride", "pads", "dilation"),
    [
        (1, 8, 3, (1, 1), (1, 1, 1, 1), (1, 1)),  # same conv
        (1, 6, 3, (2, 2), (0, 1, 1, 0), (1, 1)),  # strided, asymmetric padding
        (1, 4, (3, 1), (1, 2), (2, 0, 2, 0), (2, 1)),  # dilated, non-square
        (4, 4, 3, (1, 1), (1, 1, 1, 1), (1, 1)),  # depthwise
        (4, 8, 3, (2, 2), (1, 1, 1, 1), (1, 1)),  # depthwise, multiplier 2
        (2, 6, 1, (1, 1), (0, 0, 0, 0), (1, 1)),  # grouped pointwise
        (1, 5, 1, (1, 1), (0, 0, 0, 0), (1, 1)),  # pointwise
    ],
)
def test_conv_matches_onnxruntime(
    tmp_path: Path, group: int, k: int, kernel: Any, stride: Any, pads: Any, dilation: Any
):
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    w = _conv_w(k, 4 // group, kh, kw)
    bias = _rng(2).standard_normal(k).astype(np.float32)
    node = helper.make_node(
        "Conv", ["x", "w", "b"], ["y"], name="conv", group=group, strides=list(stride), pads=list(pads),
        dilations=list(dilation), kernel_shape=[kh, kw],
    )  # fmt: skip
    relu = helper.make_node("Relu", ["y"], ["z"], name="relu")
    path = _save(tmp_path, [node, relu], {"x": (1, 4, 9, 10)}, ["z"], [_init("w", w), _init("b", bias)])
    net, got = _compare(path)
    layer = net.layers[0]
    assert layer.op is (OpKind.DEPTHWISE if group == 4 else OpKind.CONV) and layer.fused == ("Relu",)
    d = got.layers["conv"]
    assert 0.0 < d.output_density < 1.0 and d.input_density == 1.0


def test_conv1d_batchnorm_and_clip_fold(tmp_path: Path) -> None:
    c, k = 3, 5
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], name="conv", pads=[1, 1]),
        helper.make_node("BatchNormalization", ["c", "g", "be", "m", "v"], ["bn"], name="bn", epsilon=1e-3),
        helper.make_node("Clip", ["bn", "lo", "hi"], ["y"], name="clip"),
    ]
    rng = _rng(3)
    inits = [
        _init("w", rng.standard_normal((k, c, 3))),
        _init("g", rng.uniform(0.5, 1.5, k)),
        _init("be", rng.standard_normal(k)),
        _init("m", rng.standard_normal(k) * 0.1),
        _init("v", rng.uniform(0.5, 2, k)),
        _init("lo", 0.0),
        _init("hi", 0.5),
    ]
    path = _save(tmp_path, nodes, {"x": (1, c, 12)}, ["y"], inits)
    net, _ = _compare(path)
    assert net.layers[0].fused == ("BatchNormalization", "Clip") and len(net.layers) == 1


@pytest.mark.parametrize(
    ("op", "attrs"),
    [
        ("MaxPool", {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}),
        ("MaxPool", {"kernel_shape": [2, 2], "strides": [2, 2], "ceil_mode": 1}),
        ("AveragePool", {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}),
        ("AveragePool", {"kernel_shape": [3, 3], "strides": [1, 1], "pads": [1, 1, 1, 1], "count_include_pad": 1}),
        ("AveragePool", {"kernel_shape": [3, 2], "strides": [2, 2], "ceil_mode": 1}),
        ("GlobalAveragePool", {}),
        ("GlobalMaxPool", {}),
    ],
)
def test_pooling_matches_onnxruntime(tmp_path: Path, op: str, attrs: dict[str, Any]) -> None:
    path = _save(tmp_path, [helper.make_node(op, ["x"], ["y"], name="pool", **attrs)], {"x": (1, 3, 7, 9)}, ["y"])
    net, _ = _compare(path)
    assert net.layers[0].op is OpKind.POOL


def test_fc_add_concat_softmax_match_onnxruntime(tmp_path: Path) -> None:
    """Two branches (Gemm with transB + bias, MatMul + a folded bias Add, LeakyRelu), a residual Add of two
    activations, a Mul by a per-channel constant, Concat, Flatten and Softmax."""
    rng = _rng(4)
    nodes = [
        helper.make_node("Conv", ["x", "wc"], ["c"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["r"], name="relu"),
        helper.make_node("Add", ["r", "x2"], ["res"], name="residual"),
        helper.make_node("Mul", ["scale", "res"], ["sc"], name="scale_mul"),
        helper.make_node("Sub", ["sc", "x2"], ["sb"], name="sub"),
        helper.make_node("Concat", ["sb", "r"], ["cat"], name="concat", axis=1),
        helper.make_node("Flatten", ["cat"], ["flat"], name="flatten"),
        helper.make_node("Gemm", ["flat", "wg", "bg"], ["g"], name="gemm", transB=1, alpha=0.5, beta=2.0),
        helper.make_node("MatMul", ["flat", "wm"], ["mm"], name="matmul"),
        helper.make_node("Add", ["mm", "bm"], ["mmb"], name="bias"),
        helper.make_node("LeakyRelu", ["mmb"], ["lr"], name="leaky", alpha=0.2),
        helper.make_node("Add", ["g", "lr"], ["sum"], name="sum"),
        helper.make_node("Softmax", ["sum"], ["y"], name="softmax"),
    ]
    inits = [
        _init("wc", rng.standard_normal((4, 4, 3, 3)) * 0.3),
        _init("scale", rng.standard_normal((1, 4, 1, 1))),
        _init("wg", rng.standard_normal((10, 8 * 5 * 5)) * 0.1),
        _init("bg", rng.standard_normal(10)),
        _init("wm", rng.standard_normal((8 * 5 * 5, 10)) * 0.1),
        _init("bm", rng.standard_normal(10)),
    ]
    path = _save(tmp_path, nodes, {"x": (1, 4, 5, 5), "x2": (1, 4, 5, 5)}, ["y", "r", "g"], inits)
    net, got = _compare(path)
    assert net.layer("matmul").fused == ("Add", "LeakyRelu")
    assert {"gemm", "matmul", "residual", "concat"} <= set(got.layers)
    assert got.layers["residual"].input_densities[0] == got.tensor_density["r"]


def test_pad_transpose_and_qdq_match_onnxruntime(tmp_path: Path) -> None:
    rng = _rng(5)
    nodes = [
        helper.make_node("Pad", ["x", "pads"], ["p"], name="pad"),
        helper.make_node("Conv", ["p", "w"], ["c"], name="conv"),
        helper.make_node("QuantizeLinear", ["c", "s", "zp"], ["q"], name="q"),
        helper.make_node("DequantizeLinear", ["q", "s", "zp"], ["dq"], name="dq"),
        helper.make_node("Relu", ["dq"], ["r"], name="relu"),
        helper.make_node("Transpose", ["r"], ["y"], name="transpose", perm=[0, 2, 3, 1]),
    ]
    inits = [
        numpy_helper.from_array(np.array([0, 0, 1, 2, 0, 0, 2, 1], dtype=np.int64), "pads"),
        _init("w", rng.standard_normal((3, 2, 3, 3)) * 0.3),
        _init("s", 0.05),
        numpy_helper.from_array(np.array(3, dtype=np.uint8), "zp"),
    ]
    path = _save(tmp_path, nodes, {"x": (1, 2, 6, 6)}, ["y"], inits, opset=13)
    _, got = _compare(path, atol=1e-5)
    q = got.values["q"]
    assert np.allclose(np.round(q / 0.05), q / 0.05, atol=1e-3)  # values sit on the quantized grid


# ---- the MLPerf Tiny models ---------------------------------------------------------------------------------------
#: int8 file, float file, how the outputs must agree on the same real input. The KWS float file is not the int8
#: model's dequantized weights (its weights are the raw integers), so only its densities are compared; uniform
#: noise over the full int8 input range saturates some int8 activations of ResNet-8 (its first ReLU output tops
#: out at 10.0), so there only the predicted class must agree.
PAIRS = {
    "kws": ("kws_ref_model.tflite", "kws_ref_model_float32.tflite", "densities"),
    "vww": ("vww_96_int8.tflite", "vww_96_float.tflite", "close"),
    "ic": ("pretrainedResnet_quant.tflite", "pretrainedResnet.tflite", "argmax"),
    "ad": ("ad01_int8.tflite", "ad01_fp32.tflite", "relative"),
}


@needs_models
@pytest.mark.parametrize("model", sorted(PAIRS))
@pytest.mark.parametrize("seed", [0, 3])
def test_mlperf_tiny_int8_runs_end_to_end_like_its_float_twin(model: str, seed: int) -> None:
    """The int8 model (dequantize-compute-requantize) and the float model on the same real input agree, and the
    post-ReLU activations are partly zero."""
    q_file, f_file, check = PAIRS[model]
    qnet, fnet = load_tflite(MODELS / q_file), load_tflite(MODELS / f_file)
    rq = execute(qnet, seed=seed, keep_values=True)
    x = rq.values[qnet.inputs[0]]
    rf = execute(fnet, {fnet.inputs[0]: x})
    (oq,), (of,) = rq.outputs.values(), rf.outputs.values()
    assert oq.shape == of.shape and np.isfinite(oq).all()
    if check != "relative":
        assert oq.sum() == pytest.approx(1.0, abs=0.02) and of.sum() == pytest.approx(1.0, abs=1e-4)  # softmax
    if check == "close":
        assert np.abs(oq - of).max() < 0.05
    elif check == "argmax":
        assert oq.argmax() == of.argmax()
    elif check == "relative":  # the autoencoder's reconstruction: close relative to its scale
        assert np.abs(oq - of).max() < 0.25 * np.abs(of).max()
    relu = [d.output_density for name, d in rq.layers.items() if "relu" in qnet.layer(name).fused]
    assert relu and all(0.0 < d <= 1.0 for d in relu) and sum(d < 1.0 for d in relu) >= 0.8 * len(relu)
    for d in rq.layers.values():  # int8 and float zeros follow each other (an int8 softmax rounds to zero)
        if qnet.layer(d.layer).attrs.get("fn") != "softmax":
            assert d.output_density == pytest.approx(rf.layers[d.layer].output_density, abs=0.15)
    # a layer's input density is its producer's output density
    for layer in qnet.layers:
        prod = qnet.producer(layer.inputs[0])
        if prod is not None:
            assert rq.layers[layer.name].input_density == pytest.approx(rq.layers[prod.name].output_density)


@needs_models
def test_vww_runs_well_under_a_second() -> None:
    net = load_network(MODELS / "vww_96_int8.tflite")
    execute(net)  # warm-up: prepared weights are cached on the store
    start = time.perf_counter()
    execute(net, seed=1)
    assert time.perf_counter() - start < 0.5


@needs_models
def test_samples_seed_and_memoized_measurement() -> None:
    net = load_network(MODELS / "kws_ref_model.tflite")
    a = execute(net, samples=3, seed=7)
    b = execute(net, samples=3, seed=7)
    c = execute(net, samples=1, seed=8)
    assert a.samples == 3 and a.layers == b.layers and a.layers != c.layers
    m = measure_activation_density(net, samples=2, seed=1)
    assert measure_activation_density(net, samples=2, seed=1) is m


@needs_models
def test_user_input_arrays_in_either_layout(tmp_path: Path) -> None:
    net = load_network(MODELS / "kws_ref_model.tflite")
    shape = net.tensors[net.inputs[0]].shape  # IR (1, 1, 49, 10); the file's layout is NHWC (1, 49, 10, 1)
    x = np.random.default_rng(0).integers(-128, 128, size=(2, 1, 49, 10, 1)).astype(np.int8)
    np.save(tmp_path / "x.npy", x)
    r_nhwc = execute(net, tmp_path / "x.npy")
    r_nchw = execute(net, x.transpose(0, 1, 4, 2, 3))
    assert r_nhwc.samples == 2 and r_nhwc.layers == r_nchw.layers and r_nhwc.seed is None
    with pytest.raises(ExecutionError, match=r"does not fit shape \[1, 1, 49, 10\]"):
        execute(net, np.zeros((3, 7)))
    with pytest.raises(ExecutionError, match="not found"):
        execute(net, tmp_path / "missing.npy")
    assert shape == (1, 1, 49, 10)


# ---- the kept constants -------------------------------------------------------------------------------------------
@needs_models
def test_constants_are_read_only_excluded_from_equality_and_pickle() -> None:
    path = MODELS / "kws_ref_model.tflite"
    a, b = load_network(path), load_network(path, keep_weights=False)
    assert isinstance(a.constants, Constants) and b.constants is None
    assert a == b and a.constants != load_network(path).constants  # identity, never array comparison
    conv = a.compute_layers[0]
    w = a.constants[conv.weight_tensor]
    assert w.dtype == np.int8 and w.shape == a.tensors[conv.weight_tensor].shape and not w.flags.writeable
    assert a.constants.quant(conv.weight_tensor).per_channel
    assert a.constants.nbytes < path.stat().st_size
    c = pickle.loads(pickle.dumps(a))
    assert c == a and np.array_equal(c.constants[conv.weight_tensor], w)
    assert a.with_layers(a.layers[:3], outputs=(a.layers[2].outputs[0],)).constants is a.constants


@needs_models
def test_large_files_get_a_lazy_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    src = MODELS / "kws_ref_model.tflite"
    path = tmp_path / "kws.tflite"
    path.write_bytes(src.read_bytes())
    monkeypatch.setattr(loader, "KEEP_WEIGHTS_MAX_BYTES", 1000)
    net = load_network(path)
    assert net.constants is not None and not net.constants.is_loaded and net.constants.nbytes == 0
    shipped = pickle.dumps(net)
    assert len(shipped) < 30_000  # the loader, not the arrays
    r = execute(pickle.loads(shipped))
    assert r.layers == execute(load_network(src)).layers
    lazy = load_network(path).constants
    path.write_bytes(src.read_bytes() + b"\0")  # changed since import
    with pytest.raises(Exception, match="changed since it was imported"):
        len(lazy)


def test_zoo_networks_have_no_values() -> None:
    net = load_network("mlperf_tiny_kws")
    assert net.constants is None
    with pytest.raises(ExecutionError, match="has no weight values"):
        execute(net)


def test_unsupported_layer_names_it(tmp_path: Path) -> None:
    nodes = [helper.make_node("Resize", ["x", "", "sc"], ["y"], name="up", mode="nearest")]
    path = _save(tmp_path, nodes, {"x": (1, 2, 3, 3)}, ["y"], [_init("sc", [1, 1, 2, 2])])
    with pytest.raises(ExecutionError, match=r"layer 'up' \(Resize\).*'resize' is not supported"):
        execute(load_onnx(path))
