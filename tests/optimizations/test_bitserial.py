"""The bit_serial block: cycles and MAC energy follow each layer's operand widths; cited area overhead."""

from __future__ import annotations

from typing import Any

import pytest

import accelkit
from accelkit.errors import SpecError
from accelkit.estimators import ComponentQuery, estimate_energy
from accelkit.optimizations import OptimizationError, make_block, resolve_blocks
from accelkit.optimizations.bitserial import BitSerial, data

NET, ACC = "mlperf_tiny_kws", "edge_npu_int8"
CACHE: dict = {}


def _eval(*blocks: Any, accelerator: Any = ACC) -> accelkit.Evaluation:
    return accelkit.evaluate(NET, accelerator, optimizations=list(blocks), mapping_cache=CACHE)


def _q(**params: Any) -> dict:
    return {"kind": "quantization", "datapath": "keep", **params}


@pytest.fixture(scope="module")
def base() -> accelkit.Evaluation:
    return _eval()


def test_full_width_layers_run_as_on_the_parallel_array(base: accelkit.Evaluation) -> None:
    ev = _eval({"kind": "bit_serial"})
    assert ev.latency_s == pytest.approx(base.latency_s)
    assert ev.dynamic_energy_j == pytest.approx(base.dynamic_energy_j)


def test_area_overhead_is_the_cited_stripes_figure(base: accelkit.Evaluation) -> None:
    ev = _eval({"kind": "bit_serial"})
    k = data()["entries"]["serial_area_overhead"]["value"]
    pa = base.accelerator.pe_array
    array = base.priced.mac_area.value * pa.pes * pa.macs_per_pe
    assert ev.priced.area_m2 - base.priced.area_m2 == pytest.approx(k * array)
    assert ev.priced.leakage_w > base.priced.leakage_w
    assert _eval({"kind": "bit_serial", "area_overhead": 0}).priced.area_m2 == pytest.approx(base.priced.area_m2)


@pytest.mark.parametrize(
    ("operand", "w", "a", "factor"), [("weight", 4, 8, 0.5), ("input", 8, 2, 0.25), ("both", 4, 4, 0.25)]
)
def test_compute_cycles_scale_with_serial_bits(operand: str, w: int, a: int, factor: float) -> None:
    ref = _eval(_q(weights=f"int{w}", activations=f"int{a}"))
    ev = _eval(_q(weights=f"int{w}", activations=f"int{a}"), {"kind": "bit_serial", "serial_operand": operand})
    for r0, r1 in zip(ref.layers, ev.layers, strict=True):
        if r0.macs:
            assert r1.compute_cycles == pytest.approx(r0.compute_cycles * factor)
            assert r1.cycles <= r0.cycles
        else:
            assert r1.compute_cycles == r0.compute_cycles
    assert ev.latency_s < ref.latency_s


def test_mac_energy_is_the_estimator_at_the_layer_widths() -> None:
    ref = _eval(_q(weights="int4"))
    ev = _eval(_q(weights="int4"), {"kind": "bit_serial"})
    q = ComponentQuery("mac", {"input_bits": 8, "weight_bits": 4, "accum_bits": 32, "number_format": "int"})
    per_mac = estimate_energy(q, "mac", ev.priced.tech).value
    assert ev.energy_by_level_j()["mac"] == pytest.approx(per_mac * ev.macs)
    assert ev.energy_by_level_j()["mac"] < ref.energy_by_level_j()["mac"]
    assert any("bit_serial" in n for r in ev.layers for n in r.notes)


def test_bit_fusion_counts_two_bit_bricks() -> None:
    b = BitSerial({"style": "fusion"})
    assert b.cycle_factor(4, 4, 8, 8) == pytest.approx(1 / 4)
    assert b.cycle_factor(8, 2, 8, 8) == pytest.approx(1 / 4)
    assert b.cycle_factor(3, 3, 8, 8) == pytest.approx(1 / 4)  # 3 bits still take two bricks
    assert b.cycle_factor(8, 8, 8, 8) == 1
    assert b.techniques() == ("bit-level-composable-pe",) and b.overhead == 0


def test_throughput_law_against_unpu() -> None:
    """UNPU: 345.6 -> 7372 GOPS from 16-bit to 1-bit weights; the law gives 16x (UNPU does 21.3x: ~25% better)."""
    gops = data()["entries"]["unpu_peak_gops"]["value"]
    published = gops[1] / gops[16]
    modelled = 1 / BitSerial({}).cycle_factor(16, 1, 16, 16)
    assert modelled == 16
    assert modelled <= published <= modelled * 1.4


def test_float_datapath_is_rejected() -> None:
    from accelkit.presets import load_accelerator_spec
    from accelkit.spec.paths import patch

    spec = patch(load_accelerator_spec(ACC), {"pe_array.mac.input": "fp16", "pe_array.mac.weight": "fp16"})
    with pytest.raises(SpecError) as exc:
        _eval({"kind": "bit_serial"}, accelerator=spec)
    assert "bit_serial.style" in str(exc.value) and "integer datapath" in str(exc.value)


def test_conflicts_with_approximate_multipliers() -> None:
    with pytest.raises(OptimizationError):
        resolve_blocks([{"kind": "bit_serial"}, {"kind": "approximate_multiplier"}])


def test_bad_parameters_are_named() -> None:
    with pytest.raises(SpecError) as exc:
        make_block({"kind": "bit_serial", "serial_operand": "psum", "area_overhead": -1}, path="b")
    assert "b.serial_operand" in str(exc.value) and "b.area_overhead" in str(exc.value)
