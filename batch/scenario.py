"""What if the weather were different? One trust's forecast re-run under other temperatures.

The served run's model version is loaded from the registry (AEF_MODEL_DIR) once per process and
kept; the run's inputs (attendances up to its as-of date, temperature to the end of its horizon,
nations) are read once per run and kept. A scenario then costs two predictions with the same
feature pipeline as the batch: the baseline (the run's own temperatures, so it reproduces the
served forecast unless data changed since) and the scenario (the trust's temperatures replaced
on the given days). Other trusts' temperatures are left alone: the model's population features
do not depend on temperature.

A trust served by seasonal naive (the ensemble's choice, or a fallback) has no temperature in
its model: its scenario is its baseline, and the answer says so.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from batch.inputs import load_inputs
from batch.registry import ModelRegistry
from contract.errors import InputError, ModelError, NoForecastError
from forecast.protocol import Forecaster, ModelInput, TrustCode
from store import Store
from store.runs import RunInfo, run_trusts

log = logging.getLogger(__name__)
INSENSITIVE = ("{code} is served by {member}, which has no temperature sensitivity: the "
               "scenario forecast is the baseline")
UNAVAILABLE = ("the served model version {version} cannot be loaded by this server (is "
               "AEF_MODEL_DIR the batch's?): no scenario was computed; the baseline is shown")


@dataclass(frozen=True)
class ScenarioResult:
    trust_code: str
    model: str
    member: str
    baseline: pl.DataFrame   # date, point, lo80, hi80, lo95, hi95, temperature_c
    scenario: pl.DataFrame   # the same under the scenario's temperatures
    note: str | None
    computed: bool = True    # False: the model could not be loaded; scenario = baseline


class ScenarioEngine:
    """Per process: the served model version and the run's inputs, loaded once, reused."""

    def __init__(self, store: Store, model_dir: Path) -> None:
        self.store = store
        self.registry = ModelRegistry(model_dir)
        self._lock = threading.Lock()  # one scenario at a time per process: each is CPU-bound
        self._model: tuple[str, Forecaster] | None = None
        self._inputs: tuple[str, ModelInput] | None = None

    def run(self, run: RunInfo, trust_code: TrustCode, temperatures: Mapping[date, float]
            ) -> ScenarioResult:
        with self._lock:
            served = run_trusts(self.store, run.run_id).filter(pl.col("trust_code") == trust_code)
            if served.is_empty():
                raise NoForecastError(f"the served run {run.run_id} has no forecast for "
                                      f"{trust_code}")
            row = served.row(0, named=True)
            data = self._run_inputs(run)
            if row["status"] != "ok" or row["model_version"] is None:
                note = INSENSITIVE.format(code=trust_code, member=f"the {row['model']} fallback")
                return self._without_model(run, trust_code, row["model"], data, temperatures,
                                           note)
            try:
                model = self._load(run.model, row["model_version"])
            except ModelError as exc:
                log.warning("what-if for %s without a model: %s", trust_code, exc)
                note = UNAVAILABLE.format(version=row["model_version"])
                return self._without_model(run, trust_code, row["model"], data, {}, note,
                                           computed=False)
            baseline = _predict(model, data, run, trust_code)
            member = getattr(model, "last_members", {}).get(trust_code, run.model)
            if member == "snaive":
                note = INSENSITIVE.format(code=trust_code, member="seasonal naive")
                return ScenarioResult(trust_code, run.model, member, baseline,
                                      _with_temperature(baseline, temperatures), note)
            changed = with_temperatures(data, trust_code, temperatures)
            scenario = _predict(model, changed, run, trust_code)
            return ScenarioResult(trust_code, run.model, member, baseline, scenario, None)

    def stored_temperatures(self, run: RunInfo, trust_code: TrustCode, days: list[date]
                            ) -> dict[date, float]:
        """The run's temperatures of the trust on those days (for a shift such as +5 C)."""
        with self._lock:
            return baseline_temperatures(self._run_inputs(run), trust_code, days)

    def _without_model(self, run: RunInfo, code: str, model: str, data: ModelInput,
                       temperatures: Mapping[date, float], note: str, computed: bool = True,
                       ) -> ScenarioResult:
        """The served forecast as the baseline, and as the scenario (with its temperatures)."""
        from store.runs import read_run_forecast

        days = read_run_forecast(self.store, run.run_id, code, run.as_of, run.horizon + 1)
        baseline = _attach_temperature(days.drop("horizon", "model_version"), data, code)
        return ScenarioResult(code, model, model, baseline,
                              _with_temperature(baseline, temperatures), note, computed)

    def _load(self, model_name: str, version_id: str) -> Forecaster:
        if self._model is not None and self._model[0] == version_id:
            return self._model[1]
        found = next((v for v in self.registry.versions(model_name)
                      if v.version_id == version_id), None)
        if found is None:
            raise ModelError(f"model version {version_id} of {model_name} is not under "
                             f"{self.registry.root}; the what-if needs the served artefact")
        model = self.registry.load(found)
        self._model = (version_id, model)
        log.info("loaded model %s %s for what-if scenarios", model_name, version_id)
        return model

    def _run_inputs(self, run: RunInfo) -> ModelInput:
        if self._inputs is None or self._inputs[0] != run.run_id:
            self._inputs = (run.run_id, load_inputs(self.store, run.as_of, run.horizon).data)
        return self._inputs[1]


