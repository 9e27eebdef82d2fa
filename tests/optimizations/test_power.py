"""The power_gating block: idle power at retention / gated leakage, wake-up and reload per period, the rate."""

from __future__ import annotations

from typing import Any

import pytest

import accelkit
from accelkit.errors import SpecError
from accelkit.optimizations import OptimizationError, block_class
from accelkit.optimizations.power import default

NET, ACC = "mlperf_tiny_kws", "edge_npu_int8"
CACHE: dict = {}


def _eval(*blocks: Any, **kw: Any) -> accelkit.Evaluation:
    return accelkit.evaluate(NET, ACC, optimizations=list(blocks), mapping_cache=CACHE, **kw)


def test_needs_an_inference_rate() -> None:
    with pytest.raises(OptimizationError) as exc:
        _eval({"kind": "power_gating"})
    assert "inference_rate" in str(exc.value) and "power_gating" in str(exc.value)


def test_rate_from_the_evaluation_or_the_block() -> None:
    a = _eval({"kind": "power_gating"}, inference_rate=10)
    b = _eval({"kind": "power_gating", "inference_rate": 10})
    assert a.average_power_w == pytest.approx(b.average_power_w)
    assert b.inference_rate_ips == 10


def test_average_power_drops_energy_and_latency_do_not_change() -> None:
    plain = _eval(inference_rate=10)
    ev = _eval({"kind": "power_gating", "inference_rate": 10})
    assert ev.energy_j == plain.energy_j and ev.latency_s == plain.latency_s
    assert ev.average_power_w < plain.average_power_w
    info = ev.provenance["power_gating"]
    assert info["gated"]
    # average power is the run, the per-period energy and the gated idle power over the period
    period = 1 / 10
    expect = (ev.energy_j + ev.period_energy_j + ev.idle_power_w * (period - ev.latency_s)) / period
    assert ev.average_power_w == pytest.approx(expect)
    # idle power: retained memories at the retention fraction, logic at the gated fraction (defaults from data)
    pr = ev.priced
    mem = sum(lp.leakage.value * lp.instances for lp in pr.levels if lp.leakage is not None)
    r, g = default("sram_retention_leakage_fraction"), default("gated_logic_leakage_fraction")
    assert ev.idle_power_w == pytest.approx(mem * r + pr.logic_leakage_w * g)
    # wake-up = break-even time x leakage saved
    t_be = default("break_even_cycles") / ev.accelerator.clock_hz
    assert ev.period_energy_j == pytest.approx(t_be * (pr.leakage_w - ev.idle_power_w))


def test_unretained_resident_model_is_reloaded_from_dram() -> None:
    ev = _eval({"kind": "power_gating", "inference_rate": 10, "retained_levels": ["pe_reg"]})
    assert ev.provenance["residency"] == "on_chip"
    info = ev.provenance["power_gating"]
    arch, pr = ev.accelerator, ev.priced
    bits = ev.memory()["weight_bytes"] * 8
    dram, glb = arch.levels[0], arch.levels[1]
    expect = bits / dram.width_bits * pr.levels[0].read.value + bits / glb.width_bits * pr.levels[1].write.value
    assert info["reload_energy_j"] == pytest.approx(expect) and expect > 0


def test_no_gating_when_it_does_not_pay() -> None:
    fast = _eval({"kind": "power_gating", "inference_rate": 1e9})  # back to back: no idle time
    assert not fast.provenance["power_gating"]["gated"]
    assert fast.idle_power_w is None and fast.average_power_w == pytest.approx(fast.power_w)
    slow_wake = _eval({"kind": "power_gating", "inference_rate": 10, "break_even_cycles": 1e12})
    assert not slow_wake.provenance["power_gating"]["gated"]


def test_more_idle_time_saves_more() -> None:
    p = [_eval({"kind": "power_gating", "inference_rate": r}).average_power_w for r in (1000, 100, 10, 1)]
    assert p == sorted(p, reverse=True)


def test_unknown_retained_level_is_named() -> None:
    with pytest.raises(SpecError) as exc:
        _eval({"kind": "power_gating", "inference_rate": 10, "retained_levels": ["l2"]})
    assert "power_gating.retained_levels[0]" in str(exc.value)


def test_clock_gating_is_a_block_now_that_the_clock_is_priced() -> None:
    """The baseline now prices an ungated clock network, so clock gating is a real block (tested in
    test_clock_gating.py) and separate from power gating."""
    assert block_class("clock_gating").kind == "clock_gating"
