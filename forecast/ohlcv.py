"""The one shape every price source is normalised to, and the checks that guard it.

The frame: a naive, sorted, unique daily ``DatetimeIndex`` named ``date`` and float columns,
always ``close`` (the adjusted close when the source has one) and, only when the source has
them, ``open``, ``high``, ``low`` and ``volume``, in that order (:data:`COLUMNS`). A
close-only file gives a frame of ``close`` alone: indicators that need other columns are
refused by :mod:`forecast.indicators`, so the columns must say what the source really holds.

Bad input is refused with a :class:`ForecastError` naming the problem and the fix; the few
harmless defects are repaired and listed in ``attrs["repairs"]`` (README, "Bad input").
"""
from __future__ import annotations

import hashlib
import re

import numpy as np
import pandas as pd

from forecast.days import parse_dates
from forecast.errors import ForecastError

COLUMNS = ["open", "high", "low", "close", "volume"]  # the order of whichever are present
PRICES = ("open", "high", "low", "close")
MAX_GAP_DAYS = 14  # longer holes between two days are refused: no market closes that long
_TICKER = re.compile(r"^[A-Za-z0-9^][A-Za-z0-9^.=\-_]{0,19}$")


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
    columns = [c for c in COLUMNS if c in prices.columns]
    if columns != COLUMNS:  # a frame of all five hashes as it always has
        h.update(",".join(columns).encode())
    h.update(np.ascontiguousarray(prices[columns].to_numpy("float64")).tobytes())
    return h.hexdigest()


def from_frame(frame: pd.DataFrame, what="prices", *, date_format=None,
               missing="refuse") -> pd.DataFrame:
    """A user's DataFrame of prices -> the standard frame, validated and repaired as a CSV is.

    The index holds the dates (dates, timestamps, or text in YYYY-MM-DD or ``date_format``),
    or a ``date`` column does; columns as in a CSV (``close`` or ``adj close`` in any case,
    optionally open/high/low/volume). The repairs are in ``attrs["repairs"]``; rows
    lacking a price are refused, or dropped with ``missing="drop"`` (:func:`drop_missing`).
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
    date_col = date_column(frame.columns)
    if date_col is not None and not isinstance(frame.index, pd.DatetimeIndex):
        frame = frame.set_index(date_col)
    if not isinstance(frame.index, pd.DatetimeIndex):
        index = frame.index.to_series().astype("object")
        dates = parse_dates(index.where(index.notna(), ""), what, date_format, first_line=0)
        frame = frame.set_axis(dates, axis=0)
    frame, dropped = drop_missing(frame, what, missing)
    prices = normalise(frame, what)
    prices.attrs["repairs"] = dropped + prices.attrs["repairs"]
    return prices


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


def drop_missing(frame: pd.DataFrame, what: str, missing="refuse", lines=None):
    """``frame`` (dates as its index, a source's columns) without the rows that lack some of
    their prices (an empty or NaN open, high, low or close), and the repair that says so,
    when ``missing`` is "drop"; refused, naming them, when it is "refuse". ``lines``: each
    row's line in the file, to name rows by. A row without any price is left to
    :func:`check_prices`, which drops it (Yahoo lists such days)."""
    columns = [c for c in frame.columns if column_key(c) in (*PRICES, "adj close")]
    absent = frame[columns].apply(lambda c: c.isna() | c.astype(str).str.strip().eq(""))
    holes = (absent.any(axis=1) & ~absent.all(axis=1)).to_numpy()
    if not holes.any():
        return frame, []
    days = [str(pd.Timestamp(d).date()) for d in frame.index[holes][:3]]
    shown = ([f"{n} ({d})" for n, d in zip(np.asarray(lines)[holes], days)]
             if lines is not None else days)
    more = f" and {int(holes.sum()) - 3} more" if holes.sum() > 3 else ""
    where = ("lines " if lines is not None else "") + ", ".join(shown) + more
    if missing == "drop":
        return frame[~holes], [f'dropped {int(holes.sum())} row(s) with a missing price '
                               f'(data.missing = "drop"): {where}']
    raise ForecastError(f"{what}: {int(holes.sum())} row(s) lack a price, {where}: fill them "
                        'in, or drop them with data.missing = "drop" (--missing drop)')


def normalise(frame: pd.DataFrame, what: str) -> pd.DataFrame:
    """Any frame of prices with a date index -> the standard shape, or a ForecastError."""
    return check_prices(standard(frame, what), what)


def standard(frame: pd.DataFrame, what: str) -> pd.DataFrame:
    """The standard columns and a naive date index, as found: nothing checked or repaired."""
    cols = {}
    for c in frame.columns:
        key = column_key(c)
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


def column_key(column) -> str:
    """The standard name a column stands for (``Vol.`` -> volume), else its :func:`plain_name`."""
    return _ALIASES.get(plain_name(column), plain_name(column))


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


def plain_name(column) -> str:
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


def date_column(columns):
    """The column that holds the dates (``Date``, ``Datetime``, else ``Time``), or None."""
    # TradingView's exports name the dates "time"; MetaTrader's <TIME> beside <DATE> is not
    for names in (("date", "datetime"), ("time", "timestamp")):
        found = next((c for c in columns if plain_name(c) in names), None)
        if found is not None:
            return found
    return None
