"""The model registry: versioned artefacts under AEF_MODEL_DIR, each written all at once.

    <root>/<model>/<version>/model.pkl       the fitted model (pickle; only ever our own files)
    <root>/<model>/<version>/metadata.json   training window, data fingerprint, features,
                                             library versions, holdout skill when the model has it

A version is written into a temporary directory beside its final place, fsynced, then renamed:
a crash leaves either the whole version or a `.tmp-*` directory that readers ignore and the next
prune removes. Retention keeps the newest `keep` versions of each model plus any the caller
protects (those referenced by the latest complete run).
"""

from __future__ import annotations

import json
import os
import pickle
import platform
import shutil
import tempfile
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

from batch._pause import pause_at
from contract.errors import ModelError
from forecast.protocol import Forecaster
from forecast.targets import DEFAULT_TARGET, Target

MODEL_FILE = "model.pkl"
METADATA_FILE = "metadata.json"
KEEP_VERSIONS = 5
LIBRARIES = ("polars", "numpy", "lightgbm", "statsmodels", "scipy")
# Modules that moved after artefacts naming them were saved: old path -> new path. Saved models
# stay loadable across the move (a pickled engine holds a reference to its factory).
MOVED = {
    "aeforecast.batch.hierarchy_run": "batch.hierarchy_run",
    "aeforecast.batch.fallback": "forecast.fallback",
    "aeforecast.batch.expectation": "forecast.expectation",
    "aeforecast.errors": "contract.errors",
}


@dataclass(frozen=True)
class ModelVersion:
    """One stored artefact and what it was trained on."""

    version_id: str
    model: str
    created_at: datetime
    trained_from: date
    trained_until: date
    data_fingerprint: str
    path: Path
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TrainingWindow:
    trained_from: date
    trained_until: date
    data_fingerprint: str
    n_trusts: int


def artefact_name(model: str, target: Target) -> str:
    """Where a model trained for `target` is kept: `ensemble`, `ensemble.admissions`."""
    return model if target == DEFAULT_TARGET else f"{model}.{target}"


