"""The HTML report, index and comparison pages, read as files (no browser: see
test_report_browser.py for what a browser draws).

``make_run`` writes a run directory by hand, in seconds and with every optional part a
run can hold (several seeds, significance, trading, equity.csv), so each section of the
report can be checked with and without its data.
"""
import html
import json
import re
import shutil
import stat
import tomllib

import numpy as np
import pandas as pd
import pytest

from forecast import cli, metrics, report, runs, walkforward
from forecast.errors import ForecastError
from forecast.walkforward import _mean_std  # the fake run is summarised as a real one

HOSTILE = "</script><script>alert(1)</script>"


def make_run(root, *, experiment="synthetic", ticker="^TEST", run_id="20240102-030405-abcdef12",
             seeds=(1,), models=("naive", "single_lstm", "stacked_lstm"), significance=False,
             trading=False, days=240, folds=2, features=("close", "sma_20"), versions=True,
             csv=None, epochs=3, seed=0):
    """Write a run directory as :func:`forecast.runs.save` would and return its path."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2020-01-01", periods=days + 1)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, days + 1)))
    y_last, y_true = close[:-1], close[1:]
    fold_of = np.repeat(np.arange(folds), int(np.ceil(days / folds)))[:days]
    preds, entries = [], {}
    for name in models:
        runs_of = [-1] if name == "naive" else list(seeds)
        per_seed = []
        for s in runs_of:
            noise = 0 if name == "naive" else rng.normal(0, 0.5 + len(name) / 20, days)
            y_pred = y_last + noise
            preds.append(pd.DataFrame({"date": dates[1:], "fold": fold_of, "model": name,
                                       "seed": s, "y_true": y_true, "y_pred": y_pred,
                                       "y_last": y_last}))
            per_seed.append((y_pred, [metrics.summary(y_true[fold_of == k], y_pred[fold_of == k],
                                                      y_last[fold_of == k])
                                      for k in range(folds)]))
        overall = [metrics.summary(y_true, yp, y_last) for yp, _ in per_seed]
        entry = _mean_std(overall)
        entry.update({"wall_seconds": 0.00001 if name == "naive" else 1.5 * len(name),
                      "params": 0 if name == "naive" else 100 * len(name),
                      "seeds": [] if name == "naive" else list(seeds), "folds": []})
        for k in range(folds):
            row = {"fold": k, **_mean_std([f[k] for _, f in per_seed]), "fit_seconds": 1.0,
                   "predict_seconds": 0.1, "epochs_run": 0 if name == "naive" else epochs,
                   "peak_rss_mb": 300.0,
                   "history": {} if name == "naive" else {
                       "loss": list(np.linspace(1, 0.5, epochs) + k / 10),
                       "val_loss": list(np.linspace(1.2, 0.8, epochs) + k / 10)}}
            if significance:
                row.update(dm_stat=None if name == "naive" else -1.5 + k,
                           dm_pvalue=None if name == "naive" else 0.03 + k / 10)
            entry["folds"].append(row)
        if significance:
            entry.update(dm_stat=None if name == "naive" else -2.5,
                         dm_pvalue=None if name == "naive" else 0.012)
        if trading:
            entry["trading"] = _trading_stats(rng)
        entries[name] = entry
    fold_rows = []
    for k in range(folds):
        test = np.flatnonzero(fold_of == k)
        first, last = dates[1:][test[0]], dates[1:][test[-1]]
        fold_rows.append({"fold": k, "train_start": "2015-01-02",
                          "train_end": str((first - pd.offsets.BDay(1)).date()),
                          "test_start": str(first.date()), "test_end": str(last.date()),
                          "scaler_start": "2015-01-02",
                          "scaler_end": str((first - pd.offsets.BDay(2)).date()),
                          "validation_start": "2019-06-03",
                          "validation_end": str((first - pd.offsets.BDay(1)).date()),
                          "n_train": 1000 + 120 * k, "n_test": len(test)})
    m = {"schema_version": 2, "experiment": experiment, "ticker": ticker, "source": "csv" if csv else "sample",
         "data": {"start": "2015-01-02", "end": str(dates[-1].date()), "rows": 1500,
                  "sha256": "ab" * 32, "warmup_rows": 50},
         "lookback": 10, "horizon": 1, "target": "return", "refit": "warm", "seed": seeds[0],
         "seeds": list(seeds), "features": list(features), "folds": fold_rows,
         "audit": {"indicators": {f: "passed" for f in features if f != "close"},
                   "folds": [_recorded_fits(f, models) for f in fold_rows]},
         "models": entries, "run_id": run_id, "created": "2024-01-02T03:04:05", "device": "cpu"}
    if versions:
        m["versions"] = {"python": "3.12.1", "numpy": "2.2.6", "keras": "3.15.1"}
    if trading:
        m["buy_and_hold"] = _trading_stats(rng)
    path = root / experiment.replace("/", "_").replace("<", "_").replace(">", "_") / run_id
    path.mkdir(parents=True)
    (path / "metrics.json").write_text(json.dumps(m, indent=1), encoding="utf-8")
    pd.concat(preds).to_csv(path / "predictions.csv", index=False, date_format="%Y-%m-%d")
    toml = (f'name = {json.dumps(experiment)}\nseed = {seeds[0]}\n\n[data]\n'
            f'source = "{"csv" if csv else "sample"}"\nticker = {json.dumps(ticker)}\n'
            + (f"csv = {json.dumps(csv)}\n" if csv else "")
            + f"\n[training]\nepochs = {epochs}\n\n"
            + "".join(f"[models.{n}]\n" for n in models))
    (path / "experiment.toml").write_text(toml, encoding="utf-8")
    if trading:
        eq = []
        for name in [*models, "buy_and_hold"]:
            for s in ([-1] if name in ("naive", "buy_and_hold") else seeds):
                r = rng.normal(0.0004, 0.01, days)
                e = np.cumprod(1 + r)
                eq.append(pd.DataFrame({"date": dates[1:], "model": name, "seed": s,
                                        "equity": e,
                                        "drawdown": e / np.maximum.accumulate(e) - 1}))
        pd.concat(eq).to_csv(path / "equity.csv", index=False, date_format="%Y-%m-%d")
    return path


def _recorded_fits(f, models):
    """What the fits of fold row ``f`` recorded (forecast.audit), as a real run's would."""
    span = lambda a, b, n: {"first": f[a], "last": f[b], "rows": n}  # noqa: E731
    fits = {"fit": span("train_start", "validation_start", f["n_train"] - 100),
            "early_stopping": span("validation_start", "validation_end", 100)}
    fits["fit"]["last"] = str((pd.Timestamp(f["validation_start"]) - pd.offsets.BDay(1)).date())
    return {"fold": f["fold"], "test_start": f["test_start"],
            "validation_start": f["validation_start"],
            "scaler": span("scaler_start", "scaler_end", f["n_train"]),
            "models": {m: {} if m == "naive" else dict(fits) for m in models}}


