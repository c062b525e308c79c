"""Model registry: baselines and Keras networks behind one small interface.

A model factory takes its parameters (its own and the training settings) and returns an
object with ``fit(fold) -> dict`` and ``predict(fold) -> prices``, where ``fold`` is a
:class:`FoldData`. Add your own with the decorator::

    @register_model("my_gru", units=16)
    def my_gru(units, **training):
        return KerasForecaster(lambda L: [L.GRU(units)], **training)

Any object with ``fit`` and ``predict`` will do (:class:`Forecaster` says what is asked of
it and when). This is the only module that imports Keras, and only when a network is first
built.
"""
from __future__ import annotations

import contextlib
import functools
import os
import random
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Protocol, runtime_checkable

import numpy as np

from forecast import audit
from forecast.errors import ForecastError, did_you_mean, one_line
from forecast.windows import trailing_sum


@dataclass
class FoldData:
    """One fold, ready for any model: scaled windows, and the way back to prices."""
    X_train: np.ndarray      # (n, lookback, features), scaled on the training rows
    y_train: np.ndarray      # (n,) scaled targets
    X_val: np.ndarray        # the tail of the training samples, for early stopping
    y_val: np.ndarray
    X_test: np.ndarray
    last_price: np.ndarray   # (n_test,) the close on each test window's last day
    train_close: np.ndarray  # closes of the training rows (drift needs them)
    horizon: int
    to_price: Callable       # scaled test predictions -> prices
    first_new: int = 0       # X_train[first_new:] were not fitted on in the previous fold
    # what the target and the volatility models need (forecast.targets); rows are days:
    target: object = None         # the forecast.targets.Target; None: a price forecast
    returns: np.ndarray = None    # daily log returns of every row up to the last test day
    train_end: np.ndarray = None  # row of each training sample's day (fitted, validation)
    test_end: np.ndarray = None   # row of each test sample's day: its forecast uses no later
    train_truth: np.ndarray = None  # training samples' targets in the reported unit
    # the leak audit (forecast.audit): the day of every row; the days of the training rows
    # ("rows", those of train_close) and of each sample ("fit", "validation", "train" = both,
    # "test": its target day, the last price it holds); and what the fits received
    days: np.ndarray = None
    dates: dict = None
    fits: list = field(default_factory=list)

    def received(self, kind, rows, dates):
        """Note for the leak audit that a fit of ``kind`` ("scaler", "fit",
        "early_stopping") was given ``rows`` dated ``dates``. Call it with what the fit is
        actually given: rows without a date are refused, so none can slip past the audit."""
        if self.dates is None:  # a fold made by hand, outside a walk-forward run
            return
        if len(rows) != len(dates):
            raise ForecastError(f"a {kind} fit was given {len(rows)} rows but declares "
                                f"{len(dates)} dates: the leak audit must see every row")
        self.fits.append(audit.note(kind, dates))


@dataclass(frozen=True)
class ModelEntry:
    """An entry of :data:`MODELS`: the factory, its default settings and its targets."""
    name: str
    factory: Callable
    defaults: dict
    doc: str
    targets: tuple | None = None  # the targets it forecasts; None: every target


MODELS: dict[str, ModelEntry] = {}


@runtime_checkable
class Forecaster(Protocol):
    """What the walk-forward asks of a model (a Keras network or any other object).

    Each fold, in order: ``fit(fold)`` on the fold's training samples (``fold.X_train``,
    ``fold.y_train``; ``fold.X_val`` / ``fold.y_val`` are the tail kept for early stopping,
    never the test samples) returns a history dict (``{"loss": [...], "val_loss": [...]}``
    or ``{}``), then ``predict(fold)`` returns one forecast per test sample in the reported
    unit (``fold.to_price(scaled)`` turns scaled predictions back). ``params`` counts the
    fitted parameters (None when unknown).

    Optional attributes and methods, looked up with ``getattr``:

    - ``deterministic = True``: draws no random numbers, so it runs once a fold instead of
      once per seed (baselines, a seeded scikit-learn model); default False.
    - ``warm_start = True``: one object lives through all folds and each ``fit`` continues
      from the last (``refit = "warm"``); default False: a fresh object every fold.
    - ``prepare(fold)``: called before ``fit``, in order, to draw what the fit needs from
      the global random state, so that fits can then run side by side in threads.
    - ``state() -> list[ndarray]`` and ``restore(arrays, lookback, n_features)``: what a
      checkpoint keeps after each fold and how ``--resume`` continues from it.
    - ``chosen``: a dict of the settings ``fit`` chose on the fold's training samples
      (ridge's penalty, the autoregression's order), kept per fold in metrics.json.
    """
    params: int | None

    def fit(self, fold: FoldData) -> dict: ...

    def predict(self, fold: FoldData) -> np.ndarray: ...


