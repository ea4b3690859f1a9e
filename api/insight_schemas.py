"""Bodies of the thresholds, alerts and scenario endpoints (limits and examples for OpenAPI)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt

from api.schemas import IsoDate
from store.thresholds import MAX_ATTENDANCES, MAX_PER_TRUST, NAME_PATTERN


class DriverOut(BaseModel):
    driver: str = Field(examples=["weekday"], description="The family's stable name.")
    label: str = Field(examples=["Day of the week"])
    attendances: float = Field(examples=[23.4], description="What it adds (or takes off, < 0).")
    explanation: str = Field(examples=["Being a Monday adds 23 attendances: how busy this "
                                       "weekday usually is at this trust."])


class ThresholdIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "red",
                                                               "attendances": 360}]})

    name: str = Field(pattern=NAME_PATTERN, description="e.g. `amber`, `red`, `OPEL 3`.")
    attendances: StrictInt = Field(ge=0, le=MAX_ATTENDANCES, description="Attendances a day.")


class ThresholdsIn(BaseModel):
    """The trust's whole set: it replaces what was there (an empty list removes them all)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"thresholds": [
        {"name": "amber", "attendances": 320}, {"name": "red", "attendances": 360}]}]})

    thresholds: list[ThresholdIn] = Field(max_length=MAX_PER_TRUST)


class ThresholdOut(BaseModel):
    name: str = Field(examples=["red"])
    attendances: int = Field(examples=[360])
    source: str = Field(examples=["api"], description="`api` or `file` (thresholds load).")
    updated_at: datetime


class Thresholds(BaseModel):
    trust_code: str = Field(examples=["RXX"])
    thresholds: list[ThresholdOut]


class AlertThreshold(BaseModel):
    name: str = Field(examples=["red"])
    attendances: int = Field(examples=[360])


class Alert(BaseModel):
    date: date
    threshold: AlertThreshold
    p_exceed: float = Field(examples=[0.34], description="P(attendances > threshold).")
    point: float = Field(examples=[342.0])
    lo80: float = Field(examples=[318.0])
    hi80: float = Field(examples=[367.0])
    reason: str = Field(examples=["Forecast 342 attendances (80% range 318 to 367) against a "
                                  "recent typical day of 305, pushed up by it being a Monday "
                                  "(+28) and temperature (+9)."])
    drivers: list[DriverOut]


class Alerts(BaseModel):
    model_config = ConfigDict(protected_namespaces=())

    trust_code: str = Field(examples=["RXX"])
    run_id: str = Field(examples=["20241202T023001Z-3f9a1c2b"])
    level: float = Field(examples=[0.2])
    first_date: date
    last_date: date
    thresholds: list[AlertThreshold]
    alerts: list[Alert]
    note: str | None = Field(default=None, description="Why there can be no alerts, if so.")
    data_to: date | None = Field(default=None, description="The last actual the run used.")
    stale: bool = Field(default=False, description="`data_to` is more than AEF_STALE_AFTER_DAYS "
                        "before today: these alerts come from old data.")


class ScenarioTemperature(BaseModel):
    date: IsoDate
    temperature_c: StrictFloat | StrictInt = Field(ge=-60, le=60)


class TemperatureShift(BaseModel):
    """Add `delta_c` to the stored temperature forecast from `start` to `end` (inclusive)."""

    start: IsoDate
    end: IsoDate
    delta_c: StrictFloat | StrictInt = Field(ge=-40, le=40, examples=[5.0])


class ScenarioIn(BaseModel):
    """Alternative temperatures: exact values per day, or a shift over a range of days."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"name": "heat wave", "shift": {"start": "2024-07-15", "end": "2024-07-19",
                                        "delta_c": 8}},
        {"name": "cold snap", "temperatures": [{"date": "2024-12-03", "temperature_c": -6.5},
                                               {"date": "2024-12-04", "temperature_c": -8}]},
    ]})

    name: str | None = Field(default=None, max_length=80, examples=["heat wave"])
    temperatures: list[ScenarioTemperature] | None = Field(default=None, min_length=1,
                                                           max_length=90)
    shift: TemperatureShift | None = None


class ScenarioValues(BaseModel):
    point: float
    lo80: float
    hi80: float
    lo95: float
    hi95: float
    temperature_c: float | None = Field(description="The day's temperature in this forecast "
                                                    "(null: none stored, climatology used).")


class ScenarioDay(BaseModel):
    date: date
    baseline: ScenarioValues
    scenario: ScenarioValues
    difference: float = Field(examples=[14.2], description="scenario point - baseline point")
    changed: bool = Field(description="Whether the scenario changed this day's temperature.")


class Scenario(BaseModel):
    model_config = ConfigDict(protected_namespaces=())

    trust_code: str = Field(examples=["RXX"])
    run_id: str = Field(examples=["20241202T023001Z-3f9a1c2b"])
    name: str | None
    model: str = Field(examples=["ensemble"])
    member: str = Field(examples=["lgbm"], description="The model that forecast this trust.")
    note: str | None = Field(description="Why the scenario may equal the baseline.")
    computed: bool = Field(description="false when the model could not be run (see `note`): "
                                       "the scenario shown is then the baseline.")
    days: list[ScenarioDay]
