"""The block framework: resolving blocks from YAML, errors, conflicts, application order, study files."""

from __future__ import annotations

from typing import ClassVar, Literal

import pytest

import accelkit
import accelkit.presets
from accelkit.errors import SpecError
from accelkit.model.study import load_study
from accelkit.optimizations import OptimizationError, make_block, ordered, resolve_blocks
from accelkit.optimizations.base import Optimization, OptimizationSpec, check_conflicts
from accelkit.spec.paths import get_path, patch, set_path


def test_unknown_kind_suggests_the_closest() -> None:
    with pytest.raises(SpecError) as exc:
        resolve_blocks([{"kind": "voltage_scalling", "voltage": "0.7 V"}])
    assert "blocks[0].kind" in str(exc.value) and "voltage_scaling" in str(exc.value)


def test_every_bad_block_is_reported_at_once() -> None:
    with pytest.raises(SpecError) as exc:
        resolve_blocks([{"kind": "batch", "size": 0}, {"kind": "dataflow", "dataflow": "diagonal"}, "batch"])
    text = str(exc.value)
    assert "blocks[0].size" in text and "blocks[1].dataflow" in text and "blocks[2]" in text


def test_duplicate_labels_are_refused() -> None:
    with pytest.raises(SpecError, match="label"):
        resolve_blocks([{"kind": "batch", "size": 2}, {"kind": "batch", "size": 4}])
    # two labelled alternatives of one kind: fine while only one is enabled; kinds whose repeats compose: fine
    blocks = resolve_blocks(
        [{"kind": "batch", "size": 2, "label": "b2"}, {"kind": "batch", "size": 4, "label": "b4", "enabled": False}]
    )
    assert [b.label for b in blocks] == ["b2", "b4"]
    memory = [{"kind": "memory", "set": {"memory.glb.capacity": "64 KiB"}, "label": f"m{i}"} for i in range(2)]
    assert len(resolve_blocks(memory)) == 2


def test_a_kind_applied_twice_is_refused() -> None:
    with pytest.raises(OptimizationError, match="only one 'batch'"):
        resolve_blocks([{"kind": "batch", "size": 2, "label": "b2"}, {"kind": "batch", "size": 4, "label": "b4"}])


class _ASpec(OptimizationSpec):
    kind: Literal["_test_a"] = "_test_a"


class _A(Optimization):
    Spec = _ASpec
    kind = "_test_a"
    conflicts: ClassVar[tuple[str, ...]] = ("batch",)
    summary = "test block"


def test_declared_conflicts_are_enforced_in_evaluate_and_check() -> None:
    a, b = _A(), make_block({"kind": "batch", "size": 2})
    with pytest.raises(OptimizationError, match="conflicts"):
        check_conflicts([a, b])
    check_conflicts([a, make_block({"kind": "batch", "size": 2, "enabled": False})])  # disabled: no conflict


def test_application_order_does_not_depend_on_the_users_list() -> None:
    blocks = resolve_blocks([{"kind": "voltage_scaling", "voltage": "0.7 V"}, {"kind": "batch", "size": 2}])
    assert [b.kind for b in ordered(blocks)] == [b.kind for b in ordered(reversed(blocks))]
    e1 = accelkit.evaluate("mlperf_tiny_ad", "edge_npu_int8", optimizations=list(blocks))
    e2 = accelkit.evaluate("mlperf_tiny_ad", "edge_npu_int8", optimizations=list(reversed(blocks)))
    assert e1.totals() == e2.totals()


def test_block_instances_from_keywords() -> None:
    from accelkit.optimizations.hardware import Batch

    assert Batch(size=2) == make_block({"kind": "batch", "size": 2})
    with pytest.raises(SpecError, match="size"):
        Batch(size=-1)


def test_breakdown_sums_to_totals_with_blocks() -> None:
    ev = accelkit.evaluate(
        "mlperf_tiny_ad",
        "edge_npu_int8",
        optimizations=[{"kind": "voltage_scaling", "voltage": "0.7 V"}, {"kind": "batch", "size": 2}],
        residency="dram",
    )
    assert sum(r.energy_j for r in ev.breakdown) == pytest.approx(ev.energy_j, rel=1e-12)
    assert sum(r.energy_j for r in ev.layers) == pytest.approx(ev.dynamic_energy_j, rel=1e-12)


def test_voltage_scaling_lowers_energy_and_clock_by_the_laws() -> None:
    from accelkit.hardware.technology import max_frequency_factor

    base = accelkit.evaluate("mlperf_tiny_ad", "edge_npu_int8")
    low = accelkit.evaluate(
        "mlperf_tiny_ad", "edge_npu_int8", optimizations=[{"kind": "voltage_scaling", "voltage": "0.7 V"}]
    )
    f = max_frequency_factor(base.accelerator.voltage_v, 0.7, base.accelerator.node_m)
    assert low.accelerator.clock_hz == pytest.approx(base.accelerator.clock_hz * f)
    assert low.dynamic_energy_j < base.dynamic_energy_j
    assert low.latency_s > base.latency_s


def test_voltage_below_threshold_names_the_block() -> None:
    with pytest.raises(SpecError) as exc:
        accelkit.evaluate(
            "mlperf_tiny_ad", "edge_npu_int8", optimizations=[{"kind": "voltage_scaling", "voltage": "0.2 V"}]
        )
    assert "voltage_scaling" in str(exc.value)


