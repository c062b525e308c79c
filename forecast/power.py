"""The power audit: would the experiment's models find skill that is there?

"Does not beat naive persistence" means little until a method has been shown to find skill
where skill was planted. :func:`audit` plants a predictable part of known form in the
experiment's own prices, runs the experiment on them, and measures how much of what was there
each model found.

A planted series keeps the real series' daily log returns as innovations, with their signs
drawn at random around the mean (:func:`innovations`): the sizes stay, so the fat tails and
the volatility clusters stay, and nothing in them can be forecast any more. Tomorrow's return
is then ``innovation + f(today's return)``, ``f`` one of :data:`FORMS` at a strength, so the
oracle (``close * exp(f(today's return))``) knows all that can be known, and the share of its
gain a model captures, ``(1 - U) / (1 - U_oracle)``, is exact. Strength 0 is the control:
nothing to find.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from forecast import metrics, plugins
from forecast.config import Experiment
from forecast.data import prices_of
from forecast.errors import ForecastError, did_you_mean
from forecast.ohlcv import fingerprint
from forecast.walkforward import run_experiment

SIGNIFICANCE = 0.05  # a model detects a planted part when it beats naive at this level
TARGETS = ("return", "price")  # forecasts of the next close, scored by Theil's U


@dataclass(frozen=True)
class Form:
    """A kind of planted part: ``part(x, strength, q)`` is the predictable part of the next
    day's log return given today's (``x``); ``q`` is the 80th percentile of the absolute
    innovations. ``strengths`` are the audit's default strengths."""
    name: str
    part: Callable
    strengths: tuple
    doc: str


FORMS: dict[str, Form] = {}


def register_form(name: str, *, strengths):
    """Decorator adding ``part(x, strength, q)`` to :data:`FORMS`."""
    def add(part):
        FORMS[name] = Form(name, part, tuple(strengths),
                           (part.__doc__ or "").strip().split("\n")[0])
        return part
    return add


@register_form("linear", strengths=(0.05, 0.1, 0.2, 0.3))
def linear(x, strength, q):
    """strength x today's return (an autoregression: a linear model can find all of it)."""
    return strength * x


@register_form("threshold", strengths=(0.2, 0.4))
def threshold(x, strength, q):
    """strength x today's return after a move larger than its 80th percentile, else 0."""
    return strength * x * (abs(x) > q)


def innovations(close, seed: int) -> np.ndarray:
    """The daily log returns of ``close`` with random signs around their mean: the same
    sizes (fat tails, volatility clusters), nothing left to forecast."""
    r = np.diff(np.log(np.asarray(close, "float64")))
    mu = r.mean()
    signs = np.random.default_rng(seed).choice([-1.0, 1.0], len(r))
    return mu + signs * (r - mu)


def plant(prices: pd.DataFrame, form: str, strength: float, *, seed: int):
    """``(planted, oracle)``: ``prices`` with a predictable part planted in their closes,
    and the oracle's forecast of each day's close from the day before (NaN for the first
    two days).

    Open, high and low move with the close (scaled by the same factor each day); the volume
    stays. Strength 0 plants nothing in the random-sign innovations: the control.
    """
    f = FORMS[form].part
    e = innovations(prices["close"], seed)
    q = float(np.quantile(np.abs(e - e.mean()), 0.8))
    x, part = np.empty_like(e), np.zeros_like(e)  # part[t]: what x[t + 1] holds beyond e
    carried = 0.0
    for t, e_t in enumerate(e):
        x[t] = e_t + carried
        carried = part[t] = f(x[t], strength, q)
    close = float(prices["close"].iloc[0]) * np.exp(np.r_[0.0, np.cumsum(x)])
    factor = close / prices["close"].to_numpy("float64")
    planted = prices.copy()
    for col in ("open", "high", "low", "close"):
        if col in planted:
            planted[col] = planted[col].to_numpy("float64") * factor
    planted.attrs = dict(prices.attrs)
    oracle = np.full(len(close), np.nan)
    oracle[2:] = close[1:-1] * np.exp(part[:-1])
    return planted, pd.Series(oracle, index=prices.index, name="oracle")


