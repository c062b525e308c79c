"""Indicator registry over pandas-ta, and the causality check every indicator must pass.

An indicator is a plain function ``f(prices, **params) -> pd.Series`` on the standard price
frame (see :mod:`forecast.data`). Register your own with the decorator::

    @register_indicator("momentum", scale="price")
    def momentum(prices, length=10):
        return prices["close"].shift(length)

``scale`` tells how the value becomes scale-free for ``target = "return"`` models:
``"price"`` (in price units: fed as log(value / close)), ``"bounded"`` (an oscillator such
as RSI: fed as is) or ``"free"`` (already scale-free). ``needs`` names the price columns it
reads, so that prices without them (a close-only file) are refused before any work.

Any other pandas-ta function works by its name (``{ name = "willr", length = 14 }``): its
price columns come from its signature, ``column = "..."`` picks one output of a function
that returns several, and ``scale`` is declared in the spec or inferred (pandas-ta's
"overlap" functions, and values that track the close, are in price units).
"""
from __future__ import annotations

import functools
import inspect
import re
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from forecast.errors import ForecastError, did_you_mean

SCALES = ("price", "bounded", "free")
PRICE_COLUMNS = ("open", "high", "low", "close", "volume")
SPEC_KEYS = ("column", "scale")  # read by forecast, not passed to pandas-ta


@dataclass(frozen=True)
class Indicator:
    """An entry of :data:`INDICATORS`: the function, its defaults and how it is scaled."""
    name: str
    func: Callable
    scale: str | None     # None: inferred from the values (pandas-ta functions)
    defaults: dict
    doc: str
    needs: tuple = ("close",)
    source: str = "forecast"  # or "pandas-ta", or the plugin that registered it


INDICATORS: dict[str, Indicator] = {}


def register_indicator(name: str, *, scale: str = "free", needs=("close",)):
    """Decorator adding ``func`` to :data:`INDICATORS` under ``name``.

    ``needs``: the price columns ``func`` reads (``open high low close volume``).
    """
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}, got {scale!r}")
    unknown = set(needs) - set(PRICE_COLUMNS)
    if unknown:
        raise ValueError(f"needs must name columns of {PRICE_COLUMNS}, got {sorted(unknown)}")

    def add(func):
        params = inspect.signature(func).parameters
        defaults = {k: p.default for k, p in list(params.items())[1:]
                    if p.default is not inspect.Parameter.empty}
        doc = (inspect.getdoc(func) or "").split("\n")[0]
        module = getattr(func, "__module__", "") or ""
        source = "forecast" if module.startswith("forecast.") else module
        INDICATORS[name] = Indicator(name, func, scale, defaults, doc, tuple(needs), source)
        return func
    return add


def resolve(name: str) -> Indicator:
    """The registered indicator ``name``, else pandas-ta's function of that name."""
    if name in INDICATORS:
        return INDICATORS[name]
    entry = _from_ta(name) if isinstance(name, str) else None
    if entry is None:
        raise ForecastError(f'unknown indicator "{name}".'
                            + did_you_mean(name, dict.fromkeys([*INDICATORS, *ta_names()]))
                            + " See `forecast indicators --all`.")
    return entry


@functools.cache
def ta_names() -> tuple:
    """Every indicator function pandas-ta offers, by category order."""
    ta = _ta()
    return tuple(n for names in ta.Category.values() for n in names
                 if callable(getattr(ta, n, None)))


@functools.cache
def _from_ta(name: str) -> Indicator | None:
    if name not in ta_names():
        return None
    func = getattr(_ta(), name)
    params = inspect.signature(func).parameters
    needs = tuple(c for c in PRICE_COLUMNS if (c if c != "open" else "open_") in params)
    own = [k for k, p in params.items() if p.kind is p.POSITIONAL_OR_KEYWORD
           and k not in ("open_", *PRICE_COLUMNS, "talib")]
    # options read from **kwargs (such as ichimoku's lookahead) count as parameters too
    extra = re.findall(r"kwargs(?:\.get\(|\[)\s*[\"'](\w+)", inspect.getsource(func))
    defaults = {k: params[k].default if params[k].default is not inspect.Parameter.empty
                else None for k in own}
    defaults.update({k: None for k in extra if k not in defaults and k != "fillna"})
    category = next(c for c, names in _ta().Category.items() if name in names)
    doc = (inspect.getdoc(func) or name).split("\n")[0].strip()

    def call(prices, **kw):
        args = {("open_" if c == "open" else c): prices[c] for c in needs}
        if "talib" in params:
            kw["talib"] = False  # results must not depend on whether TA-Lib is installed
        return func(**args, **kw)
    return Indicator(name, call, "price" if category == "overlap" else None, defaults,
                     doc, needs, "pandas-ta")


def column_name(spec: dict) -> str:
    """``{"name": "sma", "length": 20}`` -> ``"sma_20"``."""
    params = [str(v) for k, v in spec.items() if k != "name"]
    return "_".join([spec["name"], *params])


