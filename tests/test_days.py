"""Dates: settings read strictly, a file's column in one format (forecast.days)."""
from datetime import date

import pandas as pd
import pytest

from forecast import csvfile, days
from forecast.errors import ForecastError
from helpers import message_of


@pytest.mark.parametrize("day, ok", [("2199-12-31", True), ("2200-01-01", False),
                                     ("1800-01-01", True), ("1799-12-31", False)])
def test_dates_from_1800_to_2199_are_read_and_others_refused(write_csv, day, ok):
    if ok:
        assert days.parse_day(day, "end") == pd.Timestamp(day)
    else:
        with pytest.raises(ForecastError, match=f"end '{day}' is not a date"):
            days.parse_day(day, "end")
    text = f"Date,Open,High,Low,Close,Volume\n{day},1,1,1,1,1\n"
    if ok:
        assert csvfile.read_csv(write_csv(text)).index[0] == pd.Timestamp(day)
    else:
        with pytest.raises(ForecastError, match=f"cannot read the date '{day}'"):
            csvfile.read_csv(write_csv(text))


@pytest.mark.parametrize("value, fmt, last, want", [
    ("2005-03-02", None, False, "2005-03-02"),
    ("2005", None, False, "2005-01-01"),
    ("2005", None, True, "2005-12-31"),
    ("2004-02", None, True, "2004-02-29"),
    ("02/03/2005", "%d/%m/%Y", False, "2005-03-02"),
    ("2005-03-02", "%d/%m/%Y", False, "2005-03-02"),  # YYYY-MM-DD is always understood
])
def test_days_are_read_strictly_and_written_normalised(value, fmt, last, want):
    assert days.day_text(value, "start", date_format=fmt, last=last) == want


@pytest.mark.parametrize("value", ["02/03/2005", "5.3.2005", "March 2005", "2005-3-2",
                                   "2005-02-30"])
def test_days_that_would_need_a_guess_are_refused(value):
    with pytest.raises(ForecastError, match=f"start {value!r} is not a date: use YYYY-MM-DD "
                       r"\(or set the date format"):
        days.parse_day(value, "start")


def test_check_date_format_says_how_to_write_one():
    assert message_of(days.check_date_format, "%Y") == (
        "data.date_format '%Y' does not name a year, month and day in strftime codes: write "
        "it like %d/%m/%Y or %m/%d/%Y")


def test_parse_day_accepts_date_objects_and_names_the_fix():
    assert days.parse_day(date(2020, 1, 2)) == pd.Timestamp("2020-01-02")
    assert days.day_text(date(2020, 1, 2)) == "2020-01-02"
    assert days.day_text("2018") == "2018-01-01"
    assert message_of(days.parse_day, "nope") == (
        "date 'nope' is not a date: use YYYY-MM-DD (or set the date format: --date-format / "
        "data.date_format, e.g. %d/%m/%Y)")
    assert message_of(days.day_text, "nope").startswith("date 'nope' is not a date")
    assert message_of(days.parse_day, "nope", date_format="%d/%m/%Y") == \
        "date 'nope' is not a date: use YYYY-MM-DD or %d/%m/%Y"


def test_day_text_names_the_setting_it_reads():
    assert message_of(days.day_text, "nope", "data.start").startswith("data.start 'nope' is not")
