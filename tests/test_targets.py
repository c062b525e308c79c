"""Targets: what each window is asked for, the way back, the naive forecast, the scores,
the verdict's sentence and the trading position, by hand."""
import numpy as np
import pytest

from forecast import metrics, trading
from forecast.models import FoldData
from forecast.targets import TARGETS, log_returns, outcome
from forecast.windows import make_windows

CLOSE = np.array([100.0, 101, 99, 99, 102, 100])


def windows(h):
    return make_windows(np.zeros((len(CLOSE), 1)), CLOSE, lookback=2, horizon=h)


def test_the_registry():
    assert list(TARGETS) == ["price", "return", "direction", "volatility"]
    assert not TARGETS["price"].scale_free and TARGETS["return"].scale_free
    assert TARGETS["direction"].loss == "binary_crossentropy"
    assert TARGETS["volatility"].baseline == "garch"


@pytest.mark.parametrize("h", [1, 2])
def test_truth_belongs_to_the_window_that_starts_at_i(h):
    w = windows(h)  # window i ends on row i + 1: "today"; its target is h rows later
    today, ahead = CLOSE[1:len(CLOSE) - h], CLOSE[1 + h:]
    for name in ("price", "return"):
        np.testing.assert_array_equal(TARGETS[name].truth(CLOSE, w, h), ahead)
    np.testing.assert_array_equal(TARGETS["direction"].truth(CLOSE, w, h), ahead > today)
    r = np.log(CLOSE[1:] / CLOSE[:-1])  # r[k]: from row k to row k + 1
    rv = [np.sum(r[e:e + h] ** 2) for e in range(1, len(CLOSE) - h)]
    np.testing.assert_allclose(TARGETS["volatility"].truth(CLOSE, w, h), rv, rtol=1e-12)


def test_a_close_that_does_not_move_is_no_rise():
    w = windows(1)  # rows 2 -> 3: 99 -> 99
    assert TARGETS["direction"].truth(CLOSE, w, 1)[1] == 0


def test_learned_values_go_back_to_the_reported_unit():
    last = CLOSE[:3]
    y = CLOSE[1:4]
    ret = TARGETS["return"]
    np.testing.assert_allclose(ret.decode(ret.encode(y, last), last), y)
    vol = TARGETS["volatility"]
    rv = np.array([1e-4, 4e-4, 0.0])
    learned = vol.encode(rv, None)
    assert np.isfinite(learned).all()  # a variance of 0 has a floor
    np.testing.assert_allclose(vol.decode(learned[:2], None), rv[:2])
    # exp(mean log) of a variance times chi-square(h) / h noise is below its mean by the
    # factor decode multiplies by: 2 e^gamma for one day (digamma(1/2) = -gamma - 2 log 2)
    assert vol.bias_factor(1) == pytest.approx(2 * np.exp(np.euler_gamma))
    noise = np.random.default_rng(0).chisquare(5, 400_000) / 5
    assert vol.bias_factor(5) == pytest.approx(noise.mean() / np.exp(np.log(noise).mean()),
                                               rel=2e-3)
    np.testing.assert_allclose(vol.decode(learned[:2], None, 3.0), 3 * rv[:2])
    assert TARGETS["return"].bias_factor(5) == 1.0
    assert TARGETS["direction"].target_scaler(np.array([0.0, 1, 1]), None, None) == (0, 1)


def test_naive_forecasts():
    fold = FoldData(np.zeros((3, 2, 1)), np.array([1.0, 0, 1]), np.zeros((1, 2, 1)),
                    np.array([1.0]), np.zeros((2, 2, 1)), CLOSE[4:6], None, 2, None,
                    returns=log_returns(CLOSE), test_end=np.array([4, 5]))
    np.testing.assert_array_equal(TARGETS["return"].naive(fold), CLOSE[4:6])
    np.testing.assert_array_equal(TARGETS["direction"].naive(fold), [0.75, 0.75])  # 3 of 4
    r = log_returns(CLOSE)
    np.testing.assert_allclose(TARGETS["volatility"].naive(fold),
                               [r[3] ** 2 + r[4] ** 2, r[4] ** 2 + r[5] ** 2])


