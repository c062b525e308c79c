"""Targets: what each window is asked for, the way back, the naive forecast, the scores,
the verdict's sentence and the trading position, by hand."""
import numpy as np
import pytest

from forecast import metrics, trading
from forecast.models import FoldData
from forecast.targets import TARGETS, log_returns
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
    # the smearing factor: mean over geometric mean of the training variances
    factor = vol.bias_factor(vol.encode(rv[:2], None))
    assert factor == pytest.approx(2.5e-4 / 2e-4)
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
    assert sentence.startswith("lstm beats GARCH(1,1) on QLIKE") and ", p = " in sentence
    r = TARGETS["return"].scores(CLOSE[1:], CLOSE[1:] + 1, CLOSE[:-1],
                                 {"naive": CLOSE[:-1]}, 1)
    assert "naive persistence on RMSE" in TARGETS["return"].skill("m", r, {})


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
