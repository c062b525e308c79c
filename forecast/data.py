"""Daily prices from one of three sources (or a user's DataFrame), normalised to one shape.

The frame: a naive, sorted, unique daily ``DatetimeIndex`` named ``date`` and float columns,
always ``close`` (the adjusted close when the source has one) and, only when the source has
them, ``open``, ``high``, ``low`` and ``volume``, in that order (:data:`COLUMNS`). A
close-only file gives a frame of ``close`` alone: indicators that need other columns are
refused by :mod:`forecast.indicators`, so the columns must say what the source really holds.
Sources:

- ``sample``: real S&P 500 and NASDAQ daily prices 1999-2018 shipped by the ``arch`` package;
  offline, the default.
- ``yahoo``: yfinance, adjusted prices, cached on disk under ``data/cache/yahoo``.
- ``csv``: a file with a Date column and a Close or Adj Close column, optionally
  Open/High/Low/Volume, in any case; ``Adj Close`` is used for the close when present (and
  open, high, low scaled by Adj Close / Close); other columns are ignored. Columns separated
  by ``,``, ``;`` or tabs (detected from the header); with ``;`` or tabs, decimal commas
  (``1.234,56``) are read as such; with ``,``, quoted thousands commas (``"1,234.56"``).
  Dates are YYYY-MM-DD unless ``date_format`` (strftime codes, e.g. ``%d/%m/%Y``) names the
  format of the whole file: dates are never guessed row by row (formats that name the month,
  ``Nov 22, 2024``, are tried for the whole file: they leave no order to guess). The exports
  of Investing.com (``Price``, ``Vol.`` with ``1.2M``), yfinance (two or three header rows)
  and MetaTrader (``<CLOSE>``) are read as saved.
- a pandas DataFrame of the user's (:func:`from_frame`): the same validation as a CSV;
  ``yf.download``'s two levels of columns are read when they hold one ticker.

Bad input is refused with a :class:`ForecastError` naming the problem and the fix; the few
harmless defects are repaired and listed (README, "Bad input"). :func:`load_prices` records
them in ``prices.attrs["repairs"]`` and, for Yahoo prices served from the cache, the file and
its age in ``prices.attrs["cache"]``, so that a run can say what it ran on.

This is the only module that imports yfinance.
"""
from __future__ import annotations

import csv as _csv
import hashlib
import itertools
import logging
import os
import random
import re
import sys
import time
import warnings
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.errors import ForecastError, did_you_mean, one_line
from forecast.files import remove_stale, write_atomic

COLUMNS = ["open", "high", "low", "close", "volume"]  # the order of whichever are present
PRICES = ("open", "high", "low", "close")
SOURCES = ("sample", "yahoo", "csv")
SAMPLE = {"^GSPC": "sp500", "SP500": "sp500", "^IXIC": "nasdaq", "NASDAQ": "nasdaq"}
CACHE_DIR = Path(os.environ.get("FORECAST_CACHE", "data/cache"))
CACHE_MAX_AGE = 24 * 3600  # seconds before a cached download is refreshed
MAX_GAP_DAYS = 14  # longer holes between two days are refused: no market closes that long
_TICKER = re.compile(r"^[A-Za-z0-9^][A-Za-z0-9^.=\-_]{0,19}$")
# a UTC offset after a time of day ("... 00:00:00-05:00", "...T10:00Z"): dropped so that a
# date stays the exchange's date; converting to UTC would move Asian trading days back one
_OFFSET = re.compile(r"(\d:\d\d(?::\d\d(?:\.\d*)?)?)\s*(?:Z|UTC|GMT|[+-]\d\d:?\d\d)$")
_DAY = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")  # 2018, 2018-03, 2018-03-31
_FIRST_DAY, _LAST_DAY = pd.Timestamp("1800-01-01"), pd.Timestamp("2200-01-01")
# yfinance logs some failures (to stderr, lacking a handler) besides raising: errors are ours
# to report, in one line
logging.getLogger("yfinance").addHandler(logging.NullHandler())


