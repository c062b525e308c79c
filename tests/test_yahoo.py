"""The yfinance path, offline: fakes stand in for Yahoo at the HTTP edge or at Ticker.history."""
import json
import os
import time

import numpy as np
import pandas as pd
import pytest
import yfinance as yf
from yfinance.exceptions import YFRateLimitError

from forecast import data, ohlcv, yahoo
from forecast.errors import ForecastError

DAYS = pd.bdate_range("2024-01-02", periods=30)


def yahoo_frame(days=DAYS):
    """What Ticker.history returns: exchange-time-zone index, capitalised columns."""
    index = pd.DatetimeIndex(days).tz_localize("America/New_York")
    close = np.linspace(100, 130, len(days))
    return pd.DataFrame({"Open": close - 1, "High": close + 1, "Low": close - 2,
                         "Close": close, "Volume": 1e6, "Dividends": 0.0,
                         "Stock Splits": 0.0}, index=index.rename("Date"))


@pytest.fixture(autouse=True)
def offline(tmp_path, monkeypatch):
    yf.set_tz_cache_location(str(tmp_path / "yf-tz"))
    monkeypatch.setattr(time, "sleep", lambda s: None)
    yf.data.YfData.cache_get.cache_clear() if hasattr(yf.data.YfData, "cache_get") else None
    yield
    yf.data.YfData.cache_get.cache_clear() if hasattr(yf.data.YfData, "cache_get") else None


def test_download_is_normalised_and_cached(tmp_path, monkeypatch):
    calls = []

    def history(self, **kw):
        calls.append(kw)
        return yahoo_frame()
    monkeypatch.setattr(yf.Ticker, "history", history)
    prices = data.load_prices("AAPL", "yahoo", cache_dir=tmp_path)
    assert list(prices.columns) == ohlcv.COLUMNS and prices.index.tz is None
    assert prices.index[0] == pd.Timestamp("2024-01-02")
    assert calls[0]["auto_adjust"] is True
    again = data.load_prices("AAPL", "yahoo", cache_dir=tmp_path)
    assert len(calls) == 1  # the second load came from the cache
    pd.testing.assert_frame_equal(prices, again, check_freq=False)
    cached = list((tmp_path / "yahoo").glob("*.csv"))
    assert len(cached) == 1 and cached[0].name.startswith("AAPL-")


def test_rate_limit_is_retried_then_succeeds(tmp_path, monkeypatch):
    answers = [YFRateLimitError(), YFRateLimitError(), yahoo_frame()]

    def history(self, **kw):
        a = answers.pop(0)
        if isinstance(a, Exception):
            raise a
        return a
    monkeypatch.setattr(yf.Ticker, "history", history)
    assert len(data.load_prices("MSFT", "yahoo", cache_dir=tmp_path)) == len(DAYS)


def test_rate_limit_that_outlasts_the_retries_is_one_clear_line(tmp_path, monkeypatch):
    def history(self, **kw):
        raise YFRateLimitError()
    monkeypatch.setattr(yf.Ticker, "history", history)
    with pytest.raises(ForecastError, match="rate limiting .* wait a few minutes"):
        data.load_prices("MSFT", "yahoo", cache_dir=tmp_path)
    assert not (tmp_path / "yahoo").exists() or not any((tmp_path / "yahoo").iterdir())


def test_empty_download_is_an_unknown_ticker(tmp_path, monkeypatch):
    monkeypatch.setattr(yf.Ticker, "history", lambda self, **kw: pd.DataFrame())
    with pytest.raises(ForecastError, match="no prices for 'NOPE'"):
        data.load_prices("NOPE", "yahoo", cache_dir=tmp_path)


