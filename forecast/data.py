"""Daily prices from one of three sources (or a user's DataFrame), in one shape
(:mod:`forecast.ohlcv`).

- ``sample``: real S&P 500 and NASDAQ daily prices 1999-2018 shipped by the ``arch`` package;
  offline, the default.
- ``yahoo``: yfinance, adjusted prices, cached on disk under ``data/cache/yahoo``
  (:mod:`forecast.yahoo`).
- ``csv``: a user's price file (:mod:`forecast.csvfile`).
- a pandas DataFrame of the user's (:func:`forecast.ohlcv.from_frame`): the same validation
  as a CSV; ``yf.download``'s two levels of columns are read when they hold one ticker.

:func:`load_prices` records the repairs in ``prices.attrs["repairs"]`` and, for Yahoo prices
served from the cache, the file and its age in ``prices.attrs["cache"]``, so that a run can
say what it ran on.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pandas as pd

from forecast import yahoo
from forecast.csvfile import read_csv
from forecast.days import iso, parse_day
from forecast.errors import ForecastError, did_you_mean
from forecast.ohlcv import check_gaps, from_frame, normalise

SOURCES = ("sample", "yahoo", "csv")
MISSING = ("refuse", "drop")  # data.missing: what becomes of a row lacking a price
SAMPLE = {"^GSPC": "sp500", "SP500": "sp500", "^IXIC": "nasdaq", "NASDAQ": "nasdaq"}
CACHE_DIR = Path(os.environ.get("FORECAST_CACHE", "data/cache"))


def load_prices(ticker="^GSPC", source="sample", *, csv=None, start=None, end=None,
                date_format=None, prices=None, cache_dir=None, log=None,
                missing="refuse") -> pd.DataFrame:
    """Prices of ``ticker`` from ``source``, cut to ``[start, end]``, validated.

    ``date_format`` (strftime codes) reads the CSV's dates and ``start``/``end``; without
    it they are YYYY-MM-DD. ``prices``, a user's DataFrame, replaces the source (see
    :func:`from_frame`). ``missing="drop"`` drops the rows of a CSV or a DataFrame that lack
    a price (the default refuses them). ``attrs["repairs"]`` lists what was repaired (each also logged as a
    note); ``attrs["cache"]`` is ``None``, or for Yahoo prices read from the cache a dict
    ``file, saved, age_hours, refresh_failed`` (the download error when the network failed).
    """
    log = log or (lambda msg: print(msg, file=sys.stderr))
    first = parse_day(start, "start", date_format=date_format)
    last = parse_day(end, "end", date_format=date_format, last=True)
    if first is not None and last is not None and first > last:
        raise ForecastError(f"start {start} is after end {end}: swap them")
    cache = None
    if prices is not None:
        prices = from_frame(prices, f"the prices given for {ticker}", date_format=date_format,
                            missing=missing)
    elif source == "sample":
        prices = _sample(ticker)
    elif source == "yahoo":
        prices, cache = yahoo.load(ticker, iso(first), iso(last),
                                   Path(cache_dir or CACHE_DIR), log)
    elif source == "csv":
        prices = read_csv(csv, date_format=date_format, missing=missing)
    else:
        raise ForecastError(f'unknown source "{source}".' + did_you_mean(source, SOURCES))
    repairs = list(prices.attrs.get("repairs", []))
    prices = prices.loc[first:last]
    if prices.empty:
        raise ForecastError(f"no prices for {ticker} between {start or 'the start'} and "
                            f"{end or 'the end'}: widen --start/--end")
    check_gaps(prices, str(ticker))
    prices.attrs = {"repairs": repairs, "cache": cache}
    for repair in repairs:
        log(f"note: {ticker}: {repair}")
    future = _future(prices)
    if future:  # said, not refused: the prices may be made up on purpose
        log(f"warning: {ticker}: {future}")
        repairs.append(f"warning: {future}")  # the report lists it with the repairs
    return prices


def today() -> pd.Timestamp:
    """This machine's date (tests replace it)."""
    return pd.Timestamp.now().normalize()


def _future(prices: pd.DataFrame) -> str | None:
    """A warning when prices are dated after today: almost always dates read in the wrong
    format, or a made-up file."""
    now = today()
    # a day of slack: an exchange east of here may already trade on what is tomorrow here
    late = prices.index[prices.index > now + pd.Timedelta(days=1)]
    if not len(late):
        return None
    return (f"{len(late)} day(s) after today ({now.date()}), the first {late[0].date()}: "
            "check the date format (--date-format) or where the file came from; the "
            "backtest uses them as they are")


def prices_of(spec, *, prices=None, log=None) -> pd.DataFrame:
    """:func:`load_prices` as an experiment's ``[data]`` table (a
    :class:`forecast.config.DataSpec`) says; ``prices``: a user's DataFrame instead of its
    source."""
    return load_prices(spec.ticker, spec.source, csv=spec.csv, start=spec.start, end=spec.end,
                       date_format=spec.date_format, missing=spec.missing, prices=prices,
                       log=log)


def _sample(ticker):
    key = SAMPLE.get(str(ticker).upper())
    if key is None:
        raise ForecastError(f'the sample source has no ticker "{ticker}": it holds '
                            f"{', '.join(SAMPLE)}; use --source yahoo or --source csv "
                            "for others")
    # arch's own loader, read without importing arch: that imports scipy.stats and arch's
    # models (~1 s and ~150 MB) for one CSV file
    from importlib.util import find_spec
    path = Path(find_spec("arch").origin).parent / "data" / key / f"{key}.csv.gz"
    frame = pd.read_csv(path, index_col="Date", parse_dates=["Date"])
    return normalise(frame, f"sample {ticker}")
