"""`accelkit report` and `accelkit schema` through typer's runner; the schema validates every example spec."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from accelkit.cli import app
from accelkit.report.html import SECTIONS
from accelkit.report.schema import all_schemas, detect_spec_kind, validate_document
from tests.report.studies import XSS, preset_dict, write_study, xss_study

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((REPO / "examples").glob("*.yaml")) + sorted((REPO / "examples").glob("*.yml"))
PRESETS = sorted((REPO / "src" / "accelkit" / "presets").glob("*.yaml"))
runner = CliRunner()


def test_report_writes_every_section(study_path, tmp_path) -> None:
    out = tmp_path / "out" / "report.html"
    res = runner.invoke(app, ["report", str(study_path), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "wrote" in res.output
    html = out.read_text(encoding="utf-8")
    for sid, _ in SECTIONS:
        assert f'<section id="{sid}"' in html
    assert 'id="fig-waterfall"' in html


def test_report_without_attribution(study_path, tmp_path) -> None:
    out = tmp_path / "r.html"
    res = runner.invoke(app, ["report", str(study_path), "-o", str(out), "--no-attribution"])
    assert res.exit_code == 0, res.output
    html = out.read_text(encoding="utf-8")
    assert 'id="fig-waterfall"' not in html and "Attribution was not computed" in html


def test_report_xss_study(tmp_path) -> None:
    study = write_study(tmp_path, xss_study())
    out = tmp_path / "x.html"
    res = runner.invoke(app, ["report", str(study), "-o", str(out)])
    assert res.exit_code == 0, res.output
    html = out.read_text(encoding="utf-8")
    assert XSS not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "missing.yaml"], "file not found"),
        (["report", "notes.txt"], "expected a study YAML file"),
    ],
)
def test_report_bad_input_exits_2(args, message, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("x")
    res = runner.invoke(app, args)
    assert res.exit_code == 2
    assert message in res.output
    assert "Traceback" not in res.output


def test_report_bad_study_names_the_field(tmp_path) -> None:
    bad = write_study(
        tmp_path, {"network": "mlperf_tiny_ad", "accelerator": "edge_npu_int8", "blocks": [{"kind": "nope"}]}
    )
    res = runner.invoke(app, ["report", str(bad), "-o", str(tmp_path / "r.html")])
    assert res.exit_code == 2
    assert "blocks[0]" in res.output or "nope" in res.output


def test_schema_writes_every_spec(tmp_path) -> None:
    from accelkit.optimizations import available, block_class

    res = runner.invoke(app, ["schema", "-o", str(tmp_path / "schemas")])
    assert res.exit_code == 0, res.output
    names = {p.name.removesuffix(".schema.json") for p in (tmp_path / "schemas").glob("*.schema.json")}
    expected = {"AcceleratorSpec", "NetworkSpec", "StudySpec", *(block_class(k).Spec.__name__ for k in available())}
    assert names == expected
    for p in (tmp_path / "schemas").glob("*.json"):
        doc = json.loads(p.read_text(encoding="utf-8"))
        assert doc["$schema"].endswith("2020-12/schema")


def test_schema_prints_json_and_markdown() -> None:
    res = runner.invoke(app, ["schema"])
    assert res.exit_code == 0
    assert set(json.loads(res.output)) == set(all_schemas())
    one = runner.invoke(app, ["schema", "--name", "StudySpec"])
    assert json.loads(one.output)["title"] == "StudySpec"
    md = runner.invoke(app, ["schema", "--markdown"])
    assert md.exit_code == 0 and "## StudySpec" in md.output and "## Optimization blocks" in md.output
    bad = runner.invoke(app, ["schema", "--name", "StudySpek"])
    assert bad.exit_code == 2 and "StudySpec" in bad.output


def test_the_schema_is_valid_json_schema() -> None:
    import jsonschema

    for name, s in all_schemas().items():
        jsonschema.Draft202012Validator.check_schema(s)
        assert s["title"] == name


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_schema_validates_every_example(path) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert validate_document(data) == [], f"{path.name} ({detect_spec_kind(data)})"


def test_there_are_examples_or_this_says_so() -> None:
    if not EXAMPLES:
        pytest.skip("examples/ holds no YAML spec yet: the parametrized example check has nothing to validate")


@pytest.mark.parametrize("path", PRESETS, ids=[p.name for p in PRESETS])
def test_schema_validates_every_preset(path) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert detect_spec_kind(data) == "AcceleratorSpec"
    assert validate_document(data) == []


def test_schema_accepts_what_the_loader_accepts_and_rejects_typos(study_path) -> None:
    from accelkit.model.study import load_study

    doc = yaml.safe_load(Path(study_path).read_text(encoding="utf-8"))
    load_study(doc)
    assert validate_document(doc) == []
    inline = {"network": {"zoo": "mlperf_tiny_ad"}, "accelerator": preset_dict(), "blocks": doc["blocks"]}
    load_study(inline)
    assert validate_document(inline) == []
    assert validate_document({**doc, "netwrok": "x"})  # unknown key
    assert validate_document({**doc, "blocks": [{"kind": "voltage_scaling", "voltag": "0.7 V"}]})
    acc = preset_dict()
    acc["technology"] = {**acc["technology"], "clock": "fast"}
    assert validate_document(acc)
