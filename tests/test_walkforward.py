import numpy as np
import pandas as pd
import pytest

from forecast import config, walkforward
from forecast.errors import ForecastError
from forecast.features import build
from forecast.windows import make_windows


def test_end_to_end_on_short_data(tiny_experiment):
    run = walkforward.run_experiment(tiny_experiment, progress=False)
    m, p = run.metrics, run.predictions
    assert list(m["models"]) == ["naive", "single_lstm", "stacked_lstm"]
    assert m["models"]["naive"]["theil_u"] == pytest.approx(1.0)
    n_test = sum(f["n_test"] for f in m["folds"])
    assert len(p) == 3 * n_test
    assert set(p.columns) >= {"date", "fold", "model", "seed", "y_true", "y_pred"}
    for name, e in m["models"].items():
        assert len(e["folds"]) == 2
        assert {"rmse", "mae", "mape", "directional_accuracy", "theil_u", "wall_seconds",
                "params"} <= set(e)
        g = p[p.model == name]
        assert e["rmse"] == pytest.approx(np.sqrt(np.mean((g.y_pred - g.y_true) ** 2)))
    # naive: tomorrow = today, so y_pred is the previous day's y_true inside a fold
    naive = p[(p.model == "naive") & (p.fold == 1)]
    np.testing.assert_allclose(naive.y_pred.to_numpy()[1:], naive.y_true.to_numpy()[:-1])


def test_folds_never_train_on_or_after_the_test_start(tiny_experiment):
    run = walkforward.run_experiment(tiny_experiment, progress=False)
    day = run.prices.index.get_loc
    for f in run.metrics["folds"]:
        assert f["train_end"] < f["test_start"] and f["scaler_end"] < f["test_start"]
        # counted in trading days of the prices: the last training target is the day before
        # the first test day, the scaler's last row the day before that, and the validation
        # tail is the last tenth of the training targets, ending with them
        assert day(f["test_start"]) - day(f["train_end"]) == 1
        assert day(f["train_end"]) - day(f["scaler_end"]) == 1
        assert day(f["validation_end"]) == day(f["train_end"])
        assert day(f["validation_end"]) - day(f["validation_start"]) + 1 == round(
            0.1 * f["n_train"])
    dates = run.predictions.groupby("fold").date
    assert (dates.min() == pd.to_datetime([f["test_start"] for f in run.metrics["folds"]])).all()


def test_rerun_gives_identical_predictions(tiny_experiment):
    a = walkforward.run_experiment(tiny_experiment, progress=False).predictions
    b = walkforward.run_experiment(tiny_experiment, progress=False).predictions
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize("target", ["return", "price"])
def test_scalers_do_not_see_the_test_rows(short_prices, tiny_experiment, target):
    exp = config.replace(tiny_experiment, **{"features.target": target})
    split = walkforward.splitter(exp)

    def fold0(prices):
        feats = build(prices, exp.features.indicators, target=target)
        w = make_windows(feats.frame.to_numpy(), feats.close.to_numpy(), 10, 1)
        train, test = next(split.split(len(w.target)))
        return walkforward.prepare_fold(feats, w, train, test, exp), feats, w, test

    a, feats, w, test = fold0(short_prices)
    changed = short_prices.copy()
    first_test_row = feats.close.index[w.end[test[0]] + 1]
    changed.loc[first_test_row:, ["open", "high", "low", "close"]] *= 3
    b, *_ = fold0(changed)
    np.testing.assert_array_equal(a.X_train, b.X_train)
    np.testing.assert_array_equal(a.y_train, b.y_train)
    np.testing.assert_array_equal(a.X_val, b.X_val)
    # the way back to prices uses training statistics only
    def back(d):
        p = d.to_price(np.ones(len(d.last_price)))
        return p / d.last_price if target == "return" else p
    np.testing.assert_allclose(back(a), back(b))


@pytest.mark.parametrize("rows", [30, 200, 360])
def test_history_too_short_says_how_many_rows_are_needed(tiny_experiment, short_prices, rows):
    # 30: too short for the indicators; 200: for the samples; 360: once warm-up is dropped
    with pytest.raises(ForecastError, match=rf"has {rows} rows of prices; at least 3\d\d are "
                       "needed"):
        walkforward.run_experiment(tiny_experiment, prices=short_prices.iloc[:rows],
                                   progress=False)


