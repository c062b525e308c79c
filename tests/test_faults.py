"""Faults of the machine: a run killed at any moment, full disks, unwritable folders.

Whatever happens, a run ends with the predictions of an uninterrupted one (after
``--resume``), errors are one line with exit code 2, and nothing is left half-written.
"""
import errno
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pandas as pd
import pytest

from forecast import cli, files, runs

# Run the CLI in a process that SIGKILLs itself just before its K-th file-system step (a
# mkdir, fsync or rename: the moments between which a write can be cut), or, with K = 0,
# records every step (its kind and the functions of runs.py it is in) in STEPS.
KILLER = r"""
import os, signal, sys, traceback, json
K, STEPS = int(os.environ["KILL_AT"]), os.environ.get("STEPS")
seen, MAIN = [], os.getpid()
def wrap(name):
    real = getattr(os, name)
    def step(*a, **kw):
        if os.getpid() != MAIN:  # a child forecast forked (forecast.forked) writes no run
            return real(*a, **kw)
        frame, fold = sys._getframe(1), None
        while frame:  # inside a fold's checkpoint: which fold
            if frame.f_code.co_filename.endswith("runs.py") and "fold" in frame.f_locals:
                fold = frame.f_locals["fold"]
            frame = frame.f_back
        seen.append((name, "/".join(f.name for f in traceback.extract_stack()
                                    if f.filename.endswith("runs.py")), fold))
        if len(seen) == K:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(*a, **kw)
    setattr(os, name, step)
from forecast import cli
for name in ("mkdir", "fsync", "rename", "replace"):
    wrap(name)
code = cli.main(sys.argv[1:])
if STEPS:
    open(STEPS, "w").write(json.dumps(seen))
sys.exit(code)
"""


def forecast_killed_at(k, *argv, steps=None):
    env = {**os.environ, "KILL_AT": str(k), "TF_CPP_MIN_LOG_LEVEL": "2"}
    if steps:
        env["STEPS"] = str(steps)
    return subprocess.run([sys.executable, "-c", KILLER, *map(str, argv)], env=env,
                          capture_output=True, text=True, timeout=300)


def predictions_of(run_dir):
    return pd.read_csv(Path(run_dir) / "predictions.csv")


def finished_runs_are_whole(out):
    for run_dir in runs.find(out):
        json.loads((run_dir / "metrics.json").read_text())
        predictions_of(run_dir)
        assert (run_dir / "report.html").is_file()


