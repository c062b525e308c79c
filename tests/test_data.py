"""The price sources behind load_prices: sample, csv, a frame; date bounds and gaps."""
import pandas as pd
import pytest

from forecast import data, ohlcv
from forecast.errors import ForecastError
from helpers import CSV


def test_sample_source_is_real_sp500(sp500):
    assert len(sp500) == 5031
    assert str(sp500.index[0].date()) == "1999-01-04" and str(sp500.index[-1].date()) \
        == "2018-12-31"
    assert list(sp500.columns) == ohlcv.COLUMNS
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
    assert list(prices.columns) == ohlcv.COLUMNS
    assert prices["close"].tolist() == [10.0, 11.0, 11.3]  # Adj Close wins
    assert prices.index[1] == pd.Timestamp("2020-01-03")


def test_date_range_outside_the_data():
    with pytest.raises(ForecastError, match="no prices for"):
        data.load_prices("^GSPC", "sample", start="2030-01-01")


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


def test_dates_after_today_are_said_naming_the_first(write_csv, monkeypatch):
    monkeypatch.setattr(data, "today", lambda: pd.Timestamp("2026-12-07"))
    days = pd.bdate_range(end="2027-06-30", periods=300)
    frame = pd.DataFrame({"Close": 100.0}, index=days.rename("Date"))
    said = []
    prices = data.load_prices("MINE", "csv", csv=write_csv(frame), log=said.append)
    late = ("146 day(s) after today (2026-12-07), the first 2026-12-09: check the date format "
            "(--date-format) or where the file came from; the backtest uses them as they are")
    assert said[-1] == f"warning: MINE: {late}"
    assert prices.attrs["repairs"][-1] == f"warning: {late}"  # what the report shows
    assert len(prices) == 300  # said, not changed
    # up to tomorrow is fine: an exchange east of here may trade on it already
    said.clear()
    data.load_prices("MINE", "csv", csv=write_csv(frame.loc[:"2026-12-08"]), log=said.append)
    assert not [s for s in said if s.startswith("warning")]
    # the dates used, not the file's: a run that ends before today says nothing
    said.clear()
    data.load_prices("MINE", "csv", csv=write_csv(frame), end="2026-12-01", log=said.append)
    assert not [s for s in said if s.startswith("warning")]
