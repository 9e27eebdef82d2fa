"""Every packaged preset: valid, cited, follows the naming contract, evaluates."""

from __future__ import annotations

import pytest

import accelkit
from accelkit.presets import preset_names, preset_spec


@pytest.mark.parametrize("name", preset_names())
def test_preset_is_valid_and_cited(name: str) -> None:
    spec = preset_spec(name)
    assert spec.name == name
    assert spec.citation is not None
    assert spec.citation.title and spec.citation.year and spec.citation.where
    assert spec.memory[0].name == "dram" and spec.memory[0].kind == "dram"
    assert any(m.name == "glb" for m in spec.memory)
    assert spec.published, "a preset states the figures its golden test reproduces"


@pytest.mark.parametrize("name", preset_names())
def test_preset_evaluates_an_mlperf_tiny_model(name: str) -> None:
    ev = accelkit.evaluate("mlperf_tiny_kws", name)
    assert ev.energy_j > 0 and ev.latency_s > 0 and 0 < ev.utilization <= 1
