"""The two benchmark datasets, in the files a peer's subprocess reads.

- synthetic: `aeforecast synth` 150 trusts x 6 years ending 2026-03-31 (the data of
  `bench.backtest_synthetic`), temperature with perfect foresight, truth for the oracle.
- cardiff: the real Cardiff ED attendances with `temperature_forecast.csv` (what a forecaster
  could have known), as `aeforecast backtest` reads them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from bench.backtest_synthetic import synthesise
from forecast.backtest import backtest_origins
from forecast.protocol import ModelInput

HORIZON, N_ORIGINS, STEP = 14, 26, 7
SYNTH = {"trusts": 150, "years": 6, "end": "2026-03-31", "seed": 42}


@dataclass(frozen=True)
class Dataset:
    """What every model is run on: the input, the contract's origins, and the truth if known."""

    name: str
    data: ModelInput
    origins: list[date]
    truth: pl.DataFrame | None
    source: dict[str, object]


def cardiff_dir() -> Path:
    """shared/data/cardiff_ed beside the repository or any folder above it."""
    here = Path(__file__).resolve()
    for folder in here.parents:
        candidate = folder / "shared" / "data" / "cardiff_ed"
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"no shared/data/cardiff_ed beside any folder above {here}")


def prepare(name: str, workdir: Path) -> Path:
    """Write the dataset's files into `workdir` (created) and return it."""
    workdir.mkdir(parents=True, exist_ok=True)
    if name == "synthetic":
        synthesise(workdir, int(SYNTH["trusts"]), int(SYNTH["years"]), str(SYNTH["end"]),
                   int(SYNTH["seed"]))
        source: dict[str, object] = {"generator": "aeforecast synth", **SYNTH,
                                     "temperature": "perfect foresight (synth temperature)"}
    elif name == "cardiff":
        from contract.inputs import read_attendances, read_temperature

        folder = cardiff_dir()
        read_attendances(folder / "attendances.csv").write_parquet(
            workdir / "attendances.parquet")
        read_temperature(folder / "temperature_forecast.csv").write_parquet(
            workdir / "temperature.parquet")
        source = {"attendances": "shared/data/cardiff_ed/attendances.csv",
                  "temperature": "shared/data/cardiff_ed/temperature_forecast.csv (NWP "
                                 "forecasts, shortest lead)"}
    else:
        raise ValueError(f"unknown dataset {name!r}: synthetic or cardiff")
    (workdir / "source.json").write_text(json.dumps({"name": name, **source}))
    return workdir


def load(workdir: Path) -> Dataset:
    """The dataset `prepare` wrote, with the contract's origins for its last date."""
    source = json.loads((workdir / "source.json").read_text())
    attendances = pl.read_parquet(workdir / "attendances.parquet").select(
        "trust_code", "date", "attendances")
    temperature = pl.read_parquet(workdir / "temperature.parquet")
    truth_path = workdir / "truth.parquet"
    truth = pl.read_parquet(truth_path) if truth_path.exists() else None
    last = attendances["date"].max()
    assert isinstance(last, date)
    origins = backtest_origins(last, HORIZON, N_ORIGINS, STEP)
    return Dataset(source["name"], ModelInput(attendances, temperature), origins, truth, source)
