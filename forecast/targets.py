"""What is forecast: one object per target kind, in the registry :data:`TARGETS`.

A target owns everything that depends on what is forecast:

- ``truth``: closes -> what each window is asked for, in the unit predictions.csv reports
  (``y[i]`` belongs to the window starting at ``i``; the index arithmetic is in
  :mod:`forecast.windows`);
- ``encode`` / ``decode``: what networks learn (a log return, a probability, a log
  variance) and the way back to the reported unit; ``loss``: what networks minimise;
- ``scale_free``: inputs made scale-free (log returns) or left as price levels, and
  ``input_scaler`` / ``target_scaler``: how they are scaled on the training rows;
- ``naive``: the forecast every model must beat;
- ``scores``: the metrics of one forecast series and its Diebold-Mariano tests;
- ``loss``: each day's loss, the one those tests compare;
- ``outcome`` and ``skill``: does a model beat the baseline, as every page and the terminal
  say it (a win only where the target's own test finds it at :data:`SIGNIFICANCE`), and the
  verdict's sentence, naming the right baseline;
- ``positions``: how a forecast becomes a trading position.

Every row of a forecast series was made at the close of day t (``y_last`` is that close)
for the ``horizon`` days after it.
"""
from __future__ import annotations

import numpy as np

from forecast import metrics
from forecast.windows import future_sum, trailing_sum

TARGETS: dict[str, "Target"] = {}

# A model "beats" its baseline (in the report, the terminal and the pages about several runs)
# only where the target's own Diebold-Mariano test finds the difference at this level: a
# smaller error that may be luck is no win.
SIGNIFICANCE = 0.05


def register_target(cls):
    """Class decorator adding one instance of a :class:`Target` to :data:`TARGETS`."""
    TARGETS[cls.name] = cls()
    return cls


def log_returns(close) -> np.ndarray:
    """Daily log returns of ``close``; the first row has none (nan)."""
    close = np.asarray(close, float)
    return np.r_[np.nan, np.log(close[1:] / close[:-1])]


