"""Scale-out on Dask: the batch and the backtest across many machines, partitioned by trust.

Only imported under `--dask ADDRESS` (`aeforecast batch`, `aeforecast backtest`); without it
nothing here, and nothing of Dask, is imported. Install with `pip install 'ae-forecast[dask]'`.

How the work is split (one partition = a contiguous slice of the sorted trust codes):

- the input is scattered to the workers once per call, one `ModelInput` per partition, each to
  the same worker every run (neighbouring partitions together, workers in address order), and
  work on a partition runs where it is;
- features are built with Polars on the workers, per partition. The pipeline is per trust except
  the national (whole-population) momentum and yearly ratios: each partition reduces its trusts
  to per-date sums (`features.pipeline.national_sums`), the client adds them up
  (`national_from_sums`, a few thousand rows) and broadcasts the national frame back, so every
  partition sees the same national features as a single machine would. This is the one
  cross-trust dependency;
- the global LightGBM is trained by `lightgbm.dask` (data-parallel: every worker builds
  histograms of its rows, LightGBM's own network sums them) with the same parameters, the same
  `log(base)` offset as `init_score` and the very training rows one machine draws (each
  partition takes its trusts' share of one machine's random horizons); the result is an
  ordinary booster, the same on every run;
- forecasts, seasonal-naive holdouts and per-trust ETS/ARIMAX fits are mapped over the workers;
  residuals are gathered so intervals are calibrated on the whole pool, as on one machine.

`distribute(model, cluster)` wraps a model so its fit and predict run on the cluster;
`localise(model)` unwraps a fitted one into the ordinary model the registry stores (so a model
trained on Dask is loaded and served without Dask).
"""

from forecast.scaleout.cluster import Cluster, connect
from forecast.scaleout.models import distribute, localise

__all__ = ["Cluster", "connect", "distribute", "localise"]
