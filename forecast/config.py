"""Experiment files: TOML in, frozen and validated dataclasses out.

Every table and key is checked: an unknown key is refused with "Did you mean ...?", a value of
the wrong type or out of range is refused with the allowed range. ``experiment.toml`` in a run
directory is :func:`to_toml` of the resolved experiment, so a run can always be repeated.
"""
from __future__ import annotations

import dataclasses
import math
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import numpy as np
import tomli_w

from forecast.csvfile import csv_ticker
from forecast.data import MISSING, SOURCES
from forecast.days import check_date_format, day_text
from forecast.ohlcv import check_ticker
from forecast import plugins
from forecast.errors import ForecastError, did_you_mean
from forecast import targets as _targets

TARGETS = tuple(_targets.TARGETS)  # return, price, direction, volatility
WINDOWS = ("expanding", "sliding")
REFITS = ("warm", "scratch")


@dataclass(frozen=True)
class DataSpec:
    """Where prices come from: ``source`` is sample (bundled, offline), yahoo or csv.

    ``start``/``end`` are kept as YYYY-MM-DD; ``date_format`` (strftime codes such as
    ``%d/%m/%Y``) reads the CSV's dates and start/end given in that form. A CSV without a
    ticker is named after its file. ``missing``: a CSV's rows lacking a price are refused
    ("refuse") or dropped and noted ("drop").
    """
    source: str = "sample"
    ticker: str = "^GSPC"
    csv: str | None = None
    start: str | None = None
    end: str | None = None
    date_format: str | None = None
    missing: str = "refuse"


@dataclass(frozen=True)
class FeatureSpec:
    """Model inputs and target.

    ``target = "return"`` learns the next log return from scale-free inputs and turns
    predictions back into prices; ``"price"`` min-max scales price levels (the tutorial way).
    ``warmup`` rows are dropped from the start (``None``: as many as the indicators need).
    """
    indicators: tuple = ({"name": "sma", "length": 20}, {"name": "ema", "length": 50},
                         {"name": "rsi", "length": 14})
    target: str = "return"
    lookback: int = 60
    horizon: int = 1
    warmup: int | None = None


@dataclass(frozen=True)
class SplitSpec:
    """Walk-forward folds over samples (windows): see :class:`forecast.splits.WalkForward`."""
    initial_train: int = 2500
    folds: int = 5
    test_size: int | None = None
    gap: int = 0
    window: str = "expanding"


@dataclass(frozen=True)
class TrainingSpec:
    """Training settings shared by every model; a model's own table may override them."""
    epochs: int = 10
    batch_size: int = 256
    learning_rate: float = 0.001
    patience: int = 2
    validation_fraction: float = 0.1
    refit: str = "warm"
    stride: int = 1  # fit every stride-th window; validation and test use all
    min_delta: float = 0.0  # smallest fall in validation loss that counts as improving
    output_init: str = "random"  # the output layer's initial weights: random or zeros


@dataclass(frozen=True)
class TradingSpec:
    """The trading backtest of the forecasts: see :mod:`forecast.trading`.

    Long when the predicted return exceeds ``threshold`` (short below ``-threshold`` with
    ``long_short``), flat otherwise; ``cost_bps`` basis points per unit of turnover. For
    ``target = "direction"`` the threshold is above 0.5; for ``"volatility"`` the position
    is ``target_vol`` / forecast volatility (annualised), at most ``max_leverage``.
    """
    threshold: float = 0.0
    cost_bps: float = 5.0
    long_short: bool = False
    target_vol: float = 0.10
    max_leverage: float = 2.0

    def __post_init__(self):
        if not isinstance(self.long_short, bool):
            raise ForecastError(f"trading.long_short must be true or false, got "
                                f"{self.long_short!r}")
        if self.cost_bps < 0:
            raise ForecastError(f"trading.cost_bps must be at least 0, got {self.cost_bps}")
        for key in ("target_vol", "max_leverage"):
            if not getattr(self, key) > 0:
                raise ForecastError(f"trading.{key} must be > 0, got {getattr(self, key)}")


