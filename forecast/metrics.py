"""Pure functions: forecast errors, skill against naive persistence, significance, and the
statistics of a trading strategy's daily returns.

Error functions take plain arrays of prices: ``y_true`` (what happened), ``y_pred`` (the
forecast) and, where a direction is involved, ``y_last`` (the price the forecast was made
from, i.e. the naive forecast). Trading functions take daily simple returns.
"""
from __future__ import annotations

import numpy as np


def rmse(y_true, y_pred):
    """Root mean squared error, in price units."""
    e = np.asarray(y_pred, float) - np.asarray(y_true, float)
    return float(np.sqrt(np.mean(e ** 2)))


def mae(y_true, y_pred):
    """Mean absolute error, in price units."""
    return float(np.mean(np.abs(np.asarray(y_pred, float) - np.asarray(y_true, float))))


def mape(y_true, y_pred):
    """Mean absolute percentage error, as a fraction (0.0066 is 0.66%) like every share."""
    y_true = np.asarray(y_true, float)
    return float(np.mean(np.abs((np.asarray(y_pred, float) - y_true) / y_true)))


def directional_accuracy(y_true, y_pred, y_last):
    """Share of days whose predicted move (up or down from ``y_last``) had the right sign.

    NaN for a forecast that never predicts a move (naive persistence): it has no direction
    to get right, and counting its "no move" against the rare flat day would give it ~0.
    """
    y_last = np.asarray(y_last, float)
    moved = np.sign(np.asarray(y_pred, float) - y_last)
    if not moved.any():
        return float("nan")
    return float(np.mean(moved == np.sign(np.asarray(y_true, float) - y_last)))


def theil_u(y_true, y_pred, y_last):
    """RMSE relative to naive persistence: below 1 is a lower RMSE than "tomorrow = today"
    (a win only where :func:`diebold_mariano` finds the difference significant)."""
    return rmse(y_true, y_pred) / rmse(y_true, y_last)


def summary(y_true, y_pred, y_last) -> dict:
    """The headline errors of one forecast series."""
    return {"rmse": rmse(y_true, y_pred), "mae": mae(y_true, y_pred),
            "mape": mape(y_true, y_pred),
            "directional_accuracy": directional_accuracy(y_true, y_pred, y_last),
            "theil_u": theil_u(y_true, y_pred, y_last)}


# --- significance ------------------------------------------------------------------------


def diebold_mariano(e_model, e_naive, horizon=1):
    """Diebold-Mariano test of equal squared error, with the small-sample correction.

    ``e_model`` and ``e_naive`` are the forecast errors of two models on the same days;
    ``horizon`` is how many steps ahead they forecast (errors of an h-step forecast are
    autocorrelated up to lag h-1, so the variance of the mean loss difference includes
    those autocovariances). The statistic is multiplied by the Harvey-Leybourne-Newbold
    (1997) factor sqrt((n + 1 - 2h + h(h-1)/n) / n) and compared with Student's t with n-1
    degrees of freedom, two-sided. Returns ``(stat, pvalue)``: a negative statistic means
    the first model has the smaller squared error. ``(nan, nan)`` when the loss difference
    has no variance (e.g. a model against itself).
    """
    return _diebold_mariano(np.asarray(e_model, float) ** 2 - np.asarray(e_naive, float) ** 2,
                            horizon)


def _diebold_mariano(d, horizon):
    from scipy.special import stdtr  # Student's t CDF: scipy.stats costs ~1 s to import
    n, h = len(d), int(horizon)
    dc = d - d.mean()
    autocov = [np.sum(dc[k:] * dc[:n - k]) / n for k in range(min(h, n))]
    var = autocov[0] + 2 * sum(autocov[1:])
    if n < 2 or not var > 0:
        return float("nan"), float("nan")
    dm = d.mean() / np.sqrt(var / n)
    stat = dm * np.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
    return float(stat), float(2 * stdtr(n - 1, -abs(stat)))


# --- trading statistics ------------------------------------------------------------------
# ``returns`` are simple daily returns of a strategy after costs; 252 trading days a year;
# no risk-free rate (the Sharpe and Sortino ratios are of the raw returns).

DAYS = 252


def equity(returns):
    """The value of 1 invested, after each day: the cumulative product of 1 + return."""
    return np.cumprod(1 + np.asarray(returns, float))


def drawdown(returns):
    """The fall of the equity from its running peak each day (<= 0; the start counts as a
    peak, so a loss on the first day is a drawdown)."""
    e = equity(returns)
    return e / np.maximum.accumulate(np.maximum(e, 1.0)) - 1


