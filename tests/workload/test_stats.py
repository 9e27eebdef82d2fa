"""Network statistics: totals, bytes at layer precision, peak live activation memory, measured weights."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from accelkit.workload.builder import NetworkBuilder
from accelkit.workload.onnx_import import load_onnx
from accelkit.workload.stats import NetworkStats, human_bytes, live_activation_bytes, network_stats
from accelkit.workload.weights import measure_weights
from accelkit.workload.zoo import get_network


def test_totals_equal_sum_of_layers() -> None:
    net = get_network("mlperf_tiny_ic")
    st = network_stats(net)
    assert st.macs == sum(r.macs for r in st.layers) == net.macs == 12_501_632
    assert st.params == net.params == 77_706
    assert st.layer_counts == {"conv": 9, "eltwise": 4, "pool": 1, "fc": 1}


def test_weight_bytes_use_layer_precision() -> None:
    net = get_network("mlperf_tiny_kws")
    st = network_stats(net)
    # int8 weights (22,016) + int32 biases (588): the deployed form of the official int8 model
    assert st.weight_bytes == 22_016 + 4 * 588
    fp = network_stats(get_network("mlperf_tiny_kws", dtype="fp32"))
    assert fp.weight_bytes == 4 * 22_604


def test_peak_live_memory_of_a_residual_block_by_hand() -> None:
    b = NetworkBuilder("res", dtype="int8")
    x = b.input("x", (1, 8, 16, 16))  # 2048 B
    a = b.conv(x, 8, 3, name="a")  # 2048 B; x stays live for the add
    c = b.conv(a, 8, 3, name="b")
    y = b.add(c, x, name="add")
    net = b.build(outputs=[y])
    live = live_activation_bytes(net)
    assert live == [2 * 2048, 3 * 2048, 3 * 2048]
    st = network_stats(net)
    assert st.activation_peak_bytes == 3 * 2048 and st.activation_peak_layer == "b"


def test_views_are_not_counted_twice() -> None:
    b = NetworkBuilder("v", dtype="int8")
    x = b.input("x", (1, 4, 4, 4))
    y = b.conv(x, 4, 1, name="c")
    f = b.view(y, (1, 64), out="flat")
    z = b.fc(f, 2, name="fc")
    net = b.build(outputs=[z])
    assert live_activation_bytes(net) == [128, 66]


def test_batch_scales_activations_not_weights() -> None:
    one = network_stats(get_network("mlperf_tiny_vww"))
    four = network_stats(get_network("mlperf_tiny_vww", batch=4))
    assert four.macs == 4 * one.macs
    assert four.weight_bytes == one.weight_bytes
    assert four.activation_peak_bytes == 4 * one.activation_peak_bytes


def test_measured_density_and_entropy() -> None:
    vals = np.array([0, 0, 1, -1, 2, 2, 2, 2], dtype=np.int8)
    ws = measure_weights(vals)
    assert ws.zeros == 2 and ws.density == pytest.approx(0.75)
    # p = {0: 2/8, 1: 1/8, -1: 1/8, 2: 4/8}
    expected = -(2 * (1 / 8) * math.log2(1 / 8) + (2 / 8) * math.log2(2 / 8) + 0.5 * math.log2(0.5))
    assert ws.entropy_bits == pytest.approx(expected) and ws.unique_values == 4
    fl = measure_weights(np.array([0.0, 0.5, 0.25], dtype=np.float32))
    assert fl.entropy_bits is None and fl.zeros == 1


def test_dataframe_has_one_row_per_layer() -> None:
    net = get_network("mlperf_tiny_ad")
    df = net.to_dataframe()
    assert list(df["name"]) == [layer.name for layer in net.layers]
    assert df["macs"].sum() == 264_192 and df["params"].sum() == 265_864
    assert {"N", "G", "K", "C", "P", "Q", "R", "S", "weight_bytes", "live_bytes", "weight_dtype"} <= set(df.columns)


def test_human_units() -> None:
    assert human_bytes(512) == "512 B"
    assert human_bytes(1536) == "1.50 KiB"
    assert human_bytes(3 * 1024**2) == "3.00 MiB"


def _tied(*, second_weight: str = "shared.w", dtype: str = "int8") -> NetworkStats:
    b = NetworkBuilder("tied", dtype=dtype)
    x = b.input("x", (1, 8, 10, 10))
    a = b.conv(x, 8, 3, name="a", weight_tensor="shared.w")
    c = b.conv(a, 8, 3, name="b", weight_tensor=second_weight)
    return network_stats(b.build(outputs=[c]))


def test_tied_weights_count_once_in_the_totals_but_in_every_row() -> None:
    tied, untied = _tied(), _tied(second_weight="own.w")
    w = 8 * 8 * 3 * 3  # one 3x3 conv's weights
    assert [r.params for r in tied.layers] == [r.params for r in untied.layers]  # each row shows what it reads
    assert tied.params == untied.params - w and tied.shared_weight_params == w
    assert tied.weight_bytes == untied.weight_bytes - w  # int8: one byte per weight
    assert tied.shared_weights == {"b": "a"} and untied.shared_weights == {}
    assert tied.totals_dict()["shared_weight_params"] == w


def test_two_onnx_nodes_reading_one_initializer_store_it_once(tmp_path: Path) -> None:
    w = np.random.default_rng(0).standard_normal((4, 4, 3, 3)).astype(np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("Conv", ["x", "w"], ["h"], name="c1", pads=[1, 1, 1, 1]),
            helper.make_node("Conv", ["h", "w"], ["y"], name="c2", pads=[1, 1, 1, 1]),
        ],
        "tied",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 6, 6])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 6, 6])],
        [numpy_helper.from_array(w, "w")],
    )
    path = tmp_path / "tied.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    st = network_stats(load_onnx(path))
    assert [r.params for r in st.layers] == [w.size, w.size]
    assert st.params == w.size and st.weight_bytes == 4 * w.size and st.shared_weights == {"c2": "c1"}


def test_a_folded_batch_norm_makes_its_own_copy_of_tied_weights() -> None:
    b = NetworkBuilder("tied_bn", dtype="int8")
    x = b.input("x", (1, 8, 10, 10))
    a = b.conv(x, 8, 3, name="a", weight_tensor="shared.w")
    c = b.fold_batchnorm(b.conv(a, 8, 3, name="b", weight_tensor="shared.w"))
    st = network_stats(b.build(outputs=[c]))
    assert st.shared_weights == {} and st.params == sum(r.params for r in st.layers)
