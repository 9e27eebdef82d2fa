"""The self-contained HTML report: one file, plots inline as SVG, no scripts, no external fetches.

The Jinja2 template (``templates/report.html.j2``) runs with autoescape on, so every user string (network, layer,
accelerator, block and study names, the echoed YAML) is escaped; only the SVG figures, which matplotlib writes with
its text escaped, are inserted as markup. A Content-Security-Policy meta tag forbids scripts and every fetch, so a
string that slipped through could still not run or phone home.

Entry points: :func:`study_report` (a study file, mapping or StudySpec), :func:`store_report` (an explorer store
``<study>.db``), :func:`render_report` (already computed results), :func:`write_report`.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from accelkit.errors import AccelkitError
from accelkit.report import plots

if TYPE_CHECKING:  # pragma: no cover
    import jinja2
    import pandas as pd

    from accelkit.attribution import Attribution
    from accelkit.model.evaluate import Evaluation
    from accelkit.model.study import Study

__all__ = [
    "ParetoData",
    "fmt_si",
    "render_report",
    "spec_hash",
    "store_report",
    "study_report",
    "write_report",
]

#: catalog metric -> the attribution metric it is compared with (throughput gains read as latency ratios)
CATALOG_TO_MODEL = {
    "energy": "energy_per_inference_j",
    "latency": "latency_s",
    "throughput": "latency_s",
    "memory": "footprint_bytes",
    "area": "area_mm2",
    "power": "average_power_w",
}

#: sections of the report, in order: (id, heading); the browser test checks each one renders
SECTIONS = (
    ("summary", "Design summary"),
    ("inputs", "Inputs"),
    ("layers", "Per-layer results"),
    ("breakdowns", "Breakdowns"),
    ("attribution", "Attribution of the optimization blocks"),
    ("literature", "Literature comparison"),
    ("pareto", "Design-space exploration"),
    ("provenance", "Provenance"),
)


# ---- formatting ------------------------------------------------------------------------------------------------------
def fmt_si(value: Any, unit: str = "", digits: int = 3) -> str:
    """3.2e-6, 'J' -> '3.2 µJ'; None/NaN -> '–'; inf -> '∞'."""
    if value is None:
        return "–"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(v):
        return "–"
    if math.isinf(v):
        return "∞"
    if v == 0:
        return f"0 {unit}".strip()
    div, label = plots._si_scale([v], unit)
    return f"{v / div:.{digits}g} {label}".strip()


def fmt_bytes(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–" if value is None else "∞"
    from accelkit.workload.stats import human_bytes

    return human_bytes(float(value))


def fmt_ratio(value: Any) -> str:
    if value is None:
        return "–"
    v = float(value)
    if math.isinf(v):
        return "∞"
    return f"{v:.3g}×"


def fmt_pct(value: Any) -> str:
    return "–" if value is None else f"{100 * float(value):.1f}%"


@cache
def _env() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("accelkit.report", "templates"),
        autoescape=True,  # every {{ }} is escaped, whatever the file name
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(si=fmt_si, bytes=fmt_bytes, ratio=fmt_ratio, pct=fmt_pct)
    return env


# ---- provenance ------------------------------------------------------------------------------------------------------
def spec_hash(data: Any) -> str:
    """SHA-256 of a canonical JSON form of a validated spec (or any JSON-able data): same design, same hash."""
    if hasattr(data, "model_dump"):
        data = data.model_dump(mode="json")
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _design_hash(ev: Evaluation) -> str:
    """For a report without a study: the resolved accelerator, the network's provenance and the blocks."""
    return spec_hash(
        {
            "accelerator": repr(ev.accelerator),
            "network": {"name": ev.network.name, "provenance": ev.network.provenance},
            "layers": [(r.name, r.macs) for r in ev.layers],
            "blocks": ev.provenance.get("blocks", []),
            "objective": ev.objective,
        }
    )