def load_prices(ticker="^GSPC", source="sample", *, csv=None, start=None, end=None,
                date_format=None, prices=None, cache_dir=None, log=None) -> pd.DataFrame:
    """Prices of ``ticker`` from ``source``, cut to ``[start, end]``, validated.

    ``date_format`` (strftime codes) reads the CSV's dates and ``start``/``end``; without
    it they are YYYY-MM-DD. ``prices``, a user's DataFrame, replaces the source (see
    :func:`from_frame`). ``attrs["repairs"]`` lists what was repaired (each also logged as a
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
        prices = from_frame(prices, f"the prices given for {ticker}", date_format=date_format)
    elif source == "sample":
        prices = _sample(ticker)
    elif source == "yahoo":
        prices, cache = _yahoo(ticker, _iso(first), _iso(last), Path(cache_dir or CACHE_DIR),
                               log)
    elif source == "csv":
        prices = read_csv(csv, date_format=date_format)
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
    return prices


def parse_day(value, name="date", *, date_format=None, last=False):
    """``value`` as a naive Timestamp, ``None`` for ``None``.

    Text is YYYY-MM-DD, or a year or month alone (``2018``, ``2018-03``: its first day, or
    with ``last`` its last day), or in ``date_format``. Nothing is guessed: ``02/03/2005``
    without a date format is refused, not read as 3 February or 2 March.
    """
    if value is None:
        return None
    day = None
    if isinstance(value, (pd.Timestamp, datetime, date)):
        day = pd.Timestamp(value)
    elif isinstance(value, str):
        text = value.strip()
        if date_format:
            day = pd.to_datetime(text, format=date_format, errors="coerce")
        match = _DAY.match(text)
        if (day is None or day is pd.NaT) and match:
            year, month, mday = match.groups()
            try:
                day = pd.Timestamp(int(year), int(month or 1), int(mday or 1))
            except ValueError:
                day = pd.NaT
            if last and mday is None and day is not pd.NaT:
                period = "Y" if month is None else "M"
                day = day.to_period(period).end_time.normalize()
    if day is None or day is pd.NaT or not _FIRST_DAY <= day.tz_localize(None) < _LAST_DAY:
        fmt = f" or {date_format}" if date_format else " (or set the date format: " \
            "--date-format / data.date_format, e.g. %d/%m/%Y)"
        raise ForecastError(f"{name} {value!r} is not a date: use YYYY-MM-DD{fmt}")
    return day.tz_localize(None).normalize()


def _iso(day):
    return None if day is None else day.strftime("%Y-%m-%d")


def day_text(value, name="date", *, date_format=None, last=False):
    """``value`` (see :func:`parse_day`) as YYYY-MM-DD, ``None`` for ``None``: the form
    experiment files and run records keep."""
    return _iso(parse_day(value, name, date_format=date_format, last=last))


def check_date_format(date_format, name="data.date_format"):
    """Refuse a date format that cannot name a day: no strftime codes, or no year/month/day."""
    if date_format is None:
        return None
    probe = date(2001, 2, 3)
    try:
        back = datetime.strptime(probe.strftime(date_format), date_format).date()
    except (ValueError, TypeError):
        back = None
    if back != probe:
        raise ForecastError(f"{name} {date_format!r} does not name a year, month and day in "
                            "strftime codes: write it like %d/%m/%Y or %m/%d/%Y")
    return date_format


def check_ticker(ticker: str) -> str:
    """Refuse names that could be paths or markup before they reach a file name or a URL."""
    if not isinstance(ticker, str) or not _TICKER.match(ticker):
        raise ForecastError(f"{ticker!r} is not a ticker symbol: use letters, digits and "
                            "^ . = - only, e.g. AAPL, ^GSPC, BRK-B, EURUSD=X")
    return ticker


def csv_ticker(path) -> str:
    """The ticker a price file stands for when none is given: its name without the
    extension, reduced to the characters a ticker may hold (``my prices.csv`` -> my_prices)."""
    stem = re.sub(r"[^A-Za-z0-9^.=\-_]+", "_", Path(str(path)).stem)
    stem = re.sub(r"^[^A-Za-z0-9^]+", "", stem)[:20].rstrip("_.-=")
    return stem or "CSV"


def fingerprint(prices: pd.DataFrame) -> str:
    """sha256 of the price frame's dates and values: two runs on the same data agree."""
    h = hashlib.sha256()
    h.update(prices.index.astype("datetime64[ns]").asi8.tobytes())
    columns = [c for c in COLUMNS if c in prices.columns]
    if columns != COLUMNS:  # a frame of all five hashes as it always has
        h.update(",".join(columns).encode())
    h.update(np.ascontiguousarray(prices[columns].to_numpy("float64")).tobytes())
    return h.hexdigest()


def from_frame(frame: pd.DataFrame, what="prices", *, date_format=None) -> pd.DataFrame:
    """A user's DataFrame of prices -> the standard frame, validated and repaired as a CSV is.

    The index holds the dates (dates, timestamps, or text in YYYY-MM-DD or ``date_format``),
    or a ``date`` column does; columns as in a CSV (``close`` or ``adj close`` in any case,
    optionally open/high/low/volume). The repairs are in ``attrs["repairs"]``.
    """
    if not isinstance(frame, pd.DataFrame):
        kind, fix = type(frame).__name__, ""
        if isinstance(frame, pd.Series):
            fix = ": for closes alone, pass series.to_frame('close')"
        elif hasattr(frame, "to_pandas"):  # polars, pyarrow: "got DataFrame" would puzzle
            kind = f"{type(frame).__module__.split('.')[0]} {kind}"
            fix = ": convert it with .to_pandas()"
        raise ForecastError(f"{what} must be a pandas DataFrame with a date index and a close "
                            f"column, got {kind}{fix}")
    frame = one_ticker(frame, what)
    date_col = _date_column(frame.columns)
    if date_col is not None and not isinstance(frame.index, pd.DatetimeIndex):
        frame = frame.set_index(date_col)
    if not isinstance(frame.index, pd.DatetimeIndex):
        index = frame.index.to_series().astype("object")
        dates = _parse_dates(index.where(index.notna(), ""), what, date_format, first_line=0)
        frame = frame.set_axis(dates, axis=0)
    return normalise(frame, what)


