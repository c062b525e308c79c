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
