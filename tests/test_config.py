from pathlib import Path

import pytest

from forecast import config
from forecast.errors import ForecastError


def test_backtest_files_load(tmp_path):
    exp = config.load_experiment("backtests/sp500_single_vs_stacked.toml")
    assert exp.name == "sp500_single_vs_stacked"
    assert exp.features.lookback == 60 and exp.split.initial_train == 2500
    assert list(exp.models) == ["naive", "drift", "ridge", "ar", "single_lstm", "stacked_lstm"]
    assert config.load_experiment("backtests/nasdaq_single_vs_stacked.toml").data.ticker \
        == "^IXIC"
    config.load_experiment("backtests/my_ticker_example.toml")
    assert config.load_experiment("backtests/sp500_price_target.toml").features.target \
        == "price"


def test_to_toml_round_trips(tmp_path):
    exp = config.load_experiment("backtests/sp500_single_vs_stacked.toml")
    exp = config.replace(exp, seeds=(1, 2), **{"data.start": "2001-01-01"})
    path = tmp_path / "again.toml"
    path.write_text(config.to_toml(exp))
    assert config.load_experiment(path) == exp


@pytest.mark.parametrize("text, message", [
    ('[training]\nepochz = 3', 'unknown key "epochz". Did you mean "epochs"?'),
    ('[trainig]\nepochs = 3', 'unknown key "trainig". Did you mean "training"?'),
    ('[features]\nlookback = "sixty"', "lookback must be a whole number"),
    ('[features]\nlookback = 0', "features.lookback must be at least 1"),
    ('[split]\nfolds = 0', "split.folds must be at least 1"),
    ('[features]\nhorizon = 3', "split.gap = 0 is too small for features.horizon = 3"),
    ('[training]\nrefit = "hot"', 'training.refit = "hot" is not one of'),
    ('[models.single_lstmm]', 'unknown model "single_lstmm". Did you mean "single_lstm"?'),
    ('[models.xgb]', 'unknown model "xgb". Valid: '),
    ('[models.xgb]', "A plugin's model needs its plugin: plugins = [...] in the "
     "experiment file, or --plugin"),
    ('[models.single_lstm]\nunit = 3', 'unknown key "unit". Did you mean "units"?'),
    ('[features]\nindicators = [{name = "smaa"}]', 'unknown indicator "smaa". Did you mean'),
    ('[features]\nindicators = [{name = "sma", lenght = 3}]', 'no parameter "lenght"'),
    ('[data]\nsource = "csv"', 'needs data.csv'),
    ('name = "x"\nname = "y"', "is not valid TOML"),
    ('seeds = [1, "2"]', "seeds must be a list of whole numbers"),
    ('[training]\nlearning_rate = 0', "learning_rate must be > 0"),
])
def test_bad_settings_name_the_key_and_the_fix(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ForecastError, match=None) as info:
        config.load_experiment(path)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ForecastError, match="does not exist: check the path .*backtests/"):
        config.load_experiment(tmp_path / "nope.toml")


def test_a_file_that_is_no_experiment_is_refused_saying_what_it_is(tmp_path):
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "mine.toml").write_text("[models.naive]\n")
    with pytest.raises(ForecastError, match=r"folder is a folder, not an experiment file: "
                       r"name a .toml file in it \(mine.toml\)"):
        config.load_experiment(tmp_path / "folder")
    latin = tmp_path / "latin.toml"
    latin.write_bytes('name = "caf\u00e9"\n'.encode("latin-1"))
    with pytest.raises(ForecastError, match=r"latin.toml is not UTF-8 text \(invalid "
                       r"continuation byte at byte 11\): save it as UTF-8 TOML"):
        config.load_experiment(latin)
    for text in ("", "# to do\n\n"):  # would run every default: W1, nobody asked for it
        empty = tmp_path / "empty.toml"
        empty.write_text(text)
        with pytest.raises(ForecastError, match="empty.toml is empty: give it settings and "
                           "models"):
            config.load_experiment(empty)
    plugin = tmp_path / "my_plugin.py"  # a plugin given where the experiment goes
    plugin.write_text("import numpy\n")
    with pytest.raises(ForecastError, match=r"my_plugin.py is not valid TOML: .*; a .py file "
                       r"is a plugin: name it with --plugin"):
        config.load_experiment(plugin)
    (tmp_path / "x.json").write_text('{"name": "x"}')
    with pytest.raises(ForecastError, match=r"x.json is not valid TOML: .*\(at line 1, column "
                       r"1\); fix that line \(backtests/sp500_single_vs_stacked.toml shows"):
        config.load_experiment(tmp_path / "x.json")
    (tmp_path / "named.toml").write_text('name = "defaults"\n')  # said: the defaults
    assert config.load_experiment(tmp_path / "named.toml").name == "defaults"


def test_replace_applies_dotted_overrides_and_validates():
    exp = config.Experiment()
    assert config.replace(exp, **{"split.folds": 3}).split.folds == 3
    assert config.replace(exp, **{"split.folds": None}).split.folds == 5
    with pytest.raises(ForecastError):
        config.replace(exp, **{"features.lookback": -1})


