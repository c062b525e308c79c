"""The baselines every network is measured against: persistence (``naive``), ``drift``,
``ridge`` regression on the same windows (its penalty chosen by :func:`choose_alpha`), an
autoregression on returns (``ar``) and, for the direction target, ``logistic`` regression.

None draws random numbers (``deterministic``): each runs once a fold, whatever the seeds.
The volatility target's own baselines are in :mod:`forecast.models.volatility`.
"""
from __future__ import annotations

import numpy as np

from forecast.models.registry import register_model


class Naive:
    """Tomorrow = today: the forecast every other model must beat."""
    deterministic = True
    params = 0

    def fit(self, fold):
        return {}

    def predict(self, fold):
        return fold.last_price.copy() if fold.target is None else fold.target.naive(fold)


class Drift:
    """Today plus the mean daily change of the training rows."""
    deterministic = True
    params = 1

    def fit(self, fold):
        if fold.dates is not None:
            fold.received("fit", fold.train_close, fold.dates["rows"])
        self.step = float(np.mean(np.diff(fold.train_close)))
        return {}

    def predict(self, fold):
        return fold.last_price + fold.horizon * self.step


class Ridge:
    """Ridge regression on the same scaled windows, flattened, its penalty chosen on the
    training samples (:func:`choose_alpha`); one alpha in ``alphas``: that one."""
    deterministic = True

    def __init__(self, alphas):
        self.alphas = tuple(alphas)

    def fit(self, fold):
        from sklearn.linear_model import Ridge as _Ridge
        X = np.concatenate([fold.X_train, fold.X_val]).reshape(
            len(fold.X_train) + len(fold.X_val), -1)
        y = np.concatenate([fold.y_train, fold.y_val])
        if fold.dates is not None:  # no early stopping: the tail is training data too
            fold.received("fit", X, fold.dates["train"])
        alpha = choose_alpha(X, y, self.alphas)
        self.chosen = {"alpha": alpha}
        self.model = _Ridge(alpha=alpha).fit(X, y)
        self.params = int(self.model.coef_.size + 1)
        return {}

    def predict(self, fold):
        return fold.to_price(self.model.predict(fold.X_test.reshape(len(fold.X_test), -1)))


def choose_alpha(X, y, alphas, splits: int = 5) -> float:
    """The ridge penalty of ``alphas`` with the lowest mean squared error when the samples
    ``X``, ``y`` (in time order) are split as scikit-learn's ``TimeSeriesSplit``: each
    penalty fitted on an expanding start of them and scored on the part that follows, as
    the walk-forward itself does. Ties go to the larger penalty."""
    if len(alphas) == 1:
        return float(alphas[0])
    from sklearn.linear_model import Ridge as _Ridge
    from sklearn.model_selection import TimeSeriesSplit
    errors = np.zeros(len(alphas))
    for fit, val in TimeSeriesSplit(n_splits=splits).split(X):
        for i, a in enumerate(alphas):
            pred = _Ridge(alpha=a).fit(X[fit], y[fit]).predict(X[val])
            errors[i] += np.mean((pred - y[val]) ** 2)
    order = np.argsort(alphas)[::-1]  # larger penalties first: they win ties
    return float(np.asarray(alphas)[order][np.argmin(errors[order])])


class AR:
    """An autoregression on daily log returns, its order (0 to ``max_lags``) chosen by the
    Bayesian information criterion on the training rows (statsmodels' ``ar_select_order``),
    then fixed: each test day's forecast uses the returns up to that day. For ``horizon`` h
    the forecasts of the next h returns are chained (each from the ones before)."""
    deterministic = True

    def __init__(self, max_lags):
        self.max_lags = max_lags

    def fit(self, fold):
        from statsmodels.tsa.ar_model import AutoReg, ar_select_order
        last = int(fold.train_end[-1])
        r = fold.returns[1:last + 1]  # row 0 has no return
        if fold.days is not None:
            fold.received("fit", r, fold.days[1:last + 1])
        lags = ar_select_order(r, self.max_lags, ic="bic", trend="c").ar_lags or []
        self.lags = int(max(lags, default=0))
        fitted = AutoReg(r, lags=lags or 0, trend="c").fit()
        # coefficient of each lag 1..p (0 for a lag left out), after the constant
        self.coef = np.zeros(self.lags)
        self.coef[np.asarray(lags, int) - 1] = fitted.params[1:]
        self.const = float(fitted.params[0])
        self.chosen = {"lags": self.lags}
        self.params = 1 + len(lags)
        return {}

    def predict(self, fold):
        r = fold.returns
        # recent[j]: the p returns up to test day j, newest first
        recent = np.stack([r[fold.test_end - k] for k in range(self.lags)], 1) \
            if self.lags else np.zeros((len(fold.test_end), 0))
        total = np.zeros(len(fold.test_end))
        for _ in range(fold.horizon):
            step = self.const + recent @ self.coef
            total += step
            recent = np.column_stack([step, recent[:, :-1]]) if self.lags else recent
        return fold.last_price * np.exp(total)


@register_model("naive")
def naive(**_):
    """Persistence: tomorrow's close = today's close (climatology for direction)."""
    return Naive()


@register_model("drift", targets=("price", "return"))
def drift(**_):
    """Today's close plus the mean daily change over the training rows."""
    return Drift()


# penalties ridge chooses from: least squares' neighbourhood to all but the mean
RIDGE_ALPHAS = [0.1, 1.0, 10.0, 100.0, 1e3, 1e4, 1e5, 1e6]


@register_model("ridge", targets=("price", "return", "volatility"), alphas=RIDGE_ALPHAS)
def ridge(alphas, **_):
    """Ridge regression on the flattened lookback window, alpha chosen by time-ordered
    cross-validation on each fold's training samples."""
    return Ridge(alphas)


@register_model("ar", targets=("price", "return"), max_lags=10)
def ar(max_lags, **_):
    """Autoregression on daily returns, its order chosen by BIC on the training rows."""
    return AR(max_lags)


class Logistic:
    """Logistic regression on the same scaled windows, flattened: a probability of a rise."""
    deterministic = True

    def __init__(self, C):
        from sklearn.linear_model import LogisticRegression
        self.model = LogisticRegression(C=C, max_iter=1000)

    def fit(self, fold):
        X = np.concatenate([fold.X_train, fold.X_val]).reshape(
            len(fold.X_train) + len(fold.X_val), -1)
        if fold.dates is not None:
            fold.received("fit", X, fold.dates["train"])
        self.model.fit(X, np.concatenate([fold.y_train, fold.y_val]).astype(int))
        self.params = int(self.model.coef_.size + 1)
        return {}

    def predict(self, fold):
        X = fold.X_test.reshape(len(fold.X_test), -1)
        return fold.to_price(self.model.predict_proba(X)[:, 1])


@register_model("logistic", targets=("direction",), C=0.01)
def logistic(C, **_):
    """Logistic regression on the flattened lookback window (direction).

    ``C`` = 0.01 (strong L2 penalty): the 240 inputs of W1 are highly correlated; with
    C = 1 the fit took 200 iterations (~6x longer) and forecast worse on W1's first fold.
    """
    return Logistic(C)
