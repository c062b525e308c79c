import numpy as np
import pytest

from forecast import indicators
from forecast.errors import ForecastError
from forecast.indicators import INDICATORS, check_causal, compute, register_indicator


@pytest.mark.parametrize("name", sorted(INDICATORS))
def test_every_registered_indicator_is_causal(short_prices, name):
    """Values at t do not change when the rows after t are dropped."""
    spec = {"name": name}
    full = compute(short_prices, spec)
    for t in (200, 350, len(short_prices) - 2):
        part = compute(short_prices.iloc[: t + 1], spec)
        np.testing.assert_allclose(part.to_numpy(), full.to_numpy()[: t + 1], rtol=1e-9,
                                   equal_nan=True)
    check_causal(short_prices, spec)


def test_pandas_ta_values_and_names(short_prices):
    close = short_prices["close"]
    sma = compute(short_prices, {"name": "sma", "length": 20})
    assert sma.name == "sma_20"
    assert sma.iloc[19] == pytest.approx(close.iloc[:20].mean())
    assert sma.iloc[:19].isna().all()
    rsi = compute(short_prices, {"name": "rsi", "length": 14}).dropna()
    assert rsi.between(0, 100).all()


def test_a_look_ahead_indicator_is_refused_by_name(short_prices):
    import pandas_ta as ta

    @register_indicator("dpo_centered", scale="free")
    def dpo_centered(prices, length=20):
        return ta.dpo(prices["close"], length=length, centered=True, talib=False)
    try:
        with pytest.raises(ForecastError, match="dpo_centered_20 looks ahead"):
            check_causal(short_prices, {"name": "dpo_centered", "length": 20})
    finally:
        INDICATORS.pop("dpo_centered")


def test_a_users_plain_function_plugs_in(short_prices):
    @register_indicator("momentum", scale="price")
    def momentum(prices, length=10):
        """Close ``length`` days ago."""
        return prices["close"].shift(length)
    try:
        assert INDICATORS["momentum"].defaults == {"length": 10}
        out = compute(short_prices, {"name": "momentum", "length": 5})
        assert out.name == "momentum_5" and out.iloc[5] == short_prices["close"].iloc[0]
    finally:
        INDICATORS.pop("momentum")


def test_pandas_ta_silent_failure_on_short_history_is_caught(short_prices):
    with pytest.raises(ForecastError, match="gave no series"):
        compute(short_prices.iloc[:5], {"name": "sma", "length": 20})


def test_unknown_indicator_and_parameter():
    with pytest.raises(ForecastError, match='Did you mean "rsi"'):
        indicators.check_specs([{"name": "rsii"}])
    with pytest.raises(ForecastError, match='no parameter "window"'):
        indicators.check_specs([{"name": "sma", "window": 3}])


def test_a_small_revision_of_past_values_is_caught_and_a_causal_twin_passes(short_prices):
    # the same 20-day average, once nudged by one part in 10,000 of the LAST close (so every
    # past value moves a little when a day is added), once not: both are defined on every
    # row the check compares, so only the size of the revision tells them apart
    @register_indicator("sma_revised", scale="price")
    def sma_revised(prices, length=20):
        close = prices["close"]
        return close.rolling(length).mean() + 1e-4 * close.iloc[-1]

    @register_indicator("sma_plain", scale="price")
    def sma_plain(prices, length=20):
        return prices["close"].rolling(length).mean() + 1e-4 * prices["close"].iloc[0]
    try:
        check_causal(short_prices, {"name": "sma_plain"})
        with pytest.raises(ForecastError, match="sma_revised looks ahead"):
            check_causal(short_prices, {"name": "sma_revised"})
    finally:
        INDICATORS.pop("sma_revised")
        INDICATORS.pop("sma_plain")


# --- any pandas-ta indicator by its name ---------------------------------------------------


def test_a_pandas_ta_function_by_name_computes_what_pandas_ta_does(short_prices):
    import pandas_ta as ta
    assert "willr" not in INDICATORS  # not registered: resolved from pandas-ta
    out = compute(short_prices, {"name": "willr", "length": 14})
    expected = ta.willr(short_prices["high"], short_prices["low"], short_prices["close"],
                        length=14, talib=False)
    assert out.name == "willr_14"
    assert np.allclose(out.dropna(), expected.dropna())
    assert indicators.resolve("willr").needs == ("high", "low", "close")


