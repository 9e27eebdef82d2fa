"""End-to-end CLI tests: network show, list networks, demo, and the error contract."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from accelkit.cli import app

runner = CliRunner()


def test_network_show_table_has_layers_and_totals() -> None:
    result = runner.invoke(app, ["network", "show", "mlperf_tiny_ic"])
    assert result.exit_code == 0, result.output
    assert "s2_skip" in result.output and "12,501,632" in result.output and "77,706" in result.output
    assert "peak live activations 48.00 KiB" in result.output


def test_network_show_json_follows_the_output_contract() -> None:
    result = runner.invoke(app, ["network", "show", "kws", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["name"] == "mlperf_tiny_kws"
    assert {"macs", "params", "weight_bytes", "activation_peak_bytes"} <= set(doc["totals"])
    assert doc["totals"]["macs"] == 2_656_768 and doc["totals"]["params"] == 22_604
    ops = {layer["op"] for layer in doc["layers"]}
    assert ops <= {"conv", "depthwise", "fc", "matmul", "pool", "eltwise", "other"}
    first = doc["layers"][0]
    assert {"name", "op", "macs", "params"} <= set(first)
    assert first["dims"] == {"N": 1, "G": 1, "K": 64, "C": 1, "P": 25, "Q": 5, "R": 10, "S": 4}
    assert sum(layer["macs"] for layer in doc["layers"]) == doc["totals"]["macs"]


def test_zoo_parameters_from_the_command_line() -> None:
    result = runner.invoke(app, ["network", "show", "vww", "--param", "batch=2", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["totals"]["macs"] == 2 * 7_489_664


def test_compute_only_and_csv(tmp_path: Path) -> None:
    csv = tmp_path / "layers.csv"
    result = runner.invoke(app, ["network", "show", "ic", "--compute-only", "--csv", str(csv)])
    assert result.exit_code == 0, result.output
    assert "s1_add" not in result.output and "s1_a" in result.output
    df = pd.read_csv(csv)
    assert df["macs"].sum() == 12_501_632 and len(df) == 15


def test_list_networks() -> None:
    result = runner.invoke(app, ["list", "networks", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.output)}
    assert rows["mlperf_tiny_ad"]["macs"] == 264_192
    assert all(r["source"]["year"] for r in rows.values())
    table = runner.invoke(app, ["list", "networks"])
    assert table.exit_code == 0 and "mlperf_tiny_vww" in table.output


def test_demo_runs_and_checks_the_published_totals() -> None:
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    assert result.output.count("exact") == 4 and "MISMATCH" not in result.output
    assert "mlperf_tiny_kws on tinyml_int8" in result.output and "per inference" in result.output
    for block in ("quantization", "pruning", "sparse_format", "zero_gating", "voltage_scaling", "power_gating"):
        assert block in result.output
    assert "waterfall" in result.output and "Shapley" in result.output


def test_unknown_network_exits_2_with_a_message_and_no_traceback() -> None:
    result = runner.invoke(app, ["network", "show", "resnet5O"])
    assert result.exit_code == 2
    assert "unknown network" in result.output and "Traceback" not in result.output


def test_missing_file_exits_2_naming_the_file() -> None:
    result = runner.invoke(app, ["network", "show", "missing/model.onnx"])
    assert result.exit_code == 2
    assert "missing/model.onnx: file not found" in result.output


def test_bad_param_syntax() -> None:
    result = runner.invoke(app, ["network", "show", "kws", "--param", "batch"])
    assert result.exit_code == 2 and "KEY=VALUE" in result.output


def test_unknown_zoo_parameter() -> None:
    result = runner.invoke(app, ["network", "show", "kws", "--param", "depth=3"])
    assert result.exit_code == 2 and "has no parameter 'depth'" in result.output


def test_bad_spec_file(tmp_path: Path) -> None:
    p = tmp_path / "n.yaml"
    p.write_text("zoo: kws\nbatch: 2\n")
    result = runner.invoke(app, ["network", "show", str(p)])
    assert result.exit_code == 2
    assert str(p) in result.output and "batch: unknown field" in result.output


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("accelkit ")


def test_debug_shows_the_traceback_from_the_console_script() -> None:
    import subprocess
    import sys

    cmd = [sys.executable, "-c", "import sys; sys.argv[0] = 'accelkit'; from accelkit.cli import main; main()"]
    plain = subprocess.run([*cmd, "network", "show", "nosuch"], capture_output=True, text=True, check=False)
    assert plain.returncode == 2 and "Traceback" not in plain.stderr and "unknown network" in plain.stderr
    debug = subprocess.run([*cmd, "--debug", "network", "show", "nosuch"], capture_output=True, text=True, check=False)
    assert debug.returncode != 0 and "Traceback" in debug.stderr
