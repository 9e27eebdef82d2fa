"""The layer_fusion block: groups, tiles, DRAM traffic removed, recompute, activation peak, residency."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import accelkit
from accelkit.errors import SpecError
from accelkit.optimizations.fusion import FUSION, _Geom, plan_group


def _g(rows: int, r: int = 3, stride: int = 1) -> _Geom:
    return _Geom(rows, rows, 8, r, r, (stride, stride), (1, 1), 8)


def test_line_buffer_rows_grow_backwards() -> None:
    plan = plan_group([_g(32), _g(32), _g(32)], "line_buffer", 1, None)
    assert plan["rows"] == [5, 3, 1]
    assert plan["cols"] == [32, 32, 32]
    assert plan["recompute"] == [1.0, 1.0, 1.0]
    assert plan["buffer_bits"] == [5 * 32 * 8 * 8, 3 * 32 * 8 * 8]


def test_recompute_pays_halos() -> None:
    plan = plan_group([_g(32), _g(32)], "recompute", 4, 4)
    # 8 x 8 tiles of 4x4 outputs; the first layer computes 6x6 windows: (8*6/32)^2 = 2.25x its MACs
    assert plan["recompute"][0] == pytest.approx(2.25)
    assert plan["recompute"][1] == pytest.approx(1.0)
    assert plan["buffer_bits"] == [6 * 6 * 8 * 8]


@pytest.fixture(scope="module")
def vww() -> dict:
    kw = {"residency": "dram"}
    return {
        "base": accelkit.evaluate("mlperf_tiny_vww", "edge_npu_int8", **kw),
        "line": accelkit.evaluate("mlperf_tiny_vww", "edge_npu_int8", optimizations=[{"kind": "layer_fusion"}], **kw),
        "recompute": accelkit.evaluate(
            "mlperf_tiny_vww",
            "edge_npu_int8",
            optimizations=[{"kind": "layer_fusion", "mode": "recompute", "tile_rows": 4, "tile_cols": 4}],
            **kw,
        ),
    }


def test_dram_traffic_and_activation_peak_fall(vww: dict) -> None:
    base, line = vww["base"].totals(), vww["line"].totals()
    assert line["traffic_bytes"]["dram"] < 0.6 * base["traffic_bytes"]["dram"]
    assert line["memory"]["activation_peak_bytes"] < base["memory"]["activation_peak_bytes"]
    assert line["energy_j"] < base["energy_j"]
    fused = [x for x in vww["line"].network.layers if x.attrs.get(FUSION)]
    assert len(fused) >= 4
    assert any("DRAM traffic removed" in n for r in vww["line"].layers for n in r.notes)


def test_recompute_costs_macs_not_dram(vww: dict) -> None:
    line, rec = vww["line"], vww["recompute"]
    assert rec.energy_by_level_j()["mac"] > line.energy_by_level_j()["mac"]
    assert rec.totals()["traffic_bytes"]["dram"] <= vww["base"].totals()["traffic_bytes"]["dram"]
    assert any("recompute" in n for r in rec.layers for n in r.notes)


def test_no_effect_when_resident() -> None:
    base = accelkit.evaluate("mlperf_tiny_kws", "edge_npu_int8")
    assert base.provenance["residency"] == "on_chip"
    ev = accelkit.evaluate("mlperf_tiny_kws", "edge_npu_int8", optimizations=[{"kind": "layer_fusion"}])
    assert ev.totals() == base.totals()
    assert any("no effect" in n for r in ev.layers for n in r.notes)


@settings(max_examples=8, deadline=None)
@given(
    mode=st.sampled_from(["line_buffer", "recompute"]),
    tile_rows=st.integers(1, 6),
    budget=st.sampled_from([0.05, 0.5, 1.0]),
)
def test_property_fusion_never_increases_dram_traffic(mode: str, tile_rows: int, budget: float) -> None:
    base = accelkit.evaluate("mlperf_tiny_kws", "edge_npu_int8", residency="dram")
    ev = accelkit.evaluate(
        "mlperf_tiny_kws",
        "edge_npu_int8",
        residency="dram",
        optimizations=[{"kind": "layer_fusion", "mode": mode, "tile_rows": tile_rows, "budget": budget}],
    )
    b = {r.name: r.traffic_bytes["dram"] for r in base.layers}
    for r in ev.layers:
        assert r.traffic_bytes["dram"] <= b[r.name] + 1e-9


def test_user_groups_and_bad_input() -> None:
    ev = accelkit.evaluate(
        "mlperf_tiny_kws",
        "edge_npu_int8",
        residency="dram",
        optimizations=[{"kind": "layer_fusion", "groups": [["conv1", "dw1", "pw1"]]}],
    )
    assert {x.name for x in ev.network.layers if x.attrs.get(FUSION)} == {"conv1", "dw1", "pw1"}
    with pytest.raises(SpecError) as exc:
        accelkit.evaluate(
            "mlperf_tiny_ic", "edge_npu_int8", optimizations=[{"kind": "layer_fusion", "groups": [["s1_a", "s2_a"]]}]
        )
    assert "groups[0]" in str(exc.value)
    with pytest.raises(SpecError) as exc:
        accelkit.evaluate("mlperf_tiny_kws", "edge_npu_int8", optimizations=[{"kind": "layer_fusion", "level": "l9"}])
    assert "level" in str(exc.value)
    with pytest.raises(SpecError):
        accelkit.evaluate("mlperf_tiny_kws", "edge_npu_int8", optimizations=[{"kind": "layer_fusion", "level": "dram"}])
