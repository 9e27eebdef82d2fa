"""AcceleratorSpec validation: units are required where a bare number is ambiguous, and the clock must be reachable
at the spec's node and supply. Every error names the file, the field's YAML path, what was expected and what was got.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from accelkit.errors import SpecError
from accelkit.hardware.technology import max_clock_hz
from accelkit.presets import load_accelerator, load_accelerator_spec, preset_names, preset_spec
from accelkit.spec.accelerator import AcceleratorSpec

SPEC: dict[str, Any] = {
    "name": "small",
    "technology": {"node": "28 nm", "voltage": "0.9 V", "clock": "500 MHz"},
    "pe_array": {"rows": 4, "cols": 4},
    "memory": [
        {"name": "dram", "kind": "dram", "read_bandwidth": 2, "write_bandwidth": 2},
        {"name": "glb", "kind": "sram", "capacity": "64 KiB", "width": "64 b"},
        {"name": "reg", "kind": "regfile", "capacity": "32 B", "per_pe": True},
    ],
}


def _with(path: str, value: Any) -> dict[str, Any]:
    spec = copy.deepcopy(SPEC)
    node: Any = spec
    keys = path.split(".")
    for k in keys[:-1]:
        node = node[int(k)] if k.isdigit() else node[k]
    node[keys[-1]] = value
    return spec


def _problems(spec: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(SpecError) as info:
        load_accelerator_spec(spec)
    return dict(info.value.problems)


# ---- bare numbers -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "value", "field", "example"),
    [
        ("technology.clock", 200, "technology.clock", "'200 MHz'"),
        ("technology.clock", "200", "technology.clock", "'200 MHz'"),
        ("technology.voltage", 1, "technology.voltage", "'0.9 V'"),
        ("technology.node", 28, "technology.node", "'28 nm'"),
        ("memory.1.capacity", 1024, "memory[1].capacity", "'108 KiB'"),
        ("memory.1.width", 64, "memory[1].width", "'64 b'"),
        ("memory.1.read_energy", 2.1, "memory[1].read_energy", "'0.2 pJ'"),
        ("memory.1.leakage", 0.001, "memory[1].leakage", "'150 mW'"),
        ("memory.1.partition", {"weight": 4096}, "memory[1].partition.weight", "'108 KiB'"),
        ("energy_overrides", {"mac": 0.2}, "energy_overrides.mac", "'0.2 pJ'"),
    ],
)
def test_a_number_without_a_unit_is_rejected_with_an_example(path: str, value: Any, field: str, example: str) -> None:
    problems = _problems(_with(path, value))
    assert field in problems, problems
    msg = problems[field]
    got = next(iter(value.values())) if isinstance(value, dict) else value
    assert "without a unit is ambiguous" in msg and example in msg and f"got {got!r}" in msg


def test_a_bare_number_error_names_the_yaml_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "acc.yaml"
    path.write_text(yaml.safe_dump({"accelerator": _with("memory.1.capacity", 1024)}), encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_accelerator_spec(path)
    text = str(info.value)
    assert str(path) in text and "accelerator.memory[1].capacity" in text and "bits or bytes?" in text


def test_every_bare_number_is_reported_at_once() -> None:
    spec = _with("technology.clock", 200)
    spec["memory"][1]["capacity"] = 1024
    assert {"technology.clock", "memory[1].capacity"} <= set(_problems(spec))


def test_cross_field_problems_keep_their_own_paths() -> None:
    """Problems found across fields are reported each at its own path, together with the other fields' problems."""
    spec = _with("energy_overrides", {"mac": "1 mm2", "glb.read": "2 pJ"})
    del spec["memory"][1]["width"]
    spec["memory"][1]["capacity"] = "2 b"  # smaller than one word of the widest operand (int32 psums)
    problems = _problems(spec)
    assert set(problems) == {"energy_overrides.mac", "memory[1].capacity"}
    spec["pe_array"]["rows"] = 0  # a field error: the cross-field checks still run on the raw data
    assert set(_problems(spec)) == {"energy_overrides.mac", "pe_array.rows"}


def test_zero_needs_no_unit_and_unit_strings_still_work() -> None:
    spec = _with("memory.1.leakage", 0)
    spec["memory"][1]["area"] = 0
    spec["energy_overrides"] = {"adder": 0, "mac": "0.2 pJ"}
    s = load_accelerator_spec(spec)
    assert s.memory[1].leakage == 0 and s.memory[1].area == 0
    assert s.memory[1].capacity == 64 * 1024 * 8 and s.technology.clock == 500e6


def test_a_dumped_spec_validates_again_with_the_same_values() -> None:
    for name in preset_names():
        spec = preset_spec(name)
        again = AcceleratorSpec.model_validate(spec.model_dump())
        assert again == spec, name


# ---- the clock ceiling ------------------------------------------------------------------------------------------
def test_a_clock_above_the_nodes_ceiling_is_rejected() -> None:
    problems = _problems(_with("technology.clock", "8 GHz"))
    msg = problems["technology.clock"]
    assert "expected at most 5,300 MHz" in msg and "28 nm at 0.9 V" in msg and "got 8,000 MHz" in msg


def test_the_ceiling_follows_the_supply_voltage() -> None:
    """At 0.6 V the alpha-power law lowers the 28 nm ceiling to about half: 4 GHz passes at 0.9 V, not at 0.6 V."""
    assert load_accelerator_spec(_with("technology.clock", "4 GHz")).technology.clock == 4e9
    low = _with("technology.clock", "4 GHz")
    low["technology"]["voltage"] = "0.6 V"
    msg = _problems(low)["technology.clock"]
    assert f"at most {max_clock_hz(28e-9, 0.6) / 1e6:,.0f} MHz" in msg and "at 0.6 V" in msg


def test_the_ceiling_uses_the_flavor() -> None:
    lp = _with("technology.clock", "4.6 GHz")
    lp["technology"].update({"node": "65 nm", "voltage": "1.0 V", "flavor": "LP"})
    assert "65 nm LP at 1 V" in _problems(lp)["technology.clock"]


def test_the_clock_error_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "fast.yaml"
    path.write_text(yaml.safe_dump(_with("technology.clock", "20 GHz")), encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_accelerator_spec(path)
    assert str(path) in str(info.value) and "technology.clock: expected at most" in str(info.value)


def test_no_ceiling_where_the_scaling_laws_do_not_reach() -> None:
    """5 nm is outside the 7-180 nm scaling data: no ceiling is claimed there (the estimators say so)."""
    spec = _with("technology.clock", "3 GHz")
    spec["technology"].update({"node": "5 nm", "voltage": "0.7 V"})
    assert load_accelerator_spec(spec).technology.clock == 3e9


def test_a_supply_near_threshold_is_reported_as_a_voltage_problem_not_a_clock_problem() -> None:
    with pytest.raises(SpecError) as info:
        load_accelerator(_with("technology.voltage", "0.2 V"))
    assert [p for p, _ in info.value.problems] == ["technology.voltage"]


@pytest.mark.parametrize("name", preset_names())
def test_every_preset_clock_is_below_its_ceiling(name: str) -> None:
    tech = preset_spec(name).technology
    assert tech.clock < max_clock_hz(tech.node, tech.voltage, tech.flavor) / 3
