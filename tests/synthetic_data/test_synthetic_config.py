"""SynthConfig: bad settings are refused with a message naming the setting."""

from __future__ import annotations

from datetime import date

import pytest

from contract.errors import InputError
from synthetic_data import SynthConfig


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"trusts": 0}, "trusts must be"),
        ({"years": 0}, "years must be"),
        ({"seed": -1}, "seed must be"),
        ({"overdispersion": 0.0}, "overdispersion"),
        ({"gaps": 0.9}, "gaps must be"),
        ({"trusts": 5, "late_starts": 6}, "late_starts"),
        ({"level_shifts": -1}, "level_shifts"),
        ({"temperature_forecast": True, "future_temperature_days": 0}, "temperature forecast"),
    ],
)
def test_bad_settings_are_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        SynthConfig(**changes)  # type: ignore[arg-type]


def test_start_is_years_before_the_end() -> None:
    config = SynthConfig(years=2, end=date(2025, 6, 30))
    assert config.start == date(2023, 7, 1)
    assert config.n_days == 731


def test_a_leap_day_end_still_has_a_start() -> None:
    assert SynthConfig(years=1, end=date(2024, 2, 29)).start == date(2023, 3, 1)


def test_default_end_is_yesterday() -> None:
    assert (date.today() - SynthConfig().end).days == 1
