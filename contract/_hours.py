"""The optional hourly input: arrivals per trust per hour, each hour named by its start in UTC.

UTC because local clock hours are ambiguous once a year (01:00 happens twice in October) and
missing once (01:00 never happens in March); the profile built from it works in Europe/London
local time (`forecast.hourly_profile`).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from contract._columns import (
    ColumnTypeError,
    Parsed,
    _is_textual,
    _messages,
    _null_where,
    _text,
    parse_count,
    parse_trust_code,
)
from contract._validate import Kind

LOCAL_ZONE = "Europe/London"
_HOUR_PATTERN = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:?\d{2})?$"
_HOUR_HINT = "is not a time written YYYY-MM-DDTHH:00:00Z (for example 2024-01-31T08:00:00Z)"


def parse_hour_start(raw: pl.Series, as_of: date | None) -> Parsed:
    """ISO text with `Z`, an offset, or none (read as UTC); or a Parquet datetime. The hour
    must start on the hour, and its Europe/London day may not be after `as_of`."""
    if isinstance(raw.dtype, pl.Datetime):
        zone = raw.dtype.time_zone
        parsed = raw.dt.replace_time_zone("UTC") if zone is None else raw
        parsed = parsed.dt.convert_time_zone("UTC").dt.cast_time_unit("us")
        malformed = unreal = None
    elif _is_textual(raw.dtype):
        text = _text(raw)
        well_formed = text.str.contains(_HOUR_PATTERN)
        parsed = _null_where(_to_utc(text), ~well_formed)
        malformed = text.is_not_null() & ~well_formed
        unreal = well_formed & parsed.is_null()
    else:
        raise ColumnTypeError(f"holds {raw.dtype} values; give times written YYYY-MM-DDTHH:00:00Z")
    off_hour = parsed.dt.truncate("1h") != parsed
    rules: list[tuple[pl.Series, str]] = [(raw.is_null(), "missing hour; every row needs one")]
    if malformed is not None:
        rules.append((malformed, _HOUR_HINT))
    if unreal is not None:
        rules.append((unreal, "is not a real time (check the date, the hour and the offset)"))
    rules.append((off_hour, "is not the start of an hour; minutes and seconds must be 00"))
    if as_of is not None:
        local_day = parsed.dt.convert_time_zone(LOCAL_ZONE).dt.date()
        rules.append(
            (
                local_day > as_of,
                f"is after the as-of date {as_of.isoformat()} (UK time); arrivals can only be "
                "recorded for hours that have happened",
            )
        )
    messages = _messages(rules, len(raw))
    return Parsed(_null_where(parsed, messages.is_not_null()), messages)


def _to_utc(text: pl.Series) -> pl.Series:
    """Text in any of the accepted spellings as a UTC datetime; null where it is no real time."""
    frame = pl.DataFrame({"t": text})
    spelled = (
        pl.col("t")
        .str.replace(" ", "T")
        .str.replace(r"Z$", "+00:00")
        .str.replace(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})([+-]|$)", "${1}:00${2}")
        .str.replace(r"([+-]\d{2})(\d{2})$", "${1}:${2}")
    )
    with_offset = pl.when(spelled.str.contains(r"[+-]\d{2}:\d{2}$")).then(spelled).otherwise(
        spelled + "+00:00"
    )
    parsed = with_offset.str.to_datetime(
        "%Y-%m-%dT%H:%M:%S%:z", time_unit="us", time_zone="UTC", strict=False
    )
    return frame.select(parsed.alias("hour_start_utc")).to_series()


ARRIVALS_HOURLY = Kind(
    name="arrivals_hourly",
    schema={
        "trust_code": pl.String(),
        "hour_start_utc": pl.Datetime("us", "UTC"),
        "arrivals": pl.Int64(),
    },
    required=("trust_code", "hour_start_utc", "arrivals"),
    parsers={
        "trust_code": lambda raw, _: parse_trust_code(raw),
        "hour_start_utc": parse_hour_start,
        "arrivals": lambda raw, _: parse_count(raw, required=True),
    },
    key="hour_start_utc",
    key_phrase="at this hour",
    unit="hour",
)
