"""A plugin: one indicator and one model of your own, for any experiment that names it.

    plugins = ["my_plugin.py"]          # in an experiment file, relative to it
    forecast run EXPERIMENT.toml --plugin backtests/my_plugin.py

See backtests/sp500_with_plugin.toml, which uses both.
"""
import numpy as np

from forecast import register_indicator, register_model


@register_indicator("momentum", scale="free")
def momentum(prices, length=10):
    """Log change of the close over ``length`` days."""
    return np.log(prices["close"] / prices["close"].shift(length))


class GradientBoosting:
    """scikit-learn's GradientBoostingRegressor on the flattened, scaled windows."""
    deterministic = True  # a fixed random_state: the same fit for every seed

    def __init__(self, n_estimators, max_depth):
        from sklearn.ensemble import GradientBoostingRegressor
        self.model = GradientBoostingRegressor(n_estimators=n_estimators,
                                               max_depth=max_depth, random_state=0)
        self.params = None

    def fit(self, fold):
        X = fold.X_train.reshape(len(fold.X_train), -1)
        fold.received("fit", X, fold.dates["fit"])  # for the leak audit: what it fits on
        self.model.fit(X, fold.y_train)
        self.params = int(sum(t.tree_.node_count for t in self.model.estimators_.ravel()))
        return {}

    def predict(self, fold):
        return fold.to_price(self.model.predict(fold.X_test.reshape(len(fold.X_test), -1)))


@register_model("gradient_boosting", n_estimators=50, max_depth=2)
def gradient_boosting(n_estimators, max_depth, **_training):
    """Gradient-boosted trees on the flattened lookback window."""
    return GradientBoosting(n_estimators, max_depth)
