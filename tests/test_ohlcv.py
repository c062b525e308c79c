"""The standard price frame: a user's DataFrame, the checks and repairs (forecast.ohlcv)."""
import pandas as pd
import pytest

from forecast import data, ohlcv
from forecast.errors import ForecastError
from helpers import message_of, same_prices, yf_frame


@pytest.mark.parametrize("bad", ["../etc/passwd", "<script>", "a b", "", "x" * 30])
def test_ticker_names_that_are_not_symbols_are_refused(bad):
    with pytest.raises(ForecastError, match="not a ticker symbol"):
        ohlcv.check_ticker(bad)


def test_fingerprint_changes_with_one_price(short_prices):
    other = short_prices.copy()
    other.iloc[10, 3] += 0.01
    assert ohlcv.fingerprint(short_prices) == ohlcv.fingerprint(short_prices.copy())
    assert ohlcv.fingerprint(short_prices) != ohlcv.fingerprint(other)


def test_close_only_prices_have_their_own_fingerprint(sp500):
    close = sp500[["close"]]
    assert ohlcv.fingerprint(close) != ohlcv.fingerprint(sp500)
    assert ohlcv.fingerprint(close) == ohlcv.fingerprint(close.copy())


def test_a_users_dataframe_is_validated_like_a_csv(sp500):
    frame = sp500.rename(columns={"close": "Adj Close", "open": "OPEN"})
    frame = frame.iloc[::-1]  # newest first
    frame.index = frame.index.strftime("%Y-%m-%d")  # dates as text
    prices = ohlcv.from_frame(frame)
    same_prices(prices, sp500)
    assert prices.attrs["repairs"] == [f"sorted the rows by date: they were newest "
                                       f"first ({len(sp500)} rows)"]
    with_column = sp500[["close"]].reset_index().rename(columns={"date": "Date"})
    same_prices(ohlcv.from_frame(with_column), sp500, ["close"])
    loaded = data.load_prices("MINE", prices=sp500[["close"]], start="2010", end="2010",
                              log=lambda msg: None)
    assert (str(loaded.index[0].date()), str(loaded.index[-1].date())) == ("2010-01-04",
                                                                           "2010-12-31")
    with pytest.raises(ForecastError, match="has no close column"):
        ohlcv.from_frame(sp500[["open"]])
    with pytest.raises(ForecastError, match="must be a pandas DataFrame"):
        ohlcv.from_frame([1, 2, 3])


def _set(changes):
    """Four clean days of prices, then ``changes``: {(row, column): value}."""
    days = pd.bdate_range("2020-01-06", periods=4, name="date")
    frame = pd.DataFrame({c: [1.0, 1.1, 1.2, 1.3] for c in ohlcv.COLUMNS}, index=days)
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
        ohlcv.check_prices(_set(changes), "MINE")
    assert str(info.value) == message


def test_a_frames_rows_lacking_a_price_are_refused_or_dropped_on_request():
    frame = _set({(1, "close"): float("nan"), (2, "high"): None})
    assert message_of(ohlcv.from_frame, frame, "MINE") == (
        "MINE: 2 row(s) lack a price, 2020-01-07, 2020-01-08: fill them in, or drop them with "
        'data.missing = "drop" (--missing drop)')
    loaded = data.load_prices("MINE", prices=frame, missing="drop", log=lambda msg: None)
    assert [str(d.date()) for d in loaded.index] == ["2020-01-06", "2020-01-09"]
    assert loaded.attrs["repairs"][0] == ('dropped 2 row(s) with a missing price '
                                          '(data.missing = "drop"): 2020-01-07, 2020-01-08')


def test_prices_between_0_and_1_and_a_day_without_volume_are_fine():
    prices = ohlcv.check_prices(_set({(0, "close"): 0.9}), "MINE")
    assert prices["close"].iloc[0] == 0.9 and prices["volume"].iloc[0] == 0.0
    assert prices.attrs["repairs"] == []
    dup = _set({})
    dup.index = dup.index[[0, 1, 1, 3]]
    with pytest.raises(ForecastError, match=r"^MINE has 1 duplicate date\(s\), first "
                       r"2020-01-07: keep one row per day \(intraday data must be daily\)$"):
        ohlcv.check_prices(dup, "MINE")


def test_check_ticker_message_gives_examples():
    assert message_of(ohlcv.check_ticker, "../x").endswith(
        "use letters, digits and ^ . = - only, e.g. AAPL, ^GSPC, BRK-B, EURUSD=X")


def test_from_frame_reads_text_dates_in_the_date_format():
    frame = pd.DataFrame({"Close": [1.0, 2.0]}, index=["03/02/2005", "04/02/2005"])
    prices = ohlcv.from_frame(frame, date_format="%d/%m/%Y")
    assert list(prices.index.strftime("%Y-%m-%d")) == ["2005-02-03", "2005-02-04"]
    assert prices.index.name == "date"


def test_from_frame_errors_name_the_frame_and_no_line():
    frame = pd.DataFrame({"Close": [1.0, 2.0]}, index=["2005-02-03", "nope"])
    assert message_of(ohlcv.from_frame, frame) == (
        "prices: cannot read the date 'nope': use YYYY-MM-DD, or name the file's date format "
        "with --date-format or data.date_format (e.g. %d/%m/%Y or %m/%d/%Y); one format for "
        "the whole file")
    dated = pd.DatetimeIndex(["2005-02-03", "2005-02-04"])
    assert message_of(ohlcv.from_frame, pd.DataFrame({"Open": [1.0, 2.0]}, index=dated)) == (
        "prices has no close column: name one Close or Adj Close (any case); Open, High, Low, "
        "Volume are optional")
    assert message_of(ohlcv.from_frame, pd.DataFrame({"Open": [1.0]}, index=dated[:1]),
                      "my frame").startswith("my frame has no close column")
    assert message_of(ohlcv.from_frame, pd.DataFrame({"Close": [1.0, -1.0]}, index=dated),
                      "my frame").startswith("my frame has prices <= 0, first on 2005-02-04")
    assert message_of(ohlcv.from_frame, [1, 2]).endswith("got list")


