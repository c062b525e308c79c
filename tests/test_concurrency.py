"""Several processes at once on one output folder or one cache: all finish, nothing is lost
or corrupted."""
import json
import os
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

from forecast import runs


def start(*argv, **env):
    return subprocess.Popen([sys.executable, "-m", "forecast.cli", *map(str, argv)],
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **env},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process):
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err
    return out


@pytest.mark.slow
def test_two_runs_of_one_experiment_and_a_sweep_into_one_folder_at_once(tiny_toml_file,
                                                                        tmp_path):
    config = tiny_toml_file("together")
    out = tmp_path / "reports"
    processes = [start("run", config, "--quiet", "--out", out),
                 start("run", config, "--quiet", "--out", out),
                 start("sweep", config, "--quiet", "--workers", "1", "--out", out)]
    for p in processes:
        finish(p)
    found = runs.find(out)
    assert len(found) == 3 and len({d.name for d in found}) == 3
    index = (out / "index.html").read_text()
    for d in found:
        assert d.name in index, f"{d.name} missing from the index"
        json.loads((d / "metrics.json").read_text())
        assert (d / "report.html").is_file()
    first = pd.read_csv(found[0] / "predictions.csv")
    for d in found[1:]:  # one experiment: the same predictions, whoever ran it
        pd.testing.assert_frame_equal(pd.read_csv(d / "predictions.csv"), first)
    [summary] = out.glob("together/sweep-*/summary.json")
    assert json.loads(summary.read_text())["counts"]["done"] == 1
    assert not list(out.glob("together/.unfinished/*"))
    assert not [p for p in out.rglob("*.tmp")]


# a process that downloads AAPL through a fake, slow Yahoo into the cache
DOWNLOAD = textwrap.dedent("""
    import sys, time
    import numpy as np, pandas as pd, yfinance as yf
    from forecast import data
    days = pd.bdate_range("2020-01-02", periods=2000)
    def history(self, **kw):
        time.sleep(0.5)  # both processes are downloading at once
        close = np.linspace(100, 200, len(days))
        return pd.DataFrame({"Open": close, "High": close + 1, "Low": close - 1,
                             "Close": close, "Volume": 1e6},
                            index=days.tz_localize("America/New_York").rename("Date"))
    yf.Ticker.history = history
    yf.set_tz_cache_location(sys.argv[2])
    prices = data.load_prices("AAPL", "yahoo", cache_dir=sys.argv[1])
    print(len(prices))
""")


def test_two_processes_downloading_one_ticker_leave_one_whole_cache_file(tmp_path):
    cache = tmp_path / "cache"
    processes = [subprocess.Popen([sys.executable, "-c", DOWNLOAD, str(cache),
                                   str(tmp_path / f"tz{i}")], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for i in range(2)]
    assert [finish(p).strip() for p in processes] == ["2000", "2000"]
    files = list((cache / "yahoo").iterdir())
    assert len(files) == 1 and files[0].suffix == ".csv", files
    from forecast import data
    assert len(data.load_prices("AAPL", "yahoo", cache_dir=cache)) == 2000  # from the cache


def test_the_last_index_written_lists_a_run_saved_while_another_index_was_written(
        tiny_toml_file, tmp_path, monkeypatch):
    import shutil
    import threading

    from forecast import cli, report
    out = tmp_path / "reports"
    assert cli.main(["run", str(tiny_toml_file("index")), "--quiet", "--out", str(out)]) == 0
    [first] = runs.find(out)
    found_first, go_on = threading.Event(), threading.Event()
    real_find, calls = runs.find, []

    def slow_find(root):  # the first index found its runs, then waits before writing
        found = real_find(root)
        calls.append(len(found))
        if len(calls) == 1:
            found_first.set()
            go_on.wait(10)
        return found
    monkeypatch.setattr(runs, "find", slow_find)
    one = threading.Thread(target=report.render_index, args=(out,))
    one.start()
    assert found_first.wait(10)
    shutil.copytree(first, first.with_name(first.name[:-4] + "beef"))  # a second run appears
    two = threading.Thread(target=report.render_index, args=(out,))
    two.start()  # its index must come after the first one's, or the second run is lost
    two.join(1)
    go_on.set()
    one.join(10), two.join(10)
    assert calls == [1, 2]
    assert first.name[:-4] + "beef" in (out / "index.html").read_text()
