import os
import re
import subprocess
import sys

import numpy as np
import pytest

from forecast import models
from forecast.errors import ForecastError
from forecast.models import MODELS, FoldData, create, register_model


def fold(n=80, lookback=10, features=1, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, lookback, features)).astype("float32")
    y = rng.normal(size=n).astype("float32")
    last = np.linspace(100, 110, 20)
    return FoldData(X[:50], y[:50], X[50:60], y[50:60], X[60:], last,
                    np.linspace(90, 100, 61), 1, lambda s: last * np.exp(s * 0.01))


def test_stacked_lstm_has_the_true_parameter_count():
    # LSTM(64): 4*(64*(1+64)+64) = 16,896; LSTM(32): 4*(32*(64+32)+32) = 12,416; Dense: 33.
    # The classic tutorial prints 27,649, which is wrong.
    m = create("stacked_lstm", {})
    m.model = m.build(60, 1)
    assert m.params == 29_345
    s = create("single_lstm", {})
    s.model = s.build(60, 1)
    assert s.params == 4 * (32 * (1 + 32) + 32) + 33


def test_naive_is_today_and_drift_adds_the_mean_change():
    f = fold()
    np.testing.assert_array_equal(create("naive", {}).predict(f), f.last_price)
    d = create("drift", {})
    d.fit(f)
    np.testing.assert_allclose(d.predict(f), f.last_price + 10 / 60)


def test_ridge_learns_a_linear_signal():
    f = fold()
    f.y_train = f.X_train[:, -1, 0] * 2
    f.y_val = f.X_val[:, -1, 0] * 2
    r = create("ridge", {"alphas": [1e-6]})
    r.fit(f)
    np.testing.assert_allclose(r.predict(f), f.to_price(f.X_test[:, -1, 0] * 2), rtol=1e-4)


def test_ridge_chooses_a_large_penalty_on_noise_and_a_small_one_on_a_signal():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(400, 10, 2)).astype("float32")
    noise = rng.normal(size=400)

    def fold_of(y):
        return FoldData(X[:300], y[:300], X[300:350], y[300:350], X[350:], np.ones(50),
                        np.ones(301), 1, lambda s: s)
    r = create("ridge", {})
    r.fit(fold_of(noise))
    assert r.chosen["alpha"] >= 1e4  # shrunk to the mean: nothing to find
    r = create("ridge", {})
    r.fit(fold_of(X[:, -1, 0] + 0.1 * noise))
    assert r.chosen["alpha"] <= 10
    np.testing.assert_allclose(r.predict(fold_of(noise)), X[350:, -1, 0], atol=0.05)


def test_choose_alpha_scores_each_penalty_on_the_samples_after_those_it_was_fitted_on():
    from sklearn.linear_model import Ridge
    rng = np.random.default_rng(2)
    X = rng.normal(size=(120, 5))
    y = X @ [0.5, 0, 0, 0, 0] + rng.normal(size=120)
    alphas = [0.1, 10.0, 1e4]
    errors = []
    for a in alphas:  # three splits by hand: fitted on the first 30, 60, 90, tested next
        errors.append(sum(np.mean((Ridge(alpha=a).fit(X[:k], y[:k]).predict(X[k:k + 30])
                                   - y[k:k + 30]) ** 2) for k in (30, 60, 90)))
    assert models.choose_alpha(X, y, alphas, 3) == alphas[int(np.argmin(errors))]
    assert models.choose_alpha(X, y, [7.0], 3) == 7.0


def ar_fold(returns, n_test=200, horizon=1):
    """A FoldData carrying what the autoregression reads: returns, training and test days."""
    close = 100 * np.exp(np.r_[0.0, np.cumsum(returns)])
    rows = len(close)
    end = np.arange(20, rows - horizon)
    train, test = end[:-n_test], end[-n_test:]
    f = FoldData(np.zeros((len(train), 1, 1)), np.zeros(len(train)), np.zeros((1, 1, 1)),
                 np.zeros(1), np.zeros((n_test, 1, 1)), close[test], close, horizon,
                 lambda s: s)
    f.returns = np.r_[np.nan, returns]
    f.train_end, f.test_end = train, test
    return f, close


