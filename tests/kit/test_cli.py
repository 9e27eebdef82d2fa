"""``accelkit kit`` commands, mounted on a throwaway typer app exactly as the main CLI will mount them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from accelkit import kit
from accelkit.kit.cli import kit_app

from .test_api import parse_bibtex

runner = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer(add_completion=False)

    @app.callback()
    def _root() -> None:  # a root callback keeps 'kit' a sub-command, as in accelkit.cli
        pass

    app.add_typer(kit_app, name="kit")
    return app


APP = _app()


def run(*args: str) -> object:
    return runner.invoke(APP, ["kit", *args])


def test_kit_without_a_command_shows_help() -> None:
    result = run()
    assert "list" in result.output and "show" in result.output and "export" in result.output


# ---- list ---------------------------------------------------------------------------------------------------------
def test_list_prints_every_technique() -> None:
    result = run("list")
    assert result.exit_code == 0, result.output
    n = len(kit.load_catalog().techniques)
    assert f"{n} techniques" in result.output
    assert "zero-gating" in result.output and "compressed-sparse-accelerator" in result.output


def test_list_filters_and_sorts() -> None:
    result = run("list", "--metric", "energy", "--min-effect", "2x", "--sort", "effect", "--level", "architecture")
    assert result.exit_code == 0, result.output
    assert "metric=energy" in result.output and "min-effect=2x" in result.output
    assert "zero-gating" not in result.output  # a power effect, and only 1.8x
    reram = result.output.index("reram-crossbar-computing")
    assert reram < result.output.index("sparse-weight-processing")


def test_list_json() -> None:
    result = run("list", "--block", "sparsity", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert rows and {r["block"] for r in rows} == {"sparsity"}
    assert {"id", "name", "level", "block", "modelled_by", "effects", "best"} <= set(rows[0])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--level", "gate"], "Known: architecture, circuit, model, system."),
        (["--block", "cache"], "Known: circuit_power, compute_units"),
        (["--metric", "speed"], "Known: accuracy, area, energy, latency, memory, power, throughput."),
        (["--min-effect", "2y"], "expected a factor such as '2x'"),
        (["--min-effect", "0.5x"], "must be >= 1"),
        (["--sort", "fame"], "unknown sort key 'fame'"),
    ],
)
def test_list_bad_input_exits_2_naming_the_allowed_values(args: list[str], message: str) -> None:
    result = run("list", *args)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


# ---- show ---------------------------------------------------------------------------------------------------------
def test_show_prints_effects_sources_and_that_accelkit_cannot_compute_it() -> None:
    result = run("show", "zero-gating")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Zero-operand clock/data gating" in out and "-45%" in out
    assert "accelkit can compute this on your design via the optimization block" in out
    other = run("show", "knowledge-distillation").output  # a training technique: no hardware model computes it
    assert "accelkit cannot compute this effect on your design" in other
    assert "chen2017eyeriss" in out and "doi:10.1109/JSSC.2016.2616357" in out


def test_show_a_modelled_technique_says_how_accelkit_computes_it() -> None:
    result = run("show", "row-stationary-dataflow")
    assert result.exit_code == 0, result.output
    assert "accelkit can compute this on your design via the optimization block dataflow" in result.output
    assert "the mapper's dataflows" in result.output  # and the base-model feature behind it
    assert "secondary" in result.output  # the 1.4-2.5x was read in a paper-list note, and says so


def test_show_by_alias_and_json() -> None:
    result = run("show", "EIE", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["id"] == "compressed-sparse-accelerator"
    assert doc["modelled"]["computable"] is bool(doc["modelled"]["blocks"])
    assert any(e["factor"] == 28800 for e in doc["effects"])


def test_show_a_technique_without_effects() -> None:
    result = run("show", "standard-cell-memories")
    assert result.exit_code == 0, result.output
    assert "no grounded effect" in result.output and "kind: scm" in result.output


def test_show_unknown_id_suggests_the_closest_ids() -> None:
    result = run("show", "zero-gatting")
    assert result.exit_code == 2
    assert "unknown technique 'zero-gatting'" in result.output and "'zero-gating'" in result.output


# ---- export -------------------------------------------------------------------------------------------------------
def test_export_json_default() -> None:
    result = run("export")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc == json.loads(kit.to_json())


@pytest.mark.parametrize("fmt", ["csv", "json", "markdown", "bibtex"])
def test_export_every_format_to_stdout(fmt: str) -> None:
    result = run("export", "--format", fmt)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == kit.export(fmt).strip()


def test_export_bibtex_parses() -> None:
    result = run("export", "--format", "bibtex")
    entries = parse_bibtex(result.output)
    assert "jokic2022construction" in entries and len(entries) == len(kit.load_catalog().sources)


def test_export_markdown_is_a_table() -> None:
    lines = run("export", "-f", "markdown").output.strip().splitlines()
    assert lines[0].startswith("| technique |") and set(lines[1]) <= {"|", "-"}
    assert all(line.startswith("| ") for line in lines[2:])


def test_export_filtered_to_a_file(tmp_path: Path) -> None:
    out = tmp_path / "sparsity.csv"
    result = run("export", "--format", "csv", "--block", "sparsity", "--output", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "zero-gating" in text and "deep-compression" not in text


def test_export_unknown_format_and_unwritable_path(tmp_path: Path) -> None:
    result = run("export", "--format", "xml")
    assert result.exit_code == 2 and "Known: bibtex, csv, json, markdown" in result.output
    result = run("export", "--output", str(tmp_path / "missing" / "x.json"))
    assert result.exit_code == 2 and "cannot write the export" in result.output


# ---- compare and headlines ----------------------------------------------------------------------------------------
def test_compare_table_and_relations() -> None:
    result = run("compare", "deep-compression", "weight-sharing")
    assert result.exit_code == 0, result.output
    assert "memory" in result.output and "35x - 49x" in result.output
    assert "deep-compression requires weight-sharing" in result.output


def test_compare_json_and_unknown_id() -> None:
    result = run("compare", "winograd", "fft-convolution", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["a"] == "winograd-convolution" and any("conflict" in r for r in doc["relations"])
    bad = run("compare", "winograd", "fft-convolutoin")
    assert bad.exit_code == 2 and "'fft-convolution'" in bad.output


def test_headlines() -> None:
    result = run("headlines")
    assert result.exit_code == 0, result.output
    assert "10,000x memory savings" in result.output and "33x energy" in result.output
    assert "doi:10.1145/3520127" in result.output
    doc = json.loads(run("headlines", "--json").output)
    assert {h["id"] for h in doc} == {"memory-10000x", "energy-33x"}
