"""`make mutants`: mutation testing of the core computations with mutmut 3.

mutmut changes one small thing at a time in a copy of the code (a ``<`` becomes ``<=``, a
``1`` a ``2``, an argument is dropped...) and runs the tests that reach the changed function,
fastest first, stopping at the first failure. A mutant no test notices has *survived*: either
a behaviour no test pins, or a change that cannot alter any result (an *equivalent* mutant,
listed in :data:`EQUIVALENT` and in docs/testing.md with the reason).

Everything happens in ``build/mutants/`` (a copy of ``forecast/`` and ``tests/``): the working
tree is never touched. Prints each module's score and every survivor with its diff; the last
line is one JSON object ``{"killed", "survived", "equivalent", "no_tests", "score", ...}``.

    python tools/mutants.py                     # every module below
    python tools/mutants.py metrics trading     # some of them
"""
from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "build" / "mutants"

# module -> the functions mutated (mutmut names them x_<function>, xǁClassǁ<method>)
SCOPE = {
    "metrics": ["*"],
    "trading": ["*"],
    "splits": ["*"],
    "windows": ["*"],
    "features": ["*"],
    "indicators": ["*"],
    "walkforward": ["x_prepare_fold", "x_scaler_rows", "x_fit_and_validation",
                    "x_fold_dates"],  # the fold preparation
    "audit": ["*"],  # the leak audit read from the fits
    # the data's validation and readers, not the downloads and the cache (yahoo)
    "days": ["x_parse_day", "x_day_text", "x_check_date_format", "x_parse_dates"],
    "ohlcv": ["x_check_ticker", "x_from_frame", "x_normalise", "x_standard",
              "x_check_prices", "x_check_gaps", "x_date_column"],
    "csvfile": ["x_read_csv", "x__separator", "x__decimal_commas"],
}

# The tests that cover those modules, without the ones that train networks: those would
# make every mutant of prepare_fold cost seconds, and importing TensorFlow before mutmut
# forks a worker per mutant is asking for trouble.
TESTS = ["tests/test_metrics.py", "tests/test_trading.py", "tests/test_splits.py",
         "tests/test_windows.py", "tests/test_features.py", "tests/test_indicators.py",
         "tests/test_data.py", "tests/test_days.py", "tests/test_ohlcv.py",
         "tests/test_csvfile.py", "tests/test_walkforward.py", "tests/test_audit.py"]
NETWORK_TESTS = ["test_end_to_end_on_short_data", "test_folds_never_train_on_or_after",
                 "test_rerun_gives_identical", "test_seeds_give_mean_and_std",
                 "test_scratch_refit", "test_metrics_json_recomputed",
                 "test_the_audit_is_what_each_fit_received",
                 "test_a_network_trained_on_its_validation_tail",
                 "test_a_network_given_rows_it_does_not_declare"]

# Mutants that cannot change any result; docs/testing.md lists them with the same reasons.
# Each is (a pattern in the mutated line, what it came from, why it changes nothing): a
# mutant is equivalent when undoing that one substitution gives back the original line.
EQUIVALENT = [
    (r"np\.asarray\(([^()]*), (?:None)?\)", r"np.asarray(\1, float)",
     "np.asarray(x, float) -> np.asarray(x): the values forecast passes are float64 arrays, "
     "Series or lists of numbers, and what is done with them (subtraction, division, means) "
     "gives the same float64 result either way"),
    (r"np\.asarray\(([^()]*), (?:None)?\)", r'np.asarray(\1, "float64")',
     'np.asarray(x, "float64") -> np.asarray(x): as above (scaled predictions times the '
     "float64 training spread are float64 either way)"),
    (r"feats\.frame\.to_numpy\(None\)", 'feats.frame.to_numpy("float64")',
     'feats.frame.to_numpy("float64") -> to_numpy(): features.build makes every column '
     "float64"),
    (r"sd = np\.where\(sd > 0, sd, 2\.0\)", "sd = np.where(sd > 0, sd, 1.0)",
     "prepare_fold's divisor for an input without spread, 1 -> 2: such a column is constant, "
     "so it is 0 after centring whatever it is divided by"),
    (r"last_all, f\.lookback, \)\.X", "last_all, f.lookback, f.horizon).X",
     "prepare_fold's windows without the horizon: a window's rows do not depend on it, the "
     "horizon only drops trailing windows that no fold indexes"),
    (r'float\("NAN"\)', 'float("nan")',
     'float("nan") -> float("NAN"): Python reads the name in any case, the same NaN'),
    (r"if n < 2 and not var > 0:", "if n < 2 or not var > 0:",
     "Diebold-Mariano's `n < 2 or not var > 0` -> `and`: with fewer than two days the "
     "variance is 0 (one day) or NaN (none), so the second condition holds whenever the "
     "first does"),
]

# mutmut's exit codes (mutmut.stats.status_by_exit_code); any other is "suspicious"
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 2: "interrupted",
          33: "no tests", 34: "skipped", 35: "suspicious", 36: "timeout", 37: "killed",
          -24: "timeout", 24: "timeout", 152: "timeout", 255: "timeout", -11: "segfault",
          -9: "segfault"}


