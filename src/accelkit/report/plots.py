"""Plots for design reviews (matplotlib, Agg backend: headless, no display needed).

Every ``plot_*`` function returns a :class:`matplotlib.figure.Figure`; :func:`to_svg` turns one into an SVG string
(text kept as ``<text>`` elements, escaped by matplotlib; ids prefixed so several figures can be inlined in one HTML
page; no dates, so the output is deterministic) and closes the figure. ``*_svg`` shorthands do both.

Internal numbers are SI; the axes convert to pJ/nJ/µJ, µs, ops/s with a prefix chosen for the data.
"""

from __future__ import annotations

import io
import itertools
import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg", force=False)  # headless; a notebook's inline backend, if already chosen, stays
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from accelkit.attribution import Attribution
    from accelkit.model.evaluate import Evaluation

__all__ = [
    "COMPONENT_ORDER",
    "catalog_svg",
    "energy_by_layer_svg",
    "energy_by_level_svg",
    "latency_svg",
    "pareto_front",
    "pareto_svg",
    "plot_catalog",
    "plot_energy_by_layer",
    "plot_energy_by_level",
    "plot_latency_utilization",
    "plot_pareto",
    "plot_roofline",
    "plot_waterfall",
    "roofline_data",
    "roofline_svg",
    "to_svg",
    "waterfall_svg",
]

#: stacking order of the non-memory components (memory levels come first, outermost first)
COMPONENT_ORDER = ("mac", "noc", "adder", "leakage")
_PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#e15759",
    "#76b7b2",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)
_OPERAND_COLORS = {"input": "#4e79a7", "weight": "#f28e2b", "output": "#59a14f", "-": "#bab0ac"}
_RC = {
    "svg.fonttype": "none",  # real <text> elements: searchable, smaller, escaped
    "svg.hashsalt": "accelkit",  # deterministic ids
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
}
_FIG_COUNTER = itertools.count(1)


# ---- helpers --------------------------------------------------------------------------------------------------------
def _figure(width: float = 7.5, height: float = 3.6, **kwargs: Any) -> tuple[Figure, Any]:
    with plt.rc_context(_RC):
        fig = Figure(figsize=(width, height), layout="constrained")
        axes = fig.subplots(**kwargs)
    return fig, axes


def _si_scale(values: Sequence[float], unit: str) -> tuple[float, str]:
    """(divisor, label) so the largest value reads between 1 and 1000: 3.2e-6 J -> (1e-6, 'µJ')."""
    peak = max((abs(v) for v in values if v is not None and math.isfinite(v)), default=0.0)
    prefixes = [(1e-15, "f"), (1e-12, "p"), (1e-9, "n"), (1e-6, "µ"), (1e-3, "m"), (1.0, ""), (1e3, "k")]
    prefixes += [(1e6, "M"), (1e9, "G"), (1e12, "T")]
    div, pre = 1.0, ""
    for d, p in prefixes:
        if peak >= d:
            div, pre = d, p
    return div, f"{pre}{unit}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "x"


_ID = re.compile(r'\bid="([^"]+)"')


def to_svg(fig: Figure, *, prefix: str | None = None) -> str:
    """The figure as an inline ``<svg>`` element (no XML prolog), every id prefixed to be unique in a page."""
    buf = io.StringIO()
    with plt.rc_context(_RC):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    prefix = prefix or f"f{next(_FIG_COUNTER)}-"
    ids = set(_ID.findall(text))
    if ids:
        text = _ID.sub(lambda m: f'id="{prefix}{m.group(1)}"', text)
        text = re.sub(
            r"(url\(#|xlink:href=\"#|href=\"#)([^\")]+)",
            lambda m: m.group(1) + (prefix + m.group(2) if m.group(2) in ids else m.group(2)),
            text,
        )
    return text.strip()


def _gid(artist: Any, gid: str) -> None:
    """Name an artist in the SVG (``<g id=...>``); a bar container names each bar ``gid-0``, ``gid-1``, ..."""
    patches = getattr(artist, "patches", None)
    if patches is None:
        artist.set_gid(gid)
        return
    for k, p in enumerate(patches):
        p.set_gid(f"{gid}-{k}")


def _level_names(ev: Evaluation) -> list[str]:
    return [lv.name for lv in ev.accelerator.levels]


