"""forecast.forked, in fresh interpreters: pytest's own process has threads and TensorFlow,
where while_doing rightly refuses to fork."""
import subprocess
import sys

import pytest

SETUP = """
import os, sys, time
from forecast import forked
from forecast.errors import ForecastError
parent, seen = os.getpid(), []
"""


def run(code: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", SETUP + code], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_the_work_runs_in_a_child_while_this_process_does_the_other_job():
    out = run("""
def other():
    time.sleep(0.3)
    seen.append(os.getpid())
pid, started = forked.while_doing(lambda: (os.getpid(), time.perf_counter()), other)
print(pid != parent, seen == [parent], time.perf_counter() - started > 0.25)
""")
    assert out == ["True", "True", "True"]  # in a child, and at the same time as other()


def test_the_childs_error_is_raised_here_with_its_one_line():
    out = run("""
def work():
    raise ForecastError("indicator sma: needs 20 rows")
try:
    forked.while_doing(work, lambda: None)
except ForecastError as e:
    print(str(e).replace(" ", "_"))
""")
    assert out == ["indicator_sma:_needs_20_rows"]


def test_a_child_killed_before_it_answers_is_an_error_not_a_hang():
    out = run("""
try:
    forked.while_doing(lambda: os.kill(os.getpid(), 9), lambda: None)
except ForecastError as e:
    print("ended without an answer" in str(e), "-9" in str(e))
""")
    assert out == ["True", "True"]


@pytest.mark.parametrize("unsafe", ["import tensorflow", "import threading; "
                                    "threading.Thread(target=time.sleep, args=(1,)).start()"])
def test_no_fork_where_it_is_unsafe(unsafe):
    out = run(unsafe + """
print(forked.while_doing(os.getpid, lambda: seen.append(1)) == parent, seen)
""")
    assert out == ["True", "[1]"]
