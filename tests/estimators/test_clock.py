"""The clock-network estimate: scaling with V^2, node and clocked bits, overrides, and the breakdown rows."""

from __future__ import annotations

import pytest

import accelkit
from accelkit.estimators import ComponentQuery, estimate_energy
from accelkit.estimators.builtin import clock_sinks
from accelkit.hardware.technology import Technology
from accelkit.model.pricing import price
from accelkit.presets import load_accelerator_spec
from accelkit.spec.accelerator import AcceleratorSpec

Q = ComponentQuery("clock", {"sinks": 1000}, name="clock")


def _tick(node: str, volts: float, sinks: float = 1000) -> float:
    q = ComponentQuery("clock", {"sinks": sinks}, name="clock")
    return estimate_energy(q, "tick", Technology.from_spec(node, volts, "100 MHz")).value


def test_reference_value_is_network_plus_flip_flop_internal_energy() -> None:
    # 45 nm, 0.9 V: 1000 x (0.91 fF x (1 + 1.0) + 6.92 fJ / (1.1 V)^2) x 0.81 V^2 -- the Nangate DFF_X1 clock pin
    # with its share of the tree, plus the flip-flop's own clock nodes (liberty internal power, at 1.1 V)
    per_sink_f = 0.91e-15 * 2.0 + 6.92e-15 / 1.1**2
    assert _tick("45 nm", 0.9) == pytest.approx(1000 * per_sink_f * 0.81, rel=1e-9)


def test_flip_flop_internal_energy_is_read_from_the_liberty() -> None:
    e = estimate_energy(Q, "tick", Technology.from_spec("45 nm", 1.1, "100 MHz"))
    assert "clock_45nm.yaml:dff_internal_clock_energy" in e.source
    # at the liberty's own corner a held flip-flop costs its internal 6.92 fJ plus the pin and tree it loads
    assert e.value / 1000 == pytest.approx(6.92e-15 + 0.91e-15 * 2.0 * 1.21, rel=1e-9)


def test_scales_with_v_squared_at_one_node() -> None:
    assert _tick("28 nm", 0.6) / _tick("28 nm", 0.9) == pytest.approx((0.6 / 0.9) ** 2, rel=1e-9)


def test_scales_linearly_with_clocked_bits() -> None:
    assert _tick("65 nm", 1.0, 3000) == pytest.approx(3 * _tick("65 nm", 1.0, 1000), rel=1e-12)
    assert _tick("65 nm", 1.0, 0) == 0.0


def test_is_monotone_in_node() -> None:
    nodes = ["7 nm", "16 nm", "22 nm", "28 nm", "32 nm", "45 nm", "65 nm", "90 nm"]
    values = [_tick(n, 0.8) for n in nodes]
    assert values == sorted(values)


def test_every_estimate_names_its_source() -> None:
    e = estimate_energy(Q, "tick", Technology.from_spec("65 nm", 1.0, "200 MHz"))
    assert e.estimator == "pin_capacitance_clock"
    assert "clock_45nm.yaml:dff_clock_pin_capacitance" in e.source
    assert e.confidence == "assumption"  # the tree overhead is an explicit assumption


def test_clock_sinks_rules() -> None:
    levels = [
        ("dram", "dram", float("inf"), 64, 1, 1),
        ("glb", "sram", 8 * 65536, 64, 4, 1),  # SRAM: one clock pin per bank
        ("big_rf", "regfile", 16384, 32, 1, 1),  # >= 1 KiB register file is priced as SRAM
        ("scm", "scm", 4096, 32, 1, 2),  # latch memory: one pin per row
        ("rf", "regfile", 512, 16, 1, 10),  # flip-flops: every bit, in every PE
    ]
    s = clock_sinks(levels, pes=10, macs_per_pe=2, mac_register_bits=48)
    assert s == {"glb": 4, "big_rf": 1, "scm": 2 * 128, "rf": 5120, "mac": 960}


def test_override_replaces_the_per_cycle_energy() -> None:
    spec = load_accelerator_spec("edge_npu_int8").model_dump(mode="json", exclude_none=True)
    spec["energy_overrides"] = {"clock": "5 pJ"}
    priced = price(accelkit.load_accelerator(AcceleratorSpec.model_validate(spec)))
    assert priced.clock is not None
    assert priced.clock.value == pytest.approx(5e-12)
    assert priced.clock.estimator == "user override"
    assert sum(priced.clock_j_per_cycle_by_component().values()) == pytest.approx(5e-12)


def test_override_key_is_validated() -> None:
    from accelkit.errors import SpecError

    spec = load_accelerator_spec("edge_npu_int8").model_dump(mode="json", exclude_none=True)
    spec["energy_overrides"] = {"clock.read": "5 pJ"}
    with pytest.raises((SpecError, ValueError), match="clock"):
        AcceleratorSpec.model_validate(spec)


def test_mapper_sees_the_clock_like_leakage() -> None:
    priced = price(accelkit.load_accelerator("eyeriss_v1"))
    uc = priced.unit_costs
    assert uc.leak_j_per_cycle == pytest.approx(priced.leakage_w / priced.arch.clock_hz + priced.clock_j_per_cycle)


@pytest.fixture(scope="module")
def kws() -> accelkit.Evaluation:
    return accelkit.evaluate("mlperf_tiny_kws", "edge_npu_int8")


def test_one_clock_row_per_layer_charged_for_every_cycle(kws: accelkit.Evaluation) -> None:
    rows = {r.layer: r for r in kws.breakdown if r.component == "clock"}
    assert set(rows) == {lr.name for lr in kws.layers}
    per_cycle = kws.priced.clock_j_per_cycle
    for lr in kws.layers:
        row = rows[lr.name]
        assert (row.operand, row.action) == ("-", "tick")
        assert row.count == lr.cycles
        assert row.energy_j == pytest.approx(lr.cycles * per_cycle)
        assert lr.energy_by_level_j["clock"] == pytest.approx(row.energy_j)


def test_breakdown_sums_to_totals(kws: accelkit.Evaluation) -> None:
    assert sum(r.energy_j for r in kws.breakdown) == pytest.approx(kws.energy_j)
    assert sum(r.energy_j for r in kws.layers) + kws.leakage_energy_j == pytest.approx(kws.energy_j)
    by = kws.totals()["energy_by_level_j"]
    assert by["clock"] > 0
    assert sum(by.values()) == pytest.approx(kws.energy_j)