def _components(ev: Evaluation, present: set[str]) -> list[str]:
    order = [*_level_names(ev), *COMPONENT_ORDER]
    return [c for c in order if c in present] + sorted(present - set(order))


def _colors(names: Sequence[str]) -> dict[str, str]:
    return {n: _PALETTE[i % len(_PALETTE)] for i, n in enumerate(names)}


def _component_colors(ev: Evaluation) -> dict[str, str]:
    return _colors([*_level_names(ev), *COMPONENT_ORDER])


# ---- energy breakdowns -----------------------------------------------------------------------------------------------
def energy_by_layer_table(ev: Evaluation) -> pd.DataFrame:
    """Energy (J) per layer (rows, in network order) and component (columns); leakage shared out by latency.

    Rows add up to the evaluation's ``energy_j`` (leakage is the leakage power times each layer's latency).
    """
    df = ev.to_dataframe()
    dyn = df[df["component"] != "leakage"]
    table = dyn.pivot_table(index="layer", columns="component", values="energy_j", aggfunc="sum", fill_value=0.0)
    names = [r.name for r in ev.layers]
    table = table.reindex(names, fill_value=0.0)
    leak_total = float(df.loc[df["component"] == "leakage", "energy_j"].sum())
    lat = ev.latency_s
    if leak_total:
        table["leakage"] = [leak_total * r.latency_s / lat if lat else 0.0 for r in ev.layers]
    cols = _components(ev, {c for c in table.columns if table[c].abs().sum() > 0})
    return table[cols]


def plot_energy_by_layer(ev: Evaluation, *, per_inference: bool = False) -> Figure:
    """Stacked bars: energy of every layer, split by component (memory levels, MACs, NoC, adders, leakage)."""
    table = energy_by_layer_table(ev)
    if per_inference:
        table = table / ev.batch
    totals = table.sum(axis=1)
    div, unit = _si_scale(list(totals), "J")
    colors = _component_colors(ev)
    n = len(table)
    fig, ax = _figure(width=max(6.0, min(14.0, 2.5 + 0.32 * n)), height=3.8)
    x = list(range(n))
    bottom = [0.0] * n
    for comp in table.columns:
        vals = [v / div for v in table[comp]]
        bars = ax.bar(x, vals, bottom=bottom, color=colors.get(comp), label=comp, width=0.8)
        _gid(bars, f"series-{_slug(comp)}")
        bottom = [b + v for b, v in zip(bottom, vals, strict=True)]
    ax.set_xticks(x, [str(i) for i in table.index], rotation=60 if n > 6 else 0, ha="right" if n > 6 else "center")
    ax.set_ylabel(f"energy per {'inference' if per_inference else 'run'} ({unit})")
    ax.set_title("Energy per layer by component")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    ax.grid(axis="x", visible=False)
    return fig


def energy_by_level_table(ev: Evaluation) -> pd.DataFrame:
    """Energy (J) per component (rows) and operand (columns: input, weight, output, '-' for leakage/non-operand)."""
    df = ev.to_dataframe()
    table = df.pivot_table(index="component", columns="operand", values="energy_j", aggfunc="sum", fill_value=0.0)
    rows = _components(ev, set(table.index))
    cols = [c for c in ("input", "weight", "output", "-") if c in table.columns]
    cols += sorted(set(table.columns) - set(cols))
    return table.reindex(rows)[cols]


def plot_energy_by_level(ev: Evaluation) -> Figure:
    """Stacked bars: energy of every memory level and component, split by operand (input, weight, output)."""
    table = energy_by_level_table(ev)
    div, unit = _si_scale(list(table.sum(axis=1)), "J")
    fig, ax = _figure(width=6.5, height=3.4)
    x = list(range(len(table)))
    bottom = [0.0] * len(table)
    for op in table.columns:
        vals = [v / div for v in table[op]]
        label = "other" if op == "-" else op
        bars = ax.bar(x, vals, bottom=bottom, color=_OPERAND_COLORS.get(op, "#999999"), label=label, width=0.7)
        _gid(bars, f"series-{_slug(label)}")
        bottom = [b + v for b, v in zip(bottom, vals, strict=True)]
    total = sum(bottom)
    for xi, b in zip(x, bottom, strict=True):
        if total:
            ax.annotate(f"{100 * b / total:.0f}%", (xi, b), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, [str(i) for i in table.index])
    ax.set_ylabel(f"energy per run ({unit})")
    ax.set_title("Energy by memory level and component, split by operand")
    ax.legend(fontsize=8, frameon=False)
    ax.grid(axis="x", visible=False)
    return fig


