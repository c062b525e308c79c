from datetime import date

import numpy as np
import pandas as pd
import pytest

from forecast import data
from forecast.errors import ForecastError

CSV = """Date,Open,High,Low,Close,Adj Close,Volume,Dividends
2020-01-02,10,11,9,10.5,10.0,100,0
2020-01-03,10.5,12,10,11.5,11.0,200,0
2020-01-06,11.5,12,11,11.8,11.3,150,0
"""


def test_sample_source_is_real_sp500(sp500):
    assert len(sp500) == 5031
    assert str(sp500.index[0].date()) == "1999-01-04" and str(sp500.index[-1].date()) \
        == "2018-12-31"
    assert list(sp500.columns) == data.COLUMNS
    assert sp500.index.name == "date" and sp500.index.tz is None
    assert sp500.loc["2018-12-31", "close"] == pytest.approx(2506.85, abs=0.01)


def test_sample_aliases_and_nasdaq():
    a = data.load_prices("SP500", "sample", start="2010-01-01", end="2010-12-31")
    b = data.load_prices("^GSPC", "sample", start="2010-01-01", end="2010-12-31")
    pd.testing.assert_frame_equal(a, b)
    assert data.load_prices("^IXIC", "sample").loc["2018-12-31", "close"] > 6000


def test_unknown_sample_ticker_points_to_other_sources():
    with pytest.raises(ForecastError, match="--source yahoo"):
        data.load_prices("AAPL", "sample")


def test_csv_any_case_adj_close_and_extra_columns(write_csv):
    path = write_csv(CSV.replace("Open", "open").replace("Volume", "VOLUME"))
    prices = data.load_prices("MINE", "csv", csv=path)
    assert list(prices.columns) == data.COLUMNS
    assert prices["close"].tolist() == [10.0, 11.0, 11.3]  # Adj Close wins
    assert prices.index[1] == pd.Timestamp("2020-01-03")


def test_unsorted_csv_is_sorted(write_csv):
    lines = CSV.splitlines()
    path = write_csv("\n".join([lines[0], lines[3], lines[1], lines[2]]))
    assert data.read_csv(path).index.is_monotonic_increasing


@pytest.mark.parametrize("text, message", [
    ("", "not a readable CSV"),
    ("\x00\x01garbage\x02", "no Date column"),
    ("Date,Open,High,Low,Volume\n2020-01-02,1,1,1,1\n", "no close column"),
    (CSV.replace("2020-01-03", "yesterday"), "cannot read the date 'yesterday'"),
    (CSV.replace("2020-01-03", "2020-01-02"), "duplicate date"),
    (CSV.replace("10.5,12,10,11.5,11.0", "10.5,12,10,11.5,abc"), "non-numeric"),
    (CSV.replace("10.5,12,10,11.5,11.0", "10.5,12,10,11.5,-1"), "prices <= 0"),
])
def test_broken_csv_gives_one_line(write_csv, text, message):
    with pytest.raises(ForecastError) as info:
        data.read_csv(write_csv(text))
    assert message in str(info.value) and "\n" not in str(info.value)


def test_missing_csv_file():
    with pytest.raises(ForecastError, match="does not exist"):
        data.read_csv("no/such/file.csv")


def test_date_range_outside_the_data():
    with pytest.raises(ForecastError, match="no prices for"):
        data.load_prices("^GSPC", "sample", start="2030-01-01")


@pytest.mark.parametrize("bad", ["../etc/passwd", "<script>", "a b", "", "x" * 30])
def test_ticker_names_that_are_not_symbols_are_refused(bad):
    with pytest.raises(ForecastError, match="not a ticker symbol"):
        data.check_ticker(bad)


def test_fingerprint_changes_with_one_price(short_prices):
    other = short_prices.copy()
    other.iloc[10, 3] += 0.01
    assert data.fingerprint(short_prices) == data.fingerprint(short_prices.copy())
    assert data.fingerprint(short_prices) != data.fingerprint(other)


# --- bad input: what is repaired (and reported), what is refused ---------------------------

def test_clean_data_has_no_repairs_and_no_cache(write_csv):
    prices = data.load_prices("MINE", "csv", csv=write_csv(CSV))
    assert prices.attrs == {"repairs": [], "cache": None}


def test_unsorted_dates_are_sorted_and_reported(write_csv):
    lines = CSV.splitlines()
    said = []
    prices = data.load_prices("MINE", "csv", csv=write_csv("\n".join(
        [lines[0], lines[3], lines[1], lines[2]])), log=said.append)
    assert prices.index.is_monotonic_increasing
    assert prices.attrs["repairs"] == ["sorted the rows by date (3 of 3 were out of order)"]
    assert said == ["note: MINE: sorted the rows by date (3 of 3 were out of order)"]


def test_missing_volume_is_zero_and_reported(write_csv):
    prices = data.read_csv(write_csv(CSV.replace(",150,", ",,")))
    assert prices["volume"].tolist() == [100, 200, 0]
    assert prices.attrs["repairs"] == ["set 1 missing volume(s) to 0, first 2020-01-06"]


def test_a_day_without_any_price_is_dropped_and_reported(write_csv):
    prices = data.read_csv(write_csv(CSV + "2020-01-07,,,,,,,\n"))
    assert len(prices) == 3
    assert prices.attrs["repairs"][0] == "dropped 1 row(s) without any price, first 2020-01-07"


def test_dates_keep_the_exchange_day_whatever_the_time_zone(write_csv):
    # what yfinance's history().to_csv() writes: offsets change with daylight saving time
    text = ("Date,Open,High,Low,Close,Volume\n"
            "2020-03-06 00:00:00-05:00,1,1,1,1,1\n2020-03-09 00:00:00-04:00,1,1,1,1,1\n"
            "2020-03-10 00:00:00+09:00,1,1,1,1,1\n2020-03-11 23:30:00Z,1,1,1,1,1\n")
    prices = data.read_csv(write_csv(text))
    assert [str(d.date()) for d in prices.index] == ["2020-03-06", "2020-03-09",
                                                     "2020-03-10", "2020-03-11"]