@dataclass(frozen=True)
class Experiment:
    """One backtest: data, features, folds, training and the models to compare."""
    name: str = "experiment"
    seed: int = 42
    seeds: tuple | None = None  # train every network once per seed; default (seed,)
    data: DataSpec = DataSpec()
    features: FeatureSpec = FeatureSpec()
    split: SplitSpec = SplitSpec()
    training: TrainingSpec = TrainingSpec()
    trading: TradingSpec = TradingSpec()
    models: dict = field(default_factory=lambda: {"naive": {}, "single_lstm": {},
                                                  "stacked_lstm": {}})
    # files (absolute paths) or module names imported before validation: a user's
    # indicators and models, see forecast.plugins
    plugins: tuple = ()


_SECTIONS = {"data": DataSpec, "features": FeatureSpec, "split": SplitSpec,
             "training": TrainingSpec, "trading": TradingSpec}


def load_experiment(path) -> Experiment:
    """Read and validate an experiment file."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ForecastError(f"experiment file {path} does not exist: check the path (the "
                            "examples are in backtests/, e.g. "
                            "backtests/sp500_single_vs_stacked.toml)") from None
    except IsADirectoryError:
        inside = sorted(p.name for p in path.glob("*.toml"))[:3]
        raise ForecastError(f"{path} is a folder, not an experiment file: name a .toml file"
                            + (f" in it ({', '.join(inside)})" if inside else "")) from None
    except UnicodeDecodeError as e:
        raise ForecastError(f"experiment file {path} is not UTF-8 text ({e.reason} at byte "
                            f"{e.start}): save it as UTF-8 TOML") from None
    except OSError as e:
        raise ForecastError(f"cannot read experiment file {path}: {e.strerror or e}") \
            from None
    except tomllib.TOMLDecodeError as e:
        fix = ("a .py file is a plugin: name it with --plugin, or plugins = [...] in an "
               "experiment file" if path.suffix == ".py" else
               "fix that line (backtests/sp500_single_vs_stacked.toml shows the layout)")
        raise ForecastError(f"{path} is not valid TOML: {e}; {fix}") from None
    if not raw:  # an empty file would run every default, which nobody asked for
        raise ForecastError(f"experiment file {path} is empty: give it settings and models "
                            "(start from a copy of backtests/sp500_single_vs_stacked.toml)")
    raw.setdefault("name", path.stem)
    data = raw.get("data")
    if isinstance(data, dict) and isinstance(data.get("csv"), str):
        # a price file beside the experiment file is found, as its plugins are, unless the
        # path means a file from the working folder (as it always did)
        csv, beside = Path(data["csv"]).expanduser(), path.parent / data["csv"]
        if not csv.is_absolute() and not csv.exists() and beside.is_file():
            raw["data"] = {**data, "csv": str(beside)}
    if isinstance(raw.get("plugins"), list):  # files are found next to the experiment file
        raw["plugins"] = [plugins.resolve(p, path.parent) if isinstance(p, str) else p
                          for p in raw["plugins"]]
    return from_dict(raw, where=str(path))


def from_dict(raw: dict, where: str = "experiment") -> Experiment:
    """Build an :class:`Experiment` from plain data (a parsed TOML file)."""
    if not isinstance(raw, dict):
        raise ForecastError(f"{where}: expected a table of settings")
    top = {f.name for f in dataclasses.fields(Experiment)}
    _check_keys(raw, top, where)
    if "plugins" in raw:  # before validation: they add the indicators and models it names
        raw = {**raw, "plugins": _coerce(Experiment, "plugins", raw["plugins"], where)}
        plugins.load(raw["plugins"])
    _one_seed_setting(raw, where)
    data = raw.get("data")
    if isinstance(data, dict) and data.get("csv") and "ticker" not in data:
        raw = {**raw, "data": {**data, "ticker": csv_ticker(data["csv"])}}
    kw = {}
    for key, value in raw.items():
        if key in _SECTIONS:
            if not isinstance(value, dict):
                raise ForecastError(f"{where}: [{key}] must be a table")
            kw[key] = _build(_SECTIONS[key], value, f"{where} [{key}]")
        elif key == "models":
            kw[key] = _models(value, where)
        else:
            kw[key] = _coerce(Experiment, key, value, where)
    return validate(Experiment(**kw))


def dotted(overrides) -> dict:
    """Dotted keys, from dotted keys or tables nested as the file nests them
    (``{"training": {"epochs": 3}}`` is ``"training.epochs": 3``); a table's key alone
    ("epochs") is refused naming its dotted form."""
    if overrides is None:
        return {}
    if not isinstance(overrides, dict):
        raise ForecastError("overrides must be a dict of dotted keys, e.g. "
                            f'{{"training.epochs": 3}}, got {type(overrides).__name__}')
    out = {}
    for key, value in plain(overrides).items():
        if key in _SECTIONS and isinstance(value, dict):
            out.update({f"{key}.{k}": v for k, v in value.items()})
        elif key in _SECTIONS and not dataclasses.is_dataclass(value):
            raise ForecastError(f'"{key}" must be a dict of its settings, e.g. {{"{key}": '
                                f'{{...}}}}, or dotted keys such as "{key}.NAME", got '
                                f"{value!r}")
        else:
            homes = [f"{s}.{key}" for s, spec in _SECTIONS.items()
                     if key in {f.name for f in dataclasses.fields(spec)}]
            if homes and key not in Experiment.__dataclass_fields__:
                raise ForecastError(f'unknown setting "{key}". Did you mean "{homes[0]}"?')
            out[key] = value
    return out


def plain(value):
    """Settings as TOML's plain values, from what a notebook holds: a NumPy number as
    Python's (``np.arange`` in a loop), a Timestamp or datetime at midnight as its day, a
    Path as its text."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, datetime) and value.time() == time(0):
        return value.date()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(plain(v) for v in value)
    return value


