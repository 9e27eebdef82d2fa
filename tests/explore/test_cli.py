"""`accelkit explore` and `accelkit pareto` through typer's runner."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from accelkit.cli import app

runner = CliRunner()


def test_explore_then_pareto(small_study: Path, tmp_path: Path) -> None:
    out = runner.invoke(app, ["explore", str(small_study), "--executor", "serial", "--export", str(tmp_path / "a.csv")])
    assert out.exit_code == 0, out.output
    assert "12 evaluated" in out.output and "Pareto front" in out.output
    assert (tmp_path / "a.csv").is_file()
    db = small_study.with_suffix(".db")
    res = runner.invoke(app, ["pareto", str(db), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["points"] == 12 and data["failed"] == 0
    assert [o["metric"] for o in data["objectives"]] == ["energy_per_inference_j", "area_mm2"]
    assert data["front"] == len(data["pareto"]) >= 1
    first = data["pareto"][0]
    assert set(first) >= {"id", "params", "objectives", "metrics"}
    assert data["hypervolume"] > 0
    table = runner.invoke(app, ["pareto", str(db)])
    assert table.exit_code == 0 and "hypervolume" in table.output


def test_explore_resume_and_strategy_options(small_study: Path) -> None:
    first = runner.invoke(app, ["explore", str(small_study), "-e", "serial", "--budget", "4", "--json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["run"]["evaluated"] == 4
    again = runner.invoke(app, ["explore", str(small_study), "-e", "serial"])
    assert again.exit_code == 2 and "--resume" in again.output
    resumed = runner.invoke(app, ["explore", str(small_study), "-e", "serial", "--resume", "--json"])
    run = json.loads(resumed.output)["run"]
    assert (run["evaluated"], run["reused"]) == (8, 4)
    nsga = runner.invoke(
        app,
        ["explore", str(small_study), "-e", "serial", "--strategy", "nsga2", "--budget", "6", "--fresh", "--seed", "3"],
    )
    assert nsga.exit_code == 0, nsga.output and "nsga2 (seed 3)" in nsga.output


def test_bad_input_exits_2_with_the_path(tmp_path: Path, small_study: Path) -> None:
    data = yaml.safe_load(small_study.read_text())
    data["explore"]["axes"]["accelerator.memory.glbb.capacity"] = ["64 KiB"]
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    out = runner.invoke(app, ["explore", str(bad), "-e", "serial"])
    assert out.exit_code == 2
    assert "explore.axes['accelerator.memory.glbb.capacity']" in out.output and "did you mean 'glb'" in out.output
    assert "Traceback" not in out.output
    missing = runner.invoke(app, ["pareto", str(tmp_path / "nope.db")])
    assert missing.exit_code == 2 and "no sweep store" in missing.output
    bogus = runner.invoke(app, ["explore", str(small_study), "--executor", "nope"])
    assert bogus.exit_code == 2 and "unknown executor" in bogus.output
