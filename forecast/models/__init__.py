"""Models: baselines and Keras networks behind one small interface.

A model factory takes its parameters (its own and the training settings) and returns an
object with ``fit(fold) -> dict`` and ``predict(fold) -> prices``, where ``fold`` is a
:class:`FoldData`. Add your own with the decorator::

    @register_model("my_gru", units=16)
    def my_gru(units, **training):
        return KerasForecaster(lambda L: [L.GRU(units)], **training)

Any object with ``fit`` and ``predict`` will do (:class:`Forecaster` says what is asked of
it and when). One module a job, every name offered here as well:

- :mod:`forecast.models.registry`: the registry (:data:`MODELS`, :func:`register_model`,
  :func:`create`) and the fit/predict protocol (:class:`FoldData`, :class:`Forecaster`,
  :func:`fit_predict`);
- :mod:`forecast.models.baselines`: ``naive``, ``drift``, ``ridge``, ``ar``, ``logistic``;
- :mod:`forecast.models.volatility`: ``ewma``, ``garch``, ``har``;
- :mod:`forecast.models.networks`: :class:`KerasForecaster` and the networks;
- :mod:`forecast.models.fused`: the fused TensorFlow kernels (:func:`lstm`,
  :func:`fused_adam`) and the Keras versions they run on (:func:`keras_checked`);
- :mod:`forecast.models.backend`: the TensorFlow set-up (:func:`reset`,
  :func:`import_backend`, :func:`device`).

Importing this package does not import Keras or TensorFlow: that happens when a network is
first built (or :func:`import_backend` is called).
"""
# the models register in this order (``forecast models`` lists them so): baselines,
# volatility baselines, networks
from forecast.models.registry import (MODELS, FoldData, Forecaster, ModelEntry, create,
                                      deterministic, fit_predict, register_model, timed,
                                      warm_start)
from forecast.models.backend import device, import_backend, reset
from forecast.models.baselines import (AR, RIDGE_ALPHAS, Drift, Logistic, Naive, Ridge, ar,
                                       choose_alpha, drift, logistic, naive, ridge)
from forecast.models.volatility import EWMA, HAR, Garch, ewma, garch, har
from forecast.models.fused import (CHECKED_KERAS, fused_adam, fused_lstm, keras_checked,
                                   lstm, use_fused)
from forecast.models.networks import (OUTPUT_INITS, KerasForecaster, gru, simple_rnn,
                                      single_lstm, stacked_lstm)

__all__ = ["AR", "CHECKED_KERAS", "EWMA", "HAR", "MODELS", "OUTPUT_INITS", "RIDGE_ALPHAS",
           "Drift", "FoldData", "Forecaster", "Garch", "KerasForecaster", "Logistic",
           "ModelEntry", "Naive", "Ridge", "ar", "choose_alpha", "create", "deterministic",
           "device", "drift", "ewma", "fit_predict", "fused_adam", "fused_lstm", "garch", "gru",
           "har", "import_backend", "keras_checked", "logistic", "lstm", "naive",
           "register_model", "reset", "ridge", "simple_rnn", "single_lstm", "stacked_lstm",
           "timed", "use_fused", "warm_start"]
