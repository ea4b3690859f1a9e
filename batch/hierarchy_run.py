"""The nightly batch over a hierarchy: coherent forecasts for every node, in the same run.

When a mapping is stored (`aeforecast ingest --hierarchy`), the batch forecasts every node
(site, trust, ICS, region, nation) with a `HierarchicalForecaster` around the chosen engine and
stores the reconciled rows of all of them, plus the run's node list, in the one transaction that
completes the run. A trust's data may arrive by site (its sites' series under their site
codes): then its sites are the bottom series and the trust is their sum; otherwise the trust is
a bottom series and its sites are not forecast. Its artefact lives in the registry under
`hierarchy-<engine>` (`hierarchy-<engine>.admissions` for admissions, as `artefact_name` names
plain ones), is reused for up to `RETRAIN_AFTER_DAYS` like the plain one, and is retrained at
once if the hierarchy changed.

The target is the inputs' (`for_target`): for admissions the count column already holds
admissions and only the series that report admissions are there, so a trust whose sites'
files carry no admissions is an admissions leaf itself, even when its attendances come by site.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import date
from functools import partial
from typing import Any

import polars as pl

from batch._pause import pause_at
from batch.freshness import last_actuals
from batch.inputs import BatchInputs
from batch.modelling import RETRAIN_AFTER_DAYS
from batch.registry import ModelRegistry, ModelVersion, TrainingWindow, artefact_name
from contract.errors import ModelError
from forecast.catalog import build_models
from forecast.hierarchy.aggregate import hierarchy_input
from forecast.hierarchy.model import HierarchicalForecaster
from forecast.hierarchy.structure import Hierarchy, structure_for
from forecast.protocol import Forecaster, ModelInput, ModelName
from forecast.targets import DEFAULT_TARGET, Target
from store.run_log import TRUST_ROW_SCHEMA, RunLog, RunRows
from store.runs import RunId

log = logging.getLogger(__name__)


def build_engine(name: ModelName) -> Forecaster:
    """A fresh catalog model (module level, so a fitted hierarchical model pickles)."""
    return build_models([name])[name]


def mapping_fingerprint(fingerprint: str, mapping: pl.DataFrame) -> str:
    """The data's fingerprint extended by the mapping: a new mapping makes a new run."""
    text = mapping.sort("trust_code", "site_code", nulls_last=True).write_csv()
    return hashlib.sha256((fingerprint + text).encode()).hexdigest()


def make_run(runs: RunLog, registry: ModelRegistry, inputs: BatchInputs, mapping: pl.DataFrame,
             engine: ModelName, retrain: str, run_id: RunId, target: Target = DEFAULT_TARGET
             ) -> tuple[int, ModelVersion | None, bool]:
    """Fit or load, forecast every node, store the run; (nodes, version, retrained).
    `inputs` are already those of `target` (`for_target`)."""
    hierarchy = structure_for(mapping, inputs.data)
    nodes = hierarchy_input(inputs.data, hierarchy)  # the target is in the engine's column
    model, version, retrained = _model(registry, hierarchy, nodes, inputs, engine, retrain,
                                       target)
    forecast = model.predict(nodes, inputs.as_of, inputs.horizon)
    if forecast.height != len(hierarchy) * inputs.horizon:
        raise ModelError(f"the hierarchical forecast has {forecast.height} rows, expected "
                         f"{len(hierarchy)} nodes x {inputs.horizon} days")
    name = None if version is None else version.version_id
    data_to = last_actuals(nodes.attendances)  # each node's own last complete day
    trusts = pl.DataFrame(
        [(n.code, model.name, name, "ok", None, data_to.get(n.code)) for n in hierarchy.nodes],
        schema=TRUST_ROW_SCHEMA, orient="row")
    metadata: dict[str, Any] = {
        "model": f"hierarchy-{engine}", "target": target, "model_version": name,
        "hierarchy": model.describe(),
        "retrain": {"policy": retrain, "retrained": retrained},
        "data": {"first_date": inputs.first_date, "last_date": inputs.last_date,
                 "nodes": len(hierarchy), "leaves": len(hierarchy.leaves),
                 "fingerprint": inputs.fingerprint},
    }
    runs.complete(run_id, RunRows(forecast, trusts, nodes=hierarchy.frame()), metadata, version,
                  before_commit=lambda: pause_at("store"))
    return len(hierarchy), version, retrained


def _model(registry: ModelRegistry, hierarchy: Hierarchy, nodes: ModelInput,
           inputs: BatchInputs, engine: ModelName, retrain: str, target: Target
           ) -> tuple[HierarchicalForecaster, ModelVersion | None, bool]:
    name = f"hierarchy-{engine}"
    artefact = artefact_name(name, target)
    latest = registry.latest(artefact, not_after=inputs.as_of)
    if latest is not None and retrain != "always" and _fresh(latest, inputs.as_of, retrain):
        try:
            loaded = registry.load(latest)
        except ModelError as exc:
            log.warning("%s; training a new version instead", exc)
        else:
            if (isinstance(loaded, HierarchicalForecaster) and loaded.hierarchy == hierarchy
                    and loaded.max_horizon >= inputs.horizon):
                return loaded, latest, False
            log.info("the hierarchy or horizon changed since %s: retraining", latest.version_id)
    if retrain == "never":
        raise ModelError(f"--retrain never, but no usable '{artefact}' artefact")
    model = HierarchicalForecaster(hierarchy, engine=partial(build_engine, engine),
                                   max_horizon=inputs.horizon, name=name)
    model.fit(nodes)
    window = TrainingWindow(inputs.first_date, inputs.last_date, inputs.fingerprint,
                            len(hierarchy))
    return model, registry.save(model, window, artefact), True


def _fresh(version: ModelVersion, as_of: date, retrain: str) -> bool:
    return retrain == "never" or (as_of - version.trained_until).days < RETRAIN_AFTER_DAYS
