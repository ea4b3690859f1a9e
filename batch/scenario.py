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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from batch.inputs import load_inputs
from batch.registry import ModelRegistry
from contract.errors import InputError, ModelError
from forecast.protocol import Forecaster, ModelInput, TrustCode
from store import Store
from store.runs import RunInfo
from store.served import DAY_FIELDS

log = logging.getLogger(__name__)
INSENSITIVE = ("{code} is served by {member}, which has no temperature sensitivity: the "
               "scenario forecast is the baseline")
UNAVAILABLE = ("the served model version {version} cannot be loaded by this server (is "
               "AEF_MODEL_DIR the batch's?): no scenario was computed; the baseline is shown")


@dataclass(frozen=True)
class Shift:
    """`delta_c` added to the run's stored temperatures of the trust, `start` to `end`."""

    start: date
    end: date
    delta_c: float

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


Asked = Mapping[date, float] | Shift  # a temperature per day, or a shift of the stored ones


@dataclass(frozen=True)
class ServedDays:
    """How the run served the trust, and its days from `first` on (DAY_FIELDS each), as the
    API holds them: a trust without a model gets them back as its baseline, unread."""

    model: str
    model_version: str | None
    status: str
    first: date
    values: Sequence[tuple[float, ...]]


@dataclass(frozen=True)
class DayValues:
    point: float
    lo80: float
    hi80: float
    lo95: float
    hi95: float
    temperature_c: float | None


@dataclass(frozen=True)
class ScenarioDayResult:
    """One forecast day, baseline beside scenario (2 decimals, as served)."""

    date: date
    baseline: DayValues
    scenario: DayValues
    difference: float
    changed: bool


@dataclass(frozen=True)
class ScenarioResult:
    trust_code: str
    model: str
    member: str
    baseline: pl.DataFrame   # date, point, lo80, hi80, lo95, hi95, temperature_c
    scenario: pl.DataFrame   # the same under the scenario's temperatures
    note: str | None
    computed: bool = True    # False: the model could not be loaded; scenario = baseline
    changed: frozenset[date] = frozenset()  # the days whose temperature the scenario set

    @property
    def days(self) -> list[ScenarioDayResult]:
        before = {row["date"]: row for row in self.baseline.iter_rows(named=True)}
        return [
            ScenarioDayResult(row["date"], _values(before[row["date"]]), _values(row),
                              round(row["point"] - before[row["date"]]["point"], 2),
                              row["date"] in self.changed)
            for row in self.scenario.iter_rows(named=True)
        ]


class ScenarioEngine:
    """Per process: the served model version and the run's inputs, loaded once, reused."""

    def __init__(self, store: Store, model_dir: Path) -> None:
        self.store = store
        self.registry = ModelRegistry(model_dir)
        self._lock = threading.Lock()  # one scenario at a time per process: each is CPU-bound
        self._model: tuple[str, Forecaster] | None = None
        self._inputs: tuple[str, ModelInput] | None = None

    def run(self, run: RunInfo, trust_code: TrustCode, asked: Asked, served: ServedDays
            ) -> ScenarioResult:
        """The trust's forecast under the temperatures asked for, beside the baseline.

        `served`: how the run served the trust, from the API's memory. InputError for
        days outside the run's window, or a shift of days with no stored temperature.
        """
        window = _window(run, asked)
        with self._lock:
            data = self._run_inputs(run)
            temperatures = _temperatures(asked, data, trust_code)
            changed = frozenset(temperatures)
            note: str | None
            known = baseline_temperatures(data, trust_code, window)
            if served.status != "ok" or served.model_version is None:
                note = INSENSITIVE.format(code=trust_code, member=f"the {served.model} fallback")
                return self._without_model(served, trust_code, known, temperatures, note,
                                           changed)
            try:
                model = self._load(run.model, served.model_version)
            except ModelError as exc:
                log.warning("what-if for %s without a model: %s", trust_code, exc)
                note = UNAVAILABLE.format(version=served.model_version)
                return self._without_model(served, trust_code, known, {}, note, changed,
                                           computed=False)
            inputs = (data, with_temperatures(data, trust_code, temperatures))
            baseline, scenario, member = _predict(model, inputs, run, trust_code)
            note = None
            if member == "snaive":
                note = INSENSITIVE.format(code=trust_code, member="seasonal naive")
                scenario = baseline.with_columns(temperature_c=pl.Series(
                    [temperatures.get(d, t) for d, t in baseline.select("date", "temperature_c")
                     .iter_rows()], dtype=pl.Float64))
            return ScenarioResult(trust_code, run.model, member, baseline, scenario, note,
                                  changed=changed)

    def _without_model(self, served: ServedDays, code: str, known: dict[date, float],
                       temperatures: Mapping[date, float], note: str, changed: frozenset[date],
                       computed: bool = True) -> ScenarioResult:
        """The served forecast as the baseline, and as the scenario (with its temperatures)."""
        dates = [served.first + timedelta(days=i) for i in range(len(served.values))]
        baseline = pl.DataFrame(
            [(d, *v, known.get(d)) for d, v in zip(dates, served.values, strict=True)],
            schema={"date": pl.Date, **dict.fromkeys(DAY_FIELDS, pl.Float64),
                    "temperature_c": pl.Float64}, orient="row")
        scenario = baseline.with_columns(temperature_c=pl.Series(
            [temperatures.get(d, known.get(d)) for d in dates], dtype=pl.Float64))
        return ScenarioResult(code, served.model, served.model, baseline, scenario, note,
                              computed, changed)

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


