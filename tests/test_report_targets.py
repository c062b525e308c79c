"""The report follows the target: direction and volatility runs get their own verdict,
significance, forecast chart and loss per fold, naming the right baseline."""
import json
import re

import numpy as np
import pytest

from forecast import config, report, walkforward


def run(tiny_experiment, target, h, models):
    exp = config.override(tiny_experiment, {"features.target": target, "features.horizon": h,
                                            "split.gap": h - 1, "models": models})
    return walkforward.run_experiment(exp, progress=False)


def sections(page):
    return re.findall(r'<section id="([a-z]+)">', page)


def charts(page):
    blob = re.search(r'<script type="application/json"[^>]*>(.*?)</script>', page, re.S)
    return {c["id"]: c for c in json.loads(blob.group(1).replace("\\u003c", "<"))["charts"]}


def running_gain(result, base, loss):
    """Each model's running sum of ``base``'s daily loss minus its own, from the
    predictions alone: model -> array."""
    p = result.predictions.assign(loss=lambda d: loss(d.y_true, d.y_pred))
    daily = p.groupby(["model", "date"]).loss.mean().unstack(0)
    return {n: np.cumsum(daily[base] - daily[n]).to_numpy() for n in daily if n != base}


def assert_gain(page, result, base, loss, label):
    chart = charts(page)["chart-gain"]
    want = running_gain(result, base, loss)
    got = {s["label"]: s["y"] for s in chart["series"]}
    assert set(got) == set(want) and chart["yLabel"] == label
    for name, values in want.items():
        np.testing.assert_allclose(got[name], values, atol=1e-5 * np.abs(values).max())


def test_a_direction_report(tiny_experiment):
    result = run(tiny_experiment, "direction", 1, {"naive": {}, "logistic": {},
                                         "single_lstm": {"units": 4}})
    page = report.html(result)
    assert sections(page)[:4] == ["verdict", "gain", "significance", "forecasts"]
    assert "prices" not in sections(page)
    assert re.search(r"logistic( beats|: no significant difference from| is significantly "
                     r"worse than) climatology on the Brier score \(", page)
    rel = charts(page)["chart-reliability"]
    # each model's points: a group's mean forecast (x) and its share of rises (y)
    logistic = next(s for s in rel["series"] if s["label"] == "logistic")
    p = result.predictions[result.predictions.model == "logistic"]
    assert sum(y is not None for y in logistic["y"]) == 10
    shares = [y for y in logistic["y"] if y is not None]
    assert min(shares) >= 0 and max(shares) <= 1
    assert np.mean(shares) == pytest.approx(p.y_true.mean(), abs=0.02)  # equal groups
    assert 'data-key="brier_skill"' in page
    # the Brier score of each day against climatology's
    assert_gain(page, result, "naive", lambda y, p: (p - y) ** 2,
                "Brier score gain, summed")
    assert "climatology&#x27;s Brier score minus the model's" in page


def test_a_volatility_report_names_garch(tiny_experiment):
    result = run(tiny_experiment, "volatility", 5, {"naive": {}, "garch": {}, "har": {}})
    page = report.html(result)
    assert "prices" not in sections(page) and "forecasts" in sections(page)
    assert re.search(r"har( beats|: no significant difference from| is significantly worse "
                     r"than) GARCH\(1,1\) on QLIKE \(", page)
    assert "DM against GARCH(1,1)" in page
    vol = charts(page)["chart-volatility"]
    realized = vol["series"][0]["y"]
    truth = result.predictions.drop_duplicates("date").sort_values("date").y_true
    np.testing.assert_allclose(realized, np.sqrt(252 / 5 * truth) * 100, atol=0.01)
    folds = charts(page)["chart-folds"]
    garch = next(s for s in folds["series"] if s["label"] == "garch")
    assert garch["y"] == pytest.approx([f["qlike"] for f in result.models["garch"].folds],
                                       abs=1e-6)
    qlike = lambda y, f: y / f + np.log(f)  # noqa: E731
    assert_gain(page, result, "garch", qlike, "QLIKE gain, summed")
    assert "GARCH(1,1)&#x27;s QLIKE minus the model's" in page
    # without GARCH in the run: against naive persistence
    alone = run(tiny_experiment, "volatility", 5, {"naive": {}, "har": {}})
    assert_gain(report.html(alone), alone, "naive", qlike, "QLIKE gain, summed")


def test_a_return_report_keeps_its_price_sections(tiny_experiment):
    page = report.html(run(tiny_experiment, "return", 1, {"naive": {}, "drift": {}}))
    assert "prices" in sections(page) and "forecasts" not in sections(page)
    assert "Theil's U" in page


@pytest.mark.parametrize("pvalue, won", [(0.01, True), (0.2, False)])
def test_the_verdict_box_is_green_only_for_a_significant_win(tiny_experiment, pvalue, won):
    result = run(tiny_experiment, "volatility", 5, {"naive": {}, "garch": {}, "har": {}})
    garch = result.models["garch"].scores["qlike"]
    result.models["har"].scores.update(qlike=garch - 0.1, dm_garch_pvalue=pvalue)
    page = report.html(result)
    box = re.search(r'<div class="(verdict[^"]*)" id="verdict-text">(.*?)</div>', page, re.S)
    assert (box.group(1) == "verdict") == won
    assert ("har beats GARCH(1,1) on QLIKE" in box.group(2)) == won