def test_several_outputs_need_a_column(short_prices):
    with pytest.raises(ForecastError, match='gives 3 columns .*STOCHk_14_3_3.*column = "..."'):
        compute(short_prices, {"name": "stoch"})
    with pytest.raises(ForecastError, match='no column "STOCH"'):
        compute(short_prices, {"name": "stoch", "column": "STOCH"})
    k = compute(short_prices, {"name": "stoch", "column": "STOCHk_14_3_3"})
    assert k.between(0, 100).all() or k.dropna().between(0, 100).all()


@pytest.mark.parametrize("looks_ahead, fixed", [
    ({"name": "dpo", "length": 20}, {"name": "dpo", "length": 20, "centered": False}),
    ({"name": "ichimoku", "column": "ICS_26"},
     {"name": "ichimoku", "column": "ISA_9", "lookahead": False}),
])
def test_pandas_ta_look_ahead_defaults_are_refused_until_switched_off(short_prices,
                                                                      looks_ahead, fixed):
    indicators.check_specs([looks_ahead, fixed])
    with pytest.raises(ForecastError, match="looks ahead"):
        check_causal(short_prices, looks_ahead)
    check_causal(short_prices, fixed)


def test_scale_is_declared_or_inferred(short_prices):
    close = short_prices["close"]
    kama = compute(short_prices, {"name": "kama"})  # an "overlap": in price units
    assert indicators.scale_of({"name": "kama"}, kama, close) == "price"
    cmo = compute(short_prices, {"name": "cmo"})  # an oscillator
    assert indicators.scale_of({"name": "cmo"}, cmo, close) == "free"
    assert indicators.scale_of({"name": "cmo", "scale": "price"}, cmo, close) == "price"
    with pytest.raises(ForecastError, match="scale must be one of"):
        indicators.check_specs([{"name": "cmo", "scale": "percent"}])


def test_close_only_prices_refuse_indicators_that_need_more(short_prices):
    closes = short_prices[["close"]]
    indicators.check_columns(closes, [{"name": "sma"}, {"name": "cmo"}])
    with pytest.raises(ForecastError, match="atr_14 needs the high, low column"):
        indicators.check_columns(closes, [{"name": "sma"}, {"name": "atr", "length": 14}])
    with pytest.raises(ForecastError, match="willr needs the high, low column"):
        indicators.check_columns(closes, [{"name": "willr"}])


def test_unknown_names_suggest_pandas_ta_ones():
    with pytest.raises(ForecastError, match='Did you mean "willr"'):
        indicators.check_specs([{"name": "wilr"}])
    with pytest.raises(ForecastError, match='"willr" has no parameter "lenght".*"length"'):
        indicators.check_specs([{"name": "willr", "lenght": 14}])


def test_a_registered_indicator_records_its_doc_needs_scale_and_source():
    def spread(prices, length=3, *, label="x"):
        """High minus low.

        More text that the listing leaves out.
        """
        return prices["high"] - prices["low"]
    spread.__module__ = "my_plugin"
    try:
        register_indicator("spread", needs=("high", "low"))(spread)
        entry = INDICATORS["spread"]
        assert (entry.doc, entry.needs, entry.scale, entry.source, entry.defaults) == (
            "High minus low.", ("high", "low"), "free", "my_plugin",
            {"length": 3, "label": "x"})

        def plain(prices):
            return prices["close"]
        plain.__doc__ = None
        plain.__module__ = "forecast.extra"  # one of forecast's own modules
        register_indicator("spread", scale="price")(plain)
        entry = INDICATORS["spread"]
        assert (entry.doc, entry.needs, entry.scale, entry.source) == (
            "", ("close",), "price", "forecast")
    finally:
        INDICATORS.pop("spread", None)
    with pytest.raises(ValueError, match=r"^scale must be one of \('price', 'bounded', "
                       r"'free'\), got 'loud'$"):
        register_indicator("x", scale="loud")
    with pytest.raises(ValueError, match=r"^needs must name columns of \('open', 'high', "
                       r"'low', 'close', 'volume'\), got \['bid', 'oi'\]$"):
        register_indicator("x", needs=("close", "oi", "bid"))
