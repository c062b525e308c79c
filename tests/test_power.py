"""The power audit: planted signals, the oracle, and what the models capture of it."""
import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from forecast import cli, config, power, runs
from forecast.errors import ForecastError


@pytest.fixture(scope="module")
def prices():
    from forecast.data import load_prices
    return load_prices("^GSPC", "sample").loc["2004-01-01":"2008-06-30"]


def quick(**changes):
    """A walk-forward on ~1,100 days with fast models: the audit's plumbing in seconds."""
    return config.from_dict({
        "name": "quick", "seed": 3,
        "data": {"start": "2004-01-01", "end": "2008-06-30"},
        "features": {"lookback": 10, "indicators": []},
        "split": {"initial_train": 500, "folds": 2},
        "training": {"epochs": 1, "batch_size": 64, "output_init": "zeros"},
        "models": {"naive": {}, "ar": {}, "single_lstm": {"units": 4}}, **changes})


def test_a_planted_series_keeps_the_sizes_of_the_real_returns(prices):
    planted, oracle = power.plant(prices, "linear", 0.3, seed=7)
    x = np.diff(np.log(planted.close.to_numpy()))
    e = power.innovations(prices.close, seed=7)
    part = np.r_[0.0, 0.3 * x[:-1]]  # what yesterday's return planted in today's
    np.testing.assert_allclose(x - part, e, atol=1e-12)
    r = np.diff(np.log(prices.close.to_numpy()))
    np.testing.assert_allclose(np.abs(e - r.mean()), np.abs(r - r.mean()), atol=1e-12)
    # the oracle: yesterday's planted close times exp(strength x yesterday's return)
    c = planted.close.to_numpy()
    np.testing.assert_allclose(oracle.to_numpy()[2:], c[1:-1] * np.exp(0.3 * x[:-1]))
    # open, high and low move with the close; volume stays
    np.testing.assert_allclose(planted.high / planted.close, prices.high / prices.close)
    np.testing.assert_array_equal(planted.volume, prices.volume)


def test_the_threshold_form_plants_only_after_large_moves(prices):
    planted, oracle = power.plant(prices, "threshold", 0.4, seed=7)
    c = planted.close.to_numpy()
    x = np.diff(np.log(c))
    e = power.innovations(prices.close, seed=7)
    q = np.quantile(np.abs(e - e.mean()), 0.8)
    big = np.abs(x[:-1]) > q
    assert 0.1 < big.mean() < 0.3
    expected = c[1:-1] * np.exp(np.where(big, 0.4 * x[:-1], 0.0))
    np.testing.assert_allclose(oracle.to_numpy()[2:], expected)


def test_strength_zero_is_the_control_the_oracle_is_persistence(prices):
    planted, oracle = power.plant(prices, "linear", 0.0, seed=1)
    np.testing.assert_allclose(oracle.to_numpy()[2:], planted.close.to_numpy()[1:-1])


def test_signs_differ_by_seed_and_repeat_for_one(prices):
    a, b = (power.innovations(prices.close, s) for s in (1, 2))
    assert not np.allclose(a, b)
    np.testing.assert_array_equal(a, power.innovations(prices.close, 1))


def _dm_pvalue(e_model, e_naive):
    """Diebold-Mariano with the Harvey-Leybourne-Newbold correction, written anew."""
    d = np.square(np.asarray(e_model)) - np.square(np.asarray(e_naive))
    n = len(d)
    stat = d.mean() / np.sqrt(d.var() / n) * np.sqrt((n - 1) / n)
    return 2 * stats.t.sf(abs(stat), n - 1)


