"""The example experiments and scripts in backtests/ work as the README says."""
import subprocess
import sys
from pathlib import Path

import pytest

from forecast import config

BACKTESTS = Path(__file__).resolve().parent.parent / "backtests"


@pytest.mark.parametrize("path", sorted(BACKTESTS.glob("*.toml")), ids=lambda p: p.name)
def test_every_experiment_file_loads(path):
    exp = config.load_experiment(path)
    assert exp.models and config.load_experiment(path) == exp


def test_the_plugin_experiment_finds_its_plugin_next_to_it():
    exp = config.load_experiment(BACKTESTS / "sp500_with_plugin.toml")
    assert exp.plugins == (str(BACKTESTS / "my_plugin.py"),)
    assert "gradient_boosting" in exp.models


@pytest.mark.slow
def test_the_python_script_runs_offline_and_writes_a_report(tmp_path):
    done = subprocess.run([sys.executable, str(BACKTESTS / "own_indicator_and_model.py")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    run_dir = Path(tmp_path / done.stdout.strip().splitlines()[-1])
    assert (run_dir / "report.html").is_file() and (run_dir / "metrics.json").is_file()
    assert "mean_return" in done.stdout and "theil_u" in done.stdout
    assert "Traceback" not in done.stderr
