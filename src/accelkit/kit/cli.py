"""``accelkit kit ...``: browse, show, compare and export the literature catalog.

A typer sub-app; the main CLI mounts it with ``app.add_typer(kit_app, name="kit")``. Bad input exits with status 2
and a one-paragraph message on stderr (a traceback only with ``accelkit --debug``), like every accelkit command.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from accelkit import kit
from accelkit.cli_support import cli_errors
from accelkit.cli_support import console as _out
from accelkit.errors import AccelkitError
from accelkit.kit.schema import BLOCK_TITLES, Block, Level, Metric, Technique

kit_app = typer.Typer(
    help="The literature catalog: NN-accelerator optimization techniques and their measured, sourced effects.",
    no_args_is_help=True,
)


def _t(text: Any) -> Text:
    """Plain text cell: catalog strings may contain '[' and must not be read as rich markup."""
    return Text("" if text is None else str(text))


def _fmt_factor(v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v:,.0f}x" if v >= 100 else f"{v:.3g}x"


def _best(t: Technique, metric: Metric | None) -> kit.Effect | None:
    effs = [e for e in t.effects_for(metric) if e.improvement_max is not None]
    return max(effs, key=lambda e: e.improvement_max or 0.0) if effs else None


LevelOpt = Annotated[str | None, typer.Option("--level", help=f"Only this level: {', '.join(Level.values())}.")]
BlockOpt = Annotated[
    str | None, typer.Option("--block", help=f"Only this building block: {', '.join(Block.values())}.")
]
MetricOpt = Annotated[
    str | None, typer.Option("--metric", help=f"Only techniques with an effect on: {', '.join(Metric.values())}.")
]
MinOpt = Annotated[
    str | None,
    typer.Option(
        "--min-effect", help="Only effects at least this large: a factor ('2x', '1.5') or a percentage ('30%')."
    ),
]


# ---- list ---------------------------------------------------------------------------------------------------------
@kit_app.command("list")
@cli_errors
def list_cmd(
    level: LevelOpt = None,
    block: BlockOpt = None,
    metric: MetricOpt = None,
    min_effect: MinOpt = None,
    sort: Annotated[str, typer.Option("--sort", help=f"Order: {', '.join(kit.SORT_KEYS)}.")] = "block",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List techniques with their largest reported effect, filtered by level, block, metric and size."""
    techs = kit.techniques(level=level, block=block, metric=metric, min_effect=min_effect, sort=sort)
    m = kit._choice(Metric, metric, "metric")
    if as_json:
        rows = []
        for t in techs:
            best = _best(t, m)
            rows.append(
                {
                    "id": t.id,
                    "name": t.name,
                    "level": t.level.value,
                    "block": t.block.value,
                    "modelled_by": kit.modelled_by_info(t).label,
                    "effects": len(t.effects),
                    "metrics": [x.value for x in t.metrics],
                    "best": None
                    if best is None
                    else {
                        "metric": best.metric.value,
                        "effect": best.value_text(),
                        "improvement": best.improvement_max,
                        "source": best.source,
                    },
                }
            )
        typer.echo(json.dumps(rows, indent=2))
        return
    filters = [
        f"{k}={v}" for k, v in (("level", level), ("block", block), ("metric", metric), ("min-effect", min_effect)) if v
    ]
    title = f"{len(techs)} techniques" + (f" ({', '.join(filters)})" if filters else "") + " - accelkit kit show ID"
    table = Table(title=title, title_justify="left")
    for col in ("id", "level", "block", "largest effect", "on", "baseline", "effects", "model"):
        table.add_column(col, justify="right" if col == "effects" else "left")
    for t in techs:
        best = _best(t, m)
        table.add_row(
            _t(t.id),
            _t(t.level.value),
            _t(BLOCK_TITLES[t.block]),
            _t(best.value_text() if best else "-"),
            _t(best.metric.value if best else "-"),
            _t((best.baseline[:60] + ("..." if len(best.baseline) > 60 else "")) if best else ""),
            _t(len(t.effects)),
            _t(kit.modelled_by_info(t).label or ""),
        )
    _out().print(table)


# ---- show ---------------------------------------------------------------------------------------------------------
def _show_json(t: Technique) -> dict[str, Any]:
    rec = kit.export_records([t])[0]
    info = kit.modelled_by_info(t)
    rec["modelled"] = {
        "path": info.path,
        "blocks": list(info.blocks),
        "computable": info.computable,
        "description": info.description,
        "note": t.modelled_note,
    }
    rec["notes"] = t.notes
    return rec


