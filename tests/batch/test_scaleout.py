"""`--dask`: the batch and the backtest on a real LocalCluster give what one machine gives.

Two single-threaded worker processes (as `--dask local` starts on this machine): LightGBM's
distributed training needs one process per worker, so threads would not be honest.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from support.batch_world import END, World, assert_whole, latest, world

from aeforecast.cli import main
from batch.registry import ModelRegistry
from batch.runner import BatchOptions, run_batch
from features.pipeline import (
    national_from_sums,
    national_sums,
    prepare,
    training_rows,
    training_targets,
)
from forecast.lgbm import LOOKBACK_DAYS, GlobalLightGBM
from forecast.protocol import ModelInput
from forecast.scaleout import Cluster, connect
from forecast.scaleout.cluster import placement, split_by_trust
from forecast.scaleout.features import _prepare_local, _with_national
from forecast.scaleout.lgbm import DaskLightGBM, draws_by_partition
from store import Store
from store.runs import read_run_forecast, run_trusts

pytestmark = pytest.mark.slow  # Dask clusters started per test

TRUSTS = 10
AS_OF = END - timedelta(days=42)  # the 42 days after it hold actuals to score against
HORIZON = 42
# The bar. The distributed path is deterministic: on this world its batch MAE is 0.62%
# below one machine's and the backtest ensemble's 0.06% below, on every run (bench.scaleout_spread).
# It is not 0 because LightGBM's data-parallel learner bags and bins each worker's rows itself;
# on other seeds of this small world the gap reached +2% (docs/benchmarks.md, "Scale-out on Dask").
MAE_TOLERANCE = 0.01


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    with connect("local", workers=2) as running:
        yield running


@pytest.fixture(scope="module")
def data() -> World:
    return world(trusts=TRUSTS, years=2)


def stored_forecasts(store: Store, data: World) -> pl.DataFrame:
    run = latest(store)
    frames = [read_run_forecast(store, run.run_id, code, run.as_of + timedelta(days=1), 400)
              .with_columns(trust_code=pl.lit(code)) for code in data.trusts]
    return pl.concat(frames)


def batch_forecasts(store: Store, data: World, models: Path, cluster: Cluster | None
                    ) -> pl.DataFrame:
    store.ingest(data.attendances, data.temperature, source="test")
    options = BatchOptions(as_of=AS_OF, horizon=HORIZON)
    result = run_batch(store, ModelRegistry(models), options, cluster=cluster)
    assert result.ok and result.retrained
    assert_whole(store, latest(store), data.trusts)
    return stored_forecasts(store, data)


def mae(forecasts: pl.DataFrame, data: World) -> float:
    actual = data.attendances.select("trust_code", "date", "attendances")
    joined = forecasts.join(actual, on=["trust_code", "date"], how="inner")
    assert joined.height == forecasts.height  # every forecast day has its actual
    return float(joined.select((pl.col("point") - pl.col("attendances")).abs().mean()).item())


@pytest.fixture(scope="module")
def single_machine(data: World, tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    """The reference: the same batch on one machine (an SQLite store of its own)."""
    root = tmp_path_factory.mktemp("single")
    with Store(f"sqlite:///{root / 'aeforecast.db'}") as store:
        store.migrate()
        return batch_forecasts(store, data, root / "models", None)


def test_the_distributed_batch_forecasts_like_one_machine(
    store: Store, tmp_path: Path, cluster: Cluster, data: World, single_machine: pl.DataFrame,
) -> None:
    distributed = batch_forecasts(store, data, tmp_path / "models", cluster)
    assert distributed.columns == single_machine.columns
    assert distributed.schema == single_machine.schema
    keys = ["trust_code", "date"]
    assert distributed.select(keys).sort(keys).equals(single_machine.select(keys).sort(keys))
    single, spread = mae(single_machine, data), mae(distributed, data)
    assert spread == pytest.approx(single, rel=MAE_TOLERANCE), (single, spread)
    run = latest(store)
    assert set(run_trusts(store, run.run_id)["status"]) == {"ok"}
    assert run.metadata["dask"]["workers"] == 2
    assert sorted(run.metadata["expected_mae"]["trust_member"]) == data.trusts
    # the stored artefact is an ordinary model: the next night loads it without Dask
    version = ModelRegistry(tmp_path / "models").versions("ensemble")[0]
    assert b"scaleout" not in (version.path / "model.pkl").read_bytes()


def test_the_distributed_backtest_writes_the_same_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    cluster: Cluster, data: World,
) -> None:
    """The command as an operator runs it, here against the scheduler's address (a remote
    cluster, as far as the command knows)."""
    monkeypatch.chdir(tmp_path)
    data.attendances.write_parquet("attendances.parquet")
    data.temperature.write_parquet("temperature.parquet")
    common = ["backtest", "--attendances", "attendances.parquet", "--temperature",
              "temperature.parquet", "--horizon", "14", "--origins", "6", "--refit-every", "6"]
    scheduler = cluster.describe()["scheduler"]
    outputs = {}
    for name, extra in {"single": [], "dask": ["--dask", scheduler]}.items():
        assert main([*common, "--out", name, *extra]) == 0
        assert capsys.readouterr().out.startswith(f"wrote {name}/forecasts.parquet")
        outputs[name] = (pl.read_parquet(tmp_path / name / "forecasts.parquet"),
                         json.loads((tmp_path / name / "metrics.json").read_text()))
    (single, single_metrics), (dask, dask_metrics) = outputs["single"], outputs["dask"]
    assert dask.schema == single.schema
    keys = ["model", "trust_code", "origin", "horizon"]
    assert dask.select(keys).equals(single.select(keys))
    assert dask_metrics.keys() == single_metrics.keys()
    assert list(dask_metrics["models"]) == list(single_metrics["models"]) == [
        "snaive", "ets", "ensemble"]
    for name, entry in single_metrics["models"].items():
        assert dask_metrics["models"][name].keys() == entry.keys()
        assert dask_metrics["models"][name]["mae"] == pytest.approx(entry["mae"],
                                                                    rel=MAE_TOLERANCE), name
    assert (tmp_path / "dask" / "report.html").stat().st_size > 0


def test_placement_keeps_neighbouring_partitions_together_in_address_order() -> None:
    workers = {"tcp://10.0.0.2:1": 1, "tcp://10.0.0.1:9": 2}
    assert placement(workers, 6) == ["tcp://10.0.0.1:9"] * 4 + ["tcp://10.0.0.2:1"] * 2
    assert placement(workers, 2) == ["tcp://10.0.0.1:9", "tcp://10.0.0.2:1"]
    assert placement(workers, 1) == ["tcp://10.0.0.1:9"]


def test_partitions_train_on_the_rows_one_machine_draws(data: World) -> None:
    """Each partition draws no horizons of its own: it takes its trusts' columns of one
    machine's draws, so the partitions' rows together are one machine's rows."""
    model = GlobalLightGBM()
    inputs = ModelInput(data.attendances.filter(pl.col("date") <= AS_OF), data.temperature)
    plan = model.plan(TRUSTS)
    first_target = AS_OF - timedelta(days=plan.train_days)
    since = first_target - timedelta(days=model.max_horizon + LOOKBACK_DAYS)
    whole = prepare(inputs.attendances.filter(pl.col("date") >= since), inputs.temperature,
                    AS_OF, model.max_horizon, None, model.features)
    one_machine = training_rows(whole, model.max_horizon, first_target, plan.per_target,
                                seed=model.params["seed"])
    parts = [_prepare_local(part, since, AS_OF, model.max_horizon, model.features)
             for part in split_by_trust(inputs, 4)]
    national = national_from_sums(pl.concat([national_sums(p.history, model.features)
                                             for p in parts if p is not None]), model.features)
    parts = [_with_national(p, national) for p in parts]
    counts = [training_targets(p, first_target).height for p in parts if p is not None]
    draws = draws_by_partition(model.params["seed"], plan.per_target, counts, model.max_horizon)
    partitioned = pl.concat([training_rows(p, model.max_horizon, first_target, plan.per_target,
                                           draws=d) for p, d in zip(parts, draws, strict=True)
                             if p is not None])
    assert len(counts) == 4
    assert_frame_equal(partitioned, one_machine, rel_tol=1e-12)  # national sums: float order


