"""Bad input: every problem reported with its path, the closest names suggested."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

import accelkit
from accelkit.errors import AccelkitError, SpecError, UnknownNameError
from accelkit.model.study import load_study
from accelkit.spec.explore import ExploreSpec, RangeSpec

from .conftest import SMALL


def study(**explore: Any) -> dict[str, Any]:
    data = copy.deepcopy(SMALL)
    data["explore"].update(explore)
    return data


def problems(exc: SpecError) -> dict[str, str]:
    return dict(exc.problems)


def test_ranges() -> None:
    assert RangeSpec(start=0.6, stop=0.9, step=0.1, unit="V").values() == ["0.6 V", "0.7 V", "0.8 V", "0.9 V"]
    assert RangeSpec(start=8, stop=32, step=8).values() == [8, 16, 24, 32]
    assert RangeSpec(start=1, stop=1000, num=4, scale="log").values() == [1.0, 10.0, 100.0, 1000.0]
    assert RangeSpec(start=0, stop=1, num=3).values() == [0.0, 0.5, 1.0]


def test_constraint_forms_and_units() -> None:
    spec = ExploreSpec.model_validate(
        {
            "axes": {"evaluate.inference_rate": [1]},
            "constraints": [
                "average_power_w <= 1 mW",
                {"metric": "memory.on_chip_shared_bytes", "max": "512 KiB"},
                "area_mm2 < 2",
                "area_mm2 >= 0.5 mm2",
                "meets_rate",
            ],
        }
    )
    values = [(c.metric, c.op, c.value) for c in spec.constraints]
    assert values == [
        ("average_power_w", "<=", pytest.approx(1e-3)),
        ("memory.on_chip_shared_bytes", "<=", 512 * 1024),
        ("area_mm2", "<", 2.0),
        ("area_mm2", ">=", pytest.approx(0.5)),
        ("meets_rate", "==", True),
    ]
    assert [
        o.direction
        for o in ExploreSpec.model_validate(
            {"axes": {"evaluate.inference_rate": [1]}, "objectives": ["throughput_ips", "max utilization", "latency_s"]}
        ).objectives
    ] == ["maximize", "maximize", "minimize"]


def test_form_problems_reported_together() -> None:
    data = study(
        axes={
            "accelerator.pe_array.rows": [],
            "acelerator.pe_array.cols": [4],
            "evaluate.inference_rate": {"start": 3, "stop": 1, "step": 1},
            "accelerator.pe_array.rows, accelerator.pe_array.cols": [[8, 8], [16]],
        },
        objectives=["energy_j", "energy_j"],
    )
    with pytest.raises(SpecError) as err:
        load_study(data)
    p = problems(err.value)
    assert "empty" in p["explore.axes['accelerator.pe_array.rows']"]
    assert "did you mean 'accelerator'" in p["explore.axes['acelerator.pe_array.cols']"]
    assert "below start" in p["explore.axes['evaluate.inference_rate'].stop"]
    assert "lists of 2 values" in p["explore.axes['accelerator.pe_array.rows, accelerator.pe_array.cols']"]
    assert "already" in p["explore.objectives[1]"]


def test_unknown_metric_suggests() -> None:
    with pytest.raises(SpecError) as err:
        load_study(study(constraints=["average_powr_w <= 1 mW"], objectives=["energy_per_inferense_j"]))
    p = problems(err.value)
    assert "did you mean 'average_power_w'" in p["explore.constraints[0].metric"]
    assert "did you mean 'energy_per_inference_j'" in p["explore.objectives[0].metric"]


def test_contradictory_constraints() -> None:
    with pytest.raises(SpecError) as err:
        load_study(study(constraints=["area_mm2 <= 1", "area_mm2 >= 2 mm2"]))
    ((path, msg),) = err.value.problems
    assert path == "explore.constraints[1]" and "no feasible value of area_mm2" in msg
    with pytest.raises(SpecError, match="both true and false"):
        load_study(study(constraints=["meets_rate", "meets_rate == false"]))
    with pytest.raises(SpecError, match="no feasible"):
        load_study(study(constraints=["latency_s < 1 ms", "latency_s >= 1 ms"]))
    load_study(study(constraints=["latency_s <= 1 ms", "latency_s >= 1 ms"]))  # one value left: fine


def test_axis_naming_a_missing_field_suggests_the_closest(tmp_path: Path) -> None:
    data = study(
        axes={
            "accelerator.memory.glbb.capacity": ["128 KiB"],
            "accelerator.pe_array.rowz": [8],
            "blocks.power_gatin.enabled": [True],
            "blocks.power_gating.inference_rat": [1],
            "evaluate.inference": [1],
        }
    )
    with pytest.raises(SpecError) as err:
        accelkit.explore(data, executor="serial")
    text = str(err.value)
    assert "did you mean 'glb'" in text
    assert "did you mean 'rows'" in text
    assert "did you mean 'power_gating'" in text
    assert "did you mean 'inference_rate'" in text
    assert len(err.value.problems) == 5


def test_bad_axis_value_names_the_value() -> None:
    with pytest.raises(SpecError) as err:
        accelkit.explore(study(axes={"accelerator.memory.glb.capacity": ["128 KiB", "lots"]}), executor="serial")
    ((path, msg),) = err.value.problems
    assert path == "explore.axes['accelerator.memory.glb.capacity'][1]" and "'lots'" in msg


def test_unknown_strategy_and_executor() -> None:
    with pytest.raises(UnknownNameError, match="Did you mean 'grid'"):
        accelkit.explore(SMALL, strategy="gird")
    with pytest.raises(UnknownNameError, match="serial"):
        accelkit.explore(SMALL, executor="seriall")


def test_study_without_explore_section() -> None:
    data = copy.deepcopy(SMALL)
    del data["explore"]
    with pytest.raises(AccelkitError, match="no explore section"):
        accelkit.explore(data)


def test_unreachable_dask_scheduler() -> None:
    pytest.importorskip("distributed")
    with pytest.raises(AccelkitError, match=r"cannot reach the Dask scheduler at 'tcp://127\.0\.0\.1:9' within 1 s"):
        accelkit.explore(SMALL, dask="tcp://127.0.0.1:9", dask_timeout=1, budget=1)