def _trading_stats(rng):
    return {"total_return": rng.normal(0.1, 0.05), "cagr": 0.05, "volatility": 0.15,
            "sharpe": rng.normal(0.5, 0.2), "sortino": 0.7, "max_drawdown": -0.2,
            "calmar": 0.25, "hit_rate": 0.52, "exposure": 0.6, "turnover": 40.0,
            "deflated_sharpe": None}


def charts_of(page: str) -> dict:
    """The chart specs embedded in a page, by id."""
    block = re.search(r'<script type="application/json" id="report-data">(.*?)</script>',
                      page, re.S).group(1)
    return {c["id"]: c for c in json.loads(block)["charts"]}


def verdict_values(page: str) -> dict:
    """model -> key -> the exact value the verdict table carries."""
    table = re.search(r'<table id="verdict-table">(.*?)</table>', page, re.S).group(1)
    out = {}
    for model, row in re.findall(r'<tr data-model="([^"]*)"[^>]*>(.*?)</tr>', table, re.S):
        out[html.unescape(model)] = {k: float(v) for k, v in
                                     re.findall(r'data-key="(\w+)" data-value="([^"]+)"', row)}
    return out


def test_the_verdict_table_holds_the_numbers_of_metrics_json(tmp_path):
    run = make_run(tmp_path)
    page = report.render(run).read_text(encoding="utf-8")
    m = json.loads((run / "metrics.json").read_text())
    shown = verdict_values(page)
    assert list(shown) == list(m["models"])
    for name, e in m["models"].items():
        for key in ("rmse", "mae", "mape", "directional_accuracy", "theil_u", "wall_seconds",
                    "params"):
            assert shown[name][key] == pytest.approx(e[key], rel=1e-12, nan_ok=True), (name, key)
    best = min(m["models"], key=lambda n: m["models"][n]["rmse"])
    assert re.search(rf'<tr data-model="{best}" class=best>', page)


