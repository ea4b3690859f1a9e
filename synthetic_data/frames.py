"""From (trusts, days) arrays to long polars frames, one row per trust and day."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import polars as pl
from numpy.typing import NDArray

from synthetic_data.calendar_effects import BoolArray


def long_frame(
    codes: Sequence[str],
    dates: NDArray[np.datetime64],
    columns: Mapping[str, NDArray[np.generic]],
    keep: BoolArray | None = None,
) -> pl.DataFrame:
    """Rows sorted by trust then date; `keep` (trusts, days) selects the rows that exist."""
    n_trusts, n_days = len(codes), len(dates)
    trust_index = np.repeat(np.arange(n_trusts), n_days)
    day_index = np.tile(np.arange(n_days), n_trusts)
    selected = None if keep is None else keep.ravel()
    if selected is not None:
        trust_index, day_index = trust_index[selected], day_index[selected]
    data: dict[str, pl.Series] = {
        "trust_code": pl.Series("trust_code", list(codes), dtype=pl.String).gather(trust_index),
        "date": pl.Series("date", dates[day_index]).cast(pl.Date),
    }
    for name, values in columns.items():
        flat = values.ravel() if selected is None else values.ravel()[selected]
        data[name] = pl.Series(name, flat)
    return pl.DataFrame(data)
