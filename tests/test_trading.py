"""The trading backtest: known equity, no look-ahead, and metrics.json from the CSV files."""
import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from forecast import config, metrics, runs, trading, walkforward
from forecast.errors import ForecastError

# four days: forecasts made at y_last for y_true; predicted returns +5%, -4.5%, -1%, +1%
Y_LAST = [100, 110, 99, 99]
Y_TRUE = [110, 99, 99, 108.9]  # realised +10%, -10%, 0, +10%
Y_PRED = [105, 105, 98, 100]


def test_long_only_equity_with_costs_by_hand():
    sim = trading.simulate(Y_LAST, Y_PRED, Y_TRUE, cost_bps=10)
    np.testing.assert_array_equal(sim.position, [1, 0, 0, 1])
    np.testing.assert_array_equal(sim.turnover, [1, 1, 0, 1])  # in, out, -, in
    np.testing.assert_allclose(sim["return"], [0.099, -0.001, 0, 0.099])
    np.testing.assert_allclose(sim.equity, np.cumprod([1.099, 0.999, 1, 1.099]))
    assert sim.drawdown.iloc[1] == pytest.approx(0.999 - 1)


def test_long_short_and_threshold():
    sim = trading.simulate(Y_LAST, Y_PRED, Y_TRUE, cost_bps=10, long_short=True)
    np.testing.assert_array_equal(sim.position, [1, -1, -1, 1])
    np.testing.assert_array_equal(sim.turnover, [1, 2, 0, 2])
    np.testing.assert_allclose(sim["return"], [0.099, 0.098, 0, 0.098])
    wide = trading.simulate(Y_LAST, Y_PRED, Y_TRUE, threshold=0.02, long_short=True)
    np.testing.assert_array_equal(wide.position, [1, -1, 0, 0])  # |1%| is inside 2%


def test_buy_and_hold_pays_to_get_in_once():
    bh = trading.buy_and_hold(Y_LAST, Y_TRUE, cost_bps=10)
    np.testing.assert_allclose(bh["return"], [0.099, -0.1, 0, 0.1])
    s = trading.statistics(bh)
    assert set(s) == set(trading.STATISTICS)
    assert s["exposure"] == 1 and s["turnover"] == pytest.approx(252 / 4)
    assert s["hit_rate"] == pytest.approx(2 / 4)
    assert s["total_return"] == pytest.approx(1.099 * 0.9 * 1.1 - 1)
    assert s["max_drawdown"] == pytest.approx(-0.1)


def test_statistics_of_a_strategy_that_never_trades():
    s = trading.statistics(trading.simulate(Y_LAST, Y_LAST, Y_TRUE))
    assert s["total_return"] == 0 and s["exposure"] == 0 and s["turnover"] == 0
    assert np.isnan(s["sharpe"]) and np.isnan(s["hit_rate"])


def momentum_forecasts(close):
    """A forecast made at day t from closes up to t only: the 5-day trend continues."""
    close = np.asarray(close, float)
    past = pd.Series(close).rolling(5, min_periods=1).mean().to_numpy()
    return close[:-1], close[:-1] ** 2 / past[:-1], close[1:]  # y_last, y_pred, y_true


@pytest.mark.parametrize("long_short", [False, True])
def test_no_look_ahead_changing_every_price_after_day_t(long_short):
    rng = np.random.default_rng(0)
    close = 100 * np.cumprod(1 + rng.normal(0, 0.01, 300))
    t = 150
    changed = close.copy()
    changed[t + 1:] *= np.exp(rng.normal(0, 0.05, len(close) - t - 1))  # every later day
    a, b = (trading.simulate(*momentum_forecasts(c), cost_bps=5, long_short=long_short)
            for c in (close, changed))
    # row i holds the position from day i to day i+1: rows up to t-1 end on or before day t
    pd.testing.assert_frame_equal(a.iloc[:t], b.iloc[:t])
    assert a.position.iloc[t] == b.position.iloc[t]  # the position for day t+1, set at t
    assert not np.allclose(a.equity.iloc[t:], b.equity.iloc[t:])  # later days did change


