"""The model catalog: names to fresh models, unknown names refused with the known ones."""

from __future__ import annotations

import pytest

from contract.errors import InputError
from forecast.catalog import BACKTEST_MODELS, DEFAULT_MODEL, MODELS, build_models, parse_model_list
from forecast.protocol import Forecaster


def test_every_model_builds_and_honours_the_protocol() -> None:
    models = build_models(list(MODELS))
    assert list(models) == list(MODELS)
    for name, model in models.items():
        assert isinstance(model, Forecaster)
        assert model.name == name


def test_defaults_are_known_models() -> None:
    assert DEFAULT_MODEL in MODELS
    assert set(BACKTEST_MODELS) <= set(MODELS)
    assert parse_model_list(None) == BACKTEST_MODELS
    assert parse_model_list(" ets , snaive ") == ["ets", "snaive"]


def test_unknown_names_are_refused_listing_the_known_ones() -> None:
    with pytest.raises(InputError, match=r"unknown model\(s\) 'nope'; known models: .*snaive"):
        build_models(["snaive", "nope"])
    with pytest.raises(InputError, match="twice"):
        build_models(["ets", "ets"])