def test_scores_and_the_sentence_name_the_right_baseline():
    y = np.array([1.0, 0, 1, 1])
    p = np.array([0.8, 0.3, 0.6, 0.4])
    d = TARGETS["direction"].scores(y, p, None, {"naive": np.full(4, 0.75)}, 1)
    assert d["brier"] == pytest.approx(metrics.brier(y, p))
    assert d["brier_skill"] == pytest.approx(1 - metrics.brier(y, p) / metrics.brier(y, [0.75] * 4))
    assert "climatology on the Brier score" in TARGETS["direction"].skill("m", d, {})
    rv, f = np.array([1e-4, 2e-4, 3e-4, 1e-4]), np.array([1.5e-4, 1.5e-4, 2e-4, 1.2e-4])
    v = TARGETS["volatility"].scores(rv, f, None, {"naive": rv[::-1], "garch": f * 2}, 1)
    assert {"qlike", "mse", "mz_r2", "mz_slope", "mz_intercept", "dm_stat",
            "dm_garch_stat", "dm_garch_pvalue"} <= set(v)
    garch = TARGETS["volatility"].scores(rv, f * 2, None, {"naive": rv[::-1]}, 1)
    sentence = TARGETS["volatility"].skill("lstm", v, {"garch": garch, "naive": {}})
    assert v["qlike"] < garch["qlike"] and v["dm_garch_pvalue"] >= 0.05  # lower, by luck?
    assert sentence.startswith("lstm: no significant difference from GARCH(1,1) on QLIKE (")
    assert f", p = {v['dm_garch_pvalue']:.3g})" in sentence
    assert sentence == TARGETS["volatility"].skill("lstm", v, {"garch": garch})
    assert "naive persistence on QLIKE" in TARGETS["volatility"].skill("lstm", v,
                                                                      {"naive": garch})
    r = TARGETS["return"].scores(CLOSE[1:], CLOSE[1:] + 1, CLOSE[:-1],
                                 {"naive": CLOSE[:-1]}, 1)
    assert "naive persistence on RMSE" in TARGETS["return"].skill("m", r, {})


@pytest.mark.parametrize("name, entry, models, said", [
    ("return", {"theil_u": 0.99, "dm_pvalue": 0.01}, {},
     "m beats naive persistence on RMSE (Theil's U 0.990, p = 0.01)"),
    ("return", {"theil_u": 0.9999, "dm_pvalue": 0.8}, {},
     "m: no significant difference from naive persistence on RMSE (Theil's U 1.000, p = 0.8)"),
    ("price", {"theil_u": 1.01, "dm_pvalue": 0.01}, {},
     "m is significantly worse than naive persistence on RMSE (Theil's U 1.010, p = 0.01)"),
    ("return", {"theil_u": 0.99}, {},
     "m: not tested against naive persistence on RMSE (Theil's U 0.990, no p-value)"),
    ("direction", {"brier_skill": 0.01, "dm_pvalue": 0.04}, {},
     "m beats climatology on the Brier score (Brier skill 0.0100, p = 0.04)"),
    ("direction", {"brier_skill": 0.01, "dm_pvalue": 0.06}, {},
     "m: no significant difference from climatology on the Brier score (Brier skill 0.0100, "
     "p = 0.06)"),
    ("volatility", {"qlike": -6.95, "dm_garch_pvalue": 0.094, "dm_pvalue": 1e-5},
     {"garch": {"qlike": -6.9}}, "m: no significant difference from GARCH(1,1) on QLIKE "
                                 "(-6.9500 against -6.9000, p = 0.094)"),
    ("volatility", {"qlike": -6.95, "dm_pvalue": 1e-5}, {"naive": {"qlike": -6.2}},
     "m beats naive persistence on QLIKE (-6.9500 against -6.2000, p = 1e-05)"),
])
def test_beats_only_where_the_targets_own_test_says_so(name, entry, models, said):
    assert TARGETS[name].skill("m", entry, models) == said
    expected = ("better" if " beats " in said else "worse" if "worse" in said else
                "untested" if "not tested" in said else "level")
    assert TARGETS[name].outcome(entry, models) == expected


