"""Known answers for the metrics: by hand, by definition, or from the paper."""
import numpy as np
import pytest
from scipy import stats

from forecast import metrics

E_MODEL = [1, -2, 3, 0, 1]
E_NAIVE = [2, 1, -1, 2, 2]


def test_errors_and_theil_u():
    y_true, y_pred, y_last = [10, 12, 11], [11, 12, 13], [10, 10, 12]
    assert metrics.rmse(y_true, y_pred) == pytest.approx(np.sqrt(5 / 3))
    assert metrics.mae(y_true, y_pred) == pytest.approx(1.0)
    assert metrics.theil_u(y_true, y_pred, y_last) == pytest.approx(1.0)  # same rmse
    assert metrics.directional_accuracy(y_true, y_pred, y_last) == pytest.approx(1 / 3)


def test_shares_are_fractions_and_naive_has_no_direction():
    # MAPE: |11-10|/10, 0, |13-11|/11 -> a fraction, like directional accuracy
    assert metrics.mape([10, 12, 11], [11, 12, 13]) == pytest.approx((0.1 + 2 / 11) / 3)
    # persistence predicts no move: no direction to get right (a flat day would count it
    # right, so a number here would mean nothing)
    assert np.isnan(metrics.directional_accuracy([10, 12, 12], [11, 12, 12], [11, 12, 12]))
    assert np.isnan(metrics.summary([10, 12], [11, 12], [11, 12])["directional_accuracy"])


def t4_cdf(x):
    """Student's t with 4 degrees of freedom, in closed form (no scipy)."""
    u = 1 + x * x / 4
    return 0.5 + 3 / 8 * x / np.sqrt(u) * (1 - x * x / (12 * u))


def test_diebold_mariano_by_hand_one_step():
    # d = e_model^2 - e_naive^2 = [1-4, 4-1, 9-1, 0-4, 1-4] = [-3, 3, 8, -4, -3], mean 0.2
    # deviations -3.2, 2.8, 7.8, -4.2, -3.2: gamma0 = (10.24+7.84+60.84+17.64+10.24)/5 = 21.36
    # DM = 0.2 / sqrt(21.36 / 5); HLN factor sqrt((5 + 1 - 2 + 0) / 5) = sqrt(0.8)
    stat = 0.2 / np.sqrt(21.36 / 5) * np.sqrt(0.8)
    assert stat == pytest.approx(0.0865484645, abs=1e-9)
    got = metrics.diebold_mariano(E_MODEL, E_NAIVE)
    assert got[0] == pytest.approx(stat, rel=1e-12)
    assert got[1] == pytest.approx(2 * (1 - t4_cdf(stat)), rel=1e-12)  # t, n-1 = 4 df
    assert got[1] == pytest.approx(0.9351897502, abs=1e-9)


def test_diebold_mariano_by_hand_two_steps_uses_the_lag_one_autocovariance():
    # gamma1 = (2.8*-3.2 + 7.8*2.8 + -4.2*7.8 + -3.2*-4.2) / 5 = -6.44 / 5 = -1.288
    # variance 21.36 + 2 * -1.288 = 18.784; HLN (5 + 1 - 4 + 2/5) / 5 = 0.48
    stat = 0.2 / np.sqrt(18.784 / 5) * np.sqrt(0.48)
    got = metrics.diebold_mariano(E_MODEL, E_NAIVE, horizon=2)
    assert got[0] == pytest.approx(stat, rel=1e-12)
    assert got[1] == pytest.approx(2 * (1 - t4_cdf(stat)), rel=1e-12)


def test_diebold_mariano_sign_and_symmetry():
    e_naive = np.array([2, -1, 3, -2, 1, -3], float)
    e_model = np.array([0.5, -0.5, 0.5, -0.5, 0.5, -0.5])
    stat, p = metrics.diebold_mariano(e_model, e_naive)
    # d = 0.25 - e_naive^2, mean -4.41667, gamma0 = 65.3333/6; HLN sqrt(5/6)
    assert stat == pytest.approx(-26.5 / 6 / np.sqrt(65.3333333 / 6 / 6) * np.sqrt(5 / 6),
                                 rel=1e-6)
    assert p == pytest.approx(2 * stats.t.sf(abs(stat), 5)) and p < 0.05
    back = metrics.diebold_mariano(e_naive, e_model)
    assert back == pytest.approx((-stat, p))


def test_diebold_mariano_undefined_without_variance():
    stat, p = metrics.diebold_mariano([1, 2, 3], [1, 2, 3])
    assert np.isnan(stat) and np.isnan(p)


R = np.array([0.02, -0.01, 0.02, -0.01])  # mean 0.005, sd (ddof=1) sqrt(0.0009 / 3)