def test_ar_finds_the_order_of_an_autoregression_and_none_in_noise():
    rng = np.random.default_rng(3)
    e = rng.standard_t(4, size=3000) * 0.01
    x = np.zeros_like(e)
    for t in range(1, len(e)):
        x[t] = e[t] + 0.3 * x[t - 1]
    f, close = ar_fold(x)
    m = create("ar", {})
    m.fit(f)
    assert m.chosen == {"lags": 1}
    assert m.coef[0] == pytest.approx(0.3, abs=0.05)
    # its forecast: today's close times exp(constant + coefficient x today's return)
    expected = close[f.test_end] * np.exp(m.const + m.coef[0] * x[f.test_end - 1])
    np.testing.assert_allclose(m.predict(f), expected)
    m2 = create("ar", {})
    m2.fit(ar_fold(e)[0])
    assert m2.chosen == {"lags": 0}


def test_ar_chains_its_forecasts_over_the_horizon():
    rng = np.random.default_rng(4)
    e = rng.normal(size=2000) * 0.01
    x = np.zeros_like(e)
    for t in range(1, len(e)):
        x[t] = e[t] - 0.4 * x[t - 1]
    f, close = ar_fold(x, horizon=2)
    m = create("ar", {})
    m.fit(f)
    one = m.const + m.coef[0] * x[f.test_end - 1]
    two = m.const + m.coef[0] * one
    np.testing.assert_allclose(m.predict(f), close[f.test_end] * np.exp(one + two))


@pytest.mark.parametrize("name", ["single_lstm", "stacked_lstm", "gru", "simple_rnn"])
def test_networks_train_and_predict_prices(name):
    models.reset(0, clear=True)
    m = create(name, {"units": [4, 4] if name == "stacked_lstm" else 4, "epochs": 2,
                      "batch_size": 16})
    history = m.fit(fold())
    assert set(history) >= {"loss", "val_loss"} and 1 <= len(history["loss"]) <= 2
    pred = m.predict(fold())
    assert pred.shape == (20,) and np.isfinite(pred).all()


@pytest.mark.parametrize("loss, zero", [("mse", 0.0), ("binary_crossentropy", 0.5)])
def test_an_output_layer_started_at_zero_forecasts_the_scaled_targets_zero(loss, zero):
    # a return's training mean, a rise's even odds: the network departs from that prior
    # only as far as training pulls it, not by its random initial weights
    f = fold()
    f.to_price = lambda s: np.asarray(s, float)
    for init in ("random", "zeros"):
        models.reset(0, clear=True)
        m = create("stacked_lstm", {"units": [4, 4], "epochs": 2, "batch_size": 16,
                                    "loss": loss, "output_init": init})
        m.model = m.build(*f.X_train.shape[1:])
        untrained = np.abs(m.predict(f) - zero).max()
        assert (untrained == 0) == (init == "zeros")
    m.fit(f)
    assert np.abs(m.predict(f) - zero).max() > 1e-3


def test_an_unknown_output_init_is_one_line_naming_the_choices():
    with pytest.raises(ForecastError, match=re.escape(
            'output_init "zero" is not one of: random, zeros. Did you mean "zeros"?')):
        create("single_lstm", {"units": 4, "output_init": "zero"})


def test_same_seed_same_predictions():
    def once():
        models.reset(3, clear=True)
        m = create("single_lstm", {"units": 4, "epochs": 2, "batch_size": 16})
        m.fit(fold())
        return m.predict(fold())
    np.testing.assert_array_equal(once(), once())


def test_a_users_model_plugs_in():
    @register_model("half", factor=0.5)
    def half(factor, **_):
        """Half of today's price (a silly model)."""
        class Half:
            params = 0

            def fit(self, fold):
                return {}

            def predict(self, fold):
                return fold.last_price * factor
        return Half()
    try:
        np.testing.assert_allclose(create("half", {}).predict(fold()), fold().last_price / 2)
        assert MODELS["half"].doc.startswith("Half of")
    finally:
        MODELS.pop("half")


def test_warm_refit_fits_only_new_samples_and_stride_thins_them(monkeypatch):
    models.reset(0, clear=True)
    m = create("single_lstm", {"units": 2, "epochs": 1, "batch_size": 1000, "stride": 3})
    seen = []
    f = fold()
    m.fit(f)  # builds the model; then count what the next fits train on
    monkeypatch.setattr(m, "_train_step", lambda X, y: seen.append(len(y)) or 0.0)
    f.first_new = 0
    m.fit(f)
    f.first_new = 41
    m.fit(f)
    # 50 windows, every third with the newest kept: 17; of the 9 new ones: 3
    assert seen == [17, 3]