def test_a_model_that_does_not_beat_naive_gets_a_plain_sentence(tmp_path):
    page = report.render(make_run(tmp_path)).read_text(encoding="utf-8")
    verdict = re.search(r'id="verdict-text">(.*?)</div>', page, re.S).group(1)
    # the synthetic networks add noise to naive persistence: neither can beat it
    assert "No model beats naive persistence" in verdict
    for name in ("single_lstm", "stacked_lstm"):
        assert f"<b>{name}</b> does not beat naive persistence" in verdict


def test_a_winner_is_named_with_its_margin_over_naive(tmp_path):
    run = make_run(tmp_path)
    m = json.loads((run / "metrics.json").read_text())
    m["models"]["single_lstm"].update(rmse=m["models"]["naive"]["rmse"] * 0.9, theil_u=0.9,
                                      dm_pvalue=0.01)
    (run / "metrics.json").write_text(json.dumps(m))
    page = report.render(run).read_text(encoding="utf-8")
    assert "<b>single_lstm</b> wins" in page and "10.00% lower than naive persistence" in page


@pytest.mark.parametrize("p, words", [
    (0.676, "<b>No significant difference between single_lstm and naive persistence</b>: "
            "single_lstm has the lowest RMSE"),
    (None, "<b>single_lstm</b> has the lowest RMSE: "),
])
def test_no_winner_without_significance(tmp_path, p, words):
    run = make_run(tmp_path)
    m = json.loads((run / "metrics.json").read_text())
    m["models"]["single_lstm"].update(rmse=m["models"]["naive"]["rmse"] * 0.9987,
                                      theil_u=0.9987, dm_pvalue=p)
    (run / "metrics.json").write_text(json.dumps(m))
    verdict = re.search(r'id="verdict-text">(.*?)</div>', report.render(run).read_text(
        encoding="utf-8"), re.S).group(1)
    assert words in verdict and "wins" not in verdict and "0.13% lower" in verdict


def test_index_and_compare_show_the_source_beside_the_ticker(tmp_path):
    a = make_run(tmp_path / "r", ticker="nasdaq", csv="data/nasdaq.csv",
                 run_id="20240101-000000-aaaaaaaa")
    b = make_run(tmp_path / "r", run_id="20240101-000001-bbbbbbbb")
    index = report.render_index(tmp_path / "r").read_text(encoding="utf-8")
    rows = re.findall(r"<tr><td.*?</tr>", index, re.S)
    assert '<td class="text">nasdaq</td><td class="text source">csv nasdaq.csv</td>' in rows[1]
    assert '<td class="text">^TEST</td><td class="text source">sample</td>' in rows[0]
    page = report.render_compare([a], tmp_path / "cmp.html").read_text(encoding="utf-8")
    assert "Comparison of 1 run</h1>" in page
    assert '<td class="text source">csv nasdaq.csv</td>' in page
    two = report.render_compare([a, b], tmp_path / "cmp.html").read_text(encoding="utf-8")
    assert "Comparison of 2 runs</h1>" in two and '<td class="text source">sample</td>' in two


def test_every_section_is_there_when_the_run_holds_its_data(tmp_path):
    run = make_run(tmp_path, seeds=(1, 2, 3), significance=True, trading=True)
    page = report.render(run).read_text(encoding="utf-8")
    for section in ("verdict", "gain", "significance", "prices", "errors", "training",
                    "cost", "trading", "audit", "setup"):
        assert f'<section id="{section}">' in page, section
    charts = charts_of(page)
    assert set(charts) >= {"chart-gain", "chart-prices", "chart-folds", "chart-rolling",
                           "chart-errors",
                           "chart-loss-0", "chart-loss-1", "chart-cost", "chart-equity",
                           "chart-drawdown"}
    # seed bands: the spread over seeds around each network's predictions and equity
    prices = {s["label"]: s for s in charts["chart-prices"]["series"]}
    assert "lo" in prices["single_lstm"] and "lo" not in prices["naive"]
    assert all(lo <= hi for lo, hi in zip(prices["single_lstm"]["lo"],
                                          prices["single_lstm"]["hi"]))
    assert "lo" in {s["label"]: s for s in charts["chart-equity"]["series"]}["single_lstm"]
    assert "buy and hold" in [s["label"] for s in charts["chart-equity"]["series"]]
    assert " ± " in re.search(r'<table id="verdict-table">.*?</table>', page, re.S).group(0)
    sig = re.search(r'<table id="significance-table">.*?</table>', page, re.S).group(0)
    assert "significantly more accurate" in sig and "fold 1 p" in sig
    assert 'data-model="naive"' not in sig  # naive against itself is no test
    trading = re.search(r'<table id="trading-table">.*?</table>', page, re.S).group(0)
    assert 'data-model="buy_and_hold"' in trading and "Sharpe" in trading
    # the synthetic networks' errors are larger than naive's, and p = 0.012 says so
    assert ("<b>single_lstm</b> is significantly worse than naive persistence: RMSE "
            in page and "Diebold-Mariano p = 0.012)." in page)