# ---- context builders ------------------------------------------------------------------------------------------------
def _summary(ev: Evaluation) -> dict[str, Any]:
    arch = ev.accelerator
    pa = arch.pe_array
    t = ev.totals()
    mem = t["memory"]
    bandwidth = plots.roofline_data(ev)["bandwidth_bytes_s"]
    levels = []
    for lv in arch.levels:
        bw = bandwidth.get(lv.name)
        levels.append(
            {
                "name": lv.name,
                "kind": lv.kind,
                "capacity": "–" if not math.isfinite(lv.capacity_bits) else fmt_bytes(lv.capacity_bits / 8),
                "per_pe": lv.per_pe,
                "width_bits": f"{lv.width_bits:g}",
                "banks": lv.banks,
                "bandwidth": "unlimited" if bw is None else fmt_si(bw, "B/s"),
                "operands": ", ".join(sorted(o.value for o in lv.operands)),
                "area": _mm2(t["area_by_component_mm2"].get(lv.name)),
            }
        )
    metrics = [
        ("energy per inference", fmt_si(t["energy_per_inference_j"], "J")),
        ("  of which leakage", fmt_si(t["leakage_energy_j"] / ev.batch, "J")),
        ("latency per run", fmt_si(t["latency_s"], "s")),
        ("throughput", f"{t['throughput_ips']:.4g} inferences/s"),
        ("power while running", fmt_si(t["power_w"], "W")),
        (
            "average power" + (f" at {t['inference_rate_ips']:g} inf/s" if t["inference_rate_ips"] else ""),
            fmt_si(t["average_power_w"], "W") + ("" if t["meets_rate"] else " (rate not met)"),
        ),
        ("area", f"{t['area_mm2']:.4g} mm²"),
        ("PE utilization", fmt_pct(t["utilization"])),
        ("efficiency", f"{t['tops_per_w']:.3g} TOPS/W"),
        ("energy per MAC", fmt_si(t["energy_per_mac_j"], "J")),
        ("weights (as stored)", fmt_bytes(mem["weight_bytes"])),
        ("peak live activations", fmt_bytes(mem["activation_peak_bytes"])),
        (
            "fits on chip",
            f"{'yes' if mem['all_fit_on_chip'] else 'no'} ({fmt_bytes(mem['footprint_bytes'])} of "
            f"{fmt_bytes(mem['on_chip_shared_bytes'])} shared on-chip)",
        ),
        ("residency", str(ev.provenance.get("residency", ""))),
    ]
    return {
        "network": {
            "name": ev.network.name,
            "layers": len(ev.layers),
            "macs": f"{ev.macs:,}",
            "batch": ev.batch,
            "source": ev.network.provenance.get("format", ""),
        },
        "accelerator": {
            "name": arch.name,
            "description": arch.description or "",
            "array": f"{pa.rows} × {pa.cols}" + (f" × {pa.clusters} clusters" if pa.clusters > 1 else ""),
            "pes": pa.pes,
            "mac": f"{pa.mac_input} × {pa.mac_weight} → {pa.mac_output}",
            "clock": fmt_si(arch.clock_hz, "Hz"),
            "node": f"{arch.node_m * 1e9:g} nm",
            "voltage": f"{arch.voltage_v:g} V",
            "dataflow": arch.dataflow,
            "citation": dict(arch.citation) if arch.citation else None,
        },
        "objective": ev.objective,
        "metrics": metrics,
        "levels": levels,
        "area_by_component": [(k, f"{v:.4g} mm²") for k, v in t["area_by_component_mm2"].items()],
        "blocks": [{"label": b.label, "kind": b.kind, "description": b.describe()} for b in ev.blocks],
    }


def _mm2(v: float | None) -> str:
    return "–" if v is None else f"{v:.4g} mm²"


def _layers(ev: Evaluation) -> dict[str, Any]:
    names = [lv.name for lv in ev.accelerator.levels]
    rows = []
    for r in ev.layers:
        rows.append(
            {
                "name": r.name,
                "op": r.op,
                "macs": f"{r.macs:,}",
                "energy": fmt_si(r.energy_j, "J"),
                "latency": fmt_si(r.latency_s, "s"),
                "utilization": fmt_pct(r.utilization),
                "bound": r.bound,
                "traffic": [fmt_bytes(r.traffic_bytes.get(n, 0.0)) for n in names],
                "notes": "; ".join(r.notes),
            }
        )
    total = {
        "macs": f"{ev.macs:,}",
        "energy": fmt_si(ev.dynamic_energy_j, "J"),
        "latency": fmt_si(ev.latency_s, "s"),
        "utilization": fmt_pct(ev.utilization),
        "traffic": [fmt_bytes(v) for v in ev.traffic_bytes().values()],
    }
    return {"levels": names, "rows": rows, "total": total}


