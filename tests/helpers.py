"""Helpers shared by several test modules (the price readers', the indicators')."""
import numpy as np
import pandas as pd
import pytest

from forecast.errors import ForecastError


CSV = """Date,Open,High,Low,Close,Adj Close,Volume,Dividends
2020-01-02,10,11,9,10.5,10.0,100,0
2020-01-03,10.5,12,10,11.5,11.0,200,0
2020-01-06,11.5,12,11,11.8,11.3,150,0
"""


def clean_frame(sp500):
    """The bundled S&P 500 as a user's file has it: Date, Open, High, Low, Close, Volume."""
    frame = sp500.rename(columns=str.title)
    frame.index.name = "Date"
    return frame


def same_prices(got, want, columns=None):
    columns = columns or list(want.columns)
    assert list(got.columns) == columns
    pd.testing.assert_frame_equal(got, want[columns], check_freq=False)


def write_file(tmp_path, text, name="p.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def message_of(call, *args, **kwargs):
    with pytest.raises(ForecastError) as e:
        call(*args, **kwargs)
    return str(e.value)


def yf_frame(prices, tickers=("AAPL",), order=("Price", "Ticker")):
    """``prices`` as ``yf.download`` (yfinance >= 0.2.51) returns them: two column levels."""
    names = ["Close", "High", "Low", "Open", "Volume"]
    columns = pd.MultiIndex.from_product([names, list(tickers)], names=["Price", "Ticker"])
    values = np.repeat(prices[[n.lower() for n in names]].to_numpy(), len(tickers), axis=1)
    frame = pd.DataFrame(values, index=prices.index.rename("Date"), columns=columns)
    return frame if order[0] == "Price" else frame.swaplevel(axis=1)
