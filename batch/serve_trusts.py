"""Every trust of a run gets a forecast: the model's where it could, a fallback (with the
reason recorded) everywhere else, and drivers for each, so one bad trust never costs the others
their forecasts."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import polars as pl

from batch.inputs import BatchInputs
from batch.modelling import ModelInUse, forecast_all, on_cluster
from forecast.drivers import baseline_drivers, explain
from forecast.fallback import fallback_forecast
from forecast.protocol import Forecaster, ModelInput, ModelName, TrustCode
from store.run_log import TRUST_ROW_SCHEMA

if TYPE_CHECKING:
    from forecast.scaleout.cluster import Cluster

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Served:
    forecasts: pl.DataFrame
    trusts: pl.DataFrame
    fallbacks: dict[TrustCode, str]
    drivers: pl.DataFrame

    @property
    def served_by_model(self) -> list[TrustCode]:
        return self.trusts.filter(pl.col("status") == "ok")["trust_code"].to_list()


def serve_trusts(model_name: ModelName, in_use: ModelInUse, inputs: BatchInputs, data: ModelInput,
           served_trusts: list[TrustCode], short: dict[TrustCode, str],
           cluster: Cluster | None = None) -> Served:
    """The model's forecasts where it could, fallbacks (with reasons) everywhere else."""
    problems = dict(short)
    frames: list[pl.DataFrame] = []
    drivers: list[pl.DataFrame] = []
    if in_use.model is None:
        problems.update({c: f"no model: {in_use.notes.get('retrain_failed')}"
                         for c in served_trusts})
    elif served_trusts:
        good, failed = forecast_all(on_cluster(in_use.model, cluster), data, served_trusts,
                                    inputs.as_of, inputs.horizon)
        frames.append(good)
        drivers.append(explain_quietly(in_use.model, data, good))
        problems.update(failed)
    version = None if in_use.version is None else in_use.version.version_id
    rows: list[tuple[str, str, str | None, str, str | None, date | None]] = [
        (c, model_name, version, "ok", None, None) for c in served_trusts if c not in problems
    ]
    for code, reason in sorted(problems.items()):
        log.warning("%s falls back: %s", code, reason, extra={"fields": {"trust": code}})
        history = inputs.data.attendances.filter(pl.col("trust_code") == code)
        fallback = fallback_forecast(history, inputs.as_of, inputs.horizon)
        frames.append(fallback.forecast)
        drivers.append(baseline_drivers(history, fallback.forecast))
        rows.append((code, fallback.model, None, "fallback", reason, None))
    trusts = pl.DataFrame(rows, schema=TRUST_ROW_SCHEMA, orient="row")
    return Served(pl.concat(frames).sort("trust_code", "date"), trusts.sort("trust_code"),
                  problems, pl.concat(drivers).sort("trust_code", "date"))


def explain_quietly(model: Forecaster, data: ModelInput, forecast: pl.DataFrame) -> pl.DataFrame:
    """The model's own drivers; if explaining fails, the baseline decomposition (logged): an
    explanation must never cost the night its forecasts."""
    try:
        return explain(model, data, forecast)
    except Exception:
        log.exception("explaining the forecasts failed; storing the baseline decomposition")
        return baseline_drivers(data.attendances, forecast)