def test_network_down_uses_the_cache_and_says_its_age(tmp_path, monkeypatch):
    monkeypatch.setattr(yf.Ticker, "history", lambda self, **kw: yahoo_frame())
    data.load_prices("AAPL", "yahoo", cache_dir=tmp_path)
    monkeypatch.setattr(yahoo, "CACHE_MAX_AGE", 0)  # force a refresh attempt

    def history(self, **kw):
        raise ConnectionError("Could not resolve host: query2.finance.yahoo.com")
    monkeypatch.setattr(yf.Ticker, "history", history)
    said = []
    prices = data.load_prices("AAPL", "yahoo", cache_dir=tmp_path, log=said.append)
    assert len(prices) == len(DAYS)
    assert "using the cached copy" in said[0] and "hours ago" in said[0]


def test_network_down_without_cache_is_one_clear_line(tmp_path, monkeypatch):
    def history(self, **kw):
        raise ConnectionError("Could not resolve host")
    monkeypatch.setattr(yf.Ticker, "history", history)
    with pytest.raises(ForecastError, match="cannot reach Yahoo for AAPL"):
        data.load_prices("AAPL", "yahoo", cache_dir=tmp_path)


def test_damaged_cache_is_ignored_and_replaced(tmp_path, monkeypatch):
    monkeypatch.setattr(yf.Ticker, "history", lambda self, **kw: yahoo_frame())
    data.load_prices("AAPL", "yahoo", cache_dir=tmp_path)
    path = next((tmp_path / "yahoo").glob("*.csv"))
    path.write_text("date,open\n2024-01-02,garbage\n")
    prices = data.load_prices("AAPL", "yahoo", cache_dir=tmp_path)
    assert len(prices) == len(DAYS)
    assert len(pd.read_csv(path)) == len(DAYS)


# --- yfinance's own parsing, with the HTTP layer faked ------------------------------------


class FakeResponse:
    def __init__(self, payload, status=200):
        self.status_code = status
        self.text = json.dumps(payload)
        self._payload = payload

    def json(self):
        return self._payload

    def raise_for_status(self):
        pass


def chart(symbol, days=DAYS):
    ts = [int(pd.Timestamp(d).tz_localize("America/New_York").replace(hour=9, minute=30)
              .timestamp()) for d in days]
    close = list(np.linspace(100, 130, len(days)))
    return {"chart": {"result": [{
        "meta": {"currency": "USD", "symbol": symbol, "exchangeName": "NMS",
                 "instrumentType": "EQUITY", "firstTradeDate": 345479400,
                 "regularMarketTime": ts[-1], "gmtoffset": -18000, "timezone": "EST",
                 "exchangeTimezoneName": "America/New_York", "regularMarketPrice": close[-1],
                 "chartPreviousClose": close[0], "priceHint": 2, "dataGranularity": "1d",
                 "range": "", "validRanges": ["1d", "5d", "1mo", "1y", "max"]},
        "timestamp": ts,
        "indicators": {"quote": [{"open": close, "high": [c + 1 for c in close],
                                  "low": [c - 1 for c in close], "close": close,
                                  "volume": [1000000] * len(ts)}],
                       "adjclose": [{"adjclose": close}]}}], "error": None}}


def test_yfinance_parses_a_realistic_chart_payload(tmp_path, monkeypatch):
    urls = []

    def get(self, url, params=None, timeout=30, **kw):
        urls.append(url)
        return FakeResponse(chart("AAPL"))
    monkeypatch.setattr(yf.data.YfData, "get", get)
    prices = data.load_prices("AAPL", "yahoo", start="2024-01-02", end="2024-02-12",
                              cache_dir=tmp_path)
    assert any("/v8/finance/chart/AAPL" in u for u in urls)
    assert len(prices) == len(DAYS)
    assert prices["close"].iloc[-1] == pytest.approx(130)
    assert prices.index[0] == pd.Timestamp("2024-01-02")


def test_yfinance_not_found_payload_is_an_unknown_ticker(tmp_path, monkeypatch):
    payload = {"chart": {"result": None, "error": {
        "code": "Not Found", "description": "No data found, symbol may be delisted"}}}
    monkeypatch.setattr(yf.data.YfData, "get",
                        lambda self, url, params=None, timeout=30, **kw:
                        FakeResponse(payload, 404))
    with pytest.raises(ForecastError, match="'ZZZZ'"):
        data.load_prices("ZZZZ", "yahoo", cache_dir=tmp_path)


