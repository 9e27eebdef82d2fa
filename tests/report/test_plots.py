"""Plots: valid SVG, the expected series, numbers that match the evaluation."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import pandas as pd
import pytest

from accelkit.report import plots
from tests.report.studies import pareto_frame

SVG_NS = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    assert svg.startswith("<svg"), svg[:80]  # no XML prolog / doctype: ready to inline in HTML
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG_NS}svg"
    return root


def _ids(root: ET.Element) -> set[str]:
    return {el.get("id") for el in root.iter() if el.get("id")}


def _texts(root: ET.Element) -> list[str]:
    return ["".join(el.itertext()) for el in root.iter(f"{SVG_NS}text")]


def test_to_svg_is_inline_ready_with_unique_ids(ev) -> None:
    a, b = plots.energy_by_level_svg(ev), plots.energy_by_level_svg(ev)
    ids_a, ids_b = _ids(_parse(a)), _ids(_parse(b))
    assert ids_a and not ids_a & ids_b  # two copies of one figure in one page do not clash
    assert "Date" not in a  # deterministic: no timestamp


def test_energy_by_layer_series_and_totals(ev) -> None:
    table = plots.energy_by_layer_table(ev)
    assert list(table.index) == [r.name for r in ev.layers]
    assert table.to_numpy().sum() == pytest.approx(ev.energy_j, rel=1e-9)  # leakage shared out, nothing lost
    assert {"dram", "mac", "leakage"} <= set(table.columns)
    root = _parse(plots.energy_by_layer_svg(ev))
    ids = _ids(root)
    for comp in table.columns:
        assert any(i.endswith(f"series-{comp.replace('_', '-')}-0") for i in ids), comp
    texts = _texts(root)
    assert "Energy per layer by component" in texts
    assert all(r.name in texts for r in ev.layers)


def test_energy_by_level_splits_operands(ev) -> None:
    table = plots.energy_by_level_table(ev)
    assert table.to_numpy().sum() == pytest.approx(ev.energy_j, rel=1e-9)
    assert list(table.index)[: len(ev.accelerator.levels)] == [lv.name for lv in ev.accelerator.levels]
    ids = _ids(_parse(plots.energy_by_level_svg(ev)))
    for series in ("input", "weight", "output"):
        assert any(f"series-{series}-" in i for i in ids), series


def test_latency_and_utilization(ev) -> None:
    root = _parse(plots.latency_svg(ev))
    ids = _ids(root)
    for series in ("series-compute-0", "series-stall-0", "series-utilization"):
        assert any(i.endswith(series) for i in ids), series
    bars = [i for i in ids if "series-compute-" in i]
    assert len(bars) == len(ev.layers)


def test_roofline_ceilings_and_points_are_consistent(ev) -> None:
    data = plots.roofline_data(ev)
    arch = ev.accelerator
    assert data["peak_ops_s"] == pytest.approx(2 * arch.pe_array.pes * arch.clock_hz)
    assert set(data["bandwidth_bytes_s"]) == {lv.name for lv in arch.levels if math.isfinite(lv.read_bandwidth)}
    assert data["points"]
    for p in data["points"]:  # no layer beats the compute ceiling or the bandwidth line of a level it uses
        assert p["throughput_ops_s"] <= data["peak_ops_s"] * (1 + 1e-9)
        bw = data["bandwidth_bytes_s"].get(p["level"])
        if bw is not None:
            assert p["throughput_ops_s"] <= bw * p["intensity_ops_per_byte"] * (1 + 1e-9), p
    fig = plots.plot_roofline(ev)
    ax = fig.axes[0]
    assert ax.get_xscale() == ax.get_yscale() == "log"
    ids = _ids(_parse(plots.to_svg(fig)))
    assert any(i.endswith("ceiling-compute") for i in ids)
    for name in data["bandwidth_bytes_s"]:
        assert any(i.endswith(f"ceiling-{name.replace('_', '-')}") for i in ids), name


def test_waterfall_steps_and_literature_bands(att) -> None:
    root = _parse(plots.waterfall_svg(att))
    ids = _ids(root)
    n = len(att.waterfall)
    assert any(i.endswith("bar-baseline-0") for i in ids) and any(i.endswith("bar-combined-0") for i in ids)
    for k in range(1, n + 1):
        assert any(i.endswith(f"bar-step-{k}-0") for i in ids)
    with_range = [
        k
        for k, s in enumerate(att.waterfall, 1)
        if next(b for b in att.blocks if b.label == s["label"]).literature.get("energy_per_inference_j")
    ]
    assert with_range
    for k in with_range:
        assert any(i.endswith(f"literature-step-{k}-0") for i in ids)
    texts = _texts(root)
    assert all(s["label"] in texts for s in att.waterfall)
    # the steps are floating bars that add up from the baseline to the combined design
    fig = plots.plot_waterfall(att)
    bars = {p.get_gid(): p for p in fig.axes[0].patches}
    steps = sum(bars[f"bar-step-{k}-0"].get_height() for k in range(1, n + 1))
    start, end = bars["bar-baseline-0"].get_height(), bars["bar-combined-0"].get_height()
    assert start + steps == pytest.approx(end, rel=1e-9)
    assert end / start == pytest.approx(att.combined.energy_per_inference_j / att.baseline.energy_per_inference_j)
    plots.to_svg(fig)


def test_waterfall_on_another_metric(att) -> None:
    root = _parse(plots.waterfall_svg(att, "latency_s"))
    assert any("latency_s" in t for t in _texts(root))


def test_pareto_front_mask() -> None:
    df = pareto_frame()
    front = plots.pareto_front(df, ["energy_per_inference_j", "latency_s"])
    assert sorted(df.loc[front, "point"]) == ["p0", "p1", "p2", "p5"]
    # maximizing the second objective flips which points are dominated
    mx = plots.pareto_front(df, ["energy_per_inference_j", "latency_s"], ["min", "max"])
    assert set(df.loc[mx, "point"]) == {"p0", "p7", "p4"}
    nan = pd.DataFrame({"a": [1.0, float("nan")], "b": [1.0, 0.0]})
    assert list(plots.pareto_front(nan, ["a", "b"])) == [True, False]


def test_pareto_plot_is_data_driven() -> None:
    df = pareto_frame()
    root = _parse(plots.pareto_svg(df, "energy_per_inference_j", "latency_s", label="point"))
    ids = _ids(root)
    assert any(i.endswith("series-front") for i in ids) and any(i.endswith("series-points") for i in ids)
    texts = _texts(root)
    assert "Pareto front (4)" in texts and "design points (8)" in texts
    assert {"p0", "p1", "p2", "p5"} <= set(texts)  # front points are named
    # a precomputed `pareto` column wins over recomputing
    df2 = df.assign(pareto=[True] + [False] * 7)
    assert "Pareto front (1)" in _texts(_parse(plots.pareto_svg(df2, "energy_per_inference_j", "latency_s")))


def test_catalog_view_log_scale_per_metric() -> None:
    from accelkit import kit

    df = kit.to_dataframe()
    fig = plots.plot_catalog(df, limit=10)
    assert fig.axes[0].get_xscale() == "log"
    root = _parse(plots.to_svg(fig))
    ids = _ids(root)
    shown = df[df["improvement"].notna()]
    assert any(i.endswith("series-energy") for i in ids)
    assert len(fig.axes[0].get_yticks()) == 10  # at most `limit` techniques
    sub = shown[shown["id"] == "dvfs"]
    root = _parse(plots.catalog_svg(sub))
    assert {f"series-{m}" for m in sub["metric"]} <= {i.split("-", 1)[1] for i in _ids(root) if "series-" in i}