def test_sharpe_sortino_volatility_by_definition():
    sd = np.sqrt(4 * 0.015 ** 2 / 3)
    assert metrics.volatility(R) == pytest.approx(sd * np.sqrt(252))
    assert metrics.sharpe(R) == pytest.approx(0.005 / sd * np.sqrt(252))
    assert metrics.sharpe(R) == pytest.approx(4.5825757, rel=1e-7)
    # downside deviation sqrt((0.01^2 + 0.01^2) / 4)
    assert metrics.sortino(R) == pytest.approx(0.005 / np.sqrt(0.0002 / 4) * np.sqrt(252))
    assert metrics.sharpe(R, days=1) == pytest.approx(0.005 / sd)
    assert np.isnan(metrics.sharpe([0.0, 0.0, 0.0]))


def test_drawdown_from_the_running_peak():
    r = [0.1, -0.1, 2 / 9, -0.5]  # equity 1.1, 0.99, 1.21, 0.605
    np.testing.assert_allclose(metrics.equity(r), [1.1, 0.99, 1.21, 0.605])
    np.testing.assert_allclose(metrics.drawdown(r), [0, -0.1, 0, -0.5], atol=1e-12)
    assert metrics.max_drawdown(r) == pytest.approx(-0.5)
    assert metrics.max_drawdown([-0.1, 0.05]) == pytest.approx(-0.1)  # the start is a peak
    assert metrics.max_drawdown([0.01, 0.02]) == 0.0
    assert metrics.total_return(r) == pytest.approx(-0.395)


def test_cagr_and_calmar_by_definition():
    one_year = np.full(252, 1.1 ** (1 / 252) - 1)
    assert metrics.cagr(one_year) == pytest.approx(0.1)
    assert metrics.cagr(np.full(504, 1.1 ** (1 / 252) - 1)) == pytest.approx(0.1)
    assert metrics.cagr(np.full(126, 1.21 ** (1 / 126) - 1)) == pytest.approx(1.21 ** 2 - 1)
    r = np.r_[-0.2, np.full(251, (1.1 / 0.8) ** (1 / 251) - 1)]  # ends the year at 1.1
    assert metrics.cagr(r) == pytest.approx(0.1)
    assert metrics.calmar(r) == pytest.approx(0.1 / 0.2)
    assert np.isnan(metrics.calmar(one_year))


def test_moments():
    assert metrics.moments([-1, 1, -1, 1]) == pytest.approx((0.0, 1.0))
    skew, kurt = metrics.moments([0, 0, 0, 4])  # c = -1, -1, -1, 3: m2 3, m3 6, m4 21
    assert skew == pytest.approx(6 / 3 ** 1.5) and kurt == pytest.approx(21 / 9)


def test_deflated_sharpe_matches_the_papers_example():
    # Bailey & Lopez de Prado (2014), section 4: annualised SR 2.5 over 1250 days, 100
    # trials whose annualised Sharpe ratios have variance 0.5, skew -3, kurtosis 10:
    # expected maximum SR 0.1132 a day and DSR 0.9004 (250 days a year in the paper)
    sr, var = 2.5 / np.sqrt(250), 0.5 / 250
    assert metrics.expected_max_sharpe(100, var) == pytest.approx(0.1132, abs=1e-4)
    assert metrics.deflated_sharpe(sr, 100, 1250, -3, 10, var) == pytest.approx(0.9004,
                                                                                abs=1e-3)


def test_deflated_sharpe_falls_with_the_number_of_trials():
    dsr = [metrics.deflated_sharpe(0.1, n, 500, 0, 3, 0.002) for n in (1, 10, 100, 1000)]
    assert dsr == sorted(dsr, reverse=True)
    # one trial: nothing to deflate, the probability that the true Sharpe exceeds 0, with
    # the estimate's spread 1 - skew SR + (kurtosis - 1) / 4 SR^2 = 1 + 0.5 * 0.01
    assert dsr[0] == pytest.approx(stats.norm.cdf(0.1 * np.sqrt(499) / np.sqrt(1.005)))


def test_mape_divides_by_what_happened_not_by_the_forecast():
    # a forecast of 200 for an actual 100 is 100% off; 50 for 100 is 50% off (in the
    # forecast's terms the two would swap: 50% and 100%)
    over, under = metrics.mape([100], [200]), metrics.mape([100], [50])
    assert over == pytest.approx(2 * under)
    assert over == pytest.approx(1.0)  # a fraction, like every share in metrics.json


# --- probability and variance forecasts (targets "direction" and "volatility") -----------

UP = [1, 0, 1, 0]
P_UP = [0.9, 0.2, 0.6, 0.5]


def test_brier_and_brier_skill_by_hand():
    # (0.1^2 + 0.2^2 + 0.4^2 + 0.5^2) / 4 = (0.01 + 0.04 + 0.16 + 0.25) / 4
    assert metrics.brier(UP, P_UP) == pytest.approx(0.115)
    assert metrics.brier(UP, [0.5] * 4) == pytest.approx(0.25)
    assert metrics.brier_skill(UP, P_UP, [0.5] * 4) == pytest.approx(1 - 0.115 / 0.25)