def test_the_train_step_is_traced_once_for_all_folds():
    # Adam's variables made inside the first trace would make TensorFlow trace it twice
    models.reset(0, clear=True)
    m = create("stacked_lstm", {"units": [3, 2], "epochs": 2, "batch_size": 16})
    f = fold()
    m.fit(f)
    f.first_new = 30
    m.fit(f)
    assert m._steps()[0].experimental_get_tracing_count() == 1


def test_a_warm_fold_keeps_its_weights_unless_training_beats_them(monkeypatch):
    models.reset(0, clear=True)
    m = create("single_lstm", {"units": 2, "epochs": 3, "batch_size": 1000})
    f = fold()
    m.fit(f)
    before = m.model.get_weights()

    def spoil(X, y):  # training that only makes the network worse on the validation tail
        m.model.set_weights([w + 1.0 for w in m.model.get_weights()])
        return 0.0
    monkeypatch.setattr(m, "_train_step", spoil)
    m.fit(f)
    for a, b in zip(before, m.model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def _lstm_pair(return_sequences, seed=1, units=5):
    """Keras' LSTM and the fused one, built on the same seed (so with the same weights)."""
    import keras
    x = np.random.default_rng(0).normal(size=(8, 30, 3)).astype("float32") * 3
    layers = []
    for make in (keras.layers.LSTM, models.fused_lstm()):
        keras.utils.set_random_seed(seed)
        layer = make(units, return_sequences=return_sequences)
        layer(x)
        layers.append(layer)
    return x, *layers


@pytest.mark.parametrize("return_sequences", [False, True])
def test_fused_lstm_is_keras_lstm_forward_and_backward(return_sequences):
    import tensorflow as tf
    x, ref, fused = _lstm_pair(return_sequences)
    for a, b in zip(ref.get_weights(), fused.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)  # same initialisers, drawn in the same order
    x = tf.constant(x)
    out, grads = [], []
    for layer in (ref, fused):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, training=True)
            loss = tf.reduce_sum(y * tf.range(1.0, y.shape[-1] + 1))
        out.append(y.numpy())
        grads.append([g.numpy() for g in tape.gradient(loss, [x, *layer.trainable_variables])])
    np.testing.assert_allclose(out[0], out[1], atol=1e-5)
    for a, b in zip(*grads, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-4 * np.abs(a).max())