def check_specs(specs) -> None:
    """Refuse unknown indicator names and parameters before any data is loaded."""
    for spec in specs:
        name = spec.get("name")
        ind = resolve(name)
        allowed = {**ind.defaults, **({"column": None} if ind.source == "pandas-ta" else {}),
                   "scale": None}
        for key in spec:
            if key != "name" and key not in allowed:
                raise ForecastError(f'indicator "{name}" has no parameter "{key}".'
                                    + did_you_mean(key, allowed))
        if spec.get("scale") is not None and spec["scale"] not in SCALES:
            raise ForecastError(f'indicator "{name}": scale must be one of '
                                f'{", ".join(SCALES)}, got {spec["scale"]!r}')


def check_columns(prices: pd.DataFrame, specs) -> None:
    """Refuse indicators that need price columns ``prices`` lack (a close-only file)."""
    for spec in specs:
        missing = [c for c in resolve(spec["name"]).needs if c not in prices.columns]
        if missing:
            raise ForecastError(f"indicator {column_name(spec)} needs the "
                                f"{', '.join(missing)} column(s), which these prices lack "
                                f"(they have {', '.join(prices.columns)}): use prices with "
                                "them, or indicators of the close only")


def scale_of(spec: dict, values: pd.Series, close: pd.Series) -> str:
    """How ``values`` become scale-free: the spec's ``scale``, the indicator's, or inferred
    (values within 10% of the close on the median day are in price units)."""
    scale = spec.get("scale") or resolve(spec["name"]).scale
    if scale is None:
        ratio = (values / close).to_numpy("float64")
        ratio = ratio[np.isfinite(ratio)]
        scale = "price" if len(ratio) and np.median(np.abs(ratio - 1)) < 0.1 else "free"
    return scale


def compute(prices: pd.DataFrame, spec: dict) -> pd.Series:
    """One indicator's values, checked: a series as long as ``prices``, named by its spec."""
    ind = resolve(spec["name"])
    params = {k: v for k, v in spec.items() if k not in ("name", *SPEC_KEYS)}
    try:
        out = ind.func(prices, **params)
    except KeyError as e:
        if e.args and e.args[0] in PRICE_COLUMNS:
            raise ForecastError(f"indicator {column_name(spec)} needs a {e.args[0]} column, "
                                "which these prices lack") from None
        raise ForecastError(f'indicator {column_name(spec)} failed: {e}') from None
    except Exception as e:
        raise ForecastError(f'indicator {column_name(spec)} failed: {e}') from None
    if isinstance(out, tuple) and out:  # ichimoku: (today's lines, the lines ahead)
        out = out[0]
    out = _one_column(out, spec)
    # pandas-ta fails silently: None for a short series, the input frame for a bad column
    if out is None:
        raise ForecastError(f"indicator {column_name(spec)} gave no series for "
                            f"{len(prices)} rows: is the history shorter than its length?")
    if not isinstance(out, pd.Series) or len(out) != len(prices):  # a user's function
        got = (f"{len(out)} values" if isinstance(out, pd.Series)
               else f"a {type(out).__name__}")
        raise ForecastError(f"indicator {column_name(spec)} gave {got} for {len(prices)} "
                            "rows of prices: return a pandas Series with the prices' index, "
                            "one value a row")
    return out.astype("float64").rename(column_name(spec))


def _one_column(out, spec):
    if not isinstance(out, pd.DataFrame):
        return out
    column = spec.get("column")
    if column is not None:
        if column not in out.columns:
            raise ForecastError(f'indicator {spec["name"]} has no column "{column}".'
                                + did_you_mean(column, out.columns))
        return out[column]
    if out.shape[1] == 1:
        return out.iloc[:, 0]
    raise ForecastError(f'indicator {spec["name"]} gives {out.shape[1]} columns '
                        f'({", ".join(map(str, out.columns))}): pick one with column = "..."')


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
                                f"{day} changes when later rows are removed; "
                                + (_causal_fix(spec) or "it cannot be used for forecasting"))


# pandas-ta's indicators that look ahead by default, and the setting that makes them causal
# (tests/test_indicators.py runs the causality check on each fix)
CAUSAL_FIX = {
    "dpo": "set centered = false in its spec: the centred DPO reads later prices",
    "ichimoku": 'its chikou span is a later close in every setting: pick another column, '
                'e.g. column = "ISA_9"',
}


def _causal_fix(spec: dict) -> str | None:
    """The fix for a pandas-ta indicator's look-ahead default, when it has one."""
    if resolve(spec["name"]).source != "pandas-ta":  # a plugin's "dpo" is not pandas-ta's
        return None
    return CAUSAL_FIX.get(spec["name"])


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


@register_indicator("atr", scale="free", needs=("high", "low", "close"))
def atr(prices, length=14):
    """Average true range divided by the close (scale-free volatility)."""
    a = _ta().atr(prices["high"], prices["low"], prices["close"], length=length, talib=False)
    return None if a is None else a / prices["close"]


@register_indicator("roc", scale="free")
def roc(prices, length=10):
    """Rate of change of the close over ``length`` days, in percent."""
    return _ta().roc(prices["close"], length=length, talib=False)


@register_indicator("log_volume", scale="free", needs=("volume",))
def log_volume(prices):
    """Log of one plus the day's volume."""
    return np.log1p(prices["volume"])