@pytest.mark.network
def test_live_download(tmp_path):
    prices = data.load_prices("AAPL", "yahoo", start="2024-01-02", end="2024-03-01",
                              cache_dir=tmp_path)
    assert len(prices) > 30


# --- faults: timeouts, backoff, the cache when the network is down ------------------------


def test_timeouts_at_the_http_edge_are_retried_quietly(tmp_path, monkeypatch, capsys):
    from curl_cffi.requests.exceptions import Timeout
    answers = [Timeout("Operation timed out after 30001 milliseconds")] * 2

    def get(self, url, params=None, timeout=30, **kw):
        if answers:
            raise answers.pop()
        return FakeResponse(chart("AAPL"))
    monkeypatch.setattr(yf.data.YfData, "get", get)
    prices = data.load_prices("AAPL", "yahoo", start="2024-01-02", end="2024-02-12",
                              cache_dir=tmp_path)
    assert len(prices) == len(DAYS) and not answers
    assert capsys.readouterr().err == ""  # yfinance logged nothing of its own


def test_timeouts_that_outlast_the_retries_say_so(tmp_path, monkeypatch, capsys):
    from curl_cffi.requests.exceptions import Timeout

    def get(self, url, params=None, timeout=30, **kw):
        raise Timeout("Operation timed out after 30001 milliseconds")
    monkeypatch.setattr(yf.data.YfData, "get", get)
    with pytest.raises(ForecastError) as info:
        data.load_prices("AAPL", "yahoo", cache_dir=tmp_path)
    message = str(info.value)
    assert "cannot reach Yahoo for AAPL (5 tries, last: timed out): check" in message
    assert "delisted" not in message  # yfinance's own guess when it hides the error
    assert capsys.readouterr().err == ""
    assert not (tmp_path / "yahoo").exists()


def test_backoff_grows_with_jitter(monkeypatch):
    slept = []
    monkeypatch.setattr(time, "sleep", slept.append)
    monkeypatch.setattr(yf.Ticker, "history", lambda self, **kw: (_ for _ in ()).throw(
        YFRateLimitError()))
    with pytest.raises(ForecastError, match=r"rate limiting this machine \(4 tries\)"):
        yahoo.download("MSFT", retries=3, backoff=2.0)
    assert len(slept) == 3
    for attempt, s in enumerate(slept):
        assert 2.0 * 2 ** attempt <= s <= 2 * 2.0 * 2 ** attempt
    assert len({s / 2 ** k for k, s in enumerate(slept)}) == 3  # jitter: not in lockstep


def test_an_unexpected_yfinance_failure_is_one_line(monkeypatch):
    def history(self, **kw):
        raise KeyError("chart")
    monkeypatch.setattr(yf.Ticker, "history", history)
    with pytest.raises(ForecastError, match="cannot read Yahoo's answer for 'AAPL' "
                       r"\(KeyError: 'chart'\)"):
        yahoo.download("AAPL")


def test_the_cache_and_its_age_are_recorded(tmp_path, monkeypatch):
    monkeypatch.setattr(yf.Ticker, "history", lambda self, **kw: yahoo_frame())
    assert data.load_prices("AAPL", "yahoo", cache_dir=tmp_path).attrs["cache"] is None
    fresh = data.load_prices("AAPL", "yahoo", cache_dir=tmp_path).attrs["cache"]
    assert fresh["refresh_failed"] is None and fresh["age_hours"] < 0.1
    assert fresh["file"].endswith(".csv") and fresh["saved"][:4].isdigit()
    path = next((tmp_path / "yahoo").glob("*.csv"))
    old = time.time() - 30 * 3600
    os.utime(path, (old, old))
    monkeypatch.setattr(yf.Ticker, "history", lambda self, **kw: (_ for _ in ()).throw(
        YFRateLimitError()))
    said = []
    prices = data.load_prices("AAPL", "yahoo", cache_dir=tmp_path, log=said.append)
    cache = prices.attrs["cache"]
    assert cache["age_hours"] == pytest.approx(30, abs=0.2)
    assert "rate limiting" in cache["refresh_failed"]
    assert "using the cached copy of AAPL saved 30.0 hours ago" in said[0]


