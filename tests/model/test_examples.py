"""The example studies in examples/: each loads, evaluates with its blocks, and every block changes something."""

from __future__ import annotations

from pathlib import Path

import pytest

import accelkit
from accelkit.model.study import load_study
from accelkit.studies import study_path

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.yaml"))


def test_there_is_an_example_per_mlperf_tiny_model() -> None:
    nets = [load_study(p).network_source() for p in EXAMPLES]
    names = {n.zoo if hasattr(n, "zoo") else n for n in nets}
    assert {"mlperf_tiny_kws", "mlperf_tiny_vww", "mlperf_tiny_ic", "mlperf_tiny_ad"} <= names


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_evaluates_with_its_blocks(path: Path) -> None:
    study = load_study(path)
    assert study.blocks, f"{path.name} has no blocks"
    with_blocks = accelkit.evaluate(path)
    without = accelkit.evaluate(path, optimizations=())
    assert with_blocks.energy_per_inference_j < without.energy_per_inference_j
    assert [b.kind for b in with_blocks.blocks] and not without.blocks


def test_the_demo_study_is_the_kws_example() -> None:
    packaged = study_path("demo_kws_tinyml").read_text()
    example = (Path(__file__).resolve().parents[2] / "examples" / "kws_tinyml.yaml").read_text()
    assert packaged == example
