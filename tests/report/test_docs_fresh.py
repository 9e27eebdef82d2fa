"""docs/yaml-reference.md is generated from the specs; it must match what `accelkit schema --markdown` prints."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from accelkit.cli import app


def test_yaml_reference_is_current() -> None:
    doc = Path(__file__).resolve().parents[2] / "docs" / "yaml-reference.md"
    res = CliRunner().invoke(app, ["schema", "--markdown"])
    assert res.exit_code == 0, res.output
    assert doc.read_text() == res.stdout, "regenerate: accelkit schema --markdown > docs/yaml-reference.md"
