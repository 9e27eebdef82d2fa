"""CLI: evaluate a study file, attribute, list optimizations."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from accelkit.cli import app

runner = CliRunner()

STUDY = """name: ad-demo
network: {zoo: mlperf_tiny_ad}
accelerator: edge_npu_int8
evaluate: {inference_rate: 10}
blocks:
  - {kind: voltage_scaling, voltage: 0.7 V}
  - {kind: batch, size: 2}
"""


def _study(tmp_path, text=STUDY):
    f = tmp_path / "study.yaml"
    f.write_text(text)
    return str(f)


def test_evaluate_a_study(tmp_path) -> None:
    res = runner.invoke(app, ["evaluate", _study(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "block voltage_scaling" in res.output and "at 10 inferences/s" in res.output
    res = runner.invoke(app, ["evaluate", _study(tmp_path), "--json"])
    doc = json.loads(res.stdout)
    assert doc["totals"]["inference_rate_ips"] == 10
    assert [b["kind"] for b in doc["provenance"]["blocks"]] == ["batch", "voltage_scaling"]
    plain = json.loads(runner.invoke(app, ["evaluate", _study(tmp_path), "--json", "--no-blocks"]).stdout)
    assert plain["provenance"]["blocks"] == []
    assert plain["totals"]["energy_j"] != doc["totals"]["energy_j"]


def test_evaluate_needs_a_study_or_network_and_accelerator(tmp_path) -> None:
    res = runner.invoke(app, ["evaluate", "-n", "mlperf_tiny_ad"])
    assert res.exit_code == 2 and "accelerator" in res.output
    res = runner.invoke(app, ["evaluate", _study(tmp_path), "-n", "mlperf_tiny_ad"])
    assert res.exit_code == 2


def test_attribute_table_json_and_csv(tmp_path) -> None:
    res = runner.invoke(app, ["attribute", _study(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "voltage_scaling" in res.output and "waterfall" in res.output and "Shapley" in res.output
    csv = tmp_path / "att.csv"
    res = runner.invoke(app, ["attribute", _study(tmp_path), "--json", "--csv", str(csv)])
    doc = json.loads(res.stdout)
    assert {b["kind"] for b in doc["blocks"]} == {"voltage_scaling", "batch"}
    assert set(doc["blocks"][0]["alone"]) >= {"energy_per_inference_j", "latency_s", "area_mm2"}
    assert csv.read_text().startswith("block,")


def test_attribute_bad_block_names_file_and_field(tmp_path) -> None:
    bad = STUDY.replace("size: 2", "size: 0")
    res = runner.invoke(app, ["attribute", _study(tmp_path, bad)])
    assert res.exit_code == 2
    assert "blocks[1].size" in res.output and "study.yaml" in res.output


def test_list_optimizations() -> None:
    res = runner.invoke(app, ["list", "optimizations", "--json"])
    kinds = {r["kind"] for r in json.loads(res.stdout)}
    assert {"dataflow", "voltage_scaling", "batch"} <= kinds


def test_list_strategies_and_executors() -> None:
    for kind, expected in (("strategies", {"grid", "random", "nsga2"}), ("executors", {"serial", "process", "dask"})):
        res = runner.invoke(app, ["list", kind, "--json"])
        assert res.exit_code == 0, res.output
        assert expected <= set(json.loads(res.stdout))
