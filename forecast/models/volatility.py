"""The volatility target's baselines (:mod:`forecast.targets`): ``ewma`` (RiskMetrics),
``garch`` (GARCH(1,1) from ``arch``) and ``har`` (HAR-RV, Corsi 2009).

They forecast the realized variance of the h days after each test day from the daily log
returns up to that day (``fold.returns[: fold.test_end[j] + 1]``) and parameters estimated
on the training rows only (up to the last training sample's day).
"""
from __future__ import annotations

import numpy as np

from forecast.models.registry import register_model
from forecast.windows import trailing_sum


class EWMA:
    """RiskMetrics: next day's variance = lam x today's + (1 - lam) x today's squared
    return; over h days h times that (the forecast is flat)."""
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
        start = float(np.mean(r2[:fold.train_end[-1]]))  # the training rows' variance
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
    squared return of the last day, week (5 days) and month (22 days)."""
    deterministic = True
    params = 4
    LAGS = (1, 5, 22)

    def _inputs(self, fold, end):
        r2 = fold.returns ** 2
        return np.column_stack([np.ones(len(end))] + [trailing_sum(r2, end, n) / n
                                                      for n in self.LAGS])

    def fit(self, fold):
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
