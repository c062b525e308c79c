"""Workload W1 through the product and through the tutorial-style reference, one invocation.

Prints one JSON line: per side, walk-forward seconds per model (data loaded and libraries
imported, as the reference measures), whole-process seconds, peak memory, RMSE and Theil's U;
then the ratios reference / product. A benchmark, not a test: nothing in `make test` reads it.

Usage: python benchmarks/bench_w1.py [--reference benchmarks/tutorial_w1.py]
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
CONFIG = ROOT / "backtests" / "sp500_single_vs_stacked.toml"
def timed(cmd, env=None):
    """``(stdout, seconds, peak RSS MB)`` of the process ``cmd``, measured from outside
    (``wait4``), so that the process may exit however it likes, as a user's command does."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=out, stderr=err, text=True, cwd=ROOT,
                             env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})})
        _, status, usage = os.wait4(p.pid, 0)
        seconds = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0), err.seek(0)
        stdout, stderr = out.read(), err.read()
    if p.returncode:
        sys.exit(f"bench: {' '.join(map(str, cmd))} failed:\n{stderr[-3000:]}")
    return stdout, round(seconds, 1), round(usage.ru_maxrss / 1024)


def product():
    with tempfile.TemporaryDirectory() as out:
        cli = ROOT / "forecast" / "cli.py"
        stdout, seconds, peak = timed([sys.executable, str(cli), "run",
                                       str(CONFIG), "--out", out, "--quiet"],
                                      env={"PYTHONPATH": str(ROOT)})
        run_dir = Path(stdout.strip().splitlines()[-1])
        m = json.loads((run_dir / "metrics.json").read_text())
    # the networks of a fold train side by side: their own seconds overlap, so "both" is
    # the wall clock of the whole walk-forward (baselines and fold preparation included)
    side = {"process_s": seconds, "peak_rss_mb": peak, "device": m.get("device", "cpu"),
            "walkforward_both_s": round(m["walkforward_seconds"], 2)}
    for name in ("single_lstm", "stacked_lstm", "naive"):
        e = m["models"][name]
        side[name] = {"walkforward_s": round(e["wall_seconds"], 2), "rmse": round(e["rmse"], 2),
                      "theil_u": round(e["theil_u"], 4)}
    rss = [f["peak_rss_mb"] for f in m["models"]["stacked_lstm"]["folds"]]
    side["rss_last_over_first_fold"] = round(rss[-1] / rss[0], 3)
    return side


def reference(path):
    stdout, seconds, peak = timed([sys.executable, str(path)])
    r = json.loads(stdout.strip().splitlines()[-1])
    side = {"process_s": seconds, "peak_rss_mb": peak,
            "walkforward_both_s": round(r["single"]["wall_s"] + r["stacked"]["wall_s"], 1)}
    for ours, theirs in (("single_lstm", "single"), ("stacked_lstm", "stacked")):
        e = r[theirs]
        side[ours] = {"walkforward_s": e["wall_s"], "rmse": e["rmse"],
                      "theil_u": round(e["rmse"] / e["naive_rmse"], 4)}
    return side


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--reference", default=str(ROOT / "benchmarks" / "tutorial_w1.py"),
                   help="the tutorial-style reference script (default: %(default)s)")
    args = p.parse_args()
    out = {"workload": "W1", "cores": os.cpu_count(), "product": product()}
    if Path(args.reference).is_file():
        ref = out["reference"] = reference(args.reference)
        prod = out["product"]
        out["ratios"] = {"walkforward_both_lstms": round(ref["walkforward_both_s"] /
                                                         prod["walkforward_both_s"], 1),
                         "process": round(ref["process_s"] / prod["process_s"], 1),
                         "peak_rss": round(ref["peak_rss_mb"] / prod["peak_rss_mb"], 2)}
        out["targets_met"] = {
            "walkforward_25x": out["ratios"]["walkforward_both_lstms"] >= 25,
            "process_8x": out["ratios"]["process"] >= 8,
            "theil_u_le_1.01": all(prod[m]["theil_u"] <= 1.01
                                   for m in ("single_lstm", "stacked_lstm")),
            "memory_flat_10pct": prod["rss_last_over_first_fold"] <= 1.10}
    else:
        out["reference"] = f"not found: {args.reference}"
    print(json.dumps(out))


if __name__ == "__main__":
    main()
