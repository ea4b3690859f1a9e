"""Counts no emergency department could have: refused at the edge, before they are stored.

A typo that adds digits, or a feed that sends 1,000,000,000, was stored and then served back as
a forecast of 30 million a day, and moved every other trust through the pooled signals. Two
bounds: an absolute one for every trust (`AEF_MAX_DAILY_COUNT`, default 20,000: the largest
trusts in England see under 2,000 a day), and one relative to the trust's own stored history
(`AEF_MAX_JUMP_FACTOR` times its busiest stored day, default 10), which a new trust, without
history, does not have yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import polars as pl

from contract.settings import get_settings

COUNT_COLUMNS = ("attendances", "admissions")


@dataclass(frozen=True)
class CountLimits:
    absolute: int
    factor: float
    busiest: Mapping[str, int] = field(default_factory=dict)  # trust -> busiest stored day

    @classmethod
    def from_settings(cls, busiest: Mapping[str, int] | None = None) -> CountLimits:
        settings = get_settings()
        return cls(settings.max_daily_count, settings.max_jump_factor, dict(busiest or {}))


def implausible(rows: pl.Series, trust: pl.Series, values: pl.Series, raw: pl.Series,
                column: str, position: int, limits: CountLimits) -> pl.DataFrame:
    """One problem per count over a bound: `row, position, column, value, message`; `raw` is
    the cell as written (`1e9`), `values` as parsed."""
    busiest = pl.DataFrame({"t": list(limits.busiest), "busiest": list(limits.busiest.values())},
                           schema={"t": pl.String, "busiest": pl.Int64})
    cells = pl.DataFrame({"row": rows, "t": trust, "v": values, "raw": raw.cast(pl.String)}).join(
        busiest, on="t", how="left")
    absolute = pl.col("v") > limits.absolute
    relative = pl.col("busiest").is_not_null() & (pl.col("v") > limits.factor * pl.col("busiest"))
    message = (
        pl.when(absolute).then(pl.format(
            f"is more than {limits.absolute:,} a day, beyond any emergency department; check the "
            "value (a typo can add digits), or raise AEF_MAX_DAILY_COUNT if it is real"))
        .when(relative).then(pl.format(
            f"is more than {limits.factor:g} times the busiest day stored for trust {{}} ({{}}); "
            "check the value (a typo can add digits), or raise AEF_MAX_JUMP_FACTOR if it is "
            "real", "t", "busiest"))
    )
    return cells.filter(absolute | relative).select(
        "row", position=pl.lit(position, dtype=pl.Int64), column=pl.lit(column),
        value="raw", message=message)
