"""The HTML report in a real browser: headless Chromium (Debian's, installed by `make test`) driven by Playwright.

Checks that every section and figure renders (visible, with a size, SVG figures with drawn marks), that the page
logs no console errors and makes no request other than its own file, that names carrying markup render as text
(no dialog, no script element), and saves a full-page screenshot under the test's tmp folder.

Playwright's own browser download is never used: the test launches the system's chromium. Without one it skips
with the reason, unless ACCELKIT_REQUIRE_BROWSER=1 (set by .ci/run, where `make test` installs it as root): then a
missing browser is a failure, not a silent skip.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from accelkit.report.html import SECTIONS, ParetoData, render_report
from tests.report.studies import STUDY, XSS, pareto_frame, xss_study

FIGURES = (
    "fig-energy-layer",
    "fig-energy-level",
    "fig-latency",
    "fig-roofline",
    "fig-waterfall",
    "fig-catalog",
    "fig-pareto",
)
#: what Chromium needs on this closed network (docs: the machine notes on headless Chromium)
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
]


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    reason = (
        "no Chromium found on PATH (chromium, chromium-browser): `make test` installs Debian's chromium with "
        "apt-get when run as root; install it (apt-get install chromium) to run the browser test"
    )
    if os.environ.get("ACCELKIT_REQUIRE_BROWSER") == "1":
        pytest.fail(reason + " [ACCELKIT_REQUIRE_BROWSER=1: a missing browser is a failure here]")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the dev extra installs it
        if os.environ.get("ACCELKIT_REQUIRE_BROWSER") == "1":
            pytest.fail("playwright is not installed (pip install -e '.[dev]')")
        pytest.skip("playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def _open(browser, path: Path):
    """Open ``path``; return the page and what it logged, requested and raised."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=True)
    page = context.new_page()
    log: dict[str, list[str]] = {"console": [], "errors": [], "requests": [], "dialogs": [], "blocked": []}
    page.on("console", lambda m: log["console"].append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: log["errors"].append(str(e)))
    page.on("dialog", lambda d: (log["dialogs"].append(d.message), d.dismiss()))
    page.on("request", lambda r: log["requests"].append(r.url))

    def guard(route):  # anything but the report itself is recorded and refused, never fetched
        if route.request.url == path.as_uri():
            route.continue_()
        else:
            log["blocked"].append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page.goto(path.as_uri(), wait_until="load")
    return context, page, log


@pytest.fixture(scope="module")
def report_file(tmp_path_factory) -> Path:
    from accelkit.attribution import attribute
    from accelkit.model.study import load_study

    study = load_study(dict(STUDY))
    att = attribute(study)
    pareto = ParetoData(pareto_frame(), ("energy_per_inference_j", "latency_s"), label="point", source="sweep.db")
    html = render_report(att.combined, attribution=att, study=study, study_text=str(STUDY), pareto=pareto)
    path = tmp_path_factory.mktemp("browser") / "report.html"
    path.write_text(html, encoding="utf-8")
    return path


def test_every_section_and_figure_renders(browser, report_file, tmp_path) -> None:
    context, page, log = _open(browser, report_file)
    try:
        for sid, heading in SECTIONS:
            section = page.locator(f"section#{sid}")
            assert section.count() == 1, sid
            assert section.is_visible(), sid
            h2 = section.locator("h2")
            assert h2.inner_text().strip() == heading
            box = section.bounding_box()
            assert box and box["height"] > 40 and box["width"] > 300, (sid, box)
        for fid in FIGURES:
            fig = page.locator(f"figure#{fid}")
            assert fig.count() == 1, fid
            svg = fig.locator("svg").first
            svg.scroll_into_view_if_needed()
            assert svg.is_visible(), fid
            box = svg.bounding_box()
            assert box and box["width"] > 200 and box["height"] > 120, (fid, box)
            marks = svg.evaluate("s => s.querySelectorAll('path, rect, use').length")
            texts = svg.evaluate("s => s.querySelectorAll('text').length")
            assert marks > 10 and texts > 3, (fid, marks, texts)
            # the plot draws inside its own box: its marks have a rendered size
            drawn = svg.evaluate(
                "s => Array.from(s.querySelectorAll('path')).filter(p => { const b = p.getBBox(); "
                "return b.width > 0 || b.height > 0; }).length"
            )
            assert drawn > 5, (fid, drawn)
        # tables render rows
        assert page.locator("#layer-table tr").count() > 3
        assert page.locator("#attribution-table tr").count() >= 2 + len(STUDY["blocks"])
        assert page.locator("#literature-table tr").count() > 2
        assert page.locator("#estimator-table tr").count() > 3
        assert len(page.locator("#spec-hash").inner_text().strip()) == 64
        shot = tmp_path / "report.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 50_000
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    finally:
        context.close()
    errors = [c for c in log["console"] if c.startswith("error")]
    assert not errors, errors
    assert not log["errors"], log["errors"]
    assert not log["blocked"], f"external requests: {log['blocked']}"
    assert log["requests"] == [report_file.as_uri()], log["requests"]


def test_markup_in_names_renders_as_text(browser, tmp_path) -> None:
    from accelkit.report.html import study_report

    path = tmp_path / "xss.html"
    path.write_text(study_report(xss_study()), encoding="utf-8")
    context, page, log = _open(browser, path)
    try:
        assert page.locator("dd.network-name").inner_text() == XSS
        assert page.locator("dd.accelerator-name").inner_text() == XSS
        assert XSS in page.locator("#report-title").inner_text()
        assert page.evaluate("document.querySelectorAll('script').length") == 0
        assert page.evaluate("document.querySelectorAll('main img, body > img').length") == 0
        # the block label inside the waterfall's SVG text is text too
        labels = page.locator("figure#fig-waterfall svg").evaluate(
            "s => Array.from(s.querySelectorAll('text')).map(t => t.textContent)"
        )
        assert any(XSS in t for t in labels), labels
        page.screenshot(path=str(tmp_path / "xss.png"), full_page=True)
    finally:
        context.close()
    assert not log["dialogs"], log["dialogs"]
    assert not [c for c in log["console"] if c.startswith("error")], log["console"]
    assert not log["blocked"], log["blocked"]
