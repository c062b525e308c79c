"""The volatility target's baselines (:mod:`forecast.targets`): ``ewma`` (RiskMetrics),
``garch`` (GARCH(1,1) from ``arch``) and ``har`` (HAR-RV, Corsi 2009).

They forecast the realized variance of the h days after each test day from the daily log
returns up to that day (``fold.returns[: fold.test_end[j] + 1]``) and parameters estimated
on the training rows only (up to the last training sample's day).

``ewma`` and ``har`` are written here rather than taken from arch's ``EWMAVariance`` and
``HARX``, which define each a little differently (each class says how, and by how much);
``tests/test_models.py`` compares them with arch's on the S&P 500.
"""
from __future__ import annotations

import numpy as np

from forecast.models.registry import register_model
from forecast.windows import trailing_sum


class EWMA:
    """RiskMetrics: next day's variance = lam x today's + (1 - lam) x today's squared
    return; over h days h times that (the forecast is flat). The first day's variance is
    the training rows' mean squared return.

    arch's ``EWMAVariance`` (zero mean) runs the same recursion from another start: the
    squared returns of the first 75 days weighted by 0.94^i. A start's weight on a forecast
    k days later is lam^k, so the two agree once the training is long: on the S&P 500 from
    2,500 training rows (every fold of ``backtests/sp500_volatility.toml``) to the last bit;
    from 300, within 7e-10; from 100, within 2.5e-4 on the first test day. arch's
    ``forecast()`` recomputes its own start even when ``fit(backcast=...)`` was given one,
    so this start could not be passed to it.
    """
    deterministic = True
    params = 0

    def __init__(self, lam):
        self.lam = lam

    def fit(self, fold):
        return {}

    def predict(self, fold):
        from scipy.signal import lfilter
        r2 = fold.returns[1:fold.test_end[-1] + 1] ** 2  # row 0 has no return
        if fold.days is not None:
            fold.received("fit", r2[:fold.train_end[-1]], fold.days[1:fold.train_end[-1] + 1])
        # the training rows' variance (not arch's start: see the class's docstring)
        start = float(np.mean(r2[:fold.train_end[-1]]))
        # var[k]: the forecast for the day after row k + 1, from rows up to k + 1
        var, _ = lfilter([1 - self.lam], [1, -self.lam], r2, zi=[self.lam * start])
        return fold.horizon * var[fold.test_end - 1]


class Garch:
    """GARCH(1,1) with a constant mean (``arch``) on percent returns: estimated on the
    training rows, then run through the test days with those parameters fixed."""
    deterministic = True
    params = 4

    def fit(self, fold):
        from arch import arch_model
        r = 100 * fold.returns[1:fold.test_end[-1] + 1]  # position k is row k + 1
        model = arch_model(r, mean="Constant", vol="GARCH", p=1, q=1)
        # the later returns are in the model to be filtered through, not estimated on
        last = int(fold.train_end[-1])
        if fold.days is not None:
            fold.received("fit", r[:last], fold.days[1:last + 1])
        self.fitted = model.fit(last_obs=last, disp="off")
        return {}

    def predict(self, fold):
        first = int(fold.test_end[0]) - 1
        var = self.fitted.forecast(horizon=fold.horizon, start=first, reindex=False).variance
        return var.to_numpy().sum(1)[fold.test_end - 1 - first] / 100 ** 2


class HAR:
    """HAR-RV (Corsi 2009): the next h days' realized variance regressed on the mean
    squared return of the last day, week (5 days) and month (22 days); at least the
    smallest positive training target.

    arch's ``HARX`` on the daily squared returns with lags 1, 5 and 22 has the same
    regressors (means of the lagged squared returns) and the same least squares, and one
    day ahead the same forecasts (S&P 500: within 3e-15). Beyond one day it differs: it
    forecasts each of the h days from the day before's forecast and sums them, where this
    regresses the h days' realized variance directly. With h = 5
    (``backtests/sp500_volatility.toml``) arch's forecasts differ by 5.3% (median; up to
    32%) and its QLIKE is -6.8958 against this one's -6.8981 (GARCH: -6.9049).
    """
    deterministic = True
    params = 4
    LAGS = (1, 5, 22)

    def _inputs(self, fold, end):
        r2 = fold.returns ** 2
        return np.column_stack([np.ones(len(end))] + [trailing_sum(r2, end, n) / n
                                                      for n in self.LAGS])

    def fit(self, fold):
        # y: the h days' realized variance, forecast directly (arch's HARX iterates one day)
        X, y = self._inputs(fold, fold.train_end), fold.train_truth
        if fold.dates is not None:
            fold.received("fit", y, fold.dates["train"])
        ok = np.isfinite(X).all(1) & np.isfinite(y)
        self.coef = np.linalg.lstsq(X[ok], y[ok], rcond=None)[0]
        self.floor = float(np.min(y[ok][y[ok] > 0]))  # a variance forecast must be > 0
        return {}

    def predict(self, fold):
        return np.maximum(self._inputs(fold, fold.test_end) @ self.coef, self.floor)


@register_model("ewma", targets=("volatility",), lam=0.94)
def ewma(lam, **_):
    """RiskMetrics exponentially weighted variance, lambda 0.94 (volatility)."""
    return EWMA(lam)


@register_model("garch", targets=("volatility",))
def garch(**_):
    """GARCH(1,1) fitted on each fold's training returns (volatility)."""
    return Garch()


@register_model("har", targets=("volatility",))
def har(**_):
    """HAR-RV: regression on last day's, week's and month's realized variance."""
    return HAR()
