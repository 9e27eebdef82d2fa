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
    # the clock never rises, except by the word gates' own clock energy (a word written every cycle keeps
    # clocking its flip-flops and adds its gate)
    gates_j = _gate_clock_per_cycle_j(base) * sum(r.cycles for r in base.layers) if registers else 0.0
    assert _clock_j(gated) <= _clock_j(base) * (1 + 1e-12) + gates_j
    # dynamic energy likewise; the ICGs' own leakage is added
    assert gated.dynamic_energy_j <= base.dynamic_energy_j * (1 + 1e-12) + gates_j
    icg_leak = sum(x.leakage_w for x in gated.priced.extras if x.name == "clock_gates")
    assert gated.energy_j <= base.energy_j + gates_j + icg_leak * gated.latency_s * (1 + 1e-9)


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


def _gate_clock_per_cycle_j(ev: accelkit.Evaluation) -> float:
    """Clock energy per cycle of every word gate ``registers: true`` adds (all PEs)."""
    from accelkit.optimizations.clock_gating import gated_word_groups, icg_over_flip_flop

    priced, arch = ev.priced, ev.accelerator
    by_comp = priced.clock_j_per_cycle_by_component()
    out = 0.0
    for lv in arch.levels:
        for _, cap, word in gated_word_groups(lv):
            e_ff = by_comp[lv.name] / priced.clock_sinks[lv.name]
            out += (arch.pe_array.pes if lv.per_pe else 1) * -(-cap // word) * icg_over_flip_flop() * e_ff
    return out


@pytest.mark.parametrize("preset", ["eyeriss_v1", "edge_npu_int8"])
def test_register_word_gating_prices_gates_every_cycle_and_flip_flops_only_when_written(preset: str) -> None:
    """registers: true with levels gating only (every level used): per cycle each word group of a flip-flop
    register file goes from bits x E_ff to words x E_gate + (bits written per compute cycle) x E_ff, for every
    cycle of the layer (on eyeriss_v1 DRAM stalls make it longer than its compute cycles). On edge_npu_int8 the
    accumulator word is written every cycle, so its gate costs energy while the weight word's saves it."""
    from accelkit.optimizations.clock_gating import gated_word_groups, icg_over_flip_flop

    net = _conv(16, 16)
    base = accelkit.evaluate(net, preset)
    spec = {"kind": "clock_gating", "gate": "levels", "registers": True}
    gated = accelkit.evaluate(net, preset, optimizations=[spec])
    layer = base.layers[0]
    priced, arch = base.priced, base.accelerator
    by_comp = priced.clock_j_per_cycle_by_component()
    saved, groups = 0.0, 0
    for lv in arch.levels:
        for operands, cap, word in gated_word_groups(lv):
            groups += 1
            e_ff = by_comp[lv.name] / priced.clock_sinks[lv.name]
            n = arch.pe_array.pes if lv.per_pe else 1
            rows = [r for r in base.breakdown if r.component == lv.name and r.action == "write"]
            written = sum(r.count for r in rows if r.operand in operands) / layer.compute_cycles
            per_cycle = n * (cap - -(-cap // word) * icg_over_flip_flop()) - min(written, n * cap)
            saved += layer.cycles * per_cycle * e_ff
    assert groups >= 2
    assert _clock_j(base) - _clock_j(gated) == pytest.approx(saved, rel=1e-9)
    assert gated.latency_s == base.latency_s


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
