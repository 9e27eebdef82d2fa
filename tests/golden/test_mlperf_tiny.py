"""Golden test: the official MLPerf Tiny ``.tflite`` files, imported, against the published totals and the zoo.

Published totals (MACs / parameters) from validation.md section 3.1 and the models' SOURCE.md; the zoo
definitions (``accelkit.workload.zoo.mlperf_tiny``) must describe the same compute layers, in the same order.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from accelkit.workload.ir import DataType, Layer, Network, Operand, OpKind
from accelkit.workload.tflite_import import load_tflite
from accelkit.workload.zoo import get_network

INT8, INT32, FP32 = DataType("int", 8), DataType("int", 32), DataType("fp", 32)

#: zoo name -> (int8 file, float file, published MACs, published parameters)
MODELS: dict[str, tuple[str, str, int, int]] = {
    "mlperf_tiny_kws": ("kws_ref_model.tflite", "kws_ref_model_float32.tflite", 2_656_768, 22_604),
    "mlperf_tiny_vww": ("vww_96_int8.tflite", "vww_96_float.tflite", 7_489_664, 210_850),
    "mlperf_tiny_ic": ("pretrainedResnet_quant.tflite", "pretrainedResnet.tflite", 12_501_632, 77_706),
    "mlperf_tiny_ad": ("ad01_int8.tflite", "ad01_fp32.tflite", 264_192, 265_864),
}
CASES = [(zoo, quant) for zoo in MODELS for quant in ("int8", "float")]


@cache
def _load(path: str) -> Network:
    return load_tflite(path)


def imported(mlperf_dir: Path, zoo: str, quant: str) -> Network:
    int8_file, float_file, _, _ = MODELS[zoo]
    return _load(str(mlperf_dir / (int8_file if quant == "int8" else float_file)))


def signature(layer: Layer) -> tuple:
    """Everything that defines a compute layer's work, independent of names and precision."""
    return (layer.op, dict(layer.dims), layer.stride, layer.dilation, layer.padding, layer.params, layer.bias)


@pytest.mark.parametrize(("zoo", "quant"), CASES)
def test_totals_equal_the_published_figures(mlperf_dir: Path, zoo: str, quant: str) -> None:
    net = imported(mlperf_dir, zoo, quant)
    _, _, macs, params = MODELS[zoo]
    assert (net.macs, net.params) == (macs, params)


@pytest.mark.parametrize(("zoo", "quant"), CASES)
def test_compute_layers_match_the_zoo(mlperf_dir: Path, zoo: str, quant: str) -> None:
    net = imported(mlperf_dir, zoo, quant)
    ref = get_network(zoo)
    got = [signature(layer) for layer in net.compute_layers]
    want = [signature(layer) for layer in ref.compute_layers]
    assert len(got) == len(want)
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        assert g == w, f"compute layer {i}: imported {net.compute_layers[i].name} != zoo {ref.compute_layers[i].name}"


@pytest.mark.parametrize(("zoo", "quant"), CASES)
def test_every_layer_matches_the_zoo(mlperf_dir: Path, zoo: str, quant: str) -> None:
    """Pooling, residual adds and softmax too: same work (ops), same fused activations, same order."""
    net = imported(mlperf_dir, zoo, quant)
    ref = get_network(zoo)
    assert [layer.op for layer in net.layers] == [layer.op for layer in ref.layers]
    for layer, z in zip(net.layers, ref.layers, strict=True):
        assert (*signature(layer), layer.ops, layer.fused) == (*signature(z), z.ops, z.fused), (layer.name, z.name)


@pytest.mark.parametrize(("zoo", "quant"), CASES)
def test_precision_and_measured_weights(mlperf_dir: Path, zoo: str, quant: str) -> None:
    net = imported(mlperf_dir, zoo, quant)
    for layer in net.compute_layers:
        stats = layer.weight_stats
        assert stats is not None and stats.elements == layer.weight_elements
        assert 0.0 < layer.density[Operand.WEIGHT] <= 1.0
        assert layer.density[Operand.WEIGHT] == pytest.approx(stats.density)
        weight_dtype = layer.precision[Operand.WEIGHT]
        if quant == "int8":
            assert layer.precision[Operand.INPUT] == INT8 and weight_dtype == INT8
            assert layer.precision[Operand.OUTPUT] == INT8 and layer.bias_dtype == INT32
        else:
            assert layer.precision[Operand.INPUT] == FP32 and layer.bias_dtype == FP32
        if weight_dtype.is_float:  # float weights: no entropy
            assert stats.entropy_bits is None
        else:  # int8 weights (also the int8 convolutions of the hybrid KWS "float32" file)
            assert weight_dtype == INT8 and 0.0 < stats.entropy_bits <= 8.0
            assert net.tensors[layer.weight_tensor].quantization is not None


@pytest.mark.parametrize("quant", ["int8", "float"])
def test_resnet8_residual_adds_and_skip_branches(mlperf_dir: Path, quant: str) -> None:
    net = imported(mlperf_dir, "mlperf_tiny_ic", quant)
    ref = get_network("mlperf_tiny_ic")
    # imported compute layers line up with the zoo's (checked above): name them by the zoo
    zoo_name = {layer.name: z.name for layer, z in zip(net.compute_layers, ref.compute_layers, strict=True)} | {
        layer.name: f"add{i}" for i, layer in enumerate(only(net, OpKind.ELTWISE, "ADD"), start=1)
    }
    adds = only(net, OpKind.ELTWISE, "ADD")
    assert len(adds) == 3 and all(a.macs == 0 and a.fused == ("relu",) for a in adds)
    branches = [sorted(zoo_name[p.name] for p in net.predecessors(a)) for a in adds]
    assert branches == [["conv1", "s1_b"], ["s2_b", "s2_skip"], ["s3_b", "s3_skip"]]
    # the block input feeds both branches of the next block: identity skip in stage 1, projections after
    assert sorted(zoo_name[s.name] for s in net.successors(adds[0])) == ["s2_a", "s2_skip"]
    assert sorted(zoo_name[s.name] for s in net.successors(adds[1])) == ["s3_a", "s3_skip"]
    conv1 = net.compute_layers[0]
    assert sorted(zoo_name[s.name] for s in net.successors(conv1)) == ["add1", "s1_a"]


@pytest.mark.parametrize(("zoo", "quant"), CASES)
def test_provenance(mlperf_dir: Path, zoo: str, quant: str) -> None:
    net = imported(mlperf_dir, zoo, quant)
    prov = net.provenance
    assert prov["format"] == "tflite" and prov["schema_version"] == 3 and prov["subgraphs"] == 1
    assert Path(prov["source"]).name in MODELS[zoo][:2]
    # the flatten before the classifier is a free view (AD has none)
    assert prov["elided_ops"] == ({} if zoo == "mlperf_tiny_ad" else {"RESHAPE": 1})


def only(net: Network, op: OpKind, op_type: str) -> list[Layer]:
    return [layer for layer in net.layers if layer.op is op and layer.op_type == op_type]
