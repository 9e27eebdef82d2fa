"""A sampled search whose remaining spatial unrollings are few enough is finished exhaustively over them and proven
optimal by the lower bound on the others: its answer is the exhaustive optimum of the whole space."""

from __future__ import annotations

import functools

import pytest

import accelkit
from accelkit.mapping.search import search
from accelkit.model.pricing import price


@functools.cache
def _layer(network: str, preset: str, objective: str, name: str):  # type: ignore[no-untyped-def]
    """The layer as evaluate() maps it (cast to the datapath), with its accelerator and unit costs."""
    arch = accelkit.load_accelerator(preset)
    ev = accelkit.evaluate(network, arch, objective=objective, residency="dram")
    return next(x for x in ev.network.layers if x.name == name), arch, price(arch).unit_costs


@pytest.mark.parametrize(
    ("network", "preset", "objective", "layer"),
    [
        ("mobilenet_v2", "tinyml_int8", "edp", "features.17.project"),
        ("mobilenet_v2", "tinyml_int8", "edp", "features.7.project"),
        ("resnet18", "tpu_like", "latency", "layer3.0.downsample"),
    ],
)
def test_certified_search_returns_the_exhaustive_optimum(network: str, preset: str, objective: str, layer: str) -> None:
    lyr, arch, costs = _layer(network, preset, objective, layer)
    found = search(lyr, arch, costs, objective=objective)  # type: ignore[arg-type]
    assert not found.info["exhaustive"] and found.info["certified"]
    assert found.info["space"] > 200_000
    every = search(lyr, arch, costs, objective=objective, exhaustive_limit=10**9)  # type: ignore[arg-type]
    assert every.info["exhaustive"]
    assert found.info["objective_value"] == pytest.approx(every.info["objective_value"], rel=1e-12)


def test_no_certificate_without_budget() -> None:
    lyr, arch, costs = _layer("mobilenet_v2", "tinyml_int8", "edp", "features.17.project")
    found = search(lyr, arch, costs, objective="edp", certify_limit=0)
    assert not found.info["exhaustive"] and not found.info["certified"]
