"""``accelkit report`` and ``accelkit schema``: registered on the main app by :func:`register` (see accelkit.cli)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from accelkit.cli_support import cli_errors, progress_bar
from accelkit.errors import AccelkitError


def report_cmd(
    source: Annotated[str, typer.Argument(help="A study YAML file, or an explorer store (<study>.db).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the HTML report.")] = Path(
        "report.html"
    ),
    attribution: Annotated[
        bool | None,
        typer.Option(
            "--attribution/--no-attribution",
            help="Attribute the study's blocks (2^n evaluations for n blocks). Default: on for a study file, "
            "off for a store.",
        ),
    ] = None,
) -> None:
    """Write a self-contained HTML report: design summary, inputs, per-layer table, breakdowns, roofline,
    attribution, literature comparison with sources, Pareto front (stores) and provenance."""

    from accelkit.report.html import store_report, study_report

    src = Path(source)
    is_store = src.suffix.lower() in (".db", ".sqlite", ".sqlite3")
    if not is_store and src.suffix.lower() not in (".yaml", ".yml"):
        raise AccelkitError(f"{source!r}: expected a study YAML file or an explorer store (.db)")
    if not src.is_file():
        raise AccelkitError(f"{source}: file not found")
    with progress_bar("evaluating") as progress:
        if is_store:
            html = store_report(src, attribution=bool(attribution), progress=progress)
        else:
            html = study_report(src, attribution=attribution is not False, progress=progress)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise AccelkitError(f"cannot write the report to {output}: {exc.strerror or exc}") from None
    typer.echo(f"wrote {output} ({len(html) / 1024:.0f} KiB)")


def schema_cmd(
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Write <Name>.schema.json for every spec into this folder."),
    ] = None,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print the YAML reference (Markdown) generated from the schemas.")
    ] = False,
    name: Annotated[str | None, typer.Option("--name", help="Print only this spec's schema (e.g. StudySpec).")] = None,
) -> None:
    """JSON schema of every spec (study, accelerator, network, each optimization block) for editor completion.

    Without options, prints all of them as one JSON object keyed by spec name.
    """
    from accelkit.report.schema import all_schemas, schema_markdown, write_schemas

    if markdown:
        typer.echo(schema_markdown(), nl=False)
        return
    if output is not None:
        try:
            paths = write_schemas(output)
        except OSError as exc:
            raise AccelkitError(f"cannot write the schemas to {output}: {exc.strerror or exc}") from None
        typer.echo(f"wrote {len(paths)} schemas to {output}")
        return
    schemas = all_schemas()
    if name is not None:
        if name not in schemas:
            from accelkit.errors import UnknownNameError

            raise UnknownNameError("spec", name, list(schemas))
        typer.echo(json.dumps(schemas[name], indent=2, ensure_ascii=False))
        return
    typer.echo(json.dumps(schemas, indent=2, ensure_ascii=False))


def register(app: typer.Typer) -> None:
    """Add ``report`` and ``schema`` to the main ``accelkit`` app."""
    app.command("report")(cli_errors(report_cmd))
    app.command("schema")(cli_errors(schema_cmd))
