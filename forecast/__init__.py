"""forecast: honest walk-forward backtests of stock-price forecasting models.

The pipeline, one straight line::

    config.load_experiment -> data.load_prices -> features.build -> windows.make_windows
    -> splits.WalkForward -> walkforward.run_experiment -> report.render
"""
from forecast.errors import ForecastError

__version__ = "0.1.0"
__all__ = ["ForecastError", "__version__"]