def total_return(returns):
    """Final equity minus 1."""
    return float(np.prod(1 + np.asarray(returns, float)) - 1)


def cagr(returns, days=DAYS):
    """Compound annual growth rate: final equity ** (days per year / number of days) - 1."""
    return float((1 + total_return(returns)) ** (days / len(returns)) - 1)


def volatility(returns, days=DAYS):
    """Annualised standard deviation of the daily returns (ddof=1)."""
    return float(np.std(np.asarray(returns, float), ddof=1) * np.sqrt(days))


def sharpe(returns, days=DAYS):
    """Annualised Sharpe ratio: mean / standard deviation (ddof=1) x sqrt(days); nan when
    the returns do not vary (a strategy that never trades)."""
    r = np.asarray(returns, float)
    sd = np.std(r, ddof=1)
    return float(r.mean() / sd * np.sqrt(days)) if sd > 0 else float("nan")


def sortino(returns, days=DAYS):
    """Annualised Sortino ratio: mean / downside deviation x sqrt(days), where the downside
    deviation is sqrt(mean(min(r, 0)^2)) over all days (target return 0)."""
    r = np.asarray(returns, float)
    down = np.sqrt(np.mean(np.minimum(r, 0) ** 2))
    return float(r.mean() / down * np.sqrt(days)) if down > 0 else float("nan")


def max_drawdown(returns):
    """The deepest drawdown, a negative fraction (-0.2 is a 20% fall from a peak)."""
    return float(np.min(drawdown(returns), initial=0.0))


def calmar(returns, days=DAYS):
    """CAGR divided by the size of the maximum drawdown; nan without a drawdown."""
    mdd = max_drawdown(returns)
    return cagr(returns, days) / -mdd if mdd < 0 else float("nan")


def moments(returns):
    """``(skew, kurtosis)`` of the returns from their central moments (kurtosis 3 for a
    normal distribution, not the excess)."""
    r = np.asarray(returns, float)
    c = r - r.mean()
    m2 = np.mean(c ** 2)
    if not m2 > 0:
        return 0.0, 3.0
    return float(np.mean(c ** 3) / m2 ** 1.5), float(np.mean(c ** 4) / m2 ** 2)


# --- deflated Sharpe ratio (Bailey & Lopez de Prado 2014) ---------------------------------
# All Sharpe ratios here are per period (daily, not annualised), as in the paper.

EULER_GAMMA = 0.5772156649015329


def expected_max_sharpe(n_trials, trials_var):
    """The expected largest Sharpe ratio among ``n_trials`` unskilled strategies whose
    estimated Sharpe ratios vary with variance ``trials_var`` (false strategy theorem)."""
    from scipy.special import ndtri  # the normal quantile, without importing scipy.stats
    if n_trials < 2 or not trials_var > 0:
        return 0.0
    return float(np.sqrt(trials_var) * ((1 - EULER_GAMMA) * ndtri(1 - 1 / n_trials)
                                        + EULER_GAMMA * ndtri(1 - 1 / (n_trials * np.e))))


def probabilistic_sharpe(sharpe, benchmark, n_obs, skew=0.0, kurtosis=3.0):
    """The probability that the true Sharpe ratio exceeds ``benchmark``, given a Sharpe
    ratio ``sharpe`` estimated from ``n_obs`` returns with that skew and kurtosis."""
    from scipy.special import ndtr  # the normal CDF
    spread = 1 - skew * sharpe + (kurtosis - 1) / 4 * sharpe ** 2
    if not (n_obs > 1 and spread > 0 and np.isfinite(sharpe)):
        return float("nan")
    return float(ndtr((sharpe - benchmark) * np.sqrt(n_obs - 1) / np.sqrt(spread)))


def deflated_sharpe(sharpe, n_trials, n_obs, skew, kurtosis, trials_var):
    """Deflated Sharpe ratio: the probability that the true Sharpe ratio exceeds the best
    one ``n_trials`` unskilled trials would be expected to show by luck.

    ``sharpe``: daily Sharpe ratio of the strategy; ``n_obs``: its number of daily returns;
    ``skew``, ``kurtosis``: of those returns (kurtosis 3 = normal); ``n_trials``: how many
    strategies were tried; ``trials_var``: the variance of their daily Sharpe ratios.
    Near 1: unlikely to be luck; 0.5 or below: no better than the best of the trials.
    """
    return probabilistic_sharpe(sharpe, expected_max_sharpe(n_trials, trials_var), n_obs,
                                skew, kurtosis)