def one_ticker(frame: pd.DataFrame, what="prices", *, fix="pass one") -> pd.DataFrame:
    """A frame with yfinance's two levels of columns (``Price`` x ``Ticker``, in either order,
    as ``yf.download`` returns them) -> one level of price names, when it holds one ticker;
    a frame of several tickers is refused, naming them. Other frames are returned as given."""
    if not isinstance(frame.columns, pd.MultiIndex):
        return frame
    names = [*COLUMNS, "adj close"]
    levels = [[str(v).strip().lower() for v in frame.columns.get_level_values(i)]
              for i in range(frame.columns.nlevels)]
    price = next((i for i, values in enumerate(levels) if set(values) & set(names)), None)
    if price is None:
        raise ForecastError(f"{what} has columns on {frame.columns.nlevels} levels and none "
                            "names a close: give one level of columns, e.g. Close, Volume")
    for i in range(frame.columns.nlevels):
        tickers = list(dict.fromkeys(frame.columns.get_level_values(i)))
        if i != price and len(tickers) > 1:
            level = frame.columns.names[i] or i
            shown = ", ".join(map(str, tickers[:5])) + (", ..." if len(tickers) > 5 else "")
            raise ForecastError(f"{what} holds {len(tickers)} tickers ({shown}): {fix}, "
                                f"e.g. df.xs({str(tickers[0])!r}, axis=1, level={level!r})")
    return frame.set_axis(frame.columns.get_level_values(price), axis=1)


def normalise(frame: pd.DataFrame, what: str) -> pd.DataFrame:
    """Any frame of prices with a date index -> the standard shape, or a ForecastError."""
    return check_prices(standard(frame, what), what)


def standard(frame: pd.DataFrame, what: str) -> pd.DataFrame:
    """The standard columns and a naive date index, as found: nothing checked or repaired."""
    cols = {}
    for c in frame.columns:
        key = _key(c)
        base = re.sub(r"\.\d+$", "", key)  # pandas renames a repeated header "Close.1"
        if base in (*COLUMNS, "adj close") and (base in cols or base != key):
            raise ForecastError(f"{what} has more than one {base} column: keep one")
        cols[key] = c
    raw_close = cols.get("close") if "adj close" in cols else None
    if "adj close" in cols:
        cols["close"] = cols["adj close"]
    if "close" not in cols:
        raise ForecastError(f"{what} has no close column: name one Close or Adj Close (any "
                            "case); Open, High, Low, Volume are optional")
    index = pd.DatetimeIndex(frame.index)
    if index.tz is not None:  # yahoo: exchange time zone; we want the trading date
        index = index.tz_localize(None)
    out = pd.DataFrame({c: pd.to_numeric(frame[cols[c]], errors="coerce").astype("float64")
                        for c in COLUMNS if c in cols})
    if "volume" in cols and not pd.api.types.is_numeric_dtype(frame[cols["volume"]]):
        out["volume"] = _volume(frame[cols["volume"]], index, what)
    if raw_close is not None:  # open, high, low are on the unadjusted close's scale
        with np.errstate(all="ignore"):
            ratio = out["close"] / pd.to_numeric(frame[raw_close], errors="coerce").to_numpy()
        ratio = ratio.where(np.isfinite(ratio) & (ratio > 0), 1.0)
        for c in ("open", "high", "low"):
            if c in out:
                out[c] = out[c] * ratio
    out.index = index.normalize().astype("datetime64[ns]").rename("date")
    return out


# other names the price sources use: MetaTrader's <VOL>, Investing.com's "Vol.",
# nasdaq.com's "Close/Last"
_ALIASES = {"vol": "volume", "vol.": "volume", "close/last": "close"}


def _key(column) -> str:
    """The standard name a column stands for (``Vol.`` -> volume), else its :func:`_name`."""
    return _ALIASES.get(_name(column), _name(column))


_SUFFIX = {"K": 1e3, "M": 1e6, "B": 1e9}


