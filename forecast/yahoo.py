"""Daily prices from Yahoo via yfinance (adjusted), cached on disk under
``<cache_dir>/yahoo``: a cached copy younger than a day, or one of a period that has ended,
is served without a download; when the network fails an older copy is served and its age
said. Rate limits and network errors are retried with backoff, then end in one line.

This is the only module that imports yfinance.
"""
from __future__ import annotations

import hashlib
import logging
import random
import re
import time
from datetime import datetime

import pandas as pd

from forecast.errors import ForecastError, headline, one_line
from forecast.files import remove_stale, write_atomic
from forecast.ohlcv import COLUMNS, check_prices, check_ticker, standard

# yfinance logs some failures (to stderr, lacking a handler) besides raising: errors are ours
# to report, in one line
logging.getLogger("yfinance").addHandler(logging.NullHandler())

CACHE_MAX_AGE = 24 * 3600  # seconds before a cached download is refreshed


def load(ticker, start, end, cache_dir, log):
    """Yahoo's daily prices of ``ticker`` from ``start`` to ``end`` (YYYY-MM-DD or None),
    through the cache under ``cache_dir``: ``(prices, cache)``, where ``cache`` describes the
    cached copy when one was served (else None); ``log`` gets the warning when a failed
    refresh falls back to an old copy."""
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
                                f"({headline(e)}): check the symbol on finance.yahoo.com") \
                from None
        except Exception as e:
            if not _is_network_error(e):  # Yahoo changed its answers, or yfinance broke
                raise ForecastError(f"cannot read Yahoo's answer for {ticker!r} "
                                    f"({one_line(e)}): try again "
                                    "later, update yfinance, or use --source csv") from e
            if _is_dns_error(e):  # no network or no name server: waiting will not help
                raise ForecastError(f"cannot reach Yahoo for {ticker}: its address does not "
                                    "resolve: check the network, or use --source sample or "
                                    "--source csv") from e
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
                        f"{_cause(last)}): check the network, or use --source sample "
                        "or --source csv") from last


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


# curl's error codes (curl_cffi's errors quote them) in a few words
_CURL = {5: "the proxy's address does not resolve", 6: "the address does not resolve",
         7: "could not connect", 28: "timed out", 35: "TLS handshake failed",
         52: "empty reply", 55: "connection broken", 56: "connection reset",
         60: "certificate not trusted"}


def _cause(e) -> str:
    """A network error in a few words: curl's own text runs to 300 characters with the URL
    and a web page to read (``--debug`` shows it, chained)."""
    text = str(e)
    code = re.search(r"curl: \((\d+)\)", text)
    status = getattr(getattr(e, "response", None), "status_code", None)
    if code and int(code.group(1)) in _CURL:
        cause = _CURL[int(code.group(1))]
    elif re.search(r"timed? ?out", text, re.I) or "Timeout" in type(e).__name__:
        cause = "timed out"
    elif isinstance(status, int):
        cause = f"HTTP {status}"
    else:
        cause = re.sub(r"\s*https?://\S+", "", headline(e)).strip() or type(e).__name__
        cause = cause if len(cause) <= 60 else cause[:57].rstrip() + "..."
    return cause + (" through a proxy" if re.search(r"\bproxy\b", text, re.I) else "")


_DNS = re.compile(r"resolve host|name resolution|name or service not known|nodename nor "
                  r"servname|getaddrinfo|no address associated", re.I)


def _is_dns_error(e):
    """A host name that does not resolve (curl's error 6, socket.gaierror)."""
    names = {c.__name__ for c in type(e).__mro__}
    return "gaierror" in names or bool(_DNS.search(str(e)))


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