class Target:
    """One kind of forecast; the defaults are those of a price forecast (price, return)."""
    name = ""
    unit = ""                        # what y_true and y_pred are, for people
    scale_free = True                # inputs as log returns and ratios, not price levels
    loss = "mse"                     # what networks minimise
    loss_name = "squared error"      # each day's loss (daily_loss), for people
    references = ("naive",)          # models the others are tested against (Diebold-Mariano)
    baseline = "naive"               # the model the verdict names, when the run has it
    baseline_label = "naive persistence"
    float_format = "%.6f"            # predictions.csv: enough digits to recompute metrics
    # the scores of the CLI's table and the first columns of Result.summary()
    headline = ("rmse", "mae", "directional_accuracy", "theil_u", "dm_pvalue")

    def truth(self, close, windows, horizon) -> np.ndarray:
        """What happened, for each window of ``make_windows(features, close, ...)``."""
        return windows.target

    def encode(self, y, last) -> np.ndarray:
        """What networks learn from the truth ``y`` and the close ``last`` of its day."""
        return y

    def decode(self, learned, last, factor=1.0) -> np.ndarray:
        """Learned values back in the unit of :meth:`truth` (the inverse of ``encode``);
        ``factor``: what :meth:`bias_factor` says for the horizon."""
        return learned

    def input_scaler(self, F):
        """``(mu, sd)`` of the inputs from the training rows ``F``: standardised."""
        return F.mean(0), F.std(0)

    def target_scaler(self, learned, mu, sd):
        """``(mean, scale)`` of the learned values of the training samples."""
        return learned.mean(), learned.std()

    def bias_factor(self, horizon) -> float:
        """What :meth:`decode` multiplies by for forecasts ``horizon`` days ahead."""
        return 1.0

    def naive(self, fold) -> np.ndarray:
        """Persistence: the close of the forecast's own day."""
        return fold.last_price.copy()

    def scores(self, y_true, y_pred, y_last, refs, horizon) -> dict:
        """The metrics of one forecast series; ``refs``: the :attr:`references`' forecasts
        on the same days (those the run has)."""
        e_model = np.asarray(y_pred, float) - np.asarray(y_true, float)
        e_naive = np.asarray(refs["naive"], float) - np.asarray(y_true, float)
        dm = metrics.diebold_mariano(e_model, e_naive, horizon)
        return {**metrics.summary(y_true, y_pred, y_last), "dm_stat": dm[0],
                "dm_pvalue": dm[1]}

    def daily_loss(self, y_true, y_pred) -> np.ndarray:
        """Each day's loss, the one :meth:`scores` tests against the baseline's: the squared
        error (its mean is the MSE, whose root is the RMSE)."""
        return (np.asarray(y_pred, float) - np.asarray(y_true, float)) ** 2

    def baseline_in(self, models) -> str:
        """The model the verdict measures the others against: :attr:`baseline` when the run
        has it, else naive."""
        return self.baseline if self.baseline in models else "naive"

    def better(self, entry, models) -> bool | None:
        """Whether ``entry``'s score is better than the baseline's, however slightly (None
        without a score): a Theil's U below 1."""
        u = _number(entry.get("theil_u"))
        return None if u is None else u < 1

    def pvalue(self, entry, models) -> float | None:
        """The p-value of ``entry``'s Diebold-Mariano test against the baseline."""
        return _number(entry.get("dm_pvalue"))

    def outcome(self, entry, models) -> str:
        """How model ``entry`` stands against the baseline (``models`` holds every model's
        scores): ``better`` or ``worse`` only where its test is significant at
        :data:`SIGNIFICANCE`, ``level`` where it is not, ``untested`` without a p-value, ``""``
        without a score."""
        return outcome(self.better(entry, models), self.pvalue(entry, models))

    def skill(self, name, entry, models) -> str:
        """One sentence: does model ``name`` beat the baseline, on what, and how surely."""
        u = entry.get("theil_u")
        if u is None:
            return f"{name}: no error to compare"
        return _sentence(name, self.outcome(entry, models), self.baseline_label,
                         f"on RMSE (Theil's U {u:.3f}", self.pvalue(entry, models))

    def positions(self, y_pred, y_last, *, horizon=1, threshold=0.0, long_short=False,
                  **_) -> np.ndarray:
        """Long (1) when the predicted return ``y_pred / y_last - 1`` exceeds
        ``threshold``, flat (0) otherwise; with ``long_short`` short (-1) below
        ``-threshold``. For ``horizon`` h the predicted return is over h days."""
        predicted = np.asarray(y_pred, float) / np.asarray(y_last, float) - 1
        pos = (predicted > threshold).astype(float)
        if long_short:
            pos -= predicted < -threshold
        return pos


def outcome(better: bool | None, pvalue: float | None) -> str:
    """``better`` or ``worse`` (than the baseline, by the score) only where the p-value is
    below :data:`SIGNIFICANCE`; ``level`` (no significant difference) where it is not,
    ``untested`` without one, ``""`` without a score."""
    if better is None:
        return ""
    if pvalue is None or not np.isfinite(pvalue):
        return "untested"
    if pvalue >= SIGNIFICANCE:
        return "level"
    return "better" if better else "worse"


def _number(v) -> float | None:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return x if np.isfinite(x) else None


def _sentence(name, result, label, score, pvalue) -> str:
    """The verdict on ``name`` against ``label``: ``score`` is "on <score> (<its value>"
    and the p-value closes the parenthesis. "beats" only where the test says so."""
    p = f", p = {pvalue:.3g}" if pvalue is not None else ""
    if result == "better":
        return f"{name} beats {label} {score}{p})"
    if result == "worse":
        return f"{name} is significantly worse than {label} {score}{p})"
    if result == "level":
        return f"{name}: no significant difference from {label} {score}{p})"
    return f"{name}: not tested against {label} {score}, no p-value)"


