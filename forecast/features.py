"""The model inputs: the close and the configured indicators, warm-up rows dropped.

For every target but ``"price"`` every column is made scale-free, so that a model trained
on 1999 prices still speaks the language of 2018 prices: the close becomes its daily log
return, indicators in price units become log(indicator / close), the rest pass unchanged. For
``target = "price"`` the raw levels are kept (the tutorial way, for comparison).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.errors import ForecastError
from forecast.indicators import check_causal, check_columns, compute, scale_of
from forecast.targets import TARGETS


@dataclass(frozen=True)
class Features:
    """What :func:`build` returns: the model inputs, the close and what was checked."""
    frame: pd.DataFrame  # one row per day, one column per model input
    close: pd.Series     # the close on the same days
    dropped: int         # warm-up rows removed from the start
    causality: dict      # column -> "passed"


def build(prices: pd.DataFrame, indicators, *, target="return", warmup=None) -> Features:
    """Feature frame for ``prices``; ``warmup=None`` drops as many rows as the inputs need."""
    close = prices["close"]
    scale_free = TARGETS[target].scale_free  # every target but "price"
    cols = {"close": np.log(close).diff() if scale_free else close}
    causality = {}
    check_columns(prices, indicators)
    for spec in indicators:
        check_causal(prices, spec)
        values = compute(prices, spec)
        if scale_free and scale_of(spec, values, close) == "price":
            values = np.log(values / close).rename(values.name)
        cols[values.name] = values
        causality[values.name] = "passed"
    frame = pd.DataFrame(cols)
    need = int(frame.notna().all(axis=1).to_numpy().argmax()) if len(frame) else 0
    if warmup is None:
        warmup = need
    elif warmup < need:
        raise ForecastError(f"features.warmup = {warmup} is too short: the indicators need "
                            f"{need} rows before every input is defined")
    frame = frame.iloc[warmup:]
    if frame.isna().to_numpy().any() or not np.isfinite(frame.to_numpy()).all():
        bad = ~np.isfinite(frame.to_numpy())
        day = frame.index[bad.any(axis=1).argmax()].date()
        worst = frame.columns[bad.sum(axis=0).argmax()]  # a plugin's all-NaN indicator
        raise ForecastError(f"an input is undefined on {day} after the warm-up ({worst} is "
                            "undefined most often): check the prices around that day")
    return Features(frame, close.iloc[warmup:], warmup, causality)
