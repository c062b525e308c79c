"""Judge a change to W1's settings on the days before W1's first test day (2009-05-20).

W1's settings must not be chosen on W1's test days. This runs W1's two LSTMs, with the
given overrides of their tables, on the S&P 500 and the NASDAQ up to 2009-05-19 (initial
training 1,000 samples, 5 folds) for each seed, and prints their mean Theil's U and each
run's. Compare a change with `{}` (W1 as it is), on the same seeds.

Usage: python benchmarks/choose_w1.py '{"single_lstm": {"dropout": 0.2}}' [--seeds 1,2,3,4]
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_w1 import CONFIG  # noqa: E402

import forecast  # noqa: E402
from forecast import config  # noqa: E402

NETWORKS = ("single_lstm", "stacked_lstm")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("changes", help='JSON: model -> settings, e.g. {"single_lstm": {"stride": 2}}')
    p.add_argument("--seeds", default="1,2,3,4")
    args = p.parse_args()
    changes = json.loads(args.changes)
    scores = {name: [] for name in NETWORKS}
    for ticker in ("^GSPC", "^IXIC"):
        exp = config.override(forecast.load_experiment(CONFIG), {
            "data.ticker": ticker, "data.end": "2009-05-19", "split.initial_train": 1000})
        tables = {m: {**exp.models.get(m, {}), **changes.get(m, {})} for m in NETWORKS}
        for seed in map(int, args.seeds.split(",")):
            run = forecast.backtest(dataclasses.replace(
                exp, seed=seed, models={"naive": {}, **tables}), progress=False)
            for name in NETWORKS:
                scores[name].append(round(run.models[name].scores["theil_u"], 4))
    print(json.dumps({"changes": changes, "theil_u": {n: round(statistics.mean(v), 5)
                                                      for n, v in scores.items()},
                      "per_run": scores}))


if __name__ == "__main__":
    main()
