"""What an oversized input costs before it is refused: a Parquet decompression bomb (a few
hundred kilobytes of zstd holding 30 million rows) given to `aeforecast ingest`.

    .venv/bin/python -m bench.input_limits

Prints and writes bench/results/input_limits.json: the file's size, the command's exit code,
wall time and peak memory (the child's maximum resident set).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROWS = 30_000_000
RESULTS = Path(__file__).parent / "results" / "input_limits.json"
WRITE = f"""
import sys
from datetime import date

import polars as pl

rows = pl.select(pl.int_range(0, {ROWS}).alias("i")).with_columns(
    trust_code=pl.lit("RXX"), date=pl.lit(date(2024, 1, 1)), attendances=pl.lit(312))
rows.drop("i").write_parquet(sys.argv[1], compression="zstd", compression_level=22)
"""


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        bomb = Path(tmp) / "bomb.parquet"
        # written by a child of its own: the ingest's peak memory must not inherit the writer's
        subprocess.run([sys.executable, "-c", WRITE, str(bomb)], check=True)
        env = {"AEF_DATABASE_URL": f"sqlite:///{Path(tmp) / 'aeforecast.db'}", "PATH": ""}
        started = time.monotonic()
        process = subprocess.Popen([sys.executable, "-m", "aeforecast.cli", "ingest",
                                    "--attendances", str(bomb)], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, env=env)
        _, status, usage = os.wait4(process.pid, 0)  # this child's own peak, not the writer's
        seconds = time.monotonic() - started
        stderr = process.stderr.read() if process.stderr else ""
        exit_code = os.waitstatus_to_exitcode(status)
        peak_mb = usage.ru_maxrss / 1024
        result = {"rows": ROWS, "file_kb": round(bomb.stat().st_size / 1024, 1),
                  "exit_code": exit_code, "seconds": round(seconds, 2),
                  "peak_mb": round(peak_mb, 1), "message": stderr.strip().splitlines()[-1]}
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0 if exit_code == 2 else 1


if __name__ == "__main__":
    sys.exit(main())
