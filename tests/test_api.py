"""The Python API used as a notebook or a script uses it."""
import dataclasses
import json
import logging
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import forecast
from forecast import ForecastError

TINY = {"features.lookback": 10, "split.initial_train": 300, "split.folds": 2,
        "training.epochs": 1, "training.batch_size": 64,
        "models": {"naive": {}, "ridge": {}, "single_lstm": {"units": 4}}}


@pytest.fixture(scope="module")
def closes():
    """A user's own frame: a date index and one close column, nothing else."""
    from arch.data import sp500
    return sp500.load()[["Adj Close"]].loc["2005-01-01":"2007-05-31"]


@pytest.fixture(scope="module")
def result(closes):
    return forecast.backtest(forecast.Experiment(name="notebook"), prices=closes,
                             overrides=TINY, progress=False)


def test_backtest_on_an_in_memory_close_only_frame(result, closes):
    assert isinstance(result, forecast.Result)
    assert result.data.source == "dataframe"
    assert result.data.rows == len(closes)
    assert set(result.predictions.model) == {"naive", "ridge", "single_lstm"}
    assert list(result.predictions.columns) == ["date", "fold", "model", "seed", "y_true",
                                                "y_pred", "y_last"]
    # the prices it ran on are the user's closes
    last = result.predictions.drop_duplicates("date").set_index("date").y_true
    assert np.allclose(last, closes["Adj Close"].reindex(last.index))


def test_summary_agrees_with_metrics(result):
    table = result.summary()
    assert list(table.index) == ["naive", "ridge", "single_lstm"]
    assert list(table.columns[:5]) == ["rmse", "mae", "directional_accuracy", "theil_u",
                                       "dm_pvalue"]
    for name, entry in result.metrics["models"].items():
        for key in ("rmse", "mae", "theil_u"):
            assert table.loc[name, key] == pytest.approx(entry[key])
        assert table.loc[name, "wall_seconds"] == pytest.approx(entry["wall_seconds"])
    assert result.metrics["schema_version"] == 2


def test_save_writes_what_the_cli_writes_and_load_run_reads_it_back(result, tmp_path,
                                                                    tiny_toml_file):
    from forecast import cli
    path = result.save(tmp_path / "api")
    assert cli.main([ "run", str(tiny_toml_file()), "--out", str(tmp_path / "cli"),
                     "--quiet"]) == 0
    cli_dir = next((tmp_path / "cli").glob("*/*/metrics.json")).parent
    assert sorted(p.name for p in path.iterdir()) == sorted(p.name for p in cli_dir.iterdir())
    assert (tmp_path / "api" / "index.html").is_file()
    assert (result.path, result.run_id) == (path, path.name)
    again = forecast.load_run(path)
    assert isinstance(again, forecast.Result)
    saved = json.loads((path / "metrics.json").read_text())
    assert again.metrics == saved
    pd.testing.assert_frame_equal(again.summary(), result.summary(), check_exact=False,
                                  rtol=1e-6)
    # the same frames as the run's, dates in the same unit (CSV: rounded numbers)
    pd.testing.assert_frame_equal(again.predictions, result.predictions, check_exact=False,
                                  rtol=1e-6)
    pd.testing.assert_frame_equal(again.equity, result.equity, check_exact=False, atol=1e-6)
    assert again.run_id == path.name


def test_repr_html_holds_the_verdict(result):
    page = result._repr_html_()
    assert "verdict" in page and "naive persistence" in page
    assert "single_lstm" in page
    # a page of its own (its styles and scripts cannot clash with the notebook's), with the
    # chart's script inline: nothing fetched from outside
    assert page.startswith("<iframe srcdoc=") and "&lt;script" in page
    assert "src=&quot;http" not in page and 'src="http' not in page
    full = result.report_html()
    assert full.startswith("<!doctype html>") and 'id="verdict-table"' in full


def test_overrides_are_the_same_dotted_keys_as_the_grid(tmp_path):
    exp = forecast.load_experiment("backtests/sp500_single_vs_stacked.toml",
                                   {"training.epochs": 3, "split.folds": 4,
                                    "models.single_lstm.units": 8})
    assert (exp.training.epochs, exp.split.folds) == (3, 4)
    assert exp.models["single_lstm"]["units"] == 8
    with pytest.raises(ForecastError, match='Did you mean "epochs"'):
        forecast.load_experiment("backtests/sp500_single_vs_stacked.toml",
                                 {"training.epoch": 3})
    for key, home in (("epochs", "training.epochs"), ("ticker", "data.ticker")):
        with pytest.raises(ForecastError, match=f'"{key}". Did you mean "{home}"'):
            forecast.load_experiment("backtests/sp500_single_vs_stacked.toml", {key: 1})
    with pytest.raises(ForecastError, match='no model "gru"'):
        forecast.load_experiment("backtests/sp500_single_vs_stacked.toml",
                                 {"models.gru.units": 8})