def deterministic(name: str) -> bool:
    """Whether model ``name`` draws no random numbers (one fit a fold, not one a seed)."""
    return bool(getattr(create(name, {}), "deterministic", False))


def warm_start(model) -> bool:
    """Whether ``model`` continues from the previous fold's fit."""
    return bool(getattr(model, "warm_start", False))


def register_model(name: str, *, targets=None, **defaults):
    """Decorator adding a factory to :data:`MODELS`; ``defaults`` are its own parameters,
    ``targets`` the names of the targets it forecasts (None: all)."""
    def add(factory):
        doc = (factory.__doc__ or "").strip().split("\n")[0]
        MODELS[name] = ModelEntry(name, factory, dict(defaults), doc,
                                  None if targets is None else tuple(targets))
        return factory
    return add


def create(name: str, params: dict):
    """A fresh model ``name`` with its defaults updated by ``params``; a factory that fails
    or makes no model (a plugin's) is named."""
    entry = MODELS[name]
    try:
        model = entry.factory(**{**entry.defaults, **params})
    except ForecastError:
        raise
    except Exception as e:
        hint = (f" (a factory takes its own parameters and the training settings: def "
                f"{getattr(entry.factory, '__name__', name)}(..., **training))"
                if isinstance(e, TypeError) else "")
        raise ForecastError(f'model "{name}" could not be made: {one_line(e)}{hint}') from e
    missing = [m for m in ("fit", "predict") if not callable(getattr(model, m, None))]
    if missing:
        raise ForecastError(f'model "{name}": its factory returned a {type(model).__name__}, '
                            f'which has no {" or ".join(missing)}(fold) method: a model needs '
                            "fit(fold) and predict(fold) (see forecast.Forecaster)")
    return model


def reset(seed: int, *, clear: bool) -> None:
    """Seed the random generators a fold's networks draw from; ``clear`` also drops all
    built models.

    Without ``clear`` TensorFlow's own seed is left alone: setting it empties TensorFlow's
    kernel cache, and every network already traced is then optimised again on its next
    call (about 0.3 s a network a fold). Keras draws initial weights and dropout seeds from
    Python's ``random``, and the shuffling seed comes from NumPy's: those two suffice.
    """
    import keras
    if clear:
        keras.backend.clear_session()
        keras.utils.set_random_seed(seed)
    else:
        random.seed(seed)
        np.random.seed(seed)
    if device() != "cpu":  # GPU kernels are not reproducible unless asked to be
        import tensorflow as tf
        tf.config.experimental.enable_op_determinism()


