"""What the batch reads from the store for one as-of date, and the fingerprint of it.

The fingerprint is a SHA-256 of the rows themselves (attendances up to the as-of date,
temperature up to the end of the horizon, each trust's nation), so a rerun on the same data is
recognised whatever the ingest history was, and one corrected row makes a new run.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from contract.errors import NotFoundError
from forecast.protocol import ModelInput, TrustCode
from forecast.targets import DEFAULT_TARGET, Target, target_frame
from store import Store


@dataclass(frozen=True)
class BatchInputs:
    as_of: date
    horizon: int
    data: ModelInput
    trusts: list[TrustCode]
    fingerprint: str

    @property
    def first_date(self) -> date:
        first = self.data.attendances["date"].min()
        assert isinstance(first, date)
        return first

    @property
    def last_date(self) -> date:
        last = self.data.attendances["date"].max()
        assert isinstance(last, date)
        return last


def load_inputs(store: Store, as_of: date, horizon: int) -> BatchInputs:
    """Attendances up to `as_of`, temperature up to `as_of + horizon`, nations; fingerprinted."""
    attendances = store.read_attendances(end=as_of)
    if attendances.is_empty():
        raise NotFoundError(
            f"no attendances stored on or before {as_of} in {store.url}: "
            "run `aeforecast ingest` first, or choose a later --as-of"
        )
    temperature = store.read_temperature(end=as_of + timedelta(days=horizon))
    trusts = sorted(attendances["trust_code"].unique().to_list())
    nations = store.nations(trusts)
    data = ModelInput(attendances, temperature if not temperature.is_empty() else None, nations)
    return BatchInputs(as_of, horizon, data, trusts, fingerprint(attendances, temperature, nations))


def for_target(inputs: BatchInputs, target: Target) -> BatchInputs | None:
    """The same inputs with `target` as the series to forecast; None when no trust has any
    (admissions are optional). The fingerprint stays the data's: runs key on the target too."""
    if target == DEFAULT_TARGET:
        return inputs
    series = target_frame(inputs.data.attendances, target)
    if series.is_empty():
        return None
    data = ModelInput(series, inputs.data.temperature, inputs.data.nations)
    trusts = sorted(series["trust_code"].unique().to_list())
    return BatchInputs(inputs.as_of, inputs.horizon, data, trusts, inputs.fingerprint)


def fingerprint(
    attendances: pl.DataFrame, temperature: pl.DataFrame, nations: dict[TrustCode, str]
) -> str:
    digest = hashlib.sha256()
    for frame in (attendances, temperature):
        digest.update(frame.sort("trust_code", "date").write_csv().encode())
    digest.update(repr(sorted(nations.items())).encode())
    return digest.hexdigest()


def temperature_coverage(inputs: BatchInputs) -> dict[str, object]:
    """How the forecast days' temperature will be known: observed/forecast, climatology (the
    feature pipeline fills a trust's weekly mean where the forecast has run out), or not at all.
    """
    days = pl.date_range(inputs.as_of + timedelta(days=1),
                         inputs.as_of + timedelta(days=inputs.horizon), interval="1d", eager=True)
    grid = pl.DataFrame({"trust_code": inputs.trusts}).join(
        pl.DataFrame({"date": days}), how="cross")
    temp = inputs.data.temperature
    known = temp.select("trust_code", "date", has=pl.lit(True)) if temp is not None else None
    with_temp = set(temp["trust_code"].unique().to_list()) if temp is not None else set()
    marked = grid.with_columns(has=pl.lit(False)) if known is None else grid.join(
        known, on=["trust_code", "date"], how="left").with_columns(pl.col("has").fill_null(False))
    marked = marked.with_columns(
        climatology=~pl.col("has") & pl.col("trust_code").is_in(list(with_temp)))
    climate_days = marked.filter("climatology")["date"]
    return {
        "forecast_trust_days": grid.height,
        "observed_or_forecast": int(marked["has"].sum()),
        "climatology": int(marked["climatology"].sum()),
        "no_temperature": int((~marked["has"] & ~marked["climatology"]).sum()),
        "climatology_days": int(climate_days.n_unique()) if climate_days.len() else 0,
        "climatology_from": str(climate_days.min()) if climate_days.len() else None,
    }
