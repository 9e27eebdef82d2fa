"""weight_sharing and huffman: indices + codebook, measured entropy, run-length index entropy, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

import accelkit
from accelkit.model.evaluate import storage_bytes
from accelkit.optimizations import OptimizationError, make_block
from accelkit.optimizations.weight_sharing import binary_entropy, run_entropy
from accelkit.workload.ir import Operand

VWW = Path("/work/shared/models/mlperf-tiny/vww_96_int8.tflite")
ARCH = "edge_npu_int8"


def _apply(net, *blocks):  # type: ignore[no-untyped-def]
    arch = accelkit.load_accelerator(ARCH)
    for b in sorted((make_block(x) for x in blocks), key=lambda b: (b.order, b.kind)):
        net = b.network(net, arch)
    return net


def test_shared_weights_store_indices_and_a_codebook() -> None:
    net = accelkit.load_network("mlperf_tiny_kws")
    out = _apply(net, {"kind": "weight_sharing", "bits": {"conv": 4, "fc": 2}})
    pw1 = out.layer("pw1")
    assert pw1.bits_of(Operand.WEIGHT) == 4
    w = pw1.weight_elements
    stored = pw1.attrs["weight_storage_bits"]
    assert stored == w * 4 + 16 * 8 + pw1.bias_elements * (pw1.bias_dtype.bits if pw1.bias_dtype else 8)
    assert out.layer("fc").bits_of(Operand.WEIGHT) == 2
    assert storage_bytes(out)[0] < 0.6 * storage_bytes(net)[0]


def test_shared_weights_cost_codebook_lookups_and_stay_on_the_narrow_index() -> None:
    ev = accelkit.evaluate("mlperf_tiny_kws", ARCH, optimizations=[{"kind": "weight_sharing", "bits": 4}])
    assert any(r.component == "codebook" and r.energy_j > 0 for r in ev.breakdown)
    assert ev.network.layer("pw1").bits_of(Operand.WEIGHT) == 4  # not cast back to the datapath's 8 bits


def test_wider_indices_than_weights_are_refused() -> None:
    with pytest.raises(OptimizationError, match=r"bits = 16.*wider"):
        _apply(accelkit.load_network("mlperf_tiny_kws"), {"kind": "weight_sharing", "bits": 16})


def test_run_entropy_is_below_the_fixed_run_field() -> None:
    for d in (0.05, 0.2, 0.5, 0.9):
        assert 0 < run_entropy(d, 4) <= 4 + 1e-9
    assert binary_entropy(0.5) == pytest.approx(1.0)


def test_measured_entropy_needs_real_weights() -> None:
    with pytest.raises(OptimizationError, match="bits_per_weight 'measured'"):
        _apply(accelkit.load_network("mlperf_tiny_kws"), {"kind": "huffman"})
    out = _apply(accelkit.load_network("mlperf_tiny_kws"), {"kind": "huffman", "fallback_bits": 6.0})
    assert out.layer("pw1").attrs["weight_encoding"]["huffman_value_bits_all"] == 6.0


@pytest.mark.skipif(not VWW.exists(), reason="MLPerf Tiny models not available")
def test_huffman_uses_the_measured_entropy_of_the_vww_weights() -> None:
    net = accelkit.load_network(str(VWW))
    out = _apply(net, {"kind": "huffman"})
    for layer in out.layers:
        if layer.has_weights and layer.weight_stats and layer.weight_stats.entropy_bits:
            enc = layer.attrs["weight_encoding"]
            assert enc["huffman_value_bits_all"] == pytest.approx(max(layer.weight_stats.entropy_bits, 1.0))
    assert storage_bytes(out)[0] < storage_bytes(net)[0]
    # with a run-length format the non-zeros are coded apart from the zero flags: smaller still
    both = _apply(net, {"kind": "huffman"}, {"kind": "sparse_format", "format": "rle", "run_bits": 4})
    assert storage_bytes(both)[0] < storage_bytes(out)[0]


def test_huffman_cuts_dram_weight_traffic_with_a_decoder() -> None:
    blocks = [{"kind": "huffman", "bits_per_weight": 4.0}]
    base = accelkit.evaluate("mlperf_tiny_kws", ARCH, residency="dram")
    ev = accelkit.evaluate("mlperf_tiny_kws", ARCH, residency="dram", optimizations=blocks)
    w = lambda e: sum(r.count for r in e.breakdown if r.component == "dram" and r.operand == "weight")  # noqa: E731
    assert w(ev) == pytest.approx(w(base) / 2)
    assert any(r.component == "huffman_decoder" for r in ev.breakdown)