def _window(run: RunInfo, asked: Asked) -> list[date]:
    """The run's forecast days, once the days asked for are checked to lie among them."""
    if isinstance(asked, Shift):  # its ends first: a shift of 0001 to 9999 builds no dates
        first, last = run.as_of + timedelta(days=1), run.as_of + timedelta(days=run.horizon)
        for name, day in (("start", asked.start), ("end", asked.end)):
            if not first <= day <= last:
                raise InputError(f"shift.{name}: {day} is outside the forecast window {first} "
                                 f"to {last} of the served run")
    else:
        check_window(run, asked, "temperatures")
    return [run.as_of + timedelta(days=i) for i in range(run.horizon + 1)]


def _temperatures(asked: Asked, data: ModelInput, code: TrustCode) -> dict[date, float]:
    """The scenario's temperature per changed day; a shift moves the stored ones."""
    if not isinstance(asked, Shift):
        return dict(asked)
    days = asked.days()
    stored = baseline_temperatures(data, code, days)
    missing = [d for d in days if d not in stored]
    if missing:
        raise InputError(f"shift: no temperature forecast is stored for {code} on "
                         f"{missing[0]}; give `temperatures` for those days instead")
    shifted = {d: stored[d] + asked.delta_c for d in days}
    if any(not -60 <= v <= 60 for v in shifted.values()):
        raise InputError("shift.delta_c: the shifted temperatures leave -60 to 60 C")
    return shifted


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


def _predict(model: Forecaster, inputs: tuple[ModelInput, ModelInput], run: RunInfo,
             code: str) -> tuple[pl.DataFrame, pl.DataFrame, str]:
    """Baseline and scenario days of the trust, each with the temperature it was given, and
    the model (the ensemble's member) that forecast it."""
    out = []
    window = [run.as_of + timedelta(days=i) for i in range(run.horizon + 1)]
    for data in inputs:
        known = baseline_temperatures(data, code, window)
        days = model.predict(data, run.as_of, run.horizon).filter(pl.col("trust_code") == code)
        if days.is_empty():
            raise ModelError(f"the served model returned no forecast for {code}")
        days = days.select("date", *DAY_FIELDS).sort("date")
        out.append(days.with_columns(temperature_c=pl.Series(
            [known.get(d) for d in days["date"].to_list()], dtype=pl.Float64)))
    member = getattr(model, "last_members", {}).get(code, run.model)
    return out[0], out[1], member


def _values(row: dict[str, Any]) -> DayValues:
    point, lo80, hi80, lo95, hi95 = (round(float(row[k]), 2) for k in DAY_FIELDS)
    temperature = row["temperature_c"]
    return DayValues(point, lo80, hi80, lo95, hi95,
                     None if temperature is None else round(float(temperature), 2))