# ---- latency and utilization ----------------------------------------------------------------------------------------
def plot_latency_utilization(ev: Evaluation) -> Figure:
    """Per-layer latency (bars: compute and stall, colored by what bounds the layer) and PE utilization."""
    layers = ev.layers
    n = len(layers)
    div, unit = _si_scale([r.latency_s for r in layers], "s")
    fig, (ax, ax2) = _figure(width=max(6.0, min(14.0, 2.5 + 0.32 * n)), height=4.6, nrows=2, sharex=True)
    x = list(range(n))
    clock = ev.accelerator.clock_hz
    compute = [min(r.compute_cycles, r.cycles) / clock / div for r in layers]
    stall = [max(r.latency_s / div - c, 0.0) for r, c in zip(layers, compute, strict=True)]
    b1 = ax.bar(x, compute, color="#4e79a7", label="compute", width=0.8)
    _gid(b1, "series-compute")
    b2 = ax.bar(x, stall, bottom=compute, color="#e15759", label="stall (memory bound)", width=0.8)
    _gid(b2, "series-stall")
    ax.set_ylabel(f"latency ({unit})")
    ax.set_title(f"Per-layer latency (total {ev.latency_s / div:.3g} {unit}) and PE utilization")
    ax.legend(fontsize=8, frameon=False, loc="upper right")
    ax.grid(axis="x", visible=False)
    util = [100 * r.utilization for r in layers]
    (line,) = ax2.plot(x, util, marker="o", color="#59a14f", label="utilization", linewidth=1.2, markersize=3)
    _gid(line, "series-utilization")
    ax2.axhline(100 * ev.utilization, color="#59a14f", linestyle="--", linewidth=0.8, label="whole network")
    ax2.set_ylim(0, 105)
    ax2.set_ylabel("PE utilization (%)")
    ax2.legend(fontsize=8, frameon=False, loc="lower right")
    ax2.set_xticks(x, [r.name for r in layers], rotation=60 if n > 6 else 0, ha="right" if n > 6 else "center")
    ax2.grid(axis="x", visible=False)
    return fig


# ---- roofline --------------------------------------------------------------------------------------------------------
def roofline_data(ev: Evaluation) -> dict[str, Any]:
    """The numbers behind the roofline.

    ``peak_ops_s``: 2 ops per MAC x MACs per cycle x clock. ``bandwidth_bytes_s``: per level with a finite
    bandwidth, the bytes per second it can move as the cost model times it (word width x instances x clock x words
    per cycle): a DRAM bus is half-duplex, so the larger of its read and write bandwidths; an on-chip level's read
    and write ports work side by side, so their sum. No layer can sit above a level's line at the intensity it
    has there. ``points``: per MAC layer and level it moves data at, the operational intensity (ops per byte moved
    at that level) and the throughput the layer attains (ops / latency).
    """
    arch = ev.accelerator
    pa = arch.pe_array
    clock = arch.clock_hz
    peak = 2.0 * pa.pes * pa.macs_per_pe * clock
    bw: dict[str, float] = {}
    for lv, inst in zip(arch.levels, arch.instances, strict=True):
        rd, wr = lv.read_bandwidth, lv.write_bandwidth
        words = max(rd, wr) if lv.kind == "dram" else rd + wr
        if math.isfinite(words) and words > 0:
            bw[lv.name] = words * lv.width_bits / 8 * inst * clock
    points = []
    for r in ev.layers:
        if not r.macs or r.latency_s <= 0:
            continue
        ops = 2.0 * r.macs
        for name, traffic in r.traffic_bytes.items():
            if traffic > 0:
                points.append(
                    {
                        "layer": r.name,
                        "level": name,
                        "intensity_ops_per_byte": ops / traffic,
                        "throughput_ops_s": ops / r.latency_s,
                        "bound": r.bound,
                    }
                )
    return {"peak_ops_s": peak, "bandwidth_bytes_s": bw, "points": points}


