"""The model registry and the fit/predict protocol: what a model is, how one is made by
name, and how the walk-forward asks it for a fold's forecasts.

A model factory takes its parameters (its own and the training settings) and returns an
object with ``fit(fold) -> dict`` and ``predict(fold) -> prices``, where ``fold`` is a
:class:`FoldData`. Add your own with the decorator::

    @register_model("my_gru", units=16)
    def my_gru(units, **training):
        return KerasForecaster(lambda L: [L.GRU(units)], **training)

Any object with ``fit`` and ``predict`` will do (:class:`Forecaster` says what is asked of
it and when).
"""
from __future__ import annotations

import contextlib
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Protocol, runtime_checkable

import numpy as np

from forecast import audit
from forecast.errors import ForecastError, one_line


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
        why = " (its training likely diverged: lower learning_rate)" if _network(model) else ""
        raise ForecastError(f"{where}: predict returned NaN or infinity for {len(bad)} of "
                            f"{n} test samples{day}: a model must forecast every test day"
                            + why)
    return history, fit_s, values, predict_s


def _network(model) -> bool:
    """Whether ``model`` is a :class:`~forecast.models.networks.KerasForecaster`, looked up
    rather than imported: the networks' module imports this one (no import cycles)."""
    networks = sys.modules.get("forecast.models.networks")
    return networks is not None and isinstance(model, networks.KerasForecaster)


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