def test_sections_without_data_are_left_out_cleanly(tmp_path):
    run = make_run(tmp_path, versions=False)
    page = report.render(run).read_text(encoding="utf-8")
    assert '<section id="significance">' not in page
    assert '<section id="trading">' not in page
    charts = charts_of(page)
    assert "chart-equity" not in charts
    assert all("lo" not in s for s in charts["chart-prices"]["series"])
    assert " ± " not in page
    assert "<dt>library versions</dt><dd>not recorded</dd>" in page


def test_header_names_the_run_its_data_and_its_versions(tmp_path):
    run = make_run(tmp_path, csv="/data/my prices.csv")
    page = report.render(run).read_text(encoding="utf-8")
    m = json.loads((run / "metrics.json").read_text())
    for text in ("synthetic", "^TEST", "/data/my prices.csv", m["data"]["sha256"],
                 "python 3.12.1, numpy 2.2.6, keras 3.15.1", "2015-01-02", m["data"]["end"],
                 "close, sma_20", "epochs = 3"):
        assert html.escape(text) in page, text


def test_user_text_is_escaped_everywhere(tmp_path):
    run = make_run(tmp_path, experiment=HOSTILE, ticker="<script>alert(1)</script>",
                   features=("close", '<img src=x onerror="alert(1)">'), csv=HOSTILE,
                   models=("naive", "<b>evil</b>"))
    m = json.loads((run / "metrics.json").read_text())
    m["versions"] = {"<i>lib</i>": "</script>"}
    (run / "metrics.json").write_text(json.dumps(m))
    pages = [report.render(run), report.render_index(tmp_path),
             report.render_compare([run, run], tmp_path / "compare.html")]
    for path in pages:
        page = path.read_text(encoding="utf-8")
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "<b>evil</b>" not in page and "<i>lib</i>" not in page
        assert page.count("</script>") == page.count("<script")  # nothing closed early
        data = re.search(r'id="report-data">(.*?)</script>', page, re.S)
        assert data is None or "<" not in data.group(1)
    page = pages[0].read_text(encoding="utf-8")
    assert html.escape("<script>alert(1)</script>") in page
    assert html.escape("<b>evil</b>") in page
    # the model name reaches the charts as JSON text, with "<" escaped
    assert any(s["label"] == "<b>evil</b>" for s in charts_of(page)["chart-prices"]["series"])
    assert "\\u003cb\\u003eevil" in page


def test_script_json_cannot_end_its_script_element():
    text = report.script_json({"a": HOSTILE, "b": "<!-- & \u2028"})
    assert "<" not in text and ">" not in text and "\u2028" not in text
    assert json.loads(text) == {"a": HOSTILE, "b": "<!-- & \u2028"}


def test_the_page_needs_nothing_from_another_host(tmp_path):
    page = report.render(make_run(tmp_path, trading=True)).read_text(encoding="utf-8")
    # no element loads anything: every script and style is inline
    assert not re.search(r'<(script|link|img|iframe)[^>]+(src|href)="(?!data:|#)', page)
    assert "uPlot" in page and len(page) < 1_000_000


def test_the_report_is_rendered_from_the_run_directory_alone(tmp_path, capsys):
    run = make_run(tmp_path / "a")
    moved = tmp_path / "elsewhere" / "exp" / run.name
    shutil.copytree(run, moved)
    assert cli.main(["report", str(moved)]) == 0
    assert capsys.readouterr().out.strip() == str(moved / "report.html")
    assert "chart-prices" in (moved / "report.html").read_text(encoding="utf-8")
    assert (tmp_path / "elsewhere" / "index.html").is_file()


