"""Workload W1 in darts 0.48 (PyTorch): the peer `make bench-peers` runs beside forecast.

Expanding walk-forward on the S&P 500 close, 5 folds of 496 test days after 2,500 training
pairs, single LSTM(32) and stacked 2 x LSTM(64) with dropout 0.2 (darts gives every layer one
width), each fold a fresh BlockRNNModel (darts cannot continue training from the previous
fold's weights) that predicts the fold with historical_forecasts(retrain=False), darts'
batched path.

--recipe forecast (default, darts done right: forecast's recipe as far as darts allows):
  series = daily log return of the close; past covariates = log(SMA20/close),
  log(EMA50/close), RSI14; StandardScalers fitted on each fold's training rows; early
  stopping on val_loss over the last 10% of the fold's training samples, best weights
  reloaded; Adam. Each network's epochs (at most), batch size, learning rate, patience,
  min_delta and stride come from --single-recipe / --stacked-recipe (JSON; bench_peers.py
  passes those of forecast's experiment file), by default W1's earlier recipe: patience 1,
  min_delta 0.002, batch 64, 10 epochs, stride 2, learning rate 0.001.
  A predicted return r becomes a price: close_{t-1} * exp(r).
--recipe tutorial: min-max scalers on price levels, 10 epochs, batch 32, no early stopping.

Runs in its own venv (`make bench-peers` builds benchmarks/.peers-venv: torch CPU, darts,
pytorch-lightning, arch). Writes per-day predictions of every model to --out (CSV: date,
model, y_true, y_last, y_pred) and prints one JSON line: per model the walk-forward seconds
(after imports and data loading) and epochs run per fold.

Usage: python benchmarks/darts_w1.py [--seed 42] [--recipe forecast|tutorial]
                                     [--models single,stacked] [--out preds.csv] [--threads N]
                                     [--ticker ^IXIC] [--end 2009-05-19] [--initial-train 1000]
                                     [--csv planted.csv] [--single-recipe JSON]
                                     [--stacked-recipe JSON]
--threads N: torch.set_num_threads(N) first (default: torch's own, one per core).
--csv: a file of Date and Close (a planted series from bench_peers.py) instead of --ticker.
--ticker, --end, --initial-train: another workload of the same shape (benchmarks/choose_w1.py
  --darts runs it on the days before W1's test days); the 5 folds then split the rest evenly,
  the days left over at the end unused.
"""
import argparse
import json
import logging
import tempfile
import time
import warnings

import numpy as np
import pandas as pd
import torch
from arch.data import nasdaq, sp500
from darts import TimeSeries
from darts.dataprocessing.transformers import Scaler
from darts.models import BlockRNNModel
from pytorch_lightning.callbacks import EarlyStopping
from sklearn.preprocessing import StandardScaler

WARMUP = 50   # rows dropped for the indicators' warm-up
INIT = 2501   # W1's first fold trains on 2,501 rows: 2,500 (input -> next day) pairs
N_FOLDS = 5
PRICES = {"^GSPC": sp500, "^IXIC": nasdaq}
ICL = 60      # input_chunk_length: the lookback

NETWORKS = {"single": dict(hidden_dim=32, n_rnn_layers=1, dropout=0.0),
            "stacked": dict(hidden_dim=64, n_rnn_layers=2, dropout=0.2)}
# --recipe forecast's training by default (W1's before the power audit); --single-recipe and
# --stacked-recipe change it per network
RECIPE = {"epochs": 10, "batch_size": 64, "lr": 1e-3, "patience": 1, "min_delta": 0.002,
          "stride": 2}


def load_data(recipe, ticker="^GSPC", end=None, init=INIT, csv=None):
    """Target and covariate series, closes and dates; the test days per fold (the rest after
    ``init`` split in 5, the last days left over dropped: none on W1, 496 days a fold).
    ``csv``: a Date, Close file instead of the sample's ``ticker`` (a planted series)."""
    if csv:
        close = pd.read_csv(csv, index_col=0, parse_dates=True).iloc[:, 0]
    else:
        close = PRICES[ticker].load()["Adj Close"]
    close = close.astype("float64")[:end]
    sma20 = close.rolling(20).mean()
    ema50 = close.ewm(span=50, adjust=False).mean()
    delta = close.diff()
    gain = delta.clip(lower=0.0).ewm(alpha=1 / 14, adjust=False).mean()  # Wilder smoothing
    loss = (-delta).clip(lower=0.0).ewm(alpha=1 / 14, adjust=False).mean()
    rsi14 = 100.0 - 100.0 / (1.0 + gain / loss)
    if recipe == "forecast":  # scale-free inputs, as forecast's target = "return"
        data = pd.DataFrame({"close": close, "y": np.log(close).diff(),
                             "sma20": np.log(sma20 / close), "ema50": np.log(ema50 / close),
                             "rsi14": rsi14})
    else:
        data = pd.DataFrame({"close": close, "y": close, "sma20": sma20, "ema50": ema50,
                             "rsi14": rsi14})
    data = data.iloc[WARMUP:]
    fold = (len(data) - init) // N_FOLDS
    data = data.iloc[:init + N_FOLDS * fold]
    assert not data.isna().any().any()
    idx = pd.RangeIndex(len(data))  # trading days are irregular: a plain integer time axis
    y = TimeSeries.from_times_and_values(idx, data[["y"]].to_numpy("float32"), columns=["y"])
    cov = TimeSeries.from_times_and_values(idx, data[["sma20", "ema50", "rsi14"]]
                                           .to_numpy("float32"),
                                           columns=["sma20", "ema50", "rsi14"])
    return y, cov, data["close"].to_numpy("float64"), data.index, fold


