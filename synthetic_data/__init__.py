"""Realistic synthetic A&E data with its true expected value kept beside it.

    data = generate(SynthConfig(trusts=20, years=3, seed=1))
    write(data, "out/")

Every model can then be scored against the noise floor: `truth.parquet` holds the expected
value and the true quantiles of each day's count.
"""

from synthetic_data.config import SynthConfig
from synthetic_data.generate import SyntheticData, generate
from synthetic_data.output import write

__all__ = ["SynthConfig", "SyntheticData", "generate", "write"]
