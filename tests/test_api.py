"""The Python API used as a notebook or a script uses it."""
import json

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
    again = forecast.load_run(path)
    assert isinstance(again, forecast.Result)
    saved = json.loads((path / "metrics.json").read_text())
    assert again.metrics == saved
    pd.testing.assert_frame_equal(again.summary(), result.summary(), check_exact=False,
                                  rtol=1e-6)
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
    with pytest.raises(ForecastError, match='no model "gru"'):
        forecast.load_experiment("backtests/sp500_single_vs_stacked.toml",
                                 {"models.gru.units": 8})


def test_bad_prices_are_one_clear_error(closes):
    with pytest.raises(ForecastError, match="close"):
        forecast.backtest(forecast.Experiment(), prices=closes.rename(columns={
            "Adj Close": "price"}), overrides=TINY, progress=False)
    with pytest.raises(ForecastError, match="Experiment or the path"):
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
