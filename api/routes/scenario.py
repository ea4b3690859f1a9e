"""What if: a trust's forecast under other temperatures, beside the baseline forecast."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi import APIRouter, Request

from api.deps import ServedTrustDep
from api.insight_schemas import Scenario, ScenarioDay, ScenarioIn, ScenarioValues
from api.schemas import error_responses
from batch.scenario import ScenarioEngine, ScenarioResult, check_window
from contract.errors import InputError

router = APIRouter(prefix="/v1/trusts", tags=["scenario"])
FIELDS = ("point", "lo80", "hi80", "lo95", "hi95", "temperature_c")


@router.post("/{trust_code}/forecast/scenario", response_model=Scenario,
             responses=error_responses(401, 403, 404, 413, 422, 503))
def post_scenario(request: Request, access: ServedTrustDep, body: ScenarioIn) -> Scenario:
    """The served run's forecast for every day of its horizon, re-run with the given
    temperatures (a heat wave, a cold snap) beside the baseline; nothing is stored.

    Give `temperatures` (a value per day) or `shift` (add `delta_c` to the stored forecast over a
    range of days), not both; days must lie in the run's forecast window. A trust whose model
    has no temperature sensitivity (seasonal naive) gets the baseline back, with a `note`.
    The two days after the changed ones may move too: the model reads each day's change from
    the day before and the 3-day mean.
    A first call per process loads the model (a second or two); later ones take well under
    a second for a few hundred trusts.
    """
    run, code = access.run, access.trust_code
    engine: ScenarioEngine = request.app.state.scenarios
    temperatures = _requested(engine, run, code, body)
    result = engine.run(run, code, temperatures)
    return _response(result, run.run_id, body.name, set(temperatures))


def _requested(engine: ScenarioEngine, run: object, code: str, body: ScenarioIn
               ) -> dict[date, float]:
    from store.runs import RunInfo

    assert isinstance(run, RunInfo)
    if (body.temperatures is None) == (body.shift is None):
        raise InputError("body: give either `temperatures` or `shift`, not both or neither")
    if body.temperatures is not None:
        wanted = {t.date: float(t.temperature_c) for t in body.temperatures}
        if len(wanted) != len(body.temperatures):
            raise InputError("temperatures: a date appears twice")
        check_window(run, wanted, "temperatures")
        return wanted
    assert body.shift is not None
    shift = body.shift
    if shift.end < shift.start:
        raise InputError(f"shift.end: {shift.end} is before shift.start {shift.start}")
    days = [shift.start + timedelta(days=i) for i in range((shift.end - shift.start).days + 1)]
    check_window(run, dict.fromkeys(days, 0.0), "shift")
    stored = engine.stored_temperatures(run, code, days)
    missing = [d for d in days if d not in stored]
    if missing:
        raise InputError(f"shift: no temperature forecast is stored for {code} on "
                         f"{missing[0]}; give `temperatures` for those days instead")
    shifted = {d: stored[d] + float(shift.delta_c) for d in days}
    if any(not -60 <= v <= 60 for v in shifted.values()):
        raise InputError("shift.delta_c: the shifted temperatures leave -60 to 60 C")
    return shifted


def _response(result: ScenarioResult, run_id: str, name: str | None, changed: set[date]
              ) -> Scenario:
    base = {row["date"]: row for row in result.baseline.iter_rows(named=True)}
    days = []
    for row in result.scenario.iter_rows(named=True):
        before = base[row["date"]]
        days.append(ScenarioDay(
            date=row["date"], baseline=_values(before), scenario=_values(row),
            difference=round(row["point"] - before["point"], 2), changed=row["date"] in changed))
    return Scenario(trust_code=result.trust_code, run_id=run_id, name=name, model=result.model,
                    member=result.member, note=result.note, computed=result.computed,
                    days=days)


def _values(row: dict[str, object]) -> ScenarioValues:
    return ScenarioValues(**{k: None if row[k] is None else round(float(row[k]), 2)  # type: ignore[arg-type]
                             for k in FIELDS})
