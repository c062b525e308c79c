"""The comparison page's headline (forecast.report.headline): which run is better on the
target's own score and whether that is significant, on the days the runs all forecast;
every number recomputed here from predictions.csv."""
import html
import json
import re

import numpy as np
import pandas as pd
import pytest

from forecast import metrics, report, runs
from forecast.report.markup import fmt
from test_report import make_run


def headline_of(page, box="compare-verdict"):
    m = re.search(rf'<div class="verdict( lost)?" id="{box}">(.*?)</div>', page, re.S)
    return m and (not m.group(1), html.unescape(re.sub(r"<[^>]+>", "", m.group(2))))


def common_rows(page):
    """(model, run) -> (RMSE shown, Theil's U shown, the words against the best run)."""
    table = re.search(r'<table id="compare-common">(.*?)</table>', page, re.S).group(1)
    out = {}
    for model, run, row in re.findall(r'<tr data-model="([^"]+)" data-run="(\d)"[^>]*>(.*?)'
                                      "</tr>", table, re.S):
        values = dict(re.findall(r'data-key="(\w+)" data-value="([^"]+)"', row))
        words = html.unescape(re.sub(r"<[^>]+>", "", re.findall(r"<td[^>]*>(.*?)</td>", row,
                                                               re.S)[-1]))
        out[model, int(run)] = (float(values["rmse"]), float(values["theil_u"]), words)
    return out


def compare(tmp_path, *run_dirs):
    return report.render_compare(list(run_dirs), tmp_path / "c.html").read_text(
        encoding="utf-8")


def errors(run_dir, days):
    """model -> its errors on ``days``, from predictions.csv (one seed each)."""
    p = pd.read_csv(run_dir / "predictions.csv", parse_dates=["date"])
    p = p[p.date.isin(days)].sort_values("date")
    return {n: (g.y_pred - g.y_true).to_numpy() for n, g in p.groupby("model")}


@pytest.fixture
def two_periods(tmp_path):
    """Two runs of one series (the same seed draws the same prices) over 240 and 200 days:
    the second tests on the first's first 200 days."""
    a = make_run(tmp_path / "r", run_id="20240101-000000-aaaaaaaa", days=240)
    b = make_run(tmp_path / "r", run_id="20240101-000001-bbbbbbbb", days=200)
    return a, b


def test_runs_of_different_days_are_scored_again_on_the_days_both_forecast(tmp_path,
                                                                           two_periods):
    a, b = two_periods
    page = compare(tmp_path, a, b)
    won, text = headline_of(page)
    days = pd.read_csv(b / "predictions.csv", parse_dates=["date"]).date.unique()
    last = pd.read_csv(a / "predictions.csv", parse_dates=["date"]).date.max()
    m = {k: json.loads((d / "metrics.json").read_text()) for k, d in (("a", a), ("b", b))}
    assert text.startswith(f"The runs forecast different days (#1: 240 days, 2020-01-02 to "
                           f"{last:%Y-%m-%d}; #2: 200 days, 2020-01-02 to {days.max():%Y-%m-%d}); "
                           "naive persistence's RMSE is "
                           f"{fmt(m['a']['models']['naive']['rmse'], 'price')} in #1 and "
                           f"{fmt(m['b']['models']['naive']['rmse'], 'price')} in #2 over each "
                           "run's own days, so their scores are not comparable as they stand.")
    # every score again on the 200 days both forecast, and each model of run #2 tested
    # against run #1's (or the other way round) on those days
    e = {1: errors(a, days), 2: errors(b, days)}
    rmse = {(n, k): float(np.sqrt(np.mean(e[k][n] ** 2))) for k in e for n in e[k]}
    shown = common_rows(page)
    assert set(shown) == set(rmse)
    for (n, k), (value, u, words) in shown.items():
        assert value == pytest.approx(rmse[n, k], rel=1e-9)
        assert u == pytest.approx(rmse[n, k] / rmse["naive", k], rel=1e-9)
        other = 3 - k
        if rmse[n, k] < rmse[n, other] or (rmse[n, k] == rmse[n, other] and k == 1):
            assert words == "best"  # a tie: the first run listed
        elif n == "naive":
            assert words == f"the same forecasts as run #{other}"  # one series: one naive
        else:
            p = metrics.diebold_mariano(e[k][n], e[other][n])[1]
            assert f"(p = {fmt(p, 'p')})" in words
            assert words.startswith("significantly worse" if p < 0.05 else
                                    "no significant difference")
    # the headline: each run's best model on those days, tested against the other's; here
    # naive persistence in both (the synthetic networks add noise to it): nothing to test
    best = {k: min((n for n in e[k]), key=lambda n: rmse[n, k]) for k in e}
    assert best == {1: "naive", 2: "naive"} and not won
    assert text.endswith("No difference between the runs over the 200 days both runs "
                         "forecast: the best model of run #1, naive, and of run #2, naive, "
                         f"made the same forecasts (RMSE {rmse['naive', 1]:,.4f}); the table "
                         "below compares each model run against run.")


