"""Golden reproductions for the precision blocks (validation.md section 4, the catalog's cited figures).

* Binary weights give 32x weight storage vs fp32 (Rastegari et al., XNOR-Net, ECCV 2016, abstract) -- on AlexNet
  through the quantization block and ``storage_bytes`` (filters exactly 32x; with the 10,568 biases kept at 32 bits
  the whole parameter store is 31.8x).
* Ternary weights: 2-bit filters, 16x (TWN 'up to 16x', TTQ 'nearly 16x').
* 3-bit logarithmic codes: 32/3 = 10.7x (Miyashita et al. 2016; the catalog's computed figure).
"""

from __future__ import annotations

import pytest

import accelkit
from accelkit import kit
from accelkit.model.evaluate import storage_bytes
from accelkit.optimizations import make_block
from accelkit.workload.ir import Operand


def _catalog(tid: str, metric: str) -> float:
    return next(e.value for e in kit.get(tid).effects if e.metric.value == metric)


@pytest.fixture(scope="module")
def alexnet() -> accelkit.Network:
    net = accelkit.load_network("alexnet")
    assert all(layer.bits_of(Operand.WEIGHT) == 32 for layer in net.layers if layer.has_weights)  # fp32 reference
    return net


def _filters_bits(net: accelkit.Network) -> float:
    return sum(layer.weight_elements * layer.bits_of(Operand.WEIGHT) for layer in net.layers if layer.has_weights)


@pytest.mark.parametrize(
    ("fmt", "tid"), [("binary", "binary-weights"), ("ternary", "ternary-weights"), ("log3", "logarithmic-quantization")]
)
def test_weight_storage_ratio_vs_fp32(alexnet: accelkit.Network, fmt: str, tid: str) -> None:
    arch = accelkit.load_accelerator("eyeriss_v1")
    block = make_block({"kind": "quantization", "weights": fmt, "datapath": "keep"})
    q = block.network(alexnet, arch)
    published = _catalog(tid, "memory")
    filters = _filters_bits(alexnet) / _filters_bits(q)
    assert filters == pytest.approx(published, rel=0.01)
    whole = storage_bytes(alexnet)[0] / storage_bytes(q)[0]  # biases stay at 32 bits (the accumulator)
    assert whole == pytest.approx(published, rel=0.01)
    assert whole < filters


def test_binary_weights_through_evaluate_memory() -> None:
    """End to end on an MLPerf Tiny model: Evaluation.memory() reports the binary weight store."""
    ev0 = accelkit.evaluate("mlperf_tiny_ad", "tinyml_int8")
    ev = accelkit.evaluate(
        "mlperf_tiny_ad", "tinyml_int8", optimizations=[{"kind": "quantization", "weights": "binary"}]
    )
    w_elems = sum(layer.weight_elements for layer in ev.network.layers if layer.has_weights)
    bias_bytes = sum(layer.bias_elements * layer.bias_dtype.bits / 8 for layer in ev.network.layers if layer.bias)
    assert ev.memory()["weight_bytes"] == pytest.approx(w_elems / 8 + bias_bytes)
    # int8 -> binary filters: 8x on the filters
    assert (ev0.memory()["weight_bytes"] - bias_bytes) / (ev.memory()["weight_bytes"] - bias_bytes) == pytest.approx(8)