@pytest.mark.slow
def test_a_run_killed_anywhere_resumes_to_the_predictions_of_an_uninterrupted_run(
        tiny_toml_file, tmp_path, capsys):
    config = tiny_toml_file("killed")
    whole_out, log = tmp_path / "whole", tmp_path / "steps.json"
    run = ["run", config, "--quiet", "--folds", "3"]
    done = forecast_killed_at(0, *run, "--out", whole_out, steps=log)
    assert done.returncode == 0, done.stderr
    whole = predictions_of(runs.find(whole_out)[0])
    steps = json.loads(log.read_text())
    where = [f"step {i + 1}: {kind} in {fn or '-'} (fold {fold})"
             for i, (kind, fn, fold) in enumerate(steps)]
    # every step of the second fold's checkpoint (the states after it train the third: a
    # kill there is what resumes from the wrong weights when records and states are two
    # files), the first step of the first's, one in the run directory's write, the last
    # two; FORECAST_FAULTS=all: every step (about 45 runs, some ten minutes)
    first, second = ([i + 1 for i, step in enumerate(steps) if step[2] == k] for k in (0, 1))
    rest = list(range(second[-1] + 1, len(steps) + 1))
    picks = sorted({first[0], *second, rest[len(rest) // 2], len(steps) - 1, len(steps)})
    if os.environ.get("FORECAST_FAULTS") == "all":
        picks = list(range(1, len(steps) + 1))
    for k in picks:
        out = tmp_path / f"k{k}"
        killed = forecast_killed_at(k, *run, "--out", out)
        assert killed.returncode == -9, (where[k - 1], killed.stderr)
        again = [*map(str, run), "--out", str(out)]
        code = cli.main([*again, "--resume"])
        if code == 2 and "no unfinished run" in capsys.readouterr().err:
            code = cli.main(again)
        assert code == 0, where[k - 1]
        finished_runs_are_whole(out)
        newest = runs.find(out)[0]
        pd.testing.assert_frame_equal(predictions_of(newest), whole, obj=where[k - 1])
        assert not list(out.glob("*/.unfinished/*")), "the checkpoint outlived its run"
        no_half_written_files(out)
    assert len(picks) >= 8, where


def one_error_line(capsys):
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1 and err[0].startswith("forecast: error: "), err
    return err[0]


def no_half_written_files(out):
    left = [p for p in Path(out).rglob("*") if p.name.startswith(".") and
            p.name.endswith(".tmp")]
    assert not left, left


def fail_on_call(n, error):
    """A stand-in that raises ``error`` on its n-th call and calls through otherwise."""
    def make(real):
        calls = []

        def fake(*args, **kwargs):
            calls.append(1)
            if len(calls) == n:
                raise OSError(error, os.strerror(error), str(args[-1]))
            return real(*args, **kwargs)
        return fake
    return make


@pytest.mark.parametrize("error", [errno.ENOSPC, errno.EACCES, errno.EROFS])
def test_a_checkpoint_that_cannot_be_written_ends_in_one_line_and_keeps_earlier_folds(
        tiny_toml_file, tmp_path, monkeypatch, capsys, error):
    config = tiny_toml_file("nospace")
    argv = ["run", str(config), "--quiet", "--out", str(tmp_path)]
    monkeypatch.setattr(runs, "publish", fail_on_call(3, error)(files.publish))
    assert cli.main(argv) == 2
    line = one_error_line(capsys)
    assert "cannot save fold 2" in line and os.strerror(error) in line
    assert "fold 1" in line or "folds 1" in line
    no_half_written_files(tmp_path)
    [checkpoint] = tmp_path.glob("nospace/.unfinished/*/")  # its lock file beside it
    assert sorted(p.name for p in checkpoint.iterdir()) == ["experiment.toml", "fold-000"]
    monkeypatch.undo()
    assert cli.main([*argv, "--resume"]) == 0
    finished_runs_are_whole(tmp_path)


def test_a_run_directory_that_cannot_be_written_keeps_every_fold_for_resume(
        tiny_toml_file, tmp_path, monkeypatch, capsys):
    config = tiny_toml_file("runfull")
    argv = ["run", str(config), "--quiet", "--out", str(tmp_path)]
    assert cli.main(argv) == 0
    earlier = runs.find(tmp_path)
    index = (tmp_path / "index.html").read_text()
    capsys.readouterr()
    # the checkpoint's two folds and its folder publish; the run directory's fails
    monkeypatch.setattr(runs, "publish", fail_on_call(4, errno.ENOSPC)(files.publish))
    assert cli.main(argv) == 2
    line = one_error_line(capsys)
    assert "cannot save the run" in line and "--resume" in line
    no_half_written_files(tmp_path)
    assert runs.find(tmp_path) == earlier
    assert (tmp_path / "index.html").read_text() == index
    monkeypatch.undo()
    from forecast import walkforward
    trained = []
    monkeypatch.setattr(walkforward, "_fit_predict", lambda *a: trained.append(a))
    assert cli.main([*argv, "--resume"]) == 0, "resumed without training again"
    assert not trained
    assert len(runs.find(tmp_path)) == 2
    finished_runs_are_whole(tmp_path)


@pytest.mark.parametrize("what", ["report", "index"])
def test_a_page_that_cannot_be_written_is_one_line_and_leaves_the_rest_intact(
        tiny_toml_file, tmp_path, monkeypatch, capsys, what):
    from forecast import report
    config = tiny_toml_file(f"page{what}")
    argv = ["run", str(config), "--quiet", "--out", str(tmp_path)]
    assert cli.main(argv) == 0
    earlier, index = runs.find(tmp_path), (tmp_path / "index.html").read_text()
    capsys.readouterr()

    def unwritable(path, *args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES),
                              str(Path(path) / "report.html"))
    monkeypatch.setattr(report, "render" if what == "report" else "render_index",
                        unwritable)
    assert cli.main(argv) == 2
    assert "Permission denied" in one_error_line(capsys)
    no_half_written_files(tmp_path)
    assert (tmp_path / "index.html").read_text() == index
    if what == "report":
        assert runs.find(tmp_path) == earlier
    else:  # the run itself was saved whole before the index failed
        assert len(runs.find(tmp_path)) == 2
    finished_runs_are_whole(tmp_path)


def test_an_output_folder_that_is_no_folder_is_refused_before_any_work(tiny_toml_file,
                                                                     tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert cli.main(["run", str(tiny_toml_file()), "--out", str(blocker / "x")]) == 2
    assert "not a writable folder" in one_error_line(capsys)


def test_a_folder_that_permissions_allow_but_writing_fails_is_refused_before_any_work(
        tiny_toml_file, monkeypatch, capsys):
    if not Path("/proc/self").is_dir():
        pytest.skip("no /proc here")
    from forecast import walkforward
    monkeypatch.setattr(walkforward, "run_experiment", lambda *a, **k: pytest.fail("ran"))
    assert cli.main(["run", str(tiny_toml_file()), "--out", "/proc/forecast-out"]) == 2
    assert "/proc is not a writable folder" in one_error_line(capsys)


@pytest.fixture
def tiny_disk(tmp_path):
    """A 64 KiB file system: the checkpoints fit, a whole run directory does not."""
    path = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    path.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(path)],
                          capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()})")
    yield path
    subprocess.run(["umount", str(path)], check=True)