def test_backtest_counts_distinct_strategies_as_trials():
    days = pd.bdate_range("2020-01-01", periods=4)
    rows = lambda model, seed, pred: pd.DataFrame(  # noqa: E731
        {"date": days, "model": model, "seed": seed, "y_true": Y_TRUE, "y_pred": pred,
         "y_last": Y_LAST})
    p = pd.concat([rows("naive", -1, Y_LAST), rows("m", 1, Y_PRED), rows("m", 2, Y_PRED),
                   rows("m", 3, [90, 120, 100, 100])])
    bt = trading.backtest(p, cost_bps=10)
    assert bt.settings["n_trials"] == 3  # seeds 1 and 2 trade the same: one trial
    assert set(bt.stats) == {("naive", -1), ("m", 1), ("m", 2), ("m", 3)}
    assert bt.stats["m", 1]["total_return"] == pytest.approx(1.099 * 0.999 * 1.099 - 1)
    assert list(bt.equity.columns) == ["date", "model", "seed", "position", "return",
                                       "equity", "drawdown"]
    assert (bt.equity.model == "buy_and_hold").sum() == 4


def test_trading_settings_in_experiment_files():
    exp = config.from_dict({"trading": {"threshold": 0.001, "cost_bps": 2,
                                        "long_short": True}})
    assert exp.trading == config.TradingSpec(threshold=0.001, cost_bps=2.0, long_short=True)
    assert "[trading]" in config.to_toml(exp)
    with pytest.raises(ForecastError, match="cost_bps must be at least 0"):
        config.from_dict({"trading": {"cost_bps": -1}})
    with pytest.raises(ForecastError, match="long_short must be true or false"):
        config.from_dict({"trading": {"long_short": 1}})
    with pytest.raises(ForecastError, match="Did you mean"):
        config.from_dict({"trading": {"cost_bp": 1}})


