"""Estimator plumbing (queries, registry, priorities, overrides, errors) and properties of the built-in laws."""

from __future__ import annotations

import math
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accelkit.errors import AccelkitError
from accelkit.estimators import (
    ESTIMATORS,
    ComponentQuery,
    Estimate,
    Estimator,
    EstimatorNotFound,
    estimate_area,
    estimate_energy,
    estimate_leakage,
    registered_estimators,
)
from accelkit.estimators.builtin import REFERENCE_TECHNOLOGY as REF
from accelkit.estimators.builtin import dram_interfaces
from accelkit.hardware.technology import Technology

BUILTINS = {"horowitz_arithmetic", "mux_tree_regfile", "sqrt_capacity_sram", "dram_interface_table", "wire_noc"}

techs = st.builds(
    lambda nm, v, flavor: Technology(node_m=nm * 1e-9, voltage_v=v, clock_hz=1e9, flavor=flavor),
    st.floats(min_value=7.0, max_value=180.0),
    st.floats(min_value=0.5, max_value=1.4),
    st.sampled_from([None, "LP", "HP"]),
)
bits = st.integers(min_value=1, max_value=64)


def mac(a: float, w: float, acc: float | None = None, fmt: str = "int") -> ComponentQuery:
    attrs = {"input_bits": a, "weight_bits": w, "number_format": fmt}
    if acc is not None:
        attrs["accum_bits"] = acc
    return ComponentQuery("mac", attrs)


def sram(capacity: float, width: float, banks: int = 1, kind: str = "sram") -> ComponentQuery:
    return ComponentQuery(kind, {"capacity_bits": capacity, "width_bits": width, "banks": banks})


# ---------------------------------------------------------------------------------------------------------------
# plumbing


def test_query_is_frozen_hashable_picklable() -> None:
    q = ComponentQuery("sram", {"capacity_bits": "64 KiB", "width_bits": 64}, name="glb")
    assert q.bits("capacity_bits") == 64 * 1024 * 8
    with pytest.raises(TypeError):
        q.attributes["banks"] = 2  # type: ignore[index]
    assert hash(q) == hash(ComponentQuery("sram", {"width_bits": 64, "capacity_bits": "64 KiB"}, name="glb"))
    assert pickle.loads(pickle.dumps(q)) == q
    with pytest.raises(ValueError, match="unknown component kind"):
        ComponentQuery("cache")


def test_estimate_validates() -> None:
    with pytest.raises(ValueError, match="confidence"):
        Estimate(1.0, "J", "x", "y", "guessed")
    with pytest.raises(ValueError, match="non-negative"):
        Estimate(-1.0, "J", "x", "y", "read")


def test_builtins_are_registered_in_priority_order() -> None:
    names = [e.name for e in registered_estimators()]
    assert set(ESTIMATORS.names()) >= BUILTINS
    assert names.index("mux_tree_regfile") < names.index("sqrt_capacity_sram")
    prios = [e.priority for e in registered_estimators()]
    assert prios == sorted(prios, reverse=True)


def test_small_register_files_use_the_regfile_law_and_large_ones_the_sram_law() -> None:
    assert estimate_energy(sram(4096, 16, kind="regfile"), "read", REF).estimator == "mux_tree_regfile"
    big = estimate_energy(sram(8192, 16, kind="regfile"), "read", REF)
    assert big.estimator == "sqrt_capacity_sram" and "priced as SRAM" in big.source
    assert estimate_energy(sram(32768, 32, kind="scm"), "read", REF).estimator == "mux_tree_regfile"


def test_overrides_take_precedence() -> None:
    glb = sram(64 * 8192, 64)
    glb = ComponentQuery(glb.kind, glb.attributes, name="glb")
    e = estimate_energy(glb, "read", REF, {"glb.read": 1.2e-12})
    assert (e.value, e.estimator, e.confidence) == (1.2e-12, "user override", "user")
    assert estimate_energy(glb, "write", REF, {"glb.read": 1.2e-12}).estimator == "sqrt_capacity_sram"
    assert estimate_energy(mac(8, 8), "mac", REF, {"mac": "0.2 pJ"}).value == pytest.approx(0.2e-12)
    assert estimate_area(glb, REF, {"glb.area": "0.5 mm2"}).value == pytest.approx(0.5e-6)
    assert estimate_leakage(glb, REF, {"glb.leakage": "10 uW"}).value == pytest.approx(10e-6)


def test_not_found_names_component_and_action() -> None:
    q = ComponentQuery("mac", {"bits": 8, "number_format": "fp"}, name="pe_mac")
    with pytest.raises(EstimatorNotFound, match=r"mac 'pe_mac'.*mac.*horowitz_arithmetic") as info:
        estimate_energy(q, "mac", REF)
    assert isinstance(info.value, AccelkitError)
    with pytest.raises(EstimatorNotFound, match="read"):
        estimate_energy(sram(64, 64), "read", REF)  # below the SRAM law's range
    with pytest.raises(ValueError, match="unknown action"):
        estimate_energy(mac(8, 8), "fly", REF)


