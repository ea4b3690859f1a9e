"""Run one benchmark model in its own subprocess: wall time and peak memory of the whole tree.

Peak memory is the larger of the child's own maximum resident set (`wait4`) and the largest sum
of resident sets over the child and its descendants, sampled every 0.1 s (statsforecast's
`n_jobs` and Prophet's Stan run in further processes).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

SAMPLE_S = 0.1


@dataclass(frozen=True)
class Measurement:
    wall_s: float
    peak_rss_mb: float
    returncode: int
    error: str | None
    setup_s: float | None = None
    compute_s: float | None = None


def run_measured(model: str, data_dir: Path, out: Path, trusts: list[str] | None = None,
                 timeout_s: float | None = None) -> Measurement:
    import psutil

    command = [sys.executable, "-m", "bench.peers.child", model, str(data_dir), str(out)]
    if trusts:
        command += ["--trusts", ",".join(trusts)]
    started = time.perf_counter()
    with open(out.with_suffix(".log"), "w") as log:
        child = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                 start_new_session=True)
        peak = _watch(psutil.Process(child.pid), child, started, timeout_s)
        _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    peak = max(peak, usage.ru_maxrss * 1024)  # Linux reports kilobytes
    error = None if code == 0 else _tail(out.with_suffix(".log"))
    if timeout_s is not None and wall > timeout_s and code != 0:
        error = f"stopped after the {timeout_s:.0f} s time limit"
    timing = json.loads(out.with_suffix(".json").read_text()) if code == 0 else {}
    return Measurement(round(wall, 2), round(peak / 2**20, 1), code, error,
                       timing.get("setup_s"), timing.get("compute_s"))


def _watch(process: object, child: subprocess.Popen[bytes], started: float,
           timeout_s: float | None) -> int:
    """Sample the tree's resident memory until the child exits (killed past the timeout)."""
    import psutil

    assert isinstance(process, psutil.Process)
    peak = 0
    while True:
        try:
            if process.status() == psutil.STATUS_ZOMBIE:
                return peak
            tree = [process, *process.children(recursive=True)]
            peak = max(peak, sum(_rss(p) for p in tree))
        except psutil.NoSuchProcess:
            return peak
        if timeout_s is not None and time.perf_counter() - started > timeout_s:
            os.killpg(child.pid, signal.SIGKILL)  # the child's own group: it and its workers
            return peak
        time.sleep(SAMPLE_S)


def _rss(process: object) -> int:
    import psutil

    assert isinstance(process, psutil.Process)
    try:
        return int(process.memory_info().rss)
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return 0


def _tail(log: Path, lines: int = 15) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
