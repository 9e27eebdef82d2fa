"""The search's heap tuning: applied once, optional, never required."""

import subprocess
import sys

from accelkit.mapping._heap import tune_heap


def test_tune_heap_is_idempotent() -> None:
    first = tune_heap()
    assert isinstance(first, bool)
    assert tune_heap() is first


def test_tune_heap_can_be_switched_off() -> None:
    code = "from accelkit.mapping._heap import tune_heap; print(tune_heap())"
    out = subprocess.run(
        [sys.executable, "-c", code], env={"ACCELKIT_HEAP_TUNING": "0"}, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"
