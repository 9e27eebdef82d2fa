"""Small studies for the explorer's tests (MLPerf Tiny AD/KWS on the packaged int8 presets)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

SMALL: dict[str, Any] = {
    "name": "ad-small",
    "network": {"zoo": "mlperf_tiny_ad"},
    "accelerator": "edge_npu_int8",
    "evaluate": {"objective": "edp", "inference_rate": 10},
    "blocks": [{"kind": "power_gating", "enabled": False}],
    "explore": {
        "axes": {
            "accelerator.memory.glb.capacity": ["128 KiB", "256 KiB"],
            "evaluate.inference_rate": [1, 10, 100],
            "blocks.power_gating": "on_off",
        },
        "constraints": ["average_power_w <= 1 mW"],
        "objectives": ["energy_per_inference_j", "area_mm2"],
    },
}


def write_study(folder: Path, data: dict[str, Any] | None = None, name: str = "study.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(data or SMALL, sort_keys=False))
    return path


@pytest.fixture
def small_study(tmp_path: Path) -> Path:
    return write_study(tmp_path)


def comparable(result: Any) -> dict[str, Any]:
    """What must be equal between two runs: every point's parameters, status, metrics, seq and error."""
    return {
        r["id"]: (r["seq"], r["params"], r["status"], r["metrics"], (r["error"] or "").splitlines()[:1])
        for r in result.rows()
    }