def test_the_distributed_booster_is_the_same_every_time(cluster: Cluster, data: World) -> None:
    """Two fits, each scattering its own copy of the input, grow the same trees: the same
    workers hold the same rows, and LightGBM numbers its machines the same way."""
    inputs = ModelInput(data.attendances.filter(pl.col("date") <= AS_OF), data.temperature)
    trees = []
    for _ in range(2):
        model = DaskLightGBM(GlobalLightGBM(refit_after_calibration=False), cluster)
        model.fit(ModelInput(inputs.attendances.clone(), inputs.temperature))
        assert model.inner.booster is not None
        trees.append(model.inner.booster.dump_model()["tree_info"])
    assert trees[0] == trees[1]


NO_DASK = """
import sys
from aeforecast.cli import main
code = main(sys.argv[1:])
leaked = sorted(m for m in sys.modules if m.split(".")[0] in {"dask", "distributed"})
assert code in (0, 1) and not leaked, (code, leaked)
"""


def test_without_dask_nothing_of_dask_is_imported(tmp_path: Path) -> None:
    small = world()
    small.attendances.write_parquet(tmp_path / "attendances.parquet")
    url = f"sqlite:///{tmp_path / 'aeforecast.db'}"
    with Store(url) as store:
        store.migrate()
        store.ingest(small.attendances, source="test")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AEF_")}
    env.update(AEF_DATABASE_URL=url, AEF_MODEL_DIR=str(tmp_path / "models"))
    batch = ["batch", "--as-of", str(END), "--horizon", "7", "--model", "snaive"]
    backtest = ["backtest", "--attendances", "attendances.parquet", "--out", "bt",
                "--horizon", "7", "--origins", "2", "--models", "snaive"]
    for args in (batch, backtest):
        result = subprocess.run([sys.executable, "-c", NO_DASK, *args], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, (args, result.stderr[-2000:])


def test_an_unreachable_scheduler_is_bad_usage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    world().attendances.write_parquet("attendances.parquet")
    code = main(["backtest", "--attendances", "attendances.parquet", "--out", "bt",
                 "--horizon", "7", "--origins", "2", "--models", "snaive",
                 "--dask", "tcp://127.0.0.1:9"])
    assert code == 2
    assert "--dask tcp://127.0.0.1:9: cannot reach a Dask scheduler" in capsys.readouterr().err
    assert not (tmp_path / "bt").exists()
