"""zero_gating / zero_skipping: the Sparseloop split as properties, costs added, densities, errors."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import accelkit
from accelkit.optimizations import OptimizationError

NET, ARCH = "mlperf_tiny_kws", "edge_npu_int8"
CACHE: dict = {}


def _ev(blocks: list, **kw) -> accelkit.Evaluation:
    return accelkit.evaluate(NET, ARCH, optimizations=blocks, mapping_cache=CACHE, **kw)


DENSITY = st.floats(0.0, 1.0)


@settings(max_examples=15, deadline=None)
@given(d=DENSITY)
def test_gating_never_changes_latency(d: float) -> None:
    base = _ev([])
    gated = _ev([{"kind": "zero_gating", "activation_density": d, "operands": ["input", "weight"]}])
    assert gated.latency_s == pytest.approx(base.latency_s, rel=1e-12)
    assert [r.cycles for r in gated.layers] == [r.cycles for r in base.layers]


@settings(max_examples=15, deadline=None)
@given(a=DENSITY, b=DENSITY)
def test_more_sparsity_with_gating_never_raises_energy(a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    sparse = _ev([{"kind": "zero_gating", "activation_density": lo}]).energy_j
    dense = _ev([{"kind": "zero_gating", "activation_density": hi}]).energy_j
    assert sparse <= dense * (1 + 1e-12)


@settings(max_examples=15, deadline=None)
@given(a=DENSITY, b=DENSITY, eff=st.floats(0.0, 1.0))
def test_more_sparsity_with_skipping_never_raises_cycles(a: float, b: float, eff: float) -> None:
    lo, hi = sorted((a, b))
    blk = {"kind": "zero_skipping", "skip_efficiency": eff}
    sparse = _ev([{**blk, "activation_density": lo}])
    dense = _ev([{**blk, "activation_density": hi}])
    assert sparse.cycles <= dense.cycles
    assert all(s.compute_cycles <= d.compute_cycles for s, d in zip(sparse.layers, dense.layers, strict=True))


def test_skipping_saves_cycles_and_energy_but_costs_area() -> None:
    base = _ev([])
    sk = _ev([{"kind": "zero_skipping", "activation_density": 0.3}])
    assert sk.cycles < base.cycles and sk.energy_j < base.energy_j
    assert sk.area_mm2 == pytest.approx(base.area_mm2 * 1.0449, rel=1e-6)  # Cnvlutin: +4.49%
    assert any(r.component == "intersection" and r.energy_j > 0 for r in sk.breakdown)
    # the first layer reads the network input: raw data stays dense
    first = next(r for r in sk.layers if r.name == "conv1")
    assert first.compute_cycles == next(r for r in base.layers if r.name == "conv1").compute_cycles


def test_gating_saves_energy_and_adds_zero_flags() -> None:
    base = _ev([])
    g = _ev([{"kind": "zero_gating", "activation_density": 0.4}])
    assert g.energy_j < base.energy_j
    assert any(r.component == "zero_detect" for r in g.breakdown)
    mac = lambda ev: sum(r.energy_j for r in ev.breakdown if r.component == "mac")  # noqa: E731
    conv1 = lambda ev: sum(r.energy_j for r in ev.breakdown if r.component == "mac" and r.layer == "conv1")  # noqa: E731
    assert mac(g) < mac(base) and conv1(g) == pytest.approx(conv1(base))


def test_weight_zeros_use_the_pruned_density() -> None:
    base = _ev([{"kind": "pruning", "density": 0.5}])
    sk = _ev([{"kind": "pruning", "density": 0.5}, {"kind": "zero_skipping", "operands": ["weight"]}])
    assert sk.cycles < base.cycles


def test_profile_measured_and_conflicts() -> None:
    prof = _ev([{"kind": "zero_gating", "activation_density": {"pw1": 0.2}}])
    assert prof.network.layer("pw1").density[accelkit.workload.ir.Operand.INPUT] == 0.2
    assert prof.network.layer("dw1").density[accelkit.workload.ir.Operand.OUTPUT] == 0.2
    with pytest.raises(OptimizationError, match=r"unknown layer|names"):
        _ev([{"kind": "zero_gating", "activation_density": {"nope": 0.2}}])
    with pytest.raises(OptimizationError, match="weight values"):
        _ev([{"kind": "zero_gating", "activation_density": "measured"}])
    with pytest.raises(OptimizationError, match="both gated and skipped"):
        _ev([{"kind": "zero_gating"}, {"kind": "zero_skipping"}])
    with pytest.raises(OptimizationError, match="different activation_density"):
        _ev([{"kind": "zero_gating", "activation_density": 0.5}, {"kind": "sparse_format", "activation_density": 0.4}])
    with pytest.raises(accelkit.SpecError, match=r"zero_gating\.levels\[0\]"):
        _ev([{"kind": "zero_gating", "levels": ["spad"]}])
