"""TensorFlow's start-up lines stay off a normal run's terminal; --debug may show them."""
import os
import subprocess
import sys

import pytest

# TF_ENABLE_ONEDNN_OPTS=1 makes TensorFlow print its oneDNN notice on any x86 CPU
ENV = {**os.environ, "TF_ENABLE_ONEDNN_OPTS": "1"}
ENV.pop("TF_CPP_MIN_LOG_LEVEL", None)


def stderr_of(*argv):
    done = subprocess.run([sys.executable, *argv], env=ENV, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stderr


def test_tensorflow_prints_its_notice_when_nothing_hides_it():
    assert "oneDNN custom operations" in stderr_of("-c", "import tensorflow")


@pytest.mark.slow
def test_a_run_shows_no_tensorflow_start_up_lines(tiny_toml_file, tmp_path):
    err = stderr_of("-m", "forecast.cli", "run", str(tiny_toml_file("quiet")), "--quiet",
                    "--out", str(tmp_path))
    assert "oneDNN" not in err and "absl" not in err and "cpu_feature_guard" not in err, err


def test_stderr_is_whole_again_after_the_quiet_import():
    err = stderr_of("-c", "from forecast.quiet import quiet_tensorflow; quiet_tensorflow(); "
                    "import sys; import tensorflow; print('still here', file=sys.stderr)")
    assert err.strip() == "still here"
