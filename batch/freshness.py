"""How fresh each trust's data is for a run, and which trusts are too stale to forecast.

A feed that stopped weeks ago must never come out of the night as a current forecast: its
models would extrapolate from old values across the gap and the rota would trust the result.
So a trust whose last actual is more than the limit before the run's as-of (while other trusts'
data reaches it) is left out of the run, with the reason recorded, and the batch says so.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import polars as pl

from batch.inputs import BatchInputs
from contract.errors import InputError
from forecast.protocol import ModelInput, TrustCode
from store.run_log import TRUST_ROW_SCHEMA

DEFAULT_STALE_AFTER_DAYS = 3


@dataclass(frozen=True)
class Freshness:
    """`data_to`: every trust's last actual on or before the as-of; `stale`: the trusts left
    out, each with the sentence that says why."""

    data_to: dict[TrustCode, date]
    stale: dict[TrustCode, str]

    def frame(self) -> pl.DataFrame:
        return pl.DataFrame(
            {"trust_code": list(self.data_to), "data_to": list(self.data_to.values())},
            schema={"trust_code": pl.String(), "data_to": pl.Date()})


def last_actuals(series: pl.DataFrame) -> dict[TrustCode, date]:
    """Each code's last day with a count (`trust_code, date, attendances`)."""
    last = series.group_by("trust_code").agg(pl.col("date").max()).sort("trust_code")
    return dict(zip(last["trust_code"].to_list(), last["date"].to_list(), strict=True))


def assess(series: pl.DataFrame, as_of: date, limit_days: int) -> Freshness:
    """Which trusts of `series` (data up to `as_of`) are too stale to forecast from `as_of`.

    Refused as bad input when no trust's data comes within the limit of `as_of`: that is an
    as-of past the end of the data, and forecasting from it would dress old data up as new.
    """
    data_to = last_actuals(series)
    newest = max(data_to.values())
    if (as_of - newest).days > limit_days:
        raise InputError(
            f"--as-of {as_of} is {(as_of - newest).days} days after the newest data "
            f"({newest}); leave --as-of out to forecast from the end of the data, or ingest "
            "newer data first")
    stale = {
        code: (f"data ends {last}, {(as_of - last).days} days before the run's as-of {as_of} "
               f"(limit {limit_days} days, AEF_STALE_AFTER_DAYS): not forecast")
        for code, last in data_to.items() if (as_of - last).days > limit_days
    }
    return Freshness(data_to, stale)


def newest_day(series: pl.DataFrame) -> date | None:
    """The newest day any trust has data for: the default as-of."""
    newest = series["date"].max() if series.height else None
    assert newest is None or isinstance(newest, date)
    return newest


def only_trusts(data: ModelInput, trusts: list[TrustCode]) -> ModelInput:
    attendances = data.attendances.filter(pl.col("trust_code").is_in(trusts))
    return ModelInput(attendances, data.temperature, data.nations)


def without(inputs: BatchInputs, trusts: list[TrustCode]) -> BatchInputs:
    """The inputs with `trusts` left out (the fingerprint stays the data's)."""
    if not trusts:
        return inputs
    kept = [c for c in inputs.trusts if c not in trusts]
    return replace(inputs, data=only_trusts(inputs.data, kept), trusts=kept)


def with_freshness(trusts: pl.DataFrame, fresh: Freshness) -> pl.DataFrame:
    """Every trust's `data_to`, and a row for each stale trust: in the run, not forecast."""
    stale = pl.DataFrame(
        [(code, "none", None, "stale", reason, None)
         for code, reason in sorted(fresh.stale.items())],
        schema=TRUST_ROW_SCHEMA, orient="row")
    rows = pl.concat([trusts, stale]).drop("data_to").join(
        fresh.frame(), on="trust_code", how="left")
    return rows.select(list(TRUST_ROW_SCHEMA)).sort("trust_code")
