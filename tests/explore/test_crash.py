"""Crash safety: SIGKILL a running `accelkit explore` mid-sweep, resume it, and lose or duplicate nothing."""

from __future__ import annotations

import copy
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from accelkit.explore.result import StudyResult

from .conftest import SMALL, comparable, write_study

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")


def _study(tmp_path: Path) -> Path:
    data = copy.deepcopy(SMALL)
    data["explore"]["axes"] = {
        "accelerator.memory.glb.capacity": ["64 KiB", "128 KiB", "256 KiB", "512 KiB"],
        "evaluate.inference_rate": {"start": 1, "stop": 1000, "num": 40, "scale": "log"},
        "blocks.power_gating": "on_off",
    }  # 320 points
    return write_study(tmp_path, data)


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "from accelkit.cli import main; main()", *args]


def _stored(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM points").fetchone()[0])
    except sqlite3.OperationalError:  # not created yet
        return 0


@pytest.mark.parametrize("executor", ["serial", "process"])
def test_sigkill_then_resume_loses_and_duplicates_nothing(tmp_path: Path, executor: str) -> None:
    study = _study(tmp_path)
    db = tmp_path / "killed.db"
    args = ["explore", str(study), "--db", str(db), "--executor", executor, "--no-progress"]
    if executor == "process":
        args += ["--workers", "2"]
    proc = subprocess.Popen(_cli(*args), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while _stored(db) < 40:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "the sweep did not start"
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL
    before = {r["id"]: r for r in StudyResult.from_db(db).rows()}
    assert 40 <= len(before) < 320, "killed mid-sweep"

    resumed = subprocess.run(_cli(*args, "--resume", "--json"), capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    after = StudyResult.from_db(db)
    rows = {r["id"]: r for r in after.rows()}
    # nothing lost: every point written before the kill is still there, unchanged
    for pid, r in before.items():
        assert rows[pid]["metrics"] == r["metrics"] and rows[pid]["finished_at"] == r["finished_at"]
    # nothing duplicated: one row per point, 320 points
    with sqlite3.connect(db) as conn:
        n, distinct = conn.execute("SELECT COUNT(*), COUNT(DISTINCT params) FROM points").fetchone()
    assert n == distinct == 320
    runs = after.store.runs()
    assert runs[0]["status"] == "running" and runs[-1]["status"] == "finished"  # the killed run never finished
    assert runs[-1]["reused"] == len(before) and runs[-1]["evaluated"] == 320 - len(before)

    # the final results equal an uninterrupted run
    clean = subprocess.run(
        _cli("explore", str(study), "--db", str(tmp_path / "clean.db"), "--executor", "serial", "--no-progress"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert clean.returncode == 0, clean.stderr
    assert comparable(after) == comparable(StudyResult.from_db(tmp_path / "clean.db"))

    # the killed run's worker processes went away by themselves
    if executor == "process":
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.2)
        else:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail("orphaned workers kept running after the parent was killed")
