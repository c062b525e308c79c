"""Files that appear whole or not at all: the one way this package writes files.

A file or directory is written under a hidden temporary name, flushed to the disk
(``fsync``), and only then renamed into place, and the folder holding it is flushed too: a
kill, a crash or a power cut leaves the old version or the new one, never a part of one.
"""
from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path


def write_atomic(path, text: str) -> Path:
    """Write ``text`` to ``path`` in one step: readers see the old file or the new one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
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
    tmp = Path(tempfile.mkdtemp(prefix=f".{prefix}.", suffix=".tmp", dir=parent))
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
    mask = os.umask(0)
    os.umask(mask)
    return mask