def test_memory_block_changes_a_named_level_and_rejects_unknown_fields() -> None:
    small = accelkit.evaluate(
        "mlperf_tiny_ic", "edge_npu_int8", optimizations=[{"kind": "memory", "set": {"memory.glb.capacity": "32 KiB"}}]
    )
    assert small.accelerator.level("glb").capacity_bits == 32 * 8192
    with pytest.raises(SpecError) as exc:
        accelkit.evaluate(
            "mlperf_tiny_ic",
            "edge_npu_int8",
            optimizations=[{"kind": "memory", "set": {"memory.glb.capacty": "32 KiB"}}],
        )
    assert "memory.glb.capacty" in str(exc.value) or "capacity" in str(exc.value)


def test_standard_cell_memory_outside_its_model_is_a_clear_error() -> None:
    with pytest.raises(SpecError) as exc:
        accelkit.evaluate(
            "mlperf_tiny_ad", "edge_npu_int8", optimizations=[{"kind": "standard_cell_memory", "levels": ["glb"]}]
        )
    assert "standard_cell_memory.levels[0]" in str(exc.value)
    with pytest.raises(SpecError, match="Did you mean"):
        accelkit.evaluate(
            "mlperf_tiny_ad", "edge_npu_int8", optimizations=[{"kind": "standard_cell_memory", "levels": ["gbl"]}]
        )


def test_batch_block_rebatches() -> None:
    ev = accelkit.evaluate("mlperf_tiny_ad", "edge_npu_int8", optimizations=[{"kind": "batch", "size": 4}])
    assert ev.batch == 4
    assert ev.macs == 4 * accelkit.load_network("mlperf_tiny_ad").macs


def test_average_power_at_a_rate() -> None:
    ev = accelkit.evaluate("mlperf_tiny_ad", "edge_npu_int8", inference_rate=10)
    period = 1 / 10
    expected = (ev.energy_j + ev.priced.leakage_w * (period - ev.latency_s)) / period
    assert ev.average_power_w == pytest.approx(expected)
    assert ev.average_power_w < ev.power_w
    fast = accelkit.evaluate("mlperf_tiny_ad", "edge_npu_int8", inference_rate=1e9)
    assert not fast.meets_rate and fast.average_power_w == pytest.approx(fast.power_w)


# ---- study files ---------------------------------------------------------------------------------------------
def test_study_file_round_trip(tmp_path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text(
        "network: {zoo: mlperf_tiny_ad}\naccelerator: edge_npu_int8\nevaluate: {inference_rate: 5}\n"
        "blocks:\n  - {kind: batch, size: 2}\n"
    )
    ev = accelkit.evaluate(str(f))
    assert ev.batch == 2 and ev.inference_rate_ips == 5
    direct = accelkit.evaluate(
        "mlperf_tiny_ad", "edge_npu_int8", optimizations=[{"kind": "batch", "size": 2}], inference_rate=5
    )
    assert ev.totals() == direct.totals()


def test_study_errors_name_the_file_and_field(tmp_path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text("network: mlperf_tiny_ad\naccelerator: edge_npu_int8\nblocks:\n  - {kind: batch, size: many}\n")
    with pytest.raises(SpecError) as exc:
        load_study(f)
    assert str(f) in str(exc.value) and "blocks[0].size" in str(exc.value)
    g = tmp_path / "bad2.yaml"
    g.write_text("network: mlperf_tiny_ad\nacelerator: edge_npu_int8\n")
    with pytest.raises(SpecError) as exc:
        load_study(g)
    assert "acelerator" in str(exc.value) and "accelerator" in str(exc.value)


def test_study_paths_are_relative_to_the_study_file(tmp_path) -> None:
    sub = tmp_path / "designs"
    sub.mkdir()
    (sub / "acc.yaml").write_text(
        accelkit.presets.preset_spec("edge_npu_int8").model_dump_json()
        if False
        else __import__("yaml").safe_dump(accelkit.presets.preset_spec("edge_npu_int8").model_dump(exclude_none=True))
    )
    (sub / "s.yaml").write_text("network: mlperf_tiny_ad\naccelerator: acc.yaml\n")
    assert accelkit.evaluate(str(sub / "s.yaml")).accelerator.name == "edge_npu_int8"


# ---- field paths -------------------------------------------------------------------------------------------------
def test_paths_by_index_and_by_name() -> None:
    data = {"memory": [{"name": "dram"}, {"name": "glb", "capacity": "1 KiB"}], "technology": {"voltage": "1 V"}}
    assert get_path(data, "memory[1].capacity") == get_path(data, "memory.glb.capacity") == "1 KiB"
    out = set_path(data, "memory.glb.capacity", "2 KiB")
    assert out["memory"][1]["capacity"] == "2 KiB" and data["memory"][1]["capacity"] == "1 KiB"
    with pytest.raises(SpecError, match="glb"):
        get_path(data, "memory.gbl.capacity")
    with pytest.raises(SpecError, match="voltage"):
        get_path(data, "technology.voltag")


def test_patch_validates_like_user_input() -> None:
    spec = accelkit.presets.preset_spec("edge_npu_int8")
    new = patch(spec, {"memory.glb.capacity": "64 KiB"})
    assert new.memory[1].capacity == 64 * 8192
    with pytest.raises(SpecError) as exc:
        patch(spec, {"memory.glb.capacity": "lots"})
    assert "memory[1].capacity" in str(exc.value)
