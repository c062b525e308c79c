"""Reports opened in headless Chromium: they load offline, draw every chart, and say what
metrics.json says.

Needs Debian's ``chromium`` (``make browser`` installs it) and pip's ``playwright``; the tests
are skipped with the reason when either is missing, unless FORECAST_REQUIRE_BROWSER=1 (set
by .ci/run), where a missing browser is a failure. A screenshot of the demo report and its
load time are kept in test-artifacts/ at the repository root.
"""
import json
import math
import os
import time
from pathlib import Path

import pytest

from forecast import config, report, runs, walkforward
from test_report import HOSTILE, make_run

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
LOCAL = ("file://", "data:", "blob:")

# The plot area of every chart must hold inked pixels: dark or coloured ones, which the
# light grid and the grey fold marks are not. Counted per chart in the page itself.
INKED = """() => window.reportCharts.map(({id, plot}) => {
  const b = plot.bbox;
  const px = plot.ctx.getImageData(b.left, b.top, b.width, b.height).data;
  let inked = 0;
  for (let i = 0; i < px.length; i += 4) {
    const [r, g, bl, a] = [px[i], px[i + 1], px[i + 2], px[i + 3]];
    if (a > 128 && (Math.max(r, g, bl) - Math.min(r, g, bl) > 60 || Math.max(r, g, bl) < 90))
      inked++;
  }
  const points = plot.data.slice(1).map(s => s.filter(v => v != null).length);
  return {id, inked, points, drawn: plot.root.parentNode.dataset.drawn === "1"};
})"""


@pytest.fixture(scope="session")
def browser():
    reason = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        reason = "playwright is not installed (pip install -e '.[dev]')"
    if reason is None and not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (make browser, or apt-get install chromium)"
    if reason:
        if os.environ.get("FORECAST_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests are required here but {reason}")
        pytest.skip(reason)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """A real run, small enough to train in seconds, saved as ``forecast run`` saves it."""
    exp = config.from_dict({
        "name": "demo", "seed": 1,
        "data": {"source": "sample", "ticker": "^GSPC", "start": "2005-01-01",
                 "end": "2007-05-31"},
        "features": {"lookback": 10},
        "split": {"initial_train": 300, "folds": 2},
        "training": {"epochs": 2, "batch_size": 64, "patience": 5},
        "models": {"naive": {}, "single_lstm": {"units": 4},
                   "stacked_lstm": {"units": [4, 4]}}})
    out = tmp_path_factory.mktemp("reports")
    run_dir = runs.save(walkforward.run_experiment(exp, progress=False), out,
                        pages=report.render)
    report.render_index(out)  # as forecast run does
    return run_dir


class Opened:
    """A page opened from a file, with what it logged and asked for."""

    def __init__(self, browser, path: Path, width=1366):
        self.errors, self.requests, self.dialogs = [], [], []
        self.page = browser.new_page(viewport={"width": width, "height": 800})
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(path.resolve().as_uri(), wait_until="load")

    def assert_clean(self):
        assert self.errors == []
        assert self.dialogs == []
        assert [u for u in self.requests if not u.startswith(LOCAL)] == []

    def assert_charts_drawn(self, expected_ids):
        # uPlot draws just after the page's script: wait until every chart has
        self.page.wait_for_function("document.body.dataset.chartsDrawn", timeout=10_000)
        charts = self.page.evaluate(INKED)
        assert sorted(c["id"] for c in charts) == sorted(expected_ids)
        for c in charts:
            assert c["drawn"], c["id"]
            assert all(n > 0 for n in c["points"]), c  # every series has data to draw
            assert c["inked"] > 30, c                   # and its marks are on the canvas


@pytest.fixture
def opened(browser):
    pages = []

    def open_(path, **kw):
        pages.append(Opened(browser, Path(path), **kw))
        return pages[-1]
    yield open_
    for o in pages:
        o.page.close()


@pytest.mark.browser
def test_the_demo_report_opens_offline_and_draws_every_chart(browser, demo, opened):
    start = time.perf_counter()
    o = opened(demo / "report.html")
    wall = time.perf_counter() - start
    o.assert_clean()
    o.assert_charts_drawn(["chart-gain", "chart-prices", "chart-folds", "chart-rolling",
                           "chart-errors", "chart-loss-0", "chart-loss-1", "chart-cost"]
                          + (["chart-equity", "chart-drawdown"]
                             if (demo / "equity.csv").exists() else []))
    ARTIFACTS.mkdir(exist_ok=True)
    o.page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    timing = o.page.evaluate("""() => ({
        load_ms: performance.getEntriesByType('navigation')[0].loadEventEnd,
        charts_ms: performance.getEntriesByName('charts-drawn')[0].startTime})""")
    timing.update(goto_s=wall, bytes=(demo / "report.html").stat().st_size)
    (ARTIFACTS / "report-timing.json").write_text(json.dumps(timing, indent=1))


@pytest.mark.browser
def test_the_verdict_table_in_the_browser_holds_metrics_json(browser, demo, opened):
    m = json.loads((demo / "metrics.json").read_text())
    o = opened(demo / "report.html")
    rows = o.page.eval_on_selector_all("#verdict-table tr[data-model]", """rows =>
        rows.map(r => [r.dataset.model, Object.fromEntries([...r.querySelectorAll('td[data-key]')]
            .map(td => [td.dataset.key, [Number(td.dataset.value), td.innerText]]))])""")
    assert [name for name, _ in rows] == list(m["models"])
    for name, cells in rows:
        e = m["models"][name]
        for key, (value, text) in cells.items():
            if e[key] is None:  # not defined (naive's direction): a dash, no number
                assert math.isnan(value) and text == "–", (name, key)
            else:
                assert value == pytest.approx(e[key], rel=1e-12), (name, key)
        # and what people read is that number, rounded
        assert float(cells["rmse"][1].replace(",", "")) == pytest.approx(e["rmse"], abs=0.01)
        assert float(cells["theil_u"][1]) == pytest.approx(e["theil_u"], abs=1e-4)
        if e["directional_accuracy"] is not None:
            assert float(cells["directional_accuracy"][1]) == pytest.approx(
                100 * e["directional_accuracy"], abs=0.05)
    best = o.page.inner_text("#verdict-table tr.best td:first-child")
    assert best.startswith(min(m["models"], key=lambda n: m["models"][n]["rmse"]))