class ModelRegistry:
    """Artefacts of every model under one root directory."""

    def __init__(self, root: Path, keep: int = KEEP_VERSIONS) -> None:
        self.root = root
        self.keep = keep

    def check_writable(self, model: str) -> None:
        """Fail now, before an expensive fit, if a new version of `model` could not be saved."""
        parent = self.root / model
        try:
            parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=parent, prefix=".probe-"):
                pass
        except OSError as exc:
            raise ModelError(_cannot_write(parent, exc)) from exc

    def save(self, model: Forecaster, window: TrainingWindow, name: str | None = None
             ) -> ModelVersion:
        """Write a new version atomically under `name` (default the model's own name, see
        `artefact_name`); ModelError (nothing left behind) if it cannot."""
        created = datetime.now(UTC)
        version_id = f"{created:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"
        artefact = name or model.name
        parent = self.root / artefact
        version = ModelVersion(
            version_id, artefact, created, window.trained_from, window.trained_until,
            window.data_fingerprint, parent / version_id, describe(model, window),
        )
        tmp: Path | None = None
        try:
            parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{version_id}-", dir=parent))
            tmp.chmod(0o755)  # mkdtemp makes it private; artefacts are not secrets
            _write(tmp / MODEL_FILE, pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
            pause_at("save")
            _write(tmp / METADATA_FILE, json.dumps(_metadata_document(version), indent=2,
                                                   default=str).encode())
            _fsync(tmp)
            os.rename(tmp, version.path)
            _fsync(parent)
        except OSError as exc:
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
            raise ModelError(_cannot_write(parent, exc)) from exc
        return version

    def versions(self, model: str) -> list[ModelVersion]:
        """Every complete version of `model`, newest first."""
        parent = self.root / model
        if not parent.is_dir():
            return []
        found = [_read_version(p) for p in parent.iterdir() if _is_version_dir(p)]
        return sorted((v for v in found if v is not None),
                      key=lambda v: (v.created_at, v.version_id), reverse=True)

    def latest(self, model: str, not_after: date | None = None) -> ModelVersion | None:
        """The newest version trained on data up to `not_after` at most (no peeking ahead)."""
        for version in self.versions(model):
            if not_after is None or version.trained_until <= not_after:
                return version
        return None

    def load(self, version: ModelVersion) -> Forecaster:
        try:
            with (version.path / MODEL_FILE).open("rb") as handle:
                model = _Unpickler(handle).load()  # only our own artefacts, in our own directory
        except (OSError, pickle.UnpicklingError, AttributeError, ImportError) as exc:
            raise ModelError(f"cannot load model artefact {version.path}: {exc}") from exc
        if not isinstance(model, Forecaster):
            raise ModelError(f"{version.path / MODEL_FILE} does not hold a forecasting model")
        return model

    def prune(self, protect: frozenset[str] = frozenset()) -> list[ModelVersion]:
        """Remove all but the newest `keep` versions of each model (and `protect`), and the
        leftovers of interrupted writes. Returns the versions removed."""
        removed: list[ModelVersion] = []
        if not self.root.is_dir():
            return removed
        for parent in sorted(p for p in self.root.iterdir() if p.is_dir()):
            for leftover in parent.glob(".tmp-*"):
                shutil.rmtree(leftover, ignore_errors=True)
            for leftover in parent.glob(".trash-*"):
                shutil.rmtree(leftover, ignore_errors=True)
            for version in self.versions(parent.name)[self.keep:]:
                if version.version_id not in protect:
                    _remove(version.path)
                    removed.append(version)
        return removed


def describe(model: Forecaster, window: TrainingWindow) -> dict[str, Any]:
    """What to keep beside an artefact: enough to explain and to judge its forecasts later."""
    described = getattr(model, "describe", None)
    details: dict[str, Any] = described() if callable(described) else {}
    skill = getattr(model, "skill", None)
    return {
        "n_trusts": window.n_trusts,
        "features": details.get("features"),
        "holdout": skill if isinstance(skill, dict) and skill else details.get("holdout"),
        "model_details": {k: v for k, v in details.items() if k not in ("features", "holdout")},
        "libraries": library_versions(),
    }


def library_versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            found[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            found[name] = None
    return found


def _metadata_document(version: ModelVersion) -> dict[str, Any]:
    document = asdict(version)
    document["path"] = str(version.path)
    extra = document.pop("metadata")
    return {**document, **extra}


def _read_version(path: Path) -> ModelVersion | None:
    try:
        doc = json.loads((path / METADATA_FILE).read_text())
        core = {"version_id", "model", "created_at", "trained_from", "trained_until",
                "data_fingerprint", "path"}
        return ModelVersion(
            version_id=doc["version_id"], model=doc["model"],
            created_at=datetime.fromisoformat(doc["created_at"]),
            trained_from=date.fromisoformat(doc["trained_from"]),
            trained_until=date.fromisoformat(doc["trained_until"]),
            data_fingerprint=doc["data_fingerprint"], path=path,
            metadata={k: v for k, v in doc.items() if k not in core},
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None  # not a version we can use; retention will age it out


def _is_version_dir(path: Path) -> bool:
    return path.is_dir() and not path.name.startswith(".")


def _write(path: Path, payload: bytes) -> None:
    with path.open("wb") as handle:
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    """Rename out of sight first, so a reader never finds half a deleted version."""
    trash = path.with_name(f".trash-{path.name}-{uuid.uuid4().hex[:6]}")
    try:
        os.rename(path, trash)
    except OSError:
        return
    shutil.rmtree(trash, ignore_errors=True)


def _cannot_write(parent: Path, exc: OSError) -> str:
    reason = exc.strerror or str(exc)
    return (f"cannot write model artefacts under {parent}: {reason}; "
            f"check AEF_MODEL_DIR ({parent.parent}) exists and is writable by this user")


class _Unpickler(pickle.Unpickler):
    """Reads artefacts saved before a module moved (see MOVED)."""

    def find_class(self, module: str, name: str) -> Any:
        return super().find_class(MOVED.get(module, module), name)