@register_target
class Price(Target):
    """The close h days ahead, learned as a min-max scaled price level (the tutorial way,
    kept for comparison: levels of 2018 lie outside the range seen in 1999)."""
    name = "price"
    unit = "price"
    scale_free = False

    def input_scaler(self, F):
        return F.min(0), F.max(0) - F.min(0)

    def target_scaler(self, learned, mu, sd):
        return mu[0], sd[0]  # the close column's own min-max


@register_target
class Return(Target):
    """The close h days ahead, learned as the log return to it from today's close."""
    name = "return"
    unit = "price"

    def encode(self, y, last):
        return np.log(y / last)

    def decode(self, learned, last, factor=1.0):
        return last * np.exp(learned)


@register_target
class Direction(Target):
    """Will the close be higher in h days? 1 if ``close[t+h] > close[t]``, else 0; the
    forecast is the probability of a rise (networks end in a sigmoid)."""
    name = "direction"
    unit = "probability of a rise"
    loss = "binary_crossentropy"
    baseline_label = "climatology"
    loss_name = "Brier score"  # each day's: (probability - outcome)²
    float_format = "%.10g"  # ROC AUC ranks the probabilities: rounding would tie them
    headline = ("accuracy", "brier", "brier_skill", "roc_auc", "dm_pvalue")

    def truth(self, close, windows, horizon):
        return (windows.target > np.asarray(close, float)[windows.end]).astype(float)

    def target_scaler(self, learned, mu, sd):
        return 0.0, 1.0  # a probability is learned as it is

    def naive(self, fold):
        """Climatology: the share of rises in the fold's training samples, every day."""
        up = np.concatenate([fold.y_train, fold.y_val])
        return np.full(len(fold.X_test), float(np.mean(up)))

    def scores(self, y_true, y_pred, y_last, refs, horizon):
        y_true, y_pred = np.asarray(y_true, float), np.asarray(y_pred, float)
        naive = np.asarray(refs["naive"], float)
        dm = metrics.diebold_mariano(y_pred - y_true, naive - y_true, horizon)  # Brier
        return {"accuracy": metrics.accuracy(y_true, y_pred),
                "balanced_accuracy": metrics.balanced_accuracy(y_true, y_pred),
                "brier": metrics.brier(y_true, y_pred),
                "log_loss": metrics.log_loss(y_true, y_pred),
                "roc_auc": metrics.roc_auc(y_true, y_pred),
                "brier_skill": metrics.brier_skill(y_true, y_pred, naive),
                "dm_stat": dm[0], "dm_pvalue": dm[1]}

    def better(self, entry, models):
        """A Brier skill above 0: a lower Brier score than climatology's."""
        s = _number(entry.get("brier_skill"))
        return None if s is None else s > 0

    def skill(self, name, entry, models):
        s = entry.get("brier_skill")
        if s is None:
            return f"{name}: no Brier score to compare"
        return _sentence(name, self.outcome(entry, models), self.baseline_label,
                         f"on the Brier score (Brier skill {s:.4f}",
                         self.pvalue(entry, models))

    def positions(self, y_pred, y_last, *, horizon=1, threshold=0.0, long_short=False,
                  **_):
        """Long when the probability of a rise exceeds 0.5 + ``threshold``; with
        ``long_short`` short when it is below 0.5 - ``threshold``."""
        p = np.asarray(y_pred, float)
        pos = (p > 0.5 + threshold).astype(float)
        if long_short:
            pos -= p < 0.5 - threshold
        return pos


# A realized variance of exactly 0 (h days without a move) has no logarithm: networks
# learn it as this floor, a daily move of 0.001%.
VARIANCE_FLOOR = 1e-10