def test_seeds_give_mean_and_std(tiny_experiment):
    exp = config.replace(tiny_experiment, seeds=(1, 2),
                         models={"naive": {}, "single_lstm": {"units": 4}})
    run = walkforward.run_experiment(exp, progress=False)
    single = run.metrics["models"]["single_lstm"]
    assert single["seeds"] == [1, 2] and "rmse_std" in single
    assert set(run.predictions[run.predictions.model == "single_lstm"].seed) == {1, 2}


def test_scratch_refit_retrains_every_fold_and_reproduces(tiny_experiment):
    exp = config.replace(tiny_experiment, **{"training.refit": "scratch"})
    a = walkforward.run_experiment(exp, progress=False)
    b = walkforward.run_experiment(exp, progress=False)
    pd.testing.assert_frame_equal(a.predictions, b.predictions)
    warm = walkforward.run_experiment(tiny_experiment, progress=False).predictions
    later = (warm.fold == 2) & (warm.model == "single_lstm")  # warm continued, scratch anew
    assert not np.allclose(a.predictions[later].y_pred, warm[later].y_pred)


def baselines(exp, **settings):
    """``exp`` with only the baselines (no network: a run takes about a second)."""
    return config.replace(exp, models={"naive": {}, "drift": {}, "ridge": {}}, **settings)


def test_the_fit_rows_are_the_training_samples_before_the_validation_tail(
        short_prices, tiny_experiment):
    exp = baselines(tiny_experiment)
    feats = build(short_prices, exp.features.indicators)
    w = make_windows(feats.frame.to_numpy(), feats.close.to_numpy(), 10, 1)
    train, test = next(walkforward.splitter(exp).split(len(w.target)))
    d = walkforward.prepare_fold(feats, w, train, test, exp)
    n_val = round(0.1 * len(train))
    assert (len(d.X_train), len(d.X_val)) == (len(train) - n_val, n_val)
    # consecutive windows share all but one row: the validation windows continue the fit
    # windows without overlapping them and end with the last training window
    both = np.concatenate([d.X_train, d.X_val])
    np.testing.assert_array_equal(both[1:, :-1], both[:-1, 1:])
    np.testing.assert_array_equal(d.X_test[0, :-1], both[-1, 1:])


def test_naive_is_in_every_run_even_when_not_asked_for(tiny_experiment):
    run = walkforward.run_experiment(config.replace(tiny_experiment, models={"drift": {}}),
                                     progress=False)
    assert list(run.metrics["models"]) == ["naive", "drift"]
    assert run.metrics["models"]["naive"]["theil_u"] == pytest.approx(1.0)


def test_a_three_day_horizon_through_the_whole_run(tiny_experiment, short_prices):
    from forecast import metrics
    exp = baselines(tiny_experiment, **{"features.horizon": 3, "split.gap": 2})
    run = walkforward.run_experiment(exp, prices=short_prices, progress=False)
    m, p = run.metrics, run.predictions
    assert m["horizon"] == 3
    # each forecast is made three trading days before the day it forecasts
    close = short_prices["close"]
    days = close.index
    for _, g in p[p.model == "naive"].iterrows():
        i = days.get_loc(g.date)
        assert g.y_true == pytest.approx(close.iloc[i])
        assert g.y_last == pytest.approx(close.iloc[i - 3])
    for f in m["folds"]:  # the gap purges the training targets that would overlap the test
        i, j = days.get_loc(pd.Timestamp(f["train_end"])), days.get_loc(
            pd.Timestamp(f["test_start"]))
        assert j - i == 3
    naive = p[p.model == "naive"].set_index("date")
    for name in ("drift", "ridge"):
        g = p[p.model == name]
        e_naive = naive.y_pred.loc[g.date].to_numpy() - g.y_true.to_numpy()
        stat, pvalue = metrics.diebold_mariano(g.y_pred - g.y_true, e_naive, 3)
        assert stat != pytest.approx(metrics.diebold_mariano(g.y_pred - g.y_true, e_naive,
                                                             1)[0])
        assert m["models"][name]["dm_stat"] == pytest.approx(stat)
        assert m["models"][name]["dm_pvalue"] == pytest.approx(pvalue)


