"""What error to expect from a served forecast: the yardstick live accuracy judges drift by.

Built at batch time from the model's own holdout skill (forecasts it made, before its fit date,
for weeks it had not seen) and stored in the run's metadata under "expected_mae":

    {"members": {NAME: {"relative_mae_by_horizon": {"1": r1, ...}, "mae_by_trust": {CODE: m}}},
     "trust_member": {CODE: NAME}}

A one-model run has one member; an ensemble (a model with `members` and `last_members`) records
each member's skill and which member served each trust. For a forecast row, in order:

1. the serving member's holdout MAE for the trust, shaped by horizon: m * r_h / mean(r);
2. its relative holdout MAE at that horizon times the point forecast: r_h * point;
3. its holdout MAE for the trust, whatever the horizon;
4. "interval_width" (fallback trusts, models without holdout skill): the run's own 80% interval
   width * sqrt(2/pi) / (2 * 1.2816) = 0.311, the MAE of a normal error with that interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from forecast.protocol import Forecaster, TrustCode

WIDTH80_TO_MAE = math.sqrt(2 / math.pi) / (2 * 1.2815516)
ONE_MODEL = "model"


@dataclass(frozen=True)
class Skill:
    """One model's holdout skill: relative MAE by horizon, absolute MAE by trust."""

    relative: dict[int, float] = field(default_factory=dict)
    by_trust: dict[TrustCode, float] = field(default_factory=dict)

    @property
    def mean_relative(self) -> float:
        return sum(self.relative.values()) / len(self.relative) if self.relative else 0.0


@dataclass(frozen=True)
class Expectation:
    members: dict[str, Skill] = field(default_factory=dict)
    trust_member: dict[TrustCode, str] = field(default_factory=dict)

    def expected(self, trust: TrustCode, horizon: int, point: float, lo80: float, hi80: float
                 ) -> tuple[float, str]:
        """(expected absolute error, "holdout" | "interval_width") for one forecast row."""
        skill = self.members.get(self.trust_member.get(trust, ""))
        if skill is not None:
            trust_mae, relative = skill.by_trust.get(trust), skill.relative.get(horizon)
            if trust_mae is not None and relative is not None and skill.mean_relative > 0:
                return trust_mae * relative / skill.mean_relative, "holdout"
            if relative is not None:
                return relative * point, "holdout"
            if trust_mae is not None:
                return trust_mae, "holdout"
        return (hi80 - lo80) * WIDTH80_TO_MAE, "interval_width"

    def to_json(self) -> dict[str, Any]:
        return {
            "members": {
                name: {"relative_mae_by_horizon": {str(h): v for h, v in s.relative.items()},
                       "mae_by_trust": s.by_trust}
                for name, s in self.members.items()
            },
            "trust_member": self.trust_member,
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any] | None) -> Expectation:
        if not doc or not isinstance(doc.get("members"), dict):
            return cls()
        members = {
            name: Skill({int(h): float(v) for h, v in (s.get("relative_mae_by_horizon") or {}
                                                        ).items()},
                        {c: float(v) for c, v in (s.get("mae_by_trust") or {}).items()})
            for name, s in doc["members"].items()
        }
        return cls(members, dict(doc.get("trust_member") or {}))


def expectation_of(model: Forecaster | None, served: list[TrustCode]) -> Expectation:
    """The expectation for a run in which `model` served the trusts `served`."""
    if model is None:
        return Expectation()
    members = getattr(model, "members", None)
    if isinstance(members, dict) and members:
        chosen: dict[TrustCode, str] = getattr(model, "last_members", None) or {}
        return Expectation({name: skill_of(m) for name, m in members.items()},
                           {t: chosen[t] for t in served if t in chosen})
    return Expectation({ONE_MODEL: skill_of(model)}, {t: ONE_MODEL for t in served})


def skill_of(model: object) -> Skill:
    """What a model reports: `skill["by_horizon"]` rows with relative_mae, `holdout_mae`."""
    skill = getattr(model, "skill", None)
    rows = skill.get("by_horizon") if isinstance(skill, dict) else None
    relative = {int(r["horizon"]): float(r["relative_mae"]) for r in rows or []
                if isinstance(r, dict) and r.get("relative_mae") is not None}
    by_trust = getattr(model, "holdout_mae", None)
    trusts = ({str(c): float(v) for c, v in by_trust.items() if v is not None and v == v}
              if isinstance(by_trust, dict) else {})
    return Skill(relative, trusts)

