"""Rich HTML for notebooks: ``_repr_html_`` of :class:`~accelkit.model.evaluate.Evaluation` and
:class:`~accelkit.attribution.Attribution` delegate here (key figures, a per-level table and one small plot).

Every user string is escaped (``html.escape``); the plot is inline SVG with its text escaped by matplotlib.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from accelkit.attribution import Attribution
    from accelkit.model.evaluate import Evaluation

__all__ = ["attribution_html", "evaluation_html"]

_STYLE = (
    "<style>.accelkit-repr table{border-collapse:collapse;font-size:12px;margin:4px 0}"
    ".accelkit-repr th,.accelkit-repr td{border:1px solid #ddd;padding:2px 6px;text-align:right}"
    ".accelkit-repr th:first-child,.accelkit-repr td:first-child{text-align:left}"
    ".accelkit-repr svg{max-width:640px;height:auto}</style>"
)


def _table(header: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def evaluation_html(ev: Evaluation, *, plot: bool = True) -> str:
    """Key figures, energy and traffic per memory level, and (``plot``) the energy-by-level bars."""
    from accelkit.report.html import fmt_bytes, fmt_pct, fmt_si

    t = ev.totals()
    title = f"{ev.network.name} on {ev.accelerator.name}"
    figures = [
        ["energy / inference", fmt_si(t["energy_per_inference_j"], "J")],
        ["latency", fmt_si(t["latency_s"], "s")],
        ["throughput", f"{t['throughput_ips']:.4g} inf/s"],
        ["power (running / average)", f"{fmt_si(t['power_w'], 'W')} / {fmt_si(t['average_power_w'], 'W')}"],
        ["area", f"{t['area_mm2']:.4g} mm²"],
        ["utilization", fmt_pct(t["utilization"])],
        ["TOPS/W", f"{t['tops_per_w']:.3g}"],
        ["footprint", fmt_bytes(t["memory"]["footprint_bytes"])],
    ]
    energy = t["energy_by_level_j"]
    traffic = t["traffic_bytes"]
    levels = [[k, fmt_si(v, "J"), fmt_bytes(traffic[k]) if k in traffic else ""] for k, v in energy.items()]
    blocks = ", ".join(b.label for b in ev.blocks) or "none"
    parts = [
        _STYLE,
        '<div class="accelkit-repr">',
        f"<b>Evaluation</b>: {escape(title)} · {len(ev.layers)} layers · blocks: {escape(blocks)}",
        '<div style="display:flex;gap:16px;align-items:flex-start">',
        _table(["metric", "value"], figures),
        _table(["component", "energy", "traffic"], levels),
        "</div>",
    ]
    if plot:
        from accelkit.report import plots

        parts.append(plots.energy_by_level_svg(ev))
    parts.append(
        "<div style='color:#666;font-size:11px'>to_dataframe(): tidy breakdown · layers_dataframe(): per layer · "
        "accelkit.report.render_report(ev): full report</div></div>"
    )
    return "".join(parts)


def attribution_html(att: Attribution, *, plot: bool = True) -> str:
    """Per block and metric: alone / marginal / Shapley ratios and the literature range; the waterfall plot."""
    from accelkit.report.html import fmt_ratio

    header = ["block", "metric", "alone", "marginal", "Shapley", "literature"]
    rows = []
    for b in att.blocks:
        for m in att.metrics:
            rng = b.literature.get(m)
            flag = " (!)" if m in b.outside_literature else ""
            rows.append(
                [
                    b.label,
                    m,
                    fmt_ratio(b.alone[m]) + flag,
                    fmt_ratio(b.marginal[m]),
                    fmt_ratio(b.shapley[m]) if b.shapley else "–",
                    f"{rng[0]:.3g}–{rng[1]:.3g}×" if rng else "",
                ]
            )
    combined = ", ".join(f"{m} {fmt_ratio(v)}" for m, v in att.combined_ratio.items())
    parts = [
        _STYLE,
        '<div class="accelkit-repr">',
        f"<b>Attribution</b> of {len(att.blocks)} blocks ({att.evaluations} evaluations); all blocks: "
        f"{escape(combined)}. Ratios are baseline ÷ new (above 1× is better); (!) = outside the literature range.",
        _table(header, rows),
    ]
    if plot:
        from accelkit.report import plots

        parts.append(plots.waterfall_svg(att))
    parts.append("</div>")
    return "".join(parts)
