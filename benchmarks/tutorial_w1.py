"""Workload W1 the way typical tutorial code does it: the reference `make bench` times.

Python-loop windowing, a min-max scaler fitted per fold on the fold's training rows, every
fold trained from scratch with Keras' defaults (batch 32, validation_split 0.1, 10 epochs),
the same S&P 500 prices and indicators as W1 (close, SMA 20, EMA 50, RSI 14; 50 warm-up
rows), 2500 initial training samples, 5 folds. Prints one JSON line: per model the
walk-forward seconds (after imports and data loading), RMSE, naive RMSE, direction accuracy.

Usage: python benchmarks/tutorial_w1.py [--epochs N] [--folds K] [--models single,stacked]
Needs numpy, pandas, scikit-learn, keras (TensorFlow) and arch: forecast's own venv has them.
"""
import argparse
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from arch.data import sp500  # noqa: E402
from sklearn.preprocessing import MinMaxScaler  # noqa: E402

SEQ, INIT = 60, 2500


def features():
    c = sp500.load()["Adj Close"]
    delta = c.diff()
    gain = delta.clip(lower=0).ewm(alpha=1 / 14, adjust=False).mean()
    loss = (-delta.clip(upper=0)).ewm(alpha=1 / 14, adjust=False).mean()
    feat = pd.DataFrame({"close": c, "sma20": c.rolling(20).mean(),
                         "ema50": c.ewm(span=50, adjust=False).mean(),
                         "rsi14": 100 - 100 / (1 + gain / loss)}).iloc[50:]
    return feat.to_numpy("float64")


def create_sequences(data, seq_length=SEQ):
    X, y = [], []
    for i in range(len(data) - seq_length):
        X.append(data[i:i + seq_length])
        y.append(data[i + seq_length, 0])
    return np.array(X), np.array(y)


def build(kind, n_feat):
    if kind == "single":
        layers = [keras.layers.LSTM(32)]
    else:
        layers = [keras.layers.LSTM(64, return_sequences=True), keras.layers.Dropout(0.2),
                  keras.layers.LSTM(32), keras.layers.Dropout(0.2)]
    m = keras.Sequential([keras.Input((SEQ, n_feat)), *layers, keras.layers.Dense(1)])
    m.compile(optimizer="adam", loss="mse")
    return m


def walk_forward(kind, values, epochs, folds):
    n_samples = len(values) - SEQ
    fold_len = (n_samples - INIT) // folds
    preds, acts, prev = [], [], []
    for k in range(folds):
        train_end = INIT + k * fold_len  # samples [0, train_end) train
        test_end = train_end + fold_len if k < folds - 1 else n_samples
        scaler = MinMaxScaler().fit(values[:train_end + SEQ])  # rows the training reads
        X, y = create_sequences(scaler.transform(values))
        model = build(kind, values.shape[1])
        model.fit(X[:train_end], y[:train_end], epochs=epochs, batch_size=32,
                  validation_split=0.1, verbose=0)
        p_scaled = model.predict(X[train_end:test_end], verbose=0).ravel()
        lo, hi = scaler.data_min_[0], scaler.data_max_[0]
        preds.append(p_scaled * (hi - lo) + lo)
        acts.append(values[train_end + SEQ:test_end + SEQ, 0])
        prev.append(values[train_end + SEQ - 1:test_end + SEQ - 1, 0])
        keras.backend.clear_session()
    return map(np.concatenate, (preds, acts, prev))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--models", default="single,stacked")
    a = p.parse_args()
    keras.utils.set_random_seed(42)
    values = features()
    out = {"workload": "W1", "epochs": a.epochs, "folds": a.folds}
    for kind in a.models.split(","):
        t0 = time.perf_counter()
        p_, y_, n_ = walk_forward(kind, values, a.epochs, a.folds)
        wall = time.perf_counter() - t0
        out[kind] = {"wall_s": round(wall, 1),
                     "rmse": round(float(np.sqrt(np.mean((p_ - y_) ** 2))), 2),
                     "mae": round(float(np.mean(np.abs(p_ - y_))), 2),
                     "naive_rmse": round(float(np.sqrt(np.mean((n_ - y_) ** 2))), 2),
                     "dir_acc": round(float(np.mean(np.sign(p_ - n_) == np.sign(y_ - n_))), 3),
                     "n_test": int(len(y_))}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