def test_outside_the_scaling_range_the_logic_estimators_decline() -> None:
    tech5 = Technology.from_spec("5 nm", "0.7 V", "1 GHz")
    with pytest.raises(EstimatorNotFound, match="5 nm"):
        estimate_energy(mac(8, 8), "mac", tech5)
    dram = ComponentQuery("dram", {"interface": "HBM2"})
    assert estimate_energy(dram, "read", tech5).value == pytest.approx(3.9e-12)  # DRAM is not node-scaled


def test_a_plugin_with_higher_priority_wins_and_can_decline(monkeypatch: pytest.MonkeyPatch) -> None:
    class Flat(Estimator):
        name = "flat_test"
        priority = 1000
        kinds = frozenset({"mac"})

        def energy(self, query: ComponentQuery, action: str, tech: Technology) -> Estimate | None:
            if query.get("input_bits") != 4:
                return None
            return Estimate(1e-15, "J", self.name, "test", "assumption")

    monkeypatch.setitem(ESTIMATORS._items, "flat_test", Flat)
    assert estimate_energy(mac(4, 4), "mac", REF).estimator == "flat_test"
    assert estimate_energy(mac(8, 8), "mac", REF).estimator == "horowitz_arithmetic"


# ---------------------------------------------------------------------------------------------------------------
# the arithmetic laws


@settings(max_examples=150, deadline=None)
@given(tech=techs, a=bits, w=bits, acc=bits, da=st.integers(0, 8), dw=st.integers(0, 8), dacc=st.integers(0, 8))
def test_fewer_bits_never_cost_more(tech: Technology, a: int, w: int, acc: int, da: int, dw: int, dacc: int) -> None:
    big = (min(a + da, 64), min(w + dw, 64), min(acc + dacc, 64))
    for what in (estimate_energy(mac(a, w, acc), "mac", tech), estimate_area(mac(a, w, acc), tech)):
        other = estimate_energy(mac(*big), "mac", tech) if what.unit == "J" else estimate_area(mac(*big), tech)
        assert what.value <= other.value * (1 + 1e-12)
    add_small = estimate_energy(ComponentQuery("adder", {"bits": acc}), "add", tech).value
    add_big = estimate_energy(ComponentQuery("adder", {"bits": big[2]}), "add", tech).value
    assert add_small <= add_big * (1 + 1e-12)


def test_mac_is_multiply_plus_accumulate() -> None:
    q = mac(8, 8, 32)
    total = estimate_energy(q, "mac", REF).value
    parts = estimate_energy(q, "multiply", REF).value + estimate_energy(q, "add", REF).value
    assert total == pytest.approx(parts)
    assert total == pytest.approx(0.2e-12 + 0.1e-12)
    assert estimate_energy(mac(8, 8), "mac", REF).value == pytest.approx(0.2e-12 + 0.05e-12)  # default acc = 16 b


def test_16_vs_32_bit_fixed_multiply_against_eie() -> None:
    """EIE (ISCA 2016, read) reports a 16-bit fixed-point multiply as 5x cheaper than a 32-bit one.

    A purely quadratic law gives 4x. The law here, E = m0 + m1 a w through Horowitz's 8 b (0.2 pJ) and 32 b
    (3.1 pJ) points, gives 3.1 / 0.78 = 3.97x: the two table points are themselves slightly sub-quadratic (15.5x
    for 16x the a*w product), so *any* monotone law through both lands near 3.95x. EIE's 5x comes from its own
    synthesis, not from the table; the model under-predicts it by about 20%. Asserted: between 3.9x and 5x.
    The same table gives fp32 / int16 multiply = 3.7 / 0.78 = 4.7x against EIE's 6.2x.
    """
    m = ComponentQuery("multiplier", {"bits": 16})
    ratio = (
        estimate_energy(ComponentQuery("multiplier", {"bits": 32}), "mac", REF).value
        / estimate_energy(m, "mac", REF).value
    )
    assert 3.9 <= ratio <= 5.0
    assert ratio == pytest.approx(3.1 / 0.78)


def test_floating_point_only_at_table_widths() -> None:
    fp16 = mac(16, 16, 32, fmt="fp")
    assert estimate_energy(fp16, "mac", REF).value == pytest.approx(1.1e-12 + 0.9e-12)
    with pytest.raises(EstimatorNotFound):
        estimate_energy(mac(8, 8, 16, fmt="fp"), "mac", REF)


def test_arithmetic_area_and_leakage() -> None:
    a = estimate_area(ComponentQuery("multiplier", {"bits": 32}), REF)
    assert a.value == pytest.approx(3495e-12) and a.confidence == "remembered"
    leak = estimate_leakage(mac(8, 8, 32), REF)
    assert leak.value > 0 and leak.confidence == "assumption"


# ---------------------------------------------------------------------------------------------------------------
# memories, DRAM, NoC