# --- probability forecasts (target "direction") ---------------------------------------------
# ``y_true`` is 1 for a rise and 0 otherwise; ``y_pred`` the forecast probability of a rise.


def accuracy(y_true, y_pred):
    """Share of days whose call (a rise when ``y_pred > 0.5``) was right."""
    return float(np.mean((np.asarray(y_pred, float) > 0.5) == (np.asarray(y_true) == 1)))


def balanced_accuracy(y_true, y_pred):
    """Mean of the hit rates on rises and on falls: 0.5 for a constant call, whatever the
    base rate (plain accuracy rewards always calling the more common outcome)."""
    up, call = np.asarray(y_true) == 1, np.asarray(y_pred, float) > 0.5
    rates = [np.mean(call[days] == side) for side, days in ((True, up), (False, ~up))
             if days.any()]
    return float(np.mean(rates))


def brier(y_true, y_pred):
    """Brier score: the mean squared difference of probability and outcome (lower is
    better; 0.25 for a constant 0.5)."""
    return float(np.mean((np.asarray(y_pred, float) - np.asarray(y_true, float)) ** 2))


def brier_skill(y_true, y_pred, y_ref):
    """1 - Brier / Brier of the reference forecast ``y_ref`` (climatology): above 0 is a
    lower Brier score than its, 1 is perfect."""
    return 1 - brier(y_true, y_pred) / brier(y_true, y_ref)


LOG_LOSS_EPS = 1e-15  # probabilities are clipped to [eps, 1 - eps], as scikit-learn did


def log_loss(y_true, y_pred):
    """Mean negative log likelihood of the outcomes (natural log; log 2 = 0.693 for 0.5)."""
    y = np.asarray(y_true, float)
    p = np.clip(np.asarray(y_pred, float), LOG_LOSS_EPS, 1 - LOG_LOSS_EPS)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def roc_auc(y_true, y_pred):
    """Area under the ROC curve: the probability that a random rise got a higher forecast
    than a random fall (ties count half; Mann-Whitney). nan with only one outcome."""
    from scipy.stats import rankdata
    y = np.asarray(y_true) == 1
    n_up, n_down = int(y.sum()), int((~y).sum())
    if not n_up or not n_down:
        return float("nan")
    ranks = rankdata(np.asarray(y_pred, float))  # ties get their mean rank
    return float((ranks[y].sum() - n_up * (n_up + 1) / 2) / (n_up * n_down))


# --- variance forecasts (target "volatility") -----------------------------------------------
# ``y_true`` is a realized variance (>= 0), ``y_pred`` a forecast variance (> 0).


def qlike(y_true, y_pred):
    """QLIKE loss mean(y_true / y_pred + log y_pred) (Patton 2011): ranks variance forecasts
    correctly even when the realized variance is a noisy proxy, and is defined when it is
    0. Lower is better; it punishes forecasting too little more than too much."""
    return float(np.mean(qlike_loss(y_true, y_pred)))


def qlike_loss(y_true, y_pred):
    """The QLIKE loss of each day (for the Diebold-Mariano test)."""
    f = np.asarray(y_pred, float)
    return np.asarray(y_true, float) / f + np.log(f)


def mse(y_true, y_pred):
    """Mean squared error."""
    return float(np.mean((np.asarray(y_pred, float) - np.asarray(y_true, float)) ** 2))


def mincer_zarnowitz(y_true, y_pred) -> dict:
    """The regression y_true = intercept + slope x y_pred + e by least squares: an
    unbiased forecast has intercept 0 and slope 1; ``mz_r2`` is the share of the variance
    of what happened that the forecast explains. nan when the forecast never varies."""
    x, y = np.asarray(y_pred, float), np.asarray(y_true, float)
    xc, yc = x - x.mean(), y - y.mean()
    sxx = np.sum(xc ** 2)
    if not sxx > 0:
        return {"mz_intercept": float("nan"), "mz_slope": float("nan"),
                "mz_r2": float("nan")}
    slope = np.sum(xc * yc) / sxx
    resid = yc - slope * xc
    syy = np.sum(yc ** 2)
    return {"mz_intercept": float(y.mean() - slope * x.mean()), "mz_slope": float(slope),
            "mz_r2": float(1 - np.sum(resid ** 2) / syy) if syy > 0 else float("nan")}


def diebold_mariano_loss(loss_model, loss_other, horizon=1):
    """Diebold-Mariano test of equal mean loss on any per-day loss (QLIKE, Brier):
    :func:`diebold_mariano` with the squared errors replaced by the given losses."""
    return _diebold_mariano(np.asarray(loss_model, float) - np.asarray(loss_other, float),
                            horizon)