def plot_roofline(ev: Evaluation) -> Figure:
    """Roofline: operational intensity (ops/byte) vs attainable throughput, with the compute ceiling and one
    bandwidth ceiling per memory level; each layer is a point per level it moves data at (hierarchical roofline)."""
    data = roofline_data(ev)
    peak = data["peak_ops_s"]
    pts = data["points"]
    levels = _level_names(ev)
    colors = _colors(levels)
    fig, ax = _figure(width=7.0, height=4.2)
    xs = [p["intensity_ops_per_byte"] for p in pts] or [1.0]
    lo = min(xs) / 4
    hi = max(max(xs) * 4, lo * 100)
    for bw in data["bandwidth_bytes_s"].values():
        ridge = peak / bw
        lo = min(lo, ridge / 10)
        hi = max(hi, ridge * 10)
    div, unit = _si_scale([peak], "ops/s")
    (ceil,) = ax.plot(
        [lo, hi], [peak / div, peak / div], color="black", linewidth=1.5, label=f"compute {peak / div:.3g} {unit}"
    )
    _gid(ceil, "ceiling-compute")
    for name, bw in data["bandwidth_bytes_s"].items():
        ridge = peak / bw
        xs_line = [lo, min(ridge, hi)]
        (ln,) = ax.plot(
            xs_line,
            [bw * x / div for x in xs_line],
            color=colors[name],
            linestyle="--",
            linewidth=1.2,
            label=f"{name} bandwidth {bw / 1e9:.3g} GB/s",
        )
        _gid(ln, f"ceiling-{_slug(name)}")
    markers = itertools.cycle("osD^vP*X")
    for name in levels:
        lp = [p for p in pts if p["level"] == name]
        if not lp:
            continue
        sc = ax.scatter(
            [p["intensity_ops_per_byte"] for p in lp],
            [p["throughput_ops_s"] / div for p in lp],
            color=colors[name],
            marker=next(markers),
            s=18,
            alpha=0.85,
            label=f"layers at {name}",
            zorder=3,
        )
        _gid(sc, f"points-{_slug(name)}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo, hi)
    ymin = min([p["throughput_ops_s"] / div for p in pts] or [peak / div / 100]) / 4
    ax.set_ylim(ymin, peak / div * 3)
    ax.set_xlabel("operational intensity (ops per byte moved at the level)")
    ax.set_ylabel(f"attainable throughput ({unit})")
    ax.set_title(f"Roofline: {ev.accelerator.pe_array.pes} PEs at {ev.accelerator.clock_hz / 1e6:g} MHz")
    ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


# ---- attribution waterfall -------------------------------------------------------------------------------------------
def plot_waterfall(att: Attribution, metric: str | None = None) -> Figure:
    """Waterfall of the blocks in the attribution's greedy order on ``metric`` (default: its primary metric).

    Each block is a floating bar from the value before it to the value after it; beside it, a grey band spans the
    values the literature's range of improvement (baseline / new, from the kit) would give from the same start.
    """
    from accelkit.attribution import METRICS

    metric = metric or att.primary_metric
    getter, _ = METRICS[metric]
    base = float(getter(att.baseline))
    steps = list(att.waterfall)
    values = [base, *[float(s[metric]) for s in steps]]
    lit = {b.label: b.literature.get(metric) for b in att.blocks}
    unit = {"energy_per_inference_j": "J", "latency_s": "s", "footprint_bytes": "B", "average_power_w": "W"}
    div, ulabel = _si_scale(values, unit.get(metric, ""))
    if metric == "area_mm2":
        div, ulabel = 1.0, "mm²"
    n = len(steps)
    fig, ax = _figure(width=max(6.0, 2.5 + 1.1 * (n + 2)), height=3.8)
    b = ax.bar([0], [base / div], color="#7f7f7f", width=0.6, label="baseline")
    _gid(b, "bar-baseline")
    band_drawn = False
    for i, s in enumerate(steps, start=1):
        before, after = values[i - 1], values[i]
        better = after <= before
        bar = ax.bar(
            [i],
            [(after - before) / div],
            bottom=[before / div],
            color="#59a14f" if better else "#e15759",
            width=0.6,
        )
        _gid(bar, f"bar-step-{i}")
        ratio = s.get(f"{metric}_ratio")
        if ratio is not None:
            ax.annotate(
                f"{ratio:.3g}x",
                (i, max(before, after) / div),
                ha="center",
                va="bottom",
                fontsize=8,
                xytext=(0, 2),
                textcoords="offset points",
            )
        rng = lit.get(s["label"])
        if rng:
            lo_v, hi_v = before / rng[1], before / rng[0]  # a larger improvement gives a lower value
            height = max((hi_v - lo_v) / div, 0.01 * before / div)  # a single figure still shows as a tick
            band = ax.bar(
                [i + 0.4],
                [height],
                bottom=[lo_v / div],
                width=0.14,
                color="#bab0ac",
                edgecolor="#555555",
                linewidth=0.6,
                label=None if band_drawn else "literature range (from the same start)",
            )
            _gid(band, f"literature-step-{i}")
            band_drawn = True
        ax.plot([i - 1 + 0.3, i - 0.3], [before / div, before / div], color="#555555", linewidth=0.6)
    c = ax.bar([n + 1], [values[-1] / div], color="#4e79a7", width=0.6, label="all blocks")
    _gid(c, "bar-combined")
    labels = ["baseline", *[str(s["label"]) for s in steps], "all blocks"]
    ax.set_xticks(list(range(n + 2)), labels, rotation=20 if n > 3 else 0, ha="right" if n > 3 else "center")
    ax.set_ylabel(f"{metric} ({ulabel})")
    ax.set_title(f"{metric}: block by block")
    ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.grid(axis="x", visible=False)
    ranges = [lit.get(s["label"]) for s in steps]
    top = max(values + [before / r[0] for before, r in zip(values[:-1], ranges, strict=True) if r])
    ax.set_ylim(0, top / div * 1.15)
    return fig


# ---- Pareto front ----------------------------------------------------------------------------------------------------
def pareto_front(df: pd.DataFrame, objectives: Sequence[str], senses: Sequence[str] | None = None) -> pd.Series:
    """Boolean Series: rows no other row dominates on ``objectives`` (``senses``: 'min' (default) or 'max')."""
    import numpy as np
    import pandas as pd

    senses = list(senses or ["min"] * len(objectives))
    vals = df[list(objectives)].to_numpy(dtype=float)
    vals = vals * np.array([1.0 if s == "min" else -1.0 for s in senses])
    ok = np.all(np.isfinite(vals), axis=1)
    front = np.zeros(len(df), dtype=bool)
    for i in range(len(df)):
        if not ok[i]:
            continue
        others = vals[ok]
        dominated = np.any(np.all(others <= vals[i], axis=1) & np.any(others < vals[i], axis=1))
        front[i] = not dominated
    return pd.Series(front, index=df.index, name="pareto")


def plot_pareto(
    df: pd.DataFrame,
    x: str,
    y: str,
    *,
    senses: Sequence[str] = ("min", "min"),
    front: Sequence[bool] | None = None,
    label: str | None = None,
    log: bool = True,
) -> Figure:
    """Every design point of a study on objectives ``x`` and ``y``, the non-dominated ones joined as the front.

    ``front``: which rows are on the front (default: a ``pareto`` column of ``df`` if present, else computed on
    ``x`` and ``y``). ``label``: a column whose values name the front's points.
    """
    if front is None:
        front = df["pareto"].astype(bool).tolist() if "pareto" in df.columns else list(pareto_front(df, [x, y], senses))
    front = list(front)
    fig, ax = _figure(width=6.5, height=4.2)
    dominated = df[[not f for f in front]]
    on = df[front].sort_values(x)
    s1 = ax.scatter(dominated[x], dominated[y], s=14, color="#bab0ac", label=f"design points ({len(df)})")
    _gid(s1, "series-points")
    (ln,) = ax.plot(
        on[x], on[y], marker="o", color="#e15759", linewidth=1.2, markersize=5, label=f"Pareto front ({len(on)})"
    )
    _gid(ln, "series-front")
    if label and label in on.columns and len(on) <= 12:
        for _, row in on.iterrows():
            ax.annotate(str(row[label]), (row[x], row[y]), fontsize=7, xytext=(3, 3), textcoords="offset points")
    if log and (df[x] > 0).all() and (df[y] > 0).all():
        ax.set_xscale("log")
        ax.set_yscale("log")
    ax.set_xlabel(f"{x} ({senses[0]})")
    ax.set_ylabel(f"{y} ({senses[1]})")
    ax.set_title(f"Pareto front: {y} vs {x}")
    ax.legend(fontsize=8, frameon=False)
    return fig


# ---- catalog view ----------------------------------------------------------------------------------------------------
def plot_catalog(df: pd.DataFrame | None = None, *, metrics: Sequence[str] | None = None, limit: int = 40) -> Figure:
    """Effect size per technique and metric on a log scale: the literature's improvement (baseline / new; > 1 is
    better, < 1 a cost), a line from the low to the high end where the source gives a range.

    ``df``: rows of :func:`accelkit.kit.to_dataframe` (default: the whole catalog). At most ``limit`` techniques,
    those with the largest best improvement first.
    """
    import numpy as np

    if df is None:
        from accelkit import kit

        df = kit.to_dataframe()
    d = df[df["improvement"].notna()].copy()
    if metrics:
        d = d[d["metric"].isin(list(metrics))]
    # improvement at the upper end of a range, in the same (good) sense as `improvement`
    imp_hi = []
    for _, r in d.iterrows():
        fmax = r.get("factor_max")
        f = r.get("factor")
        if fmax is None or (isinstance(fmax, float) and math.isnan(fmax)) or not f:
            imp_hi.append(r["improvement"])
        else:
            imp_hi.append(r["improvement"] * fmax / f if r["improvement"] >= 1 else r["improvement"] * f / fmax)
    d["improvement_hi"] = imp_hi
    best = d.groupby("id")["improvement_hi"].max().sort_values(ascending=False)
    ids = list(best.index[:limit])
    d = d[d["id"].isin(ids)]
    names = {i: str(d.loc[d["id"] == i, "name"].iloc[0]) for i in ids}
    mets = [
        m for m in ("energy", "latency", "throughput", "power", "area", "memory", "accuracy") if m in set(d["metric"])
    ]
    mets += sorted(set(d["metric"]) - set(mets))
    colors = _colors(mets)
    fig, ax = _figure(width=8.0, height=max(3.0, 1.0 + 0.24 * len(ids)))
    ypos = {tid: len(ids) - 1 - k for k, tid in enumerate(ids)}
    offsets = {m: (j - (len(mets) - 1) / 2) * 0.12 for j, m in enumerate(mets)}
    for m in mets:
        dm = d[d["metric"] == m]
        ys = [ypos[t] + offsets[m] for t in dm["id"]]
        sc = ax.scatter(dm["improvement"], ys, color=colors[m], s=16, label=m, zorder=3)
        _gid(sc, f"series-{_slug(m)}")
        for y0, lo, hi in zip(ys, dm["improvement"], dm["improvement_hi"], strict=True):
            if hi != lo and np.isfinite(hi):
                ax.plot([lo, hi], [y0, y0], color=colors[m], linewidth=1.2)
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_yticks(list(range(len(ids))), [names[t][:48] for t in reversed(ids)], fontsize=7)
    ax.set_xlabel("improvement reported in the literature (baseline / new; > 1 better, < 1 a cost)")
    ax.set_title("Catalog: effect size per technique and metric")
    ax.legend(fontsize=7, frameon=False, loc="lower right", ncols=2)
    ax.grid(axis="y", visible=False)
    return fig


# ---- shorthands ------------------------------------------------------------------------------------------------------
def energy_by_layer_svg(ev: Evaluation) -> str:
    return to_svg(plot_energy_by_layer(ev))


def energy_by_level_svg(ev: Evaluation) -> str:
    return to_svg(plot_energy_by_level(ev))


def latency_svg(ev: Evaluation) -> str:
    return to_svg(plot_latency_utilization(ev))


def roofline_svg(ev: Evaluation) -> str:
    return to_svg(plot_roofline(ev))


def waterfall_svg(att: Attribution, metric: str | None = None) -> str:
    return to_svg(plot_waterfall(att, metric))


def pareto_svg(df: pd.DataFrame, x: str, y: str, **kwargs: Any) -> str:
    return to_svg(plot_pareto(df, x, y, **kwargs))


def catalog_svg(df: pd.DataFrame | None = None, **kwargs: Any) -> str:
    return to_svg(plot_catalog(df, **kwargs))
