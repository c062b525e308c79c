"""The Python API, for scripts and notebooks; the CLI is built on the same calls.

    import forecast
    exp = forecast.load_experiment("backtests/sp500_single_vs_stacked.toml")
    result = forecast.backtest(exp, overrides={"training.epochs": 3, "split.folds": 3})
    result.summary()              # one row per model: errors, Theil's U, DM p-value
    result.save()                 # reports/<experiment>/<run-id>/, as `forecast run` writes
    result                        # in Jupyter: the verdict and the main chart
"""
from __future__ import annotations

import contextlib
import dataclasses
import random
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from forecast import (config, data, indicators, models, power, report, result, runs,
                      walkforward)
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
        report.html) under ``out`` and update ``out/index.html``; its path, which is also
        :attr:`path` from now on (with :attr:`run_id`). Each call writes a new run."""
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
        """The same backtest with the notebook methods (``core``: what the core returns)."""
        return cls(**{f.name: getattr(core, f.name) for f in dataclasses.fields(core)})


def load_experiment(path, overrides: dict | None = None) -> Experiment:
    """Read an experiment file, then apply ``overrides``: dotted keys as in ``--grid``
    (``{"training.epochs": 5, "split.folds": 3, "models.single_lstm.units": 16}``).

    ``path`` may also be a dict shaped like the file (``{"name": "x", "training":
    {"epochs": 1}, "models": ["naive", "ridge"]}``) or an :class:`Experiment`; either is
    checked as a file is.
    """
    return config.override(_experiment(path, "load_experiment"), overrides)


def _experiment(given, who: str) -> Experiment:
    """An Experiment from a file, a dict of settings or an Experiment, validated."""
    if isinstance(given, (str, Path)):
        return config.load_experiment(given)
    if isinstance(given, Experiment):
        # built in code, its settings were never checked: Experiment(training={...}) or a
        # seed of the wrong type would otherwise fail deep inside as a raw TypeError
        given = {f.name: dataclasses.asdict(v) if dataclasses.is_dataclass(v) else v
                 for f in dataclasses.fields(given)
                 if (v := getattr(given, f.name)) is not None
                 and not (f.name == "seed" and given.seeds)}
    if isinstance(given, dict):
        return config.from_dict(config.plain(given), where="settings")
    raise ForecastError(f"{who} needs an Experiment, a dict of settings or the path of an "
                        f"experiment file, got {type(given).__name__}: e.g. "
                        f'{who}("backtests/sp500_single_vs_stacked.toml")')


def backtest(experiment_or_path, *, prices: pd.DataFrame | None = None,
             overrides: dict | None = None, plugins=(), progress: bool = True) -> Result:
    """Run a walk-forward backtest and return its :class:`Result` (nothing is written).

    ``experiment_or_path``: an :class:`Experiment`, an experiment file or a dict shaped like
    one. ``prices``: your own DataFrame indexed by date with a ``close`` column (any case;
    optionally open, high, low, volume, adj close), validated and repaired as a CSV is;
    when given, the experiment's data source is not used, but ``data.start`` and
    ``data.end`` still cut it, and ``data.ticker`` names them in the run and its report
    (``overrides={"data.ticker": "AAPL"}``; else the experiment's, ^GSPC by default).
    ``overrides``: dotted keys, as :func:`load_experiment`.
    ``plugins``: files or modules that register indicators or models, imported first.

    The same settings and seed give the same predictions whatever ran before in the
    process, but for rounding: TensorFlow fixes its threads at its first op, as many as the
    first backtest's networks side by side ask, and a later backtest that would ask
    another number sums in another order (a stacked LSTM(64, 32): < 1e-9 relative). Set
    ``TF_NUM_INTRAOP_THREADS`` before TensorFlow starts for bit-identical runs. Python's and
    NumPy's global random states are left as they were.
    """
    quiet_tensorflow()  # its start-up lines are no news to a notebook either
    exp = _prepared(experiment_or_path, overrides, plugins, "backtest")
    frame = _frame(exp, prices)
    # the run seeds the global generators fold by fold; a notebook's own draws after it
    # must not depend on whether a backtest ran in between
    with _global_random_kept():
        return Result.of(walkforward.run_experiment(exp, prices=frame, progress=progress))


class PowerAudit(power.Power):
    """A finished power audit (see :class:`forecast.power.Power`: ``table``,
    ``smallest()``, ``predictions``), with :meth:`save`."""

    def save(self, out="reports") -> Path:
        """Write ``<out>/<experiment>/power/<id>/`` (power.json, predictions.csv,
        experiment.toml, power.html), what ``forecast power`` writes; its path. Runs of
        the same settings on the same prices saved after it report it in their verdict."""
        return runs.save_power(self, out, pages=report.render_power)


def power_audit(experiment_or_path, *, prices: pd.DataFrame | None = None,
                overrides: dict | None = None, forms=None, strengths=None, plugins=(),
                progress: bool = True) -> PowerAudit:
    """Plant predictable parts of known form and size in the experiment's prices, run the
    experiment on each planted series, and return what each model found (nothing is
    written until :meth:`PowerAudit.save`).

    ``forms``: names of :data:`forecast.power.FORMS` (default all: ``linear``,
    ``threshold``); ``strengths``: one list for every form or a dict form -> list (default
    each form's own). The other arguments are :func:`backtest`'s.
    """
    quiet_tensorflow()
    exp = _prepared(experiment_or_path, overrides, plugins, "power_audit")
    frame = _frame(exp, prices)
    with _global_random_kept():
        found = power.audit(exp, prices=frame, forms=forms, strengths=strengths,
                            progress=progress)
    return PowerAudit(**{f.name: getattr(found, f.name) for f in dataclasses.fields(found)})


def _prepared(experiment_or_path, overrides, plugins, who) -> Experiment:
    """The experiment with ``overrides`` applied and ``plugins`` loaded and recorded."""
    plugins = config.plain([plugins] if isinstance(plugins, (str, Path)) else list(plugins or ()))
    wrong = [p for p in plugins if not isinstance(p, str)]
    if wrong:
        raise ForecastError("plugins must be files or module names, e.g. plugins=["
                            f'"my_plugin.py", "mypkg.models"], got {type(wrong[0]).__name__}')
    specs = [_plugins.resolve(p) for p in plugins]
    _plugins.load(specs)
    exp = _experiment(experiment_or_path, who)
    overrides = config.dotted(overrides)
    if specs:
        overrides["plugins"] = list(dict.fromkeys([*exp.plugins, *specs]))
    return _record_plugins_used(config.override(exp, overrides))


def _frame(exp: Experiment, prices):
    """A user's DataFrame of prices, validated and cut as the experiment says (None: the
    experiment's own source)."""
    if prices is None:
        return None
    frame = data.prices_of(exp.data, prices=prices)
    frame.attrs["source"] = "dataframe"
    return frame


@contextlib.contextmanager
def _global_random_kept():
    """Python's and NumPy's global random states as they were, whatever ran inside."""
    saved = random.getstate(), np.random.get_state()
    try:
        yield
    finally:
        random.setstate(saved[0])
        np.random.set_state(saved[1])


def _record_plugins_used(exp: Experiment) -> Experiment:
    """``exp`` naming, besides its own, the plugins loaded earlier in this process whose
    models or indicators it uses: they still serve their names (a notebook's second
    backtest), and a run that did not record them would have no sha256 of their code and
    an experiment.toml that fails in a fresh process."""
    used = [models.MODELS[n].factory for n in exp.models] + [
        indicators.INDICATORS[s["name"]].func for s in exp.features.indicators
        if s["name"] in indicators.INDICATORS]
    specs = []
    for func in used:
        module = sys.modules.get(getattr(func, "__module__", None) or "")
        for spec in (getattr(module, "__file__", None), getattr(module, "__name__", None)):
            if spec in _plugins._loaded and spec not in (*exp.plugins, *specs):
                specs.append(spec)
    return config.override(exp, {"plugins": [*exp.plugins, *specs]}) if specs else exp


def load_run(run_dir) -> Result:
    """The :class:`Result` of a run directory that ``forecast run`` or :meth:`Result.save`
    wrote."""
    return Result.of(runs.load(run_dir))


def compare(results_or_dirs, *, output=None) -> pd.DataFrame:
    """Several runs side by side, one row per run and model (Theil's U, errors, DM
    p-value, Sharpe ratio), from Results or run directories (one alone is fine). Runs of
    other targets keep their own scores (the ``target`` column; NaN where a score does not
    apply). With ``output``, also write the comparison page there (its path is in
    ``.attrs["page"]``): there each target is ranked apart."""
    if isinstance(results_or_dirs, (result.Result, str, Path)):
        results_or_dirs = [results_or_dirs]  # not the characters of a path
    wrong = [r for r in results_or_dirs if not isinstance(r, (result.Result, str, Path))]
    if wrong:
        raise ForecastError("compare takes Results or run directories, got "
                            f"{type(wrong[0]).__name__}")
    loaded = [r if isinstance(r, result.Result) else runs.load(r) for r in results_or_dirs]
    if not loaded:
        raise ForecastError("compare needs at least one result or run directory")
    table = report.compare_table(loaded)
    if output is not None:
        if Path(output).is_dir():  # as `forecast compare -o FOLDER` is refused
            raise ForecastError(f"output={str(output)!r} is a folder: name the page's file, "
                                f"e.g. output={str(Path(output) / 'compare.html')!r}")
        try:
            table.attrs["page"] = report.render_compare(loaded, output)
        except OSError as e:
            raise ForecastError(f"cannot write the comparison page {output}: "
                                f"{e.strerror or e}" + (f" ({e.filename})" if e.filename else "")
                                + "; choose another output") from None
    return table