def override(exp: Experiment, overrides: dict | None = None) -> Experiment:
    """``exp`` with settings changed by dotted keys, validated like an experiment file.

    The one way to change settings, for the CLI's flags, ``sweep --grid`` and the Python
    API: ``{"training.epochs": 5, "split.folds": 3, "models.single_lstm.units": 16,
    "data.ticker": "AAPL", "seed": 7, "models": ["naive", "gru"], "plugins": ["x.py"]}``.
    ``None`` values are left out (a flag that was not given). Tables nested as in the file
    (``{"training": {"epochs": 5}}``) and a notebook's values (NumPy numbers, Paths,
    Timestamps at midnight) are taken too (:func:`dotted`).
    """
    changes, models = {}, None
    for key, value in dotted(overrides).items():
        if not key.startswith("models.") or value is None:
            changes[key] = value
            continue
        _, name, param = (key.split(".", 2) + [""])[:3]
        if not param:
            raise ForecastError(f'"{key}": a model setting is models.NAME.KEY, e.g. '
                                "models.single_lstm.units")
        models = models or {n: dict(p) for n, p in exp.models.items()}
        if name not in models:
            raise ForecastError(f'"{key}": the experiment has no model "{name}" (it has '
                                f'{", ".join(models)}); add it to its models first')
        models[name][param] = value
    if models is not None:
        if changes.get("models") is not None:
            raise ForecastError("set models, or models.NAME.KEY, not both at once")
        changes["models"] = models
    if changes.get("plugins") is not None:
        changes["plugins"] = _coerce(Experiment, "plugins", changes["plugins"], "settings")
        plugins.load(changes["plugins"])
    return replace(exp, **changes)


