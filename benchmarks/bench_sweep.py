"""Speed-up of ``forecast sweep``'s local executor over the same runs one after another.

Both sides run the same combinations (by default 2 tickers x 2 seeds = 4 backtests of a
single and a stacked LSTM on 12 years of the sample source, about 30 s each on one core) from
a fresh interpreter and write the same run directories:

- sequential: one process runs them one after another (TensorFlow may use every core);
- sweep: ``forecast sweep --executor local --workers N`` (default: one worker per core).

Prints one JSON line: both whole-process times in seconds, the speed-up, ``os.cpu_count()``,
and whether the two sides' predictions are byte-identical. A benchmark, not a test.

Usage: python benchmarks/bench_sweep.py [--workers N] [--seeds 1,2] [--epochs 15]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = """\
name = "bench_sweep"
seed = 1
[data]
source = "sample"
ticker = "^GSPC"
start = "2001-01-01"
end = "2012-12-31"
[features]
lookback = 60
[split]
initial_train = 1500
folds = 4
[training]
epochs = {epochs}
batch_size = 64
patience = {epochs}
[models.naive]
[models.single_lstm]
units = 32
[models.stacked_lstm]
units = [32, 16]
"""
# the same combinations as the sweep, run one after another in this one process
SEQUENTIAL = """
import sys
from forecast import cli, runs, report, sweep
args = cli._parser().parse_args(sys.argv[1:])
base = cli.experiment_from_args(args)
jobs = sweep.combinations(base, sweep.parse_tickers(args.tickers, base.data.ticker),
                          sweep.parse_grid(args.grid))
for job in jobs:
    outcome = sweep.run_job(job.toml)
    if "error" in outcome:
        sys.exit(outcome["error"])
    runs.save(outcome["run"], args.out, pages=report.render)
report.render_index(args.out)
"""


def timed(cmd):
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2",
                               "PYTHONPATH": str(ROOT)})
    seconds = time.perf_counter() - t0
    if done.returncode:
        sys.exit(f"bench: {' '.join(map(str, cmd))} failed:\n{done.stderr[-3000:]}")
    return round(seconds, 1)


def predictions(out: Path) -> dict:
    """experiment.toml -> predictions.csv bytes of every run under ``out``."""
    return {(d / "experiment.toml").read_text(): (d / "predictions.csv").read_bytes()
            for d in (p.parent for p in out.glob("*/*/metrics.json"))}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--workers", type=int, default=os.cpu_count(),
                   help="sweep worker processes (default: one per core)")
    p.add_argument("--tickers", default="^GSPC,^IXIC")
    p.add_argument("--seeds", default="1,2", help="one run per ticker and seed")
    p.add_argument("--epochs", type=int, default=15,
                   help="epochs a fold (no early stopping): the size of each run")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        config = tmp / "bench_sweep.toml"
        config.write_text(CONFIG.format(epochs=args.epochs))
        common = [str(config), "--tickers", args.tickers, "--grid", f"seed={args.seeds}"]
        sequential = timed([sys.executable, "-c", SEQUENTIAL, "sweep", *common,
                            "--out", str(tmp / "sequential")])
        swept = timed([sys.executable, "-m", "forecast.cli", "sweep", *common, "--out",
                       str(tmp / "sweep"), "--workers", str(args.workers), "--quiet"])
        a, b = predictions(tmp / "sequential"), predictions(tmp / "sweep")
        runs = len(a)
        identical = a == b and runs > 0
    print(json.dumps({
        "benchmark": "sweep local executor vs sequential", "runs": runs,
        "cores": os.cpu_count(), "workers": args.workers, "sequential_s": sequential,
        "sweep_s": swept, "speedup": round(sequential / swept, 2),
        "identical_predictions": identical}))


if __name__ == "__main__":
    main()