@settings(max_examples=150, deadline=None)
@given(
    tech=techs,
    cap=st.integers(min_value=4096, max_value=2**24),  # >= 2 x widest word x most banks
    k=st.floats(min_value=1.0, max_value=8.0),
    width=st.sampled_from([8, 16, 32, 64, 128]),
    banks=st.sampled_from([1, 2, 4, 8]),
)
def test_sram_energy_monotone(tech: Technology, cap: int, k: float, width: int, banks: int) -> None:
    small, big = sram(cap, width, banks), sram(cap * k, width, banks)
    r_small, r_big = (estimate_energy(q, "read", tech).value for q in (small, big))
    assert r_small <= r_big * (1 + 1e-12)
    assert estimate_energy(small, "write", tech).value >= r_small
    assert estimate_energy(sram(cap, width * 2, banks), "read", tech).value == pytest.approx(2 * r_small)
    assert estimate_energy(sram(cap, width, banks * 2), "read", tech).value <= r_small * (1 + 1e-12)
    assert estimate_area(small, tech).value <= estimate_area(big, tech).value * (1 + 1e-12)
    assert estimate_leakage(big, tech).value == pytest.approx(k * estimate_leakage(small, tech).value)


@settings(max_examples=100, deadline=None)
@given(tech=techs, cap=st.integers(min_value=8, max_value=8191), width=st.sampled_from([8, 16, 32]))
def test_regfile_energy_monotone_and_positive(tech: Technology, cap: int, width: int) -> None:
    if cap < width:
        return
    q = sram(cap, width, kind="regfile")
    e = estimate_energy(q, "read", tech)
    assert e.value > 0 and math.isfinite(e.value)
    assert estimate_energy(sram(min(cap * 2, 8191), width, kind="regfile"), "read", tech).value >= e.value * (1 - 1e-12)


@pytest.mark.parametrize("iface", ["LPDDR2", "LPDDR4", "LPDDR5", "DDR3", "DDR4", "HBM2"])
def test_dram_per_bit_by_interface(iface: str) -> None:
    q = ComponentQuery("dram", {"interface": iface, "width_bits": 64})
    e28 = estimate_energy(q, "read", Technology.from_spec("28 nm", "0.8 V", "1 GHz"))
    assert e28.value == estimate_energy(q, "read", REF).value == estimate_energy(q, "write", REF).value
    assert 2e-12 * 64 < e28.value < 45e-12 * 64
    assert iface in dram_interfaces()
    assert estimate_area(q, REF).value == 0.0


def test_dram_defaults_to_lpddr4_and_says_so() -> None:
    e = estimate_energy(ComponentQuery("dram"), "read", REF)
    assert "LPDDR4 assumed" in e.source and e.confidence == "assumption"
    assert e.value == pytest.approx(5e-12)


def test_noc_wire_scales_with_voltage_only() -> None:
    link = ComponentQuery("noc", {"width_bits": 16, "hop_mm": 0.5})
    at = {n: estimate_energy(link, "hop", Technology.from_spec(n, "0.9 V", "1 GHz")).value for n in ("28 nm", "65 nm")}
    assert at["28 nm"] == pytest.approx(at["65 nm"]) == pytest.approx(16 * 0.5 * 0.24e-12)
    low = estimate_energy(link, "hop", Technology.from_spec("28 nm", "0.6 V", "1 GHz")).value
    assert low == pytest.approx(at["28 nm"] * (0.6 / 0.9) ** 2)
    assert estimate_energy(ComponentQuery("noc", {"width_bits": 16, "hop_m": 1e-3}), "hop", REF).value == pytest.approx(
        2 * at["28 nm"]
    )
    routed = estimate_energy(ComponentQuery("noc", {"width_bits": 16, "hop_mm": 0.5, "router": True}), "hop", REF)
    assert routed.value == pytest.approx(at["28 nm"] + 16 * 0.2e-12) and routed.confidence == "assumption"


def test_eyeriss_inter_pe_hop_is_loosely_2x_a_mac() -> None:
    """Eyeriss (ISCA 2016, remembered): an inter-PE NoC access costs ~2x a 16-bit MAC at 65 nm. With 0.5-1 mm
    hops the wire law gives 1.8-3.6x; asserted within a factor of 2 for a 0.5 mm hop."""
    t65 = Technology.from_spec("65 nm", "1.0 V", "200 MHz")
    hop = estimate_energy(ComponentQuery("noc", {"width_bits": 16, "hop_mm": 0.5}), "hop", t65).value
    m = estimate_energy(mac(16, 16, 16), "mac", t65).value
    assert 1.0 < hop / m < 4.0


@settings(max_examples=60, deadline=None)
@given(tech=techs)
def test_every_builtin_answers_in_range_with_a_source(tech: Technology) -> None:
    queries = [
        (mac(8, 8, 32), "mac"),
        (ComponentQuery("adder", {"bits": 24}), "add"),
        (sram(256 * 8192, 128, 8), "read"),
        (sram(512, 16, kind="regfile"), "write"),
        (sram(4096, 32, kind="scm"), "read"),
        (ComponentQuery("dram", {"interface": "LPDDR4", "width_bits": 64}), "read"),
        (ComponentQuery("noc", {"width_bits": 64}), "hop"),
    ]
    for q, action in queries:
        for est in (estimate_energy(q, action, tech), estimate_area(q, tech), estimate_leakage(q, tech)):
            assert math.isfinite(est.value) and est.value >= 0
            assert est.source and est.estimator in BUILTINS