def network(kind, recipe, seed, work_dir, name, training):
    trainer = {"accelerator": "cpu", "enable_progress_bar": False,
               "enable_model_summary": False, "logger": False}
    extra = {}
    t = training
    if recipe == "forecast":
        trainer["callbacks"] = [EarlyStopping(monitor="val_loss", patience=t["patience"],
                                              min_delta=t["min_delta"], mode="min")]
        extra = {"save_checkpoints": True, "force_reset": True, "model_name": name}
    return BlockRNNModel(model="LSTM", input_chunk_length=ICL, output_chunk_length=1,
                         n_epochs=t["epochs"] if recipe == "forecast" else 10,
                         batch_size=t["batch_size"] if recipe == "forecast" else 32,
                         optimizer_kwargs={"lr": t["lr"]}, random_state=seed,
                         work_dir=work_dir, pl_trainer_kwargs=trainer, **extra,
                         **NETWORKS[kind])


def walk_forward(kind, recipe, seed, y, cov, close, work_dir, init, fold, training):
    """Predicted closes for every test day, and the epochs each fold ran."""
    preds, epochs = [], []
    for k in range(N_FOLDS):
        train_end = init + k * fold
        fold_end = train_end + fold
        make = (lambda: Scaler(StandardScaler())) if recipe == "forecast" else Scaler
        sc_y, sc_c = make(), make()
        sc_y.fit(y[:train_end])  # on the fold's training rows only
        sc_c.fit(cov[:train_end])
        y_s, c_s = sc_y.transform(y[:fold_end]), sc_c.transform(cov[:fold_end])
        model = network(kind, recipe, seed, work_dir, f"{kind}_{k}", training)
        if recipe == "forecast":
            n_val = max(1, round(0.1 * (train_end - ICL)))  # the last 10% of the pairs
            fit_end = train_end - n_val
            model.fit(y_s[:fit_end], past_covariates=c_s[:train_end],
                      val_series=y_s[fit_end - ICL:train_end],
                      val_past_covariates=c_s[:train_end], stride=training["stride"],
                      load_best=True,
                      verbose=False)
        else:
            model.fit(y_s[:train_end], past_covariates=c_s[:train_end], verbose=False)
        epochs.append(int(model.trainer.current_epoch))
        hf = model.historical_forecasts(series=y_s, past_covariates=c_s, start=train_end,
                                        start_format="position", forecast_horizon=1,
                                        retrain=False, last_points_only=True,
                                        overlap_end=False, verbose=False)
        assert len(hf) == fold and int(hf.start_time()) == train_end
        out = sc_y.inverse_transform(hf).values(copy=False)[:, 0].astype("float64")
        preds.append(close[train_end - 1:fold_end - 1] * np.exp(out)
                     if recipe == "forecast" else out)
    return np.concatenate(preds), epochs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--recipe", default="forecast", choices=["forecast", "tutorial"])
    ap.add_argument("--models", default="single,stacked")
    ap.add_argument("--out", help="CSV of per-day predictions (default: none written)")
    ap.add_argument("--threads", type=int, help="torch threads (default: torch's own)")
    ap.add_argument("--ticker", default="^GSPC", choices=sorted(PRICES))
    ap.add_argument("--end", help="last day used (default: 2018-12-31, the last there is)")
    ap.add_argument("--initial-train", type=int, default=INIT - 1,
                    help="(input -> next day) pairs of the first fold (default: W1's 2500)")
    ap.add_argument("--csv", help="a Date, Close file (a planted series) instead of --ticker")
    # each network's training recipe under --recipe forecast, as JSON (bench_peers.py
    # passes forecast's experiment's): keys of RECIPE, the rest as there
    for kind in NETWORKS:
        ap.add_argument(f"--{kind}-recipe", type=json.loads, default={},
                        help=f"JSON, e.g. {json.dumps(RECIPE)}")
    args = ap.parse_args()
    training = {kind: {**RECIPE, **getattr(args, f"{kind}_recipe")} for kind in NETWORKS}
    if args.threads:
        torch.set_num_threads(args.threads)
    logging.getLogger("pytorch_lightning").setLevel(logging.WARNING)
    logging.getLogger("lightning.pytorch").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore")

    init = args.initial_train + 1
    y, cov, close, dates, fold = load_data(args.recipe, args.ticker, args.end, init,
                                           args.csv)
    test = np.arange(init, len(close))
    w1 = (args.ticker, args.end, init, args.csv) == ("^GSPC", None, INIT, None)
    out = {"workload": "W1" if w1 else f"{args.csv or args.ticker} to "
                                       f"{args.end or 'the end'}, "
                                       f"{args.initial_train} initial pairs",
           "training": training if args.recipe == "forecast" else None,
           "library": "darts", "recipe": args.recipe, "seed": args.seed,
           "torch_threads": torch.get_num_threads(), "models": {}}
    frames = []
    with tempfile.TemporaryDirectory() as work_dir:  # darts' checkpoints
        for kind in args.models.split(","):
            t0 = time.perf_counter()
            pred, epochs = walk_forward(kind, args.recipe, args.seed, y, cov, close, work_dir,
                                        init, fold, training[kind])
            wall = time.perf_counter() - t0
            out["models"][kind] = {"walkforward_s": round(wall, 2), "epochs_run": epochs}
            frames.append(pd.DataFrame({"date": dates[test], "model": kind,
                                        "y_true": close[test], "y_last": close[test - 1],
                                        "y_pred": pred}))
    out["walkforward_s"] = round(sum(m["walkforward_s"] for m in out["models"].values()), 2)
    if args.out:
        pd.concat(frames).to_csv(args.out, index=False)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