def _figure(fid: str, title: str, svg: str, caption: str) -> dict[str, str]:
    return {"id": fid, "title": title, "svg": svg, "caption": caption}


def _breakdowns(ev: Evaluation) -> dict[str, Any]:
    by_level = plots.energy_by_level_table(ev)
    total = float(by_level.to_numpy().sum())
    table = [
        {
            "component": comp,
            "cells": [fmt_si(by_level.loc[comp, op], "J") for op in by_level.columns],
            "total": fmt_si(float(by_level.loc[comp].sum()), "J"),
            "share": fmt_pct(float(by_level.loc[comp].sum()) / total if total else 0.0),
        }
        for comp in by_level.index
    ]
    figures = [
        _figure(
            "fig-energy-layer",
            "Energy per layer",
            plots.energy_by_layer_svg(ev),
            "Energy of each layer stacked by component; leakage is shared out by each layer's latency, so the bars "
            "add up to the total energy per run.",
        ),
        _figure(
            "fig-energy-level",
            "Energy by level and operand",
            plots.energy_by_level_svg(ev),
            "Energy of each memory level and compute component, split by the operand it serves (share of the total "
            "on top).",
        ),
        _figure(
            "fig-latency",
            "Latency and utilization",
            plots.latency_svg(ev),
            "Per-layer latency split into compute and stall cycles (memory bound), and the fraction of PEs doing "
            "useful MACs; the dashed line is the whole network's utilization.",
        ),
        _figure(
            "fig-roofline",
            "Roofline",
            plots.roofline_svg(ev),
            "Each MAC layer at each level it moves data at: operational intensity (ops per byte at that level) "
            "against the throughput it attains, under the compute ceiling (2 ops per MAC) and each level's "
            "bandwidth ceiling (levels with unlimited bandwidth have none).",
        ),
    ]
    ops = [("other" if c == "-" else c) for c in by_level.columns]
    return {"figures": figures, "operands": ops, "table": table, "total": fmt_si(total, "J")}


def _attribution(att: Attribution) -> dict[str, Any]:

    metrics = list(att.metrics)
    rows = []
    for b in att.blocks:
        cells = []
        for m in metrics:
            rng = b.literature.get(m)
            cells.append(
                {
                    "alone": fmt_ratio(b.alone[m]),
                    "marginal": fmt_ratio(b.marginal[m]),
                    "shapley": fmt_ratio(b.shapley[m]) if b.shapley else "–",
                    "literature": f"{rng[0]:.3g}–{rng[1]:.3g}×" if rng else "",
                    "outside": m in b.outside_literature,
                }
            )
        rows.append({"label": b.label, "kind": b.kind, "description": b.description, "cells": cells})
    combined = att.combined_ratio
    return {
        "metrics": metrics,
        "primary": att.primary_metric,
        "evaluations": att.evaluations,
        "rows": rows,
        "combined": [fmt_ratio(combined[m]) for m in metrics],
        "figure": _figure(
            "fig-waterfall",
            "Waterfall",
            plots.waterfall_svg(att),
            f"Blocks added one at a time on {att.primary_metric}, each step taking the block that helps most given "
            "those already added; the grey band beside each step spans the value the literature's range of "
            "improvement for that block's techniques would give from the same starting point.",
        ),
    }


