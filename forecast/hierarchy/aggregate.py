"""Series for every node of a hierarchy, built from the bottom series so they add up exactly.

A parent's value on a day is the sum of its leaves' values; a day on which any leaf that has
already started reporting is missing is missing for the parent too (a partial sum would look
like a collapse in demand). Temperature of a parent is the mean of its leaves'. The target is a
parameter: `attendances` by default, any count column present (e.g. `admissions`) otherwise;
it comes out named `attendances`, the column every model reads.
"""

from __future__ import annotations

import polars as pl

from forecast.hierarchy.structure import Hierarchy
from forecast.protocol import ModelInput

DEFAULT_TARGET = "attendances"


def leaf_links(hierarchy: Hierarchy) -> pl.DataFrame:
    """leaf, node: one row per (leaf, node at or above it)."""
    rows = [(leaf, code) for leaf in hierarchy.leaves
            for code in [leaf, *hierarchy.ancestors(leaf)]]
    return pl.DataFrame(rows, schema={"leaf": pl.String, "node": pl.String}, orient="row")


def node_series(attendances: pl.DataFrame, hierarchy: Hierarchy,
                target: str = DEFAULT_TARGET) -> pl.DataFrame:
    """trust_code (the node's code), date, attendances (the target): every node of `hierarchy`.

    `attendances` holds the bottom series under their own codes (sites under site codes);
    rows for other codes are ignored.
    """
    if target not in attendances.columns:
        raise KeyError(f"no '{target}' column in the data")
    leaves = attendances.filter(pl.col("trust_code").is_in(list(hierarchy.leaves))).select(
        pl.col("trust_code").alias("leaf"), "date", pl.col(target).cast(pl.Int64).alias("value"))
    started = leaves.filter(pl.col("value").is_not_null()).group_by("leaf").agg(
        pl.col("date").min().alias("first"))
    links = leaf_links(hierarchy).join(started, on="leaf", how="inner")
    days = leaves.select("date").unique()
    expected = links.join(days, how="cross").filter(pl.col("date") >= pl.col("first")).group_by(
        "node", "date").agg(pl.len().alias("needed"))
    summed = leaves.drop_nulls("value").join(links.select("leaf", "node"), on="leaf").group_by(
        "node", "date").agg(pl.col("value").sum(), pl.len().alias("have"))
    complete = summed.join(expected, on=["node", "date"]).filter(
        pl.col("have") == pl.col("needed"))
    return complete.select(pl.col("node").alias("trust_code"), "date",
                           pl.col("value").alias("attendances")).sort("trust_code", "date")


def node_temperature(temperature: pl.DataFrame | None, hierarchy: Hierarchy) -> pl.DataFrame | None:
    """Mean temperature of the leaves under each node; a site without its own uses its trust's."""
    if temperature is None:
        return None
    own = temperature.filter(pl.col("trust_code").is_in(list(hierarchy.leaves)))
    inherited = [
        temperature.filter(pl.col("trust_code") == hierarchy.node(leaf).parent).with_columns(
            trust_code=pl.lit(leaf))
        for leaf in hierarchy.leaves
        if hierarchy.level_of(leaf) == "site" and leaf not in set(own["trust_code"].to_list())
    ]
    leaf_temps = pl.concat([own, *inherited]).select("trust_code", "date", "temperature_c")
    links = leaf_links(hierarchy)
    return leaf_temps.join(links, left_on="trust_code", right_on="leaf").group_by(
        "node", "date").agg(pl.col("temperature_c").mean()).select(
        pl.col("node").alias("trust_code"), "date", "temperature_c").sort("trust_code", "date")


def hierarchy_input(data: ModelInput, hierarchy: Hierarchy,
                    target: str = DEFAULT_TARGET) -> ModelInput:
    """A ModelInput whose series are every node of the hierarchy (aggregates are just bigger
    trusts to the models), with the nodes' nations for bank holidays."""
    return ModelInput(
        attendances=node_series(data.attendances, hierarchy, target),
        temperature=node_temperature(data.temperature, hierarchy),
        nations=hierarchy.nations(),
    )
