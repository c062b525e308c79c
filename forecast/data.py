"""Daily prices from one of three sources, normalised to one frame shape.

The frame: a naive, sorted, unique daily ``DatetimeIndex`` named ``date`` and float columns
``open high low close volume``; ``close`` is the adjusted close. Sources:

- ``sample``: real S&P 500 and NASDAQ daily prices 1999-2018 shipped by the ``arch`` package;
  offline, the default.
- ``yahoo``: yfinance, adjusted prices, cached on disk under ``data/cache/yahoo``.
- ``csv``: a file with a Date column and Open/High/Low/Close/Volume in any case; ``Adj Close``
  is used for the close when present; other columns are ignored.

This is the only module that imports yfinance.
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.errors import ForecastError, did_you_mean

COLUMNS = ["open", "high", "low", "close", "volume"]
SOURCES = ("sample", "yahoo", "csv")
SAMPLE = {"^GSPC": "sp500", "SP500": "sp500", "^IXIC": "nasdaq", "NASDAQ": "nasdaq"}
CACHE_DIR = Path(os.environ.get("FORECAST_CACHE", "data/cache"))
CACHE_MAX_AGE = 24 * 3600  # seconds before a cached download is refreshed
_TICKER = re.compile(r"^[A-Za-z0-9^][A-Za-z0-9^.=\-_]{0,19}$")


def load_prices(ticker="^GSPC", source="sample", *, csv=None, start=None, end=None,
                cache_dir=None, log=None) -> pd.DataFrame:
    """Prices of ``ticker`` from ``source``, cut to ``[start, end]``, validated."""
    log = log or (lambda msg: print(msg, file=sys.stderr))
    if source == "sample":
        prices = _sample(ticker)
    elif source == "yahoo":
        prices = _yahoo(ticker, start, end, Path(cache_dir or CACHE_DIR), log)
    elif source == "csv":
        prices = read_csv(csv)
    else:
        raise ForecastError(f'unknown source "{source}".' + did_you_mean(source, SOURCES))
    prices = prices.loc[start:end] if (start or end) else prices
    if prices.empty:
        raise ForecastError(f"no prices for {ticker} between {start or 'the start'} and "
                            f"{end or 'the end'}: widen --start/--end")
    return prices



def check_ticker(ticker: str) -> str:
    """Refuse names that could be paths or markup before they reach a file name or a URL."""
    if not isinstance(ticker, str) or not _TICKER.match(ticker):
        raise ForecastError(f"{ticker!r} is not a ticker symbol: use letters, digits and "
                            "^ . = - only, e.g. AAPL, ^GSPC, BRK-B, EURUSD=X")
    return ticker


def fingerprint(prices: pd.DataFrame) -> str:
    """sha256 of the price frame's dates and values: two runs on the same data agree."""
    h = hashlib.sha256()
    h.update(prices.index.astype("datetime64[ns]").asi8.tobytes())
    h.update(np.ascontiguousarray(prices[COLUMNS].to_numpy("float64")).tobytes())
    return h.hexdigest()


def normalise(frame: pd.DataFrame, what: str) -> pd.DataFrame:
    """Any OHLCV frame with a date index -> the standard shape, or a ForecastError."""
    cols = {str(c).strip().lower().replace("_", " "): c for c in frame.columns}
    missing = [c for c in COLUMNS if c not in cols]
    if missing:
        raise ForecastError(f"{what} has no {', '.join(missing)} column(s): need "
                            "Open, High, Low, Close, Volume (any case)")
    out = pd.DataFrame({c: frame[cols[c]] for c in COLUMNS})
    if "adj close" in cols:
        out["close"] = frame[cols["adj close"]]
    out = out.apply(pd.to_numeric, errors="coerce").astype("float64")
    index = pd.DatetimeIndex(frame.index)
    if index.tz is not None:  # yahoo: exchange time zone; we want the trading date
        index = index.tz_localize(None)
    out.index = index.normalize().astype("datetime64[ns]")
    out.index.name = "date"
    return check_prices(out, what)


def check_prices(prices: pd.DataFrame, what: str) -> pd.DataFrame:
    """Refuse what cannot be a daily price history; sort what is merely out of order."""
    if prices.empty:
        raise ForecastError(f"{what} holds no rows")
    if prices.index.hasnans:
        raise ForecastError(f"{what} has dates that cannot be read")
    dup = prices.index[prices.index.duplicated()]
    if len(dup):
        raise ForecastError(f"{what} has {len(dup)} duplicate date(s), first "
                            f"{dup[0].date()}: keep one row per day")
    if not prices.index.is_monotonic_increasing:
        prices = prices.sort_index()
    prices.index = prices.index.astype("datetime64[ns]").rename("date")
    bad = prices[COLUMNS[:4]].isna().any(axis=1)
    if bad.any():
        raise ForecastError(f"{what} has {int(bad.sum())} row(s) with missing or non-numeric "
                            f"prices, first {prices.index[bad.argmax()].date()}: fix or "
                            "remove them")
    if (prices[COLUMNS[:4]] <= 0).to_numpy().any():
        first = prices.index[(prices[COLUMNS[:4]] <= 0).any(axis=1).argmax()]
        raise ForecastError(f"{what} has prices <= 0, first on {first.date()}: prices must "
                            "be positive")
    prices["volume"] = prices["volume"].fillna(0.0)
    return prices