@pytest.mark.parametrize("text, message", [
    ("Date,Open,High,Low,Close,Volume\n", "holds no rows"),
    ("Date,Close,Open,High,Low,Close,Volume\n2020-01-02,1,1,1,1,1,1\n", "more than one close"),
    (CSV.replace("11.8,11.3,150,0", "11.8,11.3,150,0,7"), "not a readable CSV file"),
    (CSV.replace("11.5,11.0", "11.5,1e999"), "infinite"),
    (CSV.replace("11.5,11.0", "11.5,nan"), "missing"),
    (CSV.replace(",200,", ",-5,"), "negative or infinite volume"),
    (CSV.replace("2020-01-03", "01/03/2020"), "one format for the whole file"),
    (CSV.replace("2020-01-03", "01/03/2020"), "--date-format"),
    (CSV.replace("2020-01-03", "1600-01-03"), "cannot read the date '1600-01-03' on line 3"),
    ("Date,Open,High,Low,Close,Volume\n2020-01-02 09:30,1,1,1,1,1\n2020-01-02 16:00,1,1,1,1,1\n",
     "duplicate date(s), first 2020-01-02: keep one row per day"),
    (CSV.replace("2020-01-02", "\x1b[31m"), r"'\x1b[31m'"),
])
def test_more_broken_csv_gives_one_line(write_csv, text, message):
    with pytest.raises(ForecastError) as info:
        data.read_csv(write_csv(text))
    assert message in str(info.value)
    assert len(str(info.value).splitlines()) == 1 and str(info.value).isprintable()


def gappy(write_csv):
    days = [*pd.bdate_range("2020-01-01", periods=20), *pd.bdate_range("2020-03-02",
                                                                        periods=20)]
    frame = pd.DataFrame({"Open": 1.0, "High": 1.0, "Low": 1.0, "Close": 1.0, "Volume": 1.0},
                         index=pd.DatetimeIndex(days, name="Date"))
    return write_csv(frame)


def test_a_long_gap_is_refused_with_the_way_around_it(write_csv):
    with pytest.raises(ForecastError, match="1 gap.* longer than 14 days, the last from "
                       "2020-01-28 to 2020-03-02 .*--start 2020-03-02"):
        data.load_prices("MINE", "csv", csv=gappy(write_csv))
    assert len(data.load_prices("MINE", "csv", csv=gappy(write_csv), start="2020-03-02")) == 20
    assert len(data.load_prices("MINE", "csv", csv=gappy(write_csv), end="2020-01-28")) == 20


@pytest.mark.parametrize("start, end, message", [
    ("soon", None, "start 'soon' is not a date"),
    (None, "2020-13-01", "end '2020-13-01' is not a date"),
    ("2010-01-01", "2009-01-01", "start 2010-01-01 is after end 2009-01-01"),
])
def test_bad_date_bounds(start, end, message):
    with pytest.raises(ForecastError, match=message):
        data.load_prices("^GSPC", "sample", start=start, end=end)


def test_a_year_as_end_means_the_whole_year():
    assert str(data.load_prices("^GSPC", "sample", end="2017").index[-1].date()) == \
        "2017-12-29"


@pytest.mark.parametrize("gap, refused", [(14, False), (15, True)])
def test_a_gap_of_more_than_14_days_is_refused_and_14_is_not(write_csv, gap, refused):
    first = pd.bdate_range("2020-01-01", periods=10)
    days = [*first, *pd.bdate_range(first[-1] + pd.Timedelta(days=gap), periods=10)]
    frame = pd.DataFrame({"Open": 1.0, "High": 1.0, "Low": 1.0, "Close": 1.0, "Volume": 1.0},
                         index=pd.DatetimeIndex(days, name="Date"))
    path = write_csv(frame)
    if refused:
        with pytest.raises(ForecastError, match=f"longer than 14 days.*\\({gap} days\\)"):
            data.load_prices("MINE", "csv", csv=path)
    else:
        assert len(data.load_prices("MINE", "csv", csv=path)) == 20


@pytest.mark.parametrize("day, ok", [("2199-12-31", True), ("2200-01-01", False),
                                     ("1800-01-01", True), ("1799-12-31", False)])
def test_dates_from_1800_to_2199_are_read_and_others_refused(write_csv, day, ok):
    if ok:
        assert data.parse_day(day, "end") == pd.Timestamp(day)
    else:
        with pytest.raises(ForecastError, match=f"end '{day}' is not a date"):
            data.parse_day(day, "end")
    text = f"Date,Open,High,Low,Close,Volume\n{day},1,1,1,1,1\n"
    if ok:
        assert data.read_csv(write_csv(text)).index[0] == pd.Timestamp(day)
    else:
        with pytest.raises(ForecastError, match=f"cannot read the date '{day}'"):
            data.read_csv(write_csv(text))


# --- the price files people have: each variant reads to the clean file's prices ----------

def clean_frame(sp500):
    """The bundled S&P 500 as a user's file has it: Date, Open, High, Low, Close, Volume."""
    frame = sp500.rename(columns=str.title)
    frame.index.name = "Date"
    return frame


def same_prices(got, want, columns=None):
    columns = columns or list(want.columns)
    assert list(got.columns) == columns
    pd.testing.assert_frame_equal(got, want[columns], check_freq=False)


def test_the_clean_file_reads_to_the_bundled_prices(write_csv, sp500):
    prices = data.read_csv(write_csv(clean_frame(sp500)))
    same_prices(prices, sp500)
    assert prices.attrs["repairs"] == []


@pytest.mark.parametrize("sep", [";", "\t"])
def test_semicolons_or_tabs_with_decimal_commas(write_csv, sp500, sep):
    path = write_csv(clean_frame(sp500).to_csv(sep=sep, decimal=","))
    assert "1229,22998" in path.read_text()  # the file really has decimal commas
    same_prices(data.read_csv(path), sp500)


def test_semicolons_with_decimal_points(write_csv, sp500):
    same_prices(data.read_csv(write_csv(clean_frame(sp500).to_csv(sep=";"))), sp500)