def test_metrics_json_recomputed_from_predictions_csv_and_prices(tiny_experiment, tmp_path):
    exp = config.replace(tiny_experiment, seeds=(1, 2),
                         models={"naive": {}, "drift": {}, "ridge": {},
                                 "single_lstm": {"units": 4}})
    run = walkforward.run_experiment(exp, progress=False)
    out = runs.save(run, tmp_path)
    m = json.loads((out / "metrics.json").read_text())
    p = pd.read_csv(out / "predictions.csv", parse_dates=["date"])
    eq = pd.read_csv(out / "equity.csv", parse_dates=["date"])
    cost = m["trading"]["cost_bps"] / 1e4
    naive = p[p.model == "naive"].set_index("date")
    approx = lambda x: pytest.approx(x, rel=1e-5, abs=1e-8)  # noqa: E731 (CSV: 6 decimals)

    def by_definition(g):
        """Every number of one (model, seed), from its rows of predictions.csv alone."""
        e, e_naive = g.y_pred - g.y_true, naive.y_pred.loc[g.date].to_numpy() - g.y_true
        d = e.to_numpy() ** 2 - e_naive.to_numpy() ** 2
        n = len(d)
        dm = d.mean() / np.sqrt(np.var(d) / n) * np.sqrt((n - 1) / n) if d.any() else None
        dm_pvalue = None if dm is None else 2 * stats.t.sf(abs(dm), n - 1)
        pos = (g.y_pred / g.y_last - 1 > 0).astype(float).to_numpy()  # long if up
        turnover = np.abs(np.diff(pos, prepend=0))
        r = pos * (g.y_true / g.y_last - 1).to_numpy() - cost * turnover
        equity = np.cumprod(1 + r)
        peak = np.maximum.accumulate(np.r_[1, equity])[1:]
        sd = r.std(ddof=1)
        sharpe = r.mean() / sd if sd > 0 else None  # daily
        deflated = None if sharpe is None else metrics.deflated_sharpe(
            sharpe, m["trading"]["n_trials"], n, *metrics.moments(r),
            m["trading"]["trials_sharpe_var"])
        return {"rmse": np.sqrt(np.mean(e ** 2)),
                "theil_u": np.sqrt(np.mean(e ** 2)) / np.sqrt(np.mean(e_naive ** 2)),
                "dm_stat": dm, "dm_pvalue": dm_pvalue, "total_return": equity[-1] - 1,
                "cagr": equity[-1] ** (252 / n) - 1,
                "sharpe": None if sharpe is None else sharpe * np.sqrt(252),
                "deflated_sharpe": deflated,
                "max_drawdown": np.min(equity / peak - 1),
                "exposure": pos.mean(), "turnover": turnover.mean() * 252, "return": r}

    for name, entry in m["models"].items():
        seeds = p[p.model == name].groupby("seed")
        per_seed = {seed: by_definition(g.sort_values("date")) for seed, g in seeds}
        for key in ("rmse", "theil_u", "dm_stat", "dm_pvalue", "total_return", "cagr",
                    "sharpe", "deflated_sharpe", "max_drawdown", "exposure", "turnover"):
            values = [s[key] for s in per_seed.values()]  # mean over seeds, None: undefined
            got = entry[key] if key in entry else entry["trading"][key]
            assert got == (None if None in values else approx(np.mean(values))), (name, key)
        if len(per_seed) > 1:
            assert entry["trading"]["sharpe_std"] == approx(
                np.std([s["sharpe"] for s in per_seed.values()], ddof=1))
        for seed, s in per_seed.items():
            rows = eq[(eq.model == name) & (eq.seed == seed)]
            np.testing.assert_allclose(rows["return"], s["return"], atol=2e-6)

    # buy-and-hold from the prices themselves: close to close over the test days
    close = run.prices["close"]
    days = naive.index
    r = close.pct_change().loc[days].to_numpy().copy()
    r[0] -= cost  # getting in
    bh = m["buy_and_hold"]
    assert bh["total_return"] == approx(np.prod(1 + r) - 1)
    assert bh["sharpe"] == approx(r.mean() / r.std(ddof=1) * np.sqrt(252))
    assert bh["exposure"] == 1 and set(bh) == set(trading.STATISTICS)
    np.testing.assert_allclose(eq[eq.model == "buy_and_hold"].equity, np.cumprod(1 + r),
                               rtol=1e-5)
    # DM per fold, against naive on the fold's days
    fold = m["models"]["drift"]["folds"][1]
    g = p[(p.model == "drift") & (p.fold == fold["fold"])]
    e_naive = naive.y_pred.loc[g.date].to_numpy() - g.y_true
    assert (fold["dm_stat"], fold["dm_pvalue"]) == approx(
        metrics.diebold_mariano(g.y_pred - g.y_true, e_naive))


def test_a_predicted_return_of_exactly_zero_stays_flat():
    # no predicted move is no reason to trade, long only or long/short
    for long_short in (False, True):
        assert trading.positions([100, 100], [100, 101], long_short=long_short)[0] == 0
        sim = trading.simulate([100, 100], [100, 99], [101, 99], long_short=long_short)
        assert sim.position.iloc[0] == 0
    # a predicted move of exactly the threshold is inside it (0.5 is exact in binary)
    assert trading.positions([2], [3], threshold=0.5)[0] == 0
    assert trading.positions([2], [1], threshold=0.5, long_short=True)[0] == 0


def test_exposure_counts_short_days_as_in_the_market():
    # long, short, short, long: in the market every day, whatever the side
    s = trading.statistics(trading.simulate(Y_LAST, Y_PRED, Y_TRUE, long_short=True))
    assert s["exposure"] == 1.0
    half = trading.statistics(trading.simulate(Y_LAST, [99, 111, 99, 99], Y_TRUE,
                                               long_short=True))
    assert half["exposure"] == 0.5  # short, long, flat, flat


