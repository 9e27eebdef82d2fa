"""explore(): strategies, store, resume, failing points, executors agreeing with each other."""

from __future__ import annotations

import copy
import sqlite3
from pathlib import Path

import pytest

import accelkit
from accelkit.errors import AccelkitError
from accelkit.explore.result import StudyResult
from accelkit.explore.space import point_id

from .conftest import SMALL, comparable, write_study


def test_grid_serial_stores_every_point_next_to_the_study(small_study: Path) -> None:
    res = accelkit.explore(small_study, executor="serial")
    assert isinstance(res, StudyResult)
    assert res.db_path == str(small_study.with_suffix(".db"))
    df = res.to_dataframe()
    assert len(df) == 12 and set(df.status) == {"ok"}
    assert df.seq.tolist() == list(range(12))
    assert len(set(df.id)) == 12
    for col in ("accelerator.memory.glb.capacity", "evaluate.inference_rate", "blocks.power_gating.enabled"):
        assert col in df.columns
    for col in ("energy_per_inference_j", "average_power_w", "memory.footprint_bytes", "accuracy_loss_pp"):
        assert col in df.columns
    # the inference rate only changes the average power, never the energy of an inference
    g = df.groupby(["accelerator.memory.glb.capacity", "blocks.power_gating.enabled"])
    assert (g.energy_per_inference_j.nunique() == 1).all()
    # feasible exactly where the average power at the point's rate stays within 1 mW
    assert (df.feasible == (df.average_power_w <= 1e-3)).all()
    assert df.feasible.any() and not df.feasible.all()
    assert all("average_power_w <= 1 mW (got" in v for v in df[~df.feasible].violations)
    front = res.pareto()
    assert 1 <= len(front) <= 12
    assert res.hypervolume() > 0
    assert res.run["evaluated"] == 12 and res.run["reused"] == 0
    # a point's id is the hash of its parameters
    row = res.rows()[0]
    assert row["id"] == point_id(row["params"])
    # notebook display: the summary and the front
    html = res._repr_html_()
    assert "12 points" in html and "<table" in html and front.iloc[0]["id"] in html


def test_existing_store_needs_resume_or_fresh(small_study: Path) -> None:
    accelkit.explore(small_study, executor="serial", budget=5)
    with pytest.raises(AccelkitError, match="--resume"):
        accelkit.explore(small_study, executor="serial")
    res = accelkit.explore(small_study, executor="serial", resume=True)
    assert res.run["evaluated"] == 7 and res.run["reused"] == 5 and len(res) == 12
    res = accelkit.explore(small_study, executor="serial", resume=True)
    assert res.run["evaluated"] == 0 and res.run["reused"] == 12
    res = accelkit.explore(small_study, executor="serial", fresh=True, budget=2)
    assert len(res) == 2
    runs = res.store.runs()
    assert [r["status"] for r in runs] == ["finished"] * 4


def test_store_of_another_study_is_refused(tmp_path: Path, small_study: Path) -> None:
    accelkit.explore(small_study, executor="serial", budget=2)
    other = copy.deepcopy(SMALL)
    other["accelerator"] = "tinyml_int8"
    with pytest.raises(AccelkitError, match="different version of this study"):
        accelkit.explore(other, executor="serial", db=small_study.with_suffix(".db"), resume=True)


def test_failing_point_is_recorded_not_fatal(tmp_path: Path) -> None:
    data = copy.deepcopy(SMALL)
    data["evaluate"]["residency"] = "on_chip"
    data["explore"]["axes"] = {"accelerator.memory.glb.capacity": ["1 KiB", "512 KiB"]}
    path = write_study(tmp_path, data)
    res = accelkit.explore(path, executor="serial")
    df = res.to_dataframe().set_index("accelerator.memory.glb.capacity")
    assert df.loc["1 KiB", "status"] == "failed"
    assert "on_chip" in df.loc["1 KiB", "error"]
    assert df.loc["512 KiB", "status"] == "ok"
    assert res.summary()["failed"] == 1
    # retried on request only
    again = accelkit.explore(path, executor="serial", resume=True)
    assert again.run["evaluated"] == 0
    again = accelkit.explore(path, executor="serial", resume=True, retry_failed=True)
    assert again.run["evaluated"] == 1 and again.summary()["points"] == 2