@register_target
class Volatility(Target):
    """How large will the moves be? The realized variance of daily log returns over days
    t+1 .. t+h (their sum of squares), not annualised; networks learn its logarithm."""
    name = "volatility"
    unit = "realized variance of daily log returns"
    references = ("naive", "garch")
    baseline = "garch"
    baseline_label = "GARCH(1,1)"
    loss_name = "QLIKE"
    headline = ("qlike", "mz_r2", "dm_pvalue", "dm_garch_pvalue")
    float_format = "%.10g"  # variances of order 1e-5: significant digits, not decimals

    def truth(self, close, windows, horizon):
        return future_sum(log_returns(close) ** 2, windows.end, horizon)

    def encode(self, y, last):
        return np.log(np.maximum(y, VARIANCE_FLOOR))

    def bias_factor(self, horizon):
        """exp of a forecast log variance is a geometric mean, below the mean variance QLIKE
        asks for: a realized variance is the true one times chi-square(h) / h noise (normal
        returns), whose mean over its geometric mean is (h/2) / exp(digamma(h/2)): 3.56 for
        one day, 1.24 for five. A fixed formula, fitted on nothing."""
        from scipy.special import digamma
        return float(horizon / 2 / np.exp(digamma(horizon / 2)))

    def decode(self, learned, last, factor=1.0):
        return np.exp(learned) * factor

    def naive(self, fold):
        """Persistence: the realized variance of the last h days, known at day t."""
        return trailing_sum(fold.returns ** 2, fold.test_end, fold.horizon)

    def scores(self, y_true, y_pred, y_last, refs, horizon):
        y_true, y_pred = np.asarray(y_true, float), np.asarray(y_pred, float)
        loss = metrics.qlike_loss(y_true, y_pred)
        out = {"qlike": metrics.qlike(y_true, y_pred), "mse": metrics.mse(y_true, y_pred),
               **metrics.mincer_zarnowitz(y_true, y_pred)}
        for ref in self.references:
            if ref in refs:
                dm = metrics.diebold_mariano_loss(
                    loss, metrics.qlike_loss(y_true, refs[ref]), horizon)
                key = "dm" if ref == "naive" else f"dm_{ref}"
                out[f"{key}_stat"], out[f"{key}_pvalue"] = dm
        return out

    def daily_loss(self, y_true, y_pred):
        """Each day's QLIKE loss (:func:`forecast.metrics.qlike_loss`)."""
        return metrics.qlike_loss(y_true, y_pred)

    def better(self, entry, models):
        """A lower QLIKE than the baseline's (GARCH(1,1), else naive)."""
        mine = _number(entry.get("qlike"))
        theirs = _number(models.get(self.baseline_in(models), {}).get("qlike"))
        return None if mine is None or theirs is None else mine < theirs

    def pvalue(self, entry, models):
        """Against GARCH(1,1) when the run has it (``dm_garch_pvalue``), else naive."""
        key = "dm_garch" if self.baseline_in(models) == self.baseline else "dm"
        return _number(entry.get(f"{key}_pvalue"))

    def skill(self, name, entry, models):
        base = self.baseline_in(models)
        label = self.baseline_label if base == self.baseline else "naive persistence"
        mine, theirs = entry.get("qlike"), models[base].get("qlike")
        if mine is None or theirs is None:
            return f"{name}: no QLIKE to compare"
        return _sentence(name, self.outcome(entry, models), label,
                         f"on QLIKE ({mine:.4f} against {theirs:.4f}",
                         self.pvalue(entry, models))

    def positions(self, y_pred, y_last, *, horizon=1, target_vol=0.10, max_leverage=2.0,
                  **_):
        """Volatility targeting: the position that would have had annualised volatility
        ``target_vol`` if the forecast is right, ``target_vol / sqrt(252 y_pred / h)``,
        capped at ``max_leverage``; always long."""
        forecast_vol = np.sqrt(252 * np.asarray(y_pred, float) / horizon)
        with np.errstate(divide="ignore"):
            return np.minimum(target_vol / forecast_vol, max_leverage)