@dataclass(frozen=True)
class Signal:
    """One planted series of the audit: a form at a strength (0: the control)."""
    form: str
    strength: float

    @property
    def label(self) -> str:
        return "none" if self.strength == 0 else f"{self.form} {self.strength:g}"


def signals(forms=None, strengths=None) -> list[Signal]:
    """The control, then each form at each strength (``strengths``: one list for every
    form, or a dict form -> list; default each form's own)."""
    forms = list(forms or FORMS)
    for name in forms:
        if name not in FORMS:
            raise ForecastError(f'unknown form "{name}" of planted signal.'
                                + did_you_mean(name, FORMS))
    out = [Signal(forms[0], 0.0)]
    for name in forms:
        given = strengths.get(name) if isinstance(strengths, dict) else strengths
        for s in given or FORMS[name].strengths:
            if not 0 < s < 1:
                raise ForecastError(f"a planted strength must be between 0 and 1 "
                                    f"(exclusive), got {s}")
            out.append(Signal(name, float(s)))
    return out


@dataclass(eq=False)
class Power:
    """What an audit found.

    ``table``: one row per planted signal and model (the oracle included): ``signal``,
    ``form``, ``strength``, ``explained`` (the share of the next day's variance the planted
    part explains on the test days), ``model``, ``theil_u``, ``oracle_u``, ``capture``
    (the share of the oracle's gain, mean over seeds), ``dm_pvalue`` (against naive),
    ``detected`` (``theil_u`` < 1 at p < 0.05). ``predictions``: every planted run's
    predictions.csv rows and the oracle's, with a ``signal`` column. ``key``: what a run
    of the same settings on the same prices shares with this audit (:func:`key`).
    """
    experiment: Experiment
    table: pd.DataFrame
    predictions: pd.DataFrame
    key: str
    ticker: str
    seconds: float
    innovations_seed: int
    models: dict = field(default_factory=dict)  # name -> its table in the experiment
    path: Path | None = None     # where it was saved (runs.save_power) or read from
    created: str | None = None

    def smallest(self) -> pd.DataFrame:
        """Per model (rows) and form (columns): the smallest share of the next day's
        variance it detected, NaN where it detected none (see :func:`smallest`)."""
        return smallest(self.table)

    def summary(self) -> dict:
        """What a run's report says about its recipe's power (metrics.json's ``power``)."""
        rows = self.smallest()
        tested = {f: float(self.table[self.table.form == f].explained.max())
                  for f in rows.columns}
        return {"key": self.key, "ticker": self.ticker, "seeds": seeds_of(self.experiment),
                "tested_up_to": tested,
                "models": {m: {"settings": self.models.get(m, {}),
                               "smallest": {f: _none(v) for f, v in row.items()}}
                           for m, row in rows.iterrows()}}


def audit(exp: Experiment, *, prices=None, forms=None, strengths=None, progress=True,
          log=None) -> Power:
    """Run ``exp`` on its prices with each planted signal; what each model found.

    ``prices``: a DataFrame to plant in instead of the experiment's source. The signs of
    the innovations are drawn with the experiment's seed.
    """
    log = log or (lambda msg: print(msg, file=sys.stderr))
    f = exp.features
    if f.target not in TARGETS or f.horizon != 1:
        raise ForecastError(f'the power audit plants a predictable next-day return: it needs '
                            f'features.target = "return" or "price" and horizon 1 (this '
                            f'experiment has "{f.target}", horizon {f.horizon})')
    prices = prices_of(exp.data, prices=prices, log=log)
    todo = signals(forms, strengths)
    bar = _progress(len(todo), progress)
    started = time.perf_counter()
    rows, frames = [], []
    for sig in todo:
        bar.set_description(sig.label)
        planted, oracle = plant(prices, sig.form, sig.strength, seed=exp.seed)
        run = run_experiment(exp, prices=planted, progress=False, log=lambda msg: None)
        p = run.predictions
        rows += score(p, oracle, sig)
        frames.append(_with_oracle(p, oracle).assign(signal=sig.label))
        bar.update(1)
    bar.close()
    predictions = pd.concat(frames, ignore_index=True)
    return Power(exp, pd.DataFrame(rows), predictions, key(exp, fingerprint(prices)),
                 exp.data.ticker, time.perf_counter() - started, exp.seed,
                 {m: dict(exp.models.get(m, {})) for m in exp.models})


