"""What a backtest returns: typed, and the same whether it was just run or read back.

:func:`forecast.walkforward.run_experiment` builds a :class:`Result`; ``metrics.json`` is
:attr:`Result.metrics` (with :data:`SCHEMA_VERSION`), and :meth:`Result.from_metrics` reads it
back, so the report, the CLI, sweeps and the Python API all read the same attributes instead
of string keys of a dict. Scores stay a ``dict`` of name -> number: which scores a model has
depends on the target (errors in price units, a Brier score, QLIKE), like a table's columns.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from forecast.config import Experiment
from forecast.targets import TARGETS

SCHEMA_VERSION = 2



@dataclass(frozen=True)
class Fold:
    """The dates of one walk-forward fold (ISO days), for the leak audit and the report."""
    fold: int
    train_start: str
    train_end: str
    test_start: str
    test_end: str
    scaler_start: str
    scaler_end: str
    validation_start: str
    validation_end: str
    n_train: int
    n_test: int


@dataclass
class ModelResult:
    """One model's results: over all test days, per fold, and its trading backtest.

    ``scores``: the target's errors and skill measures over all test days (with several
    seeds the mean over seeds, and ``<name>_std`` their spread), ``dm_stat`` / ``dm_pvalue``
    against naive; ``folds``: the same per fold plus fit and predict seconds, epochs run,
    peak memory and the training history.
    """
    name: str
    scores: dict
    folds: list = field(default_factory=list)
    trading: dict | None = None
    wall_seconds: float = 0.0
    params: int | None = None
    seeds: list = field(default_factory=list)

    @property
    def is_baseline(self) -> bool:
        """Baselines train no weights and run once, without a seed."""
        return not self.seeds

    def to_json(self) -> dict:
        return {**self.scores, **({"trading": self.trading} if self.trading else {}),
                "wall_seconds": self.wall_seconds, "params": self.params,
                "seeds": list(self.seeds), "folds": self.folds}

    @classmethod
    def from_json(cls, name: str, d: dict) -> ModelResult:
        rest = {k: v for k, v in d.items()
                if k not in ("trading", "wall_seconds", "params", "seeds", "folds")}
        return cls(name, rest, list(d.get("folds", [])), d.get("trading"),
                   float(d.get("wall_seconds") or 0.0), d.get("params"),
                   list(d.get("seeds", [])))


@dataclass
class DataInfo:
    """What the run ran on: where the prices came from, their span and fingerprint."""
    ticker: str
    source: str
    start: str
    end: str
    rows: int
    sha256: str
    warmup_rows: int = 0
    csv: str | None = None
    repairs: list = field(default_factory=list)
    cache: dict | None = None


@dataclass(eq=False, repr=False)  # frames have no truth value: == is identity
class Result:
    """A finished backtest.

    ``predictions`` has predictions.csv's columns (date, fold, model, seed, y_true, y_pred,
    y_last); ``equity`` the trading backtest's daily rows (None when it was not run);
    ``prices`` the prices it ran on (None when read back from a run directory). Two results
    are compared by their parts (``a.predictions.equals(b.predictions)``,
    ``a.summary()``), not with ``==``.
    """
    experiment: Experiment
    predictions: pd.DataFrame
    data: DataInfo
    models: dict                     # name -> ModelResult, naive first
    folds: list                      # Fold per fold
    features: list
    audit: dict
    walkforward_seconds: float = 0.0
    device: str = "cpu"
    versions: dict = field(default_factory=dict)
    trading: dict | None = None      # the trading settings and the deflation inputs
    buy_and_hold: dict | None = None
    equity: pd.DataFrame | None = None
    prices: pd.DataFrame | None = None
    plugins: list = field(default_factory=list)  # {"name", "sha256"} of each plugin loaded
    power: dict | None = None        # the power audit of its settings (forecast.power)
    run_id: str | None = None
    created: str | None = None
    path: Path | None = None         # the run directory, once saved or when read back

    def __repr__(self) -> str:
        # one line: the dataclass's repr printed every frame and score (10,000 characters)
        d, key = self.data, self.headline[0]
        scores = ", ".join(f"{n} {_short(m.scores.get(key))}" for n, m in self.models.items())
        where = f"saved in {self.path}" if self.path else "not saved"
        return (f"<Result {self.experiment.name}: {d.ticker} ({d.source}) {d.start}..{d.end}"
                f", target {self.experiment.features.target}, {len(self.folds)} folds; "
                f"{key}: {scores}; {where}>")

    @property
    def headline(self) -> tuple:
        """The target's headline scores: the CLI table's columns."""
        return TARGETS[self.experiment.features.target].headline

    def summary(self) -> pd.DataFrame:
        """One row per model: the headline scores, every other score, time and size."""
        rows = {}
        for name, m in self.models.items():
            scalars = {k: v for k, v in m.scores.items() if not isinstance(v, (dict, list))}
            first = {k: scalars.get(k) for k in self.headline}
            rows[name] = {**first, **{k: v for k, v in scalars.items() if k not in first},
                          "wall_seconds": m.wall_seconds, "params": m.params}
        frame = pd.DataFrame.from_dict(rows, orient="index")
        frame.index.name = "model"
        # a score no model has (None for each: no GARCH to test against) is NaN, not an
        # object column that .round() and arithmetic skip or refuse
        return frame.astype({c: float for c in frame.columns if frame[c].isna().all()})

    @property
    def metrics(self) -> dict:
        """What metrics.json holds."""
        e, d = self.experiment, self.data
        f = e.features
        out = {
            "schema_version": SCHEMA_VERSION, "experiment": e.name, "ticker": d.ticker,
            "source": d.source, "csv": d.csv,
            "data": {"start": d.start, "end": d.end, "rows": d.rows, "sha256": d.sha256,
                     "warmup_rows": d.warmup_rows},
            "repairs": list(d.repairs), "cache": d.cache, "versions": self.versions,
            "plugins": list(self.plugins), "device": self.device,
            "walkforward_seconds": self.walkforward_seconds,
            "lookback": f.lookback, "horizon": f.horizon, "target": f.target,
            "refit": e.training.refit, "seed": e.seed, "seeds": list(e.seeds or (e.seed,)),
            "features": list(self.features),
            "folds": [dataclasses.asdict(k) for k in self.folds], "audit": self.audit,
            "models": {n: m.to_json() for n, m in self.models.items()}}
        for key, value in (("trading", self.trading), ("buy_and_hold", self.buy_and_hold),
                           ("power", self.power)):
            if value is not None:
                out[key] = value
        if self.run_id:
            out["run_id"] = self.run_id
            out["created"] = self.created
        return out

    @classmethod
    def from_metrics(cls, metrics: dict, experiment: Experiment, predictions: pd.DataFrame,
                     equity: pd.DataFrame | None = None, path=None) -> Result:
        """The Result whose :attr:`metrics` is ``metrics`` (a run directory's files)."""
        m, d = _upgrade(metrics), metrics.get("data", {})
        data = DataInfo(m.get("ticker", experiment.data.ticker),
                        m.get("source", experiment.data.source), d.get("start", ""),
                        d.get("end", ""), int(d.get("rows", 0)), d.get("sha256", ""),
                        int(d.get("warmup_rows", 0)), m.get("csv"), list(m.get("repairs", [])),
                        m.get("cache"))
        names = {f.name for f in dataclasses.fields(Fold)}
        return cls(
            experiment, _in_ns(predictions), data,
            {n: ModelResult.from_json(n, v) for n, v in m.get("models", {}).items()},
            [Fold(**{k: v for k, v in f.items() if k in names}) for f in m.get("folds", [])],
            list(m.get("features", [])), dict(m.get("audit", {})),
            float(m.get("walkforward_seconds") or 0.0), m.get("device", "cpu"),
            dict(m.get("versions", {})), m.get("trading"), m.get("buy_and_hold"),
            None if equity is None else _in_ns(equity), None, list(m.get("plugins", [])),
            m.get("power"), m.get("run_id"), m.get("created"),
            None if path is None else Path(path))


def _in_ns(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates read back from a CSV in the unit of a fresh run's (pandas 3 reads them in
    microseconds, prices are in nanoseconds): else ``fresh.predictions.equals(loaded
    .predictions)`` is False for the same rows."""
    if "date" in frame.columns and frame["date"].dtype != "datetime64[ns]":
        frame = frame.assign(date=frame["date"].astype("datetime64[ns]"))
    return frame


def _short(value) -> str:
    return "n/a" if not isinstance(value, (int, float)) else f"{value:.4g}"


def _upgrade(metrics: dict) -> dict:
    """metrics.json of an older version in today's units: before schema 2 (no
    ``schema_version``) MAPE was in percent; it is a fraction like every share now."""
    if metrics.get("schema_version", 1) >= 2:
        return metrics
    models = {}
    for name, entry in (metrics.get("models") or {}).items():
        entry = dict(entry)
        for key in ("mape", "mape_std"):
            if isinstance(entry.get(key), (int, float)):
                entry[key] /= 100
        entry["folds"] = [{**f, **{k: f[k] / 100 for k in ("mape", "mape_std")
                                   if isinstance(f.get(k), (int, float))}}
                          for f in entry.get("folds", [])]
        models[name] = entry
    return {**metrics, "models": models}
