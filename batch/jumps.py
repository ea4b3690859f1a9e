"""New actuals far beyond a trust's own history, held back from the night's forecast.

A feed glitch (a day counted three times, a half-loaded day) at the end of one trust's series
used to move every other trust's forecast as well: the pooled model trains on it and the
population's momentum sums it (one trust's last three days tripled moved the others' 42-day
forecasts by up to 1.6% on average and 16% on a day, `bench.outlier_spread`). So a day among the
last `NEW_DAYS` whose count is above `HIGH` times the busiest of the same weekday over the
`WEEKS` weeks before them, or below `LOW` times the quietest (and beyond counting noise either
way), is held back: the night forecasts the trust with that day's
count replaced by the weekday's median of those weeks, the batch names it (exit 1), and the
stored value stays as sent. A real level
shift is held back for at most `NEW_DAYS` nights: by then it is history, and its own yardstick
(the yardstick is a maximum, so one week of the new level moves it).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

import polars as pl

from batch.inputs import BatchInputs
from forecast.protocol import ModelInput, TrustCode

NEW_DAYS = 7
WEEKS = 8  # the yardstick: the same weekday over the 8 weeks before the new days
MIN_WEEKS = 4  # a new trust has no yardstick yet
HIGH = 1.5
LOW = 0.5
NOISE_SDS = 5.0  # and beyond counting noise: at 20 a day, 1.5 times is only 2 SDs


@dataclass(frozen=True)
class Jumps:
    """`days`: trust_code, date and the typical count standing in for each day held back;
    `reasons`: one sentence per trust."""

    days: pl.DataFrame
    reasons: dict[TrustCode, str]


def find_jumps(series: pl.DataFrame, as_of: date) -> Jumps:
    """The implausible new days of `series` (`trust_code, date, attendances`) up to `as_of`."""
    new_from = as_of - timedelta(days=NEW_DAYS - 1)
    weekday = pl.col("date").dt.weekday().alias("weekday")
    yardstick = (series.filter(pl.col("date") < new_from,
                               pl.col("date") >= new_from - timedelta(weeks=WEEKS))
                 .group_by("trust_code", weekday)
                 .agg(busiest=pl.col("attendances").max(), quietest=pl.col("attendances").min(),
                      typical=pl.col("attendances").median(), weeks=pl.len())
                 .filter(pl.col("weeks") >= MIN_WEEKS))
    count, busiest, quietest = pl.col("attendances"), pl.col("busiest"), pl.col("quietest")
    high = (count > HIGH * busiest) & (count - busiest > NOISE_SDS * busiest.sqrt())
    low = (count < LOW * quietest) & (quietest - count > NOISE_SDS * quietest.sqrt())
    flagged = (series.filter(pl.col("date") >= new_from, pl.col("date") <= as_of)
               .with_columns(weekday).join(yardstick, on=["trust_code", "weekday"])
               .filter(high | low).sort("trust_code", "date"))
    reasons = {}
    for (code,), days in flagged.group_by(["trust_code"], maintain_order=True):
        listed = "; ".join(
            f"{d} {n:,} (that weekday's range over the {WEEKS} weeks before: {lo:,}-{hi:,})"
            for d, n, lo, hi in days.select("date", "attendances", "quietest", "busiest")
            .iter_rows())
        reasons[str(code)] = (
            f"{days.height} new day(s) held back, far outside the trust's own recent range "
            f"(over {HIGH:g} times its busiest or under {LOW:g} times its quietest): {listed}; "
            "forecast with each replaced by that weekday's median (stored as sent); check "
            "the feed")
    typical = pl.col("typical").round().cast(series.schema["attendances"])
    return Jumps(flagged.select("trust_code", "date", typical), reasons)


def hold_back(inputs: BatchInputs, jumps: Jumps) -> BatchInputs:
    """The inputs with each held-back day's count replaced by its weekday's recent median (the
    fingerprint stays the data's). Replaced rather than removed: removing rows reshuffles the
    model's sampled training rows for every trust, which moves them all as surely as the spike
    did (0.7% on average in `bench.outlier_spread`)."""
    if jumps.days.is_empty():
        return inputs
    kept = inputs.data.attendances.join(jumps.days, on=["trust_code", "date"], how="left")
    kept = kept.with_columns(attendances=pl.coalesce("typical", "attendances")).drop("typical")
    data = ModelInput(kept, inputs.data.temperature, inputs.data.nations)
    return replace(inputs, data=data)
