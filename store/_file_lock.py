"""An exclusive lock on an open file that dies with the process, on POSIX and on Windows.

The batch's one-at-a-time lock on SQLite is a lock file beside the database. `fcntl` exists
only on POSIX (importing it at the top of a module stopped the whole store importing on
Windows, where analysts run the batch on laptops); Windows has `msvcrt.locking`, a lock on a
byte range of the file. Both are released by the operating system when the process dies,
SIGKILL included, so a dead batch never leaves the database locked.
"""

from __future__ import annotations

import sys
from typing import IO


def try_lock(handle: IO[str]) -> bool:
    """Take the lock without waiting: True if taken, False if another process holds it."""
    if sys.platform == "win32":
        import msvcrt

        handle.seek(0)
        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def unlock(handle: IO[str]) -> None:
    if sys.platform == "win32":
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
