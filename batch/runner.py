"""The nightly batch: read the data, get a model, forecast every trust, store one run.

Order matters for the promises made to readers and operators:
1. one batch per database (`batch_lock`); runs left 'running' by a dead batch are marked failed;
2. same data, model and horizon as a complete run: that run's id is returned, nothing stored;
3. the model dir is checked writable *before* training, so an unwritable one fails fast;
4. the run is recorded 'running', then rows + 'complete' are written in one transaction:
   readers see the previous complete run until that commit, the new one after it;
5. a trust the model cannot serve gets a fallback, recorded with its reason; the run completes;
6. a trust whose data ends more than `stale_after_days` before the as-of is left out of the run
   (`batch.freshness`), recorded with its reason: old data is never dressed up as current;
7. new days far beyond a trust's own history are held back (`batch.jumps`), named, not stored
   away: one trust's glitch must not move every other trust's forecast.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Any

import polars as pl

from batch import hierarchy_run
from batch._pause import pause_at
from batch.freshness import (
    DEFAULT_STALE_AFTER_DAYS,
    Freshness,
    assess,
    only_trusts,
    with_freshness,
    without,
)
from batch.inputs import BatchInputs, for_target, load_inputs, temperature_coverage
from batch.jumps import find_jumps, hold_back
from batch.modelling import (
    ModelChoice,
    ModelInUse,
    RetrainPolicy,
    choose_model,
    close,
    model_trusts,
    obtain_model,
)
from batch.registry import ModelRegistry, artefact_name
from batch.serve_trusts import Served, serve_trusts
from contract.errors import NotFoundError
from contract.log_context import log_context
from forecast.catalog import DEFAULT_MODEL
from forecast.expectation import expectation_of
from forecast.protocol import ModelName, TrustCode
from forecast.targets import DEFAULT_TARGET, TARGETS, Target
from store import Store
from store.hierarchy import read_hierarchy
from store.run_log import RunLog, RunRows
from store.runs import RunId, latest_complete_run

if TYPE_CHECKING:
    from forecast.scaleout.cluster import Cluster

log = logging.getLogger(__name__)

PHASES = ["load", "model", "forecast", "store", "retention"]
Progress = Callable[[str, str], None]  # (phase in PHASES, what is happening), at each start


@dataclass(frozen=True)
class BatchOptions:
    as_of: date
    horizon: int = 42
    retrain: RetrainPolicy = "auto"
    model: ModelName = DEFAULT_MODEL
    target: Target = DEFAULT_TARGET
    stale_after_days: int = DEFAULT_STALE_AFTER_DAYS

    @property
    def artefact(self) -> str:
        return artefact_name(self.model, self.target)


@dataclass(frozen=True)
class BatchResult:
    """`reused`: an identical complete run existed and was returned; nothing was stored."""

    run_id: RunId
    reused: bool
    n_trusts: int = 0
    fallbacks: dict[TrustCode, str] = field(default_factory=dict)
    model_version: str | None = None
    retrained: bool = False
    stale: dict[TrustCode, str] = field(default_factory=dict)  # left out: data too old
    held_back: dict[TrustCode, str] = field(default_factory=dict)  # new days beyond history

    @property
    def ok(self) -> bool:
        return not self.fallbacks and not self.stale and not self.held_back


@dataclass(frozen=True)
class Night:
    """One batch's fixed surroundings: where runs are written, where models live, what was
    asked, who hears of progress and, with Dask, where the work runs."""

    runs: RunLog
    registry: ModelRegistry
    options: BatchOptions
    report: Progress
    cluster: Cluster | None = None

    def fail_quietly(self, run_id: RunId, exc: BaseException) -> None:
        """Record why the run failed; a second failure here must not hide the first."""
        try:
            self.runs.fail(run_id, f"{type(exc).__name__}: {exc}")
        except Exception:  # the database may be what failed
            log.exception("could not mark run %s failed", run_id)


def run_batch(store: Store, registry: ModelRegistry, options: BatchOptions,
              progress: Progress | None = None, cluster: Cluster | None = None) -> BatchResult:
    """One run; with a Dask `cluster`, training and forecasting run on it (same store, same
    artefacts, same run)."""
    night = Night(RunLog(store), registry, options,
                  progress or (lambda _phase, _text: None), cluster)
    started = time.monotonic()
    with night.runs.lock():
        abandoned = night.runs.abandon_running()
        if abandoned:
            log.warning("marked %d abandoned run(s) failed", len(abandoned),
                        extra={"fields": {"runs": abandoned}})
        night.report("load", f"reading data up to {options.as_of}")
        inputs = for_target(load_inputs(store, options.as_of, options.horizon), options.target)
        if inputs is None:
            raise NotFoundError(f"no {options.target} stored on or before {options.as_of} in "
                                f"{store.url}")
        jumps = find_jumps(inputs.data.attendances, options.as_of)
        for code, reason in sorted(jumps.reasons.items()):
            log.warning("%s: %s", code, reason, extra={"fields": {"trust": code}})
        inputs = hold_back(inputs, jumps)
        fresh = assess(inputs.data.attendances, options.as_of, options.stale_after_days)
        for code, reason in sorted(fresh.stale.items()):
            log.warning("%s is stale: %s", code, reason, extra={"fields": {"trust": code}})
        mapping = read_hierarchy(store)
        result = replace((_single_batch(night, inputs, fresh) if mapping is None
                          else _hierarchy_batch(night, inputs, mapping, fresh)),
                         held_back=jumps.reasons)
        if not result.reused:
            log.info("run %s complete in %.1f s", result.run_id, time.monotonic() - started,
                     extra={"fields": {"run_id": result.run_id, "trusts": result.n_trusts,
                                       "fallbacks": len(result.fallbacks)}})
        return result


def _single_batch(night: Night, inputs: BatchInputs, fresh: Freshness) -> BatchResult:
    """Every trust with fresh data forecast by one model (fallbacks where it cannot), in one
    run; the stale ones recorded in it, not forecast."""
    options = night.options
    existing = night.runs.find_complete(options.as_of, inputs.fingerprint, options.model,
                                        options.horizon, options.target)
    if existing is not None:
        log.info("run %s already holds these forecasts; nothing to do", existing)
        return BatchResult(existing, reused=True, stale=fresh.stale)
    choice = choose_model(night.registry, options.artefact, options.retrain, options.as_of,
                          options.horizon)
    if choice.retrain:
        night.registry.check_writable(options.artefact)
    run_id = night.runs.begin(
        as_of=options.as_of, horizon=options.horizon, model=options.model,
        fingerprint=inputs.fingerprint, metadata={"retrain": choice.reason},
        target=options.target)
    with log_context(run_id=run_id):  # on every line logged while the run is made
        try:
            return _make_run(night, inputs, choice, run_id, fresh)
        except BaseException as exc:
            night.fail_quietly(run_id, exc)
            raise


def _hierarchy_batch(night: Night, inputs: BatchInputs, mapping: pl.DataFrame,
                     fresh: Freshness) -> BatchResult:
    """Every node of the stored hierarchy that reports the target, reconciled, in one run
    (`hierarchy_run`). A stale trust stays in (its parents' sums need it), recorded with its
    `data_to`, so the API flags it; the batch names it and exits non-zero all the same."""
    options = night.options
    inputs = replace(inputs, fingerprint=hierarchy_run.mapping_fingerprint(
        inputs.fingerprint, mapping))
    model = f"hierarchy-{options.model}"
    existing = night.runs.find_complete(options.as_of, inputs.fingerprint, model,
                                        options.horizon, options.target)
    if existing is not None:
        log.info("run %s already holds these forecasts; nothing to do", existing)
        return BatchResult(existing, reused=True, stale=fresh.stale)
    run_id = night.runs.begin(as_of=options.as_of, horizon=options.horizon, model=model,
                              fingerprint=inputs.fingerprint, target=options.target)
    with log_context(run_id=run_id):  # on every line logged while the run is made
        night.report("model", f"forecasting {options.target} at every node of the hierarchy "
                              f"with {model}")
        try:
            n_nodes, version, retrained = hierarchy_run.make_run(
                night.runs, night.registry, inputs, mapping, options.model, options.retrain,
                run_id, options.target)
        except BaseException as exc:
            night.fail_quietly(run_id, exc)
            raise
    return BatchResult(run_id, False, n_nodes, {},
                       None if version is None else version.version_id, retrained, fresh.stale)


def _make_run(night: Night, inputs: BatchInputs, choice: ModelChoice, run_id: RunId,
              fresh: Freshness) -> BatchResult:
    options, cluster = night.options, night.cluster
    inputs = without(inputs, list(fresh.stale))
    served_trusts, short = model_trusts(inputs)
    data = only_trusts(inputs.data, served_trusts)
    night.report("model", f"{'training' if choice.retrain else 'loading'} {options.model} "
                          f"({choice.reason})")
    in_use = obtain_model(night.registry, options.model, choice, inputs, data,
                          options.artefact, cluster)
    try:
        night.report("forecast", f"forecasting {len(inputs.trusts)} trusts, "
                                 f"{options.horizon} days")
        served = serve_trusts(options.model, in_use, inputs, data, served_trusts, short, cluster)
    finally:
        close(in_use.model)
    night.report("store", f"storing run {run_id}")
    served = replace(served, trusts=with_freshness(served.trusts, fresh))
    metadata = _metadata(options, inputs, in_use, served)
    metadata["stale_trusts"] = fresh.stale
    if cluster is not None:
        metadata["dask"] = cluster.describe()
    night.runs.complete(run_id, RunRows(served.forecasts, served.trusts, served.drivers),
                        metadata, in_use.version, before_commit=lambda: pause_at("store"))
    night.report("retention", "pruning old model versions")
    _retain(night, in_use)
    return BatchResult(run_id, False, len(inputs.trusts), served.fallbacks,
                       None if in_use.version is None else in_use.version.version_id,
                       in_use.retrained, fresh.stale)


def _metadata(options: BatchOptions, inputs: BatchInputs, in_use: ModelInUse,
              served: Served) -> dict[str, Any]:
    return {
        "model": options.model,
        "target": options.target,
        "model_version": None if in_use.version is None else in_use.version.version_id,
        "retrain": {"policy": options.retrain, "retrained": in_use.retrained, **in_use.notes},
        "data": {"first_date": inputs.first_date, "last_date": inputs.last_date,
                 "trusts": len(inputs.trusts), "fingerprint": inputs.fingerprint},
        "temperature": temperature_coverage(inputs),
        "fallback_trusts": served.fallbacks,
        "expected_mae": expectation_of(in_use.model, served.served_by_model).to_json(),
    }


def _retain(night: Night, in_use: ModelInUse) -> None:
    """Retention never fails a run that is already stored."""
    protect: set[str] = set()
    for target in TARGETS:
        latest = latest_complete_run(night.runs.store, target)
        protect.update(latest.model_versions if latest is not None else ())
    if in_use.version is not None:
        protect.add(in_use.version.version_id)
    try:
        removed = night.registry.prune(frozenset(protect))
    except OSError as exc:
        log.warning("model retention failed under %s: %s", night.registry.root, exc)
        return
    night.runs.mark_versions_removed([v.version_id for v in removed])