def _volume(values: pd.Series, index, what) -> np.ndarray:
    """Volumes written as text: numbers, Investing.com's ``1.2M``, ``850K``, ``2.35B``, or
    blank or ``-`` for none (missing); anything else is refused, not read as missing."""
    text = values.astype("object").where(values.notna(), "").map(lambda v: str(v).strip())
    number = pd.to_numeric(text, errors="coerce")
    parts = text.str.extract(r"^([-+]?\d+(?:\.\d*)?)\s*([KMBkmb])$")
    scaled = pd.to_numeric(parts[0], errors="coerce") * parts[1].str.upper().map(_SUFFIX)
    number = number.fillna(scaled)
    bad = number.isna() & ~text.isin(["", "-", "nan", "NaN"])
    if bad.any():
        i = int(bad.to_numpy().argmax())
        raise ForecastError(f"{what} has a volume that is not a number, {text.iloc[i]!r} on "
                            f"{pd.Timestamp(index[i]).date()}: write volumes as numbers "
                            "(1200000 or 1.2M), or leave the cell empty")
    return number.to_numpy("float64")


def _name(column) -> str:
    """A column's name as the sources' names are compared: lower case, ``_`` as a space,
    without MetaTrader's angle brackets (``<CLOSE>``) or the footnote marks of Yahoo's web
    table (``Close*``, ``Adj Close**``)."""
    name = re.sub(r"^<(.*)>$", r"\1", str(column).strip()).strip().rstrip("*").strip()
    return name.lower().replace("_", " ")


def check_prices(prices: pd.DataFrame, what: str) -> pd.DataFrame:
    """Refuse what cannot be a daily price history; repair what is harmless.

    The repairs, as sentences, are in ``attrs["repairs"]`` of the returned frame.
    """
    if prices.empty:
        raise ForecastError(f"{what} holds no rows of prices")
    if prices.index.hasnans:
        raise ForecastError(f"{what} has dates that cannot be read")
    repairs = []
    empty_volume = "volume" in prices.columns and prices["volume"].isna().all()
    if empty_volume:  # Investing.com's "-" on every day of a currency: not a volume of 0
        prices = prices.drop(columns="volume")
    absent = [c for c in COLUMNS if c != "close" and c not in prices.columns]
    if absent == ["volume"]:
        repairs.append(f"{'the volume column is empty' if empty_volume else 'no volume column'}"
                       ": volume indicators are unavailable")
    elif absent:
        repairs.append(f"no {', '.join(absent[:-1])} or {absent[-1]} column: indicators "
                       "that need them are unavailable")
    ohlc = [c for c in PRICES if c in prices.columns]
    blank = prices[ohlc].isna().all(axis=1)
    if blank.any():  # a day listed without a single price (Yahoo does this): as if absent
        repairs.append(f"dropped {int(blank.sum())} row(s) without any price, first "
                       f"{prices.index[blank.argmax()].date()}")
        prices = prices[~blank]
        if prices.empty:
            raise ForecastError(f"{what} holds no prices")
    dup = prices.index[prices.index.duplicated()]
    if len(dup):
        raise ForecastError(f"{what} has {len(dup)} duplicate date(s), first "
                            f"{dup[0].date()}: keep one row per day (intraday data must be "
                            "daily)")
    if len(prices) > 1 and prices.index.is_monotonic_decreasing:  # Investing.com's order
        repairs.append(f"sorted the rows by date: they were newest first ({len(prices)} "
                       "rows)")
        prices = prices.iloc[::-1]
    if not prices.index.is_monotonic_increasing:
        ordered = prices.sort_index()
        moved = int((ordered.index != prices.index).sum())
        repairs.append(f"sorted the rows by date ({moved} of {len(prices)} were out of order)")
        prices = ordered
    else:
        prices = prices.copy()
    prices.index = prices.index.astype("datetime64[ns]").rename("date")
    values = prices[ohlc].to_numpy("float64")
    bad = ~np.isfinite(values).all(axis=1)
    if bad.any():
        raise ForecastError(f"{what} has {int(bad.sum())} row(s) with missing, non-numeric "
                            f"or infinite prices, first {prices.index[bad.argmax()].date()}: "
                            "fix or remove them")
    if (values <= 0).any():
        first = prices.index[(values <= 0).any(axis=1).argmax()]
        raise ForecastError(f"{what} has prices <= 0, first on {first.date()}: prices must "
                            "be positive")
    if "volume" in prices.columns:
        volume = prices["volume"].to_numpy("float64")
        if (volume < 0).any() or np.isinf(volume).any():
            first = prices.index[((volume < 0) | np.isinf(volume)).argmax()]
            raise ForecastError(f"{what} has a negative or infinite volume on {first.date()}: "
                                "volume must be 0 or more")
        gone = np.isnan(volume)
        if gone.any():  # volume feeds only volume indicators; indexes often have none
            repairs.append(f"set {int(gone.sum())} missing volume(s) to 0, first "
                           f"{prices.index[gone.argmax()].date()}")
            prices["volume"] = prices["volume"].fillna(0.0)
    repairs += _jumps(prices["close"])
    prices.attrs = {"repairs": repairs}
    return prices


