import subprocess
import sys

import pandas as pd
import pytest

from forecast import config, runs, walkforward
from forecast.errors import ForecastError


@pytest.fixture
def warm_experiment(tiny_experiment):
    # three folds, dropout in the stacked network: resuming must restore every state
    return config.replace(tiny_experiment, **{"split.folds": 3, "split.initial_train": 250,
                                              "training.epochs": 2})


def test_killed_after_the_second_fold_resumes_to_identical_predictions(warm_experiment,
                                                                       tmp_path):
    whole = walkforward.run_experiment(warm_experiment, progress=False).predictions

    checkpoint = runs.Checkpoint.start(warm_experiment, tmp_path)
    save = checkpoint.save

    def save_then_die(fold, *args):
        save(fold, *args)
        if fold == 1:
            raise KeyboardInterrupt
    checkpoint.save = save_then_die
    with pytest.raises(KeyboardInterrupt):
        walkforward.run_experiment(warm_experiment, progress=False, checkpoint=checkpoint)
    assert sorted(checkpoint.finished()) == [0, 1]

    again = runs.Checkpoint.latest(warm_experiment, tmp_path)
    assert again.path == checkpoint.path
    resumed = walkforward.run_experiment(warm_experiment, progress=False, checkpoint=again)
    pd.testing.assert_frame_equal(resumed.predictions, whole)


def test_resume_with_other_settings_is_refused(warm_experiment, tmp_path):
    checkpoint = runs.Checkpoint.start(warm_experiment, tmp_path)
    checkpoint.save(0, [], {}, "sha")
    other = config.replace(warm_experiment, **{"training.epochs": 5})
    with pytest.raises(ForecastError, match="other settings .*epochs = 5"):
        runs.Checkpoint.latest(other, tmp_path)
    with pytest.raises(ForecastError, match="no unfinished run"):
        runs.Checkpoint.latest(config.replace(warm_experiment, name="x"), tmp_path)


def test_resume_on_changed_prices_is_refused(warm_experiment, tmp_path, short_prices):
    checkpoint = runs.Checkpoint.start(warm_experiment, tmp_path)
    checkpoint.save(0, [], {}, "not-the-same-prices")
    with pytest.raises(ForecastError, match="prices changed"):
        walkforward.run_experiment(warm_experiment, progress=False,
                                   checkpoint=runs.Checkpoint.latest(warm_experiment, tmp_path))


def test_a_failed_save_leaves_no_run_directory(tiny_experiment, tmp_path, monkeypatch):
    run = walkforward.run_experiment(tiny_experiment, progress=False)

    def broken(run_dir):
        raise RuntimeError("disk full")
    with pytest.raises(RuntimeError):
        runs.save(run, tmp_path, pages=broken)
    assert list((tmp_path / "tiny").iterdir()) == []
    assert runs.find(tmp_path) == []


def test_unwritable_output_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ForecastError, match="not a writable folder"):
        runs.check_writable(blocker / "reports")


def test_slug_keeps_paths_inside_the_output():
    assert runs.slug("../../etc/passwd") == "etc_passwd"
    assert runs.slug("<script>alert(1)</script>") == "script_alert_1_script"
    assert runs.slug("") == "experiment"


def test_resume_continues_the_latest_unfinished_run(warm_experiment, tmp_path):
    root = tmp_path / "tiny" / ".unfinished"
    for name in ("20250101-090000-7", "20240101-090000-9", "20260101-090000-8"):
        runs.Checkpoint(root / name, warm_experiment).save(0, [], {}, name)
    latest = runs.Checkpoint.latest(warm_experiment, tmp_path)
    assert latest.path == root / "20260101-090000-8"
    assert latest.finished()[0]["data_sha256"] == "20260101-090000-8"


def test_a_run_still_training_in_another_process_is_not_resumed(warm_experiment, tmp_path):
    settings = tmp_path / "exp.toml"
    settings.write_text(config.to_toml(warm_experiment), encoding="utf-8")
    code = ("import sys, time; from forecast import config, runs; "
            "exp = config.load_experiment(sys.argv[1]); "
            "c = runs.Checkpoint.start(exp, sys.argv[2]); c.save(0, [], {}, 'sha'); "
            "print('saved', flush=True); time.sleep(60)")
    writer = subprocess.Popen([sys.executable, "-c", code, str(settings), str(tmp_path)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "saved"
        with pytest.raises(ForecastError, match="still running in another process"):
            runs.Checkpoint.latest(warm_experiment, tmp_path)
    finally:
        writer.kill()
        writer.wait()
    # killed, its lock is gone with it: the run resumes
    assert runs.Checkpoint.latest(warm_experiment, tmp_path).finished()[0]["data_sha256"] == "sha"