@pytest.mark.parametrize("batch", [7, 8])  # parts of 4 + 3, and of 4 + 4
def test_a_sharded_fused_lstm_is_the_same_layer_computed_by_parts(batch):
    import keras
    import tensorflow as tf
    x = tf.constant(np.random.default_rng(1).normal(size=(batch, 6, 3)).astype("float32"))
    results = []
    for shards in (1, 2):
        keras.utils.set_random_seed(5)
        layer = models.lstm(4, return_sequences=True, shards=shards)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, training=True)
            loss = tf.reduce_sum(y * tf.range(1.0, 5.0))
        grads = tape.gradient(loss, [x, *layer.trainable_variables])
        kernels = [op.type for op in tf.function(layer).get_concrete_function(x).graph
                   .get_operations() if op.type == "BlockLSTMV2"]
        results.append((y.numpy(), [g.numpy() for g in grads], len(kernels)))
    (y1, g1, k1), (y2, g2, k2) = results
    assert (k1, k2) == (1, 2)  # two kernels: TensorFlow may run them at once
    np.testing.assert_allclose(y2, y1, rtol=1e-6, atol=1e-7)
    for a, b in zip(g1, g2, strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


def test_shards_must_be_a_whole_number_of_at_least_one():
    # an experiment file's shards are checked with the other settings (test_config); a
    # plugin builds its layers with lstm() itself
    for bad in (0, 1.5, True):
        with pytest.raises(ForecastError, match=f"shards must be a whole number >= 1, got "
                           f"{bad!r}"):
            models.lstm(4, shards=bad)


def test_fused_lstm_drops_the_same_inputs_at_every_step():
    import tensorflow as tf
    fused = models.fused_lstm()(4, dropout=0.5)
    x = tf.constant(np.ones((16, 10, 3), "float32"))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = fused(x, training=True)
    dropped = tape.gradient(y, x).numpy() == 0  # (batch, steps, features)
    assert dropped.any() and not dropped.all()
    assert (dropped == dropped[:, :1, :]).all()  # a dropped input is dropped at every step
    np.testing.assert_array_equal(fused(x), fused(x))  # none at inference


def test_lstm_is_fused_on_cpu_and_keras_own_on_gpu(monkeypatch):
    import keras
    assert isinstance(models.lstm(4), models.fused_lstm())
    monkeypatch.setattr(models.fused, "device", lambda: "gpu x1: H100")
    assert type(models.lstm(4)) is keras.layers.LSTM  # cuDNN there


def test_early_stopping_keeps_the_best_epochs_weights():
    # training pulls the output towards +1 while the validation targets are -1: the
    # validation loss rises after epoch 1, so the network must end with epoch 1's weights
    f = fold()
    f.y_train = np.ones_like(f.y_train)
    f.y_val = -np.ones_like(f.y_val)

    def train(epochs):
        models.reset(0, clear=True)
        m = create("single_lstm", {"units": 4, "epochs": epochs, "batch_size": 10,
                                   "learning_rate": 0.01, "patience": 5})
        return m.fit(f), m.predict(f)
    history, best = train(3)
    _, first = train(1)
    assert len(history["val_loss"]) == 3
    assert history["val_loss"][0] < history["val_loss"][1] < history["val_loss"][2]
    np.testing.assert_allclose(best, first, rtol=1e-6)


def test_networks_never_fit_on_their_validation_rows(monkeypatch):
    # the validation windows are told apart by their values: 100 + i
    f = fold()
    f.X_val = (100 + np.arange(len(f.X_val), dtype="float32"))[:, None, None] * np.ones_like(
        f.X_val)
    models.reset(0, clear=True)
    m = create("single_lstm", {"units": 2, "epochs": 2, "batch_size": 16})
    m.prepare(f)
    fitted = []
    fit_batch = m._train_step
    monkeypatch.setattr(m, "_train_step",
                        lambda X, y: fitted.append(np.asarray(X)) or fit_batch(X, y))
    history = m.fit(f)
    seen = np.concatenate(fitted)
    assert len(history["val_loss"]) == 2 and seen.max() < 100  # no validation window
    assert {x.tobytes() for x in seen} == {x.tobytes() for x in f.X_train}  # every fit row


# --- baselines of the direction and volatility targets ------------------------------------

def returns_fold(h=5, train_last=2499, test=(2505, 3000)):
    """A volatility fold over the bundled S&P 500's daily log returns."""
    from forecast.data import load_prices
    from forecast.targets import TARGETS, log_returns
    close = load_prices("^GSPC", "sample")["close"].to_numpy()
    test_end = np.arange(*test)
    train_end = np.arange(60, train_last + 1)
    r = log_returns(close)
    truth = np.array([np.sum(r[e + 1:e + h + 1] ** 2) for e in train_end])
    return FoldData(None, None, None, None, np.zeros((len(test_end), 1, 1)), close[test_end],
                    None, h, None, target=TARGETS["volatility"], returns=r[:test_end[-1] + 1],
                    train_end=train_end, test_end=test_end, train_truth=truth)


def test_garch_is_fitted_on_training_returns_and_forecasts_as_arch_does():
    from arch import arch_model
    f = returns_fold()
    g = create("garch", {})
    g.fit(f)
    pred = g.predict(f)
    spec = dict(mean="Constant", vol="GARCH", p=1, q=1)
    # the parameters are those of the training returns alone (rows 1 .. 2499)
    alone = arch_model(100 * f.returns[1:2500], **spec).fit(disp="off")
    np.testing.assert_allclose(g.fitted.params, alone.params, rtol=1e-6)
    # each forecast is arch's own forecast() of that model from the returns up to its day
    for j in (0, 1, 250, len(pred) - 1):
        e = f.test_end[j]
        fixed = arch_model(100 * f.returns[1:e + 1], **spec).fix(g.fitted.params)
        own = fixed.forecast(horizon=5).variance.to_numpy()[-1].sum() / 100 ** 2
        assert pred[j] == pytest.approx(own, rel=1e-9)


def test_ewma_by_hand():
    r = np.array([np.nan, 0.01, -0.02, 0.03])
    f = FoldData(None, None, None, None, np.zeros((2, 1, 1)), None, None, 2, None,
                 returns=r, train_end=np.array([1, 2]), test_end=np.array([2, 3]))
    start = (1e-4 + 4e-4) / 2  # the training rows' mean squared return
    v1 = 0.94 * start + 0.06 * 1e-4   # after row 1
    v2 = 0.94 * v1 + 0.06 * 4e-4      # after row 2: tomorrow's variance seen from row 2
    v3 = 0.94 * v2 + 0.06 * 9e-4
    np.testing.assert_allclose(create("ewma", {}).predict(f), [2 * v2, 2 * v3], rtol=1e-12)


def test_har_regresses_on_day_week_and_month():
    f = returns_fold(h=1)
    r2 = f.returns ** 2

    def lags(end):
        return np.array([[r2[e], r2[e - 4:e + 1].mean(), r2[e - 21:e + 1].mean()] for e in end])
    f.train_truth = 2e-6 + lags(f.train_end) @ [0.4, 0.3, 0.2]  # an exact HAR
    m = create("har", {})
    m.fit(f)
    np.testing.assert_allclose(m.coef, [2e-6, 0.4, 0.3, 0.2], rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(m.predict(f), 2e-6 + lags(f.test_end) @ [0.4, 0.3, 0.2],
                               rtol=1e-6)


def arch_ewma(fold, lam=0.94):
    """arch's EWMAVariance forecasts of the fold's test days (zero mean, arch's own start)."""
    from arch.univariate import EWMAVariance, ZeroMean
    model = ZeroMean(fold.returns[1:fold.test_end[-1] + 1], volatility=EWMAVariance(lam),
                     rescale=False)
    fitted = model.fit(disp="off", last_obs=int(fold.train_end[-1]))
    first = int(fold.test_end[0]) - 1
    var = fitted.forecast(horizon=fold.horizon, start=first, reindex=False).variance
    return var.to_numpy().sum(1)[fold.test_end - 1 - first]


def test_ewma_is_arch_ewma_variance_once_the_start_has_faded():
    f = returns_fold(h=5)  # 2,500 training rows, as W1's first fold
    np.testing.assert_allclose(create("ewma", {}).predict(f), arch_ewma(f), rtol=1e-13)
    # only the start differs (ours: the training rows' mean squared return), and it fades
    # as 0.94^k: after 100 training rows it still shows (the size the docstring gives)
    short = returns_fold(h=5, train_last=100, test=(106, 400))
    gap = np.abs(create("ewma", {}).predict(short) / arch_ewma(short) - 1)
    assert 1e-4 < gap[0] < 5e-4 and gap[-1] < 1e-9


def arch_har(fold):
    """arch's HARX on the daily squared returns (lags 1, 5, 22) fitted on the fold's
    training samples: its forecasts of the h days after each test day, summed."""
    from arch.univariate import HARX
    y = fold.returns[1:] ** 2  # position p is row p + 1: a sample's target is its next day
    fitted = HARX(y, lags=[1, 5, 22], rescale=False).fit(
        disp="off", first_obs=int(fold.train_end[0]) - 22, last_obs=int(fold.train_end[-1]) + 1)
    first = int(fold.test_end[0]) - 1
    mean = fitted.forecast(horizon=fold.horizon, start=first, reindex=False).mean
    return mean.to_numpy().sum(1)[fold.test_end - 1 - first]


def test_har_is_arch_harx_one_day_ahead_and_a_direct_regression_beyond():
    f = returns_fold(h=1)
    m = create("har", {})
    m.fit(f)
    np.testing.assert_allclose(m.predict(f), arch_har(f), rtol=1e-10)
    # h days: ours regresses their realized variance on the same inputs, arch iterates
    # its one-day model; they part (the docstring gives the size on the whole experiment)
    f = returns_fold(h=5)
    m = create("har", {})
    m.fit(f)
    assert np.median(np.abs(m.predict(f) / arch_har(f) - 1)) > 0.01


def test_naive_volatility_is_the_last_h_days_realized_variance():
    f = returns_fold(h=5)
    e = f.test_end[7]
    assert create("naive", {}).predict(f)[7] == pytest.approx(np.sum(f.returns[e - 4:e + 1] ** 2))


def test_logistic_and_a_sigmoid_network_give_probabilities():
    f = fold()
    up = (f.X_train[:, -1, 0] > 0).astype("float32")
    f.y_train, f.y_val = up, (f.X_val[:, -1, 0] > 0).astype("float32")
    f.to_price = lambda p: np.asarray(p, float)  # probabilities are reported as they are
    m = create("logistic", {"C": 1.0})  # the default penalty is for 240 correlated inputs
    m.fit(f)
    p = m.predict(f)
    assert ((p > 0) & (p < 1)).all()
    assert np.mean((p > 0.5) == (f.X_test[:, -1, 0] > 0)) >= 0.9  # it learned the sign
    models.reset(0, clear=True)
    net = create("single_lstm", {"units": 4, "epochs": 2, "batch_size": 16,
                                 "loss": "binary_crossentropy"})
    net.fit(f)
    p = net.predict(f)
    assert ((p > 0) & (p < 1)).all()
    assert net.model.layers[-1].activation.__name__ == "sigmoid"


def test_models_declare_the_targets_they_forecast():
    assert MODELS["logistic"].targets == ("direction",)
    assert set(MODELS["garch"].targets) == {"volatility"}
    assert MODELS["naive"].targets is None and MODELS["single_lstm"].targets is None


@pytest.mark.parametrize("env, side_by_side, expected", [
    ({}, 2, max(1, (os.cpu_count() or 1) // 2)),
    ({}, 1, 0),  # 0: TensorFlow's default, every core for each op
    ({"TF_NUM_INTRAOP_THREADS": "3"}, 2, 0),  # the user's own setting is left to TensorFlow
])
def test_networks_side_by_side_share_the_cores(env, side_by_side, expected):
    code = ("from forecast import models; models.import_backend({}); import tensorflow as tf; "
            "print(tf.config.threading.get_intra_op_parallelism_threads())")
    out = subprocess.run([sys.executable, "-c", code.format(side_by_side)], text=True,
                         capture_output=True, env={**os.environ, **env}, check=True)
    assert int(out.stdout.split()[-1]) == expected


def test_the_package_offers_every_public_name_of_its_modules():
    # `from forecast.models import X` and `models.X` work whichever module X lives in
    import inspect
    for module in (models.registry, models.baselines, models.volatility, models.networks,
                   models.fused, models.backend):
        own = {n for n, obj in vars(module).items() if not n.startswith("_") and (
            getattr(obj, "__module__", None) == module.__name__ or n.isupper())
            and not inspect.ismodule(obj)}
        assert own <= set(models.__all__), (module.__name__, own - set(models.__all__))
    assert all(getattr(models, n) is not None for n in models.__all__)


def test_importing_the_models_imports_neither_keras_nor_tensorflow():
    # the walk-forward computes the indicators in a forked child while TensorFlow imports,
    # which it may only do while TensorFlow is not yet imported (forecast.forked)
    code = ("import sys, forecast.models; print('stacked_lstm' in forecast.models.MODELS, "
            "'keras' in sys.modules, 'tensorflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], text=True, capture_output=True,
                         check=True)
    assert out.stdout.split() == ["True", "False", "False"]


def test_keras_is_imported_without_scikit_learn_which_imports_as_usual_afterwards():
    # Keras' scikit-learn wrappers would import scikit-learn and SciPy's statistics (~0.7 s)
    code = ("import sys; from forecast import models; models.import_backend(); "
            "print('sklearn' in sys.modules, 'scipy.stats' in sys.modules); "
            "from sklearn.linear_model import Ridge; "
            "print(Ridge(alpha=0.0).fit([[0.0], [1.0]], [0.0, 2.0]).coef_[0])")
    out = subprocess.run([sys.executable, "-c", code], text=True, capture_output=True,
                         check=True)
    assert out.stdout.split() == ["False", "False", "2.0"]


def test_the_fused_adam_update_is_keras_adam_on_the_same_variables():
    import keras
    import tensorflow as tf
    grads = [np.random.default_rng(k).normal(size=(3, 2)).astype("float32") for k in range(4)]
    after = []
    for fused in (False, True):
        var = keras.Variable(np.ones((3, 2), "float32"))
        opt = keras.optimizers.Adam(0.01)
        opt.build([var])
        apply = models.fused_adam(opt) if fused else opt.apply
        step = tf.function(lambda g: apply([g], [var]), autograph=False)
        for g in grads:
            step(tf.constant(g))
        after.append([var.numpy(), *[v.numpy() for v in opt.variables]])
        ops = {op.type for op in step.get_concrete_function(tf.constant(grads[0])).graph
               .get_operations()}
        assert ("ResourceApplyAdam" in ops) == fused
    for keras_adam, fused_adam in zip(*after, strict=True):  # weights, step, lr, m, v
        np.testing.assert_allclose(fused_adam, keras_adam, rtol=1e-6, atol=1e-7)
    assert after[1][1] == 4  # the step count moved on, as Keras' does


@pytest.mark.parametrize("settings", [{"amsgrad": True}, {"clipnorm": 1.0},
                                      {"weight_decay": 0.01}, {"use_ema": True}])
def test_an_adam_with_more_than_the_plain_update_keeps_keras_own(settings):
    import keras
    assert models.fused_adam(keras.optimizers.Adam(**settings)) is None
    assert models.fused_adam(keras.optimizers.SGD()) is None
    assert models.fused_adam(keras.optimizers.Adam()) is not None