def replace(exp: Experiment, **changes) -> Experiment:
    """A copy with dotted overrides, e.g. ``replace(exp, **{"data.ticker": "AAPL"})``;
    :func:`override` also takes ``models.NAME.KEY``."""
    sections = {}
    top = {}
    for key, value in changes.items():
        if value is None:
            continue
        section, _, name = key.rpartition(".")
        if section:
            sections.setdefault(section, {})[name] = value
        else:
            top[key] = value
    for section, values in sections.items():
        if section not in _SECTIONS:
            raise ForecastError(f'unknown setting "{section}".' + did_you_mean(section,
                                                                              _SECTIONS))
        cls = _SECTIONS[section]
        _check_keys(values, {f.name for f in dataclasses.fields(cls)}, f"[{section}]")
        top[section] = dataclasses.replace(getattr(exp, section), **{
            k: _coerce(cls, k, v, f"[{section}]") for k, v in values.items()})
    _check_keys(top, {f.name for f in dataclasses.fields(Experiment)}, "settings")
    _one_seed_setting(top, "settings")
    if "seed" in top:  # one seed given now replaces the seeds of the file
        top["seeds"] = None
    top = {k: _models(v, "settings") if k == "models" else
           v if k in _SECTIONS or v is None else _coerce(Experiment, k, v, "settings")
           for k, v in top.items()}
    return validate(dataclasses.replace(exp, **top))


def validate(exp: Experiment) -> Experiment:
    """Refuse impossible settings with a message that names the key and the fix."""
    from forecast.models import MODELS  # here, not at import: models is the Keras module
    d, f, s, t = exp.data, exp.features, exp.split, exp.training
    _choice("data.source", d.source, SOURCES)
    _choice("data.missing", d.missing, MISSING)
    _choice("features.target", f.target, TARGETS)
    _choice("split.window", s.window, WINDOWS)
    _choice("training.refit", t.refit, REFITS)
    if d.source == "csv" and not d.csv:
        raise ForecastError('data.source = "csv" needs data.csv = "path/to/prices.csv" '
                            "(or --csv PATH)")
    check_ticker(d.ticker)  # for every source: it names files and appears in reports
    check_date_format(d.date_format)
    first = day_text(d.start, "data.start", date_format=d.date_format)
    last = day_text(d.end, "data.end", date_format=d.date_format, last=True)
    if first is not None and last is not None and first > last:
        raise ForecastError(f"data.start = {d.start} is after data.end = {d.end}: swap them")
    # kept as YYYY-MM-DD: experiment.toml then says which days were meant
    d = dataclasses.replace(d, start=first, end=last)
    exp = dataclasses.replace(exp, data=d, seed=exp.seeds[0] if exp.seeds else exp.seed)
    for seed in (exp.seed, *(exp.seeds or ())):
        if not 0 <= seed < 2 ** 32:  # what numpy and Keras accept
            raise ForecastError(f"seed and seeds must be between 0 and {2 ** 32 - 1}, got "
                                f"{seed}")
    _at_least("features.lookback", f.lookback, 1)
    _at_least("features.horizon", f.horizon, 1)
    _at_least("split.initial_train", s.initial_train, 1)
    _at_least("split.folds", s.folds, 1)
    _at_least("split.gap", s.gap, 0)
    if s.test_size is not None:
        _at_least("split.test_size", s.test_size, 1)
    if s.gap < f.horizon - 1:
        raise ForecastError(f"split.gap = {s.gap} is too small for features.horizon = "
                            f"{f.horizon}: training targets would overlap the test period; "
                            f"set gap >= {f.horizon - 1}")
    if f.warmup is not None:
        _at_least("features.warmup", f.warmup, 0)
    _check_training(t, "training")
    if not exp.models:
        raise ForecastError("no models to compare: add a [models.NAME] table, e.g. "
                            "[models.single_lstm]")
    allowed_training = {fl.name for fl in dataclasses.fields(TrainingSpec)} - {"refit"}
    for name, params in exp.models.items():
        if name not in MODELS:
            raise ForecastError(f'unknown model "{name}".' + did_you_mean(name, MODELS)
                                + " A plugin's model needs its plugin: plugins = [...] in "
                                "the experiment file, or --plugin")
        where = f"[models.{name}]"
        forecasts = MODELS[name].targets
        if forecasts is not None and f.target not in forecasts:
            raise ForecastError(f'model "{name}" does not forecast features.target = '
                                f'"{f.target}" (only {", ".join(forecasts)}): remove '
                                f"[models.{name}] or change the target")
        for key in params:
            _not_per_model(where, name, key, allowed_training)
        _check_keys(params, set(MODELS[name].defaults) | allowed_training, where)
        own = {k: _coerce(TrainingSpec, k, v, where) for k, v in params.items()
               if k in allowed_training}
        _check_training(dataclasses.replace(t, **own), f"models.{name}")
        for key, value in params.items():
            if key in MODELS[name].defaults:
                _check_param(where, key, value, MODELS[name].defaults[key])
    from forecast.indicators import SPEC_KEYS, check_specs, resolve
    check_specs(f.indicators)
    for spec in f.indicators:
        for key, value in spec.items():
            if key not in ("name", *SPEC_KEYS):
                _check_param(f'indicator "{spec["name"]}"', key, value,
                             resolve(spec["name"]).defaults[key], positive=True)
    return exp


