"""Two forecasts compared day by day (forecast.paired): the loss of each day, the running sum
of the gain, and the Diebold-Mariano test, checked against numpy and against the tests a
run records."""
import numpy as np
import pandas as pd
import pytest

from forecast import config, metrics, paired, walkforward
from forecast.targets import TARGETS

RETURN = TARGETS["return"]


def rows(dates, y_true, y_pred, seed=-1):
    return pd.DataFrame({"date": dates, "seed": seed, "y_true": y_true, "y_pred": y_pred})


def test_losses_are_a_row_per_day_and_a_column_per_seed():
    dates = pd.bdate_range("2020-01-01", periods=4)
    y = np.array([10.0, 11, 12, 13])
    frame = pd.concat([rows(dates[::-1], y[::-1], y[::-1] + 1, seed=1),  # unsorted days
                       rows(dates, y, y - 2, seed=2)])
    loss = paired.losses(frame, RETURN)
    assert list(loss.columns) == [1, 2] and list(loss.index) == list(dates)
    np.testing.assert_array_equal(loss[1], [1.0] * 4)
    np.testing.assert_array_equal(loss[2], [4.0] * 4)


def test_the_running_gain_is_the_sum_of_the_reference_s_loss_minus_the_model_s():
    rng = np.random.default_rng(3)
    dates = pd.bdate_range("2021-01-01", periods=50)
    y = 100 + rng.normal(0, 1, 50).cumsum()
    naive = rows(dates, y, np.r_[y[0], y[:-1]])
    seeds = [rows(dates[5:], y[5:], y[5:] + rng.normal(0, 0.5, 45), seed=s) for s in (1, 2)]
    model = pd.concat(seeds)
    total = paired.cumulative(paired.losses(model, RETURN), paired.losses(naive, RETURN))
    # by hand: the days both forecast (from the sixth), each day's loss the mean over seeds
    e_naive = (np.r_[y[0], y[:-1]] - y)[5:] ** 2
    e_model = np.mean([(s.y_pred - s.y_true).to_numpy() ** 2 for s in seeds], axis=0)
    assert list(total.index) == list(dates[5:])
    np.testing.assert_allclose(total, np.cumsum(e_naive - e_model))
    # its end: the number of days times the difference of the mean squared errors
    assert total.iloc[-1] == pytest.approx(45 * (e_naive.mean() - e_model.mean()))


def test_the_test_is_each_seed_against_the_reference_then_the_mean():
    rng = np.random.default_rng(4)
    dates = pd.bdate_range("2021-01-01", periods=60)
    y = 100 + rng.normal(0, 1, 60).cumsum()
    ref = rows(dates, y, y + rng.normal(0, 1, 60))
    seeds = {s: y + rng.normal(0, 0.8, 60) for s in (1, 2, 3)}
    model = pd.concat([rows(dates, y, p, seed=s) for s, p in seeds.items()])
    got = paired.test(paired.losses(model, RETURN), paired.losses(ref, RETURN), horizon=2)
    each = [metrics.diebold_mariano(p - y, ref.y_pred.to_numpy() - y, 2) for p in seeds.values()]
    assert got == pytest.approx(tuple(np.mean(each, axis=0)))
    # the mean over seeds against the reference: one test of the average loss
    mean = paired.losses(model, RETURN).mean(axis=1).to_frame()
    avg = np.mean([(p - y) ** 2 for p in seeds.values()], axis=0)
    assert paired.test(mean, paired.losses(ref, RETURN), 2) == pytest.approx(
        metrics.diebold_mariano_loss(avg, (ref.y_pred.to_numpy() - y) ** 2, 2))
    none = paired.test(paired.losses(model, RETURN),
                       paired.losses(rows(dates + pd.Timedelta(days=400), y, y), RETURN))
    assert np.isnan(none).all()  # no day in common: nothing to test


@pytest.mark.parametrize("target, models", [
    ("return", {"naive": {}, "drift": {}, "ridge": {}}),
    ("direction", {"naive": {}, "logistic": {}}),
    ("volatility", {"naive": {}, "garch": {}, "har": {}}),
])
def test_it_reproduces_the_tests_a_run_records(tiny_experiment, target, models):
    exp = config.override(tiny_experiment, {"features.target": target, "models": models})
    result = walkforward.run_experiment(exp, progress=False)
    t, p = TARGETS[target], result.predictions
    loss = {n: paired.losses(p[p.model == n], t) for n in models}
    for name, m in result.models.items():
        for ref, key in (("naive", "dm"), ("garch", "dm_garch")):
            if name != ref and ref in loss and m.scores.get(f"{key}_pvalue") is not None:
                got = paired.test(loss[name], loss[ref], exp.features.horizon)
                assert got == pytest.approx((m.scores[f"{key}_stat"],
                                             m.scores[f"{key}_pvalue"]), rel=1e-9), name