@kit_app.command("show")
@cli_errors
def show_cmd(
    technique_id: Annotated[str, typer.Argument(metavar="ID", help="Technique id (or alias), e.g. zero-gating.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Every effect of one technique with its source, and whether accelkit can compute it on your design."""
    t = kit.get(technique_id)
    if as_json:
        typer.echo(json.dumps(_show_json(t), indent=2))
        return
    cat = kit.load_catalog()
    console = _out()
    console.print(Text(f"{t.name}  [{t.id}]", style="bold"))
    console.print(_t(f"level: {t.level.value}   block: {BLOCK_TITLES[t.block]}"))
    if t.aliases:
        console.print(_t("aliases: " + ", ".join(t.aliases)))
    console.print(_t(t.description))
    if t.prerequisites:
        console.print(_t("requires: " + ", ".join(t.prerequisites)))
    if t.conflicts:
        console.print(_t("conflicts with: " + ", ".join(t.conflicts)))
    info = kit.modelled_by_info(t)
    if info.computable:
        line = f"accelkit model: yes - accelkit can compute this on your design via {info.description}."
    else:
        line = (
            "accelkit model: no - accelkit cannot compute this effect on your design yet; "
            "the numbers below are literature values for other designs."
        )
    if t.modelled_note:
        line += f" {t.modelled_note}"
    console.print(_t(line))
    if t.notes:
        console.print(_t(f"notes: {t.notes}"))
    console.print()
    if not t.effects:
        console.print(_t("no grounded effect in the catalog yet."))
        return
    table = Table(title=f"{len(t.effects)} reported effects", title_justify="left")
    for col in ("metric", "effect", "baseline", "context", "source", "where", "confidence"):
        table.add_column(col)
    for e in t.effects:
        s = cat.sources[e.source]
        conf = e.confidence.value
        if e.secondary_source:
            conf += f" (via {e.secondary_source})"
        if e.derivation:
            conf += f": {e.derivation}"
        table.add_row(
            _t(e.metric.value),
            _t(e.value_text()),
            _t(e.baseline),
            _t(e.context.text()),
            _t(s.short),
            _t(e.where),
            _t(conf),
        )
    console.print(table)
    console.print()
    console.print(_t("sources:"))
    for key in dict.fromkeys(e.source for e in t.effects):
        s = cat.sources[key]
        ident = f" {s.identifier}" if s.identifier else ""
        console.print(_t(f"  [{s.key}] {', '.join(s.authors)}. {s.title}. {s.venue}, {s.year}.{ident}"))
        if s.note:
            console.print(_t(f"      note: {s.note}"))


# ---- export -------------------------------------------------------------------------------------------------------
@kit_app.command("export")
@cli_errors
def export_cmd(
    fmt: Annotated[str, typer.Option("--format", "-f", help=f"One of: {', '.join(kit.EXPORT_FORMATS)}.")] = "json",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
    level: LevelOpt = None,
    block: BlockOpt = None,
    metric: MetricOpt = None,
    min_effect: MinOpt = None,
) -> None:
    """Export the catalog (or a filtered part) as CSV, JSON, Markdown or BibTeX."""
    filtered = any(v is not None for v in (level, block, metric, min_effect))
    techs = kit.techniques(level=level, block=block, metric=metric, min_effect=min_effect) if filtered else None
    text = kit.export(fmt, techs)
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise AccelkitError(f"cannot write the export: {exc.strerror}", source=str(output)) from None
    typer.echo(f"wrote {output}", err=True)


# ---- compare ------------------------------------------------------------------------------------------------------
def _range(r: tuple[float, float] | None) -> str:
    if r is None:
        return "-"
    lo, hi = r
    return _fmt_factor(hi) if abs(hi - lo) < 1e-9 else f"{_fmt_factor(lo)} - {_fmt_factor(hi)}"


@kit_app.command("compare")
@cli_errors
def compare_cmd(
    a: Annotated[str, typer.Argument(metavar="ID_A", help="First technique id.")],
    b: Annotated[str, typer.Argument(metavar="ID_B", help="Second technique id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Two techniques side by side: reported effects per metric and how they relate."""
    cmp = kit.compare(a, b)
    if as_json:
        typer.echo(json.dumps(cmp.to_dict(), indent=2))
        return
    table = Table(
        title=f"{cmp.a.id} vs {cmp.b.id} (improvement = baseline / new; each vs its own paper's baseline)",
        title_justify="left",
    )
    table.add_column("metric")
    table.add_column(cmp.a.id)
    table.add_column(cmp.b.id)
    table.add_column("larger")
    for row in cmp.metrics:
        cells_a = "; ".join(e.value_text() for e in row.a) or "-"
        cells_b = "; ".join(e.value_text() for e in row.b) or "-"
        larger = {"a": cmp.a.id, "b": cmp.b.id}.get(row.larger or "", "")
        table.add_row(
            _t(row.metric.value),
            _t(f"{_range(row.a_range)}  ({cells_a})"),
            _t(f"{_range(row.b_range)}  ({cells_b})"),
            _t(larger),
        )
    console = _out()
    console.print(table)
    for rel in cmp.relations:
        console.print(_t(f"- {rel}"))


# ---- headlines ----------------------------------------------------------------------------------------------------
@kit_app.command("headlines")
@cli_errors
def headlines_cmd(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """The survey's headline range (10,000x memory, 33x energy) and what it could be traced to."""
    heads = kit.headlines()
    if as_json:
        typer.echo(json.dumps([h.model_dump(mode="json") for h in heads], indent=2))
        return
    console = _out()
    cat = kit.load_catalog()
    for h in heads:
        s = cat.sources[h.source]
        console.print(Text(f"{h.claim}", style="bold"))
        console.print(_t(f"  source: {s.short} ({s.identifier}), {h.where}; confidence: {h.confidence.value}"))
        console.print(_t(f"  what it measures: {h.attribution}"))
        console.print(_t(f"  related catalog entries: {', '.join(h.candidates)}"))
        console.print()
