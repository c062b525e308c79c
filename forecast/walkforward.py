"""Walk-forward validation: every fold, every model, nothing fitted on the test period.

For each fold the scalers are fitted on the fold's training rows only; each model is trained
with early stopping on the tail of its training samples and predicts the fold's test samples;
predictions are turned back into prices. Baselines run in every fold like the networks.
"""
from __future__ import annotations

import dataclasses
import os
import resource
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from forecast import audit, forked, models, plugins, trading
from forecast.config import Experiment
from forecast.data import prices_of
from forecast.ohlcv import fingerprint
from forecast.errors import ForecastError
from forecast.features import Features, build
from forecast.result import DataInfo, Fold, ModelResult, Result
from forecast.splits import WalkForward
from forecast.targets import TARGETS, log_returns
from forecast.windows import make_windows, rows_needed


def splitter(exp: Experiment) -> WalkForward:
    """The walk-forward splitter of ``exp``'s ``[split]`` settings."""
    s = exp.split
    return WalkForward(initial_train=s.initial_train, n_splits=s.folds, test_size=s.test_size,
                       gap=s.gap, window=s.window)


def run_experiment(exp: Experiment, *, prices=None, progress=True, log=None,
                   checkpoint=None) -> Result:
    """Run the backtest ``exp`` (on ``prices`` if given) and return its results.

    With a :class:`forecast.runs.Checkpoint`, every finished fold is saved to it and folds
    it already holds are not run again: an interrupted run resumes where it stopped and
    ends with the same predictions.
    """
    log = log or (lambda msg: print(msg, file=sys.stderr))
    d, f = exp.data, exp.features
    if prices is None:
        prices = prices_of(d, log=log)
    split = splitter(exp)
    samples = split.min_samples()
    if len(prices) < rows_needed(f.lookback, f.horizon, samples) + (f.warmup or 0):
        _too_short(exp, len(prices), f.warmup)  # before indicators fail on it
    names = ["naive", *[m for m in exp.models if m != "naive"]]
    seeds = exp.seeds or (exp.seed,)
    random = {m: not models.deterministic(m) for m in names}  # deterministic: once a fold
    runs = [(m, s) for m in names for s in (seeds if random[m] else (None,))]
    networks = any(random.values())

    def features():
        return build(prices, f.indicators, target=f.target, warmup=f.warmup)

    def backend():  # warm refit trains the networks side by side (_run_fold)
        models.import_backend(1 if exp.training.refit == "scratch" else
                              min(os.cpu_count() or 1, sum(random[m] for m, _ in runs)))

    # TensorFlow's import and the indicators take a few seconds each: on two cores at once
    feats = forked.while_doing(features, backend) if networks else features()
    n = len(feats.frame) - f.lookback - f.horizon + 1
    if n < samples:
        _too_short(exp, len(prices), feats.dropped)
    windows = make_windows(feats.frame.to_numpy(), feats.close.to_numpy(), f.lookback,
                           f.horizon)
    folds = list(split.split(n))
    data_sha = fingerprint(prices)
    done, states = _resume(checkpoint, exp, data_sha, feats)
    records, fold_rows = [], []
    fitted_until = 0
    bar = _progress(len(folds) * len(runs), progress)
    started = time.perf_counter()
    for k, (train, test) in enumerate(folds):
        fold_rows.append(fold_dates(k, feats, windows.end, train, test, exp))
        if k in done:
            records += done[k]["records"]
            fitted_until = fit_and_validation(train, exp)[1][0]
            bar.update(len(runs))
            continue
        data = prepare_fold(feats, windows, train, test, exp, fitted_until)
        fold_records = _run_fold(k, len(folds), runs, states, data, exp, bar)
        records += fold_records
        fitted_until = fit_and_validation(train, exp)[1][0]
        if checkpoint:
            checkpoint.save(k, fold_records, states, data_sha)
    bar.close()
    walkforward_seconds = time.perf_counter() - started
    target = TARGETS[f.target]
    truth = target.truth(feats.close.to_numpy(), windows, f.horizon)
    predictions = _predictions(records, feats, windows, folds, f.horizon, truth)
    t = exp.trading
    bt = trading.backtest(predictions, target=target, close=feats.close, horizon=f.horizon,
                          cost_bps=t.cost_bps, threshold=t.threshold,
                          long_short=t.long_short, target_vol=t.target_vol,
                          max_leverage=t.max_leverage)
    source = prices.attrs.get("source", d.source)  # "dataframe": the API's prices= frame
    data = DataInfo(d.ticker, source, str(prices.index[0].date()),
                    str(prices.index[-1].date()), len(prices), data_sha, feats.dropped,
                    d.csv if d.source == "csv" else None,
                    list(prices.attrs.get("repairs", [])), prices.attrs.get("cache"))
    scores = summarise(predictions, records, names, horizon=f.horizon, backtest=bt,
                       target=target)
    return Result(
        exp, predictions, data, {n: ModelResult.from_json(n, e) for n, e in scores.items()},
        [Fold(**row) for row in fold_rows], list(feats.frame.columns),
        audit.summary(feats.causality, fold_rows, records),
        walkforward_seconds,  # wall clock: networks train side by side
        models.device() if networks else "cpu", versions(),
        None if bt is None else trading.json_ready(bt.settings),
        None if bt is None else trading.json_ready(bt.buy_and_hold),
        None if bt is None else bt.equity, prices, plugins.records(exp.plugins))


