"""evaluate(): totals equal the breakdown, monotonicity in voltage and node, memory fit, errors."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import accelkit
from accelkit.errors import AccelkitError, SpecError, UnknownNameError
from accelkit.mapping import MappingError
from accelkit.presets import load_accelerator_spec

SMALL: dict[str, Any] = {
    "name": "small",
    "technology": {"node": "28 nm", "voltage": "0.9 V", "clock": "500 MHz"},
    "pe_array": {"rows": 8, "cols": 8, "mac": {"input": "int8", "weight": "int8", "output": "int32"}},
    "memory": [
        {
            "name": "dram",
            "kind": "dram",
            "interface": "LPDDR4",
            "width": "64 b",
            "read_bandwidth": 2,
            "write_bandwidth": 2,
        },
        {
            "name": "glb",
            "kind": "sram",
            "capacity": "64 KiB",
            "width": "64 b",
            "read_bandwidth": 8,
            "write_bandwidth": 8,
        },
        {"name": "reg", "kind": "regfile", "capacity": "32 B", "per_pe": True},
    ],
    "dataflow": "weight_stationary",
}


def _spec(**changes: Any) -> dict[str, Any]:
    spec = yaml.safe_load(yaml.safe_dump(SMALL))
    for path, value in changes.items():
        node = spec
        keys = path.split(".")
        for k in keys[:-1]:
            node = node[int(k)] if k.isdigit() else node[k]
        node[keys[-1]] = value
    return spec


@pytest.fixture(scope="module")
def kws_eval() -> accelkit.Evaluation:
    return accelkit.evaluate("mlperf_tiny_kws", SMALL)


def test_breakdown_sums_to_totals(kws_eval: accelkit.Evaluation) -> None:
    df = kws_eval.to_dataframe()
    assert df["energy_j"].sum() == pytest.approx(kws_eval.energy_j, rel=1e-12)
    assert sum(r.energy_j for r in kws_eval.layers) == pytest.approx(kws_eval.dynamic_energy_j, rel=1e-12)
    by_level = kws_eval.totals()["energy_by_level_j"]
    assert sum(by_level.values()) == pytest.approx(kws_eval.energy_j, rel=1e-12)
    assert set(by_level) >= {"mac", "dram", "glb", "reg", "leakage"}
    per_layer = df[df.layer != "(all)"].groupby("layer")["energy_j"].sum()
    for r in kws_eval.layers:
        assert per_layer[r.name] == pytest.approx(r.energy_j, rel=1e-12)


def test_totals_are_consistent(kws_eval: accelkit.Evaluation) -> None:
    t = kws_eval.totals()
    assert t["latency_s"] == pytest.approx(sum(r.latency_s for r in kws_eval.layers))
    assert t["throughput_ips"] == pytest.approx(1 / t["latency_s"])
    assert t["power_w"] == pytest.approx(t["energy_j"] / t["latency_s"])
    assert 0 < t["utilization"] <= 1
    assert kws_eval.macs == 2_656_768
    assert t["energy_per_mac_j"] == pytest.approx(t["energy_j"] / 2_656_768)
    # every MAC layer is at least as slow as its compute and never faster than the peak
    for r in kws_eval.layers:
        assert r.cycles >= r.compute_cycles
        if r.macs:
            assert r.cycles >= r.macs / 64


def test_memory_fit(kws_eval: accelkit.Evaluation) -> None:
    mem = kws_eval.totals()["memory"]
    assert mem["on_chip_shared_bytes"] == 64 * 1024
    assert mem["weights_fit_on_chip"]  # 22.6 k int8 parameters in 64 KiB


def test_batch_scales_work_not_weight_traffic() -> None:
    # through DRAM in both cases (at batch 4 KWS's activations no longer fit on chip, which costs energy)
    one = accelkit.evaluate("mlperf_tiny_kws", SMALL, residency="dram")
    four = accelkit.evaluate("mlperf_tiny_kws", SMALL, batch=4, residency="dram")
    assert four.macs == 4 * one.macs and four.batch == 4
    assert four.energy_per_inference_j <= one.energy_per_inference_j * 1.0001  # weights amortised over the batch


@settings(max_examples=4, deadline=None)
@given(v=st.floats(0.6, 1.0), dv=st.floats(0.02, 0.2))
def test_energy_is_monotone_in_voltage(v: float, dv: float) -> None:
    low = accelkit.evaluate("mlperf_tiny_ad", _spec(**{"technology.voltage": f"{v} V"}))
    high = accelkit.evaluate("mlperf_tiny_ad", _spec(**{"technology.voltage": f"{v + dv} V"}))
    assert low.energy_j <= high.energy_j


@pytest.mark.parametrize(("small", "large"), [("16 nm", "28 nm"), ("28 nm", "45 nm"), ("45 nm", "65 nm")])
def test_energy_is_monotone_in_node(small: str, large: str) -> None:
    a = accelkit.evaluate("mlperf_tiny_ad", _spec(**{"technology.node": small, "technology.voltage": "0.9 V"}))
    b = accelkit.evaluate("mlperf_tiny_ad", _spec(**{"technology.node": large, "technology.voltage": "0.9 V"}))
    assert a.dynamic_energy_j <= b.dynamic_energy_j
    assert a.area_mm2 <= b.area_mm2


def test_precision_cast_is_reported() -> None:
    ev = accelkit.evaluate("mlperf_tiny_kws", "eyeriss_v1")
    assert len(ev.provenance["precision_cast_layers"]) == len(ev.network.layers)  # int8 network, int16 datapath


def test_estimator_sources_are_recorded(kws_eval: accelkit.Evaluation) -> None:
    src = kws_eval.provenance["estimators"]
    assert {"mac", "glb.read", "dram.read"} <= set(src)
    assert all(v["source"] for v in src.values())


def test_energy_override_wins() -> None:
    base = accelkit.evaluate("mlperf_tiny_ad", SMALL)
    spec = _spec()
    spec["energy_overrides"] = {"mac": "10 pJ"}
    over = accelkit.evaluate("mlperf_tiny_ad", spec)
    assert over.totals()["energy_by_level_j"]["mac"] == pytest.approx(10e-12 * base.macs)


# ---- bad input ----------------------------------------------------------------------------------------------
def test_all_spec_errors_are_reported_at_once_with_paths() -> None:
    bad = _spec(**{"pe_array.rows": 0, "memory.0.read_bandwidth": 0})
    bad["memory"][1]["operands"] = ["input", "psum"]
    with pytest.raises(SpecError) as info:
        load_accelerator_spec(bad)
    msg = str(info.value)
    assert "pe_array.rows" in msg and "memory[0].read_bandwidth" in msg and "memory[1].operands[1]" in msg
    assert "3 problems" in msg


def test_unit_errors_name_the_field_and_the_expected_unit() -> None:
    with pytest.raises(SpecError, match=r"technology.clock: .*expected a frequency such as '200 MHz'"):
        load_accelerator_spec(_spec(**{"technology.clock": "fast"}))


def test_memory_too_small_for_any_tile() -> None:
    # one 32-bit word of shared buffer cannot hold an int8 input, an int8 weight and an int32 partial sum at once
    spec = _spec(
        **{
            "memory.1.capacity": "4 B",
            "memory.1.width": "32 b",
            "memory.1.read_energy": "1 pJ",
            "memory.1.write_energy": "1 pJ",
            "memory.1.area": "0.001 mm2",
            "memory.1.leakage": "1 nW",
        }
    )
    with pytest.raises(MappingError, match=r"cannot be mapped on 'small'.*glb"):
        accelkit.evaluate("mlperf_tiny_kws", spec)


def test_capacity_below_one_word_is_a_spec_error() -> None:
    with pytest.raises(SpecError, match=r"memory\[1\].*smaller than one 64-bit word"):
        load_accelerator_spec(_spec(**{"memory.1.capacity": "2 b"}))


def test_yaml_file_errors_name_the_file(tmp_path: Path) -> None:
    p = tmp_path / "acc.yaml"
    p.write_text(yaml.safe_dump({"accelerator": _spec(**{"pe_array.cols": -1})}))
    with pytest.raises(SpecError) as info:
        accelkit.evaluate("kws", p)
    assert str(p) in str(info.value) and "accelerator.pe_array.cols" in str(info.value)


def test_unknown_preset_and_objective() -> None:
    with pytest.raises(UnknownNameError, match="eyeriss_v1"):
        accelkit.evaluate("kws", "eyeriss_v2x")
    with pytest.raises(AccelkitError, match="objective"):
        accelkit.evaluate("kws", SMALL, objective="speed")  # type: ignore[arg-type]


def test_dram_must_be_outermost_and_hold_everything() -> None:
    spec = _spec()
    spec["memory"] = [spec["memory"][1], spec["memory"][0]]
    with pytest.raises(SpecError) as info:
        load_accelerator_spec(spec)
    assert "DRAM must be the outermost level" in str(info.value)
    assert not math.isnan(1.0)


# ---- residency ------------------------------------------------------------------------------------------------
def test_a_model_that_fits_stays_on_chip() -> None:
    on = accelkit.evaluate("mlperf_tiny_kws", "edge_npu_int8")  # 24 KB of weights + 16 KB of activations
    off = accelkit.evaluate("mlperf_tiny_kws", "edge_npu_int8", residency="dram")
    assert on.provenance["residency"] == "on_chip" and off.provenance["residency"] == "dram"
    assert on.totals()["traffic_bytes"]["dram"] == 0 and on.totals()["energy_by_level_j"]["dram"] == 0
    assert off.totals()["traffic_bytes"]["dram"] > 0
    assert on.energy_j < off.energy_j
    assert sum(on.totals()["energy_by_level_j"].values()) == pytest.approx(on.energy_j, rel=1e-12)


def test_a_model_that_does_not_fit_goes_through_dram() -> None:
    ev = accelkit.evaluate("mlperf_tiny_ad", "edge_npu_int8")  # 271 KB of int8 weights > 256 KiB
    assert ev.provenance["residency"] == "dram"
    with pytest.raises(AccelkitError, match=r"residency 'on_chip' is impossible.*holds 262,144 B"):
        accelkit.evaluate("mlperf_tiny_ad", "edge_npu_int8", residency="on_chip")


def test_unknown_residency() -> None:
    with pytest.raises(AccelkitError, match="expected auto, dram or on_chip"):
        accelkit.evaluate("kws", SMALL, residency="sram")


def test_auto_residency_falls_back_when_a_layer_cannot_be_mapped_on_chip() -> None:
    """KWS at batch 4 'fits' by bytes on Eyeriss, but its 45 KB of weights overflow the 8 KiB weight partition:
    auto must fall back to DRAM, never fail."""
    ev = accelkit.evaluate("mlperf_tiny_kws", "eyeriss_v1", batch=4)
    assert ev.provenance["residency"] == "dram" and ev.energy_j > 0
    with pytest.raises(AccelkitError, match="residency 'on_chip' is impossible"):
        accelkit.evaluate("mlperf_tiny_kws", "eyeriss_v1", batch=4, residency="on_chip")


def test_reserved_level_names_and_mac_count_are_rejected() -> None:
    spec = _spec(**{"memory.1.name": "noc"})
    with pytest.raises(SpecError, match=r"memory\[1\]\.name.*reserved"):
        load_accelerator_spec(spec)
    with pytest.raises(SpecError, match=r"pe_array\.mac\.count"):
        load_accelerator_spec(_spec(**{"pe_array.mac.count": 4}))


def test_per_pe_overrides_are_for_the_whole_level() -> None:
    base = accelkit.evaluate("mlperf_tiny_ad", SMALL)
    over = accelkit.evaluate("mlperf_tiny_ad", _spec(**{"memory.2.leakage": "1 mW", "memory.2.area": "0.01 mm2"}))
    reg_default = base.priced.levels[2]
    delta_leak = over.priced.leakage_w - (base.priced.leakage_w - reg_default.leakage.value * reg_default.instances)
    assert delta_leak == pytest.approx(1e-3)


def test_rebatching_an_evaluated_zoo_network_counts_the_batch() -> None:
    from accelkit.workload.zoo import get_network

    ev = accelkit.evaluate(get_network("mlperf_tiny_kws"), SMALL, batch=4, residency="dram")
    assert ev.batch == 4 and ev.macs == 4 * 2_656_768
    pool = next(r for r in ev.layers if r.op == "pool")
    one = accelkit.evaluate("mlperf_tiny_kws", SMALL, residency="dram")
    assert pool.ops == 4 * next(r for r in one.layers if r.op == "pool").ops


def test_zoo_parameters_are_type_checked() -> None:
    for bad in (1.5, True, "abc", 0):
        with pytest.raises(AccelkitError, match="batch must be positive"):
            accelkit.load_network("kws", batch=bad)


def test_override_keys_and_units_are_checked() -> None:
    spec = _spec()
    spec["energy_overrides"] = {"gbl.read": "1 pJ", "glb.area": "2 pJ", "glb.fly": "1 pJ", "glb.leakage": "1 mW"}
    with pytest.raises(SpecError) as info:
        load_accelerator_spec(spec)
    msg = str(info.value)
    assert "energy_overrides.gbl.read: unknown component 'gbl'" in msg
    assert "energy_overrides.glb.area" in msg and "area" in msg
    assert "energy_overrides.glb.fly" in msg and "glb.leakage" not in msg


def test_a_supply_below_threshold_is_rejected() -> None:
    with pytest.raises(SpecError, match=r"technology\.voltage: 0\.2 V is at or below the threshold"):
        accelkit.evaluate("kws", _spec(**{"technology.voltage": "0.2 V"}))


def test_a_directory_does_not_shadow_a_zoo_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "resnet18").mkdir()
    monkeypatch.chdir(tmp_path)
    assert accelkit.load_network("resnet18").name == "resnet18"


def test_the_search_and_evaluate_use_the_same_latency_model() -> None:
    """The mapper's EDP objective is (its energy) x (its cycles); its cycles must be the ones evaluate reports."""
    from accelkit.mapping.search import counts_energy
    from accelkit.model.pricing import price

    ev = accelkit.evaluate("mlperf_tiny_kws", SMALL, residency="dram")
    costs = price(ev.accelerator).unit_costs
    for layer, r in zip(ev.network.layers, ev.layers, strict=True):
        if r.mapping is None:
            continue
        energy = counts_energy(accelkit.mapping.analyze(layer, ev.accelerator, r.mapping), ev.accelerator, costs)
        assert r.mapping.info["objective_value"] / energy == pytest.approx(r.cycles, rel=1e-9), r.name


