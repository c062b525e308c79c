"""Days as forecast reads them. A setting (``start``, ``end``) is YYYY-MM-DD, a year or a
month alone, or in a ``date_format`` of strftime codes; a file's column of dates is read in
one format for the whole column. Nothing is guessed day by day: ``02/03/2005`` without a
date format is refused, not read as 3 February or 2 March.
"""
from __future__ import annotations

import re
import warnings
from datetime import date, datetime

import pandas as pd

from forecast.errors import ForecastError

# a UTC offset after a time of day ("... 00:00:00-05:00", "...T10:00Z"): dropped so that a
# date stays the exchange's date; converting to UTC would move Asian trading days back one
_OFFSET = re.compile(r"(\d:\d\d(?::\d\d(?:\.\d*)?)?)\s*(?:Z|UTC|GMT|[+-]\d\d:?\d\d)$")
_DAY = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")  # 2018, 2018-03, 2018-03-31
_FIRST_DAY, _LAST_DAY = pd.Timestamp("1800-01-01"), pd.Timestamp("2200-01-01")


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


def iso(day):
    """A parsed day (:func:`parse_day`) as YYYY-MM-DD, ``None`` for ``None``."""
    return None if day is None else day.strftime("%Y-%m-%d")


def day_text(value, name="date", *, date_format=None, last=False):
    """``value`` (see :func:`parse_day`) as YYYY-MM-DD, ``None`` for ``None``: the form
    experiment files and run records keep."""
    return iso(parse_day(value, name, date_format=date_format, last=last))


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


# dates with the month's English name: no day/month order to guess (Nov 22, 2024); years
# of four digits only: 22-Nov-49 could be 1949 or 2049
_MONTH_NAMES = ("%b %d, %Y", "%B %d, %Y", "%d %b %Y", "%d %B %Y", "%d-%b-%Y")


def parse_dates(values: pd.Series, where, date_format=None, *, first_line=2):
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