def _not_per_model(where, name, key, training_keys):
    """Refuse a training key in a model's table that would change nothing there."""
    from forecast.models import MODELS, deterministic
    if key in MODELS[name].defaults or key not in training_keys | {"refit"}:
        return
    if key in ("validation_fraction", "refit"):  # the walk-forward splits each fold once
        raise ForecastError(f"{where}: {key} applies to every model of a run, not to one: "
                            "put it in [training]")
    if deterministic(name):
        raise ForecastError(f"{where}: {name} trains no network, so {key} changes nothing "
                            "there: remove it (the networks' setting goes in [training])")


def _check_training(t: TrainingSpec, prefix: str):
    _at_least(f"{prefix}.epochs", t.epochs, 0)  # 0: untrained (a check of the power audit)
    _at_least(f"{prefix}.batch_size", t.batch_size, 1)
    _at_least(f"{prefix}.patience", t.patience, 0)
    _at_least(f"{prefix}.stride", t.stride, 1)
    _at_least(f"{prefix}.min_delta", t.min_delta, 0)
    from forecast.models import OUTPUT_INITS  # here, not at import: models is the Keras module
    _choice(f"{prefix}.output_init", t.output_init, tuple(OUTPUT_INITS))
    if not t.learning_rate > 0:
        raise ForecastError(f"{prefix}.learning_rate must be > 0, got {t.learning_rate}")
    if not 0 < t.validation_fraction < 1:
        raise ForecastError(f"{prefix}.validation_fraction must be between 0 and 1 "
                            f"(exclusive), got {t.validation_fraction}")


# limits of the built-in models' parameters: [low, high)
_LIMITS = {"units": (1, None), "dropout": (0, 1), "alphas": (0, None), "shards": (1, None),
           "max_lags": (0, None)}


def _check_param(where, key, value, default, *, positive=False):
    """A model's or indicator's parameter has the type of its default (a list: each item)."""
    if isinstance(default, (list, tuple)):
        if not isinstance(value, list) or not value:
            raise ForecastError(f"{where}: {key} must be a list like {list(default)}, got "
                                f"{value!r}")
        for item in value:
            _check_param(where, key, item, default[0], positive=positive)
        return
    if isinstance(default, bool) or not isinstance(default, (int, float)):
        if default is not None and not isinstance(value, type(default)):
            raise ForecastError(f"{where}: {key} must be like {default!r}, got {value!r}")
        return
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not number or not math.isfinite(value) or (
            isinstance(default, int) and not isinstance(value, int)):
        raise ForecastError(f"{where}: {key} must be "
                            f"{'a whole number' if isinstance(default, int) else 'a number'}"
                            f" like {default!r}, got {value!r}")
    low, high = _LIMITS.get(key, (None, None))
    if positive and not value > 0:
        raise ForecastError(f"{where}: {key} must be > 0, got {value}")
    if (low is not None and value < low) or (high is not None and value >= high):
        raise ForecastError(f"{where}: {key} must be at least {low}"
                            + (f" and below {high}" if high is not None else "")
                            + f", got {value}")


