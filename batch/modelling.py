"""The model side of the batch: which artefact to use, training one, forecasting every trust.

Retrain policy (`--retrain auto`): train a new version when there is no artefact trained on data
up to the as-of date, when the newest such artefact's data ends `RETRAIN_AFTER_DAYS` (7) or more
days before the as-of date, or when it was built for a shorter horizon; otherwise load it and
only predict. Models update their state from the new actuals inside `predict` (new levels, new
lags) without refitting, so a nightly run costs a prediction and a weekly one a fit.
`--retrain always` fits every time; `--retrain never` only loads (and fails without an artefact).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

import polars as pl

from batch._pause import pause_at
from batch.inputs import BatchInputs
from batch.registry import ModelRegistry, ModelVersion, TrainingWindow
from contract.errors import ModelError
from forecast.catalog import build_models
from forecast.fallback import check_forecast
from forecast.protocol import FORECAST_SCHEMA, Forecaster, ModelInput, ModelName, TrustCode

if TYPE_CHECKING:
    from forecast.scaleout.cluster import Cluster

log = logging.getLogger(__name__)

RetrainPolicy = Literal["auto", "always", "never"]
RETRAIN_POLICIES: tuple[RetrainPolicy, ...] = ("auto", "always", "never")
RETRAIN_AFTER_DAYS = 7
MIN_HISTORY_DAYS = 28  # observed days a trust needs before the model serves it


@dataclass(frozen=True)
class ModelChoice:
    """Train a new version, or load `version`; `stale` is a loadable older one if training fails."""

    retrain: bool
    reason: str
    version: ModelVersion | None = None
    stale: ModelVersion | None = None


@dataclass
class ModelInUse:
    model: Forecaster | None  # None: no model at all, every trust falls back
    version: ModelVersion | None
    retrained: bool
    notes: dict[str, Any] = field(default_factory=dict)


def choose_model(registry: ModelRegistry, name: ModelName, policy: RetrainPolicy,
                 as_of: date, horizon: int) -> ModelChoice:
    latest = registry.latest(name, not_after=as_of)
    if policy == "always":
        return ModelChoice(True, "--retrain always", stale=latest)
    if latest is None:
        if policy == "never":
            raise ModelError(f"--retrain never, but {registry.root / name} holds no '{name}' "
                             f"artefact trained on data up to {as_of}")
        return ModelChoice(True, "no artefact trained on data up to the as-of date")
    age = (as_of - latest.trained_until).days
    built_for = latest.metadata.get("model_details", {}).get("max_horizon")
    if policy == "never":
        return ModelChoice(False, "--retrain never", version=latest)
    if isinstance(built_for, int) and built_for < horizon:
        return ModelChoice(True, f"{latest.version_id} was built for {built_for} days",
                           stale=latest)
    if age >= RETRAIN_AFTER_DAYS:
        return ModelChoice(True, f"{latest.version_id} is {age} days old", stale=latest)
    return ModelChoice(False, f"{latest.version_id} is {age} days old", version=latest)


def model_trusts(inputs: BatchInputs) -> tuple[list[TrustCode], dict[TrustCode, str]]:
    """Trusts the model serves, and the rest with the reason (too little history)."""
    counts = inputs.data.attendances.group_by("trust_code").len()
    short = {
        code: f"too little history: {n} observed days, the model needs {MIN_HISTORY_DAYS}"
        for code, n in counts.iter_rows() if n < MIN_HISTORY_DAYS
    }
    return [c for c in inputs.trusts if c not in short], short


def obtain_model(registry: ModelRegistry, name: ModelName, choice: ModelChoice,
                 inputs: BatchInputs, data: ModelInput, artefact: str | None = None,
                 cluster: Cluster | None = None
                 ) -> ModelInUse:
    """Load the chosen version, or train and save a new one (falling back to `choice.stale`).

    An artefact that no longer loads (a library upgrade, a damaged file) is replaced by a new
    training rather than failing the night. With a Dask `cluster` the training runs there and
    the ordinary fitted model is saved (loadable without Dask).
    """
    notes: dict[str, Any] = {}
    if not choice.retrain:
        assert choice.version is not None
        try:
            return ModelInUse(registry.load(choice.version), choice.version, False)
        except ModelError as exc:
            log.warning("%s; training a new version instead", exc)
            notes["load_failed"] = str(exc)
    try:
        model = train(name, data, inputs.horizon, cluster)
    except Exception as exc:  # a model that cannot fit must not sink the run
        notes["retrain_failed"] = f"{type(exc).__name__}: {exc}"
        log.exception("training %s failed", name)
        if choice.stale is not None:
            return ModelInUse(registry.load(choice.stale), choice.stale, False, notes)
        return ModelInUse(None, None, False, notes)
    window = TrainingWindow(inputs.first_date, inputs.last_date, inputs.fingerprint,
                            data.attendances["trust_code"].n_unique())
    return ModelInUse(model, registry.save(model, window, artefact), True, notes)


def train(name: ModelName, data: ModelInput, horizon: int, cluster: Cluster | None = None
          ) -> Forecaster:
    model = build_models([name])[name]
    if getattr(model, "max_horizon", horizon) < horizon:
        model.max_horizon = horizon  # type: ignore[attr-defined]
    pause_at("train")
    if cluster is None:
        model.fit(data)
        return model
    from forecast.scaleout import distribute, localise

    distributed = distribute(model, cluster)
    distributed.fit(data)
    return localise(distributed)


def on_cluster(model: Forecaster, cluster: Cluster | None) -> Forecaster:
    """The model itself, or the same fitted model predicting on the Dask cluster."""
    if cluster is None:
        return model
    from forecast.scaleout import distribute

    return distribute(model, cluster)


def forecast_all(model: Forecaster, data: ModelInput, trusts: list[TrustCode], as_of: date,
                 horizon: int) -> tuple[pl.DataFrame, dict[TrustCode, str]]:
    """Every trust at once; if that raises, trust by trust, so one failure stays one failure."""
    pause_at("forecast")
    try:
        return check_forecast(model.predict(data, as_of, horizon), trusts, horizon)
    except Exception:  # isolate the failing trust(s) below
        log.exception("forecasting all trusts at once failed; retrying trust by trust")
    frames: list[pl.DataFrame] = []
    failures: dict[TrustCode, str] = {}
    for code in trusts:
        one = ModelInput(data.attendances.filter(pl.col("trust_code") == code),
                         data.temperature, data.nations)
        try:
            frames.append(model.predict(one, as_of, horizon).cast(FORECAST_SCHEMA))  # type: ignore[arg-type]
        except Exception as exc:  # recorded as this trust's fallback reason
            failures[code] = f"the model failed: {type(exc).__name__}: {exc}"
    good, problems = check_forecast(pl.concat(frames) if frames else pl.DataFrame(
        schema=FORECAST_SCHEMA), trusts, horizon)
    return good, {**problems, **failures}


def close(model: Forecaster | None) -> None:
    """Stop a model's worker processes, if it has any."""
    stop = getattr(model, "close", None)
    if callable(stop):
        stop()
