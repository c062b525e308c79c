import numpy as np
import pytest

from forecast import indicators
from forecast.errors import ForecastError
from forecast.indicators import INDICATORS, check_causal, compute, register_indicator
from helpers import message_of


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


@pytest.mark.parametrize("looks_ahead, fixed, fix", [
    ({"name": "dpo", "length": 20}, {"name": "dpo", "length": 20, "centered": False},
     "set centered = false in its spec"),
    ({"name": "dpo", "centered": True}, {"name": "dpo", "centered": False},
     "set centered = false in its spec"),
    ({"name": "ichimoku", "column": "ICS_26"}, {"name": "ichimoku", "column": "ISA_9"},
     'pick another column, e.g. column = "ISA_9"'),
    ({"name": "ichimoku", "column": "ICS_26", "lookahead": True},
     {"name": "ichimoku", "column": "ISA_9", "lookahead": False},
     'pick another column, e.g. column = "ISA_9"'),
])
def test_pandas_ta_look_ahead_defaults_are_refused_naming_the_causal_setting(
        short_prices, looks_ahead, fixed, fix):
    indicators.check_specs([looks_ahead, fixed])
    message = message_of(check_causal, short_prices, looks_ahead)
    assert "looks ahead" in message and fix in message
    check_causal(short_prices, fixed)  # the setting the message names is causal


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


# --- mutation testing (issue 16): the pandas-ta lookup, the messages, scale inference ---

def test_pandas_ta_functions_are_described_from_their_signatures():
    import pandas_ta as ta
    names = indicators.ta_names()
    assert {"willr", "ha", "obv", "ichimoku", "kama", "cmo"} <= set(names)
    assert all(callable(getattr(ta, n)) for n in names) and len(set(names)) == len(names)
    first = next(iter(ta.Category.values()))
    assert list(names[:len(first)]) == [n for n in first if callable(getattr(ta, n, None))]
    ha = indicators.resolve("ha")  # open_ in the signature: needs the open
    assert (ha.name, ha.needs, ha.defaults, ha.doc, ha.source, ha.scale) == (
        "ha", ("open", "high", "low", "close"), {"offset": None}, "Heikin Ashi Candles",
        "pandas-ta", None)
    assert indicators.resolve("obv").needs == ("close", "volume")
    assert indicators.resolve("willr").defaults == {"length": None, "offset": None,
                                                    "min_periods": None}
    ichimoku = indicators.resolve("ichimoku")  # an overlap, with options read from **kwargs
    assert ichimoku.scale == "price"
    assert ichimoku.defaults["lookahead"] is None and "fillna" not in ichimoku.defaults
    assert ichimoku.defaults["include_chikou"] is True
    assert indicators.resolve("sma").source == "forecast"  # forecast's own comes first


def test_a_pandas_ta_function_reading_the_open_is_given_it(short_prices):
    import pandas_ta as ta
    out = compute(short_prices, {"name": "ha", "column": "HA_open"})
    expected = ta.ha(short_prices["open"], short_prices["high"], short_prices["low"],
                     short_prices["close"])["HA_open"]
    assert np.allclose(out, expected)


def test_unknown_names_are_refused_with_the_fix():
    assert message_of(indicators.resolve, "rsii") == (
        'unknown indicator "rsii". Did you mean "rsi"? See `forecast indicators --all`.')
    assert message_of(indicators.resolve, None).startswith('unknown indicator "None".')
    assert message_of(indicators.check_specs, [{"name": "sma", "lenght": 3}]) == \
        'indicator "sma" has no parameter "lenght". Did you mean "length"?'
    # column picks one output of a pandas-ta function; forecast's own give one series
    assert message_of(indicators.check_specs, [{"name": "sma", "column": "x"}]).startswith(
        'indicator "sma" has no parameter "column".')
    indicators.check_specs([{"name": "stoch", "column": "STOCHk_14_3_3", "scale": "free"},
                            {"name": "sma", "length": 5, "scale": "price"},
                            {"name": "rsi", "scale": None}])
    assert message_of(indicators.check_specs, [{"name": "cmo", "scale": "percent"}]) == \
        "indicator \"cmo\": scale must be one of price, bounded, free, got 'percent'"


def test_an_output_column_is_picked_by_name_with_a_suggestion(short_prices):
    assert message_of(compute, short_prices, {"name": "stoch", "column": "STOCHK_14_3_3"}) == \
        'indicator stoch has no column "STOCHK_14_3_3". Did you mean "STOCHk_14_3_3"?'
    assert message_of(compute, short_prices, {"name": "stoch"}) == (
        "indicator stoch gives 3 columns (STOCHk_14_3_3, STOCHd_14_3_3, STOCHh_14_3_3): "
        'pick one with column = "..."')
    d = compute(short_prices, {"name": "stoch", "column": "STOCHd_14_3_3"})
    assert d.name == "stoch_STOCHd_14_3_3" and d.dropna().between(0, 100).all()


def test_a_one_column_frame_is_that_column(short_prices):
    @register_indicator("framed", scale="price")
    def framed(prices):
        return prices[["close"]] * 2
    try:
        out = compute(short_prices, {"name": "framed"})
        assert out.name == "framed" and np.allclose(out, short_prices["close"] * 2)
    finally:
        INDICATORS.pop("framed")


