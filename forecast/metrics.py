"""Pure functions of forecasts: errors, skill against naive persistence.

Every function takes plain arrays of prices: ``y_true`` (what happened), ``y_pred`` (the
forecast) and, where a direction is involved, ``y_last`` (the price the forecast was made
from, i.e. the naive forecast).
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
    """Mean absolute percentage error, in percent."""
    y_true = np.asarray(y_true, float)
    return float(100 * np.mean(np.abs((np.asarray(y_pred, float) - y_true) / y_true)))


def directional_accuracy(y_true, y_pred, y_last):
    """Share of days whose predicted move (up or down from ``y_last``) had the right sign."""
    y_last = np.asarray(y_last, float)
    return float(np.mean(np.sign(np.asarray(y_pred, float) - y_last)
                         == np.sign(np.asarray(y_true, float) - y_last)))


def theil_u(y_true, y_pred, y_last):
    """RMSE relative to naive persistence: below 1 beats "tomorrow = today"."""
    return rmse(y_true, y_pred) / rmse(y_true, y_last)


def summary(y_true, y_pred, y_last) -> dict:
    """The headline errors of one forecast series."""
    return {"rmse": rmse(y_true, y_pred), "mae": mae(y_true, y_pred),
            "mape": mape(y_true, y_pred),
            "directional_accuracy": directional_accuracy(y_true, y_pred, y_last),
            "theil_u": theil_u(y_true, y_pred, y_last)}
