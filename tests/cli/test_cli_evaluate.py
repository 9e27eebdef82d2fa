"""End-to-end CLI tests of evaluate, list accelerators and list dataflows."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from accelkit.cli import app

runner = CliRunner()


def test_evaluate_json_follows_the_output_contract() -> None:
    result = runner.invoke(
        app, ["evaluate", "-n", "mlperf_tiny_kws", "-a", "edge_npu_int8", "--residency", "dram", "--json"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["provenance"]["residency"] == "dram" and doc["objective"] == "edp"
    assert doc["network"] == {"name": "mlperf_tiny_kws", "macs": 2_656_768, "params": 22_604}
    assert doc["accelerator"]["name"] == "edge_npu_int8"
    t = doc["totals"]
    for key in ("energy_j", "latency_s", "throughput_ips", "power_w", "area_mm2", "utilization"):
        assert t[key] > 0
    assert {"dram", "glb"} <= set(t["traffic_bytes"])
    assert {"dram", "glb", "mac"} <= set(t["energy_by_level_j"])
    assert sum(t["energy_by_level_j"].values()) == __import__("pytest").approx(t["energy_j"], rel=1e-9)
    layer = doc["layers"][0]
    for key in ("name", "op", "macs", "energy_j", "latency_s", "utilization", "traffic_bytes", "energy_by_level_j"):
        assert key in layer
    assert sum(r["macs"] for r in doc["layers"]) == 2_656_768


def test_evaluate_table_and_mappings() -> None:
    result = runner.invoke(app, ["evaluate", "-n", "ad", "-a", "edge_npu_int8", "--mappings"])
    assert result.exit_code == 0, result.output
    assert "dense10" in result.output and "per inference" in result.output and "[glb]" in result.output


def test_evaluate_batch_and_objective() -> None:
    result = runner.invoke(
        app, ["evaluate", "-n", "ad", "-a", "edge_npu_int8", "--batch", "2", "--objective", "latency", "--json"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["network"]["macs"] == 2 * 264_192 and doc["objective"] == "latency"


def test_evaluate_bad_accelerator_file(tmp_path: Path) -> None:
    p = tmp_path / "acc.yaml"
    p.write_text(
        yaml.safe_dump(
            {
                "name": "x",
                "technology": {"node": "28 nm", "voltage": "0.9 V", "clock": "0 Hz"},
                "pe_array": {"rows": 0, "cols": 4},
                "memory": [],
            }
        )
    )
    result = runner.invoke(app, ["evaluate", "-n", "kws", "-a", str(p)])
    assert result.exit_code == 2
    for field in ("technology.clock", "pe_array.rows", "memory"):
        assert field in result.output
    assert str(p) in result.output and "Traceback" not in result.output


def test_evaluate_unknown_preset_and_objective() -> None:
    result = runner.invoke(app, ["evaluate", "-n", "kws", "-a", "edge_npu"])
    assert result.exit_code == 2 and "edge_npu_int8" in result.output
    result = runner.invoke(app, ["evaluate", "-n", "kws", "-a", "edge_npu_int8", "--objective", "fast"])
    assert result.exit_code == 2 and "objective" in result.output
    result = runner.invoke(app, ["evaluate", "-n", "kws", "-a", "edge_npu_int8", "--dataflow", "diagonal"])
    assert result.exit_code == 2 and "weight_stationary" in result.output


def test_list_accelerators_and_dataflows() -> None:
    result = runner.invoke(app, ["list", "accelerators", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.output)}
    assert {"eyeriss_v1", "edge_npu_int8"} <= set(rows)
    assert all(r["citation"]["year"] and r["citation"]["title"] for r in rows.values())
    assert all(r["levels"][0] == "dram" and "glb" in r["levels"] for r in rows.values())
    result = runner.invoke(app, ["list", "dataflows"])
    assert result.exit_code == 0 and "row_stationary" in result.output


def test_list_estimators() -> None:
    result = runner.invoke(app, ["list", "estimators", "--json"])
    assert result.exit_code == 0, result.output
    kinds = {k for row in json.loads(result.output) for k in row["kinds"]}
    assert {"mac", "sram", "regfile", "dram", "noc"} <= kinds
