"""Two forecasts of the same days, compared day by day: the target's loss of each day, the
running sum of one model's gain over another, and the Diebold-Mariano test of the two.

The report draws the running sum against each run's baseline, the terminal tests every model
against every baseline, and the comparison page tests one run's model against another run's
on the days both forecast. Every function takes the rows of predictions.csv (``date``,
``seed``, ``y_true``, ``y_pred``) of one model, so it works within a run and across runs.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from forecast import metrics


def losses(rows: pd.DataFrame, target) -> pd.DataFrame:
    """The target's loss (:meth:`forecast.targets.Target.daily_loss`) of one model's
    predictions: a row per day (sorted), a column per seed."""
    loss = target.daily_loss(rows.y_true.to_numpy(), rows.y_pred.to_numpy())
    return (rows.assign(loss=loss).pivot(index="date", columns="seed", values="loss")
            .sort_index())


def common_days(*frames) -> pd.Index:
    """The days every one of ``frames`` (from :func:`losses`) has, in order."""
    days = frames[0].index
    for f in frames[1:]:
        days = days.intersection(f.index)
    return days.sort_values()


def gain(model: pd.DataFrame, reference: pd.DataFrame) -> pd.Series:
    """Each day both have: the reference's loss minus the model's, each the mean over its
    seeds. Positive on a day the model did better; its running sum (:func:`cumulative`)
    rises while the model beats the reference."""
    days = common_days(model, reference)
    return reference.loc[days].mean(axis=1) - model.loc[days].mean(axis=1)


def cumulative(model: pd.DataFrame, reference: pd.DataFrame) -> pd.Series:
    """The running sum of :func:`gain` over the days (Welch & Goyal 2008): its last value
    is the number of days times the difference of the mean losses."""
    return gain(model, reference).cumsum()


def test(model: pd.DataFrame, reference: pd.DataFrame, horizon: int = 1) -> tuple:
    """Diebold-Mariano test of equal mean loss of ``model`` and ``reference`` on the days
    both have (:func:`forecast.metrics.diebold_mariano_loss`): each of the model's seeds
    against the reference's mean over its seeds, then the mean statistic and p-value over
    the model's seeds, as a run's own tests against naive are summarised. To test one
    average against another, pass each frame's ``.mean(axis=1).to_frame()``. Returns
    ``(stat, pvalue)``, negative when the model's loss is lower; ``(nan, nan)`` without
    days or when the losses never differ."""
    days = common_days(model, reference)
    if not len(days):
        return float("nan"), float("nan")
    ref = reference.loc[days].mean(axis=1).to_numpy()
    tests = [metrics.diebold_mariano_loss(model.loc[days, s].to_numpy(), ref, horizon)
             for s in model.columns]
    return float(np.mean([t[0] for t in tests])), float(np.mean([t[1] for t in tests]))