JUMP = 0.45  # a close that falls by this share in a day, or rises by 1 / (1 - JUMP) - 1


def _jumps(close: pd.Series) -> list:
    """A note on the days the close halves or doubles, as an unadjusted stock split does:
    such a day can be real (a crash), so it is said, not refused."""
    with np.errstate(all="ignore"):
        change = (close / close.shift(1)).to_numpy()[1:]
    big = np.flatnonzero((change <= 1 - JUMP) | (change >= 1 / (1 - JUMP)))
    if not len(big):
        return []
    i = big[0]
    more = f" and {len(big) - 1} other day(s)" if len(big) > 1 else ""
    return [f"the close {'falls' if change[i] < 1 else 'rises'} "
            f"{abs(change[i] - 1):.0%} from {close.index[i].date()} to "
            f"{close.index[i + 1].date()}{more}: if that is a stock split, use split-adjusted "
            "prices (Adj Close); the backtest takes it as a real move"]


def check_gaps(prices: pd.DataFrame, what: str, max_days: int = MAX_GAP_DAYS) -> None:
    """Refuse a hole longer than ``max_days`` calendar days: a backtest needs daily prices."""
    days = np.diff(prices.index.to_numpy("datetime64[D]")).astype(int)
    long = np.flatnonzero(days > max_days)
    if len(long):
        i = long[-1]  # the last one: starting after it leaves a history without holes
        before, after = prices.index[i].date(), prices.index[i + 1].date()
        raise ForecastError(f"{what} has {len(long)} gap(s) longer than {max_days} days, the "
                            f"last from {before} to {after} ({days[i]} days): use --start "
                            f"{after} to begin after it, or --end {before} to stop before it")


_LAYOUT = ("save it with a header row and commas between columns and points in numbers "
           "(1234.56), or semicolons between columns and commas in numbers (1234,56)")


def read_csv(path, *, date_format=None) -> pd.DataFrame:
    """Read a user's price file (see the module docstring for the columns and formats)."""
    if not path:
        raise ForecastError("the csv source needs a file: --csv PATH")
    path = Path(path)
    if not path.is_file():
        raise ForecastError(f"CSV file {path} does not exist")
    check_date_format(date_format, "the date format")
    encoding = _encoding(path)
    sep = _separator(path, encoding)
    levels = _yfinance_header(path, sep, encoding)  # None, or its header rows as a list of lists
    skip = len(levels or []) + (levels is not None and _has_date_row(path, sep, levels,
                                                                     encoding))
    try:
        with warnings.catch_warnings():
            # a row longer than the header would be cut silently: refuse it instead
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(path, sep=sep, dtype=str, index_col=False,
                                skipinitialspace=True, encoding=encoding,
                                encoding_errors="replace",
                                header=None if levels else "infer", skiprows=skip,
                                names=levels and range(len(levels[0])))
    except (ValueError, TypeError, OverflowError, UnicodeError, OSError, _csv.Error,
            pd.errors.ParserWarning) as e:  # ParserError and EmptyDataError are ValueErrors
        raise ForecastError(f"{path} is not a readable CSV file ({_first_line(e)}): "
                            f"{_LAYOUT}") from None
    first_line = max(skip, 1) + 1  # the file's line of the first row of data
    if levels:  # Date, then one column per (price, ticker)
        columns = pd.MultiIndex.from_arrays([row[1:] for row in levels],
                                            names=[row[0] for row in levels])
        frame = pd.concat([frame.iloc[:, :1].set_axis(["Date"], axis=1),
                           one_ticker(frame.iloc[:, 1:].set_axis(columns, axis=1), str(path),
                                      fix="save one ticker per file")],
                          axis=1)
    names = [_key(c) for c in frame.columns]
    if "price" in names and not {"close", "adj close"} & set(names):
        frame = frame.rename(columns={frame.columns[names.index("price")]: "Close"})
    date_col = _date_column(frame.columns)
    if date_col is None:
        raise ForecastError(f"{path} has no Date column: the first row must name the columns, "
                            f"e.g. Date,Open,High,Low,Close,Volume; {_LAYOUT}")
    empty = frame.isna().all(axis=1) | frame.apply(
        lambda c: c.str.strip().eq("") | c.isna()).all(axis=1)
    repairs = []
    if empty.any():  # what spreadsheets write below the data: ",,,,,"
        repairs.append(f"dropped {int(empty.sum())} row(s) with every cell empty, first on "
                       f"line {int(empty.to_numpy().argmax()) + first_line}")
        frame = frame[~empty]
    # dates first: a line that is not data at all (Investing.com's old "Highest: ..." below
    # the prices) is named by its date
    dates = _parse_dates(frame[date_col], path, date_format, first_line=first_line)
    values = _decimal_commas(frame.drop(columns=[date_col]), path, sep, first_line)
    values.index = dates
    prices = normalise(values, str(path))
    prices.attrs["repairs"] = repairs + prices.attrs["repairs"]
    return prices