def test_outcome_needs_a_score_and_a_p_value_below_5_percent():
    assert outcome(None, 0.01) == ""
    assert outcome(True, None) == outcome(True, float("nan")) == "untested"
    assert outcome(True, 0.05) == outcome(False, 0.5) == "level"
    assert outcome(True, 0.0499) == "better" and outcome(False, 0.0499) == "worse"


def test_the_daily_loss_is_what_the_targets_test_compares():
    rv, f, g = (np.array([1e-4, 2e-4, 3e-4, 1e-4]), np.array([1.5e-4, 1.5e-4, 2e-4, 1.2e-4]),
                np.array([2e-4, 1e-4, 1e-4, 3e-4]))
    up, p, c = np.array([1.0, 0, 1, 1]), np.array([0.8, 0.3, 0.6, 0.4]), np.full(4, 0.6)
    for name, y, model, naive in (("return", CLOSE[1:5], CLOSE[1:5] + [1, -2, 0.5, 3],
                                   CLOSE[:4]), ("direction", up, p, c),
                                  ("volatility", rv, f, g)):
        t = TARGETS[name]
        v = t.scores(y, model, naive, {"naive": naive}, 1)
        assert metrics.diebold_mariano_loss(t.daily_loss(y, model), t.daily_loss(y, naive)) \
            == pytest.approx((v["dm_stat"], v["dm_pvalue"])), name
    np.testing.assert_allclose(TARGETS["volatility"].daily_loss(rv, f), metrics.qlike_loss(rv, f))
    np.testing.assert_allclose(TARGETS["direction"].daily_loss(up, p), (p - up) ** 2)
    np.testing.assert_allclose(TARGETS["price"].daily_loss(rv, f), (f - rv) ** 2)


def test_positions():
    last = np.array([100.0, 100, 100])
    pred = np.array([101.0, 100, 99])
    for name in ("price", "return"):
        np.testing.assert_array_equal(TARGETS[name].positions(pred, last, long_short=True),
                                      trading.positions(last, pred, long_short=True))
    up = TARGETS["direction"].positions
    p = np.array([0.7, 0.52, 0.5, 0.45, 0.3])
    np.testing.assert_array_equal(up(p, None), [1, 1, 0, 0, 0])
    np.testing.assert_array_equal(up(p, None, threshold=0.05, long_short=True),
                                  [1, 0, 0, 0, -1])
    # 20% a year forecast over 5 days: variance 0.04 x 5 / 252; 10% target: half a unit
    vol = TARGETS["volatility"].positions
    f = np.array([0.04, 0.0025, 0.01]) * 5 / 252
    np.testing.assert_allclose(vol(f, None, horizon=5, target_vol=0.1, max_leverage=1.5),
                               [0.5, 1.5, 1.0])


# --- end to end: metrics.json from predictions.csv and the prices; no look-ahead ----------

import json  # noqa: E402

import pandas as pd  # noqa: E402
from scipy import stats  # noqa: E402
from sklearn import metrics as skm  # noqa: E402

from forecast import config, runs, walkforward  # noqa: E402

MODELS = {"direction": {"naive": {}, "logistic": {}, "single_lstm": {"units": 4}},
          "volatility": {"naive": {}, "ewma": {}, "garch": {}, "har": {}, "ridge": {},
                         "single_lstm": {"units": 4}}}


def experiment(tiny_experiment, target, h):
    return config.override(tiny_experiment, {
        "features.target": target, "features.horizon": h, "split.gap": h - 1,
        "trading.long_short": True, "trading.threshold": 0.01, "models": MODELS[target]})


def dm(loss_model, loss_ref, h):
    """Diebold-Mariano with the HLN correction, from its definition."""
    d = np.asarray(loss_model) - np.asarray(loss_ref)
    n, dc = len(d), d - d.mean()
    var = np.sum(dc ** 2) / n + 2 * sum(np.sum(dc[k:] * dc[:n - k]) / n for k in range(1, h))
    stat = d.mean() / np.sqrt(var / n) * np.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
    return stat, 2 * stats.t.sf(abs(stat), n - 1)


