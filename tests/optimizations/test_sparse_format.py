"""sparse_format: format arithmetic (bounds, filler model vs simulation), storage footprint, traffic, codec, errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import accelkit
from accelkit.optimizations import OptimizationError, make_block
from accelkit.optimizations.sparse_format import encoded_entries, format_bits, rle_fillers_per_nonzero

NET, ARCH = "mlperf_tiny_kws", "edge_npu_int8"


@settings(max_examples=60, deadline=None)
@given(
    fmt=st.sampled_from(["bitmask", "rle", "csr", "csc"]),
    density=st.floats(0.01, 1.0),
    bits=st.integers(1, 32),
    rows=st.integers(1, 64),
    cols=st.integers(1, 512),
)
def test_encoding_never_below_the_values_alone(fmt: str, density: float, bits: int, rows: int, cols: int) -> None:
    n = rows * cols
    assert format_bits(fmt, n, density, bits, rows=rows, cols=cols, run_bits=4) >= density * n * bits - 1e-9


def test_rle_fillers_match_a_simulation_of_independent_zeros() -> None:
    rng = np.random.default_rng(0)
    d, r = 0.1, 3
    mask = rng.random(200_000) < d
    gaps = np.diff(np.flatnonzero(np.concatenate([[True], mask])))[:] - 1
    fillers = np.sum(gaps // 2**r) / mask.sum()
    assert rle_fillers_per_nonzero(d, r) == pytest.approx(fillers, rel=0.05)
    assert encoded_entries("rle", 1000, d, r) == pytest.approx(100 * (1 + rle_fillers_per_nonzero(d, r)))


def test_bitmask_and_csr_metadata() -> None:
    assert format_bits("bitmask", 1000, 0.5, 8) == 1000 + 500 * 8
    # 10 rows x 100 cols, 7-bit column index, 10-bit pointers for 500 non-zeros
    assert format_bits("csr", 1000, 0.5, 8, rows=10, cols=100) == 500 * (8 + 7) + 11 * 9


def _ev(blocks: list, **kw) -> accelkit.Evaluation:
    return accelkit.evaluate(NET, ARCH, optimizations=blocks, **kw)


def test_dense_weights_fall_back_to_dense_and_sparse_ones_shrink() -> None:
    base = _ev([]).memory()["weight_bytes"]
    dense = _ev([{"kind": "sparse_format"}]).memory()["weight_bytes"]
    assert dense == pytest.approx(base)  # never above dense
    no_fallback = _ev([{"kind": "sparse_format", "fallback_dense": False}]).memory()["weight_bytes"]
    assert no_fallback > base
    pruned = _ev([{"kind": "sparse_format", "format": "bitmask"}, {"kind": "pruning", "density": 0.2}])
    # int8 weights at 20%: 1 + 0.2 x 8 = 2.6 bits per weight instead of 8 (biases stay)
    assert pruned.memory()["weight_bytes"] < 0.45 * base


def test_compressed_weights_cut_dram_traffic_and_cost_codec_energy() -> None:
    blocks = [{"kind": "pruning", "density": 0.25}]
    base = _ev(blocks, residency="dram")
    comp = _ev([*blocks, {"kind": "sparse_format", "format": "rle", "run_bits": 3}], residency="dram")
    w = lambda ev: sum(r.count for r in ev.breakdown if r.component == "dram" and r.operand == "weight")  # noqa: E731
    assert w(comp) < 0.6 * w(base)
    codec = [r for r in comp.breakdown if r.component == "codec"]
    assert codec and all(r.energy_j > 0 for r in codec)
    assert comp.area_mm2 > base.area_mm2  # the codec's area


def test_activation_compression_uses_the_activation_density() -> None:
    base = _ev([], residency="dram")
    comp = _ev(
        [{"kind": "sparse_format", "operands": ["input", "output"], "activation_density": 0.3}], residency="dram"
    )
    assert comp.traffic_bytes()["dram"] < base.traffic_bytes()["dram"]
    assert comp.memory()["activation_peak_bytes"] < base.memory()["activation_peak_bytes"]


def test_errors_name_the_block_and_field() -> None:
    with pytest.raises(accelkit.SpecError, match=r"sparse_format\.levels\[0\].*no level 'l2'"):
        _ev([{"kind": "sparse_format", "levels": ["l2"]}])
    with pytest.raises(OptimizationError, match="sparse format"):
        _ev([{"kind": "sparse_format"}, {"kind": "sparse_format", "label": "other", "format": "csr"}])
    with pytest.raises(accelkit.SpecError, match="run_bits"):
        make_block({"kind": "sparse_format", "run_bits": 0})
