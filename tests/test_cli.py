import json
import subprocess
import sys
from pathlib import Path

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
    run_dir = Path(capsys.readouterr().out.strip().splitlines()[-1])
    m = json.loads((run_dir / "metrics.json").read_text())
    assert list(m["models"]) == ["naive"] and len(m["folds"]) == 3 and m["seed"] == 9


@pytest.mark.parametrize("args, message", [
    (["run", "missing.toml"], "experiment file missing.toml does not exist"),
    (["run", "TINY", "--models", "lstm"], 'unknown model "lstm"'),
    (["run", "TINY", "--ticker", "AAPL"], "the sample source has no ticker"),
    (["run", "TINY", "--csv", "nope.csv"], "CSV file nope.csv does not exist"),
    (["run", "TINY", "--folds", "0"], "split.folds must be at least 1"),
    (["run", "TINY", "--start", "2007-01-01"], "rows of prices;"),
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
    cli.main(["models"])
    assert "stacked_lstm" in capsys.readouterr().out


def test_console_script_help():
    out = subprocess.run([sys.executable, "-m", "forecast.cli", "run", "--help"],
                         capture_output=True, text=True, check=True).stdout
    assert "--ticker" in out and "--epochs" in out
    assert "experiment file" in out


def test_ctrl_c_keeps_finished_folds_and_prints_the_resume_command(tiny_toml, tmp_path,
                                                                   capsys, monkeypatch):
    from forecast import runs
    out = tmp_path / "reports"
    save = runs.Checkpoint.save

    def save_then_ctrl_c(self, fold, *args):
        save(self, fold, *args)
        raise KeyboardInterrupt
    monkeypatch.setattr(runs.Checkpoint, "save", save_then_ctrl_c)
    args = ["run", str(tiny_toml), "--out", str(out), "--quiet"]
    assert cli.main(args) == 130
    err = capsys.readouterr().err
    assert "finished folds are kept" in err
    assert err.strip().endswith(f"--out {out} --quiet --resume")
    assert runs.find(out) == []  # nothing in the finished-runs layout yet
    monkeypatch.setattr(runs.Checkpoint, "save", save)
    assert cli.main([*args, "--resume"]) == 0
    run_dir = Path(capsys.readouterr().out.strip().splitlines()[-1])
    assert runs.find(out) == [run_dir]
    assert not (out / "tiny_cli" / ".unfinished").exists()