def test_bad_prices_are_one_clear_error(closes):
    with pytest.raises(ForecastError, match="close"):
        forecast.backtest(forecast.Experiment(), prices=closes.rename(columns={
            "Adj Close": "price"}), overrides=TINY, progress=False)
    with pytest.raises(ForecastError, match="needs an Experiment, a dict of settings or the "
                                            "path"):
        forecast.backtest(42)


def test_compare_returns_a_table_and_writes_its_page(result, tmp_path):
    table = forecast.compare([result, result], output=tmp_path / "compare.html")
    assert set(table.model) == {"naive", "ridge", "single_lstm"}
    assert len(table) == 6
    assert table.attrs["page"].is_file()


def test_every_public_name_is_documented():
    for name in forecast.__all__:
        if name.startswith("__"):
            continue
        obj = getattr(forecast, name)
        assert (obj.__doc__ or "").strip(), name


def test_a_run_written_before_schema_2_reads_in_today_s_units(result, tmp_path):
    path = result.save(tmp_path / "old")
    m = json.loads((path / "metrics.json").read_text())
    del m["schema_version"]
    for entry in m["models"].values():  # MAPE was written in percent then
        entry["mape"] *= 100
        for f in entry["folds"]:
            f["mape"] *= 100
    (path / "metrics.json").write_text(json.dumps(m))
    old = forecast.load_run(path)
    for name, entry in result.models.items():
        assert old.models[name].scores["mape"] == pytest.approx(entry.scores["mape"])
        assert old.models[name].folds[0]["mape"] == pytest.approx(entry.folds[0]["mape"])
    assert old.metrics["schema_version"] == 2


BASELINES = {**{k: v for k, v in TINY.items() if k != "models"}, "models": ["naive", "ridge"]}


def test_repr_is_one_line_that_names_the_run(result, tmp_path):
    text = repr(dataclasses.replace(result, path=None))  # other tests saved the fixture
    assert "\n" not in text and len(text) < 200  # not every frame and score printed
    assert text.startswith("<Result notebook: ^GSPC (dataframe) 2005-")
    assert "rmse: naive " in text and "single_lstm" in text and "not saved" in text
    again = forecast.load_run(result.save(tmp_path))
    assert f"saved in {again.path}" in repr(again)
    # == compares identity, never "The truth value of a DataFrame is ambiguous"
    assert result == result and result != again


def test_compare_takes_one_result_or_one_run_directory(result, tmp_path):
    assert len(forecast.compare(result)) == 3
    path = result.save(tmp_path)
    for one in (path, str(path)):  # a path, not its characters one by one
        assert list(forecast.compare(one).run) == [path.name] * 3


def test_settings_as_a_dict_or_an_experiment_built_in_code_are_checked_like_a_file():
    exp = forecast.load_experiment({"name": "d", "training": {"epochs": 1},
                                    "models": ["naive", "ridge"]}, {"split.folds": 3})
    assert (exp.name, exp.training.epochs, exp.split.folds) == ("d", 1, 3)
    assert list(exp.models) == ["naive", "ridge"]
    coded = forecast.Experiment(name="d", training={"epochs": 1}, models=["naive", "ridge"])
    assert forecast.load_experiment(coded, {"split.folds": 3}) == exp
    w1 = forecast.load_experiment("backtests/sp500_single_vs_stacked.toml")
    assert forecast.load_experiment(w1) == w1
    for bad, match in ((forecast.Experiment(seed="1"), "seed must be a whole number"),
                       (forecast.Experiment(training={"epoch": 1}), 'Did you mean "epochs"'),
                       (forecast.Experiment(models=["rigde"]), 'Did you mean "ridge"'),
                       ({"name": "x", "trainng": {}}, 'Did you mean "training"')):
        with pytest.raises(ForecastError, match=match):
            forecast.backtest(bad, progress=False)
    with pytest.raises(ForecastError, match="load_experiment needs an Experiment"):
        forecast.load_experiment(42)


def test_backtest_leaves_the_global_random_generators_as_they_were(closes):
    random.seed(5)
    np.random.seed(5)
    forecast.backtest(forecast.Experiment(), prices=closes, overrides=BASELINES,
                      progress=False)
    assert random.random() == random.Random(5).random()
    assert np.random.rand() == np.random.RandomState(5).rand()


def test_another_backtest_in_the_same_process_gives_the_same_and_says_nothing(closes):
    said = []
    handler = logging.Handler()
    handler.emit = said.append
    logging.getLogger("tensorflow").addHandler(handler)
    # few batches a fold: TensorFlow took the networks' own traces for retracing by the
    # second run and logged a warning about it
    few = {**TINY, "training.batch_size": 128, "training.stride": 2, "models": {
        "naive": {}, "single_lstm": {"units": 4}, "stacked_lstm": {"units": [4, 4]}}}
    try:
        first, again = (forecast.backtest(forecast.Experiment(name="notebook"), prices=closes,
                                          overrides=few, progress=False) for _ in range(2))
    finally:
        logging.getLogger("tensorflow").removeHandler(handler)
    pd.testing.assert_frame_equal(again.predictions, first.predictions)
    assert not [r.getMessage() for r in said if "retracing" in r.getMessage()]