def prepare():
    """A fresh copy of the code and tests, and mutmut's settings for it."""
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "forecast", WORK / "forecast", ignore=ignore)
    shutil.copytree(ROOT / "tests", WORK / "tests", ignore=ignore)
    deselect = " and ".join(f"not {t}" for t in NETWORK_TESTS)
    settings = {
        "paths_to_mutate": ["forecast/"],
        "only_mutate": [f"forecast/{m}.py" for m in SCOPE],
        "tests_dir": [],
        "pytest_add_cli_args_test_selection": [*TESTS, "-k", deselect],
        "pytest_add_cli_args": ["-p", "no:cacheprovider", "-W", "ignore"],
        "use_git_change_detection": False,
        "timeout_multiplier": 10.0,
    }
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    lines = ["", "[tool.mutmut]"] + [f"{k} = {json.dumps(v)}" for k, v in settings.items()]
    (WORK / "pyproject.toml").write_text(pyproject + "\n".join(lines) + "\n", encoding="utf-8")


def mutmut(*args):
    exe = Path(sys.executable).with_name("mutmut")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([str(exe), *args], cwd=WORK, env=env, text=True)


def patterns(modules):
    return [f"forecast.{m}.{f}__mutmut_*" for m in modules for f in SCOPE[m]]


def results(modules) -> dict[str, str]:
    """Mutant name -> status, for the mutants in scope."""
    wanted = patterns(modules)
    out = {}
    for meta in (WORK / "mutants" / "forecast").glob("*.py.meta"):
        codes = json.loads(meta.read_text()).get("exit_code_by_key", {})
        for name, code in codes.items():
            if any(fnmatch.fnmatchcase(name, p) for p in wanted):
                out[name] = "not run" if code is None else STATUS.get(code, "suspicious")
    return out


DIFFS = """
import json, sys
from mutmut.mutation.diff_apply import get_diff_for_mutant
out = {}
for name in json.load(sys.stdin):
    diff = get_diff_for_mutant(name, path="forecast/" + name.split(".")[1] + ".py")
    out[name] = "\\n".join(line for line in diff.splitlines()
                          if line[:1] in "+-" and line[:3] not in ("+++", "---"))
print(json.dumps(out))
"""


def diffs(names) -> dict[str, str]:
    """Mutant name -> its changed lines (what ``mutmut show`` prints, in one process)."""
    if not names:
        return {}
    done = subprocess.run([sys.executable, "-c", DIFFS], cwd=WORK, input=json.dumps(names),
                          text=True, capture_output=True, check=True)
    return json.loads(done.stdout)


def equivalent_reason(diff):
    removed = [line[1:] for line in diff.splitlines() if line.startswith("-")]
    added = [line[1:] for line in diff.splitlines() if line.startswith("+")]
    if len(removed) != 1 or len(added) != 1:
        return None
    for pattern, original, why in EQUIVALENT:
        undone, n = re.subn(pattern, original, added[0], count=1)
        if n and undone == removed[0]:
            return why
    return None


def main(argv):
    modules = argv or list(SCOPE)
    unknown = [m for m in modules if m not in SCOPE]
    if unknown:
        sys.exit(f"unknown module(s) {', '.join(unknown)}: choose from {', '.join(SCOPE)}")
    started = time.perf_counter()
    if os.environ.get("MUTANTS_REPORT_ONLY") != "1":  # 1: report the last run again
        prepare()
        cores = os.cpu_count() or 1
        mutmut("run", "--max-children", str(min(2, cores)), *patterns(modules))
    found = results(modules)
    if not found:
        sys.exit("mutmut ran no mutant: see its output above")
    totals = {"killed": 0, "survived": 0, "equivalent": 0, "no_tests": 0, "other": 0}
    survivors = []
    changed = diffs([n for n, status in found.items() if status not in ("killed", "timeout")])
    print(f"{'module':<12} {'mutants':>8} {'killed':>7} {'survived':>9} {'equivalent':>11} "
          f"{'score':>6}")
    for module in modules:
        mine = {n: s for n, s in found.items() if n.startswith(f"forecast.{module}.")}
        row = {"killed": 0, "survived": 0, "equivalent": 0, "no_tests": 0, "other": 0}
        for name, status in sorted(mine.items()):
            if status in ("killed", "timeout"):
                row["killed"] += 1
            elif status in ("survived", "no tests"):
                diff = changed[name]
                reason = equivalent_reason(diff)
                if reason:
                    row["equivalent"] += 1
                else:
                    row["survived" if status == "survived" else "no_tests"] += 1
                    survivors.append((name, status, diff))
            else:
                row["other"] += 1
                survivors.append((name, status, changed[name]))
        for k in totals:
            totals[k] += row[k]
        live = row["survived"] + row["no_tests"]
        score = row["killed"] / (row["killed"] + live) if row["killed"] + live else 1.0
        print(f"{module:<12} {len(mine):>8} {row['killed']:>7} {live:>9} "
              f"{row['equivalent']:>11} {score:>6.3f}")
    if survivors:
        print("\nsurvivors (no test failed with this change):")
        for name, status, diff in survivors:
            print(f"\n{name} ({status})\n{diff}")
    live = totals["survived"] + totals["no_tests"]
    score = totals["killed"] / (totals["killed"] + live) if totals["killed"] + live else 1.0
    print(json.dumps({"killed": totals["killed"], "survived": live,
                      "equivalent": totals["equivalent"], "no_tests": totals["no_tests"],
                      "other": totals["other"], "score": round(score, 4),
                      "modules": modules, "seconds": round(time.perf_counter() - started)}))


if __name__ == "__main__":
    main(sys.argv[1:])
