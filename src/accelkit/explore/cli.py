"""``accelkit explore study.yaml`` and ``accelkit pareto study.db``: the explorer's commands (``register(app)``)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from accelkit.cli_support import cli_errors
from accelkit.cli_support import console as _out

_PREFIXES = [(1e-15, "f"), (1e-12, "p"), (1e-9, "n"), (1e-6, "µ"), (1e-3, "m"), (1.0, ""), (1e3, "k"), (1e6, "M")]


def format_metric(metric: str, value: Any) -> str:
    """A metric value for a table: engineering prefixes with the unit its name says (``1.2 µJ``, ``64 KiB``)."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    x = float(value)
    if math.isnan(x):
        return "unknown"
    if math.isinf(x):
        return "inf"
    if metric.endswith("_bytes"):
        from accelkit.workload.stats import human_bytes

        return human_bytes(x)
    if metric.endswith("_mm2"):
        return f"{x:.4g} mm²"
    if metric.endswith("_pp"):
        return f"{x:.3g} pp"
    unit = {"_j": "J", "_s": "s", "_w": "W", "_ips": "inf/s"}.get("_" + metric.rsplit("_", 1)[-1])
    if unit is None:
        return f"{x:.4g}"
    if x == 0:
        return f"0 {unit}"
    scale, prefix = _PREFIXES[0]
    for s, p in _PREFIXES:
        if abs(x) >= s:
            scale, prefix = s, p
    return f"{x / scale:.4g} {prefix}{unit}"


