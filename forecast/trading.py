"""Trading backtest of forecasts: would acting on them have made money after costs?

Row t of a forecast series was made at the close of day t (``y_last`` is that close) for
the ``horizon`` h days after it. Positions are daily: the position held from the close of
day t to the close of day t+1 is decided from the forecast made at day t alone, so it uses
information up to day t only. The target turns a forecast into a position
(:meth:`forecast.targets.Target.positions`):

- price and return: predicted return ``y_pred / y_last - 1``; long (1) when it exceeds
  ``threshold``, flat (0) otherwise; with ``long_short`` short (-1) below ``-threshold``;
- direction: long when the probability of a rise exceeds 0.5 + ``threshold``;
- volatility: volatility targeting, ``target_vol`` / forecast volatility, at most
  ``max_leverage`` (no cost of borrowing is charged).

The day's return is ``position x (close[t+1] / close[t] - 1)`` minus ``cost_bps / 1e4`` per
unit of turnover ``|position - previous position|`` (the first day trades from flat).
Buy-and-hold is long every day of the same period and pays the same cost to get in.

With h > 1 a forecast made at day t is about days t+1 .. t+h, but it decides only the
position over day t+1: the next day the newer forecast made at t+1 takes over. Every day is
traded once, on the newest forecast, so positions never overlap and never wait for a
forecast made later than the day they are taken.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast import metrics
from forecast.targets import TARGETS

STATISTICS = ("total_return", "cagr", "volatility", "sharpe", "sortino", "max_drawdown",
              "calmar", "hit_rate", "exposure", "turnover")


def positions(y_last, y_pred, *, threshold=0.0, long_short=False) -> np.ndarray:
    """The position (1 long, 0 flat, -1 short) each price forecast calls for."""
    return TARGETS["return"].positions(y_pred, y_last, threshold=threshold,
                                       long_short=long_short)


def next_day_returns(close: pd.Series, dates, horizon=1) -> np.ndarray:
    """For forecasts of the closes of ``dates`` made ``horizon`` trading days earlier (day
    t), the return from the close of day t to the close of day t+1."""
    t = close.index.get_indexer(pd.DatetimeIndex(dates)) - horizon
    if (t < 0).any():
        raise ValueError("a forecast's date is not among the closes")
    c = close.to_numpy(float)
    return c[t + 1] / c[t] - 1


def simulate(y_last, y_pred, y_true, *, threshold=0.0, cost_bps=5.0, long_short=False,
             dates=None) -> pd.DataFrame:
    """Trade on the forecasts, one row per day (index ``dates`` when given).

    Columns: ``position`` (held over the day), ``asset_return`` (close to close),
    ``turnover`` (position change paid for), ``return`` (after costs), ``equity`` (value of
    1 invested) and ``drawdown`` (from the running peak, <= 0).
    """
    if cost_bps < 0:
        raise ValueError(f"cost_bps must be >= 0, got {cost_bps}")
    pos = positions(y_last, y_pred, threshold=threshold, long_short=long_short)
    return _account(pos, np.asarray(y_true, float) / np.asarray(y_last, float) - 1,
                    cost_bps, dates)


def buy_and_hold(y_last, y_true, *, cost_bps=5.0, dates=None) -> pd.DataFrame:
    """Long every day: the benchmark, in the same columns as :func:`simulate`."""
    asset = np.asarray(y_true, float) / np.asarray(y_last, float) - 1
    return _account(np.ones(len(asset)), asset, cost_bps, dates)


def _account(pos, asset, cost_bps, dates) -> pd.DataFrame:
    # a position change is paid out of the return of the day the new position is held:
    # the decision made at the close of day t never changes the equity booked up to day t
    turnover = np.abs(np.diff(pos, prepend=0.0))
    net = pos * asset - cost_bps / 1e4 * turnover + 0.0  # + 0.0: no -0.0 on flat days
    return pd.DataFrame({"position": pos, "asset_return": asset, "turnover": turnover,
                         "return": net, "equity": metrics.equity(net),
                         "drawdown": metrics.drawdown(net)},
                        index=None if dates is None else pd.Index(dates, name="date"))


def statistics(sim: pd.DataFrame) -> dict:
    """The :data:`STATISTICS` of one simulation (annualised with 252 days).

    ``hit_rate``: share of the days with a position whose return before costs was positive;
    ``exposure``: mean absolute position (share of days in the market when long only);
    ``turnover``: mean daily position change x 252 (times the capital is traded a year).
    Ratios that are undefined (no variation, no drawdown, never in the market) are nan.
    """
    r = sim["return"].to_numpy()
    pos = sim["position"].to_numpy()
    held = pos != 0
    gross = pos * sim["asset_return"].to_numpy()
    return {"total_return": metrics.total_return(r), "cagr": metrics.cagr(r),
            "volatility": metrics.volatility(r), "sharpe": metrics.sharpe(r),
            "sortino": metrics.sortino(r), "max_drawdown": metrics.max_drawdown(r),
            "calmar": metrics.calmar(r),
            "hit_rate": float(np.mean(gross[held] > 0)) if held.any() else float("nan"),
            "exposure": float(np.mean(np.abs(pos))),
            "turnover": float(np.mean(sim["turnover"]) * metrics.DAYS)}


@dataclass
class Backtest:
    """Every strategy of a run traded, and buy-and-hold over the same days."""
    stats: dict              # (model, seed) -> statistics + deflated_sharpe
    buy_and_hold: dict       # statistics of buy-and-hold
    equity: pd.DataFrame     # date, model, seed, position, return, equity, drawdown
    settings: dict           # threshold, cost_bps, long_short and the deflation inputs


def backtest(predictions: pd.DataFrame, *, target="return", close=None, horizon=1,
             cost_bps=5.0, **settings) -> Backtest:
    """Trade every (model, seed) of ``predictions`` (the columns of predictions.csv).

    ``target``: a name in :data:`forecast.targets.TARGETS` (or the object), which turns
    forecasts into positions given ``horizon`` and ``settings`` (``threshold``,
    ``long_short``, ``target_vol``, ``max_leverage``). ``close``: the closes by date, of
    which each day's return is taken; without it the return is ``y_true / y_last - 1``,
    right only for price forecasts one day ahead.

    Each (model, seed) is a trial for the deflated Sharpe ratio, except that seeds giving
    the very same daily returns (a deterministic model) count once: ``n_trials`` is the
    number of distinct strategies and ``trials_sharpe_var`` the variance (ddof=1) of their
    daily Sharpe ratios (those that are defined: a strategy that never trades has none).
    """
    if cost_bps < 0:
        raise ValueError(f"cost_bps must be >= 0, got {cost_bps}")
    target = TARGETS[target] if isinstance(target, str) else target
    settings = {"threshold": 0.0, "long_short": False, **settings}

    def asset(g):
        if close is None:
            return g.y_true.to_numpy(float) / g.y_last.to_numpy(float) - 1
        return next_day_returns(close, g.date, horizon)

    sims = {}
    for (model, seed), g in predictions.groupby(["model", "seed"], sort=False):
        g = g.sort_values("date")
        pos = target.positions(g.y_pred.to_numpy(float), g.y_last.to_numpy(float),
                               horizon=horizon, **settings)
        sims[model, int(seed)] = _account(pos, asset(g), cost_bps, g.date)
    days = predictions.drop_duplicates("date").sort_values("date")  # same days for all
    bh = _account(np.ones(len(days)), asset(days), cost_bps, days.date)

    distinct = {s["return"].to_numpy().tobytes(): s for s in sims.values()}.values()
    daily = np.array([metrics.sharpe(s["return"], days=1) for s in distinct])
    n_trials = len(daily)
    daily = daily[np.isfinite(daily)]
    trials_var = float(np.var(daily, ddof=1)) if len(daily) > 1 else 0.0
    stats = {}
    for key, s in sims.items():
        r = s["return"].to_numpy()
        skew, kurtosis = metrics.moments(r)
        stats[key] = {**statistics(s), "deflated_sharpe": metrics.deflated_sharpe(
            metrics.sharpe(r, days=1), n_trials, len(r), skew, kurtosis, trials_var)}

    frames = [s.reset_index().assign(model=m, seed=seed) for (m, seed), s in sims.items()]
    frames.append(bh.reset_index().assign(model="buy_and_hold", seed=-1))
    equity = pd.concat(frames, ignore_index=True)[
        ["date", "model", "seed", "position", "return", "equity", "drawdown"]]
    settings = {**settings, "cost_bps": cost_bps, "n_trials": n_trials,
                "trials_sharpe_var": trials_var}
    return Backtest(stats, statistics(bh), equity, settings)


def json_ready(obj):
    """``obj`` with every nan or infinite float replaced by None (strict JSON)."""
    if isinstance(obj, dict):
        return {k: json_ready(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_ready(v) for v in obj]
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj
