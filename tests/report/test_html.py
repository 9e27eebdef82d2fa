"""The HTML report: every section and figure present, self-contained, user strings escaped; notebook HTML."""

from __future__ import annotations

import re
import sys
import types
from html.parser import HTMLParser

import pytest

from accelkit.errors import AccelkitError
from accelkit.report import html as report_html
from accelkit.report.html import SECTIONS, ParetoData, render_report, spec_hash, study_report
from accelkit.report.notebook import attribution_html, evaluation_html
from tests.report.studies import XSS, XSS_IMG, pareto_frame, xss_study

FIGURES = ("fig-energy-layer", "fig-energy-level", "fig-latency", "fig-roofline", "fig-waterfall", "fig-catalog")


class _Tags(HTMLParser):
    """Collects tags and the attributes that could fetch something."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.urls: list[str] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for k, v in attrs:
            if k in ("src", "href", "xlink:href", "action", "data") and v:
                self.urls.append(v)
            if k.startswith("on"):
                self.handlers.append(f"{tag} {k}")


def _parse(html: str) -> _Tags:
    p = _Tags()
    p.feed(html)
    return p


@pytest.fixture(scope="module")
def report(study_path) -> str:
    return study_report(study_path)


def test_every_section_and_figure_is_present(report) -> None:
    for sid, heading in SECTIONS:
        assert f'<section id="{sid}"' in report
        assert heading in report
    for fid in FIGURES:
        m = re.search(rf'<figure class="plot" id="{fid}"[^>]*>(.*?)</figure>', report, re.S)
        assert m, fid
        assert "<svg" in m.group(1)


def test_report_is_self_contained(report) -> None:
    tags = _parse(report)
    assert "script" not in tags.tags
    assert not tags.handlers
    # the only links are in-page anchors and SVG references
    assert all(u.startswith("#") for u in tags.urls), [u for u in tags.urls if not u.startswith("#")][:5]
    assert "Content-Security-Policy" in report and "default-src 'none'" in report
    assert "@import" not in report and "url(http" not in report


def test_design_numbers_and_provenance(report, ev, study_path) -> None:
    from accelkit import __version__
    from accelkit.model.study import load_study

    study = load_study(study_path)
    assert f'<code id="spec-hash">{spec_hash(study.spec)}</code>' in report
    assert re.fullmatch(r"[0-9a-f]{64}", spec_hash(study.spec))
    assert f'<dd id="accelkit-version">{__version__}</dd>' in report
    for info in ev.provenance["estimators"].values():  # every estimator that priced an action is named
        assert info["estimator"] in report
    for r in ev.layers:
        assert f"<td>{r.name}</td>" in report
    assert "mlperf_tiny_ad" in report and "edge_npu_int8" in report
    # the study text is echoed, escaped
    assert "&lt;b&gt;two&lt;/b&gt;" in report and "<b>two</b>" not in report
    assert "kind: voltage_scaling" in report


def test_attribution_and_literature_sections(report, att) -> None:
    from accelkit import kit

    for b in att.blocks:
        assert f"<b>{b.label}</b>" in report
        for tid in b.catalog_ids:
            tech = kit.get(tid)
            for e in tech.effects:
                assert kit.source(e.source).title.replace("&", "&amp;") in report.replace("&#39;", "'")
    assert 'id="literature-table"' in report and 'id="attribution-table"' in report


def test_same_study_same_hash(study_path) -> None:
    from accelkit.model.study import load_study

    a = spec_hash(load_study(study_path).spec)
    b = spec_hash(load_study(str(study_path)).spec.model_copy())
    assert a == b


def test_xss_names_render_as_text() -> None:
    html = study_report(xss_study())
    assert XSS not in html
    assert "<img" not in html and 'onerror="alert' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    tags = _parse(html)
    assert "script" not in tags.tags and "img" not in tags.tags and not tags.handlers
    # in the summary, the tables and the SVG text the names are there, as text
    assert '<dd class="network-name">&lt;script&gt;alert(1)&lt;/script&gt;</dd>' in html
    assert '<dd class="accelerator-name">&lt;script&gt;alert(1)&lt;/script&gt;</dd>' in html
    svg_texts = re.findall(r"<text[^>]*>([^<]*)</text>", html)
    assert any("&lt;script&gt;alert(1)&lt;/script&gt;" in t for t in svg_texts)  # the block label in the waterfall
    assert XSS_IMG not in html


def test_report_from_results_without_a_study(ev) -> None:
    html = render_report(ev)
    assert "no study file was given" in html
    assert "The study has no optimization blocks to attribute." not in html  # ev has blocks: attribution skipped
    assert "Attribution was not computed" in html


def test_pareto_section_from_a_dataframe(ev) -> None:
    df = pareto_frame()
    data = ParetoData(df, ("energy_per_inference_j", "latency_s"), label="point", source="sweep.db")
    html = render_report(ev, pareto=data)
    m = re.search(r'<figure class="plot" id="fig-pareto".*?</figure>', html, re.S)
    assert m and "<svg" in m.group(0)
    assert "8 design points" in html and "4 on the Pareto front" in html
    table = re.search(r'<table class="pareto".*?</table>', html, re.S).group(0)
    assert table.count("<tr>") == 5  # header + the 4 front points
    only = render_report(None, pareto=data)
    assert "fig-pareto" in only and "fig-roofline" not in only
    with pytest.raises(AccelkitError, match="two objective columns"):
        render_report(ev, pareto=ParetoData(df, ("energy_per_inference_j", "nope")))


def test_store_report_through_the_explorer_api(monkeypatch, tmp_path, study_path) -> None:
    """The store adapter on a stand-in explorer module (the real explorer is tested where it lives)."""
    df = pareto_frame()

    class Result:
        objectives = ({"metric": "energy_per_inference_j", "sense": "min"}, ("latency_s", "min"))
        study = study_path

        def to_dataframe(self):
            return df

        def pareto(self):
            return df.iloc[[0, 1]]

    fake = types.ModuleType("accelkit.explore")
    fake.load_result = lambda path: Result()
    monkeypatch.setitem(sys.modules, "accelkit.explore", fake)
    db = tmp_path / "sweep.db"
    db.write_bytes(b"")
    html = report_html.store_report(db)
    assert "2 on the Pareto front" in html and "fig-energy-layer" in html  # the front, and the study's design
    data, study = report_html.load_store(db)
    assert data.objectives == ("energy_per_inference_j", "latency_s") and study == study_path


def test_store_without_explorer_is_a_clear_error(monkeypatch, tmp_path) -> None:
    monkeypatch.setitem(sys.modules, "accelkit.explore", None)  # import fails
    db = tmp_path / "x.db"
    db.write_bytes(b"")
    with pytest.raises(AccelkitError, match="needs the explorer"):
        report_html.load_store(db)


def test_notebook_html(ev, att) -> None:
    h = evaluation_html(ev)
    assert "<table>" in h and "<svg" in h and "energy / inference" in h
    assert "<script" not in h
    a = attribution_html(att)
    assert all(b.label in a for b in att.blocks) and "<svg" in a


def test_notebook_html_escapes() -> None:
    from accelkit.attribution import attribute
    from accelkit.model.evaluate import evaluate

    ev = evaluate(xss_study())
    h = evaluation_html(ev, plot=False)
    assert XSS not in h and "&lt;script&gt;" in h
    att = attribute(xss_study())
    a = attribution_html(att)
    assert XSS not in a and "&lt;script&gt;" in a


def test_report_of_a_real_explorer_store(tmp_path) -> None:
    """Only where the explorer is installed: a tiny sweep, its store, and `accelkit report <store>.db`."""
    import importlib

    from typer.testing import CliRunner

    try:
        explore = importlib.import_module("accelkit.explore")
    except ModuleNotFoundError:
        pytest.skip("the explorer (accelkit.explore) is not installed")
    if not callable(getattr(explore, "explore", None)):
        pytest.skip("the explorer has no explore() yet")
    from accelkit.cli import app
    from tests.report.studies import write_study

    study = write_study(
        tmp_path,
        {
            "name": "tiny-sweep",
            "network": "mlperf_tiny_ad",
            "accelerator": "edge_npu_int8",
            "blocks": [{"kind": "voltage_scaling", "voltage": "0.9 V"}],
            "explore": {
                "axes": {"blocks.voltage_scaling.voltage": ["0.7 V", "0.9 V"]},
                "objectives": ["energy_per_inference_j", "latency_s"],
            },
        },
    )
    db = tmp_path / "tiny.db"
    explore.explore(study, executor="serial", db=db)
    out = tmp_path / "store.html"
    res = CliRunner().invoke(app, ["report", str(db), "-o", str(out)])
    assert res.exit_code == 0, res.output
    html = out.read_text(encoding="utf-8")
    assert 'id="fig-pareto"' in html and "2 design points" in html
    assert 'id="fig-roofline"' in html  # the study's own design, found through the store