def check_window(run: RunInfo, temperatures: Mapping[date, float], field: str) -> None:
    """Scenario days must be forecast days of the run: InputError naming the field."""
    first, last = run.as_of + timedelta(days=1), run.as_of + timedelta(days=run.horizon)
    for i, day in enumerate(sorted(temperatures)):
        if not first <= day <= last:
            raise InputError(f"{field}[{i}].date: {day} is outside the forecast window "
                             f"{first} to {last} of the served run")


def with_temperatures(data: ModelInput, trust_code: TrustCode,
                      temperatures: Mapping[date, float]) -> ModelInput:
    """The same input with the trust's temperature replaced (or added) on the given days."""
    new = pl.DataFrame({"trust_code": trust_code, "date": list(temperatures),
                        "temperature_c": [float(v) for v in temperatures.values()]},
                       schema={"trust_code": pl.String, "date": pl.Date,
                               "temperature_c": pl.Float64})
    old = data.temperature
    if old is None:
        return ModelInput(data.attendances, new, data.nations)
    kept = old.filter(~((pl.col("trust_code") == trust_code)
                        & pl.col("date").is_in(list(temperatures))))
    merged = pl.concat([kept, new.cast(old.schema)]).sort("trust_code", "date")
    return ModelInput(data.attendances, merged, data.nations)


def baseline_temperatures(data: ModelInput, trust_code: TrustCode, days: list[date]
                          ) -> dict[date, float]:
    """The stored temperature of the trust on those days (where one is stored)."""
    if data.temperature is None:
        return {}
    rows = data.temperature.filter(pl.col("trust_code") == trust_code,
                                   pl.col("date").is_in(days))
    return dict(zip(rows["date"], rows["temperature_c"], strict=True))


def _predict(model: Forecaster, data: ModelInput, run: RunInfo, code: str) -> pl.DataFrame:
    out = model.predict(data, run.as_of, run.horizon).filter(pl.col("trust_code") == code)
    if out.is_empty():
        raise ModelError(f"the served model returned no forecast for {code}")
    days = out.select("date", "point", "lo80", "hi80", "lo95", "hi95").sort("date")
    return _attach_temperature(days, data, code)


def _attach_temperature(days: pl.DataFrame, data: ModelInput, code: str) -> pl.DataFrame:
    known = baseline_temperatures(data, code, days["date"].to_list())
    return days.with_columns(temperature_c=pl.Series(
        [known.get(d) for d in days["date"].to_list()], dtype=pl.Float64))


def _with_temperature(days: pl.DataFrame, temperatures: Mapping[date, float]) -> pl.DataFrame:
    """The same forecast, showing the scenario's temperatures (a model without temperature)."""
    return days.with_columns(temperature_c=pl.Series([
        temperatures.get(d, t) for d, t in zip(days["date"], days["temperature_c"], strict=True)
    ], dtype=pl.Float64))