def test_a_fold_holds_its_training_scaled_windows_and_the_way_back(short_prices,
                                                                 tiny_experiment):
    import dataclasses

    from forecast.targets import TARGETS
    exp = baselines(tiny_experiment)
    feats = build(short_prices, exp.features.indicators)
    feats = dataclasses.replace(feats, frame=feats.frame.assign(flat=1.0))  # no spread
    close = feats.close.to_numpy()
    w = make_windows(feats.frame.to_numpy(), close, 10, 1)
    train, test = next(walkforward.splitter(exp).split(len(w.target)))
    d = walkforward.prepare_fold(feats, w, train, test, exp, fitted_until=train[100])
    fit = train[:-round(0.1 * len(train))]
    F = feats.frame.to_numpy("float64")
    seen = F[train[0]:w.end[train[-1]] + 1]  # every row a training window reads
    sd = seen.std(0)
    scaled = (F - seen.mean(0)) / np.where(sd > 0, sd, 1)
    assert d.X_train.dtype == d.X_test.dtype == d.y_train.dtype == np.float32
    np.testing.assert_allclose(d.X_train[7], scaled[fit[7]:fit[7] + 10], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(d.X_test[-1], scaled[w.end[test[-1]] - 9:w.end[test[-1]] + 1],
                               rtol=1e-5, atol=1e-6)
    assert (d.X_train[..., -1] == 0).all()  # a constant input is centred, not divided by 0
    y = np.log(w.target / close[w.end])
    y_mu, y_sd = y[train].mean(), y[train].std()
    np.testing.assert_allclose(d.y_train, (y[fit] - y_mu) / y_sd, rtol=1e-4, atol=1e-5)
    # the way back: the true test targets, scaled as the training ones, give the true prices
    np.testing.assert_allclose(d.to_price((y[test] - y_mu) / y_sd), w.target[test])
    # what the baselines and the volatility models read
    assert d.target is TARGETS["return"] and d.horizon == 1 and d.first_new == 100
    np.testing.assert_array_equal(d.train_close, close[train[0]:w.end[train[-1]] + 1])
    np.testing.assert_array_equal(d.train_end, w.end[train])
    np.testing.assert_array_equal(d.test_end, w.end[test])
    np.testing.assert_array_equal(d.train_truth, w.target[train])
    assert len(d.returns) == w.end[test[-1]] + 1
    assert d.returns[5] == pytest.approx(np.log(close[5] / close[4]))
    day = feats.close.index.to_numpy("datetime64[D]")
    assert d.days.dtype == np.dtype("datetime64[D]") and (d.days == day).all()
    assert walkforward.prepare_fold(feats, w, train, test, exp).first_new == 0
    assert d.to_price(np.zeros(len(test), "float32")).dtype == np.float64  # not float32
    # the days the audit reads: each sample's target day
    np.testing.assert_array_equal(d.dates["fit"], day[w.end[fit] + 1])
    np.testing.assert_array_equal(d.dates["validation"], day[w.end[train[len(fit):]] + 1])
    np.testing.assert_array_equal(d.dates["test"], day[w.end[test] + 1])


def test_flat_prices_give_finite_scaled_targets(short_prices, tiny_experiment):
    flat = short_prices.assign(open=100.0, high=100.0, low=100.0, close=100.0)
    exp = config.replace(baselines(tiny_experiment), **{"features.indicators": []})
    feats = build(flat, [])
    w = make_windows(feats.frame.to_numpy(), feats.close.to_numpy(), 10, 1)
    train, test = next(walkforward.splitter(exp).split(len(w.target)))
    d = walkforward.prepare_fold(feats, w, train, test, exp)
    assert (d.y_train == 0).all() and (d.X_train == 0).all()
    # no spread to scale by: a scaled 1 is a learned 1 (a log return of 1)
    np.testing.assert_array_equal(d.to_price(np.zeros(len(test))), 100.0)
    np.testing.assert_allclose(d.to_price(np.ones(len(test))), 100.0 * np.e)


def test_a_sliding_window_scales_on_its_own_rows(tiny_experiment, short_prices):
    exp = baselines(tiny_experiment, **{"split.window": "sliding", "split.initial_train": 200})
    run = walkforward.run_experiment(exp, prices=short_prices, progress=False)
    later = run.metrics["folds"][1]
    assert later["train_start"] > run.metrics["folds"][0]["train_start"]  # it slid
    assert run.metrics["audit"]["folds"][1]["scaler"]["first"] == later["scaler_start"]


def test_the_fold_dates_in_trading_days(tiny_experiment, short_prices):
    exp = baselines(tiny_experiment, **{"features.horizon": 3, "split.gap": 2})
    run = walkforward.run_experiment(exp, prices=short_prices, progress=False)
    day = run.prices.index.get_loc
    first_row = day(run.prices.index[run.metrics["data"]["warmup_rows"]])
    for f in run.metrics["folds"]:
        n_val = round(0.1 * f["n_train"])
        assert day(f["train_start"]) == day(f["scaler_start"]) == first_row  # expanding
        # the last training target is 3 days after the last row the scalers read, and the
        # first test target 3 days after the gap of 2 samples
        assert day(f["train_end"]) - day(f["scaler_end"]) == 3
        assert day(f["test_start"]) - day(f["train_end"]) == 3
        assert day(f["validation_end"]) == day(f["train_end"])
        assert day(f["validation_end"]) - day(f["validation_start"]) + 1 == n_val
        assert day(f["test_end"]) - day(f["test_start"]) + 1 == f["n_test"]


def test_a_tiny_validation_fraction_still_keeps_one_sample(tiny_experiment):
    exp = config.replace(tiny_experiment, **{"training.validation_fraction": 0.001})
    fit, val = walkforward.fit_and_validation(np.arange(100), exp)
    np.testing.assert_array_equal(val, [99])
    np.testing.assert_array_equal(fit, np.arange(99))


def test_features_built_in_a_child_while_tensorflow_imports_give_the_same_run(tiny_toml_file):
    import subprocess
    import sys
    code = """
import sys
import forecast
exp = forecast.load_experiment(sys.argv[1])
first = forecast.backtest(exp, progress=False)  # a fresh process: the features from a child
forked = "pandas_ta" not in sys.modules  # this process never computed an indicator
second = forecast.backtest(exp, progress=False)  # TensorFlow imported: no fork
print(forked, "pandas_ta" in sys.modules, first.predictions.equals(second.predictions))
"""
    done = subprocess.run([sys.executable, "-c", code, str(tiny_toml_file("forked"))],
                          capture_output=True, text=True, timeout=300)
    assert done.stdout.split() == ["True", "True", "True"], done.stderr[-2000:]


def test_tuned_baselines_choose_their_settings_on_training_rows_only(tiny_experiment,
                                                                      short_prices):
    exp = config.replace(tiny_experiment, models={"naive": {}, "ridge": {}, "ar": {}})
    a = walkforward.run_experiment(exp, prices=short_prices, progress=False)
    cut = pd.Timestamp(a.folds[-1].test_start)  # the last fold's test days change
    changed = short_prices.copy()
    later = changed.index >= cut
    noise = np.exp(np.random.default_rng(0).normal(0, 0.05, later.sum()))
    changed.loc[later, ["open", "high", "low", "close"]] *= noise[:, None]
    b = walkforward.run_experiment(exp, prices=changed, progress=False)
    for name in ("ridge", "ar"):
        chosen = [f["chosen"] for f in a.models[name].folds]
        assert len(chosen) == 2 and all(chosen)
        assert chosen == [f["chosen"] for f in b.models[name].folds]
        pa = a.predictions[a.predictions.model == name]
        pb = b.predictions[b.predictions.model == name]
        first = pa.date < cut  # forecasts made before the change (the first fold's)
        np.testing.assert_array_equal(pa[first].y_pred, pb[first].y_pred)
        assert not np.allclose(pa[~first].y_pred, pb[~first].y_pred)  # the change was seen