@pytest.mark.browser
def test_charts_zoom_and_show_values_on_hover(browser, demo, opened):
    o = opened(demo / "report.html")
    over = o.page.locator("#chart-prices .u-over")
    over.scroll_into_view_if_needed()
    box = over.bounding_box()
    legend = "#chart-prices .u-legend .u-series:nth-child(2) .u-value"
    o.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert o.page.inner_text(legend) not in ("", "--")
    span = ("() => { const x = window.reportCharts.find(c => c.id === 'chart-prices')"
            ".plot.scales.x; return x.max - x.min; }")
    before = o.page.evaluate(span)
    o.page.mouse.down()
    o.page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] / 2, steps=5)
    o.page.mouse.up()
    after = o.page.evaluate(span)
    assert after < before / 5
    o.assert_clean()


@pytest.mark.browser
def test_the_index_opens_offline_and_links_to_the_report(browser, demo, opened):
    index = demo.parent.parent / "index.html"
    o = opened(index)
    o.assert_clean()
    hrefs = o.page.eval_on_selector_all("#runs a", "as => as.map(a => a.href)")
    assert (demo / "report.html").resolve().as_uri() in hrefs
    assert o.page.inner_text("#runs tr:nth-child(2) td:nth-child(2)") == "demo"


@pytest.mark.browser
def test_seed_bands_significance_and_equity_are_drawn(tmp_path, opened):
    run = make_run(tmp_path, seeds=(1, 2), significance=True, trading=True)
    o = opened(report.render(run))
    o.assert_clean()
    o.assert_charts_drawn(["chart-gain", "chart-prices", "chart-folds", "chart-rolling",
                           "chart-errors", "chart-loss-0", "chart-loss-1", "chart-cost",
                           "chart-equity", "chart-drawdown"])
    assert o.page.locator("#significance-table").is_visible()
    assert o.page.locator("#trading-table tr[data-model=buy_and_hold]").is_visible()
    # band edges are drawing aids, not legend entries
    shown = o.page.eval_on_selector_all(
        "#chart-prices .u-legend .u-series", "rs => rs.filter(r => r.style.display !== 'none')"
        ".map(r => r.querySelector('.u-label').innerText.replace(/:$/, ''))")
    assert shown == ["date", "actual", "naive", "single_lstm", "stacked_lstm"]


@pytest.mark.browser
def test_hostile_names_show_as_text(tmp_path, opened):
    run = make_run(tmp_path, experiment=HOSTILE, ticker="<script>alert(1)</script>",
                   models=("naive", "<img src=x onerror=alert(1)>"))
    for path in (report.render(run), report.render_index(tmp_path),
                 report.render_compare([run], tmp_path / "compare.html")):
        o = opened(path)
        o.assert_clean()
    o = opened(run / "report.html")
    assert o.page.inner_text("h1") == HOSTILE
    assert "<script>alert(1)</script>" in o.page.inner_text(".sub")
    assert o.page.locator("img").count() == 0


@pytest.mark.browser
def test_the_comparison_opens_offline(browser, demo, tmp_path, opened):
    other = make_run(tmp_path, ticker="OTHER")
    o = opened(report.render_compare([demo, other], tmp_path / "cmp" / "compare.html"))
    o.assert_clean()
    o.assert_charts_drawn(["chart-compare"])
    hrefs = o.page.eval_on_selector_all("#compare-runs a", "as => as.map(a => a.href)")
    assert (demo / "report.html").resolve().as_uri() in hrefs


def test_the_demo_report_is_small(demo):
    assert (demo / "report.html").stat().st_size < 1_000_000
    assert (demo.parent.parent / "index.html").is_file()


@pytest.mark.browser
def test_a_power_audit_page_opens_offline_and_says_what_its_table_says(tmp_path, opened):
    from forecast import power
    exp = config.from_dict({
        "name": "audited", "seed": 1, "data": {"start": "2004-01-01", "end": "2008-06-30"},
        "features": {"lookback": 10, "indicators": []},
        "split": {"initial_train": 500, "folds": 2},
        "models": {"naive": {}, "ar": {}, "ridge": {}}})
    found = power.audit(exp, strengths=[0.5], progress=False)
    path = runs.save_power(found, tmp_path, pages=report.render_power)
    o = opened(path / "power.html")
    o.assert_clean()
    o.assert_charts_drawn(["chart-capture-0", "chart-capture-1"])  # linear, threshold
    cells = o.page.eval_on_selector_all("#power-table tr[data-model]", """rows =>
        rows.map(r => [r.dataset.signal, r.dataset.model,
                       Number(r.querySelector('td[data-key=capture]').dataset.value)])""")
    table = found.table.set_index(["signal", "model"])
    assert len(cells) == len(table)
    for signal, model, capture in cells:
        want = table.loc[(signal, model), "capture"]
        assert (math.isnan(capture) and math.isnan(want)) or capture == pytest.approx(want)
    small = found.smallest()
    text = o.page.inner_text("#power-smallest tr[data-model=ar] td[data-form=linear]")
    assert text == f"{small.loc['ar', 'linear'] * 100:.2g}%"
