"""Small studies shared by the report tests and the browser test (cheap: MLPerf Tiny AD on the edge NPU)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml

XSS = "<script>alert(1)</script>"
XSS_IMG = '<img src=x onerror="alert(2)">'

STUDY = {
    "name": "ad-on-npu",
    "description": "anomaly detection on the edge NPU, <b>two</b> blocks",
    "network": "mlperf_tiny_ad",
    "accelerator": "edge_npu_int8",
    "evaluate": {"inference_rate": 10},
    "blocks": [
        {"kind": "voltage_scaling", "voltage": "0.7 V"},
        {"kind": "technology_node", "node": "16 nm"},
    ],
}


def preset_dict(name: str = "edge_npu_int8") -> dict[str, Any]:
    return yaml.safe_load(resources.files("accelkit.presets").joinpath(f"{name}.yaml").read_text(encoding="utf-8"))


def xss_study() -> dict[str, Any]:
    """Network, accelerator, study, description and a block label all carry markup that must render as text."""
    acc = preset_dict()
    acc["name"] = XSS
    acc["description"] = XSS_IMG
    return {
        "name": f"study {XSS}",
        "description": XSS_IMG,
        "network": {"zoo": "mlperf_tiny_ad", "name": XSS},
        "accelerator": acc,
        "blocks": [{"kind": "voltage_scaling", "voltage": "0.7 V", "label": XSS}],
    }


def write_study(folder: Path, data: dict[str, Any], name: str = "study.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def pareto_frame():
    """A small set of design points with two objectives and a name column (the explorer's table shape)."""
    import pandas as pd

    rows = []
    for i, (e, lat) in enumerate([(5, 9), (6, 6), (9, 4), (7, 7), (10, 10), (12, 3), (8, 8), (6.5, 9.5)]):
        rows.append(
            {"point": f"p{i}", "energy_per_inference_j": e * 1e-6, "latency_s": lat * 1e-5, "pes": 64 * (i + 1)}
        )
    return pd.DataFrame(rows)