class _RateColumn(ProgressColumn):
    """Points per second over the last moments (rich's own speed estimate)."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} points/s" if speed else "- points/s", style="progress.data.speed")


def front_table(result: Any, limit: int | None = 20) -> Table:
    """The Pareto front as a table: parameters, then objectives, then the constrained metrics."""
    rows = result.front_rows()
    params = result.parameter_names()
    objectives = [o.metric for o in result.objectives]
    constrained = [c.metric for c in result.constraints if c.metric not in objectives]
    constrained = list(dict.fromkeys(constrained))
    shown = rows[:limit] if limit else rows
    title = f"Pareto front: {len(rows)} point{'s' if len(rows) != 1 else ''}"
    if limit and len(rows) > limit:
        title += f" (first {limit} shown; --limit 0 for all)"
    table = Table(title=title, title_justify="left")
    table.add_column("id")
    for p in params:  # the root (accelerator., blocks., ...) is implied by the field
        table.add_column(p.split(".", 1)[1] if "." in p else p, justify="right")
    for o in result.objectives:
        table.add_column(f"{o.metric} ({'min' if o.direction == 'minimize' else 'max'})", justify="right", style="bold")
    for m in constrained:
        table.add_column(m, justify="right")
    for r in shown:
        cells = [r["id"]]
        cells += [str(r["params"].get(p, "")) for p in params]
        cells += [format_metric(m, r["metrics"].get(m)) for m in objectives + constrained]
        table.add_row(*cells)
    return table


def _print_summary(console: Console, result: Any) -> None:
    s = result.summary()
    run = result.run
    if run:
        rate = run.get("points_per_s")
        rate_text = f", {rate:,.1f} points/s ({rate * 60:,.0f}/min)" if rate and math.isfinite(rate) else ""
        console.print(
            f"[bold]{s['study']}[/]: {run['strategy']} (seed {run['seed']}) on {run['executor']}: "
            f"{run['evaluated']} evaluated, {run['reused']} already in the store, {run['failed']} failed "
            f"in {run['seconds']:.1f} s{rate_text}"
        )
    console.print(
        f"store {s['db']}: {s['points']} points, {s['feasible']} feasible, {s['failed']} failed; "
        f"front {s['front']}, hypervolume {s['hypervolume']:.4g} ({s['hypervolume_reference']})"
    )
    if s["constraints"]:
        console.print("constraints: " + "; ".join(s["constraints"]))
    failed = [r for r in result.rows() if r["status"] != "ok"]
    if failed:
        first = (failed[0]["error"] or "").splitlines()[0]
        console.print(f"[yellow]{len(failed)} failed point(s)[/], e.g. {failed[0]['id']}: {first}")


def register(app: typer.Typer) -> None:
    """Add ``explore`` and ``pareto`` to the main app."""

    @app.command("explore")
    @cli_errors
    def explore_cmd(
        study: Annotated[Path, typer.Argument(help="study YAML file with an explore section")],
        strategy: Annotated[
            str | None, typer.Option("--strategy", "-s", help="grid, random or nsga2 (default: the study's)")
        ] = None,
        budget: Annotated[int | None, typer.Option("--budget", "-n", help="points to evaluate", min=1)] = None,
        resume: Annotated[bool, typer.Option("--resume", help="continue a sweep: skip points in the store")] = False,
        fresh: Annotated[bool, typer.Option("--fresh", help="discard the points in the store and start over")] = False,
        retry_failed: Annotated[bool, typer.Option("--retry-failed", help="evaluate failed points again")] = False,
        executor: Annotated[
            str | None, typer.Option("--executor", "-e", help="serial, process (default) or dask")
        ] = None,
        workers: Annotated[
            int | None, typer.Option("--workers", "-j", help="worker processes (default: all cores)", min=1)
        ] = None,
        dask: Annotated[
            str | None, typer.Option("--dask", help="address of a running Dask scheduler, e.g. tcp://host:8786")
        ] = None,
        dask_local: Annotated[
            int | None, typer.Option("--dask-local", help="start a Dask LocalCluster of N worker processes", min=1)
        ] = None,
        seed: Annotated[int | None, typer.Option("--seed", help="random seed (default: the study's, else 0)")] = None,
        population: Annotated[int | None, typer.Option("--population", help="nsga2 population", min=2)] = None,
        db: Annotated[Path | None, typer.Option("--db", help="SQLite store (default: <study>.db beside it)")] = None,
        export: Annotated[
            Path | None, typer.Option("--export", help="write every point to a .parquet or .csv file")
        ] = None,
        limit: Annotated[int, typer.Option("--limit", help="front rows to print (0: all)", min=0)] = 20,
        as_json: Annotated[bool, typer.Option("--json", help="print the summary and front as JSON")] = False,
        no_progress: Annotated[bool, typer.Option("--no-progress", help="no progress bar")] = False,
    ) -> None:
        """Explore a study's design space (sweep axes, constraints, objectives); every point is stored at once."""
        from accelkit.explore.runner import explore

        err = Console(stderr=True)
        show = not no_progress and err.is_terminal
        bar = Progress(
            TextColumn("[bold]exploring"),
            BarColumn(),
            MofNCompleteColumn(),
            _RateColumn(),
            TextColumn("{task.fields[failed]} failed"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=err,
            disable=not show,
        )
        task = bar.add_task("explore", total=None, failed=0)

        def progress(done: int, total: int, failed: int) -> None:
            bar.update(task, completed=done, total=total, failed=failed)

        try:
            with bar:
                result = explore(
                    str(study),
                    strategy=strategy,
                    budget=budget,
                    seed=seed,
                    population=population,
                    executor=executor,
                    workers=workers,
                    dask=dask,
                    dask_local=dask_local,
                    db=db,
                    resume=resume,
                    fresh=fresh,
                    retry_failed=retry_failed,
                    progress=progress,
                )
        except KeyboardInterrupt:
            typer.echo("interrupted: every finished point is in the store; continue with --resume", err=True)
            raise typer.Exit(130) from None
        if export is not None:
            result.export(export)
        if as_json:
            typer.echo(json.dumps(result.to_dict(), indent=2))
            return
        console = _out()
        _print_summary(console, result)
        console.print(front_table(result, limit or None))
        if export is not None:
            console.print(f"wrote {len(result)} points to {export}")

    @app.command("pareto")
    @cli_errors
    def pareto_cmd(
        db: Annotated[Path, typer.Argument(help="sweep store written by accelkit explore (<study>.db)")],
        as_json: Annotated[bool, typer.Option("--json", help="summary and front as JSON")] = False,
        export: Annotated[
            Path | None, typer.Option("--export", help="write the front to a .parquet or .csv file")
        ] = None,
        limit: Annotated[int, typer.Option("--limit", help="front rows to print (0: all)", min=0)] = 0,
    ) -> None:
        """Print the Pareto front of a sweep store (feasible, non-dominated points) and its hypervolume."""
        from accelkit.explore.result import StudyResult

        result = StudyResult.from_db(db)
        if export is not None:
            result.export(export, front_only=True)
        if as_json:
            typer.echo(json.dumps(result.to_dict(), indent=2))
            return
        console = _out()
        _print_summary(console, result)
        console.print(front_table(result, limit or None))