def test_repairs_of_a_download_are_reported_again_from_the_cache(tmp_path, monkeypatch):
    frame = yahoo_frame()
    frame.iloc[5, :4] = np.nan  # Yahoo lists a day without prices
    monkeypatch.setattr(yf.Ticker, "history", lambda self, **kw: frame)
    first = data.load_prices("AAPL", "yahoo", cache_dir=tmp_path)
    again = data.load_prices("AAPL", "yahoo", cache_dir=tmp_path)
    assert again.attrs["cache"] is not None
    assert first.attrs["repairs"] == again.attrs["repairs"] == [
        "dropped 1 row(s) without any price, first 2024-01-09"]
    pd.testing.assert_frame_equal(first, again, check_freq=False)


def test_a_refused_download_leaves_no_cache_entry(tmp_path, monkeypatch):
    frame = yahoo_frame()
    frame.iloc[3, 3] = -1.0
    monkeypatch.setattr(yf.Ticker, "history", lambda self, **kw: frame)
    with pytest.raises(ForecastError, match="prices <= 0, first on 2024-01-05"):
        data.load_prices("AAPL", "yahoo", cache_dir=tmp_path)
    assert not (tmp_path / "yahoo").exists() or not any((tmp_path / "yahoo").iterdir())


@pytest.mark.parametrize("ticker", ["../../etc/passwd", "<b>x</b>", "a b"])
def test_tickers_that_look_like_paths_never_reach_the_cache(tmp_path, monkeypatch, ticker):
    monkeypatch.setattr(yf.Ticker, "history", lambda self, **kw: yahoo_frame())
    with pytest.raises(ForecastError, match="is not a ticker symbol"):
        data.load_prices(ticker, "yahoo", cache_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_cache_file_cut_short_is_replaced(tmp_path, monkeypatch):
    monkeypatch.setattr(yf.Ticker, "history", lambda self, **kw: yahoo_frame())
    data.load_prices("AAPL", "yahoo", cache_dir=tmp_path)
    path = next((tmp_path / "yahoo").glob("*.csv"))
    path.write_bytes(path.read_bytes()[:-40])  # a crash in the middle of a write
    calls = []
    monkeypatch.setattr(yf.Ticker, "history",
                        lambda self, **kw: calls.append(1) or yahoo_frame())
    assert len(data.load_prices("AAPL", "yahoo", cache_dir=tmp_path)) == len(DAYS)
    assert calls and len(pd.read_csv(path)) == len(DAYS)
    assert [p.name for p in (tmp_path / "yahoo").iterdir()] == [path.name]  # no temp files


def test_a_run_on_cached_prices_records_the_file_its_age_and_the_failed_refresh(
        tmp_path, monkeypatch, short_prices, tiny_experiment):
    import dataclasses

    from forecast import config, walkforward
    monkeypatch.setattr(data, "CACHE_DIR", tmp_path / "cache")
    frame = yahoo_frame(short_prices.index)
    monkeypatch.setattr(yf.Ticker, "history", lambda self, **kw: frame)
    exp = config.replace(tiny_experiment, models={"naive": {}})
    exp = dataclasses.replace(exp, data=dataclasses.replace(  # up to today: refreshed daily
        exp.data, source="yahoo", ticker="AAPL", end=None))
    fresh = walkforward.run_experiment(exp, progress=False)
    assert fresh.metrics["cache"] is None  # downloaded, not read from the cache
    monkeypatch.setattr(yahoo, "CACHE_MAX_AGE", 0)  # force a refresh attempt

    def history(self, **kw):
        raise ConnectionError("Could not resolve host: query2.finance.yahoo.com")
    monkeypatch.setattr(yf.Ticker, "history", history)
    run = walkforward.run_experiment(exp, progress=False, log=lambda msg: None)
    cache = run.metrics["cache"]
    saved = list((tmp_path / "cache" / "yahoo").glob("AAPL*.csv"))
    assert len(saved) == 1 and cache["file"] == str(saved[0])
    assert cache["age_hours"] == 0.0 and cache["saved"].startswith(str(pd.Timestamp.now().year))
    assert "its address does not resolve" in cache["refresh_failed"]
    pd.testing.assert_frame_equal(run.predictions, fresh.predictions)


def test_a_name_that_does_not_resolve_is_not_retried(monkeypatch):
    calls = []

    def history(self, **kw):
        calls.append(1)
        raise ConnectionError("Failed to perform, curl: (6) Could not resolve host: "
                              "query2.finance.yahoo.com")
    monkeypatch.setattr(yf.Ticker, "history", history)
    with pytest.raises(ForecastError, match="cannot reach Yahoo for AAPL: its address does "
                       "not resolve") as info:
        yahoo.download("AAPL", backoff=100)  # a retry would sleep 100 s
    assert calls == [1]
    assert len(str(info.value)) < 160 and "query2" in str(info.value.__cause__)  # --debug's


CURL_TEXT = ("Failed to perform, curl: (7) Failed to connect to query2.finance.yahoo.com:443 "
             "after 2 ms: Could not connect to server. See "
             "https://curl.se/libcurl/c/libcurl-errors.html first for more details.")


def test_an_unreachable_yahoo_is_a_short_line_and_debug_shows_curls_text(tmp_path, monkeypatch,
                                                                        capsys):
    from curl_cffi.requests.exceptions import ConnectionError as CurlConnectionError

    def get(self, url, params=None, timeout=30, **kw):
        raise CurlConnectionError(CURL_TEXT)
    monkeypatch.setattr(yf.data.YfData, "get", get)
    with pytest.raises(ForecastError) as info:
        data.load_prices("AAPL", "yahoo", cache_dir=tmp_path)
    assert str(info.value) == ("cannot reach Yahoo for AAPL (5 tries, last: could not "
                               "connect): check the network, or use --source sample or "
                               "--source csv")
    assert str(info.value.__cause__) == CURL_TEXT  # the whole of it, for --debug
    from forecast import cli
    monkeypatch.setenv("FORECAST_CACHE", str(tmp_path))
    assert cli.main(["fetch", "AAPL"]) == 2
    line = capsys.readouterr().err.splitlines()[0]
    assert "could not connect" in line and len(line) < 160, line
    assert cli.main(["--debug", "fetch", "AAPL"]) == 2
    assert CURL_TEXT in capsys.readouterr().err


@pytest.mark.parametrize("error, cause", [
    (ConnectionError("Failed to perform, curl: (28) Connection timed out after 10001 ms. "
                     "See https://curl.se/libcurl/c/libcurl-errors.html"), "timed out"),
    (ConnectionError("Failed to perform, curl: (7) Failed to connect to "
                     "query2.finance.yahoo.com:443 over proxy 10.0.0.1 after 3 ms"),
     "could not connect through a proxy"),
    (ConnectionError("Failed to perform, curl: (35) TLS connect error: error:0A000126"),
     "TLS handshake failed"),
    (ConnectionResetError(104, "Connection reset by peer"), "[Errno 104] Connection reset by "
                                                            "peer"),
    (ConnectionError("x" * 200 + " https://query2.finance.yahoo.com/v8/finance/chart/AAPL"),
     "x" * 57 + "..."),
])
def test_a_network_error_is_said_in_a_few_words(error, cause):
    assert yahoo._cause(error) == cause