def _literature(blocks: Sequence[Any], alone: Mapping[str, Mapping[str, float]] | None) -> dict[str, Any]:
    """Each block's catalog techniques and their sourced effects, beside this design's effect of the block alone."""
    from accelkit import kit

    rows = []
    ids: list[str] = []
    for b in blocks:
        for tid in b.catalog_ids:
            try:
                tech = kit.get(tid)
            except AccelkitError:
                continue
            ids.append(tid)
            for e in tech.effects:
                src = kit.source(e.source)
                model_metric = CATALOG_TO_MODEL.get(e.metric.value)
                ours = None
                if alone is not None and model_metric is not None:
                    ours = alone.get(b.label, {}).get(model_metric)
                rows.append(
                    {
                        "block": b.label,
                        "technique": tech.name,
                        "technique_id": tech.id,
                        "metric": e.metric.value,
                        "reported": e.value_text(),
                        "improvement": fmt_ratio(e.improvement) if e.improvement is not None else "–",
                        "ours": fmt_ratio(ours) if ours is not None else "–",
                        "baseline": e.baseline,
                        "context": e.context.text(),
                        "source": src.short,
                        "title": src.title,
                        "identifier": src.identifier,
                        "where": e.where,
                        "confidence": e.confidence.value,
                    }
                )
    df = kit.to_dataframe()
    if ids:
        df = df[df["id"].isin(ids)]
        caption = "Effects the literature reports for the techniques this design's blocks model."
    else:
        caption = (
            "This design applies no optimization block: the largest effects the catalog holds, as a menu of what "
            "could be tried next (accelkit kit list)."
        )
    figure = _figure("fig-catalog", "Catalog view", plots.catalog_svg(df, limit=25), caption)
    return {"rows": rows, "figure": figure}


@dataclass(frozen=True)
class ParetoData:
    """A study's design points (one row each) and the objective columns the front is taken on."""

    frame: pd.DataFrame
    objectives: tuple[str, ...]
    senses: tuple[str, ...] = ()
    front: tuple[bool, ...] | None = None
    label: str | None = None
    source: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _pareto(p: ParetoData) -> dict[str, Any]:
    df = p.frame
    objectives = [o for o in p.objectives if o in df.columns]
    if len(objectives) < 2:
        raise AccelkitError(
            f"a Pareto plot needs two objective columns present in the data; got {list(p.objectives)} "
            f"(columns: {', '.join(map(str, df.columns))})"
        )
    senses = list(p.senses) or ["min"] * len(objectives)
    front = list(p.front) if p.front is not None else list(plots.pareto_front(df, objectives, senses))
    import pandas as pd

    values = df[objectives].apply(pd.to_numeric, errors="coerce")
    usable = values.notna().all(axis=1).tolist()
    missing = len(df) - sum(usable)
    df = df[usable].assign(**{o: values.loc[usable, o] for o in objectives})
    front = [f for f, u in zip(front, usable, strict=True) if u]
    x, y = objectives[0], objectives[1]
    svg = plots.pareto_svg(df, x, y, senses=(senses[0], senses[1]), front=front, label=p.label)
    on = df[front]
    cols = [c for c in ([p.label] if p.label else []) if c in df.columns] + objectives
    cols += [c for c in df.columns if c not in cols and c != "pareto"][: max(0, 8 - len(cols))]
    table = [[_cell(row[c]) for c in cols] for _, row in on.iterrows()]
    return {
        "points": len(df),
        "missing": missing,
        "front_size": len(on),
        "objectives": list(zip(objectives, senses, strict=False)),
        "columns": cols,
        "rows": table[:50],
        "truncated": len(table) > 50,
        "source": p.source,
        "figure": _figure(
            "fig-pareto",
            "Pareto front",
            svg,
            f"{len(df)} design points on {x} and {y}; the red line joins the {len(on)} points no other point "
            "beats on every objective.",
        ),
    }


