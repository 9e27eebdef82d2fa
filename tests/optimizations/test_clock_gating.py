"""The clock_gating block: energy only, never more clock energy, more saving at lower utilization."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import accelkit
from accelkit.errors import SpecError
from accelkit.optimizations.clock_gating import ClockGating
from accelkit.presets import load_accelerator_spec
from accelkit.spec.accelerator import AcceleratorSpec
from accelkit.workload.builder import NetworkBuilder


def _clock_j(ev: accelkit.Evaluation) -> float:
    return sum(r.energy_j for r in ev.breakdown if r.component == "clock")


def _conv(k: int, c: int = 16, hw: int = 14):
    b = NetworkBuilder("g", dtype="int8")
    x = b.input("x", (1, c, hw, hw))
    b.conv(x, k, 3, padding="same", name="conv", bias=False)
    return b.build()


def test_kws_saves_clock_energy_and_keeps_latency() -> None:
    base = accelkit.evaluate("mlperf_tiny_kws", "edge_npu_int8")
    gated = accelkit.evaluate("mlperf_tiny_kws", "edge_npu_int8", optimizations=[ClockGating()])
    assert gated.latency_s == base.latency_s
    assert [r.cycles for r in gated.layers] == [r.cycles for r in base.layers]
    assert _clock_j(gated) < _clock_j(base)
    assert gated.area_mm2 > base.area_mm2  # the ICGs
    assert sum(r.energy_j for r in gated.breakdown) == pytest.approx(gated.energy_j)


@settings(max_examples=12, deadline=None)
@given(
    k=st.sampled_from([1, 2, 4, 8, 16, 32]),
    c=st.sampled_from([1, 3, 8, 16]),
    gate=st.sampled_from(["pes_and_levels", "pes", "levels"]),
    residual=st.floats(0.0, 1.0),
    registers=st.booleans(),
)
def test_gating_never_raises_clock_energy_nor_changes_latency(
    k: int, c: int, gate: str, residual: float, registers: bool
) -> None:
    net = _conv(k, c)
    base = accelkit.evaluate(net, "edge_npu_int8")
    gated = accelkit.evaluate(net, "edge_npu_int8", optimizations=[{"kind": "clock_gating", "gate": gate,
                                                                      "residual_fraction": residual,
                                                                      "registers": registers}])  # fmt: skip
    assert gated.latency_s == base.latency_s
    assert _clock_j(gated) <= _clock_j(base) * (1 + 1e-12)
    # dynamic energy never rises; only the ICGs' own leakage is added
    assert gated.dynamic_energy_j <= base.dynamic_energy_j * (1 + 1e-12)
    icg_leak = sum(x.leakage_w for x in gated.priced.extras if x.name == "clock_gates")
    assert gated.energy_j <= base.energy_j + icg_leak * gated.latency_s * (1 + 1e-9)


def test_saves_more_at_low_utilization() -> None:
    """A layer with 2 output channels leaves most of the 16x16 array idle; one with 64 fills it."""

    def saving(net) -> float:
        base = accelkit.evaluate(net, "edge_npu_int8")
        gated = accelkit.evaluate(net, "edge_npu_int8", optimizations=[ClockGating()])
        return 1 - _clock_j(gated) / _clock_j(base)

    low, high = _conv(2, 16), _conv(64, 64)
    assert saving(low) > saving(high) + 0.2


def test_residual_one_is_no_saving() -> None:
    net = _conv(2, 16)
    base = accelkit.evaluate(net, "edge_npu_int8")
    gated = accelkit.evaluate(net, "edge_npu_int8", optimizations=[{"kind": "clock_gating", "residual_fraction": 1}])
    assert _clock_j(gated) == pytest.approx(_clock_j(base))


def test_refuses_a_measured_clock_override() -> None:
    data = load_accelerator_spec("edge_npu_int8").model_dump(mode="json", exclude_none=True)
    data["energy_overrides"] = {"clock": "10 pJ"}
    spec = AcceleratorSpec.model_validate(data)
    with pytest.raises(SpecError, match="already includes"):
        accelkit.evaluate(_conv(4), spec, optimizations=[ClockGating()])


def test_notes_say_what_was_gated() -> None:
    ev = accelkit.evaluate(_conv(2, 16), "edge_npu_int8", optimizations=[ClockGating()])
    assert any("clock gating" in n for r in ev.layers for n in r.notes)


def test_register_word_gating_prices_gates_every_cycle_and_flip_flops_only_when_written() -> None:
    """registers: true on eyeriss_v1 (levels gating only, every level used): per cycle the clock of its flip-flop
    scratchpads goes from bits x E_ff to words x E_gate + (bits written per compute cycle) x E_ff, for every cycle
    of the layer (here DRAM stalls make it longer than its compute cycles)."""
    from accelkit.optimizations.clock_gating import icg_over_flip_flop

    net = _conv(16, 16)
    base = accelkit.evaluate(net, "eyeriss_v1")
    spec = {"kind": "clock_gating", "gate": "levels", "registers": True}
    gated = accelkit.evaluate(net, "eyeriss_v1", optimizations=[spec])
    layer = base.layers[0]
    priced, arch = base.priced, base.accelerator
    by_comp = priced.clock_j_per_cycle_by_component()
    saved = 0.0
    for lv in arch.levels:
        if lv.kind == "regfile" and lv.capacity_bits < 8192:
            e_ff = by_comp[lv.name] / priced.clock_sinks[lv.name]
            n = arch.pe_array.pes if lv.per_pe else 1
            words = -(-lv.capacity_bits // lv.width_bits)
            written = sum(r.count for r in base.breakdown if r.component == lv.name and r.action == "write")
            per_cycle = n * (lv.capacity_bits - words * icg_over_flip_flop()) - written / layer.compute_cycles
            saved += layer.cycles * per_cycle * e_ff
    assert saved > 0
    assert _clock_j(base) - _clock_j(gated) == pytest.approx(saved, rel=1e-9)
    assert gated.latency_s == base.latency_s


def test_register_word_gating_leaves_a_one_word_accumulator_alone() -> None:
    """edge_npu_int8's per-PE register is one accumulator word written every cycle: a gate would only add its own
    clock energy, so the register stays ungated and the clock energy is that of the other gates alone."""
    net = _conv(64, 64)
    plain = accelkit.evaluate(net, "edge_npu_int8", optimizations=[{"kind": "clock_gating"}])
    words = accelkit.evaluate(net, "edge_npu_int8", optimizations=[{"kind": "clock_gating", "registers": True}])
    assert _clock_j(words) == pytest.approx(_clock_j(plain), rel=1e-12)


def test_register_word_gating_cuts_eyeriss_scratchpad_clock() -> None:
    """Eyeriss's ifmap and psum scratchpads are 576 flip-flops per PE, written about one word per cycle: gating
    their 36 words removes most of the chip's clock energy."""
    net = _conv(16, 16)
    base = accelkit.evaluate(net, "eyeriss_v1")
    gated = accelkit.evaluate(net, "eyeriss_v1", optimizations=[{"kind": "clock_gating", "gate": "pes",
                                                                  "registers": True}])  # fmt: skip
    pes = accelkit.evaluate(net, "eyeriss_v1", optimizations=[{"kind": "clock_gating", "gate": "pes"}])
    assert _clock_j(gated) < 0.5 * _clock_j(pes) < _clock_j(base)
    assert gated.area_mm2 > pes.area_mm2  # the word gates
