"""The fused CPU LSTM and Keras' LSTM are interchangeable: saved models, states both ways,
a setting that turns the fused one off, and the fallback when TensorFlow lacks its kernel."""
import numpy as np
import pytest

from forecast import models


@pytest.fixture
def fold():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(96, 10, 3)).astype("float32")
    y = rng.normal(size=96).astype("float32")
    return models.FoldData(X[:64], y[:64], X[64:80], y[64:80], X[80:], np.ones(16),
                           np.ones(74), 1, lambda scaled: np.asarray(scaled, "float64"))


def trained(fold, monkeypatch, fused: bool):
    monkeypatch.setenv("FORECAST_FUSED_LSTM", "1" if fused else "0")
    models.reset(1, clear=True)
    m = models.create("stacked_lstm", {"units": [4, 3], "epochs": 2, "batch_size": 16})
    m.fit(fold)
    kinds = {type(layer).__name__ for layer in m.model.layers}
    assert ("FusedLSTM" in kinds) == fused and ("LSTM" in kinds) == (not fused)
    return m


@pytest.mark.parametrize("fused_first", [True, False], ids=["fused->keras", "keras->fused"])
def test_a_state_moves_between_the_fused_layer_and_keras_lstm(fold, monkeypatch, fused_first):
    first = trained(fold, monkeypatch, fused_first)
    before = first.predict(fold)
    monkeypatch.setenv("FORECAST_FUSED_LSTM", "0" if fused_first else "1")
    other = models.create("stacked_lstm", {"units": [4, 3], "epochs": 2, "batch_size": 16})
    other.restore(first.state(), 10, 3)
    kinds = {type(layer).__name__ for layer in other.model.layers}
    assert ("FusedLSTM" in kinds) != fused_first
    np.testing.assert_allclose(other.predict(fold), before, rtol=1e-5, atol=1e-6)
    # and it trains on from there as the first would have: the optimizer moments came too
    first.fit(fold), other.fit(fold)
    np.testing.assert_allclose(other.predict(fold), first.predict(fold), rtol=1e-3, atol=1e-4)


def test_a_model_with_the_fused_layer_saves_and_loads_as_keras_file(fold, monkeypatch,
                                                                    tmp_path):
    import keras
    m = trained(fold, monkeypatch, True)
    path = tmp_path / "model.keras"
    m.model.save(path)
    back = keras.saving.load_model(path)  # safe_mode: the layer is registered, no Lambda
    assert type(back.layers[0]).__name__ == "FusedLSTM"
    assert back.layers[0].get_config()["units"] == 4
    np.testing.assert_allclose(back.predict(fold.X_test, verbose=0).ravel(),
                               m.predict(fold), rtol=1e-6)


def test_keras_lstm_is_used_when_turned_off_or_when_tensorflow_lacks_the_kernel(monkeypatch):
    import keras
    import tensorflow as tf
    assert isinstance(models.lstm(4), models.fused_lstm())
    monkeypatch.setenv("FORECAST_FUSED_LSTM", "0")
    assert type(models.lstm(4)) is keras.layers.LSTM
    monkeypatch.delenv("FORECAST_FUSED_LSTM")
    monkeypatch.delattr(tf.raw_ops, "BlockLSTMV2")
    assert type(models.lstm(4)) is keras.layers.LSTM