def _run_fold(k, n_folds, runs, states, data, exp, bar) -> list[dict]:
    """Fit and predict every (model, seed) of fold ``k``.

    With warm refit the networks train side by side in threads (two networks share two
    cores better than one uses them). Everything that draws random numbers (seeding,
    building, ``prepare``) runs first and in order, so the threads change no result.
    """
    scratch = exp.training.refit == "scratch"

    def setup(name, seed):
        if seed is not None:  # a model that draws random numbers
            models.reset(seed + k, clear=scratch)
        if scratch or (name, seed) not in states or not models.warm_start(states[name, seed]):
            states[name, seed] = models.create(name, {**_training(exp),
                                                      **exp.models.get(name, {})})
        if not scratch and hasattr(states[name, seed], "prepare"):
            states[name, seed].prepare(data)
            return True
        return False

    # scratch clears the Keras session for each network, so those run one at a time
    parallel = [] if scratch else [r for r in runs if setup(*r)]
    out = []
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        futures = {r: pool.submit(_fit_predict, k, *r, states[r], data) for r in parallel}
        for name, seed in runs:
            bar.set_description(f"fold {k + 1}/{n_folds} {name}")
            if (name, seed) in futures:
                out.append(futures[name, seed].result())
            else:
                if scratch:
                    setup(name, seed)
                out.append(_fit_predict(k, name, seed, states[name, seed], data))
            bar.update(1)
    return out


