"""Reports: matplotlib plots, a self-contained HTML report (Jinja2), notebook HTML, JSON schemas of the specs.

::

    from accelkit import report
    report.write_report("study.yaml", "report.html")       # design, breakdowns, attribution, literature, provenance
    html = report.render_report(ev, attribution=att)       # from results computed in Python
    svg = report.plots.roofline_svg(ev)                    # any single plot, as inline SVG (or plot_* -> Figure)
    report.schema.write_schemas("schemas/")                # JSON schema of every spec

Plotting and templating libraries are imported on first use of each submodule, so ``import accelkit`` stays light.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "attribution_html",
    "evaluation_html",
    "render_report",
    "store_report",
    "study_report",
    "write_report",
]


def __getattr__(name: str) -> Any:
    import importlib

    if name in ("plots", "schema", "html", "notebook"):
        return importlib.import_module(f"accelkit.report.{name}")
    if name in ("render_report", "study_report", "store_report", "write_report"):
        return getattr(importlib.import_module("accelkit.report.html"), name)
    if name in ("evaluation_html", "attribution_html"):
        return getattr(importlib.import_module("accelkit.report.notebook"), name)
    raise AttributeError(f"module 'accelkit.report' has no attribute {name!r}")