def test_no_significant_difference_between_the_runs_best_models(tmp_path, two_periods):
    a, b = two_periods
    days = pd.to_datetime(pd.read_csv(b / "predictions.csv").date.unique())
    for run_dir, seed in ((a, 1), (b, 2)):  # each run's single_lstm a little ahead of naive
        p = pd.read_csv(run_dir / "predictions.csv")
        lstm = p.model == "single_lstm"
        noise = np.random.default_rng(seed).normal(0, 1, lstm.sum())
        p.loc[lstm, "y_pred"] = (0.05 * p.y_last + 0.95 * p.y_true)[lstm] + noise
        p.to_csv(run_dir / "predictions.csv", index=False)
    page = compare(tmp_path, a, b)
    won, text = headline_of(page)
    e = {1: errors(a, days)["single_lstm"], 2: errors(b, days)["single_lstm"]}
    rmse = {k: float(np.sqrt(np.mean(v ** 2))) for k, v in e.items()}
    first, second = sorted(rmse, key=rmse.get)
    p = metrics.diebold_mariano(e[first], e[second])[1]
    assert not won and p >= 0.05
    assert (f"No significant difference between the runs on RMSE over the 200 days both "
            f"runs forecast: run #{first}'s best model, single_lstm, has RMSE "
            f"{rmse[first]:,.4f}, against {rmse[second]:,.4f} for run #{second}'s best, "
            f"single_lstm, but Diebold-Mariano p = {fmt(p, 'p')}.") in text


def test_a_run_significantly_better_on_the_same_days_is_named(tmp_path, two_periods):
    a, b = two_periods
    p = pd.read_csv(b / "predictions.csv")
    lstm = p.model == "single_lstm"
    p.loc[lstm, "y_pred"] = p.y_true[lstm] + np.random.default_rng(1).normal(0, 0.1, 200)
    p.to_csv(b / "predictions.csv", index=False)
    page = compare(tmp_path, a, b)
    won, text = headline_of(page)
    days = p.date.unique()
    e = {1: errors(a, pd.to_datetime(days)), 2: errors(b, pd.to_datetime(days))}
    best1 = min(e[1], key=lambda n: np.mean(e[1][n] ** 2))
    pv = metrics.diebold_mariano(e[2]["single_lstm"], e[1][best1])[1]
    assert won and pv < 0.05
    assert ("Run #2 is better on RMSE over the 200 days both runs forecast: its best model, "
            f"single_lstm, has RMSE {np.sqrt(np.mean(e[2]['single_lstm'] ** 2)):,.4f}, "
            f"against {np.sqrt(np.mean(e[1][best1] ** 2)):,.4f} for run #1's best, {best1}; "
            f"the difference is significant at 5% (Diebold-Mariano p = {fmt(pv, 'p')}).") \
        in text


def test_runs_of_the_same_days_compare_as_they_stand(tmp_path):
    a = make_run(tmp_path / "r", run_id="20240101-000000-aaaaaaaa")
    b = make_run(tmp_path / "r", run_id="20240101-000001-bbbbbbbb")  # the same forecasts
    won, text = headline_of(compare(tmp_path, a, b))
    assert not won
    last = pd.read_csv(a / "predictions.csv", parse_dates=["date"]).date.max()
    assert text.startswith(f"Both runs forecast the same 240 days, 2020-01-02 to {last:%Y-%m-%d}"
                           ": their scores compare as they stand.")
    assert "No difference between the runs over the 240 days both runs forecast" in text
    assert "made the same forecasts" in text


def test_runs_of_different_series_are_not_tested_against_each_other(tmp_path):
    a = make_run(tmp_path / "r", ticker="AAA", run_id="20240101-000000-aaaaaaaa")
    b = make_run(tmp_path / "r", ticker="BBB", run_id="20240101-000001-bbbbbbbb", seed=2)
    page = compare(tmp_path, a, b)
    won, text = headline_of(page)
    assert not won and 'id="compare-common"' not in page
    assert text.startswith("These runs forecast different series (#1 AAA, #2 BBB), so their "
                           "errors cannot be compared day by day or tested against each other.")
    u = {k: {n: e["theil_u"] for n, e in json.loads((d / "metrics.json").read_text())
             ["models"].items()} for k, d in ((1, a), (2, b))}
    best = {k: min(u[k], key=u[k].get) for k in u}
    first, second = sorted(u, key=lambda k: u[k][best[k]])
    assert (f"By Theil's U, comparable across series, run #{first}'s {best[first]} is best "
            f"({fmt(u[first][best[first]], 'ratio')}, against "
            f"{fmt(u[second][best[second]], 'ratio')} for run #{second}'s {best[second]}, the "
            "next best run's best); no test can say whether that is more than luck.") in text
    # one ticker, other prices (another source or file): not one series either
    c = make_run(tmp_path / "r", ticker="AAA", run_id="20240101-000002-cccccccc", seed=3)
    won, text = headline_of(compare(tmp_path, a, c))
    assert text.startswith("Run #2 forecast other values than run #1 on the days both "
                           "forecast")


def test_without_predictions_nothing_is_tested(tmp_path, two_periods):
    loaded = [runs.load(d, predictions=False) for d in two_periods]
    won, text = headline_of(report.compare_html(loaded))
    assert not won and text.startswith("runs #1, #2 without predictions: the runs cannot be "
                                       "compared day by day")


def test_one_run_has_no_headline_and_each_target_its_own(tmp_path, two_periods):
    a, b = two_periods
    assert headline_of(compare(tmp_path, a)) is None
    with open(b / "experiment.toml", "a", encoding="utf-8") as f:
        f.write('\n[features]\ntarget = "direction"\n')  # a run of another target
    c = make_run(tmp_path / "r", run_id="20240101-000003-dddddddd", days=220)
    page = compare(tmp_path, a, b, c)
    assert headline_of(page) is None
    assert headline_of(page, "compare-verdict-return")[1].startswith(
        "The runs forecast different days (#1: 240 days")