def test_a_plugin_loaded_by_an_earlier_call_is_recorded_by_the_run_that_uses_it(closes,
                                                                               tmp_path):
    plugin = str(Path("backtests/my_plugin.py").resolve())
    forecast.load_experiment({"name": "first", "plugins": [plugin]})  # imports it
    settings = {**BASELINES, "features.indicators": [{"name": "momentum"}],
                "models": {"naive": {}, "gradient_boosting": {"n_estimators": 5}}}
    later = forecast.backtest(forecast.Experiment(name="later"), prices=closes,
                              overrides=settings, progress=False)
    assert later.experiment.plugins == (plugin,)
    assert [p["name"] for p in later.plugins] == [plugin]
    saved = later.save(tmp_path)
    assert forecast.load_experiment(saved / "experiment.toml").plugins == (plugin,)


def test_a_run_whose_model_is_not_loaded_now_opens_with_its_target_and_models(closes,
                                                                             tmp_path):
    direction = {**BASELINES, "features.target": "direction", "models": ["naive", "logistic"]}
    path = forecast.backtest(forecast.Experiment(name="up"), prices=closes,
                             overrides=direction, progress=False).save(tmp_path)
    toml = path / "experiment.toml"  # as if logistic had been a script's own model
    toml.write_text(toml.read_text().replace("[models.logistic]", "[models.from_a_script]"))
    again = forecast.load_run(path)
    assert again.experiment.features.target == "direction"
    assert list(again.experiment.models) == ["naive", "logistic"]
    assert list(again.summary().columns[:2]) == ["accuracy", "brier"]
    assert "target direction, 2 folds; accuracy: naive " in repr(again)


def test_overrides_as_a_notebook_holds_them():
    path = "backtests/sp500_single_vs_stacked.toml"
    exp = forecast.load_experiment(path, {"training": {"epochs": np.int64(2)},  # as nested
                                          "data": {"start": pd.Timestamp("2005-01-01")},
                                          "split.folds": np.arange(3, 4)[0]})
    assert (exp.training.epochs, exp.data.start, exp.split.folds) == (2, "2005-01-01", 3)
    assert type(exp.training.epochs) is int
    assert forecast.load_experiment(forecast.Experiment(seed=np.int64(3))).seed == 3
    for bad, match in (([("training.epochs", 3)], "overrides must be a dict of dotted keys"),
                       ({"training": 3}, '"training" must be a dict of its settings'),
                       ({"data.start": pd.Timestamp("2005-01-01 15:30")}, "not a date")):
        with pytest.raises(ForecastError, match=match):
            forecast.load_experiment(path, bad)
    with pytest.raises(ForecastError, match="overrides must be a dict"):
        forecast.backtest(path, overrides="training.epochs=3")


def test_wrong_paths_and_items_are_one_line_naming_the_fix(result, tmp_path):
    run = result.save(tmp_path / "reports")
    for where in (tmp_path / "reports", run.parent):  # the runs' folder, the experiment's
        with pytest.raises(ForecastError, match=f"holds runs but is not one: name one, "
                                                f"e.g. {run}$"):
            forecast.load_run(where)
    with pytest.raises(ForecastError, match=f"is a file, not a run directory: name the "
                                            f"folder that holds it, {run}$"):
        forecast.load_run(run / "metrics.json")
    with pytest.raises(ForecastError, match="compare takes Results or run directories, "
                                            "got int"):
        forecast.compare([result, 42])
    with pytest.raises(ForecastError, match="is a folder: name the page's file, e.g. "
                                            "output='.*compare.html'"):
        forecast.compare(result, output=tmp_path)
    (tmp_path / "a_file").write_text("")
    with pytest.raises(ForecastError, match="cannot write the comparison page .*choose "
                                            "another output"):
        forecast.compare(result, output=tmp_path / "a_file" / "compare.html")


def test_paths_may_be_path_objects(closes, write_csv):
    plugin = Path("backtests/my_plugin.py")
    run = forecast.backtest(forecast.Experiment(), prices=closes, plugins=plugin,
                            overrides=BASELINES, progress=False)
    assert run.experiment.plugins == (str(plugin.resolve()),)
    csv = write_csv(closes)
    exp = forecast.load_experiment(Path("backtests/sp500_single_vs_stacked.toml"),
                                   {"data": {"source": "csv", "csv": csv},
                                    "plugins": [plugin]})
    assert (exp.data.csv, exp.plugins) == (str(csv), (str(plugin.resolve()),))
    with pytest.raises(ForecastError, match="plugins must be files or module names, e.g. "
                                            r'plugins=\["my_plugin.py", .*got int'):
        forecast.backtest(forecast.Experiment(), plugins=[42])


def test_summary_columns_are_numbers_even_where_no_model_has_the_score(result):
    table = dataclasses.replace(result, models={
        n: dataclasses.replace(m, scores={**m.scores, "dm_garch_pvalue": None})
        for n, m in result.models.items()}).summary()
    assert table["dm_garch_pvalue"].dtype == float
    assert all(table[c].dtype.kind in "fi" for c in table.columns)
