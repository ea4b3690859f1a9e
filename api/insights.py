"""Exceedance probabilities and drivers for served days, and the words that explain them.

Drivers are stored by the batch per run, trust and day (`run_drivers`); each process reads the
served run's drivers once, on first use, and keeps them beside the forecasts. Exceedance needs no
storage: it is read from the five quantiles every served day carries (forecast.exceedance).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from api.serving import TrustForecast
from forecast.drivers import FAMILY_TEXT
from forecast.exceedance import prob_exceed_rows
from store import Store
from store.served import DAY_FIELDS, run_drivers

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
DayDrivers = dict[str, float]  # family -> attendances, families the model has


@dataclass(frozen=True)
class ServedDay:
    """One served day as numbers: the forecast fields, and what the caller asked to add."""

    day: date
    values: dict[str, float]
    p_exceed: float | None = None
    drivers: DayDrivers | None = None


class DriverCache:
    """The served run's drivers, read once per run per process (thread-safe, blocking)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._run_id: str | None = None
        self._drivers: dict[str, dict[date, DayDrivers]] = {}
        self._lock = threading.Lock()

    def for_trust(self, run_id: str, trust_code: str) -> dict[date, DayDrivers]:
        with self._lock:
            if self._run_id != run_id:
                self._drivers = run_drivers(self.store, run_id)
                self._run_id = run_id
            return self._drivers.get(trust_code, {})


def served_days(served: TrustForecast, offset: int, days: int, threshold: int | None,
                drivers: dict[date, DayDrivers] | None) -> list[ServedDay]:
    """Days offset .. offset+days-1 of a trust, with p_exceed and drivers when asked for."""
    values = served.values[offset:offset + days]
    probabilities: list[float | None] = [None] * len(values)
    if threshold is not None:
        probabilities = list(prob_exceed_rows([knots(v) for v in values], threshold))
    out = []
    for i, (row, p) in enumerate(zip(values, probabilities, strict=True)):
        day = served.first + timedelta(days=offset + i)
        out.append(ServedDay(day, dict(zip(DAY_FIELDS, row, strict=True)), p,
                             None if drivers is None else exact_drivers(drivers.get(day), row[0])))
    return out


def knots(values: tuple[float, ...]) -> tuple[float, ...]:
    """DAY_FIELDS order (point, lo80, hi80, lo95, hi95) -> exceedance knots (lo95 .. hi95)."""
    point, lo80, hi80, lo95, hi95 = values
    return lo95, lo80, point, hi80, hi95


def exact_drivers(drivers: DayDrivers | None, point: float) -> DayDrivers:
    """Rounded to 2 decimals, adding up exactly to the served (rounded) point: the rounding
    remainder, a few hundredths at most, goes to "other"."""
    if not drivers:
        return {"other": round(point, 2)}
    rounded = {k: round(v, 2) for k, v in drivers.items()}
    rounded["other"] = round(rounded.get("other", 0.0) + point - sum(rounded.values()), 2)
    return rounded


def driver_items(drivers: DayDrivers, day: date) -> list[dict[str, Any]]:
    """JSON items in the families' order, each with a label and a sentence for a manager."""
    items = []
    for family, text in FAMILY_TEXT.items():
        if family not in drivers:
            continue
        value = drivers[family]
        items.append({"driver": family, "label": text.label, "attendances": value,
                      "explanation": _sentence(family, value, day)})
    return items


def alert_reason(point: float, lo80: float, hi80: float, drivers: DayDrivers | None,
                 day: date) -> str:
    """One or two sentences: the forecast, and what pushes it up (the day's top drivers)."""
    head = f"Forecast {point:.0f} attendances (80% range {lo80:.0f} to {hi80:.0f})"
    if not drivers:
        return head + "."
    level = drivers.get("recent_level")
    pushes = sorted(((v, f) for f, v in drivers.items() if f != "recent_level" and v >= 1.0),
                    reverse=True)[:2]
    base = f" against a recent typical day of {level:.0f}" if level is not None else ""
    if not pushes:
        return f"{head}{base}: the trust's usual level alone is near the threshold."
    because = " and ".join(f"{_short(f, day)} (+{v:.0f})" for v, f in pushes)
    return f"{head}{base}, pushed up by {because}."


def _sentence(family: str, value: float, day: date) -> str:
    text = FAMILY_TEXT[family]  # type: ignore[index]
    if family == "recent_level":
        return f"{value:.0f} a day: {text.explanation}."
    direction = "adds" if value >= 0 else "takes off"
    subject = f"Being a {WEEKDAYS[day.weekday()]}" if family == "weekday" else text.label
    return f"{subject} {direction} {abs(value):.0f} attendances: {text.explanation}."


def _short(family: str, day: date) -> str:
    if family == "weekday":
        return f"it being a {WEEKDAYS[day.weekday()]}"
    return FAMILY_TEXT[family].label.lower()  # type: ignore[index]
