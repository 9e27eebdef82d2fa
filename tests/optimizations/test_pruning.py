"""pruning: unstructured sets densities only (the split), measured densities, structured shrinks the loop nest."""

from __future__ import annotations

from pathlib import Path

import pytest

import accelkit
from accelkit.optimizations import OptimizationError, make_block
from accelkit.workload.ir import Operand

VWW = Path("/work/shared/models/mlperf-tiny/vww_96_int8.tflite")
ARCH = "edge_npu_int8"


def test_unstructured_pruning_alone_changes_no_cost() -> None:
    base = accelkit.evaluate("mlperf_tiny_kws", ARCH)
    pr = accelkit.evaluate("mlperf_tiny_kws", ARCH, optimizations=[{"kind": "pruning", "density": 0.3}])
    assert pr.energy_j == pytest.approx(base.energy_j)
    assert pr.latency_s == pytest.approx(base.latency_s)
    assert all(lyr.density[Operand.WEIGHT] == 0.3 for lyr in pr.network.layers if lyr.has_weights)


def test_per_layer_density_and_first_last_kept() -> None:
    net = accelkit.load_network("mlperf_tiny_kws")
    arch = accelkit.load_accelerator(ARCH)
    out = make_block({"kind": "pruning", "density": {"pw1": 0.5}, "layers": ["pw1"]}).network(net, arch)
    assert out.layer("pw1").density[Operand.WEIGHT] == 0.5 and out.layer("pw2").density[Operand.WEIGHT] == 1.0
    out = make_block({"kind": "pruning", "density": 0.5, "keep_first_and_last": True}).network(net, arch)
    assert out.layer("conv1").density[Operand.WEIGHT] == 1.0 and out.layer("fc").density[Operand.WEIGHT] == 1.0
    assert net.layer("pw1").density[Operand.WEIGHT] == 1.0  # input untouched


def test_measured_density_needs_real_weights() -> None:
    with pytest.raises(OptimizationError, match="weight_stats"):
        accelkit.evaluate("mlperf_tiny_kws", ARCH, optimizations=[{"kind": "pruning", "density": "measured"}])


@pytest.mark.skipif(not VWW.exists(), reason="MLPerf Tiny models not available")
def test_measured_density_of_the_vww_int8_model() -> None:
    net = accelkit.load_network(str(VWW))
    out = make_block({"kind": "pruning", "density": "measured"}).network(net, accelkit.load_accelerator(ARCH))
    deep = [lyr for lyr in out.layers if lyr.has_weights and lyr.weight_elements > 10_000]
    assert min(lyr.density[Operand.WEIGHT] for lyr in deep) < 0.1  # deep pointwise weights are mostly zeros


def test_structured_pruning_shrinks_the_loop_nest_consistently() -> None:
    base = accelkit.evaluate("mlperf_tiny_kws", ARCH)
    pr = accelkit.evaluate(
        "mlperf_tiny_kws", ARCH, optimizations=[{"kind": "pruning", "structure": "structured", "density": 0.5}]
    )
    net = pr.network
    assert net.layer("pw1").K == 32 and net.layer("dw2").G == 32 and net.layer("pw2").C == 32
    assert net.layer("fc").C == 32  # after the average pool
    assert pr.macs < 0.4 * base.macs
    assert pr.memory()["weight_bytes"] < 0.5 * base.memory()["weight_bytes"]
    assert pr.latency_s < base.latency_s and pr.energy_j < base.energy_j


def test_structured_pruning_skips_or_refuses_residual_layers() -> None:
    arch = accelkit.load_accelerator(ARCH)
    net = accelkit.load_network("mlperf_tiny_ic")
    out = make_block({"kind": "pruning", "structure": "structured", "density": 0.5}).network(net, arch)
    info = out.provenance["structured_pruning"]
    assert "s1_a" in info["pruned"] and "s1_b" in info["skipped"]
    assert out.layer("s1_b").C == 8 and out.layer("s1_b").K == 16
    with pytest.raises(OptimizationError, match=r"s1_b.*residual"):
        make_block({"kind": "pruning", "structure": "structured", "density": 0.5, "layers": ["s1_b"]}).network(
            net, arch
        )


def test_bad_density_is_refused() -> None:
    with pytest.raises(OptimizationError, match="density"):
        accelkit.evaluate("mlperf_tiny_kws", ARCH, optimizations=[{"kind": "pruning", "density": 0.0}])
    with pytest.raises(OptimizationError, match="unknown layer"):
        accelkit.evaluate("mlperf_tiny_kws", ARCH, optimizations=[{"kind": "pruning", "density": {"nope": 0.5}}])
