"""forecast: honest walk-forward backtests of stock-price forecasting models.

The Python API (the CLI is built on the same calls)::

    import forecast
    result = forecast.backtest("backtests/sp500_single_vs_stacked.toml",
                               overrides={"training.epochs": 3})
    result.summary()   # one row per model, against naive persistence
    result.save()      # reports/<experiment>/<run-id>/ with report.html
    old = forecast.load_run("reports/<experiment>/<run-id>")  # a Result again
    forecast.compare([result, old])  # one row per run and model

Settings come from an experiment file, a dict shaped like one or a :class:`Experiment`;
``overrides`` are dotted keys (``"training.epochs"``), as ``forecast sweep --grid`` takes.

Extend it with your own indicators and models (:func:`register_indicator`,
:func:`register_model`, :class:`KerasForecaster`), in a script or in a plugin file named by
an experiment's ``plugins = [...]``.

The pipeline, one straight line::

    config.load_experiment -> data.load_prices -> features.build -> windows.make_windows
    -> splits.WalkForward -> walkforward.run_experiment -> result.Result -> runs.save
    -> report.render
"""
import importlib

from forecast.errors import ForecastError

__version__ = "0.1.0"
# where each public name lives; imported on first use, so that `import forecast.errors`
# (the CLI's first line) does not import pandas, the report and the rest
_NAMES = {"Result": "api", "backtest": "api", "compare": "api", "load_experiment": "api",
          "load_run": "api", "Experiment": "config", "register_indicator": "indicators",
          "FoldData": "models", "Forecaster": "models", "KerasForecaster": "models",
          "register_model": "models", "power_audit": "api", "PowerAudit": "api"}
__all__ = ["ForecastError", "__version__", *_NAMES]


def __getattr__(name):
    if name in _NAMES:
        return getattr(importlib.import_module(f"forecast.{_NAMES[name]}"), name)
    raise AttributeError(f"module 'forecast' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_NAMES])