def score(predictions: pd.DataFrame, oracle: pd.Series, sig: Signal) -> list[dict]:
    """The audit's rows for one planted run: each model's Theil's U, the oracle's on the
    same days, the share of its gain captured and the Diebold-Mariano test against naive."""
    naive = predictions[predictions.model == "naive"].set_index("date")
    days = naive.index
    y, e_naive = naive.y_true.to_numpy(), (naive.y_pred - naive.y_true).to_numpy()
    e_oracle = oracle.loc[days].to_numpy() - y
    u_oracle = _u(e_oracle, e_naive)
    last = naive.y_last.to_numpy()
    # the planted part's share of the next day's variance, in log returns (naive: 0)
    r, r_oracle = np.log(y / last), np.log(oracle.loc[days].to_numpy() / last)
    explained = 1 - np.sum((r - r_oracle) ** 2) / np.sum(r ** 2)
    base = {"signal": sig.label, "form": sig.form if sig.strength else "none",
            "strength": sig.strength, "explained": float(explained),
            "oracle_u": u_oracle}
    if sig.strength == 0:  # the oracle is naive persistence, to the last rounding
        u_oracle, p_oracle = 1.0, np.nan
        base["oracle_u"] = u_oracle
    else:
        p_oracle = metrics.diebold_mariano(e_oracle, e_naive)[1]
    out = [{**base, "model": "oracle", "theil_u": u_oracle,
            "capture": 1.0 if u_oracle < 1 else np.nan, "dm_pvalue": p_oracle}]
    for name, g in predictions[predictions.model != "naive"].groupby("model", sort=False):
        us, ps = [], []
        for _, s in g.groupby("seed"):
            s = s.set_index("date").loc[days]
            e = (s.y_pred - s.y_true).to_numpy()
            us.append(_u(e, e_naive))
            ps.append(metrics.diebold_mariano(e, e_naive)[1])
        u = float(np.mean(us))
        out.append({**base, "model": name, "theil_u": u,
                    "capture": (1 - u) / (1 - u_oracle) if u_oracle < 1 else np.nan,
                    "dm_pvalue": float(np.mean(ps))})
    for row in out:
        row["detected"] = bool(row["theil_u"] < 1 and row["dm_pvalue"] < SIGNIFICANCE)
    return out


def smallest(table: pd.DataFrame) -> pd.DataFrame:
    """Per model and form, the smallest ``explained`` share of a planted signal the model
    detected (NaN: none). A detection at a strength below one it missed still counts: the
    figure is what it found, and the table beside it shows what it missed."""
    planted = table[table.strength > 0]
    found = planted[planted.detected].groupby(["model", "form"]).explained.min()
    out = found.unstack("form").reindex(index=list(dict.fromkeys(planted.model)),
                                        columns=list(dict.fromkeys(planted.form)))
    out.index.name, out.columns.name = "model", None
    return out


def key(exp: Experiment, data_sha: str) -> str:
    """What a run shares with an audit of its settings: the prices (``data_sha``), the
    features, folds and training, and the plugins' code (a model's own table is compared
    model by model; the seeds, the trading rules and the name do not matter)."""
    parts = {k: dataclasses.asdict(getattr(exp, k)) for k in ("features", "split",
                                                              "training")}
    parts["plugins"] = plugins.records(exp.plugins)
    text = json.dumps(parts, sort_keys=True) + data_sha
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _with_oracle(predictions, oracle):
    naive = predictions[predictions.model == "naive"]
    rows = naive.assign(model="oracle", y_pred=oracle.loc[naive.date].to_numpy())
    return pd.concat([predictions, rows], ignore_index=True)


def _u(e, e_naive) -> float:
    return float(np.sqrt(np.mean(np.square(e)) / np.mean(np.square(e_naive))))


def seeds_of(exp) -> list:
    """The seeds an experiment trains its networks with."""
    return list(exp.seeds or (exp.seed,))


def _none(v):
    return None if v is None or not np.isfinite(v) else float(v)


def _progress(total, enabled):
    from tqdm.auto import tqdm
    return tqdm(total=total, disable=not enabled, file=sys.stderr, unit="series",
                dynamic_ncols=True, leave=False)
