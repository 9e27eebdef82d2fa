"""Every pair of blocks (their examples) on one design: evaluates with a consistent breakdown, or is refused with a
clear error — never a crash, never a non-finite total."""

from __future__ import annotations

import itertools
import math

import pytest

import accelkit
from accelkit.errors import AccelkitError
from accelkit.optimizations import available, block_class

KINDS = [k for k in available() if "accelerator" not in block_class(k).example_context]
PAIRS = list(itertools.combinations(KINDS, 2))
CACHE: dict = {}


@pytest.mark.parametrize(("a", "b"), PAIRS, ids=[f"{a}+{b}" for a, b in PAIRS])
def test_pair(a: str, b: str) -> None:
    blocks = [{"kind": k, **block_class(k).example} for k in (a, b)]
    kw: dict = {}
    for k in (a, b):
        kw.update({key: v for key, v in block_class(k).example_context.items() if key != "network"})
    try:
        ev = accelkit.evaluate(
            "mlperf_tiny_kws", "edge_npu_int8", optimizations=blocks, mapping_cache=CACHE, inference_rate=10, **kw
        )
    except AccelkitError as exc:
        assert str(exc).strip(), "a refusal says why"
        return
    t = ev.totals()
    assert sum(r.energy_j for r in ev.breakdown) == pytest.approx(ev.energy_j, rel=1e-9)
    for key in ("energy_j", "latency_s", "area_mm2", "average_power_w"):
        assert math.isfinite(t[key]) and t[key] >= 0, key