@pytest.mark.parametrize("raw, message", [
    ({"features": {"lookback": True}}, "lookback must be a number, got True"),
    ({"features": {"lookback": 2.5}}, "lookback must be a whole number"),
    ({"features": {"lookback": None}}, "lookback must be a number, got nothing"),
    ({"training": {"learning_rate": float("inf")}}, "learning_rate must be a finite number"),
    ({"training": {"min_delta": float("nan")}}, "min_delta must be a finite number"),
    ({"training": {"validation_fraction": 1}}, "validation_fraction must be between 0 and 1"),
    ({"training": {"output_init": "zero"}}, 'output_init = "zero" is not one of: random, '
     'zeros. Did you mean "zeros"?'),
    ({"split": {"gap": -1}}, "split.gap must be at least 0"),
    ({"split": {"folds": "5"}}, "folds must be a whole number"),
    ({"split": {"window": 3}}, "window must be a string"),
    ({"data": 5}, "[data] must be a table"),
    ({"data": {"ticker": "../../etc/passwd"}}, "is not a ticker symbol"),
    ({"data": {"ticker": "<script>"}}, "is not a ticker symbol"),
    ({"data": {"start": "2001-13-01"}}, "data.start '2001-13-01' is not a date"),
    ({"data": {"start": "2010-01-01", "end": "2009-01-01"}}, "is after data.end"),
    ({"seed": -1}, "seed and seeds must be between 0 and 4294967295, got -1"),
    ({"seeds": [1, 2 ** 40]}, "got 1099511627776"),
    ({"seeds": []}, "seeds must be a list of whole numbers"),
    ({"name": 3}, "name must be a string"),
    ({"models": {}}, "no models to compare"),
    ({"models": []}, "no models to compare"),
    ({"models": [1, 2]}, "models must be tables"),
    ({"models": {"naive": 1}}, "models must be tables"),
    ({"models": {"single_lstm": {"units": "big"}}}, "units must be a whole number like 32"),
    ({"models": {"single_lstm": {"units": 0}}}, "units must be at least 1, got 0"),
    ({"models": {"single_lstm": {"dropout": 1.0}}}, "dropout must be at least 0 and below 1"),
    ({"models": {"stacked_lstm": {"units": 64}}}, "units must be a list like [64, 32]"),
    ({"models": {"stacked_lstm": {"units": [64, 0]}}}, "units must be at least 1"),
    ({"models": {"stacked_lstm": {"shards": 0}}}, "[models.stacked_lstm]: shards must be at "
                                                  "least 1, got 0"),
    ({"models": {"ridge": {"alphas": [1, -1]}}}, "alphas must be at least 0"),
    ({"models": {"ridge": {"alpha": 1}}}, 'unknown key "alpha". Did you mean "alphas"?'),
    ({"models": {"ar": {"max_lags": -1}}}, "max_lags must be at least 0"),
    ({"models": {"single_lstm": {"epochs": -1}}}, "models.single_lstm.epochs must be at least 0"),
    ({"models": {"gru": {"learning_rate": -1}}}, "models.gru.learning_rate must be > 0"),
    ({"features": {"indicators": [{"name": 3}]}}, "indicators must be a list of tables"),
    ({"features": {"indicators": [{"length": 3}]}}, "indicators must be a list of tables"),
    ({"features": {"indicators": [{"name": "sma", "length": 0}]}}, "length must be > 0"),
    ({"features": {"indicators": [{"name": "sma", "length": "x"}]}},
     'indicator "sma": length must be a whole number like 20, got \'x\''),
    ({"features": {"indicators": [{"name": "bbands_upper", "std": -2}]}}, "std must be > 0"),
    ({"features": {"unknown\nkey": 1}}, r'unknown key "unknown\nkey"'),
    ({"data": {"missing": "dorp"}}, 'data.missing = "dorp" is not one of: refuse, drop. '
                                    'Did you mean "drop"?'),
])
def test_wrong_types_and_impossible_values_are_one_line(raw, message):
    with pytest.raises(ForecastError) as info:
        config.from_dict(raw)
    assert message in str(info.value)
    assert len(str(info.value).splitlines()) == 1