def read_csv(path) -> pd.DataFrame:
    """Read a user's price file (see the module docstring for the columns)."""
    if not path:
        raise ForecastError("the csv source needs a file: --csv PATH")
    path = Path(path)
    if not path.is_file():
        raise ForecastError(f"CSV file {path} does not exist")
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise ForecastError(f"{path} is not a readable CSV file: "
                            f"{str(e).splitlines()[0] if str(e) else type(e).__name__}") from None
    date_col = next((c for c in frame.columns if str(c).strip().lower() in ("date",
                                                                            "datetime")), None)
    if date_col is None:
        raise ForecastError(f"{path} has no Date column: the first row must name the columns, "
                            "e.g. Date,Open,High,Low,Close,Volume")
    dates = pd.to_datetime(frame[date_col], errors="coerce", utc=True, format="mixed")
    if dates.isna().any():
        row = int(dates.isna().to_numpy().argmax())
        raise ForecastError(f"{path}: cannot read the date {frame[date_col].iloc[row]!r} on "
                            f"data row {row + 1}: use YYYY-MM-DD")
    frame.index = dates.dt.tz_localize(None)
    return normalise(frame.drop(columns=[date_col]), str(path))


def _sample(ticker):
    key = SAMPLE.get(str(ticker).upper())
    if key is None:
        raise ForecastError(f'the sample source has no ticker "{ticker}": it holds '
                            f"{', '.join(SAMPLE)}; use --source yahoo or --source csv "
                            "for others")
    import arch.data.nasdaq
    import arch.data.sp500
    frame = getattr(arch.data, key).load()
    return normalise(frame, f"sample {ticker}")


# --- yahoo -------------------------------------------------------------------------------


def _yahoo(ticker, start, end, cache_dir, log):
    check_ticker(ticker)
    path = cache_dir / "yahoo" / f"{_safe_name(ticker)}.csv"
    cached = _read_cache(path)
    if cached is not None and _covers(cached, start, end):
        age = time.time() - path.stat().st_mtime
        if age < CACHE_MAX_AGE or _is_past(end):
            return cached
    try:
        frame = download(ticker, start, end)
    except ForecastError as e:
        if cached is not None and _covers(cached, start, end):
            age = (time.time() - path.stat().st_mtime) / 3600
            log(f"warning: {e}; using the cached copy of {ticker} from {age:.1f} hours ago")
            return cached
        raise
    prices = normalise(frame, f"Yahoo prices for {ticker}")
    _write_atomic(path, prices.to_csv(date_format="%Y-%m-%d"))
    return prices


def download(ticker, start=None, end=None, *, retries=4, backoff=1.0) -> pd.DataFrame:
    """One symbol from Yahoo via yfinance, retried with backoff and jitter on rate limits."""
    import yfinance as yf
    from yfinance.exceptions import YFException, YFRateLimitError

    last = None
    for attempt in range(retries + 1):
        try:
            frame = yf.Ticker(ticker).history(start=start, end=_end_exclusive(end),
                                              interval="1d", auto_adjust=True,
                                              raise_errors=True)
        except YFRateLimitError as e:
            last = e
        except YFException as e:
            raise ForecastError(f"Yahoo has no daily prices for {ticker!r} "
                                f"({_first_line(e)}): check the symbol on finance.yahoo.com") \
                from None
        except Exception as e:  # curl_cffi / requests errors: the network is down or slow
            last = e
            if not _is_network_error(e):
                raise
        else:
            if frame is None or frame.empty or frame["Close"].isna().all():
                raise ForecastError(f"Yahoo returned no prices for {ticker!r}: check the "
                                    "symbol and the dates")
            return frame
        if attempt < retries:
            time.sleep(backoff * 2 ** attempt * (1 + random.random()))
    if isinstance(last, YFRateLimitError):
        raise ForecastError(f"Yahoo is rate limiting this machine ({retries + 1} tries): "
                            "wait a few minutes and run again")
    raise ForecastError(f"cannot reach Yahoo for {ticker} ({_first_line(last)}): check the "
                        "network, or use --source sample or --source csv")


def _is_network_error(e):
    names = {c.__name__ for c in type(e).__mro__}
    return bool(names & {"ConnectionError", "Timeout", "HTTPError", "RequestException",
                         "CurlError", "RequestsError", "TimeoutError", "OSError"})


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


def _read_cache(path):
    """The cached frame, or None when there is none or it is damaged (then it is replaced)."""
    if not path.is_file():
        return None
    try:
        frame = pd.read_csv(path, index_col="date", parse_dates=["date"])
        return check_prices(frame[COLUMNS].astype("float64"), f"cache {path}")
    except Exception:  # any damage: ignore the file, the next download overwrites it
        return None


def _write_atomic(path: Path, text: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