def _date_column(columns):
    # TradingView's exports name the dates "time"; MetaTrader's <TIME> beside <DATE> is not
    for names in (("date", "datetime"), ("time", "timestamp")):
        found = next((c for c in columns if _name(c) in names), None)
        if found is not None:
            return found
    return None


def _encoding(path) -> str:
    """UTF-16 when the file starts with its byte order mark (Excel's "Unicode Text"), else
    UTF-8 (a BOM, as Excel's "CSV UTF-8" writes, is skipped)."""
    try:
        with open(path, "rb") as f:
            start = f.read(2)
    except OSError:
        return "utf-8-sig"
    return "utf-16" if start in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"


def _head(path, sep, lines, encoding="utf-8-sig"):
    """The first ``lines`` rows of the file, split into cells."""
    try:
        with open(path, encoding=encoding, errors="replace", newline="") as f:
            rows = list(itertools.islice(_csv.reader(f, delimiter=sep), lines))
    except (OSError, _csv.Error):
        return []
    return [[cell.strip() for cell in row] for row in rows]


def _yfinance_header(path, sep, encoding="utf-8-sig"):
    """The two header rows of a file yfinance >= 0.2.51 wrote (``Price,Close,High,...`` and
    ``Ticker,AAPL,AAPL,...``, in either order), or None for a file with one header row."""
    rows = _head(path, sep, 2, encoding)
    if len(rows) < 2 or len(rows[0]) != len(rows[1]) or len(rows[0]) < 2:
        return None
    if {rows[0][0].lower(), rows[1][0].lower()} != {"price", "ticker"}:
        return None
    return rows


def _has_date_row(path, sep, levels, encoding="utf-8-sig"):
    """Whether yfinance's third header row, ``Date,,,,`` (the index's name), follows."""
    rows = _head(path, sep, len(levels) + 1, encoding)
    row = rows[-1] if len(rows) > len(levels) else []
    return bool(row) and _name(row[0]) in ("date", "datetime") and not any(row[1:])


def _separator(path, encoding="utf-8-sig") -> str:
    """The separator the header row uses most: ``,``, ``;`` or a tab (``,`` when none)."""
    try:
        with open(path, encoding=encoding, errors="replace") as f:
            header = f.readline()
    except OSError:
        return ","
    counts = {sep: header.count(sep) for sep in (",", ";", "\t")}
    sep = max(counts, key=counts.get)
    return sep if counts[sep] else ","


_COMMA_NUMBER = re.compile(r"^[-+]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$")
_CURRENCY = re.compile(r"^[$€£¥]\s*(?=\d)")
_GROUPED = re.compile(r"^[-+]?\d{1,3}(,\d{3})+(\.\d*)?[KMBkmb]?$")  # 1,234.56; 1,234,567


def _cells(text: pd.DataFrame, test) -> pd.DataFrame:
    """``test`` on every column of text, False where a cell is empty."""
    return text.apply(test).fillna(False).astype(bool)


def _decimal_commas(values: pd.DataFrame, path, sep, first_line=2) -> pd.DataFrame:
    """The price columns' text with decimal points: a ``;``- or tab-separated file has
    decimal commas (``1.234,56``) when any of its numbers has one; a ``,``-separated file
    may group thousands with commas (``"1,234.56"``) when it also has decimal points."""
    numeric = [c for c in values.columns if _key(c) in (*COLUMNS, "adj close")]
    # nasdaq.com writes "$185.64"
    text = values[numeric].apply(lambda c: c.str.strip().str.replace(_CURRENCY, "", regex=True))
    values = values.copy()
    values[numeric] = text
    comma = _cells(text, lambda c: c.str.contains(",", regex=False))
    if not comma.any().any():
        return values  # decimal points (or whole numbers): read as they are
    if sep == ",":  # a quoted "1229,23" or "1,234.5"
        grouped = _cells(text, lambda c: c.str.match(_GROUPED))
        # "1,234" alone could be 1.234 written with a decimal comma; a point elsewhere, or a
        # second group ("1,234,567"), says the commas group thousands
        sure = _cells(text, lambda c: c.str.contains(".", regex=False)).any().any() or \
            _cells(text, lambda c: c.str.count(",") > 1)[grouped].any().any()
        if sure and not (comma & ~grouped).any().any():
            values[numeric] = text.apply(lambda c: c.str.replace(",", "", regex=False))
            return values
        row, col = np.argwhere((comma & ~grouped if sure else comma).to_numpy())[0]
        raise ForecastError(f"{path}: the number {text.iat[row, col]!r} on line "
                            f"{row + first_line} has a comma: {_LAYOUT}")
    ok = text.isna() | text.eq("") | text.apply(lambda c: c.str.match(_COMMA_NUMBER))
    bad = ~ok.fillna(False).astype(bool)
    if bad.any().any():
        row, col = np.argwhere(bad.to_numpy())[0]
        raise ForecastError(f"{path}: the number {text.iat[row, col]!r} on line "
                            f"{row + first_line} "
                            "is not written like the others, which have decimal commas "
                            "(1234,56 or 1.234,56): use one way for the whole file")
    return text.apply(lambda c: c.str.replace(".", "", regex=False)
                      .str.replace(",", ".", regex=False))