def test_check_columns_names_what_is_missing_and_what_is_there(short_prices):
    assert message_of(indicators.check_columns, short_prices[["close", "volume"]],
                      [{"name": "atr", "length": 14}]) == (
        "indicator atr_14 needs the high, low column(s), which these prices lack (they have "
        "close, volume): use prices with them, or indicators of the close only")
    indicators.check_columns(short_prices, [{"name": "atr"}, {"name": "obv"}])


def test_scale_inferred_from_the_values_tracking_the_close(short_prices):
    close = short_prices["close"]
    cmo = {"name": "cmo"}  # pandas-ta, not an overlap: no declared scale
    assert indicators.scale_of(cmo, close * 1.09, close) == "price"
    assert indicators.scale_of(cmo, close * 0.91, close) == "price"
    assert indicators.scale_of(cmo, close * 1.11, close) == "free"
    holes = (close * 1.05).where(np.arange(len(close)) % 3 > 0)  # NaNs ignored
    assert indicators.scale_of(cmo, holes, close) == "price"
    assert indicators.scale_of(cmo, close * np.nan, close) == "free"
    # a declared scale wins over the values: the registry's, then the spec's
    assert indicators.scale_of({"name": "sma"}, close * 0 + 50, close) == "price"
    assert indicators.scale_of({"name": "sma", "scale": "free"}, close, close) == "free"
    assert indicators.scale_of({"name": "rsi"}, close, close) == "bounded"


def test_a_look_ahead_after_a_long_warm_up_is_still_caught(short_prices):
    # too long for the first cut (which is skipped), looking ahead at the later ones
    @register_indicator("late_peek", scale="price")
    def late_peek(prices):
        if len(prices) < 400:
            raise ValueError("history too short")
        return prices["close"].shift(-1)
    try:
        day = short_prices.index[int(np.linspace(len(short_prices) // 2,
                                                 len(short_prices) - 2, 4)[1])].date()
        assert message_of(check_causal, short_prices, {"name": "late_peek"}) == (
            f"indicator late_peek looks ahead: its value on {day} changes when later rows are "
            "removed; it cannot be used for forecasting")
    finally:
        INDICATORS.pop("late_peek")


def test_a_look_ahead_is_dated_at_the_first_cut(short_prices):
    @register_indicator("peek", scale="price")
    def peek(prices):
        return prices["close"].shift(-1)
    try:
        day = short_prices.index[len(short_prices) // 2].date()
        assert f"its value on {day} changes" in message_of(check_causal, short_prices,
                                                           {"name": "peek"})
    finally:
        INDICATORS.pop("peek")


def test_compute_names_a_missing_price_column_and_other_failures(short_prices):
    @register_indicator("vol_only")
    def vol_only(prices):
        return prices["volume"]

    @register_indicator("broken")
    def broken(prices):
        return prices["nope"]

    @register_indicator("fussy")
    def fussy(prices, length=3):
        raise ValueError("length must be odd")
    try:
        assert message_of(compute, short_prices, {"name": "fussy", "length": 4}) == \
            "indicator fussy_4 failed: length must be odd"
        assert INDICATORS["fussy"].name == "fussy"
        assert message_of(compute, short_prices[["close"]], {"name": "vol_only"}) == \
            "indicator vol_only needs a volume column, which these prices lack"
        assert message_of(compute, short_prices, {"name": "broken"}) == \
            "indicator broken failed: 'nope'"
    finally:
        INDICATORS.pop("vol_only")
        INDICATORS.pop("broken")
        INDICATORS.pop("fussy")
    assert message_of(compute, short_prices.iloc[:5], {"name": "sma", "length": 20}) == (
        "indicator sma_20 gave no series for 5 rows: is the history shorter than its length?")


def test_a_tiny_revision_of_small_values_is_caught(short_prices):
    # daily returns (about 0.01) revised by a billionth when a day is added: tolerances
    # relative to the value or looser than 1e-9 would let it through
    @register_indicator("returns_revised")
    def returns_revised(prices):
        return prices["close"].pct_change() + 3e-9 * len(prices) / 600
    try:
        assert "returns_revised looks ahead" in message_of(check_causal, short_prices,
                                                           {"name": "returns_revised"})
    finally:
        INDICATORS.pop("returns_revised")


def test_a_plugin_without_a_module_is_listed_with_no_source():
    def bare(prices):
        return prices["close"]
    bare.__module__ = None
    try:
        register_indicator("bare")(bare)
        assert (INDICATORS["bare"].name, INDICATORS["bare"].source) == ("bare", "")
    finally:
        INDICATORS.pop("bare", None)


def test_a_revision_of_a_billionth_of_a_price_is_caught(short_prices):
    # prices near 1,300 revised by about 3e-6 (2e-9 of the value): a tolerance relative to
    # the value looser than 1e-9 would let it through
    @register_indicator("close_revised", scale="price")
    def close_revised(prices):
        return prices["close"] + 1e-8 * len(prices)
    try:
        assert "close_revised looks ahead" in message_of(check_causal, short_prices,
                                                         {"name": "close_revised"})
    finally:
        INDICATORS.pop("close_revised")