def to_toml(exp: Experiment) -> str:
    """The experiment as TOML that :func:`load_experiment` reads back to the same value."""
    out = {"name": exp.name}
    if exp.seeds:
        out["seeds"] = list(exp.seeds)
    else:
        out["seed"] = exp.seed
    for key in _SECTIONS:
        section = dataclasses.asdict(getattr(exp, key))
        out[key] = {k: (list(v) if isinstance(v, tuple) else v)
                    for k, v in section.items() if v is not None}
    out["models"] = {name: dict(params) for name, params in exp.models.items()}
    if exp.plugins:
        out["plugins"] = list(exp.plugins)
    # the code of each plugin, so that a run, a checkpoint or a sweep's finished run is
    # not taken for this one after a plugin changed
    return tomli_w.dumps(out) + "".join(f"# plugin {r['name']} sha256 {r['sha256']}\n"
                                        for r in plugins.records(exp.plugins))


def _models(value, where):
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        value = {name: {} for name in value}  # models = ["naive", "gru"]: defaults for each
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise ForecastError(f"{where}: models must be tables like [models.single_lstm] "
                            'or a list like models = ["naive", "gru"]')
    return {str(k): dict(v) for k, v in value.items()}


def _build(cls, values, where):
    names = {f.name for f in dataclasses.fields(cls)}
    _check_keys(values, names, where)
    return cls(**{k: _coerce(cls, k, v, where) for k, v in values.items()})


def _coerce(cls, key, value, where):
    """Check ``value`` against the type of the field's default; ints are fine as floats."""
    default = next(f for f in dataclasses.fields(cls) if f.name == key)
    expected = default.default if default.default is not dataclasses.MISSING else None
    hint = str(default.type)
    if key == "plugins":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, tuple)) or not all(
                isinstance(v, str) and v.strip() for v in value):
            raise ForecastError(f'{where}: plugins must be a list of files or modules, e.g. '
                                'plugins = ["my_indicators.py", "mypkg.models"]')
        return tuple(plugins.resolve(v) for v in value)
    if key == "seeds":
        if not isinstance(value, (list, tuple)) or not value or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise ForecastError(f"{where}: seeds must be a list of whole numbers, e.g. "
                                "seeds = [1, 2, 3]")
        return tuple(value)
    if key == "indicators":
        if not isinstance(value, (list, tuple)) or not all(
                isinstance(v, dict) and isinstance(v.get("name"), str) for v in value):
            raise ForecastError(f'{where}: indicators must be a list of tables like '
                                f'{{ name = "sma", length = 20 }}')
        return tuple(dict(v) for v in value)
    if value is None:
        if expected is None:  # an optional setting
            return None
        raise ForecastError(f"{where}: {key} must be {_kind(hint)}, got nothing")
    if isinstance(value, bool) and not isinstance(expected, bool):
        raise ForecastError(f"{where}: {key} must be {_kind(hint)}, got {value!r}")
    if "int" in hint and "float" not in hint and not isinstance(value, int):
        raise ForecastError(f"{where}: {key} must be a whole number, got {value!r}")
    if "float" in hint and not isinstance(value, (int, float)):
        raise ForecastError(f"{where}: {key} must be a number, got {value!r}")
    if "float" in hint and not math.isfinite(value):  # TOML has inf and nan
        raise ForecastError(f"{where}: {key} must be a finite number, got {value!r}")
    if hint.startswith("str") and not isinstance(value, str):
        if key in ("start", "end") and isinstance(value, date):
            return value.isoformat()  # TOML dates arrive as datetime.date
        raise ForecastError(f"{where}: {key} must be a string, got {value!r}")
    return float(value) if "float" in hint else value


def _one_seed_setting(values, where):
    if "seed" in values and values.get("seeds") is not None:
        raise ForecastError(f"{where}: seed and seeds both given: keep seeds = [...] to train "
                            "every network once per seed, or seed = N for one seed")


def _kind(hint):
    if "bool" in hint:
        return "true or false"
    return "a number" if ("int" in hint or "float" in hint) else "a string"


def _check_keys(values, allowed, where):
    for key in values:
        if key not in allowed:
            raise ForecastError(f'{where}: unknown key "{key}".' + did_you_mean(key, allowed))


def _choice(key, value, choices):
    if value not in choices:
        raise ForecastError(f'{key} = "{value}" is not one of: {", ".join(choices)}.'
                            + did_you_mean(value, choices))


def _at_least(key, value, low):
    if value < low:
        raise ForecastError(f"{key} must be at least {low}, got {value}")