def test_trials_sharpe_variance_is_the_sample_variance():
    days = pd.bdate_range("2020-01-01", periods=4)
    preds = {1: Y_PRED, 2: [90, 120, 100, 100], 3: [101, 100, 100, 101]}
    p = pd.concat([pd.DataFrame({"date": days, "model": "m", "seed": s, "y_true": Y_TRUE,
                                 "y_pred": pred, "y_last": Y_LAST})
                   for s, pred in preds.items()])
    bt = trading.backtest(p, cost_bps=10)
    daily = [metrics.sharpe(trading.simulate(Y_LAST, pred, Y_TRUE, cost_bps=10)["return"],
                            days=1) for pred in preds.values()]
    assert bt.settings["n_trials"] == 3
    assert bt.settings["trials_sharpe_var"] == pytest.approx(np.var(daily, ddof=1))
    n, sr = 4, bt.stats["m", 1]
    r = trading.simulate(Y_LAST, Y_PRED, Y_TRUE, cost_bps=10)["return"]
    skew, kurt = metrics.moments(r)
    assert sr["deflated_sharpe"] == pytest.approx(metrics.deflated_sharpe(
        metrics.sharpe(r, days=1), 3, n, skew, kurt, np.var(daily, ddof=1)))


# --- positions from the target, daily returns from the closes, any horizon ----------------

def forecasts(close, h, target="return"):
    """Forecasts made at each day t from closes up to t only, for day t + h, in the
    columns of predictions.csv (momentum: the 5-day trend continues)."""
    c = close.to_numpy()
    past = pd.Series(c).rolling(5, min_periods=1).mean().to_numpy()
    t = np.arange(len(c) - h)
    pred = {"return": c[t] ** 2 / past[t],
            "direction": 1 / (1 + np.exp(-50 * (c[t] / past[t] - 1))),
            "volatility": 1e-4 * h * (past[t] / c[t]) ** 20}[target]
    return pd.DataFrame({"date": close.index[t + h], "fold": 0, "model": "m", "seed": 1,
                         "y_true": c[t + h], "y_pred": pred, "y_last": c[t]})


def random_closes(n=300, seed=0):
    rng = np.random.default_rng(seed)
    return pd.Series(100 * np.cumprod(1 + rng.normal(0, 0.01, n)),
                     index=pd.bdate_range("2020-01-01", periods=n))


def test_closes_give_the_same_one_day_returns_as_the_forecast_rows():
    close = random_closes()
    p = forecasts(close, 1)
    a = trading.backtest(p, cost_bps=10)
    b = trading.backtest(p, close=close, cost_bps=10)
    pd.testing.assert_frame_equal(a.equity, b.equity)
    assert a.buy_and_hold == b.buy_and_hold


def test_direction_long_above_one_half_plus_threshold_by_hand():
    close = pd.Series([100.0, 110, 99, 99, 108.9], index=pd.bdate_range("2021-01-04",
                                                                         periods=5))
    p = pd.DataFrame({"date": close.index[1:], "model": "m", "seed": 1,
                      "y_true": [1, 0, 0, 1], "y_pred": [0.6, 0.52, 0.4, 0.9],
                      "y_last": close.to_numpy()[:-1]})
    bt = trading.backtest(p, target="direction", close=close, cost_bps=10, threshold=0.05)
    sim = bt.equity[bt.equity.model == "m"]
    np.testing.assert_array_equal(sim.position, [1, 0, 0, 1])
    np.testing.assert_allclose(sim["return"], [0.099, -0.001, 0, 0.099])
    ls = trading.backtest(p, target="direction", close=close, cost_bps=0, long_short=True)
    np.testing.assert_array_equal(ls.equity[ls.equity.model == "m"].position, [1, 1, -1, 1])


