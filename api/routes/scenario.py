"""What if: a trust's forecast under other temperatures, beside the baseline forecast."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import APIRouter, Request

from api.deps import ServedTrustDep
from api.insight_schemas import Scenario, ScenarioDay, ScenarioIn
from api.schemas import error_responses
from batch.scenario import Asked, ScenarioEngine, ServedDays, Shift
from contract.errors import InputError, RateLimitedError

router = APIRouter(prefix="/v1/trusts", tags=["scenario"])
AT_ONCE = 2  # what-if computations per process at once: each re-runs the model (CPU-bound)
WAIT_SECONDS = 5.0  # how long one waits for a slot before it is told to come back


@contextmanager
def scenario_slot(slots: threading.BoundedSemaphore) -> Iterator[None]:
    """A slot among the process's `AT_ONCE`, or 429: a burst of what-ifs queues briefly, then
    is turned away, and never takes every thread the other routes need."""
    if not slots.acquire(timeout=WAIT_SECONDS):
        raise RateLimitedError("too many what-if requests at once on this server; retry after "
                               "2 s", retry_after=2)
    try:
        yield
    finally:
        slots.release()


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
    engine: ScenarioEngine = request.app.state.scenarios
    run, served = access.run, access.forecast
    asked = _asked(body)
    with scenario_slot(request.app.state.scenario_slots):
        result = engine.run(run, access.trust_code, asked,
                            ServedDays(served.model, served.model_version, served.status,
                                       served.first, served.values))
    return Scenario(trust_code=result.trust_code, run_id=run.run_id, name=body.name,
                    model=result.model, member=result.member, note=result.note,
                    computed=result.computed,
                    days=[ScenarioDay.model_validate(day, from_attributes=True)
                          for day in result.days])


def _asked(body: ScenarioIn) -> Asked:
    """The body's temperatures, or its shift, once the body alone is seen to be sound."""
    if (body.temperatures is None) == (body.shift is None):
        raise InputError("body: give either `temperatures` or `shift`, not both or neither")
    if body.temperatures is not None:
        wanted = {t.date: float(t.temperature_c) for t in body.temperatures}
        if len(wanted) != len(body.temperatures):
            raise InputError("temperatures: a date appears twice")
        return wanted
    assert body.shift is not None
    shift = body.shift
    if shift.end < shift.start:
        raise InputError(f"shift.end: {shift.end} is before shift.start {shift.start}")
    return Shift(shift.start, shift.end, float(shift.delta_c))
