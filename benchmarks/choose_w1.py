"""Judge a change to W1's settings on the days before W1's first test day (2009-05-20).

W1's settings must not be chosen on W1's test days. This runs W1's two LSTMs, with the
given overrides of their tables, on the S&P 500 and the NASDAQ up to 2009-05-19 (initial
training 1,000 samples, 5 folds) for each seed, and prints their mean Theil's U and each
run's. Compare a change with `{}` (W1 as it is), on the same seeds. With --darts, darts'
recipe (benchmarks/darts_w1.py, in the peers' venv) runs on the same series and seeds, and
both are scored on the days both forecast.

Usage: python benchmarks/choose_w1.py '{"single_lstm": {"dropout": 0.2}}' [--seeds 1,2,3]
                                      [--darts benchmarks/.peers-venv/bin/python]
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
from bench_peers import NETWORKS, networks_as_darts_names, scores  # noqa: E402
from bench_w1 import CONFIG  # noqa: E402

import forecast  # noqa: E402
from forecast import config  # noqa: E402

HERE = Path(__file__).resolve().parent
END, INITIAL = "2009-05-19", 1000


def run_forecast(exp, seed) -> pd.DataFrame:
    run = forecast.backtest(dataclasses.replace(exp, seed=seed), progress=False)
    return networks_as_darts_names(run.predictions)


def run_darts(python, ticker, seed, out) -> pd.DataFrame:
    csv = Path(out) / f"darts_{ticker}_{seed}.csv"
    subprocess.run([python, str(HERE / "darts_w1.py"), "--seed", str(seed), "--threads", "1",
                    "--ticker", ticker, "--end", END, "--initial-train", str(INITIAL),
                    "--out", str(csv)], check=True, stdout=subprocess.DEVNULL)
    return pd.read_csv(csv, parse_dates=["date"])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("changes",
                   help='JSON: model -> settings, e.g. {"single_lstm": {"stride": 2}}')
    p.add_argument("--seeds", default=",".join(map(str, range(1, 13))))
    p.add_argument("--darts", metavar="PYTHON", help="also darts' recipe, in this Python")
    args = p.parse_args()
    changes = json.loads(args.changes)
    sides = ["forecast", "darts"] if args.darts else ["forecast"]
    per_run = {side: {k: [] for k in NETWORKS} for side in sides}
    with tempfile.TemporaryDirectory() as out:
        for ticker in ("^GSPC", "^IXIC"):
            exp = config.override(forecast.load_experiment(CONFIG), {
                "data.ticker": ticker, "data.end": END, "split.initial_train": INITIAL})
            tables = {m: {**exp.models.get(m, {}), **changes.get(m, {})}
                      for m in NETWORKS.values()}
            exp = dataclasses.replace(exp, models={"naive": {}, **tables})
            for seed in map(int, args.seeds.split(",")):
                preds = {"forecast": run_forecast(exp, seed)}
                if args.darts:
                    preds["darts"] = run_darts(args.darts, ticker, seed, out)
                days = sorted(set.intersection(*(set(p.date) for p in preds.values())))
                for side, p in preds.items():
                    for k, s in scores(p, days).items():
                        per_run[side][k].append(round(s["theil_u"], 4))
    print(json.dumps({"changes": changes, "seeds": args.seeds, **{
        side: {"theil_u": {k: round(statistics.mean(v), 5) for k, v in runs.items()},
               "per_run": runs} for side, runs in per_run.items()}}))


if __name__ == "__main__":
    main()