# dates with the month's English name: no day/month order to guess (Nov 22, 2024); years
# of four digits only: 22-Nov-49 could be 1949 or 2049
_MONTH_NAMES = ("%b %d, %Y", "%B %d, %Y", "%d %b %Y", "%d %B %Y", "%d-%b-%Y")


def _parse_dates(values: pd.Series, where, date_format=None, *, first_line=2):
    """Dates of a column, all in ``date_format``, or without one all YYYY-MM-DD (times and
    UTC offsets dropped; also 2024.11.22 and 2024/11/22) or all in one of
    :data:`_MONTH_NAMES`; the first that is not in the format most dates are in is refused,
    naming its line (row + ``first_line``)."""
    text = values.astype("object").where(values.notna(), "")
    text = text.map(lambda s: str(s).strip())
    if not date_format:
        text = text.map(lambda s: _OFFSET.sub(r"\1", s))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            dates = pd.to_datetime(text, format=date_format or "ISO8601", errors="coerce")
        except ValueError:  # a format with %z and offsets that differ: each day as written
            dates = pd.to_datetime(text.map(lambda s: _wall_time(s, date_format)))
        if not date_format and dates.isna().any():
            for fmt in _MONTH_NAMES:  # the one that reads the most; the rest are refused
                named = pd.to_datetime(text, format=fmt, errors="coerce")
                if named.notna().sum() > dates.notna().sum():
                    dates = named
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    bad = dates.isna() | (dates < _FIRST_DAY) | (dates >= _LAST_DAY)
    if bad.any():
        row = int(bad.to_numpy().argmax())
        where_row = f" on line {row + first_line}" if first_line else ""
        if date_format:
            fix = f"the date format is {date_format}: fix the date or the format"
        elif re.fullmatch(r"\d{9,13}(\.\d*)?", str(text.iloc[row])):
            # the instant a bar began, in UTC: its exchange's day cannot be known from it
            fix = ("that is a time in seconds since 1970 (TradingView's UNIX time): export "
                   "the dates as ISO time or YYYY-MM-DD")
        else:
            fix = ("use YYYY-MM-DD, or name the file's date format with --date-format or "
                   "data.date_format (e.g. %d/%m/%Y or %m/%d/%Y); one format for the whole "
                   "file")
        raise ForecastError(f"{where}: cannot read the date {values.iloc[row]!r}{where_row}: "
                            f"{fix}")
    return pd.DatetimeIndex(dates)


def _wall_time(text, date_format):
    try:
        return datetime.strptime(text, date_format).replace(tzinfo=None)
    except ValueError:
        return pd.NaT


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


# --- yahoo -------------------------------------------------------------------------------


def _yahoo(ticker, start, end, cache_dir, log):
    """``(prices, cache)``: ``cache`` describes the cached copy when one was used."""
    check_ticker(ticker)
    what = f"Yahoo prices for {ticker}"
    path = cache_dir / "yahoo" / f"{_safe_name(ticker)}.csv"
    cached = _read_cache(path, what)
    usable = cached is not None and _covers(cached, start, end)
    if usable and (_age(path) < CACHE_MAX_AGE or _is_past(end)):
        return cached, _cache_info(path)
    try:
        frame = download(ticker, start, end)
    except ForecastError as e:
        if not usable:
            raise
        info = _cache_info(path, str(e))
        log(f"warning: {e}; using the cached copy of {ticker} saved {info['age_hours']} "
            "hours ago")
        return cached, info
    raw = standard(frame, what)
    prices = check_prices(raw, what)  # before writing: a refused download leaves no file
    # the cache keeps the download as found, so that every later run repeats and reports
    # the same repairs
    try:  # atomic: readers and a second download of the ticker see a whole file
        remove_stale(path.parent)  # what a killed download left
        write_atomic(path, raw.to_csv(date_format="%Y-%m-%d"))
    except OSError as e:
        raise ForecastError(f"cannot write the price cache {path}: {e.strerror or e}; free "
                            "some space, or point FORECAST_CACHE at a writable folder") \
            from None
    return prices, None


