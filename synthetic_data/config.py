"""What to generate: one frozen, validated configuration."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from contract.errors import InputError

MAX_TRUSTS = 5000
MAX_YEARS = 30


def yesterday() -> date:
    """The default end: data up to yesterday, so a demo looks live."""
    return date.today() - timedelta(days=1)


@dataclass(frozen=True)
class SynthConfig:
    """Settings of one synthetic world; invalid values raise `InputError` on construction.

    overdispersion: negative-binomial size (var = mu + mu^2/size); None means Poisson.
    gaps: fraction of trust-days dropped (scattered days plus a few runs); 0 means none.
    late_starts / level_shifts: how many trusts get that fault.
    collapse: a national covid-like drop (~40% over 2 weeks) and recovery (~3 months).
    """

    trusts: int = 150
    years: int = 6
    end: date = field(default_factory=yesterday)
    seed: int = 42
    overdispersion: float | None = 300.0
    gaps: float = 0.0
    late_starts: int = 0
    level_shifts: int = 0
    collapse: bool = False
    temperature_forecast: bool = False
    future_temperature_days: int = 14

    def __post_init__(self) -> None:
        _check(1 <= self.trusts <= MAX_TRUSTS, f"trusts must be 1 to {MAX_TRUSTS}", self.trusts)
        _check(1 <= self.years <= MAX_YEARS, f"years must be 1 to {MAX_YEARS}", self.years)
        _check(0 <= self.seed < 2**63, "seed must be a non-negative integer", self.seed)
        _check(
            self.overdispersion is None or self.overdispersion > 0,
            "overdispersion (negative binomial size) must be > 0, or None for Poisson",
            self.overdispersion,
        )
        _check(0.0 <= self.gaps <= 0.5, "gaps must be a fraction from 0 to 0.5", self.gaps)
        _check(
            0 <= self.late_starts <= self.trusts,
            "late_starts must be from 0 to the number of trusts",
            self.late_starts,
        )
        _check(
            0 <= self.level_shifts <= self.trusts,
            "level_shifts must be from 0 to the number of trusts",
            self.level_shifts,
        )
        _check(
            0 <= self.future_temperature_days <= 366,
            "future_temperature_days must be 0 to 366",
            self.future_temperature_days,
        )
        _check(
            not self.temperature_forecast or self.future_temperature_days >= 1,
            "a temperature forecast needs future_temperature_days >= 1 (its longest lead)",
            self.future_temperature_days,
        )

    @property
    def start(self) -> date:
        """The first day: `years` calendar years before `end`, plus one day."""
        try:
            same_day = self.end.replace(year=self.end.year - self.years)
        except ValueError:  # 29 February
            same_day = self.end.replace(year=self.end.year - self.years, day=28)
        return same_day + timedelta(days=1)

    @property
    def n_days(self) -> int:
        return (self.end - self.start).days + 1


def _check(ok: bool, message: str, value: object) -> None:
    if not ok:
        raise InputError(f"{message} (got {value!r})")