def test_decimal_commas_with_thousands_points(write_csv, sp500):
    def german(v):  # 1229.23 -> 1.229,23, as a spreadsheet formats it
        return f"{v:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")
    frame = clean_frame(sp500).iloc[:300].round(2)
    text = frame.to_csv(sep=";", float_format="%.2f")
    lines = [text.splitlines()[0]] + [
        ";".join([day, *(german(float(v)) for v in rest)])
        for day, *rest in (line.split(";") for line in text.splitlines()[1:])]
    path = write_csv("\n".join(lines) + "\n")
    assert "1.229,23" in path.read_text()
    same_prices(data.read_csv(path), frame.rename(columns=str.lower).rename_axis("date"))


def test_decimal_commas_between_commas_name_both_fixes(write_csv, sp500):
    path = write_csv(clean_frame(sp500).iloc[:5].to_csv(decimal=","))  # quoted "1229,23"
    with pytest.raises(ForecastError) as info:
        data.read_csv(path)
    message = str(info.value)
    assert "commas between columns" in message and "semicolons" in message
    assert len(message.splitlines()) == 1


def test_a_number_written_two_ways_is_refused_by_line(write_csv):
    text = "Date;Close\n2020-01-02;10,5\n2020-01-03;11.25\n"
    with pytest.raises(ForecastError, match=r"'11.25' on line 3 .*decimal commas"):
        data.read_csv(write_csv(text))


def test_a_date_format_reads_the_whole_file(write_csv, sp500):
    frame = clean_frame(sp500)
    path = write_csv(frame.to_csv(date_format="%d/%m/%Y"))
    assert "13/01/1999" in path.read_text()
    same_prices(data.read_csv(path, date_format="%d/%m/%Y"), sp500)
    with pytest.raises(ForecastError, match=r"'04/01/1999' on line 2: use YYYY-MM-DD, or "
                       r"name the file's date format with --date-format"):
        data.read_csv(path)  # never guessed: 04/01/1999 could be 1 April
    with pytest.raises(ForecastError, match=r"'13/01/1999' on line 9: the date format is "
                       r"%m/%d/%Y"):
        data.read_csv(path, date_format="%m/%d/%Y")


@pytest.mark.parametrize("fmt", ["dd/mm/yyyy", "%d/%m", "%Y"])
def test_a_date_format_must_name_the_day(write_csv, fmt):
    with pytest.raises(ForecastError, match="does not name a year, month and day"):
        data.read_csv(write_csv(CSV), date_format=fmt)


def test_rows_with_every_cell_empty_are_dropped_and_reported(write_csv, sp500):
    frame = clean_frame(sp500)
    path = write_csv(frame.to_csv() + ",,,,,\n,,,,,\n")  # what Excel leaves below the data
    prices = data.read_csv(path)
    same_prices(prices, sp500)
    assert prices.attrs["repairs"] == ["dropped 2 row(s) with every cell empty, first on "
                                       f"line {len(sp500) + 2}"]
    said = []
    data.load_prices("MINE", "csv", csv=path, log=said.append)
    assert said == [f"note: MINE: {prices.attrs['repairs'][0]}"]


def test_no_volume_column(write_csv, sp500):
    prices = data.read_csv(write_csv(clean_frame(sp500).drop(columns="Volume")))
    same_prices(prices, sp500, ["open", "high", "low", "close"])
    assert prices.attrs["repairs"] == ["no volume column: volume indicators are unavailable"]


@pytest.mark.parametrize("name", ["Adj Close", "Close", "adj_close", "CLOSE"])
def test_a_close_alone(write_csv, sp500, name):
    frame = clean_frame(sp500)[["Close"]].rename(columns={"Close": name})
    prices = data.read_csv(write_csv(frame))
    same_prices(prices, sp500, ["close"])
    assert prices.attrs["repairs"] == ["no open, high, low or volume column: indicators that "
                                       "need them are unavailable"]


def test_close_only_prices_have_their_own_fingerprint(sp500):
    close = sp500[["close"]]
    assert data.fingerprint(close) != data.fingerprint(sp500)
    assert data.fingerprint(close) == data.fingerprint(close.copy())


def test_a_users_dataframe_is_validated_like_a_csv(sp500):
    frame = sp500.rename(columns={"close": "Adj Close", "open": "OPEN"})
    frame = frame.iloc[::-1]  # newest first
    frame.index = frame.index.strftime("%Y-%m-%d")  # dates as text
    prices = data.from_frame(frame)
    same_prices(prices, sp500)
    assert prices.attrs["repairs"] == [f"sorted the rows by date: they were newest "
                                       f"first ({len(sp500)} rows)"]
    with_column = sp500[["close"]].reset_index().rename(columns={"date": "Date"})
    same_prices(data.from_frame(with_column), sp500, ["close"])
    loaded = data.load_prices("MINE", prices=sp500[["close"]], start="2010", end="2010",
                              log=lambda msg: None)
    assert (str(loaded.index[0].date()), str(loaded.index[-1].date())) == ("2010-01-04",
                                                                           "2010-12-31")
    with pytest.raises(ForecastError, match="has no close column"):
        data.from_frame(sp500[["open"]])
    with pytest.raises(ForecastError, match="must be a pandas DataFrame"):
        data.from_frame([1, 2, 3])


# --- dates given as settings or flags --------------------------------------------------------

@pytest.mark.parametrize("value, fmt, last, want", [
    ("2005-03-02", None, False, "2005-03-02"),
    ("2005", None, False, "2005-01-01"),
    ("2005", None, True, "2005-12-31"),
    ("2004-02", None, True, "2004-02-29"),
    ("02/03/2005", "%d/%m/%Y", False, "2005-03-02"),
    ("2005-03-02", "%d/%m/%Y", False, "2005-03-02"),  # YYYY-MM-DD is always understood
])
def test_days_are_read_strictly_and_written_normalised(value, fmt, last, want):
    assert data.day_text(value, "start", date_format=fmt, last=last) == want


@pytest.mark.parametrize("value", ["02/03/2005", "5.3.2005", "March 2005", "2005-3-2",
                                   "2005-02-30"])