@pytest.fixture(scope="module")
def saved_audit(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    found = power.audit(quick(), forms=["linear"], strengths=[0.5], progress=False)
    return found, runs.save_power(found, out), out


def test_the_audits_figures_are_recomputed_from_its_files(saved_audit):
    _, path, _ = saved_audit
    doc = json.loads((path / "power.json").read_text())
    table = pd.DataFrame(doc["table"])
    p = pd.read_csv(path / "predictions.csv", parse_dates=["date"])
    assert set(p.signal) == {"none", "linear 0.5"}
    for signal, g in p.groupby("signal"):
        naive = g[g.model == "naive"].set_index("date")
        oracle = g[g.model == "oracle"].set_index("date").loc[naive.index]
        e_naive = naive.y_pred - naive.y_true

        def u(rows):
            return np.sqrt(np.mean((rows.y_pred - rows.y_true) ** 2) / np.mean(e_naive ** 2))
        u_oracle = u(oracle)
        r = np.log(naive.y_true / naive.y_last)
        explained = 1 - np.sum((r - np.log(oracle.y_pred / naive.y_last)) ** 2) / np.sum(r ** 2)
        for model in ("oracle", "ar", "single_lstm"):
            rows = g[g.model == model].set_index("date").loc[naive.index]
            row = table[(table.signal == signal) & (table.model == model)].iloc[0]
            assert row.theil_u == pytest.approx(u(rows), rel=1e-5)
            assert row.oracle_u == pytest.approx(u_oracle, rel=1e-5)
            assert row.explained == pytest.approx(explained, rel=1e-4, abs=1e-9)
            if signal == "none" and model == "oracle":  # the oracle is naive: no test
                assert row.theil_u == 1 and np.isnan(row.dm_pvalue)
                continue
            assert row.dm_pvalue == pytest.approx(
                _dm_pvalue(rows.y_pred - rows.y_true, e_naive), rel=1e-4, abs=1e-9)
            if signal != "none":
                assert row.capture == pytest.approx((1 - u(rows)) / (1 - u_oracle), rel=1e-4)
                assert row.detected == (u(rows) < 1 and row.dm_pvalue < 0.05)
    planted = table[table.signal == "linear 0.5"].set_index("model")
    assert planted.loc["oracle", "theil_u"] < 0.95  # a signal worth finding was planted
    assert planted.loc["ar", "capture"] > 0.7  # and a linear model finds it


def test_an_untrained_network_captures_nothing_and_the_audit_says_so():
    # untrained, with zero output weights, it forecasts the training mean return: a drift
    exp = quick(training={"epochs": 0, "output_init": "zeros"})
    found = power.audit(exp, forms=["linear"], strengths=[0.5], progress=False)
    lstm = found.table[(found.table.signal == "linear 0.5")].set_index("model")
    assert abs(lstm.loc["single_lstm", "capture"]) < 0.05
    assert not lstm.loc["single_lstm", "detected"]
    assert lstm.loc["ar", "detected"]
    small = found.smallest()
    assert np.isnan(small.loc["single_lstm", "linear"])
    assert small.loc["ar", "linear"] > 0


def test_the_smallest_detected_part_is_the_smallest_strength_found():
    table = pd.DataFrame([
        {"signal": "linear 0.1", "form": "linear", "strength": 0.1, "explained": 0.01,
         "model": "m", "detected": False},
        {"signal": "linear 0.2", "form": "linear", "strength": 0.2, "explained": 0.04,
         "model": "m", "detected": True},
        {"signal": "linear 0.3", "form": "linear", "strength": 0.3, "explained": 0.09,
         "model": "m", "detected": True},
        {"signal": "threshold 0.4", "form": "threshold", "strength": 0.4, "explained": 0.05,
         "model": "m", "detected": False}])
    small = power.smallest(table)
    assert small.loc["m", "linear"] == 0.04
    assert np.isnan(small.loc["m", "threshold"])


def test_the_audit_refuses_what_it_cannot_plant():
    with pytest.raises(ForecastError, match="needs features.target"):
        power.audit(config.from_dict({"name": "d", "features": {"target": "direction"},
                                      "models": ["naive"]}), progress=False)
    with pytest.raises(ForecastError, match='unknown form "lineer" of planted signal. Did you mean "linear"'):
        power.signals(["lineer"])
    with pytest.raises(ForecastError, match="between 0 and 1"):
        power.signals(["linear"], [1.5])


def test_the_key_ignores_names_seeds_and_trading_but_not_training():
    a = quick()
    same = config.replace(a, name="other", seed=9, **{"trading.cost_bps": 1.0})
    assert power.key(a, "sha") == power.key(same, "sha")
    assert power.key(a, "sha") != power.key(a, "other prices")
    assert power.key(a, "sha") != power.key(config.replace(a, **{"training.epochs": 2}), "sha")


def test_a_run_saved_after_an_audit_reports_it_and_one_without_says_how(saved_audit,
                                                                         tmp_path):
    found, path, out = saved_audit
    from forecast import walkforward, report
    run = walkforward.run_experiment(quick(), progress=False)
    assert run.power is None
    runs.save(run, out, pages=report.render)
    assert run.power["path"] == str(path)
    assert run.power["models"]["ar"]["smallest"]["linear"] == pytest.approx(
        found.smallest().loc["ar", "linear"])
    page = (run.path / "report.html").read_text()
    assert "What it could have found" in page and "ar from linear" in page
    assert found.smallest().loc["ar", "linear"] > 0
    again = runs.load(run.path)
    assert again.power == run.power  # metrics.json keeps it
    # other prices: no audit applies, and the report says how to make one
    other = walkforward.run_experiment(config.replace(quick(), **{"data.end": "2008-05-30"}),
                                       progress=False)
    runs.save(other, out, pages=report.render)
    assert other.power is None
    assert "forecast power" in (other.path / "report.html").read_text()


def test_forecast_power_prints_its_table_and_writes_its_folder(tmp_path, capsys):
    toml = tmp_path / "quick.toml"
    toml.write_text(config.to_toml(quick()))
    assert cli.main(["power", str(toml), "--forms", "linear", "--strengths", "0.5",
                     "--models", "naive,ar", "--out", str(tmp_path / "r"), "--quiet"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0].split()[:3] == ["planted", "explained", "oracle"]
    assert any(line.startswith("linear 0.5") and "*" in line for line in out)
    assert any(line.startswith("smallest detected, ar: linear") for line in out)
    folder = tmp_path / "r" / "quick" / "power"
    [made] = list(folder.iterdir())
    assert out[-1] == str(made)
    assert {p.name for p in made.iterdir()} == {"power.json", "predictions.csv",
                                                 "experiment.toml", "power.html"}
    # --reuse shows the audit kept for these settings and prices, and runs none
    assert cli.main(["power", str(toml), "--models", "naive,ar", "--out", str(tmp_path / "r"),
                     "--forms", "linear", "--strengths", "0.5", "--quiet", "--reuse"]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip().splitlines() == out
    assert "is kept" in captured.err and len(list(folder.iterdir())) == 1
    assert cli.main(["power", str(toml), "--strengths", "0.3,x", "--quiet"]) == 2
    assert "--strengths takes numbers" in capsys.readouterr().err
