"""Lookback windows and their targets: the only place with index arithmetic.

The contract is Keras' ``timeseries_dataset_from_array``: ``targets[i]`` belongs to the window
that starts at row ``i``. Window ``i`` holds rows ``i .. i + lookback - 1``; its last row,
``end[i] = i + lookback - 1``, is "today"; its target is ``series[end[i] + horizon]``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Windows:
    """What :func:`make_windows` returns: the windows, their targets and last rows."""
    X: np.ndarray       # (n, lookback, features), a read-only view: no copy
    target: np.ndarray  # (n,) series[end + horizon]
    end: np.ndarray     # (n,) row index of each window's last row


def make_windows(features, series, lookback: int, horizon: int = 1) -> Windows:
    """All full windows over ``features`` (rows x columns) with targets from ``series``."""
    features = np.asarray(features)
    series = np.asarray(series)
    if features.ndim == 1:
        features = features[:, None]
    if len(features) != len(series):
        raise ValueError(f"features have {len(features)} rows, series {len(series)}")
    n = len(features) - lookback - horizon + 1
    if lookback < 1 or horizon < 1 or n < 1:
        raise ValueError(f"{len(features)} rows make no window of {lookback} with horizon "
                         f"{horizon}")
    view = np.lib.stride_tricks.sliding_window_view(features, lookback, axis=0)
    X = view[:n].transpose(0, 2, 1)  # (n, features, lookback) -> (n, lookback, features)
    end = np.arange(n) + lookback - 1
    return Windows(X, series[end + horizon], end)


def rows_needed(lookback: int, horizon: int, samples: int) -> int:
    """Rows of features that make ``samples`` windows (the inverse of ``make_windows``)."""
    return samples + lookback + horizon - 1


def trailing_sum(values, end, length: int) -> np.ndarray:
    """Sum of ``values`` over the ``length`` rows up to and including each row ``end``
    (what is known at that row's close); nan where that reaches before the first row."""
    return _window_sums(values, np.asarray(end) - length + 1, length)


def future_sum(values, end, horizon: int) -> np.ndarray:
    """Sum of ``values`` over rows ``end + 1 .. end + horizon``: the ``horizon`` days a
    forecast made at row ``end`` is about."""
    return _window_sums(values, np.asarray(end) + 1, horizon)


def _window_sums(values, first, length):
    # each sum adds its own rows (no running total minus running total: that would lose
    # the digits of small numbers such as daily squared returns)
    sums = np.lib.stride_tricks.sliding_window_view(np.asarray(values, float), length).sum(-1)
    ok = (first >= 0) & (first < len(sums))
    out = np.full(len(first), np.nan)
    out[ok] = sums[first[ok]]
    return out
