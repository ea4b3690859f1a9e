"""The hierarchy as nodes and a summing matrix: every series a sum of the bottom ones.

Levels, top down: nation (coded ENG, WLS, SCT, NIR), region, ICS, trust, site. The bottom
series (leaves) are the sites of trusts whose data arrives by site, and the trusts themselves
otherwise; every other node is the sum of the leaves below it. `S` (nodes x leaves) holds a 1
where a leaf is under (or is) a node, so any bottom-level vector b gives every node as S @ b.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, TypeAlias

import numpy as np
import numpy.typing as npt
import polars as pl

if TYPE_CHECKING:
    from forecast.protocol import ModelInput

NodeCode: TypeAlias = str
Level: TypeAlias = str
LEVELS: tuple[Level, ...] = ("nation", "region", "ics", "trust", "site")
NATION_CODES: dict[str, NodeCode] = {"England": "ENG", "Wales": "WLS", "Scotland": "SCT",
                                     "NorthernIreland": "NIR"}
_COLUMN_OF = {"nation": "nation_code", "region": "region", "ics": "ics_code", "trust": "trust_code",
              "site": "site_code"}


@dataclass(frozen=True)
class Node:
    code: NodeCode
    level: Level
    parent: NodeCode | None
    nation: str


@dataclass(frozen=True)
class Hierarchy:
    """Nodes top down (each level sorted by code); `leaves` are the bottom series."""

    nodes: tuple[Node, ...]
    leaves: tuple[NodeCode, ...]
    _index: dict[NodeCode, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {n.code: i for i, n in enumerate(self.nodes)})

    @classmethod
    def from_frame(cls, mapping: pl.DataFrame, with_sites: Iterable[NodeCode] | None = None
                   ) -> Hierarchy:
        """From a clean mapping (`contract.hierarchy`).

        `with_sites`: the trusts whose data arrives by site (default: every trust with sites);
        the sites of other trusts are left out and the trust is a leaf.
        """
        by_site = set(mapping.filter(pl.col("site_code").is_not_null())["trust_code"].to_list())
        if with_sites is not None:
            by_site &= set(with_sites)
        rows = mapping.with_columns(
            site_code=pl.when(pl.col("trust_code").is_in(sorted(by_site)))
            .then(pl.col("site_code")),
            nation_code=pl.col("nation").replace_strict(NATION_CODES))
        nodes: list[Node] = []
        for level, parent_level in zip(LEVELS, (None, *LEVELS[:-1]), strict=True):
            column = _COLUMN_OF[level]
            parent = _COLUMN_OF[parent_level] if parent_level else None
            part = rows.filter(pl.col(column).is_not_null()).select(
                pl.col(column).alias("code"),
                (pl.col(parent) if parent else pl.lit(None, dtype=pl.String)).alias("parent"),
                "nation").unique().sort("code")
            nodes.extend(Node(c, level, p, n) for c, p, n in part.iter_rows())
        leaves = [n.code for n in nodes if n.level == "site"]
        leaves += [n.code for n in nodes if n.level == "trust" and n.code not in by_site]
        return cls(tuple(nodes), tuple(sorted(leaves)))

    def __len__(self) -> int:
        return len(self.nodes)

    @property
    def codes(self) -> list[NodeCode]:
        return [n.code for n in self.nodes]

    def node(self, code: NodeCode) -> Node:
        return self.nodes[self._index[code]]

    def __contains__(self, code: object) -> bool:
        return code in self._index

    def level_of(self, code: NodeCode) -> Level:
        return self.node(code).level

    def children(self, code: NodeCode) -> list[NodeCode]:
        return [n.code for n in self.nodes if n.parent == code]

    def ancestors(self, code: NodeCode) -> list[NodeCode]:
        """Parent, grandparent, ... up to the nation."""
        out: list[NodeCode] = []
        parent = self.node(code).parent
        while parent is not None:
            out.append(parent)
            parent = self.node(parent).parent
        return out

    def descendants(self, code: NodeCode) -> list[NodeCode]:
        """Every node below `code` (not `code` itself)."""
        return [n.code for n in self.nodes if code in self.ancestors(n.code)]

    def leaves_under(self, code: NodeCode) -> list[NodeCode]:
        return [leaf for leaf in self.leaves if leaf == code or code in self.ancestors(leaf)]

    @cached_property
    def summing(self) -> npt.NDArray[np.float64]:
        """S: nodes x leaves, 1 where the leaf is the node or lies below it."""
        s = np.zeros((len(self.nodes), len(self.leaves)))
        leaf_index = {leaf: j for j, leaf in enumerate(self.leaves)}
        for leaf, j in leaf_index.items():
            for code in [leaf, *self.ancestors(leaf)]:
                s[self._index[code], j] = 1.0
        return s

    def frame(self) -> pl.DataFrame:
        """node_code, level, parent_code, nation, is_leaf: for storing and serving."""
        leaves = set(self.leaves)
        return pl.DataFrame(
            [(n.code, n.level, n.parent, n.nation, n.code in leaves) for n in self.nodes],
            schema={"node_code": pl.String, "level": pl.String, "parent_code": pl.String,
                    "nation": pl.String, "is_leaf": pl.Boolean}, orient="row")

    def nations(self) -> dict[NodeCode, str]:
        """node -> nation, for the bank holidays of every series."""
        return {n.code: n.nation for n in self.nodes}


def structure_for(mapping: pl.DataFrame, data: ModelInput) -> Hierarchy:
    """The hierarchy over the series that exist: a trust's sites only if they all report."""
    present = set(data.attendances["trust_code"].unique().to_list())
    sites = mapping.drop_nulls("site_code").group_by("trust_code").agg(
        pl.col("site_code").is_in(list(present)).all().alias("all"))
    by_site = sites.filter("all")["trust_code"].to_list()
    known = mapping.filter(pl.col("trust_code").is_in(list(present)) | pl.col(
        "trust_code").is_in(by_site))
    return Hierarchy.from_frame(known, with_sites=by_site)
