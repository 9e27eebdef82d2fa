"""The sweep store: one SQLite file per study (default ``<study>.db`` next to the study file).

Every finished point is written at once, in its own transaction, by the parent process as its result arrives
(WAL journal: a killed sweep loses at most the points still being evaluated, never a written one, and the file
stays consistent). A point's row is keyed by the stable hash of its parameters, so a resumed sweep skips what is
there and never writes a point twice. ``meta`` holds the study the points belong to; ``runs`` one row per
``accelkit explore`` invocation.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from accelkit.errors import AccelkitError

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS points (
    id TEXT PRIMARY KEY,          -- stable hash of the parameters
    seq INTEGER NOT NULL,         -- order in which the strategy first asked for the point
    params TEXT NOT NULL,         -- JSON {field path: value}
    status TEXT NOT NULL,         -- ok | failed
    error TEXT,
    metrics TEXT,                 -- JSON {metric: value}
    feasible INTEGER,             -- all constraints hold (NULL for failed points)
    violations TEXT,              -- JSON list of the constraints that do not hold
    elapsed_s REAL,
    worker TEXT,
    finished_at REAL
);
CREATE INDEX IF NOT EXISTS points_seq ON points (seq);
CREATE TABLE IF NOT EXISTS runs (
    run INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at REAL, finished_at REAL, strategy TEXT, seed INTEGER, budget INTEGER,
    executor TEXT, workers INTEGER, evaluated INTEGER, reused INTEGER, failed INTEGER, status TEXT
);
"""


class StoreError(AccelkitError):
    """The store cannot be opened or belongs to another study."""


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


class Store:
    """A study's SQLite store. ``path`` ``":memory:"`` keeps points in memory (a study given without a file)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        try:
            self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self.conn.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode: a committed point survives the process being killed (not a power cut)
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the sweep store {self.path!r}: {exc}") from None

    @classmethod
    def open_existing(cls, path: str | os.PathLike[str]) -> Store:
        p = Path(path)
        if not p.is_file():
            raise StoreError(f"no sweep store at {os.fspath(path)!r} (run accelkit explore first)")
        store = cls(p)
        if store.meta("study_key") is None:
            raise StoreError(f"{os.fspath(path)!r} is not an accelkit sweep store")
        return store

    def close(self) -> None:
        self.conn.close()

    # ---- meta ---------------------------------------------------------------------------------------------
    def meta(self, key: str) -> Any:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def set_meta(self, values: Mapping[str, Any]) -> None:
        with self._tx():
            self.conn.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [(k, _dumps(v)) for k, v in values.items()],
            )

    # ---- points -------------------------------------------------------------------------------------------
    def count(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM points").fetchone()[0])

    def finished(self) -> dict[str, tuple[str, dict[str, Any] | None]]:
        """id -> (status, metrics) of every stored point."""
        out = {}
        for pid, status, metrics in self.conn.execute("SELECT id, status, metrics FROM points"):
            out[pid] = (status, json.loads(metrics) if metrics else None)
        return out

    def write(
        self,
        *,
        id: str,
        seq: int,
        params: Mapping[str, Any],
        status: str,
        error: str | None,
        metrics: Mapping[str, Any] | None,
        feasible: bool | None,
        violations: list[str] | None,
        elapsed_s: float,
        worker: str,
    ) -> None:
        """Write (or replace, when retrying a failed point) one point, in its own transaction."""
        row = (
            id,
            seq,
            _dumps(dict(params)),
            status,
            error,
            _dumps(dict(metrics)) if metrics is not None else None,
            None if feasible is None else int(feasible),
            _dumps(violations) if violations is not None else None,
            elapsed_s,
            worker,
            time.time(),
        )
        with self._tx():
            self.conn.execute(
                "INSERT INTO points (id, seq, params, status, error, metrics, feasible, violations, elapsed_s, "
                "worker, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                "status = excluded.status, error = excluded.error, metrics = excluded.metrics, "
                "feasible = excluded.feasible, violations = excluded.violations, elapsed_s = excluded.elapsed_s, "
                "worker = excluded.worker, finished_at = excluded.finished_at",
                row,
            )

    def rows(self) -> Iterator[dict[str, Any]]:
        """Every point in sequence order, JSON decoded."""
        cur = self.conn.execute(
            "SELECT id, seq, params, status, error, metrics, feasible, violations, elapsed_s, worker, finished_at "
            "FROM points ORDER BY seq, id"
        )
        for pid, seq, params, status, error, metrics, feasible, violations, elapsed, worker, at in cur:
            yield {
                "id": pid,
                "seq": seq,
                "params": json.loads(params),
                "status": status,
                "error": error,
                "metrics": json.loads(metrics) if metrics else {},
                "feasible": None if feasible is None else bool(feasible),
                "violations": json.loads(violations) if violations else [],
                "elapsed_s": elapsed,
                "worker": worker,
                "finished_at": at,
            }

    # ---- runs ---------------------------------------------------------------------------------------------
    def start_run(self, **info: Any) -> int:
        with self._tx():
            cur = self.conn.execute(
                "INSERT INTO runs (started_at, strategy, seed, budget, executor, workers, status) "
                "VALUES (?, ?, ?, ?, ?, ?, 'running')",
                (time.time(), info["strategy"], info["seed"], info["budget"], info["executor"], info["workers"]),
            )
        return int(cur.lastrowid or 0)

    def finish_run(self, run: int, *, evaluated: int, reused: int, failed: int, status: str) -> None:
        with self._tx():
            self.conn.execute(
                "UPDATE runs SET finished_at = ?, evaluated = ?, reused = ?, failed = ?, status = ? WHERE run = ?",
                (time.time(), evaluated, reused, failed, status, run),
            )

    def runs(self) -> list[dict[str, Any]]:
        cur = self.conn.execute("SELECT * FROM runs ORDER BY run")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur]

    def clear(self) -> None:
        with self._tx():
            self.conn.execute("DELETE FROM points")
            self.conn.execute("DELETE FROM meta")

    def _tx(self) -> _Transaction:
        return _Transaction(self.conn)


class _Transaction:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        self.conn.execute("COMMIT" if exc_type is None else "ROLLBACK")


def json_safe(value: Any) -> Any:
    """NaN and infinities as None, recursively (for --json output)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value
