"""Shared fixtures: paths to the read-only shared data beside the checkout."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
MLPERF_DIR = SHARED / "models" / "mlperf-tiny"


@pytest.fixture(scope="session")
def mlperf_dir() -> Path:
    if not MLPERF_DIR.is_dir():
        pytest.fail(f"the MLPerf Tiny models are expected in {MLPERF_DIR} (the shared/ folder beside the checkout)")
    return MLPERF_DIR
