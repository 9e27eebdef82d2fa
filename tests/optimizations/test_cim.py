"""The in_memory_compute and near_memory blocks."""

from __future__ import annotations

import pytest

import accelkit
from accelkit.errors import SpecError
from accelkit.optimizations import make_block
from accelkit.optimizations.cim import InMemoryComputeSpec, adc_energy_j, data, plan_layer
from accelkit.workload.ir import Layer, OpKind, WeightSource

NET, ACC = "mlperf_tiny_kws", "edge_npu_int8"


def _fc(k: int, c: int) -> Layer:
    return Layer("fc", OpKind.FC, {"K": k, "C": c}, ("x",), ("y",), weight_source=WeightSource.CONSTANT)


def test_plan_layer() -> None:
    p = InMemoryComputeSpec(rows=256, cols=256, macros=4)
    plan = plan_layer(_fc(128, 640), p, 8, 8)  # 640 rows -> 3 segments; 128 x 8 columns -> 4 column tiles
    assert (plan.row_segments, plan.arrays, plan.passes) == (3, 12, 3)
    assert plan.input_slices == 8
    assert plan.conversions == 3 * 1024 * 8
    assert plan.cycles == 3 * 8
    dac = plan_layer(_fc(128, 640), InMemoryComputeSpec(input_mode="dac", dac_bits=4), 8, 8)
    assert dac.input_slices == 2
    assert dac.required_adc_bits > plan.required_adc_bits


def test_adc_energy_doubles_per_bit() -> None:
    assert adc_energy_j(8) == pytest.approx(float(data()["adc_energy_8b"]["value"]))
    assert adc_energy_j(7) == pytest.approx(adc_energy_j(8) / 2)


@pytest.fixture(scope="module")
def runs() -> dict:
    def ev(**blk):
        return accelkit.evaluate(NET, ACC, optimizations=[{"kind": "in_memory_compute", **blk}] if blk else [])

    return {
        "base": ev(),
        "adc8": ev(adc_bits=8),
        "adc4": ev(adc_bits=4),
        "resident": ev(macros=64),
        "few": ev(macros=1),
    }


def test_cim_replaces_mac_energy_and_adds_adcs(runs: dict) -> None:
    ev = runs["adc8"]
    comps = {r.component for r in ev.breakdown}
    assert {"cim_adc", "cim_shift_add"} <= comps
    assert ev.energy_by_level_j()["pe_reg"] == 0.0
    assert "cim_macros" in ev.priced.area_by_component_m2()
    assert ev.area_mm2 > runs["base"].area_mm2
    assert runs["adc4"].energy_j < ev.energy_j  # fewer ADC bits never cost more


def test_weight_residency_and_reloads(runs: dict) -> None:
    assert not [r for r in runs["resident"].breakdown if r.component == "cim_macros"]
    assert [r for r in runs["adc8"].breakdown if r.component == "cim_macros"]  # 23 arrays > 16 macros: reloads
    few = runs["few"]
    rereads = [r for r in few.breakdown if r.component == "glb" and r.operand == "input"]
    assert sum(r.count for r in rereads) > sum(
        r.count for r in runs["adc8"].breakdown if r.component == "glb" and r.operand == "input"
    )
    assert few.latency_s > runs["resident"].latency_s
    assert any("pass(es)" in n for r in few.layers for n in r.notes)


def test_bad_parameters() -> None:
    with pytest.raises(SpecError):
        make_block({"kind": "in_memory_compute", "rows": 2})
    with pytest.raises(SpecError) as exc:
        accelkit.evaluate(NET, ACC, optimizations=[{"kind": "in_memory_compute", "adc_energy": "3 V"}])
    assert "adc_energy" in str(exc.value)
    with pytest.raises(SpecError) as exc:
        accelkit.evaluate(NET, ACC, optimizations=[{"kind": "in_memory_compute", "layers": ["nope"]}])
    assert "layers[0]" in str(exc.value)


def test_near_memory_scales_level_energy() -> None:
    base = accelkit.evaluate(NET, ACC, residency="dram")
    ev = accelkit.evaluate(NET, ACC, residency="dram", optimizations=[{"kind": "near_memory"}])
    ratio = float(data()["near_memory_transfer_energy_ratio"]["value"])
    assert ev.energy_by_level_j()["dram"] == pytest.approx(ratio * base.energy_by_level_j()["dram"])
    assert ev.latency_s == pytest.approx(base.latency_s)
    fast = accelkit.evaluate(NET, ACC, residency="dram", optimizations=[{"kind": "near_memory", "bandwidth_factor": 4}])
    assert fast.latency_s <= base.latency_s
    resident = accelkit.evaluate(NET, ACC, optimizations=[{"kind": "near_memory"}])
    assert resident.totals()["energy_j"] == pytest.approx(accelkit.evaluate(NET, ACC).totals()["energy_j"])
    with pytest.raises(SpecError) as exc:
        accelkit.evaluate(NET, ACC, optimizations=[{"kind": "near_memory", "level": "hbm"}])
    assert "level" in str(exc.value)
