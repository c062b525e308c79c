import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast import cli, config

@pytest.fixture
def tiny_toml(tiny_toml_file):
    return tiny_toml_file("tiny_cli", seed=3, end="2007-05-31")


def test_run_writes_a_complete_run_directory(tiny_toml, tmp_path, capsys):
    out = tmp_path / "reports"
    assert cli.main(["run", str(tiny_toml), "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out.strip().splitlines()
    run_dir = Path(printed[-1])
    assert run_dir.parent == out / "tiny_cli"
    # before the run directory, the verdict: the best model by RMSE against naive, and
    # whether anything beat naive persistence significantly (here: nothing)
    m = json.loads((run_dir / "metrics.json").read_text())
    top = min(m["models"], key=lambda n: m["models"][n]["rmse"])
    assert printed[-3].startswith(f"best RMSE: {top} " if top != "naive" else
                                  "best RMSE: naive persistence, ")
    assert printed[-2] == "nothing beats naive persistence significantly (DM p < 0.05)"
    assert {p.name for p in run_dir.iterdir()} >= {"metrics.json", "predictions.csv",
                                                   "experiment.toml", "report.html"}
    m = json.loads((run_dir / "metrics.json").read_text())
    assert {"experiment", "ticker", "source", "data", "lookback", "horizon", "folds",
            "models"} <= set(m)
    assert {"start", "end", "rows", "sha256"} <= set(m["data"])
    assert {"fold", "train_start", "train_end", "test_start", "test_end"} <= set(m["folds"][0])
    p = pd.read_csv(run_dir / "predictions.csv")
    assert list(p.columns[:6]) == ["date", "fold", "model", "seed", "y_true", "y_pred"]
    assert config.load_experiment(run_dir / "experiment.toml").seed == 3
    assert (out / "index.html").is_file()
    assert not [p for p in (out / "tiny_cli").iterdir() if p.name.startswith(".")]


def test_overrides_change_the_run(tiny_toml, tmp_path, capsys):
    out = tmp_path / "r"
    cli.main(["run", str(tiny_toml), "--out", str(out), "--quiet", "--models", "naive",
              "--folds", "3", "--seed", "9"])
    printed = capsys.readouterr().out.strip().splitlines()
    run_dir = Path(printed[-1])
    [line] = [line for line in printed if line.startswith("walk-forward ")]
    assert line.endswith(" s wall clock")  # no network, so none trained side by side
    m = json.loads((run_dir / "metrics.json").read_text())
    assert list(m["models"]) == ["naive"] and len(m["folds"]) == 3 and m["seed"] == 9


@pytest.mark.parametrize("args, message", [
    (["run", "missing.toml"], "experiment file missing.toml does not exist"),
    (["run", "TINY", "--models", "lstm"], 'unknown model "lstm"'),
    (["run", "TINY", "--ticker", "AAPL"], "the sample source has no ticker"),
    (["run", "TINY", "--csv", "nope.csv"], "CSV file nope.csv does not exist"),
    (["run", "TINY", "--folds", "0"], "split.folds must be at least 1"),
    (["run", "TINY", "--start", "2007-01-01"], "rows of prices;"),
    (["run", "TINY", "--csv", ""], "--csv is empty: name a file, e.g. --csv prices.csv"),
    (["run", "TINY", "--folds", "1000"], "at least 1310 are needed, plus the indicators' "
     "warm-up, for lookback 10, 300 training samples and 1000 folds"),  # not "0 warm-up rows"
])
def test_bad_input_is_one_line_and_exit_2(tiny_toml, tmp_path, capsys, args, message):
    args = [str(tiny_toml) if a == "TINY" else a for a in args]
    assert cli.main([*args, "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("forecast: error: ") and message in err
    assert len(err.splitlines()) == 1
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.json"))


def test_indicators_and_models_are_listed(capsys):
    cli.main(["indicators"])
    out = capsys.readouterr().out
    assert "sma" in out and "rsi" in out and "length=14" in out
    header = out.splitlines()[0].split()
    assert header[:2] == ["name", "scale"] and "parameters" in header and "`" not in out
    assert "over length days" in out  # roc's ``length``, as plain text
    cli.main(["models"])
    out = capsys.readouterr().out
    assert "stacked_lstm" in out and out.split()[:2] == ["name", "parameters"]
    assert "`" not in out


def test_version(capsys):
    from forecast import __version__
    with pytest.raises(SystemExit) as info:
        cli.main(["--version"])
    assert info.value.code == 0 and capsys.readouterr().out.strip() == f"forecast {__version__}"


def test_every_command_help_names_debug():
    parser = cli._parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    assert len(commands) >= 7
    for name, sub in commands.items():
        assert "--debug" in sub.format_help(), name


def args_of(*argv):
    args = cli._parser().parse_args(list(argv))
    return cli.experiment_from_args(args)


def test_start_and_end_flags_are_as_strict_as_files(write_csv, capsys):
    exp = args_of("run", "backtests/sp500_single_vs_stacked.toml", "--start", "2005-03-02",
                  "--end", "2010")
    assert (exp.data.start, exp.data.end) == ("2005-03-02", "2010-12-31")
    with pytest.raises(config.ForecastError, match="'02/03/2005' is not a date: use "
                       "YYYY-MM-DD"):
        args_of("run", "backtests/sp500_single_vs_stacked.toml", "--start", "02/03/2005")
    exp = args_of("run", "backtests/sp500_single_vs_stacked.toml", "--start", "02/03/2005",
                  "--date-format", "%d/%m/%Y")
    assert exp.data.start == "2005-03-02" and 'start = "2005-03-02"' in config.to_toml(exp)


def test_a_csv_without_a_ticker_is_named_after_its_file(write_csv, sp500, tmp_path):
    path = write_csv(sp500.loc["2005":"2007"], name="nasdaq.csv")
    exp = args_of("run", "backtests/sp500_single_vs_stacked.toml", "--csv", str(path))
    assert (exp.data.source, exp.data.ticker, exp.data.csv) == ("csv", "nasdaq", str(path))
    exp = args_of("run", "backtests/sp500_single_vs_stacked.toml", "--csv", str(path),
                  "--ticker", "^IXIC")
    assert exp.data.ticker == "^IXIC"


def test_a_csv_with_a_date_format_runs(write_csv, sp500, tiny_toml, tmp_path, capsys):
    text = sp500.loc["2005":"2007-05"].rename(columns=str.title).to_csv(
        sep=";", decimal=",", date_format="%d/%m/%Y")
    path = write_csv(text, name="my prices.csv")
    out = tmp_path / "reports"
    assert cli.main(["run", str(tiny_toml), "--csv", str(path), "--date-format", "%d/%m/%Y",
                     "--models", "naive", "--out", str(out), "--quiet"]) == 0
    run_dir = Path(capsys.readouterr().out.strip().splitlines()[-1])
    m = json.loads((run_dir / "metrics.json").read_text())
    assert (m["ticker"], m["source"]) == ("my_prices", "csv")
    assert m["models"]["naive"]["directional_accuracy"] is None  # it predicts no move
    assert 0 < m["models"]["naive"]["mape"] < 0.05  # a fraction, not a percentage


def test_fetch_tries_every_ticker_and_reports_each(capsys):
    assert cli.main(["fetch", "^GSPC", "NOPE", "^IXIC", "--source", "sample"]) == 2
    captured = capsys.readouterr()
    assert [line.split(":")[0] for line in captured.out.splitlines()] == ["^GSPC", "^IXIC"]
    err = captured.err.strip().splitlines()
    assert err[0].startswith("forecast: error: NOPE: the sample source has no ticker")
    assert err[-1] == "forecast: 1 of 3 tickers failed"


def test_compare_says_what_it_replaced(tiny_toml, tmp_path, capsys):
    out = tmp_path / "reports"
    cli.main(["run", str(tiny_toml), "--models", "naive", "--out", str(out), "--quiet"])
    run_dir = capsys.readouterr().out.strip().splitlines()[-1]
    page = tmp_path / "compare.html"
    assert cli.main(["compare", run_dir, "-o", str(page)]) == 0
    assert "replaced" not in capsys.readouterr().err
    assert cli.main(["compare", run_dir, "-o", str(page)]) == 0
    assert capsys.readouterr().err.strip() == f"note: replaced the earlier {page}"
    once = page.read_text()
    assert cli.main(["compare", run_dir, run_dir + "/", "-o", str(page)]) == 0
    assert capsys.readouterr().err.strip().splitlines()[0] == (f"note: {run_dir}/ is named "
                                                               "twice: compared once")
    assert page.read_text().count(Path(run_dir).name) == once.count(Path(run_dir).name)


def test_console_script_help():
    out = subprocess.run([sys.executable, "-m", "forecast.cli", "run", "--help"],
                         capture_output=True, text=True, check=True).stdout
    assert "--ticker" in out and "--epochs" in out
    assert "experiment file" in out


def test_the_command_skips_the_teardown_but_not_the_exit_handlers(tiny_toml, tmp_path):
    handler_ran = tmp_path / "atexit.txt"
    plugin = tmp_path / "plugin.py"  # a plugin stands in for Ray or logging's exit handlers
    plugin.write_text(f"import atexit, pathlib\natexit.register(pathlib.Path("
                      f"{str(handler_ran)!r}).write_text, 'ran')\n")
    run = [sys.executable, "-m", "forecast.cli", "run", str(tiny_toml), "--models", "naive",
           "--out", str(tmp_path / "out"), "--quiet", "--plugin", str(plugin)]
    done = subprocess.run(run, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (Path(done.stdout.splitlines()[-1]) / "metrics.json").is_file()
    assert handler_ran.read_text() == "ran"
    failed = subprocess.run([*run[:4], str(tmp_path / "missing.toml")], capture_output=True,
                            text=True)
    assert failed.returncode == 2 and failed.stderr.startswith("forecast: error:")


def test_ctrl_c_keeps_finished_folds_and_prints_the_resume_command(tiny_toml, tmp_path,
                                                                   capsys, monkeypatch):
    from forecast import runs
    out = tmp_path / "reports"
    save = runs.Checkpoint.save

    def save_then_ctrl_c(self, fold, *args):
        save(self, fold, *args)
        raise KeyboardInterrupt
    monkeypatch.setattr(runs.Checkpoint, "save", save_then_ctrl_c)
    args = ["run", str(tiny_toml), "--out", str(out)]  # with the progress bar
    assert cli.main(args) == 130
    err = capsys.readouterr().err
    # on a line of its own, not glued to the progress bar's
    assert [line for line in err.splitlines() if line.startswith("forecast: interrupted; "
                                                                 "finished folds are kept")]
    assert err.strip().endswith(f"--out {out} --resume")
    assert runs.find(out) == []  # nothing in the finished-runs layout yet
    monkeypatch.setattr(runs.Checkpoint, "save", save)
    assert cli.main([*args, "--resume"]) == 0
    run_dir = Path(capsys.readouterr().out.strip().splitlines()[-1])
    assert runs.find(out) == [run_dir]
    assert not (out / "tiny_cli" / ".unfinished").exists()



def test_a_run_on_another_series_is_filed_apart_and_resumes_there(tiny_toml, write_csv,
                                                                  tmp_path, capsys,
                                                                  monkeypatch):
    from forecast import runs
    from forecast.data import load_prices
    csv = write_csv(load_prices("^IXIC", "sample").loc["2005":"2007-05"], name="nas.csv")
    out = tmp_path / "reports"
    save = runs.Checkpoint.save

    def save_then_ctrl_c(self, fold, *args):
        save(self, fold, *args)
        raise KeyboardInterrupt
    monkeypatch.setattr(runs.Checkpoint, "save", save_then_ctrl_c)
    args = ["run", str(tiny_toml), "--csv", str(csv), "--models", "naive", "--out", str(out),
            "--quiet"]
    assert cli.main(args) == 130
    assert [p.parent.name for p in out.glob("*/.unfinished")] == ["tiny_cli.nas"]
    monkeypatch.setattr(runs.Checkpoint, "save", save)
    assert cli.main([*args, "--resume"]) == 0
    run_dir = Path(capsys.readouterr().out.strip().splitlines()[-1])
    assert run_dir.parent == out / "tiny_cli.nas" and runs.find(out) == [run_dir]
    assert not (out / "tiny_cli.nas" / ".unfinished").exists()
    m = json.loads((run_dir / "metrics.json").read_text())
    assert (m["experiment"], m["ticker"]) == ("tiny_cli.nas", "nas")
    # the experiment's own ticker stays in the experiment's folder; report and index work
    assert cli.main(["run", str(tiny_toml), "--models", "naive", "--out", str(out),
                     "--quiet"]) == 0
    own = Path(capsys.readouterr().out.strip().splitlines()[-1])
    assert own.parent == out / "tiny_cli" and set(runs.find(out)) == {own, run_dir}
    assert cli.main(["report", str(run_dir)]) == 0
    index = (out / "index.html").read_text()
    assert ">tiny_cli.nas<" in index and ">tiny_cli<" in index and "csv nas.csv" in index



def test_missing_drop_drops_a_csvs_rows_lacking_a_price_and_says_so(write_csv, sp500,
                                                                     tiny_toml, tmp_path,
                                                                     capsys):
    frame = sp500.loc["2005":"2007-05"].copy()
    frame.iloc[[40, 41, 90], frame.columns.get_loc("close")] = float("nan")
    path = write_csv(frame, name="holes.csv")
    args = ["run", str(tiny_toml), "--csv", str(path), "--models", "naive", "--out",
            str(tmp_path), "--quiet"]
    assert cli.main(args) == 2
    err = capsys.readouterr().err.strip()
    assert "3 row(s) lack a price, lines 42 (2005-03-02), 43 (2005-03-03), 92" in err
    assert err.endswith('drop them with data.missing = "drop" (--missing drop)')
    assert cli.main([*args, "--missing", "drop"]) == 0
    captured = capsys.readouterr()
    note = ('dropped 3 row(s) with a missing price (data.missing = "drop"): lines 42 '
            "(2005-03-02), 43 (2005-03-03), 92 (2005-05-12)")
    assert f"note: holes: {note}" in captured.err.splitlines()
    run_dir = Path(captured.out.strip().splitlines()[-1])
    m = json.loads((run_dir / "metrics.json").read_text())
    assert note in m["repairs"] and m["data"]["rows"] == len(frame) - 3
    assert 'missing = "drop"' in (run_dir / "experiment.toml").read_text()



def test_prices_dated_after_today_are_warned_of_and_shown_in_the_report(
        write_csv, short_prices, tiny_toml, tmp_path, capsys, monkeypatch):
    from forecast import data
    monkeypatch.setattr(data, "today", lambda: pd.Timestamp("2026-12-07"))
    frame = short_prices.set_axis(pd.bdate_range(end="2027-06-30", periods=len(short_prices),
                                                 name="date"))
    path = write_csv(frame, name="synthetic.csv")
    assert cli.main(["run", str(tiny_toml), "--csv", str(path), "--start", "2020",
                     "--end", "2030", "--models", "naive", "--out", str(tmp_path),
                     "--quiet"]) == 0
    captured = capsys.readouterr()
    [warning] = [line for line in captured.err.splitlines() if line.startswith("warning:")]
    assert warning.startswith("warning: synthetic: 146 day(s) after today (2026-12-07), the "
                              "first 2026-12-09: check the date format")
    report = (Path(captured.out.strip().splitlines()[-1]) / "report.html").read_text()
    assert "the first 2026-12-09" in report


def test_a_close_only_csv_runs_and_an_ohlc_indicator_on_it_is_refused(write_csv, sp500,
                                                                      tiny_toml, tmp_path,
                                                                      capsys):
    frame = sp500.loc["2005":"2007-05", ["close"]].rename(columns={"close": "Adj Close"})
    path = write_csv(frame, name="closes.csv")
    out = tmp_path / "reports"
    base = ["run", str(tiny_toml), "--csv", str(path), "--models", "naive", "--out",
            str(out), "--quiet"]
    assert cli.main(base) == 0  # sma, ema, rsi: the close is all they need
    captured = capsys.readouterr()
    assert "note: closes: no open, high, low or volume column" in captured.err
    m = json.loads((Path(captured.out.strip().splitlines()[-1]) / "metrics.json").read_text())
    assert m["ticker"] == "closes" and m["data"]["rows"] == len(frame)
    with_atr = tiny_toml.with_name("atr.toml")
    with_atr.write_text(tiny_toml.read_text().replace(
        "lookback = 10", 'lookback = 10\nindicators = [{ name = "atr", length = 14 }]'))
    assert cli.main([base[0], str(with_atr), *base[2:]]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("forecast: error: indicator atr") and "high, low" in err


def test_the_docs_name_every_option_of_run_and_sweep():
    import re
    readme = "\n".join(Path(page).read_text(encoding="utf-8")
                       for page in ("docs/getting-started.md", "docs/sweeps.md"))
    listed = re.search(r"`forecast run --help` lists every option \(`([^`]*)`\)", readme)
    parser = cli._parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    options = {o for a in commands["run"]._actions for o in a.option_strings
               if o.startswith("--") and o != "--help"}
    assert set(listed.group(1).split()) == options
    swept = re.search(r"The other options are `forecast run`'s \(`([^`]*)`\)", readme)
    sweep_options = {o for a in commands["sweep"]._actions for o in a.option_strings}
    assert set(swept.group(1).split()) <= sweep_options


@pytest.mark.parametrize("args, message", [
    (["run", "TINY", "--epochs", "ten"], "argument --epochs: invalid int value: 'ten' "
     "(forecast run --help lists the options)"),
    (["runn", "TINY"], "argument COMMAND: invalid choice: 'runn'. Did you mean \"run\"? "
     "(forecast COMMAND --help lists the options)"),
    (["run", "TINY", "--source", "yaho"], "invalid choice: 'yaho'. Did you mean \"yahoo\"?"),
    (["run"], "the following arguments are required: config (forecast run --help"),
    (["run", "TINY", "--bogus"], "unrecognized arguments: --bogus (forecast COMMAND"),
    (["run", "TINY", "--modles", "naive"],
     'unrecognized arguments: --modles naive. Did you mean "--models"? (forecast COMMAND'),
    (["sweep", "TINY", "--tickres", "A"], 'Did you mean "--tickers"?'),
])
def test_a_mistyped_command_line_is_one_line_and_exit_2(tiny_toml, capsys, args, message):
    with pytest.raises(SystemExit) as info:
        cli.main([str(tiny_toml) if a == "TINY" else a for a in args])
    err = capsys.readouterr().err.strip().splitlines()
    assert info.value.code == 2 and len(err) == 1  # no usage block: that is --help's
    assert err[0].startswith("forecast: error: ") and message in err[0]


def test_an_empty_tickers_flag_is_refused_not_read_as_the_file_s(tiny_toml, tmp_path,
                                                                 capsys):
    for given in ("", " , "):
        assert cli.main(["sweep", str(tiny_toml), "--tickers", given, "--out",
                         str(tmp_path), "--quiet"]) == 2
        assert capsys.readouterr().err.strip() == ("forecast: error: --tickers names no "
                                                   "ticker: e.g. --tickers ^GSPC,^IXIC")
    assert not any(tmp_path.iterdir())


def test_an_empty_out_is_refused_not_read_as_the_working_folder(tiny_toml, tmp_path,
                                                                 monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for command in ("run", "sweep"):
        assert cli.main([command, str(tiny_toml), "--models", "naive", "--out", "",
                         "--quiet"]) == 2
        assert capsys.readouterr().err.strip() == ("forecast: error: --out is empty: name a "
                                                   "folder, e.g. --out reports")
    assert not any(tmp_path.iterdir())  # no index.html, no run directory here


def test_models_flag_takes_commas_or_spaces_and_refuses_none(capsys):
    toml = "backtests/sp500_single_vs_stacked.toml"
    for given in ("drift,ridge", "drift, ridge", "drift ridge", " ridge,drift, "):
        assert set(args_of("run", toml, "--models", given).models) == {"drift", "ridge"}
    for given in ("", " , "):
        with pytest.raises(config.ForecastError, match="--models names no model: give a "
                           "comma-separated list, e.g. --models naive,ridge"):
            args_of("run", toml, "--models", given)
    from forecast.models import MODELS, Naive, register_model
    register_model("two words")(lambda **_: Naive())  # a plugin's name may hold a space
    try:
        assert set(args_of("run", toml, "--models", "two words, drift").models) == {
            "two words", "drift"}
    finally:
        MODELS.pop("two words")


def test_report_and_compare_say_what_a_path_is_instead_of_a_run(tiny_toml, tmp_path,
                                                                 capsys):
    import shutil
    out = tmp_path / "reports"
    assert cli.main(["run", str(tiny_toml), "--models", "naive", "--out", str(out),
                     "--quiet"]) == 0
    run_dir = Path(capsys.readouterr().out.strip().splitlines()[-1])
    for path, message in [
            (tmp_path / "nope", "does not exist: name a run directory, "
             "reports/<experiment>/<run-id>"),
            (tiny_toml, "is a file, not a run directory"),
            (out, f"holds runs but is not one: name one, e.g. {run_dir}"),
            (run_dir.parent, f"holds runs but is not one: name one, e.g. {run_dir}")]:
        for args in (["report", str(path)], ["compare", str(run_dir), str(path)]):
            assert cli.main(args) == 2, args
            err = capsys.readouterr().err.strip().splitlines()
            assert len(err) == 1 and err[0].startswith(f"forecast: error: {path} {message}")
    assert cli.main(["compare", str(run_dir), "-o", str(out)]) == 2
    assert capsys.readouterr().err.strip() == (f"forecast: error: -o {out} is a folder: name "
                                               f"the page's file, e.g. -o {out / 'compare.html'}")
    damaged = tmp_path / "damaged" / run_dir.name  # half-written files
    shutil.copytree(run_dir, damaged)
    for name, args in [("predictions.csv", ["report", str(damaged)]),
                       ("metrics.json", ["compare", str(run_dir), str(damaged)])]:
        (damaged / name).write_text("{x\n")
        assert cli.main(args) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith(f"forecast: error: {damaged} holds a "
                                                   "damaged run: ")
        assert err[0].endswith(f"; run it again: forecast run {damaged / 'experiment.toml'}")
    # a run copied out of its reports folder: its report, and no index.html two levels up
    copy = tmp_path / "elsewhere" / "mine" / "run"
    shutil.copytree(run_dir, copy)
    (copy / "report.html").unlink()
    assert cli.main(["report", str(copy)]) == 0
    assert (copy / "report.html").is_file()
    assert not (tmp_path / "elsewhere" / "index.html").exists()
    (out / "index.html").unlink()  # in its reports folder: the index is rebuilt as before
    (out / "index.html").write_text("old")
    assert cli.main(["report", str(run_dir)]) == 0
    assert run_dir.name in (out / "index.html").read_text()


def test_the_verdict_names_the_best_model_and_who_beat_each_baseline_significantly(tmp_path):
    from forecast import metrics, runs
    from test_report import make_run
    run_dir = make_run(tmp_path, models=("naive", "drift", "single_lstm", "stacked_lstm"))
    p = pd.read_csv(run_dir / "predictions.csv")
    rng = np.random.default_rng(5)
    at = {n: p.model == n for n in ("naive", "drift", "single_lstm", "stacked_lstm")}
    # single_lstm much closer than naive; drift a baseline far off; stacked_lstm naive + a
    # little noise: no better than naive, and better than drift by far
    p.loc[at["single_lstm"], "y_pred"] = p.y_true[at["single_lstm"]] + rng.normal(0, 0.2, 240)
    p.loc[at["drift"], "y_pred"] = p.y_last[at["drift"]] + rng.normal(0, 5, 240)
    p.loc[at["drift"], "seed"] = -1
    p.to_csv(run_dir / "predictions.csv", index=False)
    m = json.loads((run_dir / "metrics.json").read_text())
    e = {n: (p.y_pred - p.y_true)[at[n]].to_numpy() for n in at}
    for n in ("drift", "single_lstm", "stacked_lstm"):
        stat, pv = metrics.diebold_mariano(e[n], e["naive"])
        m["models"][n].update(rmse=float(np.sqrt(np.mean(e[n] ** 2))), dm_stat=stat,
                              dm_pvalue=pv, theil_u=float(np.sqrt(np.mean(e[n] ** 2)
                                                                  / np.mean(e["naive"] ** 2))))
    m["models"]["drift"]["seeds"] = []  # a baseline, as a real run's drift
    (run_dir / "metrics.json").write_text(json.dumps(m))
    result = runs.load(run_dir)
    lines = cli.verdict_lines(result)
    rmse = {n: f"{m['models'][n]['rmse']:.4f}" for n in m["models"]}
    assert lines[0] == (f"best RMSE: single_lstm {rmse['single_lstm']}, naive persistence "
                        f"{rmse['naive']}: beats it significantly (DM p < 0.001)")
    assert lines[1] == "beats naive persistence significantly (DM p < 0.05): single_lstm " \
                       "(p < 0.001)"
    # against drift: the same test on predictions.csv's days, recomputed here
    beat_drift = [n for n in ("naive", "single_lstm", "stacked_lstm")
                  if metrics.diebold_mariano(e[n], e["drift"])[1] < 0.05]
    assert beat_drift == ["naive", "single_lstm", "stacked_lstm"]
    assert lines[2] == ("beats drift significantly (DM p < 0.05): naive, single_lstm, "
                        "stacked_lstm (p < 0.001 each)")
    assert len(lines) == 3
    # nothing beats drift once its forecasts are naive's and the networks only add noise
    p.loc[at["drift"], "y_pred"] = p.y_last[at["drift"]]
    p.loc[at["single_lstm"], "y_pred"] = p.y_last[at["single_lstm"]] + rng.normal(0, 1, 240)
    p.to_csv(run_dir / "predictions.csv", index=False)
    lines = cli.verdict_lines(runs.load(run_dir))
    assert lines[-1] == "nothing beats drift significantly (DM p < 0.05)"


@pytest.mark.parametrize("target, models, label, baseline", [
    ("direction", {"naive": {}, "logistic": {}}, "Brier score", "climatology"),
    ("volatility", {"naive": {}, "garch": {}, "har": {}}, "QLIKE", "GARCH(1,1)"),
])
def test_the_verdict_ranks_by_the_target_s_own_score(tiny_experiment, target, models, label,
                                                     baseline):
    from forecast import walkforward
    result = walkforward.run_experiment(config.override(tiny_experiment, {
        "features.target": target, "models": models}), progress=False)
    scores = {n: m.scores[{"Brier score": "brier", "QLIKE": "qlike"}[label]]
              for n, m in result.models.items()}
    top = min(scores, key=scores.get)
    lines = cli.verdict_lines(result)
    assert lines[0].startswith(f"best {label}: " + (f"{baseline}, " if top in (
        "naive" if target == "direction" else "garch",) else f"{top} "))
    assert baseline in lines[0] and len(lines) in (2, 3)
