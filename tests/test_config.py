import pytest

from forecast import config
from forecast.errors import ForecastError


def test_backtest_files_load(tmp_path):
    exp = config.load_experiment("backtests/sp500_single_vs_stacked.toml")
    assert exp.name == "sp500_single_vs_stacked"
    assert exp.features.lookback == 60 and exp.split.initial_train == 2500
    assert list(exp.models) == ["naive", "single_lstm", "stacked_lstm"]
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
    with pytest.raises(ForecastError, match="does not exist"):
        config.load_experiment(tmp_path / "nope.toml")


def test_replace_applies_dotted_overrides_and_validates():
    exp = config.Experiment()
    assert config.replace(exp, **{"split.folds": 3}).split.folds == 3
    assert config.replace(exp, **{"split.folds": None}).split.folds == 5
    with pytest.raises(ForecastError):
        config.replace(exp, **{"features.lookback": -1})