def test_from_frame_drops_the_time_zone_keeping_the_trading_day():
    index = pd.DatetimeIndex(["2020-01-02 16:00", "2020-01-03 16:00"]).tz_localize(
        "America/New_York")
    prices = ohlcv.from_frame(pd.DataFrame({"Close": [1.0, 2.0]}, index=index))
    assert prices.index.tz is None
    assert list(prices.index.strftime("%Y-%m-%d")) == ["2020-01-02", "2020-01-03"]


def test_two_columns_for_one_price_are_refused():
    dated = pd.DatetimeIndex(["2005-02-03"])
    both = pd.DataFrame([[1.0, 1.0]], columns=["Close", "close"], index=dated)
    assert message_of(ohlcv.from_frame, both) == "prices has more than one close column: keep one"
    adj = pd.DataFrame([[1.0, 1.0]], columns=["Adj Close", "Adj Close.1"], index=dated)
    assert "more than one adj close column" in message_of(ohlcv.from_frame, adj)


def _frame(**columns):
    index = pd.DatetimeIndex(["2020-01-02", "2020-01-03", "2020-01-06"])
    return pd.DataFrame(columns, index=index)


def test_check_prices_names_the_first_bad_day_and_the_fix():
    msg = message_of(ohlcv.normalise, _frame(Close=[1.0, float("nan"), 2.0], Open=[1.0] * 3), "p")
    assert msg == ("p has 1 row(s) with missing, non-numeric or infinite prices, first "
                   "2020-01-03: fix or remove them")
    msg = message_of(ohlcv.normalise, _frame(Close=[0.5, 2.0, 0.0]), "p")
    assert msg == "p has prices <= 0, first on 2020-01-06: prices must be positive"
    msg = message_of(ohlcv.normalise, _frame(Close=[1.0] * 3, Volume=[0.0, 0.5, -1.0]), "p")
    assert msg == "p has a negative or infinite volume on 2020-01-06: volume must be 0 or more"
    assert message_of(ohlcv.normalise, _frame(Close=[float("nan")] * 3), "p") == "p holds no prices"
    twice = pd.DataFrame({"Close": [1.0, 2.0]}, index=pd.DatetimeIndex(["2020-01-02"] * 2))
    assert message_of(ohlcv.normalise, twice, "p") == (
        "p has 1 duplicate date(s), first 2020-01-02: keep one row per day (intraday data "
        "must be daily)")
    nat = pd.DataFrame({"close": [1.0, 2.0]}, index=pd.DatetimeIndex(["2020-01-02", None]))
    assert message_of(ohlcv.check_prices, nat, "p") == "p has dates that cannot be read"


def test_from_frame_with_an_offset_in_the_date_format_keeps_the_local_day():
    frame = pd.DataFrame({"Close": [1.0, 2.0]},
                         index=["2020-01-02 23:30+05:00", "2020-01-03 10:00+05:00"])
    prices = ohlcv.from_frame(frame, date_format="%Y-%m-%d %H:%M%z")
    assert prices.index.tz is None
    assert list(prices.index.strftime("%Y-%m-%d")) == ["2020-01-02", "2020-01-03"]


def test_from_frame_with_offsets_that_change_keeps_each_local_day():
    # daylight saving time: pandas refuses mixed offsets in one format; each day as written
    frame = pd.DataFrame({"Close": [1.0, 2.0, 3.0]},
                         index=["2020-03-06 23:30-05:00", "2020-03-09 00:30-04:00", "oops"])
    assert "cannot read the date 'oops'" in message_of(
        ohlcv.from_frame, frame, date_format="%Y-%m-%d %H:%M%z")
    prices = ohlcv.from_frame(frame.iloc[:2], date_format="%Y-%m-%d %H:%M%z")
    assert list(prices.index.strftime("%Y-%m-%d")) == ["2020-03-06", "2020-03-09"]


@pytest.mark.parametrize("order", [("Price", "Ticker"), ("Ticker", "Price")])
def test_a_yf_download_frame_with_two_column_levels_is_read(sp500, order):
    prices = sp500.iloc[:300]
    same_prices(ohlcv.from_frame(yf_frame(prices, order=order)), prices)
    two = yf_frame(prices, tickers=("AAPL", "MSFT"), order=order)
    assert message_of(ohlcv.from_frame, two) == (
        "prices holds 2 tickers (AAPL, MSFT): pass one, e.g. df.xs('AAPL', axis=1, "
        "level='Ticker')")
    nothing = pd.DataFrame([[1.0]], columns=pd.MultiIndex.from_tuples([("a", "b")]),
                           index=pd.DatetimeIndex(["2020-01-02"]))
    assert "columns on 2 levels and none names a close" in message_of(ohlcv.from_frame, nothing)


def test_a_series_is_refused_with_the_frame_that_would_do(sp500):
    assert message_of(ohlcv.from_frame, sp500["close"]) == (
        "prices must be a pandas DataFrame with a date index and a close column, got Series: "
        "for closes alone, pass series.to_frame('close')")


def test_a_polars_frame_is_told_to_convert():
    DataFrame = type("DataFrame", (), {"__module__": "polars.dataframe.frame",
                                       "to_pandas": lambda self: None})
    assert message_of(ohlcv.from_frame, DataFrame()) == (
        "prices must be a pandas DataFrame with a date index and a close column, got polars "
        "DataFrame: convert it with .to_pandas()")
