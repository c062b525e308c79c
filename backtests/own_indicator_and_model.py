"""A backtest script: your own indicator and model, your own prices, no experiment file.

    python backtests/own_indicator_and_model.py

Runs offline on the bundled S&P 500 closes (a close-only frame, as most exports are), prints
the verdict table and writes the report under reports/. Change EXPERIMENT or pass your own
DataFrame of prices to forecast.backtest.
"""
import numpy as np
from arch.data import sp500

import forecast


@forecast.register_indicator("drawdown", scale="free")
def drawdown(prices, length=60):
    """How far the close is below its highest close of the last ``length`` days."""
    close = prices["close"]
    return np.log(close / close.rolling(length).max())


class MeanReturn:
    """Any object with fit and predict is a model: this one forecasts the mean (scaled)
    target of the fold's training samples for every test day."""
    deterministic = True  # no random numbers: one fit a fold, not one per seed
    params = 1

    def fit(self, fold):
        self.mean = float(fold.y_train.mean())
        return {}

    def predict(self, fold):
        return fold.to_price(np.full(len(fold.X_test), self.mean))


@forecast.register_model("mean_return")
def mean_return(**_training):
    """The mean return of the training samples, every day."""
    return MeanReturn()


EXPERIMENT = forecast.Experiment(name="own_indicator_and_model")

if __name__ == "__main__":
    closes = sp500.load()[["Adj Close"]].loc["2008":]  # a date index and a close: enough
    result = forecast.backtest(EXPERIMENT, prices=closes, overrides={
        "features.indicators": [{"name": "sma", "length": 20}, {"name": "drawdown"},
                                {"name": "cmo", "length": 14}],  # pandas-ta's, by name,
        "features.lookback": 20, "split.initial_train": 1000, "split.folds": 3,
        "training.epochs": 3, "models": ["naive", "drift", "ridge", "mean_return",
                                          "single_lstm"]})
    print(result.summary()[["rmse", "theil_u", "dm_pvalue"]].round(4).to_string())
    print(result.save())
