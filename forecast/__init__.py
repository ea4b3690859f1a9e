"""Models, backtesting and evaluation."""

import os

# LightGBM's OpenMP threads spin while waiting by default; on a 2-core machine shared with a
# web server or another job that spinning made training 10x slower. Passive waiting costs
# nothing when the machine is idle. Must be set before lightgbm is first imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