def test_dram_reads_and_writes_share_one_bus() -> None:
    spec = _spec(**{"memory.0.read_bandwidth": 0.01, "memory.0.write_bandwidth": 0.01})
    ev = accelkit.evaluate("mlperf_tiny_ad", spec, residency="dram")
    r = next(r for r in ev.layers if r.name == "dense1")
    assert r.bound == "dram"
    words = r.traffic_bytes["dram"] * 8 / 64  # 64-bit words, reads and writes together
    assert r.cycles == pytest.approx(words / 0.01, rel=1e-9)


def test_embedding_lookups_fetch_their_rows() -> None:
    ev = accelkit.evaluate("bert_tiny", "edge_npu_int8", residency="dram")
    gathers = [r for r, lyr in zip(ev.layers, ev.network.layers, strict=True) if lyr.attrs.get("fn") == "gather"]
    assert gathers
    for r, lyr in zip(gathers, [lyr for lyr in ev.network.layers if lyr.attrs.get("fn") == "gather"], strict=True):
        out_bytes = sum(ev.network.tensors[t].elements for t in lyr.outputs) * lyr.bits_of(accelkit.Operand.OUTPUT) / 8
        assert r.traffic_bytes["dram"] >= 2 * out_bytes  # the rows read from the table + the output written


def test_a_word_narrower_than_one_bit_is_rejected() -> None:
    with pytest.raises(SpecError, match=r"memory\[1\]\.width"):
        load_accelerator_spec(_spec(**{"memory.1.width": "0.5 b"}))


