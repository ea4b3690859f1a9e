"""Run every benchmark in turn (what `make bench` does); each writes bench/results/*.json.

Run them on a quiet machine: the figures are wall times on 2 cores.
"""

from __future__ import annotations

import subprocess
import sys

BENCHES = ["bench.backtest_synthetic", "bench.peers", "bench.batch", "bench.api_load",
           "bench.hourly_calibration", "bench.exceedance_calibration", "bench.drivers_whatif",
           "bench.hierarchy", "bench.engine_age", "bench.winter_errors"]


def main() -> int:
    failed = []
    for module in BENCHES:
        print(f"== {module}", flush=True)
        if subprocess.run([sys.executable, "-m", module], check=False).returncode != 0:
            failed.append(module)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
