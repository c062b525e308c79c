"""Files that appear whole or not at all: the one way this package writes files.

A file or directory is written under a hidden temporary name, flushed to the disk
(``fsync``), and only then renamed into place, and the folder holding it is flushed too: a
kill, a crash or a power cut leaves the old version or the new one, never a part of one.
"""
from __future__ import annotations

import contextlib
import errno
import functools
import os
import re
import shutil
import socket
import tempfile
from pathlib import Path


def write_atomic(path, text: str) -> Path:
    """Write ``text`` to ``path`` in one step: readers see the old file or the new one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=_prefix(path.name), suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~umask())  # mkstemp makes it private; these files are shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
    return path


def temp_dir(parent, prefix: str) -> Path:
    """A new hidden directory in ``parent`` to fill and then :func:`publish`."""
    parent = Path(parent)
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=_prefix(prefix), suffix=".tmp", dir=parent))
    os.chmod(tmp, 0o777 & ~umask())  # mkdtemp makes it private; runs are for sharing
    return tmp


def publish(tmp, final) -> Path:
    """Rename the filled directory ``tmp`` to ``final`` after flushing everything in it.

    Raises ``FileExistsError`` when ``final`` exists already and is not empty (it is never
    overwritten).
    """
    tmp, final = Path(tmp), Path(final)
    for path in tmp.iterdir():
        if path.is_file():
            with open(path, "rb") as f:
                os.fsync(f.fileno())
    fsync_dir(tmp)
    try:
        os.rename(tmp, final)
    except OSError as e:
        if e.errno in (errno.EEXIST, errno.ENOTEMPTY):
            raise FileExistsError(errno.EEXIST, "exists already", str(final)) from None
        raise
    fsync_dir(final.parent)
    return final


@contextlib.contextmanager
def locked(path):
    """Hold an exclusive lock on the file ``path`` (created if missing) across processes."""
    import fcntl
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)  # released when the file closes, or the process dies
        yield


def one_at_a_time(lock_name: str):
    """Decorator: calls of ``f(folder, ...)`` on one folder run one after the other, also
    from several processes, so that a page listing the folder is written by the last call
    and lists what every call saw (two runs finishing at once both appear in the index)."""
    def wrap(f):
        @functools.wraps(f)
        def call(folder="reports", *args, **kwargs):
            with locked(Path(folder) / lock_name):
                return f(folder, *args, **kwargs)
        return call
    return wrap


def remove_stale(parent) -> None:
    """Remove what killed writers left in ``parent``: temporary files and directories of
    processes of this machine that no longer run (their names say which process wrote
    them, and on which machine)."""
    for tmp in Path(parent).glob(".*.tmp"):
        try:
            pid, host = tmp.name[:-4].rsplit(".", 1)[1].split("-")[0].split("@")
            if host != _host():
                continue  # another machine's (a shared folder): its processes are not here
            os.kill(int(pid), 0)
        except ValueError:
            continue  # not one of ours
        except ProcessLookupError:  # its writer is gone
            if tmp.is_dir():
                shutil.rmtree(tmp, ignore_errors=True)
            else:
                tmp.unlink(missing_ok=True)
        except OSError:
            continue  # alive, under another user


def _prefix(name: str) -> str:
    # hidden, and naming the writing process, so that remove_stale can tell a dead one's
    return f".{name}.{os.getpid()}@{_host()}-"


@functools.cache
def _host() -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", socket.gethostname())[:40] or "host"


def fsync_dir(path) -> None:
    """Flush a directory's entries (a rename in it) to the disk, where the OS allows it."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems refuse fsync on directories; nothing more to do
        pass
    finally:
        os.close(fd)


def umask() -> int:
    """The process's umask (read without changing it): the mode new files get."""
    mask = os.umask(0)
    os.umask(mask)
    return mask
