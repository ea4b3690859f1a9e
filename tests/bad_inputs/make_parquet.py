"""Writes the Parquet members of the bad-input corpus (run once; the files are committed).

    .venv/bin/python tests/bad_inputs/make_parquet.py
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import polars as pl

HERE = Path(__file__).resolve().parent
DAYS = [date(2024, 1, 1), date(2024, 1, 2)]


def main() -> None:
    frames = {
        "parquet_wrong_schema": pl.DataFrame(
            {"org_code": ["RXX", "RXX"], "period": DAYS, "count": [312, 298]}
        ),
        "parquet_count_boolean": pl.DataFrame(
            {"trust_code": ["RXX", "RXX"], "date": DAYS, "attendances": [True, False]}
        ),
        "parquet_count_text": pl.DataFrame(
            {"trust_code": ["RXX", "RXX"], "date": DAYS, "attendances": ["312", "about 300"]}
        ),
        "parquet_count_fractional": pl.DataFrame(
            {"trust_code": ["RXX", "RXX"], "date": DAYS, "attendances": [312.0, 298.25]}
        ),
        "parquet_date_with_time": pl.DataFrame(
            {
                "trust_code": ["RXX", "RXX"],
                "date": [datetime(2024, 1, 1), datetime(2024, 1, 2, 13, 45)],
                "attendances": [312, 298],
            }
        ),
        "parquet_trust_as_number": pl.DataFrame(
            {"trust_code": [101, 101], "date": DAYS, "attendances": [312, 298]}
        ),
        "parquet_no_rows": pl.DataFrame(
            {"trust_code": [], "date": [], "attendances": []},
            schema={"trust_code": pl.String, "date": pl.Date, "attendances": pl.Int64},
        ),
        "parquet_temperature_nan": pl.DataFrame(
            {"trust_code": ["RXX", "RXX"], "date": DAYS, "temperature_c": [4.5, float("nan")]}
        ),
    }
    for name, frame in frames.items():
        frame.write_parquet(HERE / f"{name}.parquet")


if __name__ == "__main__":
    main()
