"""The hierarchy mapping input and the synthetic hierarchy: refused whole, with where and why."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path

import polars as pl
import pytest

from contract.errors import DataValidationError
from contract.hierarchy import read_hierarchy, validate_hierarchy
from forecast.hierarchy.structure import Hierarchy
from synthetic_data import SynthConfig, SyntheticData, generate

HEADER = "site_code,trust_code,ics_code,region,nation\n"
GOOD = HEADER + "RAA01,RAA,QAA,Y56,England\nRAA02,RAA,QAA,Y56,England\n,RBB,QAA,Y56,England\n"


@lru_cache(maxsize=1)
def world() -> SyntheticData:
    return generate(SynthConfig(trusts=24, years=1, end=date(2025, 6, 30), seed=3))


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hierarchy.csv"
    path.write_text(text)
    return path


def test_a_good_mapping_reads_clean(tmp_path: Path) -> None:
    mapping = read_hierarchy(_csv(tmp_path, GOOD))
    assert mapping.columns == ["site_code", "trust_code", "ics_code", "region", "nation"]
    assert mapping["site_code"].to_list() == ["RAA01", "RAA02", None]
    hierarchy = Hierarchy.from_frame(mapping)
    assert hierarchy.codes == ["ENG", "Y56", "QAA", "RAA", "RBB", "RAA01", "RAA02"]
    assert hierarchy.leaves == ("RAA01", "RAA02", "RBB")
    assert hierarchy.summing[hierarchy.codes.index("RAA")].tolist() == [1.0, 1.0, 0.0]
    assert hierarchy.summing[0].tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize(
    ("row", "line", "message"),
    [
        ("RAA01,RCC,QAA,Y56,England", 5, "site_code RAA01 is already under trust_code RAA on "
         "line 2"),
        (",RBB,QBB,Y56,England", 5, "trust_code RBB is already under ics_code QAA on line 4"),
        (",RDD,QAA,Y58,England", 5, "ics_code QAA is already under region Y56 on line 2"),
        (",RDD,QDD,Y56,Wales", 5, "region Y56 is already under nation England on line 2"),
        (",QAA,QEE,Y56,England", 5, "this code is already a ics_code on line 2"),
        (",RDD,QAA,Y56,Atlantis", 5, "nation must be one of England"),
        ("RAA1,RAA,QAA,Y56,England", 5, "a site code is 5 upper-case letters or digits"),
        (",rdd,QAA,Y56,England", 5, "trust_code must be 3 to 5"),
        (",,QAA,Y56,England", 5, "trust_code is required"),
        ("RAA01,RAA,QAA,Y56,England", 5, "repeats line 2"),
    ],
)
def test_bad_rows_are_refused_naming_line_and_column(
    tmp_path: Path, row: str, line: int, message: str
) -> None:
    path = _csv(tmp_path, GOOD + row + "\n")
    with pytest.raises(DataValidationError, match=message) as caught:
        read_hierarchy(path)
    assert f"{path}, line {line}" in str(caught.value)


def test_missing_column_names_the_header(tmp_path: Path) -> None:
    with pytest.raises(DataValidationError, match="line 1, column 'ics_code': missing required"):
        read_hierarchy(_csv(tmp_path, "trust_code,region,nation\nRAA,Y56,England\n"))


def test_synthetic_hierarchy_is_valid_and_realistic() -> None:
    data = world()
    mapping = validate_hierarchy(data.hierarchy)
    trusts = mapping.select("trust_code", "ics_code", "region").unique()
    assert set(trusts["trust_code"]) == set(data.attendances["trust_code"])
    sizes = trusts.group_by("ics_code").len()["len"]
    per_region = trusts.group_by("region").len()
    assert sizes.max() <= 7 and (sizes.min() >= 2 or per_region["len"].min() < 2)
    sites = mapping.drop_nulls("site_code").group_by("trust_code").len()["len"]
    assert sites.len() >= 2 and set(sites.to_list()) <= {2, 3}


def test_site_counts_add_up_to_their_trust_and_truth_is_split() -> None:
    data = world()
    owner = validate_hierarchy(data.hierarchy).drop_nulls("site_code").select(
        "site_code", "trust_code")
    sites = data.site_attendances.join(owner, left_on="trust_code", right_on="site_code")
    summed = sites.group_by("trust_code_right", "date").agg(
        pl.col("attendances").sum(), pl.col("admissions").sum())
    joined = summed.join(data.attendances, left_on=["trust_code_right", "date"],
                         right_on=["trust_code", "date"])
    assert joined.height == summed.height > 0
    assert (joined["attendances"] == joined["attendances_right"]).all()
    assert (joined["admissions"] == joined["admissions_right"]).all()
    truth = data.site_truth.join(owner, left_on="trust_code", right_on="site_code").group_by(
        "trust_code_right", "date").agg(pl.col("expected").sum())
    trust_truth = truth.join(data.truth, left_on=["trust_code_right", "date"],
                             right_on=["trust_code", "date"])
    assert ((trust_truth["expected"] - trust_truth["expected_right"]).abs() < 1e-6).all()
    shares = sites.group_by("trust_code").agg(pl.col("attendances").sum())["attendances"]
    assert shares.n_unique() == shares.len()  # uneven split
