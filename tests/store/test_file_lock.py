"""The batch's lock file: exclusive, released by unlock and by the process's death (issue 21:
the store no longer imports `fcntl` at the top, which stopped it importing on Windows)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import store.run_log
from store._file_lock import try_lock, unlock

HOLD = """
import sys, time
from store._file_lock import try_lock
handle = open(sys.argv[1], "a+")
assert try_lock(handle)
print("held", flush=True)
time.sleep(60)
"""


def test_one_holder_at_a_time_and_unlock_frees_it(tmp_path: Path) -> None:
    path = tmp_path / "db.batch-lock"
    with path.open("a+") as first, path.open("a+") as second:
        assert try_lock(first)
        assert not try_lock(second)
        unlock(first)
        assert try_lock(second)
        unlock(second)


def test_a_killed_holder_leaves_the_lock_free(tmp_path: Path) -> None:
    path = tmp_path / "db.batch-lock"
    with subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE,
                          text=True) as holder:
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
            with path.open("a+") as mine:
                assert not try_lock(mine)
                holder.kill()
                holder.wait(timeout=10)
                assert try_lock(mine)  # SIGKILL: the operating system let go of it
                unlock(mine)
        finally:
            holder.kill()


def test_the_store_imports_no_posix_only_module_at_the_top() -> None:
    source = Path(store.run_log.__file__).read_text()
    assert "\nimport fcntl" not in source and "\nfrom fcntl" not in source
