"""attribute(): alone / marginal / Shapley effects, the waterfall, literature ranges, bad input."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import accelkit
from accelkit.attribution import METRICS, attribute, literature_range
from accelkit.errors import AccelkitError
from accelkit.optimizations import make_block

BLOCKS = [
    {"kind": "voltage_scaling", "voltage": "0.7 V"},
    {"kind": "dataflow", "dataflow": "output_stationary"},
    {"kind": "technology_node", "node": "16 nm"},
    {"kind": "batch", "size": 2},
]


@pytest.fixture(scope="module")
def att():
    return attribute("mlperf_tiny_ad", "edge_npu_int8", blocks=BLOCKS, inference_rate=10)


def _v(ev, m):
    return METRICS[m][0](ev)


def test_every_subset_is_evaluated_once(att) -> None:
    assert att.evaluations == 2 ** len(BLOCKS)
    assert [b.kind for b in att.blocks] == [b["kind"] for b in BLOCKS]


def test_alone_and_marginal_are_baseline_over_new(att) -> None:
    base = att.baseline
    for b, spec in zip(att.blocks, BLOCKS, strict=True):
        alone = accelkit.evaluate("mlperf_tiny_ad", "edge_npu_int8", optimizations=[spec], inference_rate=10)
        for m in METRICS:
            assert b.alone[m] == pytest.approx(_v(base, m) / _v(alone, m), rel=1e-12)
        others = [s for s in BLOCKS if s is not spec]
        without = accelkit.evaluate("mlperf_tiny_ad", "edge_npu_int8", optimizations=others, inference_rate=10)
        assert b.marginal["energy_per_inference_j"] == pytest.approx(
            _v(without, "energy_per_inference_j") / _v(att.combined, "energy_per_inference_j"), rel=1e-12
        )


def test_shapley_values_add_up_to_the_combined_effect(att) -> None:
    for m in METRICS:
        assert math.prod(b.shapley[m] for b in att.blocks) == pytest.approx(att.combined_ratio[m], rel=1e-9)
        total = _v(att.combined, m) - _v(att.baseline, m)
        assert sum(b.shapley_delta[m] for b in att.blocks) == pytest.approx(total, rel=1e-9, abs=1e-30)


def test_a_block_that_changes_nothing_gets_nothing(att) -> None:
    batch = next(b for b in att.blocks if b.kind == "batch")
    tech = next(b for b in att.blocks if b.kind == "technology_node")
    assert batch.alone["area_mm2"] == batch.shapley["area_mm2"] == 1.0  # batching adds no hardware
    assert tech.shapley["footprint_bytes"] == 1.0


def test_waterfall_is_greedy_and_ends_at_the_combined_design(att) -> None:
    steps = att.waterfall
    assert len(steps) == len(BLOCKS)
    assert steps[-1]["energy_per_inference_j"] == pytest.approx(att.combined.energy_per_inference_j)
    first = min(att.blocks, key=lambda b: 1 / b.alone["energy_per_inference_j"])
    assert steps[0]["label"] == first.label


def test_literature_range_comes_from_the_catalog(att) -> None:
    vs = next(b for b in att.blocks if b.kind == "voltage_scaling")
    assert vs.literature_catalog == literature_range(make_block(BLOCKS[0]))
    lo, hi = vs.literature["energy_per_inference_j"]
    assert vs.literature["energy_per_inference_j"] == vs.literature_catalog["energy"]
    assert 1 <= lo <= hi
    inside = lo <= vs.alone["energy_per_inference_j"] <= hi
    assert ("energy_per_inference_j" in vs.outside_literature) == (not inside)


def test_json_document_follows_the_contract(att) -> None:
    d = att.to_dict()
    assert set(d) >= {"baseline", "combined", "blocks"}
    b = d["blocks"][0]
    assert set(b) >= {"kind", "alone", "marginal", "shapley", "literature", "catalog_ids"}
    df = att.to_dataframe()
    assert len(df) == len(BLOCKS) * len(METRICS)


def test_beyond_the_shapley_limit_only_alone_and_marginal() -> None:
    a = attribute("mlperf_tiny_ad", "edge_npu_int8", blocks=BLOCKS, shapley_limit=2)
    assert all(b.shapley is None for b in a.blocks)
    assert a.evaluations < 2 ** len(BLOCKS)


def test_bad_input() -> None:
    with pytest.raises(AccelkitError, match="at least one"):
        attribute("mlperf_tiny_ad", "edge_npu_int8", blocks=[])
    with pytest.raises(AccelkitError, match="unknown metric"):
        attribute("mlperf_tiny_ad", "edge_npu_int8", blocks=BLOCKS[:1], primary_metric="joy")


@settings(max_examples=5, deadline=None)
@given(st.lists(st.sampled_from(range(len(BLOCKS))), min_size=1, max_size=3, unique=True))
def test_property_shapley_efficiency_on_any_subset(idx) -> None:
    a = attribute("mlperf_tiny_ad", "edge_npu_int8", blocks=[BLOCKS[i] for i in idx])
    for m in METRICS:
        assert math.prod(b.shapley[m] for b in a.blocks) == pytest.approx(a.combined_ratio[m], rel=1e-9)


def test_notebook_display(att) -> None:
    html = att._repr_html_()
    assert "voltage_scaling" in html and "<table" in html
    ev_html = att.baseline._repr_html_()
    assert "mlperf_tiny_ad" in ev_html and "<table" in ev_html


def test_latency_is_compared_with_latency_and_throughput_ranges(att) -> None:
    for b in att.blocks:
        spans = [b.literature_catalog[c] for c in ("latency", "throughput") if c in b.literature_catalog]
        if spans:
            assert b.literature["latency_s"] == [min(s[0] for s in spans), max(s[1] for s in spans)]
        else:
            assert "latency_s" not in b.literature


def test_one_block_of_a_kind(att) -> None:
    from accelkit.optimizations import OptimizationError

    with pytest.raises(OptimizationError, match="only one 'zero_gating'"):
        attribute(
            "mlperf_tiny_ad",
            "edge_npu_int8",
            blocks=[
                {"kind": "zero_gating", "activation_density": 0.5, "label": "a"},
                {"kind": "zero_gating", "activation_density": 0.5, "label": "b"},
            ],
        )