def saved(exp, tmp_path):
    out = runs.save(walkforward.run_experiment(exp, progress=False), tmp_path)
    m = json.loads((out / "metrics.json").read_text())
    return m, pd.read_csv(out / "predictions.csv", parse_dates=["date"])


def trading_by_definition(g, close, h, pos, cost, m=None):
    """Daily positions decided at day t (h trading days before the forecast's date), held
    from the close of t to the close of t + 1; with metrics.json ``m``, the deflated Sharpe
    ratio against the run's trials too."""
    t = close.index.get_indexer(g.date) - h
    asset = close.to_numpy()[t + 1] / close.to_numpy()[t] - 1
    turnover = np.abs(np.diff(pos, prepend=0))
    r = pos * asset - cost * turnover
    equity = np.cumprod(1 + r)
    mdd = np.min(equity / np.maximum.accumulate(np.r_[1, equity])[1:] - 1)
    cagr = equity[-1] ** (252 / len(r)) - 1
    held = pos != 0
    extra = {} if m is None else {"deflated_sharpe": metrics.deflated_sharpe(
        r.mean() / r.std(ddof=1), m["trading"]["n_trials"], len(r), *metrics.moments(r),
        m["trading"]["trials_sharpe_var"])}
    return {**extra, "total_return": equity[-1] - 1, "cagr": cagr,
            "volatility": r.std(ddof=1) * np.sqrt(252),
            "sharpe": r.mean() / r.std(ddof=1) * np.sqrt(252),
            "sortino": r.mean() / np.sqrt(np.mean(np.minimum(r, 0) ** 2)) * np.sqrt(252),
            "max_drawdown": mdd, "calmar": cagr / -mdd,
            "hit_rate": np.mean((pos * asset)[held] > 0),
            "exposure": np.mean(np.abs(pos)), "turnover": turnover.mean() * 252}


def check(entry, expected, approx):
    for key, value in expected.items():
        got = entry[key] if key in entry else entry["trading"][key]
        if np.isnan(value):  # undefined (a model that never trades): null in metrics.json
            assert got is None, key
        else:
            assert got == approx(value), key


def check_buy_and_hold(m, p, close, h):
    """Buy-and-hold over the same days, long every day."""
    days = p.drop_duplicates("date").sort_values("date")
    bh = trading_by_definition(days, close, h, np.ones(len(days)), 5e-4)
    assert m["buy_and_hold"] == pytest.approx(bh, rel=1e-6)


def check_folds(entry, p, name, key, loss):
    """The target's loss in each fold of metrics.json, from that fold's rows."""
    for fold in entry["folds"]:
        g = p[(p.model == name) & (p.fold == fold["fold"])]
        assert fold[key] == pytest.approx(np.mean(loss(g.y_true.to_numpy(),
                                                       g.y_pred.to_numpy())), rel=1e-6)


def test_direction_metrics_recomputed_from_predictions_csv(tiny_experiment, tmp_path):
    h = 2
    m, p = saved(experiment(tiny_experiment, "direction", h), tmp_path)
    from forecast.data import load_prices
    close = load_prices("^GSPC", "sample")["close"]
    approx = lambda x: pytest.approx(x, rel=1e-5, abs=1e-6)  # noqa: E731 (6 decimals)
    # y_true is whether the close rose over the h days to the forecast's date
    t = close.index.get_indexer(p.date) - h
    np.testing.assert_array_equal(p.y_true, close.to_numpy()[t + h] > close.to_numpy()[t])
    np.testing.assert_allclose(p.y_last, close.to_numpy()[t], rtol=1e-9)
    naive = p[p.model == "naive"].set_index("date").y_pred
    assert all(g.y_pred.nunique() == 1 for _, g in p[p.model == "naive"].groupby("fold"))
    for name, entry in m["models"].items():
        g = p[p.model == name].sort_values("date")
        y, prob, ref = g.y_true.to_numpy(), g.y_pred.to_numpy(), naive.loc[g.date].to_numpy()
        brier = np.mean((prob - y) ** 2)
        pos = (prob > 0.51).astype(float) - (prob < 0.49)
        expected = {"accuracy": skm.accuracy_score(y, prob > 0.5),
                    "balanced_accuracy": skm.balanced_accuracy_score(y, prob > 0.5),
                    "brier": brier, "log_loss": skm.log_loss(y, prob, labels=[0, 1]),
                    "roc_auc": skm.roc_auc_score(y, prob),
                    "brier_skill": 1 - brier / np.mean((ref - y) ** 2),
                    **trading_by_definition(g, close, h, pos, 5e-4, m)}
        if name != "naive":
            expected["dm_stat"], expected["dm_pvalue"] = dm((prob - y) ** 2, (ref - y) ** 2, h)
        check(entry, expected, approx)
        check_folds(entry, p, name, "brier", lambda y, f: (f - y) ** 2)
    check_buy_and_hold(m, p, close, h)