def test_days_that_would_need_a_guess_are_refused(value):
    with pytest.raises(ForecastError, match=f"start {value!r} is not a date: use YYYY-MM-DD "
                       r"\(or set the date format"):
        data.parse_day(value, "start")


def test_csv_ticker_is_the_file_name():
    assert data.csv_ticker("data/nasdaq.csv") == "nasdaq"
    assert data.csv_ticker("my prices (2020).csv") == "my_prices_2020"
    assert data.csv_ticker("../.hidden.csv") == "hidden"
    assert data.csv_ticker("???.csv") == "CSV"
    data.check_ticker(data.csv_ticker("x" * 40 + ".csv"))


def test_a_name_that_does_not_resolve_is_not_retried(monkeypatch):
    import yfinance as yf
    calls = []

    def history(self, **kw):
        calls.append(1)
        raise ConnectionError("Failed to perform, curl: (6) Could not resolve host: "
                              "query2.finance.yahoo.com")
    monkeypatch.setattr(yf.Ticker, "history", history)
    with pytest.raises(ForecastError, match="cannot reach Yahoo for AAPL: its address does "
                       "not resolve"):
        data.download("AAPL", backoff=100)  # a retry would sleep 100 s
    assert calls == [1]


def _set(changes):
    """Four clean days of prices, then ``changes``: {(row, column): value}."""
    days = pd.bdate_range("2020-01-06", periods=4, name="date")
    frame = pd.DataFrame({c: [1.0, 1.1, 1.2, 1.3] for c in data.COLUMNS}, index=days)
    frame["volume"] = [0.0, 5.0, 5.0, 5.0]  # a day without volume is fine
    for (row, column), value in changes.items():
        frame.iloc[row, frame.columns.get_loc(column)] = value
    return frame


@pytest.mark.parametrize("changes, message", [
    ({(2, "low"): 0.0}, "MINE has prices <= 0, first on 2020-01-08: prices must be positive"),
    ({(2, "open"): float("inf")}, "MINE has 1 row(s) with missing, non-numeric or infinite prices, "
                            "first 2020-01-08: fix or remove them"),
    ({(2, "volume"): -1.0}, "MINE has a negative or infinite volume on 2020-01-08: volume "
                            "must be 0 or more"),
    ({(3, "volume"): float("inf")}, "MINE has a negative or infinite volume on 2020-01-09: volume "
                              "must be 0 or more"),
])
def test_bad_prices_are_refused_naming_the_first_bad_day(changes, message):
    with pytest.raises(ForecastError) as info:
        data.check_prices(_set(changes), "MINE")
    assert str(info.value) == message


def test_prices_between_0_and_1_and_a_day_without_volume_are_fine():
    prices = data.check_prices(_set({(0, "close"): 0.9}), "MINE")
    assert prices["close"].iloc[0] == 0.9 and prices["volume"].iloc[0] == 0.0
    assert prices.attrs["repairs"] == []
    dup = _set({})
    dup.index = dup.index[[0, 1, 1, 3]]
    with pytest.raises(ForecastError, match=r"^MINE has 1 duplicate date\(s\), first "
                       r"2020-01-07: keep one row per day \(intraday data must be daily\)$"):
        data.check_prices(dup, "MINE")


# --- mutation testing (issue 16): CSV variants, frames and the exact fixes errors name ---

