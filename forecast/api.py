"""The Python API, for scripts and notebooks; the CLI is built on the same calls.

    import forecast
    exp = forecast.load_experiment("backtests/sp500_single_vs_stacked.toml")
    result = forecast.backtest(exp, overrides={"training.epochs": 3, "split.folds": 3})
    result.summary()              # one row per model: errors, Theil's U, DM p-value
    result.save()                 # reports/<experiment>/<run-id>/, as `forecast run` writes
    result                        # in Jupyter: the verdict and the main chart
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd

from forecast import config, data, report, result, runs, walkforward
from forecast import plugins as _plugins
from forecast.config import Experiment
from forecast.errors import ForecastError
from forecast.quiet import quiet_tensorflow


class Result(result.Result):
    """A finished backtest (see :class:`forecast.result.Result` for its attributes), with
    what a notebook needs: :meth:`summary`, :meth:`save`, :meth:`report_html` and an inline
    view in Jupyter."""

    def save(self, out="reports") -> Path:
        """Write the run directory (metrics.json, predictions.csv, experiment.toml,
        report.html) under ``out`` and update ``out/index.html``; its path."""
        path = runs.save(self, out, pages=report.render)
        report.render_index(out)
        return path

    def report_html(self) -> str:
        """The whole report page as HTML text (what report.html holds)."""
        return report.html(self)

    def _repr_html_(self) -> str:
        return report.summary_html(self)

    @classmethod
    def of(cls, core: result.Result) -> Result:
        return cls(**{f.name: getattr(core, f.name) for f in dataclasses.fields(core)})


def load_experiment(path, overrides: dict | None = None) -> Experiment:
    """Read an experiment file, then apply ``overrides``: dotted keys as in ``--grid``
    (``{"training.epochs": 5, "split.folds": 3, "models.single_lstm.units": 16}``)."""
    return config.override(config.load_experiment(path), overrides)


def backtest(experiment_or_path, *, prices: pd.DataFrame | None = None,
             overrides: dict | None = None, plugins=(), progress: bool = True) -> Result:
    """Run a walk-forward backtest and return its :class:`Result` (nothing is written).

    ``experiment_or_path``: an :class:`Experiment` or an experiment file. ``prices``: your
    own DataFrame indexed by date with a ``close`` column (any case; optionally open, high,
    low, volume, adj close), validated and repaired as a CSV is; when given, the
    experiment's data source is not used. ``overrides``: dotted keys, as
    :func:`load_experiment`. ``plugins``: files or modules that register indicators or
    models, imported first.
    """
    quiet_tensorflow()  # its start-up lines are no news to a notebook either
    specs = [_plugins.resolve(p) for p in ([plugins] if isinstance(plugins, str)
                                            else plugins)]
    _plugins.load(specs)
    if isinstance(experiment_or_path, Experiment):
        exp = experiment_or_path
    elif isinstance(experiment_or_path, (str, Path)):
        exp = config.load_experiment(experiment_or_path)
    else:
        raise ForecastError("backtest needs an Experiment or the path of an experiment "
                            f"file, got {type(experiment_or_path).__name__}")
    overrides = dict(overrides or {})
    if specs:
        overrides["plugins"] = list(dict.fromkeys([*exp.plugins, *specs]))
    exp = config.override(exp, overrides)
    frame = None
    if prices is not None:
        d = exp.data
        frame = data.load_prices(d.ticker, d.source, prices=prices, start=d.start, end=d.end,
                                 date_format=d.date_format)
        frame.attrs["source"] = "dataframe"
    return Result.of(walkforward.run_experiment(exp, prices=frame, progress=progress))


def load_run(run_dir) -> Result:
    """The :class:`Result` of a run directory that ``forecast run`` or :meth:`Result.save`
    wrote."""
    return Result.of(runs.load(run_dir))


def compare(results_or_dirs, *, output=None) -> pd.DataFrame:
    """Several runs side by side, one row per run and model (Theil's U, errors, DM
    p-value, Sharpe ratio). With ``output``, also write the comparison page there (its
    path is in ``.attrs["page"]``)."""
    loaded = [r if isinstance(r, result.Result) else runs.load(r) for r in results_or_dirs]
    if not loaded:
        raise ForecastError("compare needs at least one result or run directory")
    table = report.compare_table(loaded)
    if output is not None:
        table.attrs["page"] = report.render_compare(loaded, output)
    return table