def import_backend(side_by_side: int = 1) -> None:
    """Import Keras and TensorFlow now (a few seconds), so that what is timed next is the
    work alone, as the tutorial reference times its walk-forward after its imports.

    ``side_by_side`` networks are about to train at once, in threads: each op then gets
    its share of the cores. By default TensorFlow gives every op all of them, and the small
    kernels of two networks contend for the same threads (W1: 4.0 s instead of 3.5). An
    explicit ``TF_NUM_INTRAOP_THREADS``, or a TensorFlow already running, is left alone.

    Keras is imported with scikit-learn hidden, unless something imported it already:
    Keras' scikit-learn wrappers import it, and with it SciPy's statistics, ~0.7 s of the
    ~3 s import for wrappers forecast never uses. forecast's own scikit-learn models import
    it later as usual; ``keras.wrappers.SKLearn*`` then refuse to work in this process.
    """
    hidden = "sklearn" not in sys.modules
    if hidden:
        sys.modules["sklearn"] = None  # `import sklearn` raises ImportError meanwhile
    try:
        import keras  # noqa: F401
    finally:
        if hidden:
            del sys.modules["sklearn"]
    import tensorflow as tf
    if side_by_side > 1 and "TF_NUM_INTRAOP_THREADS" not in os.environ:
        try:
            tf.config.threading.set_intra_op_parallelism_threads(
                max(1, (os.cpu_count() or 1) // side_by_side))
        except RuntimeError:  # set once per process, before the first op
            pass


@functools.cache  # asked before every fold's seeding; the answer never changes in a process
def device() -> str:
    """Where the networks train: "cpu", or the GPUs TensorFlow sees (cuDNN LSTM there)."""
    import tensorflow as tf
    gpus = tf.config.list_physical_devices("GPU")
    return "cpu" if not gpus else f"gpu x{len(gpus)}: " + ", ".join(
        tf.config.experimental.get_device_details(g).get("device_name", g.name) for g in gpus)


# --- baselines ---------------------------------------------------------------------------


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


# --- baselines of the direction and volatility targets (forecast.targets) ----------------
# The volatility models forecast the realized variance of the h days after each test day
# from the daily log returns up to that day (fold.returns[: fold.test_end[j] + 1]) and
# parameters estimated on the training rows only (up to the last training sample's day).


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


class EWMA:
    """RiskMetrics: next day's variance = lam x today's + (1 - lam) x today's squared
    return; over h days h times that (the forecast is flat)."""
    deterministic = True
    params = 0

    def __init__(self, lam):
        self.lam = lam

    def fit(self, fold):
        return {}

    def predict(self, fold):
        from scipy.signal import lfilter
        r2 = fold.returns[1:fold.test_end[-1] + 1] ** 2  # row 0 has no return
        if fold.days is not None:
            fold.received("fit", r2[:fold.train_end[-1]], fold.days[1:fold.train_end[-1] + 1])
        start = float(np.mean(r2[:fold.train_end[-1]]))  # the training rows' variance
        # var[k]: the forecast for the day after row k + 1, from rows up to k + 1
        var, _ = lfilter([1 - self.lam], [1, -self.lam], r2, zi=[self.lam * start])
        return fold.horizon * var[fold.test_end - 1]


class Garch:
    """GARCH(1,1) with a constant mean (``arch``) on percent returns: estimated on the
    training rows, then run through the test days with those parameters fixed."""
    deterministic = True
    params = 4

    def fit(self, fold):
        from arch import arch_model
        r = 100 * fold.returns[1:fold.test_end[-1] + 1]  # position k is row k + 1
        model = arch_model(r, mean="Constant", vol="GARCH", p=1, q=1)
        # the later returns are in the model to be filtered through, not estimated on
        last = int(fold.train_end[-1])
        if fold.days is not None:
            fold.received("fit", r[:last], fold.days[1:last + 1])
        self.fitted = model.fit(last_obs=last, disp="off")
        return {}

    def predict(self, fold):
        first = int(fold.test_end[0]) - 1
        var = self.fitted.forecast(horizon=fold.horizon, start=first, reindex=False).variance
        return var.to_numpy().sum(1)[fold.test_end - 1 - first] / 100 ** 2


class HAR:
    """HAR-RV (Corsi 2009): the next h days' realized variance regressed on the mean
    squared return of the last day, week (5 days) and month (22 days)."""
    deterministic = True
    params = 4
    LAGS = (1, 5, 22)

    def _inputs(self, fold, end):
        r2 = fold.returns ** 2
        return np.column_stack([np.ones(len(end))] + [trailing_sum(r2, end, n) / n
                                                      for n in self.LAGS])

    def fit(self, fold):
        X, y = self._inputs(fold, fold.train_end), fold.train_truth
        if fold.dates is not None:
            fold.received("fit", y, fold.dates["train"])
        ok = np.isfinite(X).all(1) & np.isfinite(y)
        self.coef = np.linalg.lstsq(X[ok], y[ok], rcond=None)[0]
        self.floor = float(np.min(y[ok][y[ok] > 0]))  # a variance forecast must be > 0
        return {}

    def predict(self, fold):
        return np.maximum(self._inputs(fold, fold.test_end) @ self.coef, self.floor)


@register_model("logistic", targets=("direction",), C=0.01)
def logistic(C, **_):
    """Logistic regression on the flattened lookback window (direction).

    ``C`` = 0.01 (strong L2 penalty): the 240 inputs of W1 are highly correlated; with
    C = 1 the fit took 200 iterations (~6x longer) and forecast worse on W1's first fold.
    """
    return Logistic(C)


@register_model("ewma", targets=("volatility",), lam=0.94)
def ewma(lam, **_):
    """RiskMetrics exponentially weighted variance, lambda 0.94 (volatility)."""
    return EWMA(lam)


@register_model("garch", targets=("volatility",))
def garch(**_):
    """GARCH(1,1) fitted on each fold's training returns (volatility)."""
    return Garch()


@register_model("har", targets=("volatility",))
def har(**_):
    """HAR-RV: regression on last day's, week's and month's realized variance."""
    return HAR()


# --- Keras networks ----------------------------------------------------------------------


# [training] output_init -> the Keras initializer of the output layer's weights
OUTPUT_INITS = {"random": "glorot_uniform", "zeros": "zeros"}


class KerasForecaster:
    """A Keras network trained with Adam on MSE, early stopping on the validation tail.

    Each fit keeps the weights it started from unless an epoch beats their validation loss
    by ``min_delta``: in the first fold the untrained network (with ``output_init =
    "zeros"``, a forecast of the training mean), so a network that finds nothing abstains.
    Calling ``fit`` again (the next fold, ``refit = "warm"``) continues from the weights
    the previous call left and fits only the samples that are new since then, which is why
    warm walk-forward is fast (training on recent days alone can make them worse: they
    compete as above).
    ``stride`` fits every stride-th window (the newest always
    included): neighbouring windows share all but one day. ``output_init = "zeros"`` starts
    the output layer at zero weights: the untrained network forecasts the scaled target's
    zero (for returns, the training mean; for direction, even odds) instead of its random
    weights' noise.
    """
    warm_start = True

    def __init__(self, layers: Callable, *, epochs=10, batch_size=256, learning_rate=1e-3,
                 patience=2, validation_fraction=0.1, stride=1, min_delta=0.0, loss="mse",
                 output_init="random"):
        if output_init not in OUTPUT_INITS:  # a plugin's typo must not build Keras' default
            raise ForecastError(f'output_init "{output_init}" is not one of: '
                                f'{", ".join(OUTPUT_INITS)}.'
                                + did_you_mean(output_init, OUTPUT_INITS))
        self.layers = layers
        self.output_init = output_init
        self.loss = loss  # "binary_crossentropy": the output is a probability (sigmoid)
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.patience = patience
        self.stride = stride
        self.min_delta = min_delta
        self.model = None
        self.fitted = False  # a later fit continues from these weights (warm refit)
        self._rng = None
        self._traced = (None,)  # (model, train step, predict step): see _steps

    def build(self, lookback, n_features):
        import keras
        model = keras.Sequential([keras.Input((lookback, n_features)),
                                  *self.layers(keras.layers), self._output(keras.layers)])
        model.compile(optimizer=keras.optimizers.Adam(self.learning_rate), loss=self.loss)
        return model

    def _output(self, L):
        # Early stopping still watches the mean squared error: for probabilities that is
        # the Brier score, a proper score like the cross-entropy trained on. Zero weights
        # help where there is little to learn (W1's returns: README, Accuracy) and hurt
        # where there is much (volatility learns too little before early stopping ends it).
        # "random" is Keras' default.
        init = OUTPUT_INITS[self.output_init]
        sigmoid = self.loss == "binary_crossentropy"
        return L.Dense(1, activation="sigmoid" if sigmoid else None, kernel_initializer=init)

    @property
    def params(self):
        return None if self.model is None else int(self.model.count_params())

    def state(self) -> list:
        """What a warm refit continues from: weights, dropout seeds, optimizer moments."""
        if self.model is None:
            return []
        return [v.numpy() for v in [*self.model.variables, *self.model.optimizer.variables]]

    def restore(self, arrays, lookback, n_features):
        """Continue from a :meth:`state` saved by an interrupted run."""
        self.model = self.build(lookback, n_features)
        self.model.optimizer.build(self.model.trainable_variables)
        for v, a in zip([*self.model.variables, *self.model.optimizer.variables], arrays,
                        strict=True):
            v.assign(a)
        self.fitted = True

    def prepare(self, fold):
        """Take from the global random state all this fold's fit needs: the initial weights
        (first fold) and the shuffling seed. Done in order, so that fits may then run side
        by side in threads and still give the same result."""
        if self.model is None:
            self.model = self.build(*fold.X_train.shape[1:])
        self._rng = np.random.default_rng(np.random.randint(2**31 - 1))

    def fit(self, fold):
        if self._rng is None:
            self.prepare(fold)
        warm, self.fitted = self.fitted, True
        start = fold.first_new if warm else 0
        X, y = fold.X_train[start:], fold.y_train[start:]
        keep = slice((len(X) - 1) % self.stride, None, self.stride)
        if not len(y[keep]):
            return {}
        dates = None if fold.dates is None else fold.dates["fit"][start:][keep]
        return self._train(X[keep], y[keep], fold.X_val, fold.y_val, fold=fold, dates=dates,
                           warm=warm)

    def _train(self, X, y, X_val, y_val, *, fold=None, dates=None, warm=False):
        # A lean loop over one traced step (see _steps): Model.fit builds a dataset, an
        # iterator and callbacks on every call and epoch, which costs more than the small
        # folds it trains. Every batch has the same shape so that the step is traced once,
        # not once a fold.
        history = {"loss": [], "val_loss": []}
        # the weights training starts from compete too (the last fold's, or untrained ones:
        # with zero output weights the training mean): it must beat them to be kept
        best, best_weights, wait = self._val_loss(X_val, y_val), self.model.get_weights(), 0
        size = min(self.batch_size, len(y))
        starts = list(range(0, len(y) - size + 1, size))
        if starts[-1] + size < len(y):
            starts.append(len(y) - size)  # the last batch overlaps the one before
        rng, self._rng = self._rng, None
        if dates is not None:  # the leak audit: what the loop below trains and checks on
            fold.received("fit", X, dates)
            fold.received("early_stopping", X_val, fold.dates["validation"])
        for _ in range(self.epochs):
            order = rng.permutation(len(y))
            losses = [float(self._train_step(X[order[i:i + size]], y[order[i:i + size]]))
                      for i in starts]
            history["loss"].append(float(np.mean(losses)))
            val = self._val_loss(X_val, y_val)
            history["val_loss"].append(val)
            if val < best - self.min_delta:  # early stopping on the validation tail
                best, best_weights, wait = val, self.model.get_weights(), 0
            else:
                wait += 1
                if wait >= self.patience:
                    break
        self.model.set_weights(best_weights)
        return history

    def _train_step(self, X, y):
        """One Adam step on a batch; returns its loss."""
        return self._steps()[0](X, y)

    def _steps(self):
        """This network's training and prediction steps, traced once per model.

        Plain ``tf.function``s without AutoGraph: Keras' ``train_on_batch`` traces its
        whole trainer (AutoGraph, metrics, loss scaling): on W1 that traced ~3x as long
        (longer than the first fold's training) and ran the single LSTM's step ~2x slower.
        """
        if self._traced[0] is not self.model:
            import keras
            import tensorflow as tf
            model, loss_fn = self.model, keras.losses.get(self.loss)
            if not model.optimizer.built:  # its variables made inside the trace cost a retrace
                model.optimizer.build(model.trainable_variables)
            apply = fused_adam(model.optimizer) or model.optimizer.apply

            def train(x, y):
                with tf.GradientTape() as tape:
                    loss = tf.reduce_mean(loss_fn(y[:, None], model(x, training=True)))
                    if model.losses:  # a user's layers' regularisation
                        loss += tf.add_n(model.losses)
                grads = tape.gradient(loss, model.trainable_variables)
                apply(grads, model.trainable_variables)
                return loss

            self._traced = (model, tf.function(train, autograph=False),
                            tf.function(lambda x: model(x, training=False), autograph=False))
        return self._traced[1:]

    def _val_loss(self, X_val, y_val):
        return float(np.mean((self._predict(X_val) - y_val) ** 2))

    def _predict(self, X, chunk=128):
        # fixed-size chunks, the last one zero-padded: one traced shape for every fold (128
        # rows: W1's validation tails and test folds, ~250-480 rows, are padded less than
        # to 256, and the kernels' outputs take half the memory)
        n = len(X)
        padded = np.zeros((-(-n // chunk) * chunk, *X.shape[1:]), dtype="float32")
        padded[:n] = X
        predict = self._steps()[1]
        out = [np.asarray(predict(padded[i:i + chunk])).ravel()
               for i in range(0, len(padded), chunk)]
        return np.concatenate(out)[:n]

    def predict(self, fold):
        return fold.to_price(self._predict(fold.X_test))


def fused_adam(optimizer):
    """``optimizer.apply`` as TensorFlow's fused Adam kernel (one op a variable), on the
    optimizer's own variables; None unless ``optimizer`` is plain ``keras.optimizers.Adam``
    (variables that are not float32, and missing or sparse gradients, get Keras' update).

    The same update as Keras' (same formula and variables, so states and checkpoints are
    interchangeable), in one op instead of ~20 a variable: tracing a network's training step
    takes ~0.2 s less (W1: stacked LSTM 0.65 -> 0.41 s, on the walk-forward's critical path).
    """
    import keras
    import tensorflow as tf
    o = optimizer
    if type(o) is not keras.optimizers.Adam or o.amsgrad or o.use_ema or any(
            getattr(o, a, None) for a in ("weight_decay", "clipnorm", "clipvalue",
                                          "global_clipnorm", "loss_scale_factor",
                                          "gradient_accumulation_steps")):
        return None

    def apply(grads, variables):
        if any(v.dtype != "float32" or not isinstance(g, tf.Tensor)  # None, sparse
               for g, v in zip(grads, variables, strict=True)):
            return o.apply(grads, variables)
        step = tf.cast(o.iterations.value + 1, tf.float32)
        b1, b2 = tf.constant(o.beta_1, tf.float32), tf.constant(o.beta_2, tf.float32)
        lr = tf.cast(o.learning_rate, tf.float32)  # a variable, or a schedule's value
        for g, v in zip(grads, variables, strict=True):
            i = o._get_variable_index(v)  # Keras' own slots: Adam.update_step's m and v
            tf.raw_ops.ResourceApplyAdam(
                var=v.value.handle, m=o._momentums[i].value.handle,
                v=o._velocities[i].value.handle, beta1_power=tf.pow(b1, step),
                beta2_power=tf.pow(b2, step), lr=lr, beta1=b1, beta2=b2,
                epsilon=tf.constant(o.epsilon, tf.float32), grad=g)
        o.iterations.assign_add(1)
    return apply


def lstm(units: int, *, return_sequences=False, dropout=0.0, shards=1):
    """``keras.layers.LSTM(units, ...)``, on the fastest kernel the device has.

    On a GPU that is Keras' own layer (cuDNN). On a CPU it is :func:`fused_lstm`, the same
    LSTM (same weights, initialisers, outputs and gradients) on TensorFlow's fused kernel:
    it traces in half the time of Keras' step-by-step loop, and a training step is ~1.6x
    faster for LSTM(32) on 4 features (~1.1x for the wider layers of the stacked network).

    ``FORECAST_FUSED_LSTM=0`` in the environment asks for Keras' layer on a CPU too, and a
    TensorFlow build without ``BlockLSTMV2`` gets it anyway. The two layers hold the same
    variables in the same order, so a checkpoint of one resumes with the other.

    ``shards`` > 1 (the fused layer only) splits each batch into that many parts, each its
    own kernel: TensorFlow runs them on separate cores when cores are free. The outputs are
    the same; the weights' gradients are summed over the parts (another order of summation).
    """
    if isinstance(shards, bool) or not isinstance(shards, int) or shards < 1:
        raise ForecastError(f"shards must be a whole number >= 1, got {shards!r}")
    if device() == "cpu" and use_fused():
        return fused_lstm()(units, return_sequences=return_sequences, dropout=dropout,
                            shards=shards)
    import keras
    return keras.layers.LSTM(units, return_sequences=return_sequences, dropout=dropout)


def use_fused() -> bool:
    """Whether :func:`lstm` gives the fused layer on a CPU (see there)."""
    if os.environ.get("FORECAST_FUSED_LSTM", "1").strip().lower() in ("0", "false", "no"):
        return False
    import tensorflow as tf
    return hasattr(tf.raw_ops, "BlockLSTMV2") and hasattr(tf.raw_ops, "BlockLSTMGradV2")


@functools.cache  # defined on first use: importing this module does not import Keras
def fused_lstm():
    """The class of the CPU layer :func:`lstm` returns."""
    import keras
    import tensorflow as tf

    # TensorFlow registers BlockLSTMV2's gradient with the kernel of the first version,
    # which orders the gates differently: the gradients come out wrong. Ask for V2's.
    @tf.custom_gradient
    def block_lstm(x, w, b):  # x: (steps, batch, features); returns h, (steps, batch, units)
        units = b.shape[0] // 4
        zeros = tf.zeros((tf.shape(x)[1], units), x.dtype)
        no_peephole = tf.zeros((units,), x.dtype)
        common = dict(seq_len_max=tf.cast(tf.shape(x)[0], tf.int64), x=x, cs_prev=zeros,
                      h_prev=zeros, w=w, wci=no_peephole, wcf=no_peephole, wco=no_peephole,
                      b=b)
        i, cs, f, o, ci, co, h = tf.raw_ops.BlockLSTMV2(**common, cell_clip=0.0,
                                                        use_peephole=False)

        def grad(dh):
            g = tf.raw_ops.BlockLSTMGradV2(**common, i=i, cs=cs, f=f, o=o, ci=ci, co=co, h=h,
                                           cs_grad=tf.zeros_like(cs), h_grad=dh,
                                           use_peephole=False)
            return g[0], g[3], g[7]  # x, w, b
        return h, grad

    # saved models (.keras) name it forecast>FusedLSTM; call fused_lstm() before loading one
    @keras.saving.register_keras_serializable(package="forecast", name="FusedLSTM")
    class FusedLSTM(keras.layers.Layer):
        """keras.layers.LSTM (tanh, sigmoid gates, unit forget bias, no state carried
        between batches) computed by TensorFlow's ``BlockLSTMV2`` kernel."""

        def __init__(self, units, *, return_sequences=False, dropout=0.0, shards=1, **kwargs):
            super().__init__(**kwargs)
            self.units, self.return_sequences, self.dropout = units, return_sequences, dropout
            self.shards = shards
            # drawn in the same order as Keras' LSTM draws them
            self.kernel_initializer = keras.initializers.GlorotUniform()
            self.recurrent_initializer = keras.initializers.Orthogonal()
            self.seed_generator = keras.random.SeedGenerator()

        def build(self, input_shape):
            u = self.units
            self.kernel = self.add_weight(shape=(input_shape[-1], 4 * u), name="kernel",
                                          initializer=self.kernel_initializer)
            self.recurrent_kernel = self.add_weight(shape=(u, 4 * u), name="recurrent_kernel",
                                                    initializer=self.recurrent_initializer)
            # gates in Keras' order i, f, c, o (BlockLSTMV2's too); forget gate bias 1
            self.bias = self.add_weight(shape=(4 * u,), name="bias", initializer=lambda
                                        shape, dtype=None: np.repeat([0.0, 1.0, 0.0, 0.0], u))

        def call(self, x, training=False):
            batch = tf.shape(x)[0]
            if training and self.dropout:  # one mask for all time steps, as Keras' LSTM
                x = keras.random.dropout(x, self.dropout, noise_shape=(batch, 1, x.shape[-1]),
                                         seed=self.seed_generator)
            w = tf.concat([self.kernel, self.recurrent_kernel], 0)
            b = tf.convert_to_tensor(self.bias)
            x = tf.transpose(x, (1, 0, 2))
            n = x.shape[1]  # every batch has one shape: the split is fixed when traced
            if self.shards > 1 and n is not None and n >= self.shards:
                parts = [n // self.shards + (i < n % self.shards) for i in range(self.shards)]
                h = tf.concat([block_lstm(p, w, b) for p in tf.split(x, parts, axis=1)], 1)
            else:
                h = block_lstm(x, w, b)
            return tf.transpose(h, (1, 0, 2)) if self.return_sequences else h[-1]

        def compute_output_shape(self, input_shape):
            return (*input_shape[:-1 if self.return_sequences else -2], self.units)

        def get_config(self):
            return {**super().get_config(), "units": self.units,
                    "return_sequences": self.return_sequences, "dropout": self.dropout,
                    "shards": self.shards}

    return FusedLSTM


@register_model("single_lstm", units=32, dropout=0.0, shards=1)
def single_lstm(units, dropout, shards, **training):
    """LSTM(units) -> Dense(1).

    ``shards``: each batch in that many parts, a kernel each, on free cores (:func:`lstm`).
    """
    return KerasForecaster(lambda L: [lstm(units, dropout=dropout, shards=shards)],
                           **training)


@register_model("stacked_lstm", units=[64, 32], dropout=0.2, shards=1)
def stacked_lstm(units, dropout, shards, **training):
    """LSTM(64, return_sequences) -> Dropout -> LSTM(32) -> Dropout -> Dense(1).

    ``shards``: each batch in that many parts, a kernel each, on free cores (:func:`lstm`).
    """
    def layers(L):
        out = []
        for i, u in enumerate(units):
            out += [lstm(u, return_sequences=i < len(units) - 1, shards=shards),
                    L.Dropout(dropout)]
        return out
    return KerasForecaster(layers, **training)


@register_model("gru", units=32)
def gru(units, **training):
    """GRU(units) -> Dense(1)."""
    return KerasForecaster(lambda L: [L.GRU(units)], **training)


@register_model("simple_rnn", units=32)
def simple_rnn(units, **training):
    """SimpleRNN(units) -> Dense(1)."""
    return KerasForecaster(lambda L: [L.SimpleRNN(units)], **training)


def timed(fn, *args):
    """``(result, seconds)`` of ``fn(*args)``."""
    t0 = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t0


def fit_predict(name: str, model, fold: FoldData, k: int):
    """``(history, fit_seconds, predictions, predict_seconds)`` of ``model`` on fold ``k``
    (from 0). A model that fails, or returns what the walk-forward cannot use (predictions
    of the wrong length, NaN), ends the run with one line naming it: a plugin's model is
    the user's code, and they need its name, not the walk-forward's traceback."""
    where = f'model "{name}" in fold {k + 1}'
    with _one_thread(model):
        history, fit_s = _blamed(where, model.fit, fold)
    try:  # metrics.json and the report's training chart keep it
        history = {str(key): [float(x) for x in losses]
                   for key, losses in (history or {}).items()}
    except (AttributeError, TypeError, ValueError):
        got = repr(history) if len(repr(history)) < 40 else f"a {type(history).__name__}"
        raise ForecastError(f"{where}: fit returned {got}: return a dict of losses per "
                            'epoch ({"loss": [0.5, 0.4], "val_loss": [...]}) or {}') from None
    with _one_thread(model):
        pred, predict_s = _blamed(where, model.predict, fold)
    n = len(fold.X_test)
    try:
        values = np.asarray(pred, dtype="float64")
    except (TypeError, ValueError):
        values = None
    if pred is None or values is None or values.shape != (n,):
        got = ("None" if pred is None else "values that are not numbers" if values is None
               else f"an array of shape {values.shape}")
        raise ForecastError(f"{where}: predict returned {got} for {n} test samples: return "
                            f"one number per test sample, an array of shape ({n},)")
    bad = np.flatnonzero(~np.isfinite(values))
    if len(bad):
        day = ("" if fold.dates is None else
               f", the first on {str(fold.dates['test'][bad[0]])[:10]}")
        why = (" (its training likely diverged: lower learning_rate)"
               if isinstance(model, KerasForecaster) else "")
        raise ForecastError(f"{where}: predict returned NaN or infinity for {len(bad)} of "
                            f"{n} test samples{day}: a model must forecast every test day"
                            + why)
    return history, fit_s, values, predict_s


def _one_thread(model):
    """One BLAS thread for a model that draws no random numbers (scikit-learn, NumPy): its
    sums then come out in the same order on every machine and worker, so a Ray sweep gives
    a local run's predictions (on all cores ridge's differed by ~1e-7). Networks keep
    TensorFlow's own threads."""
    if not getattr(model, "deterministic", False):
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits
    return threadpool_limits(limits=1)


def _blamed(where, method, fold):
    """``timed(method, fold)``, its failure one line that names the model."""
    try:
        return timed(method, fold)
    except ForecastError as e:
        raise ForecastError(f"{where}: {e}") from e
    except Exception as e:
        raise ForecastError(f"{where}: {method.__name__} failed{_line(e, method)}: "
                            f"{one_line(e)}") from e


def _line(e: BaseException, method) -> str:
    """' at FILE line N': the last line of the model's own code the error passed through
    (a sweep's worker has no --debug to show the traceback)."""
    import sys
    import traceback
    module = sys.modules.get(type(getattr(method, "__self__", None)).__module__)
    file = getattr(module, "__file__", None)
    lines = [f.lineno for f in traceback.extract_tb(e.__traceback__) if f.filename == file]
    return f" at {os.path.basename(file)} line {lines[-1]}" if lines else ""