def _write(tmp_path, text, name="p.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _error(call, *args, **kwargs):
    with pytest.raises(ForecastError) as e:
        call(*args, **kwargs)
    return str(e.value)


def test_a_datetime_header_names_the_date_column(tmp_path):
    p = _write(tmp_path, "Datetime,Close\n2020-01-02,10\n2020-01-03,11\n")
    assert list(data.read_csv(p).index.strftime("%Y-%m-%d")) == ["2020-01-02", "2020-01-03"]


def test_adj_close_with_decimal_commas_and_an_empty_cell(tmp_path):
    p = _write(tmp_path, "Date;Adj_Close;Volume\n2020-01-02;1.234,5;\n2020-01-03;1.240,25;7\n")
    prices = data.read_csv(p)
    assert list(prices["close"]) == [1234.5, 1240.25]
    assert list(prices["volume"]) == [0.0, 7.0]


def test_an_empty_cell_in_a_comma_file_is_not_a_decimal_comma(tmp_path):
    p = _write(tmp_path, "Date,Close,Volume\n2020-01-02,10.5,\n2020-01-03,11.5,3\n")
    assert list(data.read_csv(p)["close"]) == [10.5, 11.5]


def test_one_quoted_decimal_comma_in_a_comma_file_is_named_with_its_line(tmp_path):
    p = _write(tmp_path, 'Date,Close\n2020-01-02,10.5\n2020-01-03,"11,5"\n')
    msg = _error(data.read_csv, p)
    assert msg.startswith(f"{p}: the number '11,5' on line 3 has a comma: save it with")


def test_a_number_unlike_the_decimal_comma_ones_is_named(tmp_path):
    p = _write(tmp_path, "Date;Close\n2020-01-02;10,5\n2020-01-03;11.5.1\n")
    assert _error(data.read_csv, p) == (
        f"{p}: the number '11.5.1' on line 3 is not written like the others, which have "
        "decimal commas (1234,56 or 1.234,56): use one way for the whole file")


def test_a_semicolon_in_a_comma_header_does_not_change_the_separator(tmp_path):
    p = _write(tmp_path, "Date,Close,Volume,Note (a;b)\n2020-01-02,10.5,1,x\n"
                         "2020-01-03,11.5,2,y\n")
    assert list(data.read_csv(p)["close"]) == [10.5, 11.5]


def test_a_header_not_in_utf8_is_still_read(tmp_path):
    p = _write(tmp_path, "Date;Close;Volumé\n2020-01-02;10,5;1\n2020-01-03;11,5;2\n",
               encoding="latin-1")
    assert list(data.read_csv(p)["close"]) == [10.5, 11.5]


def test_spaces_after_the_commas_and_quoted_numbers(tmp_path):
    p = _write(tmp_path, 'Date, Close\n2020-01-02, "10.5"\n2020-01-03, "11.5"\n')
    assert list(data.read_csv(p)["close"]) == [10.5, 11.5]


def test_a_row_of_blank_quoted_cells_is_dropped(tmp_path):
    p = _write(tmp_path, 'Date,Close\n2020-01-02,10\n2020-01-03,11\n"  ","  "\n')
    prices = data.read_csv(p)
    assert len(prices) == 2
    assert prices.attrs["repairs"][0] == "dropped 1 row(s) with every cell empty, first on line 4"


def test_rows_longer_than_the_header_are_refused(tmp_path):
    p = _write(tmp_path, "Date,Close\n2020-01-02,10,5\n2020-01-03,11,6\n")
    assert f"{p} is not a readable CSV file (" in _error(data.read_csv, p)


def test_csv_errors_name_the_file(tmp_path):
    p = _write(tmp_path, "Date,Close\n2020-01-02,10\n2020-01-03,-1\n")
    assert _error(data.read_csv, p).startswith(f"{p} has prices <= 0, first on 2020-01-03")
    p = _write(tmp_path, "Date,Close\n2020-01-02,10\nnope,11\n", name="q.csv")
    assert _error(data.read_csv, p) == (
        f"{p}: cannot read the date 'nope' on line 3: use YYYY-MM-DD, or name the file's "
        "date format with --date-format or data.date_format (e.g. %d/%m/%Y or %m/%d/%Y); one "
        "format for the whole file")


def test_read_csv_without_a_file_and_with_a_bad_format():
    assert _error(data.read_csv, None) == "the csv source needs a file: --csv PATH"


def test_read_csv_names_a_bad_date_format(tmp_path):
    p = _write(tmp_path, "Date,Close\n2020-01-02,10\n")
    assert _error(data.read_csv, p, date_format="%Y").startswith("the date format '%Y' does ")


def test_check_date_format_says_how_to_write_one():
    assert _error(data.check_date_format, "%Y") == (
        "data.date_format '%Y' does not name a year, month and day in strftime codes: write "
        "it like %d/%m/%Y or %m/%d/%Y")


def test_check_ticker_message_gives_examples():
    assert _error(data.check_ticker, "../x").endswith(
        "use letters, digits and ^ . = - only, e.g. AAPL, ^GSPC, BRK-B, EURUSD=X")


def test_parse_day_accepts_date_objects_and_names_the_fix():
    assert data.parse_day(date(2020, 1, 2)) == pd.Timestamp("2020-01-02")
    assert data.day_text(date(2020, 1, 2)) == "2020-01-02"
    assert data.day_text("2018") == "2018-01-01"
    assert _error(data.parse_day, "nope") == (
        "date 'nope' is not a date: use YYYY-MM-DD (or set the date format: --date-format / "
        "data.date_format, e.g. %d/%m/%Y)")
    assert _error(data.day_text, "nope").startswith("date 'nope' is not a date")
    assert _error(data.parse_day, "nope", date_format="%d/%m/%Y") == \
        "date 'nope' is not a date: use YYYY-MM-DD or %d/%m/%Y"


def test_from_frame_reads_text_dates_in_the_date_format():
    frame = pd.DataFrame({"Close": [1.0, 2.0]}, index=["03/02/2005", "04/02/2005"])
    prices = data.from_frame(frame, date_format="%d/%m/%Y")
    assert list(prices.index.strftime("%Y-%m-%d")) == ["2005-02-03", "2005-02-04"]
    assert prices.index.name == "date"


def test_from_frame_errors_name_the_frame_and_no_line():
    frame = pd.DataFrame({"Close": [1.0, 2.0]}, index=["2005-02-03", "nope"])
    assert _error(data.from_frame, frame) == (
        "prices: cannot read the date 'nope': use YYYY-MM-DD, or name the file's date format "
        "with --date-format or data.date_format (e.g. %d/%m/%Y or %m/%d/%Y); one format for "
        "the whole file")
    dated = pd.DatetimeIndex(["2005-02-03", "2005-02-04"])
    assert _error(data.from_frame, pd.DataFrame({"Open": [1.0, 2.0]}, index=dated)) == (
        "prices has no close column: name one Close or Adj Close (any case); Open, High, Low, "
        "Volume are optional")
    assert _error(data.from_frame, pd.DataFrame({"Open": [1.0]}, index=dated[:1]),
                  "my frame").startswith("my frame has no close column")
    assert _error(data.from_frame, pd.DataFrame({"Close": [1.0, -1.0]}, index=dated),
                  "my frame").startswith("my frame has prices <= 0, first on 2005-02-04")
    assert _error(data.from_frame, [1, 2]).endswith("got list")


def test_from_frame_drops_the_time_zone_keeping_the_trading_day():
    index = pd.DatetimeIndex(["2020-01-02 16:00", "2020-01-03 16:00"]).tz_localize(
        "America/New_York")
    prices = data.from_frame(pd.DataFrame({"Close": [1.0, 2.0]}, index=index))
    assert prices.index.tz is None
    assert list(prices.index.strftime("%Y-%m-%d")) == ["2020-01-02", "2020-01-03"]


def test_two_columns_for_one_price_are_refused():
    dated = pd.DatetimeIndex(["2005-02-03"])
    both = pd.DataFrame([[1.0, 1.0]], columns=["Close", "close"], index=dated)
    assert _error(data.from_frame, both) == "prices has more than one close column: keep one"
    adj = pd.DataFrame([[1.0, 1.0]], columns=["Adj Close", "Adj Close.1"], index=dated)
    assert "more than one adj close column" in _error(data.from_frame, adj)


def _frame(**columns):
    index = pd.DatetimeIndex(["2020-01-02", "2020-01-03", "2020-01-06"])
    return pd.DataFrame(columns, index=index)


def test_check_prices_names_the_first_bad_day_and_the_fix():
    msg = _error(data.normalise, _frame(Close=[1.0, float("nan"), 2.0], Open=[1.0] * 3), "p")
    assert msg == ("p has 1 row(s) with missing, non-numeric or infinite prices, first "
                   "2020-01-03: fix or remove them")
    msg = _error(data.normalise, _frame(Close=[0.5, 2.0, 0.0]), "p")
    assert msg == "p has prices <= 0, first on 2020-01-06: prices must be positive"
    msg = _error(data.normalise, _frame(Close=[1.0] * 3, Volume=[0.0, 0.5, -1.0]), "p")
    assert msg == "p has a negative or infinite volume on 2020-01-06: volume must be 0 or more"
    assert _error(data.normalise, _frame(Close=[float("nan")] * 3), "p") == "p holds no prices"
    twice = pd.DataFrame({"Close": [1.0, 2.0]}, index=pd.DatetimeIndex(["2020-01-02"] * 2))
    assert _error(data.normalise, twice, "p") == (
        "p has 1 duplicate date(s), first 2020-01-02: keep one row per day (intraday data "
        "must be daily)")
    nat = pd.DataFrame({"close": [1.0, 2.0]}, index=pd.DatetimeIndex(["2020-01-02", None]))
    assert _error(data.check_prices, nat, "p") == "p has dates that cannot be read"


def test_from_frame_with_an_offset_in_the_date_format_keeps_the_local_day():
    frame = pd.DataFrame({"Close": [1.0, 2.0]},
                         index=["2020-01-02 23:30+05:00", "2020-01-03 10:00+05:00"])
    prices = data.from_frame(frame, date_format="%Y-%m-%d %H:%M%z")
    assert prices.index.tz is None
    assert list(prices.index.strftime("%Y-%m-%d")) == ["2020-01-02", "2020-01-03"]


def test_from_frame_with_offsets_that_change_keeps_each_local_day():
    # daylight saving time: pandas refuses mixed offsets in one format; each day as written
    frame = pd.DataFrame({"Close": [1.0, 2.0, 3.0]},
                         index=["2020-03-06 23:30-05:00", "2020-03-09 00:30-04:00", "oops"])
    assert "cannot read the date 'oops'" in _error(
        data.from_frame, frame, date_format="%Y-%m-%d %H:%M%z")
    prices = data.from_frame(frame.iloc[:2], date_format="%Y-%m-%d %H:%M%z")
    assert list(prices.index.strftime("%Y-%m-%d")) == ["2020-03-06", "2020-03-09"]


def test_day_text_names_the_setting_it_reads():
    assert _error(data.day_text, "nope", "data.start").startswith("data.start 'nope' is not")


def test_a_blank_quoted_cell_among_decimal_commas_is_an_empty_volume(tmp_path):
    p = _write(tmp_path, 'Date;Close;Volume\n2020-01-02;10,5;"  "\n2020-01-03;11,5;3\n')
    prices = data.read_csv(p)
    assert list(prices["close"]) == [10.5, 11.5] and list(prices["volume"]) == [0.0, 3.0]


def test_an_unreadable_csv_says_why(tmp_path):
    p = _write(tmp_path, "Date,Close\n2020-01-02,10,5\n2020-01-03,11,6\n")
    assert "(Length of header or names does not match length of data" in _error(data.read_csv, p)


# --- files and frames as other sources export them (issue: a new user's own prices) -------

def _yf_frame(prices, tickers=("AAPL",), order=("Price", "Ticker")):
    """``prices`` as ``yf.download`` (yfinance >= 0.2.51) returns them: two column levels."""
    names = ["Close", "High", "Low", "Open", "Volume"]
    columns = pd.MultiIndex.from_product([names, list(tickers)], names=["Price", "Ticker"])
    values = np.repeat(prices[[n.lower() for n in names]].to_numpy(), len(tickers), axis=1)
    frame = pd.DataFrame(values, index=prices.index.rename("Date"), columns=columns)
    return frame if order[0] == "Price" else frame.swaplevel(axis=1)


@pytest.mark.parametrize("order", [("Price", "Ticker"), ("Ticker", "Price")])
@pytest.mark.parametrize("date_row", [True, False])
def test_a_yfinance_csv_with_its_two_or_three_header_rows_is_read(tmp_path, sp500, order,
                                                                  date_row):
    prices = sp500.iloc[:300]
    frame = _yf_frame(prices, order=order)
    p = tmp_path / "aapl.csv"
    (frame if date_row else frame.rename_axis(None)).to_csv(p)
    assert p.read_text().splitlines()[0].startswith(f"{order[0]},")
    same_prices(data.read_csv(p), prices)
    # lines are still counted as in the file: 2 or 3 header rows
    lines = p.read_text().splitlines()
    lines[5] = "nope" + lines[5][10:]
    p.write_text("\n".join(lines) + "\n")
    assert "cannot read the date 'nope' on line 6:" in _error(data.read_csv, p)


def test_a_yfinance_csv_of_two_tickers_is_refused_naming_them(tmp_path, sp500):
    p = tmp_path / "two.csv"
    _yf_frame(sp500.iloc[:5], tickers=("AAPL", "MSFT")).to_csv(p)
    assert _error(data.read_csv, p) == (
        f"{p} holds 2 tickers (AAPL, MSFT): save one ticker per file, e.g. "
        "df.xs('AAPL', axis=1, level='Ticker')")


@pytest.mark.parametrize("order", [("Price", "Ticker"), ("Ticker", "Price")])
def test_a_yf_download_frame_with_two_column_levels_is_read(sp500, order):
    prices = sp500.iloc[:300]
    same_prices(data.from_frame(_yf_frame(prices, order=order)), prices)
    two = _yf_frame(prices, tickers=("AAPL", "MSFT"), order=order)
    assert _error(data.from_frame, two) == (
        "prices holds 2 tickers (AAPL, MSFT): pass one, e.g. df.xs('AAPL', axis=1, "
        "level='Ticker')")
    nothing = pd.DataFrame([[1.0]], columns=pd.MultiIndex.from_tuples([("a", "b")]),
                           index=pd.DatetimeIndex(["2020-01-02"]))
    assert "columns on 2 levels and none names a close" in _error(data.from_frame, nothing)


INVESTING = '''"Date","Price","Open","High","Low","Vol.","Change %"
"Nov 22, 2024","5,969.34","5,944.36","5,972.90","5,944.36","2.35B","0.35%"
"Nov 21, 2024","5,948.71","5,932.14","5,965.28","5,895.76","1.2M","0.53%"
"Nov 20, 2024","5,917.11","5,914.20","5,920.67","5,860.58","850.5K","0.00%"
"Nov 19, 2024","5,916.98","5,869.22","5,922.37","5,864.05","-","0.40%"
'''


def test_an_investing_com_file_is_read_with_its_numbers(tmp_path):
    # newest first, "Price" for the close, thousands commas, volumes with K/M/B or "-"
    prices = data.read_csv(_write(tmp_path, INVESTING))
    assert list(prices.index.strftime("%Y-%m-%d")) == [
        "2024-11-19", "2024-11-20", "2024-11-21", "2024-11-22"]
    assert list(prices["close"]) == [5916.98, 5917.11, 5948.71, 5969.34]
    assert list(prices["high"]) == [5922.37, 5920.67, 5965.28, 5972.90]
    assert list(prices["volume"]) == [0.0, 850_500.0, 1_200_000.0, 2_350_000_000.0]
    assert prices.attrs["repairs"] == [
        "sorted the rows by date: they were newest first (4 rows)",
        "set 1 missing volume(s) to 0, first 2024-11-19"]


def test_investing_com_dates_with_slashes_need_the_date_format(tmp_path):
    text = INVESTING.replace("Nov 22, 2024", "11/22/2024").replace("Nov 21, 2024", "11/21/2024")
    p = _write(tmp_path, text.replace("Nov 20, 2024", "11/20/2024").replace("Nov 19, 2024",
                                                                            "11/19/2024"))
    assert "cannot read the date '11/22/2024' on line 2: use YYYY-MM-DD, or name the " \
        "file's date format with --date-format or data.date_format (e.g. %d/%m/%Y or " \
        "%m/%d/%Y)" in _error(data.read_csv, p)
    assert data.read_csv(p, date_format="%m/%d/%Y")["close"].iloc[-1] == 5969.34
    assert "'11/22/2024' on line 2: the date format is %d/%m/%Y" in _error(
        data.read_csv, p, date_format="%d/%m/%Y")


@pytest.mark.parametrize("volume", ["1.2X", "12 000", "about 5"])
def test_a_volume_that_is_not_a_number_is_refused_not_read_as_missing(tmp_path, volume):
    p = _write(tmp_path, f"Date,Close,Volume\n2020-01-02,10,5\n2020-01-03,11,{volume}\n")
    assert _error(data.read_csv, p) == (
        f"{p} has a volume that is not a number, {volume!r} on 2020-01-03: write volumes "
        "as numbers (1200000 or 1.2M), or leave the cell empty")


def test_thousands_commas_in_a_comma_file_are_read(tmp_path):
    p = _write(tmp_path, 'Date,Open,Close,Volume\n2020-01-02,"1,229.5","1,234.56","1,510,800"\n'
                         '2020-01-03,999.5,"1,001.25",700\n')
    prices = data.read_csv(p)
    assert list(prices["close"]) == [1234.56, 1001.25] and list(prices["open"]) == [1229.5, 999.5]
    assert list(prices["volume"]) == [1_510_800.0, 700.0]


@pytest.mark.parametrize("text, number, line", [
    # "1,234" alone could be 1.234 with a decimal comma: nothing in the file says which
    ('Date,Close\n2020-01-02,"1,234"\n2020-01-03,"1,240"\n', "1,234", 2),
    # a point elsewhere says commas group thousands; then "12,5" is not written like that
    ('Date,Close\n2020-01-02,"1,234.5"\n2020-01-03,"12,5"\n', "12,5", 3),
])
def test_commas_that_may_not_be_thousands_are_refused(tmp_path, text, number, line):
    p = _write(tmp_path, text)
    assert _error(data.read_csv, p).startswith(
        f"{p}: the number {number!r} on line {line} has a comma: save it with")


@pytest.mark.parametrize("written", ["%b %d, %Y", "%B %d, %Y", "%d %b %Y", "%d-%b-%Y"])
def test_dates_with_the_month_named_are_read_without_a_format(write_csv, sp500, written):
    prices = sp500.iloc[:300]
    path = write_csv(clean_frame(prices).to_csv(date_format=written))
    same_prices(data.read_csv(path), prices)


def test_month_names_and_iso_dates_mixed_are_refused(tmp_path):
    p = _write(tmp_path, "Date,Close\n2020-01-02,10\n\"Jan 03, 2020\",11\n")
    assert "cannot read the date 'Jan 03, 2020' on line 3" in _error(data.read_csv, p)


def test_a_metatrader_export_is_read(tmp_path, sp500):
    prices = sp500.iloc[:300].round(2)
    rows = ["<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>"]
    rows += [f"{day:%Y.%m.%d}\t00:00:00\t{r.open}\t{r.high}\t{r.low}\t{r.close}\t12\t"
             f"{int(r.volume)}\t0" for day, r in prices.iterrows()]
    same_prices(data.read_csv(_write(tmp_path, "\n".join(rows) + "\n")), prices)


def test_an_excel_csv_with_a_bom_crlf_and_blank_lines_at_the_end(tmp_path, sp500):
    prices = sp500.iloc[:300]
    text = clean_frame(prices).to_csv(lineterminator="\r\n") + "\r\n\r\n"
    p = _write(tmp_path, text, encoding="utf-8-sig")
    assert p.read_bytes().startswith(b"\xef\xbb\xbfDate,")
    same_prices(data.read_csv(p), prices)


def test_a_day_the_close_halves_is_noted_as_a_possible_split(write_csv, sp500):
    prices = sp500.loc["2010-01-01":"2010-12-31"].copy()
    prices.loc[:"2010-06-01", data.PRICES] *= 2  # a 2-for-1 split on 2010-06-02, unadjusted
    read = data.read_csv(write_csv(clean_frame(prices)))
    assert read.attrs["repairs"] == [
        "the close falls 49% from 2010-06-01 to 2010-06-02: if that is a stock split, use "
        "split-adjusted prices (Adj Close); the backtest takes it as a real move"]
    same_prices(read, prices)  # said, not changed
    prices.loc["2010-09-01":, data.PRICES] *= 3  # and a 1-for-3 reverse split
    notes = data.check_prices(prices, "MINE").attrs["repairs"]
    assert notes[0].endswith("2010-06-02 and 1 other day(s): if that is a stock split, use "
                             "split-adjusted prices (Adj Close); the backtest takes it as a "
                             "real move")
    assert data.check_prices(sp500, "MINE").attrs["repairs"] == []  # 1987 is not in it


def test_adj_close_scales_open_high_and_low_to_it(write_csv):
    # Yahoo's files: Open, High, Low on the scale of Close; Adj Close also takes out dividends
    path = write_csv("Date,Open,High,Low,Close,Adj Close\n2020-01-02,100,110,90,105,52.5\n"
                     "2020-01-03,104,112,100,110,55\n")
    prices = data.read_csv(path)
    assert list(prices["close"]) == [52.5, 55.0]
    assert list(prices["open"]) == [50.0, 52.0] and list(prices["high"]) == [55.0, 56.0]
    assert list(prices["low"]) == [45.0, 50.0]


def test_excel_unicode_text_in_utf16_is_read(tmp_path, sp500):
    prices = sp500.iloc[:300]
    p = _write(tmp_path, clean_frame(prices).to_csv(sep="\t", lineterminator="\r\n"),
               name="p.txt", encoding="utf-16")
    assert p.read_bytes()[:2] == b"\xff\xfe"
    same_prices(data.read_csv(p), prices)


def test_a_nasdaq_com_file_is_read_with_its_dollar_signs(tmp_path):
    p = _write(tmp_path, "Date,Close/Last,Volume,Open,High,Low\n"
                         "11/22/2024,$229.87,38168250,$228.06,$230.72,$228.06\n"
                         "11/21/2024,$228.52,42108330,$228.88,$230.155,$225.7117\n")
    prices = data.read_csv(p, date_format="%m/%d/%Y")
    assert list(prices["close"]) == [228.52, 229.87]
    assert list(prices["low"]) == [225.7117, 228.06]
    assert list(prices["volume"]) == [42108330.0, 38168250.0]


def test_a_series_is_refused_with_the_frame_that_would_do(sp500):
    assert _error(data.from_frame, sp500["close"]) == (
        "prices must be a pandas DataFrame with a date index and a close column, got Series: "
        "for closes alone, pass series.to_frame('close')")


def test_investing_com_summary_line_below_the_prices_is_named_by_its_line(tmp_path):
    # older Investing.com files end with one: the first cell is not a date
    p = _write(tmp_path, INVESTING + '"Highest: 5,972.90","Lowest: 5,864.05",'
                                     '"Difference: 108.85","Average: 5,938.04"\n')
    assert _error(data.read_csv, p).startswith(
        f"{p}: cannot read the date 'Highest: 5,972.90' on line 6: use YYYY-MM-DD")


def test_a_tradingview_export_names_its_dates_time(tmp_path):
    p = _write(tmp_path, "time,open,high,low,close,Volume,MA\n"
                         "2024-11-21T09:30:00-05:00,10,11,9,10.5,100,\n"
                         "2024-11-22T09:30:00-05:00,10.5,12,10,11.5,200,10.9\n")
    prices = data.read_csv(p)
    assert list(prices.index.strftime("%Y-%m-%d")) == ["2024-11-21", "2024-11-22"]
    assert list(prices["close"]) == [10.5, 11.5] and list(prices["volume"]) == [100.0, 200.0]
    unix = _write(tmp_path, "time,close\n1732199400,10.5\n1732285800,11.5\n", name="u.csv")
    assert _error(data.read_csv, unix) == (
        f"{unix}: cannot read the date '1732199400' on line 2: that is a time in seconds since "
        "1970 (TradingView's UNIX time): export the dates as ISO time or YYYY-MM-DD")


def test_a_date_column_wins_over_a_time_column_before_it(tmp_path):
    p = _write(tmp_path, "Time,Date,Close\n16:00,2024-11-21,10.5\n16:00,2024-11-22,11.5\n")
    assert list(data.read_csv(p).index.strftime("%Y-%m-%d")) == ["2024-11-21", "2024-11-22"]


def test_yahoos_web_table_footnote_marks_are_not_part_of_the_names(tmp_path):
    p = _write(tmp_path, "Date,Open,High,Low,Close*,Adj Close**,Volume\n"
                         "2024-11-21,10,11,9,10.5,10.5,100\n2024-11-22,10.5,12,10,11.5,11.5,200\n")
    assert list(data.read_csv(p)["close"]) == [10.5, 11.5]


def test_a_polars_frame_is_told_to_convert():
    DataFrame = type("DataFrame", (), {"__module__": "polars.dataframe.frame",
                                       "to_pandas": lambda self: None})
    assert _error(data.from_frame, DataFrame()) == (
        "prices must be a pandas DataFrame with a date index and a close column, got polars "
        "DataFrame: convert it with .to_pandas()")


def test_a_two_digit_year_is_not_given_a_century(tmp_path):
    p = _write(tmp_path, "Date,Close\n03-Jan-50,16.66\n04-Jan-50,16.85\n")
    assert "cannot read the date '03-Jan-50' on line 2" in _error(data.read_csv, p)


def test_a_volume_column_without_a_single_volume_is_no_volume(tmp_path):
    # Investing.com's currencies: "-" every day; zeros would feed volume indicators nonsense
    p = _write(tmp_path, '"Date","Price","Open","High","Low","Vol."\n'
                         '"Nov 21, 2024","1.0472","1.0543","1.0552","1.0462","-"\n'
                         '"Nov 22, 2024","1.0418","1.0473","1.0497","1.0335","-"\n')
    prices = data.read_csv(p)
    assert list(prices.columns) == ["open", "high", "low", "close"]
    assert prices.attrs["repairs"] == [
        "the volume column is empty: volume indicators are unavailable"]
