"""Eyeriss zero-ifmap gating on AlexNet CONV1-5 (eyeriss_v1, batch 4, DRAM residency): with the published per-layer
zero fractions (JSSC Table V) the PE power falls in line with the published 45% (+-10 points). PE power = MAC +
per-PE scratchpad energy (+ the zero flags) over the same latency (gating never changes it)."""

from __future__ import annotations

import pytest

import accelkit
from accelkit.optimizations.sparse_format import cited
from tests.golden.networks import up_to_last_conv


def _pe_energy(ev: accelkit.Evaluation) -> float:
    spads = {lv.name for lv in ev.accelerator.levels if lv.per_pe}
    return sum(r.energy_j for r in ev.breakdown if r.component in spads | {"mac", "zero_detect"})


@pytest.fixture(scope="module")
def runs() -> tuple[accelkit.Evaluation, accelkit.Evaluation]:
    net = up_to_last_conv("alexnet", batch=4)  # CONV1-5
    zeros = cited("sparsity", "eyeriss_alexnet_zero_ifmaps")
    cache: dict = {}
    kw = {"objective": "edp", "residency": "dram", "mapping_cache": cache}
    base = accelkit.evaluate(net, "eyeriss_v1", **kw)
    gated = accelkit.evaluate(
        net,
        "eyeriss_v1",
        optimizations=[{"kind": "zero_gating", "activation_density": {k: 1 - v for k, v in zeros.items()}}],
        **kw,
    )
    return base, gated


def test_eyeriss_zero_gating_saves_pe_power(runs: tuple[accelkit.Evaluation, accelkit.Evaluation]) -> None:
    base, gated = runs
    saving = 1 - (_pe_energy(gated) / gated.latency_s) / (_pe_energy(base) / base.latency_s)
    assert saving == pytest.approx(cited("sparsity", "eyeriss_pe_power_saving"), abs=0.10)


def test_gating_keeps_the_latency(runs: tuple[accelkit.Evaluation, accelkit.Evaluation]) -> None:
    base, gated = runs
    assert gated.latency_s == base.latency_s
