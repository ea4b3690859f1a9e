"""The API's per-process profile cache follows new hourly data, on both backends."""

from __future__ import annotations

import asyncio
from datetime import date

import polars as pl
from support.paths import HOURLY_SAMPLE

from api.hourly_profiles import ProfileCache
from contract.inputs import read_arrivals_hourly
from store import Store

SAMPLE = HOURLY_SAMPLE


def test_the_cached_profile_is_rebuilt_when_hourly_data_arrive(store: Store) -> None:
    cache = ProfileCache(store, ttl=0.0)
    assert asyncio.run(cache.get("UKH2")).source == "default"
    hourly = read_arrivals_hourly(SAMPLE, as_of=date(2019, 3, 1))
    spring = hourly.filter(pl.col("hour_start_utc") < pl.datetime(2018, 6, 1, time_zone="UTC"))
    store.ingest(arrivals_hourly=spring)
    first = asyncio.run(cache.get("UKH2"))
    assert first.source == "trust" and first.data_to == date(2018, 4, 8)
    assert asyncio.run(cache.get("UKH2")) is first  # nothing new: the same object
    store.ingest(arrivals_hourly=hourly)
    assert asyncio.run(cache.get("UKH2")).data_to == date(2018, 11, 18)
