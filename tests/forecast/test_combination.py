from datetime import date, timedelta

import polars as pl

from forecast.baselines.snaive import SeasonalNaive
from forecast.combination import SkillSelect, choose
from forecast.lgbm import GlobalLightGBM
from forecast.protocol import ModelInput
from synthetic_data import SynthConfig, generate


def test_primary_kept_unless_beaten_by_the_margin() -> None:
    skills = {
        "lgbm": {"RAA": 10.0, "RBB": 10.0, "RCC": 10.0},
        "ets": {"RAA": 9.5, "RBB": 8.0},
        "snaive": {"RDD": 30.0},
    }
    choice = choose(skills, ["lgbm", "ets", "snaive"], margin=0.9)
    assert choice == {"RAA": "lgbm", "RBB": "ets", "RCC": "lgbm", "RDD": "snaive"}


def test_every_trust_is_served_even_when_the_primary_cannot() -> None:
    end = date(2024, 6, 30)
    data = generate(SynthConfig(trusts=6, years=2, end=end, seed=3)).attendances
    newcomer = data.filter(pl.col("trust_code") == data["trust_code"][0]).with_columns(
        pl.lit("RNEW").alias("trust_code")).filter(pl.col("date") > end - timedelta(days=2))
    history = ModelInput(pl.concat([data, newcomer]))
    model = SkillSelect({"lgbm": GlobalLightGBM(max_horizon=7, rounds=50),
                         "snaive": SeasonalNaive()})
    model.fit(ModelInput(data))
    out = model.predict(history, end, 7)
    assert sorted(out["trust_code"].unique().to_list()) == sorted(
        history.attendances["trust_code"].unique().to_list())
    assert out.height == 7 * 7
    assert model.last_members["RNEW"] == "snaive"
    assert {model.last_members[t] for t in data["trust_code"].unique()} == {"lgbm"}


def test_pinned_series_stay_with_the_primary_whatever_their_holdout() -> None:
    end = date(2024, 6, 30)
    data = ModelInput(generate(SynthConfig(trusts=5, years=2, end=end, seed=4)).attendances)
    codes = sorted(data.attendances["trust_code"].unique().to_list())
    # margin 100: seasonal naive's holdout beats 100x LightGBM's, so every free trust moves
    model = SkillSelect({"lgbm": GlobalLightGBM(max_horizon=7, rounds=50),
                         "snaive": SeasonalNaive()}, margin=100.0, pinned=frozenset(codes[:2]))
    model.fit(data)
    assert {code: model.choice[code] for code in codes} == {
        code: "lgbm" if code in codes[:2] else "snaive" for code in codes}
    out = model.predict(data, end, 7)
    assert out.height == 5 * 7
    assert {model.last_members[c] for c in codes[:2]} == {"lgbm"}