def test_volatility_targeting_by_hand():
    close = pd.Series([100.0, 101, 100, 102], index=pd.bdate_range("2021-01-04", periods=4))
    # forecast annualised volatility 20%, 5%, 10%: 10% target -> 0.5, 2 capped at 1.5, 1
    var = np.array([0.2, 0.05, 0.1]) ** 2 / 252
    p = pd.DataFrame({"date": close.index[1:], "model": "m", "seed": 1, "y_true": var,
                      "y_pred": var, "y_last": close.to_numpy()[:-1]})
    bt = trading.backtest(p, target="volatility", close=close, cost_bps=10, target_vol=0.1,
                          max_leverage=1.5)
    sim = bt.equity[bt.equity.model == "m"]
    np.testing.assert_allclose(sim.position, [0.5, 1.5, 1.0])
    asset = np.array([0.01, 100 / 101 - 1, 0.02])
    turnover = np.array([0.5, 1.0, 0.5])
    np.testing.assert_allclose(sim["return"], sim.position * asset - 1e-3 * turnover)
    assert bt.settings["target_vol"] == 0.1 and bt.settings["max_leverage"] == 1.5


@pytest.mark.parametrize("target", ["return", "direction", "volatility"])
@pytest.mark.parametrize("h", [1, 3])
def test_no_look_ahead_at_any_horizon(target, h):
    close = random_closes()
    t = 150  # every close after day t changes
    changed = close.copy()
    changed.iloc[t + 1:] *= np.exp(np.random.default_rng(1).normal(0, 0.05, len(close) - t - 1))
    a, b = (trading.backtest(forecasts(c, h, target), target=target, close=c, horizon=h,
                             cost_bps=5, long_short=True)  # never flat: every day counts
            .equity.query("model == 'm'").reset_index(drop=True) for c in (close, changed))
    # row i: the position decided at day i from the forecast made that day, held to i + 1
    pd.testing.assert_frame_equal(a.iloc[:t], b.iloc[:t])
    assert a.position.iloc[t] == b.position.iloc[t]  # decided at t, before the change
    assert not np.allclose(a.equity.iloc[t:], b.equity.iloc[t:])
    # every day of the test period is traded once, on the newest forecast
    assert len(a) == len(close) - h and a.date.is_monotonic_increasing


def test_defaults_long_only_no_threshold_five_basis_points():
    days = pd.bdate_range("2020-01-01", periods=4)
    sim = trading.simulate(Y_LAST, Y_PRED, Y_TRUE, dates=days)
    pd.testing.assert_frame_equal(sim, trading.simulate(
        Y_LAST, Y_PRED, Y_TRUE, threshold=0.0, cost_bps=5.0, long_short=False, dates=days))
    assert list(sim.index) == list(days) and sim.index.name == "date"
    np.testing.assert_array_equal(trading.positions([100, 100], [100.01, 99]), [1, 0])
    bh = trading.buy_and_hold(Y_LAST, Y_TRUE, dates=days)
    assert bh["return"].iloc[0] == pytest.approx(0.1 - 5 / 1e4)
    assert list(bh.index) == list(days)
    # free trading is allowed, negative costs are not
    assert trading.simulate(Y_LAST, Y_PRED, Y_TRUE, cost_bps=0)["return"].iloc[0] == \
        pytest.approx(0.1)
    with pytest.raises(ValueError, match=r"^cost_bps must be >= 0, got -1$"):
        trading.simulate(Y_LAST, Y_PRED, Y_TRUE, cost_bps=-1)


def test_the_equity_rows_name_model_and_seed_and_one_strategy_has_no_trial_spread():
    days = pd.bdate_range("2020-01-01", periods=4)
    p = pd.concat([pd.DataFrame({"date": days, "model": "m", "seed": s, "y_true": Y_TRUE,
                                 "y_pred": Y_PRED, "y_last": Y_LAST}) for s in (1, 2)])
    bt = trading.backtest(p, cost_bps=10)
    eq = bt.equity
    assert list(eq.index) == list(range(12))  # one plain row number per row
    assert [(m, s) for m, s in eq[["model", "seed"]].drop_duplicates().itertuples(
        index=False)] == [("m", 1), ("m", 2), ("buy_and_hold", -1)]
    # two seeds trading alike are one strategy: no spread of Sharpe ratios to deflate by
    assert bt.settings["n_trials"] == 1 and bt.settings["trials_sharpe_var"] == 0.0
    assert (bt.settings["threshold"], bt.settings["long_short"]) == (0.0, False)
