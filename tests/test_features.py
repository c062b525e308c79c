import numpy as np
import pytest

from forecast.errors import ForecastError
from forecast.features import build

W1 = ({"name": "sma", "length": 20}, {"name": "ema", "length": 50},
      {"name": "rsi", "length": 14})


def test_return_features_are_scale_free(short_prices):
    f = build(short_prices, W1, target="return")
    assert list(f.frame.columns) == ["close", "sma_20", "ema_50", "rsi_14"]
    assert f.dropped == 49  # EMA(50) is first defined on row 49
    close = short_prices["close"]
    t = f.frame.index[10]
    assert f.frame.loc[t, "close"] == pytest.approx(np.log(close[t] / close.shift(1)[t]))
    assert f.frame.loc[t, "sma_20"] == pytest.approx(
        np.log(close.rolling(20).mean()[t] / close[t]))
    # doubling every price changes nothing a return model sees
    doubled = short_prices.copy()
    doubled[["open", "high", "low", "close"]] *= 2
    np.testing.assert_allclose(build(doubled, W1).frame.to_numpy(), f.frame.to_numpy(),
                               atol=1e-9)


def test_price_target_keeps_levels_and_warmup_is_respected(short_prices):
    f = build(short_prices, W1, target="price", warmup=50)
    assert f.dropped == 50 and len(f.frame) == len(short_prices) - 50
    assert f.frame["close"].iloc[0] == short_prices["close"].iloc[50]
    assert f.close.index.equals(f.frame.index)


def test_warmup_shorter_than_the_indicators_need(short_prices):
    with pytest.raises(ForecastError, match="need 49 rows"):
        build(short_prices, W1, warmup=10)


def test_features_at_t_do_not_depend_on_later_rows(short_prices):
    full = build(short_prices, W1).frame
    cut = build(short_prices.iloc[:300], W1).frame
    np.testing.assert_allclose(cut.to_numpy(), full.iloc[: len(cut)].to_numpy(), rtol=1e-12)


def test_a_warmup_of_exactly_what_the_indicators_need_is_enough(short_prices):
    need = build(short_prices, [{"name": "sma", "length": 20}]).dropped
    assert need == 19
    f = build(short_prices, [{"name": "sma", "length": 20}], warmup=19)
    assert f.dropped == 19 and f.causality == {"sma_20": "passed"}
    with pytest.raises(ForecastError, match="warmup = 18 is too short: the indicators need 19"):
        build(short_prices, [{"name": "sma", "length": 20}], warmup=18)


def test_an_input_undefined_after_the_warmup_names_its_day(short_prices):
    broken = short_prices.copy()
    broken.loc[broken.index[100], "close"] = np.inf
    with pytest.raises(ForecastError, match=f"an input is undefined on "
                       f"{broken.index[100].date()} after the warm-up"):
        build(broken, [], target="price")