def test_volatility_metrics_recomputed_from_predictions_csv(tiny_experiment, tmp_path):
    h = 5
    m, p = saved(experiment(tiny_experiment, "volatility", h), tmp_path)
    from forecast.data import load_prices
    close = load_prices("^GSPC", "sample")["close"]
    approx = lambda x: pytest.approx(x, rel=1e-6, abs=1e-12)  # noqa: E731 (10 digits)
    # y_true: the sum of the squared daily log returns of the h days to the forecast's date
    t = close.index.get_indexer(p.date) - h
    r = np.log(close).diff().to_numpy()
    np.testing.assert_allclose(p.y_true, [np.sum(r[i + 1:i + h + 1] ** 2) for i in t],
                               rtol=1e-9)
    refs = {n: p[p.model == n].set_index("date").y_pred for n in ("naive", "garch")}
    for name, entry in m["models"].items():
        g = p[p.model == name].sort_values("date")
        y, f = g.y_true.to_numpy(), g.y_pred.to_numpy()
        slope, intercept = np.polyfit(f, y, 1)
        loss = y / f + np.log(f)
        pos = np.minimum(0.1 / np.sqrt(252 * f / h), 2.0)
        expected = {"qlike": loss.mean(), "mse": np.mean((f - y) ** 2),
                    "mz_slope": slope, "mz_intercept": intercept,
                    "mz_r2": np.corrcoef(f, y)[0, 1] ** 2,
                    **trading_by_definition(g, close, h, pos, 5e-4, m)}
        for ref, key in (("naive", "dm"), ("garch", "dm_garch")):
            if name != ref:
                f_ref = refs[ref].loc[g.date].to_numpy()
                expected[f"{key}_stat"], expected[f"{key}_pvalue"] = dm(
                    loss, y / f_ref + np.log(f_ref), h)
        check(entry, expected, approx)
        check_folds(entry, p, name, "qlike", lambda y, f: y / f + np.log(f))
    check_buy_and_hold(m, p, close, h)


@pytest.mark.parametrize("target", ["direction", "volatility"])
def test_no_forecast_changes_when_later_prices_do(tiny_experiment, short_prices, target):
    h = 3
    exp = experiment(tiny_experiment, target, h)
    a = walkforward.run_experiment(exp, prices=short_prices, progress=False).predictions
    cut = a[a.fold == 2].date.iloc[60]  # inside the last fold: its models are already fitted
    changed = short_prices.copy()
    later = changed.index >= cut
    noise = np.exp(np.random.default_rng(0).normal(0, 0.03, later.sum()))
    changed.loc[later, ["open", "high", "low", "close"]] *= noise[:, None]
    b = walkforward.run_experiment(exp, prices=changed, progress=False).predictions
    day = short_prices.index
    made = day[day.get_indexer(a.date) - h]  # the day each forecast was made
    before = made < cut
    known = ["date", "fold", "model", "seed", "y_pred", "y_last"]  # y_true is what came after
    pd.testing.assert_frame_equal(a[before][known], b[before][known])
    for name in MODELS[target]:  # forecasts made on or after the cut changed (climatology
        if target == "direction" and name == "naive":  # is one number for the whole fold)
            continue
        after = ~before & (a.model == name)
        assert not np.allclose(a[after].y_pred, b[after].y_pred), name
