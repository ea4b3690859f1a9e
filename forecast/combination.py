"""Choose, per trust, the model with the best recent out-of-sample skill.

Members are listed in order of preference (the first is the primary). After fitting, each member
that reports `holdout_mae` (trust -> MAE on the weeks before its fit date, forecasts it made
without seeing those weeks) competes; another member replaces the primary for a trust only when
its holdout MAE is below `margin` times the primary's, so noise alone rarely flips a trust.
A trust a chosen member cannot forecast (too little history) falls to the next member that can,
so every trust with any history gets a forecast. Each member keeps its own calibrated intervals.

`pinned` series never leave the primary on skill. The hierarchy pins its aggregates: a sum of
many trusts is smooth, and on one a few weeks' holdout mostly scores one episode. Measured on
synthetic data (80 trusts, 13 monthly fits), seasonal naive's holdout MAE on the nation over
LightGBM's was 0.94-3.1, except once after a winter wave (0.75): seasonal naive was chosen and
then served through spring, and the nation's error from that engine was four times a fresh
one's, its bank holidays off by up to 19% (`bench.engine_age --unpinned`). No trust switched.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import polars as pl

from forecast.protocol import FORECAST_COLUMNS, Forecaster, ModelInput, ModelName, TrustCode


@dataclass
class SkillSelect:
    """A per-trust choice among members by holdout MAE, with the primary preferred."""

    members: dict[ModelName, Forecaster]
    name: str = "ensemble"
    margin: float = 0.9
    pinned: frozenset[TrustCode] = frozenset()
    choice: dict[TrustCode, ModelName] = field(default_factory=dict, init=False)
    last_members: dict[TrustCode, ModelName] = field(default_factory=dict, init=False)

    def fit(self, data: ModelInput) -> None:
        for member in self.members.values():
            member.fit(data)
        self.choice = choose(self._skills(), list(self.members), self.margin)
        primary = next(iter(self.members))
        self.choice.update({t: primary for t in self.pinned if t in self.choice})

    def predict(self, data: ModelInput, origin: date, horizon: int) -> pl.DataFrame:
        trusts = set(data.attendances["trust_code"].unique().to_list())
        primary = next(iter(self.members))
        pending = {t: self.choice.get(t, primary) for t in trusts}
        parts: list[pl.DataFrame] = []
        for name, member in self.members.items():
            wanted = {t for t, chosen in pending.items() if chosen == name}
            if not wanted:
                continue
            out = member.predict(data, origin, horizon).filter(
                pl.col("trust_code").is_in(sorted(wanted)))
            parts.append(out.with_columns(pl.lit(name).alias("member")))
            served = set(out["trust_code"].unique().to_list())
            later = list(self.members)[list(self.members).index(name) + 1:]
            for trust in wanted - served:  # cannot forecast it: hand it to the next member
                pending[trust] = later[0] if later else name
        frame = pl.concat(parts) if parts else pl.DataFrame()
        self.last_members = dict(zip(frame["trust_code"], frame["member"], strict=False))
        return frame.select(FORECAST_COLUMNS).sort("trust_code", "date")

    def describe(self) -> dict[str, object]:
        counts: dict[str, int] = {}
        for chosen in self.choice.values():
            counts[chosen] = counts.get(chosen, 0) + 1
        return {"model": self.name, "members": list(self.members), "margin": self.margin,
                "pinned": len(self.pinned), "trusts_per_member": counts}

    def _skills(self) -> dict[ModelName, Mapping[TrustCode, float]]:
        return {name: getattr(m, "holdout_mae", {}) for name, m in self.members.items()}


def choose(
    skills: Mapping[ModelName, Mapping[TrustCode, float]], order: list[ModelName], margin: float,
) -> dict[TrustCode, ModelName]:
    """The primary for every trust unless another member beats it by the margin."""
    primary = order[0]
    trusts = set().union(*[set(s) for s in skills.values()]) if skills else set()
    choice: dict[TrustCode, ModelName] = {}
    for trust in trusts:
        best, best_mae = primary, skills.get(primary, {}).get(trust)
        for name in order[1:]:
            mae = skills.get(name, {}).get(trust)
            if mae is None:
                continue
            if best_mae is None or mae < margin * best_mae:
                best, best_mae = name, mae
        choice[trust] = best
    return choice