def test_a_toml_time_is_not_a_start_date(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text("[data]\nstart = 07:32:00\n")
    with pytest.raises(ForecastError, match="start must be a string"):
        config.load_experiment(path)
    path.write_text("[data]\nstart = 2005-01-03\n")
    assert config.load_experiment(path).data.start == "2005-01-03"


@pytest.mark.parametrize("changes, message", [
    ({"split.folds": "3"}, "folds must be a whole number"),
    ({"split.fold": 3}, 'unknown key "fold". Did you mean "folds"?'),
    ({"splt.folds": 3}, 'unknown setting "splt". Did you mean "split"?'),
    ({"sed": 3}, 'unknown key "sed". Did you mean "seed"?'),
    ({"data.ticker": "a/b"}, "is not a ticker symbol"),
    ({"data.start": "2001-02-30"}, "is not a date"),
])
def test_overrides_are_checked_like_the_file(changes, message):
    with pytest.raises(ForecastError) as info:
        config.replace(config.Experiment(), **changes)
    assert message in str(info.value)


def test_seed_and_seeds_together_are_refused(tmp_path):
    path = tmp_path / "both.toml"
    path.write_text("seed = 42\nseeds = [1, 2, 3]\n")
    with pytest.raises(ForecastError, match="seed and seeds both given: keep seeds"):
        config.load_experiment(path)
    exp = config.from_dict({"seeds": [1, 2, 3]})
    assert exp.seed == 1 and "seed =" not in config.to_toml(exp)
    assert config.replace(exp, seed=7).seeds is None  # --seed 7: one seed, 7
    with pytest.raises(ForecastError, match="seed and seeds both given"):
        config.replace(exp, seed=7, seeds=(1, 2))


@pytest.mark.parametrize("data, start, end", [
    ({"start": "2005", "end": "2006-02"}, "2005-01-01", "2006-02-28"),
    ({"start": "02/03/2005", "date_format": "%d/%m/%Y"}, "2005-03-02", None),
])
def test_start_and_end_are_kept_as_yyyy_mm_dd(data, start, end):
    exp = config.from_dict({"data": data})
    assert (exp.data.start, exp.data.end) == (start, end)


@pytest.mark.parametrize("data, message", [
    ({"start": "02/03/2005"}, "data.start '02/03/2005' is not a date: use YYYY-MM-DD"),
    ({"date_format": "dd/mm/yyyy"}, "does not name a year, month and day"),
])
def test_dates_are_never_guessed(data, message):
    with pytest.raises(ForecastError, match=message):
        config.from_dict({"data": data})


def test_a_csv_without_a_ticker_is_named_after_its_file():
    assert config.from_dict({"data": {"source": "csv", "csv": "x/nasdaq.csv"}}).data.ticker \
        == "nasdaq"
    assert config.from_dict({"data": {"source": "csv", "csv": "x/nasdaq.csv",
                                      "ticker": "^IXIC"}}).data.ticker == "^IXIC"


def test_the_w1_file_shows_every_setting():
    # the README sends users to this file for "every setting, with comments"
    import dataclasses
    import re
    text = open("backtests/sp500_single_vs_stacked.toml", encoding="utf-8").read()
    shown = set(re.findall(r"^#? *([a-z_]+) = ", text, re.M))
    for cls in (config.Experiment, *config._SECTIONS.values()):
        for f in dataclasses.fields(cls):
            if f.name not in ("models", *config._SECTIONS):
                assert f.name in shown, f"{cls.__name__}.{f.name} is not in the W1 file"
    assert set(re.findall(r"^\[(\w+)\]", text, re.M)) >= set(config._SECTIONS)


def test_targets_and_the_models_that_forecast_them():
    exp = config.from_dict({"features": {"target": "volatility"},
                            "trading": {"target_vol": 0.15, "max_leverage": 1.5},
                            "models": ["naive", "garch", "har", "ewma", "single_lstm"]})
    assert exp.features.target == "volatility" and exp.trading.max_leverage == 1.5
    with pytest.raises(ForecastError, match=r'^model "logistic" does not forecast '
                       r'features.target = "return" \(only direction\): remove '
                       r"\[models.logistic\] or change the target$"):
        config.from_dict({"models": ["naive", "logistic"]})
    with pytest.raises(ForecastError, match='"directon" is not one of: .*direction'):
        config.from_dict({"features": {"target": "directon"}})
    with pytest.raises(ForecastError, match="trading.target_vol must be > 0"):
        config.from_dict({"trading": {"target_vol": 0}})


def test_a_price_file_beside_the_experiment_file_is_found(tmp_path, monkeypatch, sp500):
    folder = tmp_path / "project"
    folder.mkdir()
    sp500.loc["2005":"2007"].to_csv(folder / "mine.csv")
    (folder / "exp.toml").write_text('[data]\nsource = "csv"\ncsv = "mine.csv"\n'
                                     "[models.naive]\n")
    monkeypatch.chdir(tmp_path)  # not where the experiment file is
    exp = config.load_experiment("project/exp.toml")
    assert (exp.data.csv, exp.data.ticker) == (str(Path("project") / "mine.csv"), "mine")
    (tmp_path / "mine.csv").write_text("Date,Close\n")  # one in the working folder wins,
    assert config.load_experiment("project/exp.toml").data.csv == "mine.csv"  # as it did


def test_override_takes_tables_and_notebook_values_and_names_a_bare_key():
    import numpy as np
    exp = config.override(config.Experiment(), {"training": {"epochs": np.int64(3)}})
    assert exp.training.epochs == 3 and type(exp.training.epochs) is int
    with pytest.raises(ForecastError, match='unknown setting "epochs". Did you mean '
                                            '"training.epochs"?'):
        config.override(config.Experiment(), {"epochs": 3})
