"""A user's price file: a Date column and a Close or Adj Close column, optionally
Open/High/Low/Volume, in any case.

``Adj Close`` is used for the close when present (and open, high, low scaled by Adj Close /
Close); other columns are ignored. Columns separated by ``,``, ``;`` or tabs (detected from
the header); with ``;`` or tabs, decimal commas (``1.234,56``) are read as such; with ``,``,
quoted thousands commas (``"1,234.56"``). Dates are YYYY-MM-DD unless ``date_format``
(strftime codes, e.g. ``%d/%m/%Y``) names the format of the whole file (:mod:`forecast.days`).
The exports of Investing.com (``Price``, ``Vol.`` with ``1.2M``), yfinance (two or three
header rows) and MetaTrader (``<CLOSE>``) are read as saved.
"""
from __future__ import annotations

import csv as _csv
import itertools
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.days import check_date_format, parse_dates
from forecast.errors import ForecastError, headline
from forecast.ohlcv import (COLUMNS, column_key, date_column, drop_missing, normalise,
                            one_ticker, plain_name)

_LAYOUT = ("save it with a header row and commas between columns and points in numbers "
           "(1234.56), or semicolons between columns and commas in numbers (1234,56)")


def csv_ticker(path) -> str:
    """The ticker a price file stands for when none is given: its name without the
    extension, reduced to the characters a ticker may hold (``my prices.csv`` -> my_prices)."""
    stem = re.sub(r"[^A-Za-z0-9^.=\-_]+", "_", Path(str(path)).stem)
    stem = re.sub(r"^[^A-Za-z0-9^]+", "", stem)[:20].rstrip("_.-=")
    return stem or "CSV"


def read_csv(path, *, date_format=None, missing="refuse") -> pd.DataFrame:
    """Read a user's price file (see the module docstring for the columns and formats).

    Rows lacking a price (an empty or NaN close, say) are refused naming their lines, or
    dropped with ``missing="drop"`` (:func:`forecast.ohlcv.drop_missing`)."""
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
        raise ForecastError(f"{path} is not a readable CSV file ({headline(e)}): "
                            f"{_LAYOUT}") from None
    first_line = max(skip, 1) + 1  # the file's line of the first row of data
    if levels:  # Date, then one column per (price, ticker)
        columns = pd.MultiIndex.from_arrays([row[1:] for row in levels],
                                            names=[row[0] for row in levels])
        frame = pd.concat([frame.iloc[:, :1].set_axis(["Date"], axis=1),
                           one_ticker(frame.iloc[:, 1:].set_axis(columns, axis=1), str(path),
                                      fix="save one ticker per file")],
                          axis=1)
    names = [column_key(c) for c in frame.columns]
    if "price" in names and not {"close", "adj close"} & set(names):
        frame = frame.rename(columns={frame.columns[names.index("price")]: "Close"})
    date_col = date_column(frame.columns)
    if date_col is None:  # the cause in a few words; the whole path and first row: --debug
        raise ForecastError(_no_date_column(path, list(frame.columns))) from ValueError(
            f"{path.resolve()}: its first row reads as {[str(c) for c in frame.columns][:8]}; "
            f"{_LAYOUT}")
    empty = frame.isna().all(axis=1) | frame.apply(
        lambda c: c.str.strip().eq("") | c.isna()).all(axis=1)
    repairs = []
    if empty.any():  # what spreadsheets write below the data: ",,,,,"
        repairs.append(f"dropped {int(empty.sum())} row(s) with every cell empty, first on "
                       f"line {int(empty.to_numpy().argmax()) + first_line}")
        frame = frame[~empty]
    # dates first: a line that is not data at all (Investing.com's old "Highest: ..." below
    # the prices) is named by its date
    dates = parse_dates(frame[date_col], path, date_format, first_line=first_line)
    values = _decimal_commas(frame.drop(columns=[date_col]), path, sep, first_line)
    values.index = dates
    values, dropped = drop_missing(values, str(path), missing,
                                   lines=frame.index.to_numpy() + first_line)
    prices = normalise(values, str(path))
    prices.attrs["repairs"] = repairs + dropped + prices.attrs["repairs"]
    return prices


_EXAMPLE = "e.g. Date,Open,High,Low,Close,Volume"


def _no_date_column(path, columns) -> str:
    """Why a file has no Date column, in a few words, and the fix."""
    first = str(columns[0]).strip() if columns else ""
    if re.match(r"^\d[\d\-./: T]*$", first):  # a date or a number: data, not a name
        return f"{path.name} has no header row, so no Date column: add one, {_EXAMPLE}"
    if len(columns) < 2:
        return (f"{path.name} has no Date column, nor , ; or tab in its first row: save it "
                f"as CSV with a header row, {_EXAMPLE}")
    shown = ", ".join(str(c).strip()[:20] for c in columns[:4]) + (
        ", ..." if len(columns) > 4 else "")
    return f"{path.name} has no Date column ({shown}): name the dates' column Date, {_EXAMPLE}"


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
    return bool(row) and plain_name(row[0]) in ("date", "datetime") and not any(row[1:])


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
    numeric = [c for c in values.columns if column_key(c) in (*COLUMNS, "adj close")]
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
