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


# --- the Keras versions the fused kernels were checked on ---------------------------------

def fallback_warnings(record):
    return [w for w in record if issubclass(w.category, RuntimeWarning)
            and "Keras' own" in str(w.message)]


def test_the_installed_keras_is_one_the_fused_kernels_were_checked_on():
    # a new Keras gets Keras' own layer and update (safe, slower): run these tests with its
    # major.minor added to CHECKED_KERAS, and keep it there if they pass
    import keras
    assert models.fused.keras_checked(), (
        f"Keras {keras.__version__} is not in forecast.models.fused.CHECKED_KERAS")


def test_on_a_keras_not_checked_the_networks_train_with_keras_own_layer_and_update(
        fold, monkeypatch):
    import keras
    fused = trained(fold, monkeypatch, True)
    monkeypatch.setattr(keras, "__version__", "3.99.0")
    models.fused._fall_back.cache_clear()
    with pytest.warns(RuntimeWarning) as record:
        models.reset(1, clear=True)
        m = models.create("stacked_lstm", {"units": [4, 3], "epochs": 2, "batch_size": 16})
        m.fit(fold)
        assert type(models.lstm(4)) is keras.layers.LSTM
        assert models.fused_adam(m.model.optimizer) is None
    told = fallback_warnings(record)
    assert len(told) == 1 and "Keras 3.99.0 is not a version" in str(told[0].message)
    assert {type(layer).__name__ for layer in m.model.layers} >= {"LSTM"}
    assert "FusedLSTM" not in {type(layer).__name__ for layer in m.model.layers}
    ops = {op.type for op in m._steps()[0].get_concrete_function(
        fold.X_train[:16], fold.y_train[:16]).graph.get_operations()}
    assert "ResourceApplyAdam" not in ops and "BlockLSTMV2" not in ops
    # the same networks: the same start, the same training, another order of sums
    np.testing.assert_allclose(m.predict(fold), fused.predict(fold), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("missing", ["_get_variable_index", "_momentums", "_velocities"])
def test_the_fused_adam_gives_way_to_keras_update_where_keras_private_slots_are_gone(
        missing, monkeypatch):
    import keras
    import tensorflow as tf
    var = keras.Variable(np.ones((3, 2), "float32"))
    opt = keras.optimizers.Adam(0.01)
    opt.build([var])
    apply = models.fused_adam(opt)
    given = []
    monkeypatch.setattr(opt, "apply", lambda grads, variables: given.append(variables))
    owner = opt if missing in vars(opt) else next(
        c for c in type(opt).__mro__ if missing in vars(c))
    monkeypatch.delattr(owner, missing)  # as a Keras release that renamed it
    models.fused._fall_back.cache_clear()
    with pytest.warns(RuntimeWarning) as record:
        apply([tf.constant(np.ones((3, 2), "float32"))], [var])
    assert len(fallback_warnings(record)) == 1
    assert given == [[var]]  # Keras' own update got the step
    np.testing.assert_array_equal(var.numpy(), 1.0)  # and the fused kernel changed nothing