def _fit_predict(k, name, seed, model, data) -> dict:
    data = dataclasses.replace(data, fits=list(data.fits))  # the scaler notes, then its own
    history, fit_s, pred, predict_s = models.fit_predict(name, model, data, k)
    return {"fold": k, "model": name, "seed": seed, "pred": pred, "history": history,
            "fits": data.fits,
            "fit_seconds": fit_s, "predict_seconds": predict_s,
            "epochs_run": len(history.get("loss", [])),
            "params": getattr(model, "params", None),  # optional: a model need not count
            "chosen": getattr(model, "chosen", None),  # settings it chose on training rows
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _too_short(exp, rows, warmup):
    f, s = exp.features, exp.split
    need = rows_needed(f.lookback, f.horizon, splitter(exp).min_samples()) + (warmup or 0)
    # None: checked before the indicators are built, whose warm-up is not known yet
    more = ", plus the indicators' warm-up," if warmup is None else ""
    warm = "" if warmup is None else f"{warmup} warm-up rows, "
    raise ForecastError(
        f"{exp.data.ticker} has {rows} rows of prices; at least {need} are needed{more} for "
        f"lookback {f.lookback}, {warm}{s.initial_train} training samples "
        f"and {s.folds} folds: use a longer history or lower split.initial_train / "
        "split.folds")


def prepare_fold(feats: Features, windows, train, test, exp, fitted_until=0) -> models.FoldData:
    """Scale on the fold's training rows only and cut the windows the models see.

    ``fitted_until``: samples before it were fitted on in an earlier fold (warm refit).
    """
    f = exp.features
    target = TARGETS[f.target]
    F = feats.frame.to_numpy("float64")
    rows = scaler_rows(train, windows)
    last_all = feats.close.to_numpy()
    last = last_all[windows.end]
    truth = target.truth(last_all, windows, f.horizon)
    mu, sd = target.input_scaler(F[rows])
    y = target.encode(truth, last)  # what networks learn
    y_mu, y_sd = target.target_scaler(y[train], mu, sd)
    factor = target.bias_factor(f.horizon)
    sd = np.where(sd > 0, sd, 1.0)
    y_sd = y_sd if y_sd > 0 else 1.0
    X = make_windows(((F - mu) / sd).astype("float32"), last_all, f.lookback, f.horizon).X
    ys = ((y - y_mu) / y_sd).astype("float32")
    fit, val = fit_and_validation(train, exp)
    last_test = last[test]

    def to_price(scaled):  # in the target's reported unit
        out = np.asarray(scaled, "float64") * y_sd + y_mu
        return target.decode(out, last_test, factor)

    day = feats.close.index.to_numpy("datetime64[D]")
    when = day[windows.end + f.horizon]  # a sample's day: its target's, the last it holds
    data = models.FoldData(X[fit], ys[fit], X[val], ys[val], X[test], last_test,
                           feats.close.to_numpy()[rows], f.horizon, to_price,
                           int(np.searchsorted(fit, fitted_until)), target=target,
                           returns=log_returns(last_all[:windows.end[test[-1]] + 1]),
                           train_end=windows.end[train], test_end=windows.end[test],
                           train_truth=truth[train], days=day, dates={
                               "rows": day[rows], "fit": when[fit], "validation": when[val],
                               "train": when[train], "test": when[test]})
    data.received("scaler", F[rows], day[rows])  # what the scalers above were fitted on
    data.received("scaler", y[train], when[train])
    return data


def scaler_rows(train, windows) -> slice:
    """The rows the scalers are fitted on: every row a training window reads."""
    return slice(train[0], windows.end[train[-1]] + 1)


def fit_and_validation(train, exp):
    """The training samples split into the part fitted on and the early-stopping tail."""
    n_val = max(1, int(round(len(train) * exp.training.validation_fraction)))
    return train[:-n_val], train[-n_val:]


def fold_dates(k, feats: Features, end, train, test, exp) -> dict:
    """The date ranges of one fold, for the leak audit."""
    day = feats.close.index
    h = exp.features.horizon
    val = fit_and_validation(train, exp)[1]
    iso = lambda i: str(day[i].date())  # noqa: E731
    return {"fold": k + 1, "train_start": iso(train[0]),  # folds count from 1 in every file
            "train_end": iso(end[train[-1]] + h), "test_start": iso(end[test[0]] + h),
            "test_end": iso(end[test[-1]] + h), "scaler_start": iso(train[0]),
            "scaler_end": iso(end[train[-1]]), "validation_start": iso(end[val[0]] + h),
            "validation_end": iso(end[train[-1]] + h), "n_train": int(len(train)),
            "n_test": int(len(test))}


def summarise(predictions: pd.DataFrame, records, names, *, horizon=1,
              backtest=None, target=TARGETS["return"]) -> dict:
    """Metrics per model: over all test days and per fold, mean (and std) over seeds.

    Each seed is scored on its own (``target.scores``) and the scores are averaged, like a
    seed's errors: ``dm_stat`` / ``dm_pvalue`` (Diebold-Mariano against naive on the same
    days; None for naive itself; ``dm_garch_*`` against garch for volatility) and, given a
    :class:`forecast.trading.Backtest`, ``trading``. With several seeds ``dm_pvalue`` is
    the mean of the seeds' p-values, a summary of how consistently they beat naive rather
    than the p-value of one test.
    """
    refs = {r: predictions[predictions.model == r].set_index("date").y_pred
            for r in target.references if (predictions.model == r).any()}

    def scores(g):
        return target.scores(g.y_true.to_numpy(), g.y_pred.to_numpy(), g.y_last.to_numpy(),
                             {r: ref.loc[g.date].to_numpy() for r, ref in refs.items()},
                             horizon)

    out = {}
    for name in names:
        p = predictions[predictions.model == name]
        recs = [r for r in records if r["model"] == name]
        seeds = sorted(p.seed.unique())
        overall = [scores(g) for _, g in p.groupby("seed")]
        entry = _mean_std(overall)
        if backtest is not None:
            entry["trading"] = _mean_std([backtest.stats[name, int(s)] for s in seeds])
        entry["wall_seconds"] = float(sum(r["fit_seconds"] + r["predict_seconds"]
                                          for r in recs))
        entry["params"] = recs[0]["params"]
        entry["seeds"] = [int(s) for s in seeds if s >= 0]
        entry["folds"] = []
        for k, g in p.groupby("fold"):
            per_seed = [scores(s) for _, s in g.groupby("seed")]
            fold_recs = [r for r in recs if r["fold"] + 1 == k]
            row = {"fold": int(k), **_mean_std(per_seed)}
            for key in ("fit_seconds", "predict_seconds", "epochs_run", "peak_rss_mb"):
                row[key] = float(np.mean([r[key] for r in fold_recs]))
            row["history"] = fold_recs[0]["history"]
            if fold_recs[0].get("chosen"):
                row["chosen"] = fold_recs[0]["chosen"]
            entry["folds"].append(row)
        out[name] = trading.json_ready(entry)  # undefined ratios (nan) become null
    return out


def _mean_std(rows):
    out = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
    if len(rows) > 1:
        out.update({f"{k}_std": float(np.std([r[k] for r in rows], ddof=1)) for k in rows[0]})
    return out


def _predictions(records, feats, windows, folds, horizon, truth):
    day = feats.close.index
    close = feats.close.to_numpy()
    parts = []
    for r in records:
        test = folds[r["fold"]][1]
        idx = windows.end[test]
        parts.append(pd.DataFrame({
            "date": day[idx + horizon], "fold": r["fold"] + 1, "model": r["model"],
            "seed": -1 if r["seed"] is None else r["seed"], "y_true": truth[test],
            "y_pred": r["pred"], "y_last": close[idx]}))
    return pd.concat(parts, ignore_index=True)


def versions() -> dict:
    """The versions of everything that can change a result."""
    from importlib.metadata import PackageNotFoundError, version
    out = {"python": sys.version.split()[0]}
    for name in ("forecast", "numpy", "pandas", "keras", "tensorflow-cpu", "tensorflow",
                 "pandas-ta", "yfinance", "scikit-learn"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            pass
    return out


def _resume(checkpoint, exp, data_sha, feats):
    """Folds a checkpoint holds, and the model states to continue from."""
    done = checkpoint.finished() if checkpoint else {}
    if any(d["data_sha256"] != data_sha for d in done.values()):
        raise ForecastError("the prices changed since the interrupted run (a new download?): "
                            "run without --resume")
    states = {}
    if done and exp.training.refit == "warm":
        for (name, seed), arrays in checkpoint.states().items():
            states[name, seed] = models.create(name, {**_training(exp),
                                                      **exp.models.get(name, {})})
            states[name, seed].restore(arrays, exp.features.lookback, feats.frame.shape[1])
    return done, states


def _training(exp):
    t = exp.training
    return {"epochs": t.epochs, "batch_size": t.batch_size, "learning_rate": t.learning_rate,
            "patience": t.patience, "validation_fraction": t.validation_fraction,
            "stride": t.stride, "min_delta": t.min_delta, "output_init": t.output_init,
            "loss": TARGETS[exp.features.target].loss}


def _progress(total, enabled):
    from tqdm.auto import tqdm
    return tqdm(total=total, disable=not enabled, file=sys.stderr, unit="fit",
                dynamic_ncols=True, leave=False)
