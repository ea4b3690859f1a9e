"""Bench: how far, and how reproducibly, `--dask` lands from one machine (its test:
tests/batch/test_scaleout.py).

The test's world (10 synthetic trusts x 2 years, seed 11; others with `--seeds`): the batch
(ensemble, 42 days from 42 days before the end, scored against the actuals) and the backtest
(snaive, ets, ensemble; 14 days, 6 origins, one refit) once on one machine, then `--runs` times,
each on a fresh LocalCluster (2 single-threaded worker processes, as the test starts). Each
distributed MAE is reported as its ratio to the single machine's, with the spread over the runs.

`--bagging-seeds 1,2,3` adds the yardstick: the same single-machine runs with only LightGBM's
`bagging_seed` changed (the distributed learner bags each worker's rows with its own stream, so
it cannot draw the single machine's bags). `--params JSON` changes the ensemble's LightGBM
parameters in both paths (e.g. '{"bagging_fraction": 1, "bagging_freq": 0}': no bagging, to see
what the bins alone do). Writes bench/results/scaleout_spread.json.

    .venv/bin/python -m bench.scaleout_spread [--runs 5] [--seeds 11] [--bagging-seeds 1,2,3,4,5]
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl

import forecast.catalog as catalog
from aeforecast.cli import main as cli
from batch.registry import ModelRegistry
from batch.runner import BatchOptions, run_batch
from contract.inputs import validate_attendances, validate_temperature
from forecast.protocol import Forecaster
from forecast.scaleout import Cluster, connect
from store import Store
from store.runs import latest_complete_run, read_run_forecast
from synthetic_data import SynthConfig, generate

RESULTS = Path(__file__).resolve().parent / "results" / "scaleout_spread.json"
END = date(2024, 6, 30)
HORIZON = 42
AS_OF = END - timedelta(days=HORIZON)
BACKTEST = ["--horizon", "14", "--origins", "6", "--refit-every", "6"]
World = tuple[pl.DataFrame, pl.DataFrame]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seeds", default="11", help="the synthetic worlds' seeds (default 11)")
    parser.add_argument("--trusts", type=int, default=10)
    parser.add_argument("--bagging-seeds", default="",
                        help="single-machine runs with these LightGBM bagging seeds")
    parser.add_argument("--params", type=json.loads, default={},
                        help="LightGBM parameters for the ensemble in both paths (JSON)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    started = time.perf_counter()
    with _ensemble_lgbm(args.params):
        worlds = [_one_world(args.trusts, int(seed), args.runs, _ints(args.bagging_seeds))
                  for seed in args.seeds.split(",")]
    result = {"trusts": args.trusts, "years": 2, "params": args.params, "worlds": worlds,
              "elapsed_s": round(time.perf_counter() - started, 1)}
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps([{k: w[k] for k in ("seed", "spread", "bagging_spread")} for w in worlds],
                     indent=2))
    return 0


def _one_world(trusts: int, seed: int, runs: int, bagging_seeds: list[int]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-spread-") as tmp:
        root = Path(tmp)
        world = _world(trusts, seed)
        world[0].write_parquet(root / "attendances.parquet")
        world[1].write_parquet(root / "temperature.parquet")
        single = _both(root / "single", world, None)
        ratios = []
        for i in range(runs):
            with connect("local", workers=2) as cluster:
                ratios.append(_ratios(single, _both(root / f"dask{i}", world, cluster)))
            print(seed, "dask", json.dumps(ratios[-1]), flush=True)
        bagging = {}
        for bagging_seed in bagging_seeds:
            with _ensemble_lgbm({"bagging_seed": bagging_seed}):
                run = _both(root / f"bagging{bagging_seed}", world, None)
            bagging[bagging_seed] = _ratios(single, run)
            print(seed, "bagging_seed", bagging_seed, json.dumps(bagging[bagging_seed]),
                  flush=True)
    return {"seed": seed, "single_mae": single, "runs": ratios, "spread": _spread(ratios),
            "bagging_seeds": bagging, "bagging_spread": _spread(list(bagging.values()))}


def _world(trusts: int, seed: int) -> World:
    data = generate(SynthConfig(trusts=trusts, years=2, end=END, seed=seed))
    return (validate_attendances(data.attendances, as_of=END),
            validate_temperature(data.temperature))


def _both(root: Path, world: World, cluster: Cluster | None) -> dict[str, float]:
    root.mkdir()
    return {"batch": _batch(root, world, cluster), **_backtest(root, cluster)}


def _batch(root: Path, world: World, cluster: Cluster | None) -> float:
    attendances, temperature = world
    with Store(f"sqlite:///{root / 'aeforecast.db'}") as store:
        store.migrate()
        store.ingest(attendances, temperature, source="bench")
        result = run_batch(store, ModelRegistry(root / "models"),
                           BatchOptions(as_of=AS_OF, horizon=HORIZON), cluster=cluster)
        assert result.ok, result
        run = latest_complete_run(store)
        assert run is not None
        trusts = sorted(attendances["trust_code"].unique().to_list())
        forecasts = pl.concat([
            read_run_forecast(store, run.run_id, code, AS_OF + timedelta(days=1), HORIZON)
            .with_columns(trust_code=pl.lit(code)) for code in trusts])
    joined = forecasts.join(attendances, on=["trust_code", "date"])
    return float(joined.select((pl.col("point") - pl.col("attendances")).abs().mean()).item())


def _backtest(root: Path, cluster: Cluster | None) -> dict[str, float]:
    out = root / "backtest"
    dask = [] if cluster is None else ["--dask", cluster.describe()["scheduler"]]
    with redirect_stdout(io.StringIO()):  # the command's own summary
        code = cli(["backtest", "--attendances", str(root.parent / "attendances.parquet"),
                    "--temperature", str(root.parent / "temperature.parquet"), *BACKTEST,
                    "--out", str(out), *dask])
    assert code == 0
    metrics = json.loads((out / "metrics.json").read_text())
    return {f"backtest_{name}": entry["mae"] for name, entry in metrics["models"].items()}


@contextmanager
def _ensemble_lgbm(params: dict[str, Any]) -> Iterator[None]:
    """The catalog's ensemble with `params` over its LightGBM's (the batch and the backtest
    build their models from the catalog)."""
    saved = catalog.MODELS["ensemble"]

    def build() -> Forecaster:
        model = saved()
        model.members["lgbm"].params.update(params)  # type: ignore[attr-defined]
        return model

    catalog.MODELS["ensemble"] = build
    try:
        yield
    finally:
        catalog.MODELS["ensemble"] = saved


def _ratios(single: dict[str, float], run: dict[str, float]) -> dict[str, float]:
    return {k: round(run[k] / single[k] - 1, 5) for k in single}


def _spread(ratios: list[dict[str, float]]) -> dict[str, list[float]]:
    if not ratios:
        return {}
    return {k: [min(r[k] for r in ratios), max(r[k] for r in ratios)] for k in ratios[0]}


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x]


if __name__ == "__main__":
    raise SystemExit(main())
