"""Indicator registry over pandas-ta, and the causality check every indicator must pass.

An indicator is a plain function ``f(prices, **params) -> pd.Series`` on the standard price
frame (see :mod:`forecast.data`). Register your own with the decorator::

    @register_indicator("momentum", scale="price")
    def momentum(prices, length=10):
        return prices["close"].shift(length)

``scale`` tells how the value becomes scale-free for ``target = "return"`` models:
``"price"`` (in price units: fed as log(value / close)), ``"bounded"`` (an oscillator such
as RSI: fed as is) or ``"free"`` (already scale-free).
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from forecast.errors import ForecastError, did_you_mean

SCALES = ("price", "bounded", "free")


@dataclass(frozen=True)
class Indicator:
    name: str
    func: Callable
    scale: str
    defaults: dict
    doc: str


INDICATORS: dict[str, Indicator] = {}


def register_indicator(name: str, *, scale: str = "free"):
    """Decorator adding ``func`` to :data:`INDICATORS` under ``name``."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}, got {scale!r}")

    def add(func):
        params = inspect.signature(func).parameters
        defaults = {k: p.default for k, p in list(params.items())[1:]
                    if p.default is not inspect.Parameter.empty}
        doc = (inspect.getdoc(func) or "").split("\n")[0]
        INDICATORS[name] = Indicator(name, func, scale, defaults, doc)
        return func
    return add


def column_name(spec: dict) -> str:
    """``{"name": "sma", "length": 20}`` -> ``"sma_20"``."""
    params = [str(v) for k, v in spec.items() if k != "name"]
    return "_".join([spec["name"], *params])


def check_specs(specs) -> None:
    """Refuse unknown indicator names and parameters before any data is loaded."""
    for spec in specs:
        name = spec.get("name")
        if name not in INDICATORS:
            raise ForecastError(f'unknown indicator "{name}".' + did_you_mean(name, INDICATORS)
                                + " See `forecast indicators`.")
        allowed = INDICATORS[name].defaults
        for key in spec:
            if key != "name" and key not in allowed:
                raise ForecastError(f'indicator "{name}" has no parameter "{key}".'
                                    + did_you_mean(key, allowed))


def compute(prices: pd.DataFrame, spec: dict) -> pd.Series:
    """One indicator's values, checked: a series as long as ``prices``, named by its spec."""
    ind = INDICATORS[spec["name"]]
    params = {k: v for k, v in spec.items() if k != "name"}
    try:
        out = ind.func(prices, **params)
    except Exception as e:
        raise ForecastError(f'indicator {column_name(spec)} failed: {e}') from None
    # pandas-ta fails silently: None for a short series, the input frame for a bad column
    if isinstance(out, pd.DataFrame) and out.shape[1] == 1:
        out = out.iloc[:, 0]
    if not isinstance(out, pd.Series) or len(out) != len(prices):
        raise ForecastError(f"indicator {column_name(spec)} gave no series for "
                            f"{len(prices)} rows: is the history shorter than its length?")
    return out.astype("float64").rename(column_name(spec))


def check_causal(prices: pd.DataFrame, spec: dict, *, cuts: int = 4) -> None:
    """Refuse an indicator whose value at ``t`` changes when rows after ``t`` are dropped."""
    full = compute(prices, spec).to_numpy()
    n = len(prices)
    for t in np.linspace(n // 2, n - 2, cuts).astype(int):
        try:
            part = compute(prices.iloc[: t + 1], spec).to_numpy()
        except ForecastError:
            continue  # a prefix too short for the indicator says nothing about look-ahead
        a, b = full[: t + 1], part
        same = np.isclose(a, b, rtol=1e-9, atol=1e-9) | (np.isnan(a) & np.isnan(b))
        if not same.all():
            day = prices.index[int(np.argmin(same))].date()
            raise ForecastError(f"indicator {column_name(spec)} looks ahead: its value on "
                                f"{day} changes when later rows are removed; it cannot be "
                                "used for forecasting")


def _ta():
    import pandas_ta as ta
    return ta


@register_indicator("sma", scale="price")
def sma(prices, length=20):
    """Simple moving average of the close."""
    return _ta().sma(prices["close"], length=length, talib=False)


@register_indicator("ema", scale="price")
def ema(prices, length=50):
    """Exponential moving average of the close (seeded with the SMA)."""
    return _ta().ema(prices["close"], length=length, talib=False)


@register_indicator("wma", scale="price")
def wma(prices, length=20):
    """Weighted moving average of the close."""
    return _ta().wma(prices["close"], length=length, talib=False)


@register_indicator("bbands_upper", scale="price")
def bbands_upper(prices, length=20, std=2.0):
    """Upper Bollinger band of the close."""
    bands = _ta().bbands(prices["close"], length=length, std=std, talib=False)
    return None if bands is None else bands.filter(like="BBU").iloc[:, 0]


@register_indicator("bbands_lower", scale="price")
def bbands_lower(prices, length=20, std=2.0):
    """Lower Bollinger band of the close."""
    bands = _ta().bbands(prices["close"], length=length, std=std, talib=False)
    return None if bands is None else bands.filter(like="BBL").iloc[:, 0]


@register_indicator("rsi", scale="bounded")
def rsi(prices, length=14):
    """Relative strength index of the close, 0..100."""
    return _ta().rsi(prices["close"], length=length, talib=False)


@register_indicator("macd", scale="free")
def macd(prices, fast=12, slow=26, signal=9):
    """MACD histogram divided by the close (scale-free)."""
    m = _ta().macd(prices["close"], fast=fast, slow=slow, signal=signal, talib=False)
    return None if m is None else m.filter(like="MACDh").iloc[:, 0] / prices["close"]


@register_indicator("atr", scale="free")
def atr(prices, length=14):
    """Average true range divided by the close (scale-free volatility)."""
    a = _ta().atr(prices["high"], prices["low"], prices["close"], length=length, talib=False)
    return None if a is None else a / prices["close"]


@register_indicator("roc", scale="free")
def roc(prices, length=10):
    """Rate of change of the close over ``length`` days, in percent."""
    return _ta().roc(prices["close"], length=length, talib=False)


@register_indicator("log_volume", scale="free")
def log_volume(prices):
    """Log of one plus the day's volume."""
    return np.log1p(prices["volume"])