def test_log_loss_by_hand_and_clipped():
    assert metrics.log_loss(UP, P_UP) == pytest.approx(
        -(np.log(0.9) + np.log(0.8) + np.log(0.6) + np.log(0.5)) / 4)
    assert metrics.log_loss([1, 0], [0.5, 0.5]) == pytest.approx(np.log(2))
    assert metrics.log_loss([1], [0.0]) == pytest.approx(-np.log(1e-15))  # finite


def test_accuracy_balanced_accuracy_and_roc_auc():
    assert metrics.accuracy(UP, P_UP) == pytest.approx(1.0)  # 0.5 calls a fall
    assert metrics.accuracy(UP, [0.9, 0.2, 0.4, 0.5]) == pytest.approx(3 / 4)
    # always "up" on three rises and a fall: right 3 times in 4, but 1 and 0 per class
    assert metrics.accuracy([1, 1, 1, 0], [0.9] * 4) == pytest.approx(0.75)
    assert metrics.balanced_accuracy([1, 1, 1, 0], [0.9] * 4) == pytest.approx(0.5)
    # rises called 1 time in 2, falls 2 in 2
    assert metrics.balanced_accuracy(UP, [0.9, 0.2, 0.4, 0.5]) == pytest.approx((0.5 + 1) / 2)
    # rises got 0.9 and 0.5, falls 0.2 and 0.5: 3 of 4 pairs ordered right, 1 tie (half)
    assert metrics.roc_auc([1, 0, 1, 0], [0.9, 0.2, 0.5, 0.5]) == pytest.approx(3.5 / 4)
    assert metrics.roc_auc(UP, P_UP) == pytest.approx(1.0)
    assert np.isnan(metrics.roc_auc([1, 1], [0.2, 0.3]))


def test_qlike_by_hand_and_defined_for_a_zero_realized_variance():
    # 1/1 + log 1 = 1; 2/4 + log 4
    assert metrics.qlike([1, 2], [1, 4]) == pytest.approx((1 + 0.5 + np.log(4)) / 2)
    assert metrics.qlike([0.0], [2.0]) == pytest.approx(np.log(2))
    # for a given realized variance the loss is lowest when the forecast equals it
    y = 3e-5
    f = np.array([1e-5, 2e-5, 3e-5, 4e-5, 9e-5])
    assert np.argmin(metrics.qlike_loss(np.full(5, y), f)) == 2
    assert metrics.mse([1, 2], [1, 4]) == pytest.approx(2.0)


def test_mincer_zarnowitz_by_hand():
    # x 1..4, y 2, 3, 5, 6: slope 7 / 5 = 1.4, intercept 4 - 1.4 x 2.5 = 0.5,
    # residuals 0.1, -0.3, 0.3, -0.1: R^2 = 1 - 0.2 / 10
    mz = metrics.mincer_zarnowitz([2, 3, 5, 6], [1, 2, 3, 4])
    assert mz == pytest.approx({"mz_intercept": 0.5, "mz_slope": 1.4, "mz_r2": 0.98})
    exact = metrics.mincer_zarnowitz(1 + 2 * np.arange(5.0), np.arange(5.0))
    assert exact == pytest.approx({"mz_intercept": 1, "mz_slope": 2, "mz_r2": 1})
    assert np.isnan(metrics.mincer_zarnowitz([1, 2], [3, 3])["mz_slope"])


def test_diebold_mariano_on_losses_is_the_squared_error_test_on_squared_errors():
    e_model, e_naive = np.array(E_MODEL, float), np.array(E_NAIVE, float)
    for h in (1, 2):
        assert metrics.diebold_mariano_loss(e_model ** 2, e_naive ** 2, h) == pytest.approx(
            metrics.diebold_mariano(e_model, e_naive, h), rel=1e-12)


def test_diebold_mariano_on_two_days_on_tiny_losses_and_on_a_constant_difference():
    # d = [1, 3]: mean 2, gamma0 = (1 + 1) / 2 = 1, DM = 2 / sqrt(1 / 2), HLN factor
    # sqrt((2 + 1 - 2) / 2): stat 2; one degree of freedom (a Cauchy distribution)
    stat, p = metrics.diebold_mariano_loss([1.0, 3.0], [0.0, 0.0])
    assert stat == pytest.approx(2.0)
    assert p == pytest.approx(2 * (0.5 + np.arctan(-2.0) / np.pi))
    # the scale of the losses does not matter, however small their variance
    losses = np.array([1.0, 3, 2, 5, 4, 1])
    assert metrics.diebold_mariano_loss(losses * 1e-3, np.zeros(6)) == pytest.approx(
        metrics.diebold_mariano_loss(losses, np.zeros(6)))
    # one step ahead unless told
    assert metrics.diebold_mariano_loss(losses, np.zeros(6)) == \
        metrics.diebold_mariano_loss(losses, np.zeros(6), 1) != \
        metrics.diebold_mariano_loss(losses, np.zeros(6), 2)
    # a loss difference that never varies is undefined, not infinitely significant
    assert np.isnan(metrics.diebold_mariano_loss([2.0, 2, 2], [1.0, 1, 1])).all()