def test_a_non_overlapped_level_adds_its_transfer_time() -> None:
    """overlapped: false (a DRAM link the chip does not overlap): the level's cycles add to compute instead of
    hiding behind it; energy is unchanged for the same mapping."""
    from accelkit.model.evaluate import layer_cycles
    from accelkit.presets import load_accelerator_spec
    from accelkit.spec.paths import patch

    spec = load_accelerator_spec("edge_npu_int8")
    stalled = patch(spec, {"memory.dram.overlapped": False})
    arch = accelkit.load_accelerator(stalled)
    assert layer_cycles(100.0, {"dram": 30.0, "glb": 80.0}, arch) == (130.0, "dram")
    assert layer_cycles(100.0, {"dram": 30.0, "glb": 120.0}, arch) == (150.0, "glb")  # the larger term bounds
    assert layer_cycles(100.0, {"dram": 0.0, "glb": 80.0}, arch) == (100.0, "compute")
    base = accelkit.evaluate("mlperf_tiny_ad", spec, residency="dram", objective="energy")
    slow = accelkit.evaluate("mlperf_tiny_ad", stalled, residency="dram", objective="energy")
    for a, b in zip(base.layers, slow.layers, strict=True):
        dram = b.traffic_bytes["dram"]
        assert b.cycles >= a.cycles
        if dram and a.mapping is not None and a.mapping == b.mapping:
            assert b.cycles > a.compute_cycles
    assert slow.latency_s > base.latency_s


def test_the_mappers_latency_is_evaluates_latency_with_a_non_overlapped_level() -> None:
    """eyeriss_v1's DRAM link is not overlapped: the latency objective the mapper minimized is the latency
    evaluate reports (energy only breaks ties in the objective)."""
    ev = accelkit.evaluate("mlperf_tiny_ic", "eyeriss_v1", objective="latency", residency="dram")
    assert not ev.accelerator.level("dram").overlapped
    mapped = [r for r in ev.layers if r.mapping is not None]
    assert any(r.bound == "dram" for r in mapped)
    for r in mapped:
        assert r.mapping.info["objective_value"] == pytest.approx(r.cycles, rel=1e-9)