def _cell(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def _provenance(ev: Evaluation | None, study: Study | None, hash_: str) -> dict[str, Any]:
    from accelkit import __version__

    estimators = []
    if ev is not None:
        for comp, info in sorted(ev.provenance.get("estimators", {}).items()):
            estimators.append(
                {
                    "component": comp,
                    "estimator": info.get("estimator", ""),
                    "confidence": info.get("confidence", ""),
                    "source": info.get("source", ""),
                }
            )
    notes = []
    if ev is not None:
        cast = ev.provenance.get("precision_cast_layers") or []
        if cast:
            notes.append(f"{len(cast)} layers run at the datapath's precision instead of the network's own")
        notes.append(f"mappings searched: {ev.provenance.get('mappings_searched', 0)} (objective {ev.objective})")
        src = ev.network.provenance.get("source")
        if isinstance(src, Mapping):
            notes.append(
                "network source: " + ", ".join(str(src[k]) for k in ("authors", "title", "venue", "year") if k in src)
            )
    return {
        "version": __version__,
        "spec_hash": hash_,
        "study_source": study.source if study is not None and study.source else "",
        "generated": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
        "estimators": estimators,
        "notes": notes,
    }


# ---- rendering -------------------------------------------------------------------------------------------------------
def render_report(
    evaluation: Evaluation | None = None,
    *,
    attribution: Attribution | None = None,
    study: Study | None = None,
    study_text: str | None = None,
    pareto: ParetoData | None = None,
    title: str | None = None,
) -> str:
    """The report as one HTML string from results already computed (any of them may be absent)."""
    if evaluation is None and attribution is not None:
        evaluation = attribution.combined
    if evaluation is None and pareto is None:
        raise AccelkitError("a report needs an evaluation, an attribution or a study's design points")
    if study is not None:
        hash_ = spec_hash(study.spec)
    elif evaluation is not None:
        hash_ = _design_hash(evaluation)
    else:
        hash_ = spec_hash(pareto.frame.to_dict(orient="list")) if pareto is not None else ""
    if title is None:
        if study is not None:
            title = study.name
        elif evaluation is not None:
            title = f"{evaluation.network.name} on {evaluation.accelerator.name}"
        else:
            title = "design-space exploration"
    blocks = list(evaluation.blocks) if evaluation is not None else []
    alone = {b.label: b.alone for b in attribution.blocks} if attribution is not None else None
    ctx: dict[str, Any] = {
        "title": title,
        "sections": [s for s in SECTIONS],
        "has_eval": evaluation is not None,
        "summary": _summary(evaluation) if evaluation is not None else None,
        "inputs": {
            "study_text": study_text,
            "study_name": study.name if study is not None else None,
            "description": (study.spec.description or "") if study is not None else "",
        },
        "layers": _layers(evaluation) if evaluation is not None else None,
        "breakdowns": _breakdowns(evaluation) if evaluation is not None else None,
        "attribution": _attribution(attribution) if attribution is not None else None,
        "blocks": [{"label": b.label, "kind": b.kind, "description": b.describe()} for b in blocks],
        "literature": _literature(blocks, alone) if evaluation is not None else None,
        "pareto": _pareto(pareto) if pareto is not None else None,
        "provenance": _provenance(evaluation, study, hash_),
    }
    return _env().get_template("report.html.j2").render(**ctx)


def _study_text(study: Study) -> str:
    import yaml

    if study.source and Path(study.source).is_file():
        return Path(study.source).read_text(encoding="utf-8")
    return yaml.safe_dump(study.spec.model_dump(mode="json", exclude_none=True), sort_keys=False)


def study_report(
    source: Any,
    *,
    attribution: bool = True,
    pareto: ParetoData | None = None,
    progress: Any = None,
) -> str:
    """The report of a study (a YAML path, mapping, StudySpec or Study): the design with its blocks, and, when it
    has enabled blocks and ``attribution`` is true, their attribution (2^n evaluations for n blocks)."""
    from accelkit.attribution import attribute
    from accelkit.model.evaluate import evaluate
    from accelkit.model.study import load_study

    study = load_study(source)
    att = None
    if attribution and any(b.enabled for b in study.blocks):
        att = attribute(study, progress=progress)
        ev = att.combined
    else:
        ev = evaluate(study)
    return render_report(ev, attribution=att, study=study, study_text=_study_text(study), pareto=pareto)


# ---- explorer stores -------------------------------------------------------------------------------------------------
_METRIC_COLUMNS = (
    "energy_per_inference_j",
    "energy_j",
    "latency_s",
    "average_power_w",
    "power_w",
    "area_mm2",
    "footprint_bytes",
)


def _objectives_of(result: Any, df: pd.DataFrame) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Objective columns and senses: from the result's ``objectives`` when it has them, else known metric columns."""
    names: list[str] = []
    senses: list[str] = []
    for o in getattr(result, "objectives", None) or ():
        if isinstance(o, str):
            name, sense = o, "min"
        elif isinstance(o, Mapping):
            name = o.get("metric") or o.get("name")
            sense = o.get("sense") or o.get("goal") or o.get("direction") or "min"
        elif isinstance(o, Sequence) and len(o) == 2:
            name, sense = o
        else:
            name = getattr(o, "metric", None) or getattr(o, "name", None)
            sense = getattr(o, "sense", None) or getattr(o, "goal", None) or getattr(o, "direction", None) or "min"
        sense = str(getattr(sense, "value", sense)).lower()
        sense = "max" if sense.startswith("max") else "min"
        if name is not None and str(name) in df.columns:
            names.append(str(name))
            senses.append(sense)
    if len(names) < 2:
        names = [c for c in _METRIC_COLUMNS if c in df.columns][:2]
        senses = ["min"] * len(names)
    return tuple(names), tuple(senses)


def load_store(path: str | Path) -> tuple[ParetoData, Any]:
    """Design points of an explorer store (``<study>.db``) and the study it came from (when it can be found).

    Needs :mod:`accelkit.explore`; imported here, lazily, so reports work without the explorer.
    """
    import importlib

    try:  # the module (accelkit.explore may also be the name of the package's explore() function)
        explore = importlib.import_module("accelkit.explore")
    except ModuleNotFoundError as exc:
        if exc.name not in ("accelkit.explore",):
            raise
        raise AccelkitError(
            f"{path}: a study store needs the explorer (accelkit.explore), which this installation does not have; "
            "give the study YAML file instead"
        ) from None
    p = Path(path)
    if not p.is_file():
        raise AccelkitError(f"{path}: no such study store")
    result = None
    for name in ("load_result", "load", "open_result", "open_store", "load_store"):
        fn = getattr(explore, name, None)
        if callable(fn):
            result = fn(p)
            break
    if result is None:
        cls = getattr(explore, "StudyResult", None)
        for name in ("load", "open", "from_db", "from_store"):
            fn = getattr(cls, name, None)
            if callable(fn):
                result = fn(p)
                break
    if result is None:
        raise AccelkitError(f"{path}: this version of accelkit.explore offers no way to open a study store")
    df = result.to_dataframe()
    objectives, senses = _objectives_of(result, df)
    front = None
    if callable(getattr(result, "pareto", None)):
        fr = result.pareto()
        if hasattr(fr, "columns") and "id" in fr.columns and "id" in df.columns:  # rows of the front, by id
            front = tuple(bool(v) for v in df["id"].isin(set(fr["id"])))
        elif hasattr(fr, "index"):
            front = tuple(bool(i in set(fr.index)) for i in df.index)
    label = next((c for c in ("point", "name", "label", "id") if c in df.columns), None)
    study: Any = None
    meta = getattr(getattr(result, "store", None), "meta", None)
    if callable(meta):  # the explorer's store keeps the study's file and its data
        src, data = meta("study_source"), meta("study")
        if src and Path(src).is_file():
            study = Path(src)
        elif isinstance(data, Mapping):
            study = dict(data)
    for attr in ("study", "study_path", "study_file"):
        value = getattr(result, attr, None)
        if study is None and value is not None:
            study = value
    if study is None:
        for suffix in (".yaml", ".yml"):
            if p.with_suffix(suffix).is_file():
                study = p.with_suffix(suffix)
                break
    data = ParetoData(df, objectives, senses, front, label, source=str(p))
    return data, study


def store_report(path: str | Path, *, attribution: bool = False, progress: Any = None) -> str:
    """The report of an explorer store: the Pareto front of its design points, and the study's baseline design
    (with its blocks) when the study can be found."""
    data, study = load_store(path)
    if study is not None:
        try:
            return study_report(study, attribution=attribution, pareto=data, progress=progress)
        except AccelkitError:
            if isinstance(study, str | Path):
                raise
    return render_report(None, pareto=data, title=f"{Path(path).stem}: design-space exploration")


def write_report(source: Any, out: str | Path, **kwargs: Any) -> Path:
    """Write the report of a study file or store (``.db``) to ``out``; returns the path."""
    src = str(source) if isinstance(source, str | Path) else None
    if src is not None and Path(src).suffix.lower() in (".db", ".sqlite", ".sqlite3"):
        html = store_report(src, **kwargs)
    else:
        html = study_report(source, **kwargs)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return out