def test_a_run_into_a_full_disk_ends_in_one_line_and_resumes_elsewhere(
        tiny_toml_file, tiny_disk, tmp_path, capsys):
    config = tiny_toml_file("fulldisk")
    assert cli.main(["run", str(config), "--quiet", "--out", str(tiny_disk)]) == 2
    line = one_error_line(capsys)
    assert "No space left on device" in line and "--resume" in line
    no_half_written_files(tiny_disk)
    assert runs.find(tiny_disk) == []
    [checkpoint] = tiny_disk.glob("fulldisk/.unfinished/*/")
    assert sorted(p.name for p in checkpoint.glob("fold-*")) == ["fold-000", "fold-001"]


def test_a_cache_that_cannot_be_written_is_one_line_and_keeps_the_old_copy(
        tmp_path, monkeypatch, capsys):
    import numpy as np
    import yfinance as yf

    from forecast import data, yahoo
    days = pd.bdate_range("2024-01-02", periods=30)
    close = np.linspace(100, 130, len(days))
    frame = pd.DataFrame({"Open": close, "High": close + 1, "Low": close - 1, "Close": close,
                          "Volume": 1e6}, index=days.tz_localize("America/New_York"))
    monkeypatch.setattr(yf.Ticker, "history", lambda self, **kw: frame)
    monkeypatch.setattr(data, "CACHE_DIR", tmp_path)
    assert cli.main(["fetch", "AAPL"]) == 0
    [cached] = (tmp_path / "yahoo").iterdir()
    old = cached.read_bytes()
    os.utime(cached, (0, 0))  # a day old: the next fetch downloads again
    capsys.readouterr()

    def full(path, text):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
    monkeypatch.setattr(yahoo, "write_atomic", full)
    assert cli.main(["fetch", "AAPL"]) == 2
    line = capsys.readouterr().err.splitlines()[0]  # fetch adds a count of failed tickers
    assert line.startswith("forecast: error: AAPL: cannot write the price cache")
    assert "No space left" in line
    assert [p.name for p in (tmp_path / "yahoo").iterdir()] == [cached.name]
    assert cached.read_bytes() == old


def test_a_sweep_summary_that_cannot_be_written_is_one_line(tiny_toml_file, tmp_path,
                                                            monkeypatch, capsys):
    from forecast import sweep

    def read_only(path, text):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
    monkeypatch.setattr(sweep, "write_atomic", read_only)
    assert cli.main(["sweep", str(tiny_toml_file("ro")), "--quiet", "--out",
                     str(tmp_path)]) == 2
    line = one_error_line(capsys)
    assert "summary.json" in line and "Read-only file system" in line
    no_half_written_files(tmp_path)
