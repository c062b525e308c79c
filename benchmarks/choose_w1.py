"""Judge a change to W1's settings on the days before W1's first test day (2009-05-20).

W1's settings must not be chosen on W1's test days. This runs W1's two LSTMs, with the
given overrides, on the S&P 500 and the NASDAQ up to 2009-05-19 (initial training 1,000
samples, 5 folds), for each seed, on the real series and on planted ones (the power audit's:
the real returns with random signs drawn with the run's seed, plus a predictable part), and
prints for each network the mean Theil's U and Diebold-Mariano p-value on the real series
(it must abstain: not be significantly worse than naive) and the mean share of the oracle's
gain captured on each planted series (it must learn). Compare a change with `{}` (W1 as it
is), on the same seeds. With --darts, darts' recipe (benchmarks/darts_w1.py, in the peers'
venv, at the same nominal training settings) runs on the real series too, scored on the
days both forecast.

Usage: python benchmarks/choose_w1.py '{"training.patience": 8}' [--seeds 1,2,3]
           [--series real,linear:0.3,threshold:0.4] [--darts benchmarks/.peers-venv/bin/python]
Overrides are dotted keys, as `forecast sweep --grid` takes (models.single_lstm.dropout, ...).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_peers import NETWORKS, networks_as_darts_names, recipe, scores  # noqa: E402
from bench_w1 import CONFIG  # noqa: E402

import forecast  # noqa: E402
from forecast import config, power  # noqa: E402
from forecast.data import load_prices  # noqa: E402

HERE = Path(__file__).resolve().parent
END, INITIAL = "2009-05-19", 1000


def run_forecast(exp, seed, prices) -> pd.DataFrame:
    run = forecast.backtest(dataclasses.replace(exp, seed=seed), prices=prices,
                            progress=False)
    return networks_as_darts_names(run.predictions)


def run_darts(python, exp, ticker, seed, out) -> pd.DataFrame:
    csv = Path(out) / f"darts_{ticker}_{seed}.csv"
    subprocess.run([python, str(HERE / "darts_w1.py"), "--seed", str(seed), "--threads", "1",
                    "--ticker", ticker, "--end", END, "--initial-train", str(INITIAL),
                    *recipe(exp, "single"), *recipe(exp, "stacked"),
                    "--out", str(csv)], check=True, stdout=subprocess.DEVNULL)
    return pd.read_csv(csv, parse_dates=["date"])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("changes", help='JSON of dotted overrides, e.g. {"training.patience": 8}')
    p.add_argument("--seeds", default="1,2,3")
    p.add_argument("--series", default="real,linear:0.3,threshold:0.4",
                   help="real, and planted FORM:STRENGTH series (default: %(default)s)")
    p.add_argument("--darts", metavar="PYTHON", help="also darts' recipe, in this Python, "
                   "on the real series")
    args = p.parse_args()
    changes = json.loads(args.changes)
    per_run: dict = {}
    with tempfile.TemporaryDirectory() as out:
        for ticker in ("^GSPC", "^IXIC"):
            exp = config.override(forecast.load_experiment(CONFIG), {
                "data.ticker": ticker, "data.end": END, "split.initial_train": INITIAL,
                **changes})
            exp = dataclasses.replace(exp, models={"naive": {}, **{
                m: exp.models.get(m, {}) for m in NETWORKS.values()}})
            real = load_prices(ticker, "sample", end=END, log=lambda msg: None)
            for series in args.series.split(","):
                for seed in map(int, args.seeds.split(",")):
                    oracle, prices = None, real
                    if series != "real":
                        form, strength = series.split(":")
                        prices, oracle = power.plant(real, form, float(strength), seed=seed)
                    preds = {"forecast": run_forecast(exp, seed, prices)}
                    if args.darts and series == "real":
                        preds["darts"] = run_darts(args.darts, exp, ticker, seed, out)
                    days = sorted(set.intersection(*(set(p.date) for p in preds.values())))
                    for side, p in preds.items():
                        for kind, s in scores(p, days, oracle).items():
                            runs = per_run.setdefault(side, {}).setdefault(series, {})
                            runs.setdefault(kind, []).append(
                                {k: round(v, 4) for k, v in s.items()})
    summary = {side: {series: {kind: {k: round(statistics.mean(r[k] for r in runs), 4)
                                      for k in runs[0]}
                               for kind, runs in by_kind.items()}
                      for series, by_kind in by_series.items()}
               for side, by_series in per_run.items()}
    print(json.dumps({"changes": changes, "seeds": args.seeds, "mean": summary,
                      "per_run": per_run}))


if __name__ == "__main__":
    main()