def download(ticker, start=None, end=None, *, retries=4, backoff=1.0) -> pd.DataFrame:
    """One symbol from Yahoo via yfinance; rate limits and network errors are retried with
    exponential backoff and jitter, then end in a ForecastError. A host name that does not
    resolve ends it at once: retrying cannot help."""
    import yfinance as yf
    from yfinance.exceptions import YFException, YFRateLimitError

    last = None
    for attempt in range(retries + 1):
        try:
            frame = _history(yf, ticker, start, end)
        except YFRateLimitError as e:
            last = e
        except YFException as e:
            raise ForecastError(f"Yahoo has no daily prices for {ticker!r} "
                                f"({_first_line(e)}): check the symbol on finance.yahoo.com") \
                from None
        except Exception as e:
            if not _is_network_error(e):  # Yahoo changed its answers, or yfinance broke
                raise ForecastError(f"cannot read Yahoo's answer for {ticker!r} "
                                    f"({one_line(e)}): try again "
                                    "later, update yfinance, or use --source csv") from e
            if _is_dns_error(e):  # no network or no name server: waiting will not help
                raise ForecastError(f"cannot reach Yahoo for {ticker}: its address does not "
                                    f"resolve ({_first_line(e)}): check the network, or use "
                                    "--source sample or --source csv") from None
            last = e
        else:
            if frame is None or "Close" not in frame or frame["Close"].isna().all():
                raise ForecastError(f"Yahoo returned no prices for {ticker!r}: check the "
                                    "symbol and the dates")
            return frame
        if attempt < retries:
            time.sleep(backoff * 2 ** attempt * (1 + random.random()))
    if isinstance(last, YFRateLimitError):
        raise ForecastError(f"Yahoo is rate limiting this machine ({retries + 1} tries): "
                            "wait a few minutes and run again")
    raise ForecastError(f"cannot reach Yahoo for {ticker} ({retries + 1} tries, last: "
                        f"{_first_line(last)}): check the network, or use --source sample "
                        "or --source csv")


def _history(yf, ticker, start, end):
    debug = yf.config.debug
    hide = debug.hide_exceptions
    # by default yfinance turns a network error into "possibly delisted; no timezone found"
    debug.hide_exceptions = False
    try:
        return yf.Ticker(ticker).history(start=start, end=_end_exclusive(end), interval="1d",
                                         auto_adjust=True)
    finally:
        debug.hide_exceptions = hide


def _is_network_error(e):
    names = {c.__name__ for c in type(e).__mro__}
    return bool(names & {"ConnectionError", "Timeout", "HTTPError", "RequestException",
                         "CurlError", "RequestsError", "TimeoutError", "OSError"})


_DNS = re.compile(r"resolve host|name resolution|name or service not known|nodename nor "
                  r"servname|getaddrinfo|no address associated", re.I)


def _is_dns_error(e):
    """A host name that does not resolve (curl's error 6, socket.gaierror)."""
    names = {c.__name__ for c in type(e).__mro__}
    return "gaierror" in names or bool(_DNS.search(str(e)))


def _first_line(e):
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def _end_exclusive(end):
    # yfinance treats end as exclusive; ours is inclusive like pandas .loc
    return None if end is None else (pd.Timestamp(end) + pd.Timedelta(days=1)).date()


def _is_past(end):
    return end is not None and pd.Timestamp(end) < pd.Timestamp.now().normalize() - \
        pd.Timedelta(days=3)


def _covers(prices, start, end):
    # the cache holds a contiguous download: it serves a request inside its span
    lo, hi = prices.index[0], prices.index[-1]
    ok_start = start is None or pd.Timestamp(start) >= lo - pd.Timedelta(days=5)
    ok_end = end is not None and pd.Timestamp(end) <= hi + pd.Timedelta(days=5)
    return ok_start and (ok_end or end is None)


def _safe_name(ticker):
    slug = re.sub(r"[^A-Za-z0-9._=-]", "_", ticker)
    return f"{slug}-{hashlib.sha1(ticker.encode()).hexdigest()[:8]}"


def _age(path):
    return time.time() - path.stat().st_mtime


def _cache_info(path, refresh_failed=None):
    return {"file": str(path), "age_hours": round(_age(path) / 3600, 1),
            "saved": datetime.fromtimestamp(path.stat().st_mtime).isoformat(timespec="seconds"),
            "refresh_failed": refresh_failed}


def _read_cache(path, what):
    """The cached frame, or None when there is none or it is damaged (then it is replaced)."""
    if not path.is_file():
        return None
    try:
        frame = pd.read_csv(path, index_col="date")
        frame.index = pd.DatetimeIndex(pd.to_datetime(frame.index, format="%Y-%m-%d"))
        return check_prices(frame[[c for c in COLUMNS if c in frame]].astype("float64"), what)
    except Exception:  # any damage: ignore the file, the next download overwrites it
        return None