def test_random_is_seeded_and_prefix_stable(tmp_path: Path) -> None:
    a = accelkit.explore(SMALL, strategy="random", budget=5, seed=7, executor="serial")
    b = accelkit.explore(SMALL, strategy="random", budget=5, seed=7, executor="serial")
    c = accelkit.explore(SMALL, strategy="random", budget=8, seed=7, executor="serial")
    d = accelkit.explore(SMALL, strategy="random", budget=5, seed=8, executor="serial")
    ids = lambda r: {x["id"] for x in r.rows()}  # noqa: E731
    assert ids(a) == ids(b)
    assert ids(a) < ids(c)
    assert ids(a) != ids(d)
    assert len(ids(c)) == 8


def test_nsga2_is_reproducible_and_respects_the_budget(tmp_path: Path) -> None:
    data = copy.deepcopy(SMALL)
    data["explore"]["axes"] = {
        "accelerator.memory.glb.capacity": ["64 KiB", "128 KiB", "256 KiB"],
        "evaluate.inference_rate": {"start": 1, "stop": 1000, "num": 7, "scale": "log"},
        "blocks.power_gating": "on_off",
    }
    data["explore"]["objectives"] = ["average_power_w", "area_mm2"]
    a = accelkit.explore(data, strategy="nsga2", budget=24, population=8, seed=1, executor="serial")
    b = accelkit.explore(data, strategy="nsga2", budget=24, population=8, seed=1, executor="serial")
    assert comparable(a) == comparable(b)
    assert 1 <= len(a) <= 24  # generations may propose a point again: evaluated once
    assert len(a.pareto()) >= 1


def test_accuracy_from_the_catalog_or_unknown(tmp_path: Path) -> None:
    data = copy.deepcopy(SMALL)
    data["blocks"] = [{"kind": "quantization", "weights": "int4"}, {"kind": "power_gating"}]
    data["explore"]["axes"] = {"blocks.quantization": "on_off"}
    data["explore"]["constraints"] = ["accuracy_loss_pp <= 1"]
    res = accelkit.explore(data, executor="serial")
    df = res.to_dataframe().set_index("blocks.quantization.enabled")
    assert df.loc[False, "accuracy_loss_pp"] == 0.0  # power gating declares no accuracy effect
    assert df.loc[False, "feasible"]
    # the catalog's worst figure among quantization's techniques (binary weights, 2.9 pp), said so
    assert df.loc[True, "accuracy_loss_pp"] == pytest.approx(2.9)
    assert "binary-weights" in df.loc[True, "accuracy_basis"]
    assert not df.loc[True, "feasible"]
    data["explore"]["accuracy"] = {"loss_pp": {"quantization": 0.4}}
    res = accelkit.explore(data, executor="serial")
    df = res.to_dataframe().set_index("blocks.quantization.enabled")
    assert df.loc[True, "accuracy_loss_pp"] == pytest.approx(0.4) and df.loc[True, "feasible"]


def test_unknown_accuracy_is_not_invented() -> None:
    from accelkit.explore.evaluator import accuracy_loss
    from accelkit.optimizations import make_block

    class NoFigure:
        label = kind = "mystery"
        enabled = True
        catalog_ids = ("fixed-point-quantization",)
        metrics = ("energy", "accuracy")

    out = accuracy_loss([NoFigure(), make_block({"kind": "power_gating"})], {})
    assert out["accuracy_loss_pp"] != out["accuracy_loss_pp"]  # NaN
    assert out["accuracy_unknown"] == "mystery"
    assert "no accuracy figure" in out["accuracy_basis"]


def test_process_pool_gives_the_serial_results(tmp_path: Path) -> None:
    serial = accelkit.explore(SMALL, executor="serial", db=tmp_path / "s.db")
    pool = accelkit.explore(SMALL, executor="process", workers=2, db=tmp_path / "p.db", chunk_size=2)
    assert comparable(pool) == comparable(serial)
    assert len({r["worker"] for r in pool.rows()}) == 2


def test_exports(tmp_path: Path, small_study: Path) -> None:
    pd = pytest.importorskip("pandas")
    res = accelkit.explore(small_study, executor="serial")
    res.export(tmp_path / "all.csv")
    res.export(tmp_path / "all.parquet")
    res.export(tmp_path / "front.csv", front_only=True)
    assert len(pd.read_csv(tmp_path / "all.csv")) == 12
    back = pd.read_parquet(tmp_path / "all.parquet")
    assert len(back) == 12 and "energy_per_inference_j" in back.columns
    assert len(pd.read_csv(tmp_path / "front.csv")) == len(res.pareto())
    with pytest.raises(AccelkitError, match=r"parquet or \.csv"):
        res.export(tmp_path / "x.xlsx")
    # the store is plain SQLite: one row per point, every row committed
    with sqlite3.connect(res.db_path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM points").fetchone()[0] == 12
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    again = StudyResult.from_db(res.db_path)
    assert comparable(again) == comparable(res)
