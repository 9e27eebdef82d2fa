"""zero_gating / zero_skipping: the Sparseloop split as properties, costs added, densities, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

import accelkit
from accelkit.optimizations import OptimizationError, make_block
from accelkit.workload.execute import execute
from accelkit.workload.ir import Operand

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
@example(a=1.0, b=0.96875)  # once found: with no zeros the block skipped its zero-flag cost
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


# ---- activation_density: measured on a real model ------------------------------------------------------------------
MODELS = Path("/work/shared/models/mlperf-tiny")
KWS_FILE = MODELS / "kws_ref_model.tflite"
needs_models = pytest.mark.skipif(not KWS_FILE.is_file(), reason=f"MLPerf Tiny models not found at {MODELS}")


@needs_models
def test_measured_gating_on_a_real_model_changes_energy_not_latency() -> None:
    net = accelkit.load_network(KWS_FILE)
    ev = lambda blocks: accelkit.evaluate(net, ARCH, optimizations=blocks, mapping_cache=CACHE)  # noqa: E731
    base = ev([])
    gated = ev([{"kind": "zero_gating", "activation_density": "measured"}])
    assert gated.energy_j < base.energy_j and gated.latency_s == base.latency_s
    measured = execute(net)
    for layer in gated.network.layers:  # every layer takes its measured input and output density
        d = measured.layers[layer.name]
        assert layer.density[Operand.INPUT] == d.input_density and layer.density[Operand.OUTPUT] == d.output_density
    relu_fed = [x for x in gated.network.compute_layers if net.producer(x.inputs[0]) is not None]
    assert relu_fed and all(0.0 < x.density[Operand.INPUT] < 1.0 for x in relu_fed)
    # options: more samples, another seed; skipping also saves cycles on the measured zeros
    opts = {"measured": {"samples": 2, "seed": 5}}
    other = ev([{"kind": "zero_gating", "activation_density": opts}])
    assert other.latency_s == base.latency_s and other.energy_j != gated.energy_j
    skipped = ev([{"kind": "zero_skipping", "activation_density": "measured"}])
    assert skipped.latency_s < base.latency_s


@needs_models
def test_measured_parameters_round_trip_and_user_input(tmp_path: Path) -> None:
    x = np.random.default_rng(0).integers(-128, 128, size=(1, 49, 10, 1)).astype(np.int8)
    np.save(tmp_path / "x.npy", x)
    spec = make_block({"kind": "zero_gating", "activation_density": {"measured": {"input": str(tmp_path / "x.npy")}}})
    dumped = yaml.safe_load(yaml.safe_dump(spec.spec.model_dump(mode="json")))
    assert make_block(dumped).spec == spec.spec
    net = accelkit.load_network(KWS_FILE)
    ev = accelkit.evaluate(net, ARCH, optimizations=[dumped], mapping_cache=CACHE)
    assert ev.network.layer("conv2d_1").density[Operand.INPUT] == execute(net, x).layers["conv2d_1"].input_density
    with pytest.raises(accelkit.SpecError, match=r"activation_density"):
        make_block({"kind": "zero_gating", "activation_density": {"measured": {"samples": 0}}})


@needs_models
def test_measured_errors_name_the_block_and_field(tmp_path: Path) -> None:
    net = accelkit.load_network(KWS_FILE)
    with pytest.raises(OptimizationError, match=r"'zero_gating': activation_density 'measured'.*not found"):
        accelkit.evaluate(
            net, ARCH, optimizations=[{"kind": "zero_gating", "activation_density": {"measured": {"input": "no.npy"}}}]
        )
    with pytest.raises(OptimizationError, match=r"'sparse_format': activation_density 'measured' needs the weight"):
        accelkit.evaluate(
            net.with_layers(net.layers, constants=None),
            ARCH,
            optimizations=[{"kind": "sparse_format", "operands": ["input"], "activation_density": "measured"}],
        )


@needs_models
def test_sparse_format_compresses_activations_by_their_measured_density() -> None:
    net = accelkit.load_network(KWS_FILE)
    blocks = [{"kind": "sparse_format", "operands": ["input"], "format": "bitmask", "activation_density": "measured"}]
    ev = accelkit.evaluate(net, ARCH, optimizations=blocks, mapping_cache=CACHE)
    assert ev.network.layer("conv2d_1").density[Operand.INPUT] == execute(net).layers["conv2d_1"].input_density