def test_the_report_is_written_whole_and_readable_by_others(tmp_path):
    run = make_run(tmp_path)
    path = report.render(run)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert sorted(p.name for p in run.iterdir()) == ["experiment.toml", "metrics.json",
                                                     "predictions.csv", "report.html"]


def test_missing_run_files_are_a_clear_error(tmp_path):
    with pytest.raises(ForecastError, match="not a run directory"):
        report.render(tmp_path)
    with pytest.raises(ForecastError, match="not a run directory"):
        report.render_compare([tmp_path], tmp_path / "c.html")


def test_the_leak_audit_shows_each_fold_and_flags_an_overlap(tmp_path):
    run = make_run(tmp_path)
    page = report.render(run).read_text(encoding="utf-8")
    m = json.loads((run / "metrics.json").read_text())
    audit = re.search(r'<table id="audit-table">.*?</table>', page, re.S).group(0)
    for f, got in zip(m["folds"], m["audit"]["folds"]):  # what the fits recorded
        fits = got["models"]["single_lstm"]
        for span in (got["scaler"], fits["fit"], fits["early_stopping"]):
            assert f"{span['first']} to {span['last']} ({span['rows']:,} rows)" in audit
        assert f"{f['test_start']} to {f['test_end']}" in audit
    assert "No leak found" in page and "sma_20" in page
    assert "Leak audit: passed" in page
    m["folds"][1]["scaler_end"] = m["folds"][1]["test_start"]
    m["audit"]["indicators"]["sma_20"] = "failed: value at t changed"
    (run / "metrics.json").write_text(json.dumps(m))
    page = report.render(run).read_text(encoding="utf-8")
    assert "Possible leak" in page
    findings = "fold 1 was fitted on days of its test period; indicator sma_20 failed"
    assert findings in re.search(r'id="audit-summary">(.*?)</p>', page).group(1)
    assert findings in re.search(r'id="verdict-text">(.*?)</div>', page, re.S).group(1)


def test_the_index_lists_every_run_newest_first_with_headline_numbers(tmp_path):
    old = make_run(tmp_path, experiment="one", run_id="20240101-000000-aaaaaaaa")
    new = make_run(tmp_path, experiment="two", run_id="20240301-000000-bbbbbbbb", seed=3)
    damaged = tmp_path / "three" / "20240201-000000-cccccccc"
    damaged.mkdir(parents=True)
    (damaged / "metrics.json").write_text("{not json")
    report.render(old)
    page = report.render_index(tmp_path).read_text(encoding="utf-8")
    rows = re.findall(r"<tr><td.*?</tr>", re.search(r'<table id="runs">(.*)</table>', page,
                                                    re.S).group(1), re.S)
    assert len(rows) == 3
    assert "two" in rows[0] and "damaged run" in rows[1] and "one" in rows[2]
    assert 'href="one/20240101-000000-aaaaaaaa/report.html"' in rows[2]
    # a run rendered without its report links to its metrics instead
    assert 'href="two/20240301-000000-bbbbbbbb/metrics.json"' in rows[0]
    m = json.loads((new / "metrics.json").read_text())
    assert f'<td>{report.markup.fmt(m["models"]["naive"]["rmse"], "price")}</td>' in rows[0]


def test_compare_puts_runs_side_by_side_model_by_model(tmp_path):
    a = make_run(tmp_path / "r", ticker="AAA", run_id="20240101-000000-aaaaaaaa")
    b = make_run(tmp_path / "r", ticker="BBB", run_id="20240101-000001-bbbbbbbb", epochs=5,
                 models=("naive", "single_lstm"), seed=2)
    out = report.render_compare([a, b], tmp_path / "out" / "cmp.html")
    assert out == tmp_path / "out" / "cmp.html"
    page = out.read_text(encoding="utf-8")
    runs_table = re.search(r'<table id="compare-runs">.*?</table>', page, re.S).group(0)
    # the settings that differ are shown, the ones in common are not
    assert "AAA" in runs_table and "BBB" in runs_table and "training.epochs" in runs_table
    assert "data.source" not in runs_table and "data.ticker" not in runs_table
    for run in (a, b):
        href = re.search(rf'href="([^"]*{run.name}/report.html)"', runs_table).group(1)
        assert (out.parent / href).resolve() == (run / "report.html").resolve()
    tables = dict(re.findall(r'<table class="compare-model" data-model="([^"]+)">(.*?)</table>',
                             page, re.S))
    assert set(tables) == {"naive", "single_lstm", "stacked_lstm"}
    assert tables["single_lstm"].count("<tr data-run") == 2
    assert tables["stacked_lstm"].count("<tr data-run") == 1
    theil = {s["label"]: s["y"] for s in charts_of(page)["chart-compare"]["series"]}
    assert theil["stacked_lstm"][1] is None


