"""Two single-threaded jobs on two cores: one in a forked child while this process does the
other.

Python threads do not help there: importing TensorFlow and computing indicators both hold
the interpreter lock (W1 took longer with a thread than without). A forked child starts
with this process' memory, computes, and sends its result back through a pipe.
"""
from __future__ import annotations

import os
import pickle
import sys
import threading

from forecast.errors import ForecastError, one_line


def while_doing(work, other):
    """``work()``, computed in a forked child while this process runs ``other()``.

    ``work``'s result, or the exception it raised, comes back pickled (a ForecastError keeps
    its one line). One after the other where forking is not safe: no ``os.fork``, Python
    threads running, or TensorFlow imported (its own threads may hold locks a child would
    wait on forever).
    """
    if not hasattr(os, "fork") or threading.active_count() > 1 or "tensorflow" in sys.modules:
        other()
        return work()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read)
        _send(write, work)
    os.close(write)
    try:
        other()
    finally:
        with os.fdopen(read, "rb") as pipe:
            sent = pipe.read()
        _, status = os.waitpid(pid, 0)
    if not sent:  # killed (out of memory, say) before it could answer
        raise ForecastError(f"the process computing in parallel ended without an answer "
                            f"(exit status {os.waitstatus_to_exitcode(status)}): run again")
    ok, value = pickle.loads(sent)
    if ok:
        return value
    raise value


def _send(fd, work):
    try:
        try:
            answer = (True, work())
        except BaseException as e:  # noqa: BLE001: the parent raises it, whatever it is
            answer = (False, e)
        try:
            data = pickle.dumps(answer)
        except Exception as e:  # an exception (or a result) that cannot be pickled
            data = pickle.dumps((False, ForecastError(one_line(e))))
        with os.fdopen(fd, "wb") as pipe:
            pipe.write(data)
    finally:
        os._exit(0)  # whatever happened: the parent's code, teardown and exit handlers
        #             are the parent's alone
