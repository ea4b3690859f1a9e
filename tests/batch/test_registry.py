"""The model registry: atomic versions, the newest usable one, retention, clean failures."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from support.batch_world import END, world

from batch import registry as registry_module
from batch.registry import ModelRegistry, TrainingWindow
from contract.errors import ModelError
from forecast.baselines.snaive import SeasonalNaive
from forecast.protocol import ModelInput


def fitted(upto: date = END) -> SeasonalNaive:
    model = SeasonalNaive()
    model.fit(ModelInput(world().attendances.filter(pl.col("date") <= upto)))
    return model


def window(upto: date = END) -> TrainingWindow:
    return TrainingWindow(END - timedelta(days=700), upto, "f" * 64, 6)


@pytest.fixture
def unwritable(tmp_path: Path) -> Iterator[Path]:
    """A model dir nobody can write: read-only, or (for root, who ignores that) under a file."""
    root = tmp_path / "models"
    root.mkdir()
    root.chmod(stat.S_IRUSR | stat.S_IXUSR)
    if os.access(root, os.W_OK):
        root.chmod(stat.S_IRWXU)
        (tmp_path / "not-a-dir").write_text("")
        yield tmp_path / "not-a-dir" / "models"
        return
    yield root
    root.chmod(stat.S_IRWXU)


def test_a_saved_version_loads_back_with_its_metadata(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path / "models")
    model = fitted()
    version = registry.save(model, window())
    assert version.path == tmp_path / "models" / "snaive" / version.version_id
    assert sorted(p.name for p in version.path.iterdir()) == ["metadata.json", "model.pkl"]
    doc = json.loads((version.path / "metadata.json").read_text())
    assert doc["trained_until"] == str(END) and doc["data_fingerprint"] == "f" * 64
    assert set(doc["libraries"]) >= {"python", "polars", "numpy", "lightgbm", "statsmodels"}
    assert registry.versions("snaive") == [version]
    data = ModelInput(world().attendances)
    again = registry.load(version)
    assert again.predict(data, END, 7).equals(model.predict(data, END, 7))


def test_latest_never_peeks_past_the_as_of_date(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    early = registry.save(fitted(END - timedelta(days=30)), window(END - timedelta(days=30)))
    late = registry.save(fitted(), window())
    assert registry.latest("snaive") == late
    assert registry.latest("snaive", not_after=END - timedelta(days=1)) == early
    assert registry.latest("snaive", not_after=END - timedelta(days=31)) is None
    assert registry.latest("ets") is None


def test_a_failed_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    registry = ModelRegistry(tmp_path)
    kept = registry.save(fitted(), window())
    real_write = registry_module._write

    def fail_on_metadata(path: Path, payload: bytes) -> None:
        if path.name == "metadata.json":
            real_write(path, payload[:10])  # half a file, then the disk fills up
            raise OSError(28, "No space left on device")
        real_write(path, payload)

    monkeypatch.setattr(registry_module, "_write", fail_on_metadata)
    with pytest.raises(ModelError, match=f"cannot write model artefacts under {tmp_path}"):
        registry.save(fitted(), window())
    assert [p.name for p in (tmp_path / "snaive").iterdir()] == [kept.version_id]
    assert registry.versions("snaive") == [kept]


def test_an_interrupted_write_is_invisible_then_cleaned(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    kept = registry.save(fitted(), window())
    torn = tmp_path / "snaive" / f".tmp-{kept.version_id}x-abc"  # what a SIGKILL leaves
    torn.mkdir()
    (torn / "model.pkl").write_bytes(b"\x80half")
    assert registry.versions("snaive") == [kept]
    assert registry.prune() == []
    assert not torn.exists() and registry.versions("snaive") == [kept]


def test_retention_keeps_the_newest_and_the_protected(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path, keep=2)
    versions = [registry.save(fitted(), window()) for _ in range(5)]
    oldest = versions[0]
    removed = registry.prune(protect=frozenset({oldest.version_id}))
    assert {v.version_id for v in removed} == {versions[1].version_id, versions[2].version_id}
    assert registry.versions("snaive") == [versions[4], versions[3], oldest]
    assert not any(p.name.startswith(".") for p in (tmp_path / "snaive").iterdir())


def test_an_unwritable_model_dir_fails_clearly(unwritable: Path) -> None:
    registry = ModelRegistry(unwritable)
    with pytest.raises(ModelError, match=f"cannot write model artefacts under {unwritable}"):
        registry.check_writable("snaive")
    with pytest.raises(ModelError, match="(Permission denied|Not a directory)"):
        registry.save(fitted(), window())
    assert registry.versions("snaive") == []
    assert not unwritable.exists() or list(unwritable.iterdir()) == []


def test_a_corrupt_artefact_is_a_model_error(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    version = registry.save(fitted(), window())
    (version.path / "model.pkl").write_bytes(b"not a pickle")
    with pytest.raises(ModelError, match="cannot load model artefact"):
        registry.load(version)