def test_compare_from_the_command_line(tmp_path, capsys):
    a = make_run(tmp_path, run_id="20240101-000000-aaaaaaaa")
    b = make_run(tmp_path, run_id="20240102-000000-bbbbbbbb")
    out = tmp_path / "c.html"
    assert cli.main(["compare", str(a), str(b), str(a), "-o", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    assert "Comparison of 2 runs" in out.read_text(encoding="utf-8")  # a named twice: once


def test_numbers_are_rounded_to_keep_pages_small(tmp_path):
    page = report.render(make_run(tmp_path, days=2000)).read_text(encoding="utf-8")
    prices = charts_of(page)["chart-prices"]["series"][0]["y"]
    assert all(len(repr(v).split(".")[-1]) <= 4 for v in prices if v is not None)


def test_experiment_toml_in_the_page_is_the_run_s(tmp_path):
    run = make_run(tmp_path)
    page = report.render(run).read_text(encoding="utf-8")
    shown = html.unescape(re.search(r"<pre>(.*?)</pre>", page, re.S).group(1))
    assert tomllib.loads(shown) == tomllib.loads((run / "experiment.toml").read_text())


def test_the_sweep_summary_page_lists_every_run(tmp_path):
    head = {"theil_u": 0.99, "rmse": 1.0, "dm_pvalue": 0.04, "sharpe": 0.5}
    summary = {
        "sweep": HOSTILE, "command": ["forecast", "sweep", "x.toml"], "executor": "local",
        "workers": 2, "cores": 2, "started": "2024-01-01T00:00:00",
        "counts": {"runs": 3, "done": 1, "failed": 1, "left": 1, "skipped": 0},
        "models": ["naive", "single_lstm"],
        "runs": [
            {"key": "a", "ticker": "AAA", "settings": {"training.epochs": 5}, "status": "done",
             "seconds": 12.5, "report": "../run-a/report.html",
             "models": {"naive": {"theil_u": 1.0}, "single_lstm": head}},
            {"key": "b", "ticker": "<b>B</b>", "settings": {"training.epochs": 10},
             "status": "failed", "error": "no prices for <b>B</b>"},
            {"key": "c", "ticker": "CCC", "settings": {"training.epochs": 5},
             "status": "pending"}]}
    out = report.render_sweep_summary(summary, tmp_path / "sweep" / "summary.html")
    page = out.read_text(encoding="utf-8")
    rows = re.findall(r'<tr data-key="(\w)">(.*?)</tr>', page, re.S)
    assert [k for k, _ in rows] == ["a", "b", "c"]
    assert 'href="../run-a/report.html"' in rows[0][1] and "0.9900" in rows[0][1]
    assert "p 0.040 · Sharpe 0.50" in rows[0][1]
    assert "failed" in rows[1][1] and "no prices for &lt;b&gt;B&lt;/b&gt;" in rows[1][1]
    assert "<b>B</b>" not in page and "<script>alert" not in page
    assert [s["label"] for s in charts_of(page)["chart-sweep"]["series"]] == ["naive",
                                                                              "single_lstm"]
    assert 'http-equiv="refresh"' in page  # runs are left: the page reloads itself


def test_a_result_in_memory_renders_the_page_of_its_run_directory(tiny_experiment, tmp_path):
    result = walkforward.run_experiment(tiny_experiment, progress=False)
    in_memory = report.html(result)
    run_dir = runs.save(result, tmp_path, pages=report.render)  # rendered from the files
    saved = (run_dir / "report.html").read_text(encoding="utf-8")

    def comparable(page):  # a run id and a creation time exist once saved
        page = re.sub(r" · run [^<]*</p>", "</p>", page)
        page = re.sub(r"<dt>created</dt><dd>[^<]*</dd>", "", page)
        return re.sub(r'(id="report-data">).*?(</script>)', r"\1\2", page, flags=re.S)

    assert comparable(in_memory) == comparable(saved)
    assert "run not saved" in in_memory and f"run {run_dir.name}" in saved
    # predictions.csv keeps 6 decimals: a chart's number may differ in its last digit
    ours, theirs = charts_of(in_memory), charts_of(saved)
    assert list(ours) == list(theirs) and "chart-equity" in ours
    for key, chart in ours.items():
        assert chart["x"] == pytest.approx(theirs[key]["x"], rel=1e-6)
        for a, b in zip(chart["series"], theirs[key]["series"], strict=True):
            assert a["label"] == b["label"]
            assert [v is None for v in a["y"]] == [v is None for v in b["y"]]
            for u, v in zip(a["y"], b["y"]):  # at most one unit of the last digit kept
                unit = max((10.0 ** -len(repr(x).split(".")[-1]) for x in (u, v) if x),
                           default=0)
                assert u is None or abs(u - v) <= 1.01 * unit, (key, a["label"], u, v)


def test_the_notebook_summary_holds_the_verdict_and_the_prices_chart(tmp_path):
    result = runs.load(make_run(tmp_path))
    fragment = report.summary_html(result)
    assert fragment.startswith("<iframe srcdoc=") and fragment.endswith("</iframe>")
    inner = html.unescape(re.search(r'srcdoc="([^"]*)"', fragment).group(1))
    assert "No model beats naive persistence" in inner
    assert set(verdict_values(inner)) == {"naive", "single_lstm", "stacked_lstm"}
    assert list(charts_of(inner)) == ["chart-gain", "chart-prices"]
    assert not re.search(r'<(script|link|img|iframe)[^>]+(src|href)="(?!data:|#)', inner)


def test_compare_table_has_a_row_per_run_and_model(tmp_path):
    a = make_run(tmp_path, ticker="AAA", run_id="20240101-000000-aaaaaaaa", trading=True)
    b = make_run(tmp_path, ticker="BBB", run_id="20240101-000001-bbbbbbbb",
                 models=("naive", "single_lstm"), seed=2)
    table = report.compare_table([a, runs.load(b)])
    assert list(table[["ticker", "model"]].itertuples(index=False, name=None)) == [
        ("AAA", "naive"), ("AAA", "single_lstm"), ("AAA", "stacked_lstm"),
        ("BBB", "naive"), ("BBB", "single_lstm")]
    m = json.loads((b / "metrics.json").read_text())
    row = table[(table.ticker == "BBB") & (table.model == "single_lstm")].iloc[0]
    assert row.theil_u == m["models"]["single_lstm"]["theil_u"]
    assert row.run == "20240101-000001-bbbbbbbb" and np.isnan(row.sharpe)
    assert not table[table.ticker == "AAA"].sharpe.isna().any()


def test_a_section_is_one_entry_of_the_registry(tmp_path, monkeypatch):
    run = make_run(tmp_path)
    extra = report.Section("notes", "Notes", lambda result, charts: (
        f"<p id=notes-text>{len(result.models)} models</p>"))
    monkeypatch.setattr(report, "SECTIONS", [*report.SECTIONS, extra])
    page = report.render(run).read_text(encoding="utf-8")
    assert '<section id="notes"><h2>Notes</h2><p id=notes-text>3 models</p></section>' in page
    assert '<a href="#notes">Notes</a>' in page


def test_mape_a_fraction_in_metrics_json_shows_in_percent(tmp_path):
    run = make_run(tmp_path)
    m = json.loads((run / "metrics.json").read_text())
    m["models"]["single_lstm"]["mape"] = 0.0066
    (run / "metrics.json").write_text(json.dumps(m))
    page = report.render(run).read_text(encoding="utf-8")
    row = re.search(r'<tr data-model="single_lstm".*?</tr>', page, re.S).group(0)
    assert re.search(r'data-key="mape"[^>]*>0\.660<', row), row


def test_small_variances_show_significant_digits_with_their_spread():
    from forecast.report.markup import cell, fmt
    assert fmt(1.23456e-5, "sci") == "1.23e-05"
    assert ">1.23e-05<span class=\"note\"> ± 4.57e-07</span>" in cell(
        {"mse": 1.23456e-5, "mse_std": 4.5678e-7}, "mse", "sci")


def test_the_gain_chart_is_the_running_sum_of_naive_s_squared_error_minus_each_model_s(
        tmp_path):
    run = make_run(tmp_path, seeds=(1, 2, 3), models=("naive", "drift", "single_lstm"))
    page = report.render(run).read_text(encoding="utf-8")
    chart = charts_of(page)["chart-gain"]
    # recomputed from predictions.csv alone: each day's squared error, the mean over seeds
    p = pd.read_csv(run / "predictions.csv", parse_dates=["date"])
    p["sq"] = (p.y_pred - p.y_true) ** 2
    daily = p.groupby(["model", "date"]).sq.mean().unstack(0)
    assert chart["x"] == [int(d.timestamp()) for d in daily.index]
    series = {s["label"]: s for s in chart["series"]}
    assert list(series) == ["drift", "single_lstm"]  # naive against itself is no line
    for name in series:
        want = np.cumsum(daily["naive"] - daily[name])
        # rounded to 6 significant digits of the largest value: small pages
        np.testing.assert_allclose(series[name]["y"], want, atol=1e-5 * want.abs().max())
    m = json.loads((run / "metrics.json").read_text())
    assert [mark["label"] for mark in chart["marks"]] == [f"fold {f['fold']}"
                                                          for f in m["folds"]]
    assert chart["hline"] == 0
    section = re.search(r'<section id="gain">(.*?)</section>', page, re.S).group(1)
    assert "naive persistence&#x27;s squared error minus the model's" in section
    assert "the mean over the seeds" in section
    # the section sits right after the verdict, the price chart is kept further down
    assert re.findall(r'<section id="(\w+)">', page)[:3] == ["verdict", "gain", "prices"]


@pytest.mark.parametrize("u, p, said, unsaid", [
    (0.9999, 0.80, "<b>drift</b>: no significant difference from naive persistence (RMSE "
                   "0.01% lower, Theil's U 0.9999, Diebold-Mariano p = 0.800).", " beats "),
    (0.99, 0.01, "<b>drift</b> beats naive persistence: RMSE 1.00% lower (Theil's U 0.9900), "
                 "significant at 5% (Diebold-Mariano p = 0.010).", "no significant"),
    (1.02, 0.01, "<b>drift</b> is significantly worse than naive persistence: RMSE 2.00% "
                 "higher (Theil's U 1.0200, Diebold-Mariano p = 0.010).", " beats "),
    (1.02, 0.60, "<b>drift</b> does not beat naive persistence: RMSE 2.00% higher (Theil's U "
                 "1.0200); the difference is not significant at 5% (Diebold-Mariano p = "
                 "0.600).", "significantly worse"),
    (0.99, None, "<b>drift</b>: RMSE 1.00% lower than naive persistence's (Theil's U 0.9900), "
                 "but no significance test was recorded, so that is no win.", " beats "),
])
def test_a_model_beats_naive_in_the_verdict_only_where_its_test_says_so(tmp_path, u, p, said,
                                                                       unsaid):
    run = make_run(tmp_path, models=("naive", "drift", "single_lstm"))
    m = json.loads((run / "metrics.json").read_text())
    naive = m["models"]["naive"]["rmse"]
    m["models"]["single_lstm"].update(rmse=naive * 0.9, theil_u=0.9, dm_pvalue=0.001)
    m["models"]["drift"].update(rmse=naive * u, theil_u=u, dm_pvalue=p)
    (run / "metrics.json").write_text(json.dumps(m))
    verdict = re.search(r'id="verdict-text">(.*?)</div>', report.render(run).read_text(
        encoding="utf-8"), re.S).group(1)
    line = re.search(r"<p><b>drift</b>.*?</p>", verdict).group(0)
    assert line == f"<p>{said}</p>" and unsaid not in line


def test_the_best_badge_says_what_best_is_ranked_by(tmp_path):
    run = make_run(tmp_path)
    page = report.render(run).read_text(encoding="utf-8")
    best = re.search(r'<tr data-model="([^"]+)" class=best><td class="text">[^<]*'
                     r'<span class="badge">([^<]*)</span>', page)
    m = json.loads((run / "metrics.json").read_text())
    assert best.group(1) == min(m["models"], key=lambda n: m["models"][n]["rmse"])
    assert best.group(2) == "best RMSE"
    assert "best RMSE: the model the verdict ranks first, by RMSE" in page
