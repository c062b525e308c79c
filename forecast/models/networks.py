"""The Keras networks and their training loop: :class:`KerasForecaster` (Adam on the mean
squared error, early stopping on the training rows' tail, warm refits) and the registered
networks built on it, ``single_lstm``, ``stacked_lstm``, ``gru`` and ``simple_rnn``.

Keras is imported when a network is first built, not when this module is. The LSTM layers
and the Adam update come from :mod:`forecast.models.fused`; the walk-forward seeds the
networks and picks their device with :mod:`forecast.models.backend`.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from forecast.errors import ForecastError, did_you_mean
from forecast.models.fused import fused_adam, lstm
from forecast.models.registry import register_model


# [training] output_init -> the Keras initializer of the output layer's weights
OUTPUT_INITS = {"random": "glorot_uniform", "zeros": "zeros"}


class KerasForecaster:
    """A Keras network trained with Adam on MSE, early stopping on the validation tail.

    Each fit keeps the weights it started from unless an epoch beats their validation loss
    by ``min_delta``: in the first fold the untrained network (with ``output_init =
    "zeros"``, a forecast of the training mean), so a network that finds nothing abstains.
    Calling ``fit`` again (the next fold, ``refit = "warm"``) continues from the weights
    the previous call left and fits only the samples that are new since then, which is why
    warm walk-forward is fast (training on recent days alone can make them worse: they
    compete as above).
    ``stride`` fits every stride-th window (the newest always
    included): neighbouring windows share all but one day. ``output_init = "zeros"`` starts
    the output layer at zero weights: the untrained network forecasts the scaled target's
    zero (for returns, the training mean; for direction, even odds) instead of its random
    weights' noise.
    """
    warm_start = True

    def __init__(self, layers: Callable, *, epochs=10, batch_size=256, learning_rate=1e-3,
                 patience=2, validation_fraction=0.1, stride=1, min_delta=0.0, loss="mse",
                 output_init="random"):
        if output_init not in OUTPUT_INITS:  # a plugin's typo must not build Keras' default
            raise ForecastError(f'output_init "{output_init}" is not one of: '
                                f'{", ".join(OUTPUT_INITS)}.'
                                + did_you_mean(output_init, OUTPUT_INITS))
        self.layers = layers
        self.output_init = output_init
        self.loss = loss  # "binary_crossentropy": the output is a probability (sigmoid)
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.patience = patience
        self.stride = stride
        self.min_delta = min_delta
        self.model = None
        self.fitted = False  # a later fit continues from these weights (warm refit)
        self._rng = None
        self._traced = (None,)  # (model, train step, predict step): see _steps

    def build(self, lookback, n_features):
        import keras
        model = keras.Sequential([keras.Input((lookback, n_features)),
                                  *self.layers(keras.layers), self._output(keras.layers)])
        model.compile(optimizer=keras.optimizers.Adam(self.learning_rate), loss=self.loss)
        return model

    def _output(self, L):
        # Early stopping still watches the mean squared error: for probabilities that is
        # the Brier score, a proper score like the cross-entropy trained on. Zero weights
        # help where there is little to learn (W1's returns: README, Accuracy) and hurt
        # where there is much (volatility learns too little before early stopping ends it).
        # "random" is Keras' default.
        init = OUTPUT_INITS[self.output_init]
        sigmoid = self.loss == "binary_crossentropy"
        return L.Dense(1, activation="sigmoid" if sigmoid else None, kernel_initializer=init)

    @property
    def params(self):
        return None if self.model is None else int(self.model.count_params())

    def state(self) -> list:
        """What a warm refit continues from: weights, dropout seeds, optimizer moments."""
        if self.model is None:
            return []
        return [v.numpy() for v in [*self.model.variables, *self.model.optimizer.variables]]

    def restore(self, arrays, lookback, n_features):
        """Continue from a :meth:`state` saved by an interrupted run."""
        self.model = self.build(lookback, n_features)
        self.model.optimizer.build(self.model.trainable_variables)
        for v, a in zip([*self.model.variables, *self.model.optimizer.variables], arrays,
                        strict=True):
            v.assign(a)
        self.fitted = True

    def prepare(self, fold):
        """Take from the global random state all this fold's fit needs: the initial weights
        (first fold) and the shuffling seed. Done in order, so that fits may then run side
        by side in threads and still give the same result."""
        if self.model is None:
            self.model = self.build(*fold.X_train.shape[1:])
        self._rng = np.random.default_rng(np.random.randint(2**31 - 1))

    def fit(self, fold):
        if self._rng is None:
            self.prepare(fold)
        warm, self.fitted = self.fitted, True
        start = fold.first_new if warm else 0
        X, y = fold.X_train[start:], fold.y_train[start:]
        keep = slice((len(X) - 1) % self.stride, None, self.stride)
        if not len(y[keep]):
            return {}
        dates = None if fold.dates is None else fold.dates["fit"][start:][keep]
        return self._train(X[keep], y[keep], fold.X_val, fold.y_val, fold=fold, dates=dates,
                           warm=warm)

    def _train(self, X, y, X_val, y_val, *, fold=None, dates=None, warm=False):
        # A lean loop over one traced step (see _steps): Model.fit builds a dataset, an
        # iterator and callbacks on every call and epoch, which costs more than the small
        # folds it trains. Every batch has the same shape so that the step is traced once,
        # not once a fold.
        history = {"loss": [], "val_loss": []}
        # the weights training starts from compete too (the last fold's, or untrained ones:
        # with zero output weights the training mean): it must beat them to be kept
        best, best_weights, wait = self._val_loss(X_val, y_val), self.model.get_weights(), 0
        size = min(self.batch_size, len(y))
        starts = list(range(0, len(y) - size + 1, size))
        if starts[-1] + size < len(y):
            starts.append(len(y) - size)  # the last batch overlaps the one before
        rng, self._rng = self._rng, None
        if dates is not None:  # the leak audit: what the loop below trains and checks on
            fold.received("fit", X, dates)
            fold.received("early_stopping", X_val, fold.dates["validation"])
        for _ in range(self.epochs):
            order = rng.permutation(len(y))
            losses = [float(self._train_step(X[order[i:i + size]], y[order[i:i + size]]))
                      for i in starts]
            history["loss"].append(float(np.mean(losses)))
            val = self._val_loss(X_val, y_val)
            history["val_loss"].append(val)
            if val < best - self.min_delta:  # early stopping on the validation tail
                best, best_weights, wait = val, self.model.get_weights(), 0
            else:
                wait += 1
                if wait >= self.patience:
                    break
        self.model.set_weights(best_weights)
        return history

    def _train_step(self, X, y):
        """One Adam step on a batch; returns its loss."""
        return self._steps()[0](X, y)

    def _steps(self):
        """This network's training and prediction steps, traced once per model.

        Plain ``tf.function``s without AutoGraph: Keras' ``train_on_batch`` traces its
        whole trainer (AutoGraph, metrics, loss scaling): on W1 that traced ~3x as long
        (longer than the first fold's training) and ran the single LSTM's step ~2x slower.
        """
        if self._traced[0] is not self.model:
            import keras
            import tensorflow as tf
            model, loss_fn = self.model, keras.losses.get(self.loss)
            if not model.optimizer.built:  # its variables made inside the trace cost a retrace
                model.optimizer.build(model.trainable_variables)
            apply = fused_adam(model.optimizer) or model.optimizer.apply

            def train(x, y):
                with tf.GradientTape() as tape:
                    loss = tf.reduce_mean(loss_fn(y[:, None], model(x, training=True)))
                    if model.losses:  # a user's layers' regularisation
                        loss += tf.add_n(model.losses)
                grads = tape.gradient(loss, model.trainable_variables)
                apply(grads, model.trainable_variables)
                return loss

            self._traced = (model, tf.function(train, autograph=False),
                            tf.function(lambda x: model(x, training=False), autograph=False))
        return self._traced[1:]

    def _val_loss(self, X_val, y_val):
        return float(np.mean((self._predict(X_val) - y_val) ** 2))

    def _predict(self, X, chunk=128):
        # fixed-size chunks, the last one zero-padded: one traced shape for every fold (128
        # rows: W1's validation tails and test folds, ~250-480 rows, are padded less than
        # to 256, and the kernels' outputs take half the memory)
        n = len(X)
        padded = np.zeros((-(-n // chunk) * chunk, *X.shape[1:]), dtype="float32")
        padded[:n] = X
        predict = self._steps()[1]
        out = [np.asarray(predict(padded[i:i + chunk])).ravel()
               for i in range(0, len(padded), chunk)]
        return np.concatenate(out)[:n]

    def predict(self, fold):
        return fold.to_price(self._predict(fold.X_test))


@register_model("single_lstm", units=32, dropout=0.0, shards=1)
def single_lstm(units, dropout, shards, **training):
    """LSTM(units) -> Dense(1).

    ``shards``: each batch in that many parts, a kernel each, on free cores (:func:`lstm`).
    """
    return KerasForecaster(lambda L: [lstm(units, dropout=dropout, shards=shards)],
                           **training)


@register_model("stacked_lstm", units=[64, 32], dropout=0.2, shards=1)
def stacked_lstm(units, dropout, shards, **training):
    """LSTM(64, return_sequences) -> Dropout -> LSTM(32) -> Dropout -> Dense(1).

    ``shards``: each batch in that many parts, a kernel each, on free cores (:func:`lstm`).
    """
    def layers(L):
        out = []
        for i, u in enumerate(units):
            out += [lstm(u, return_sequences=i < len(units) - 1, shards=shards),
                    L.Dropout(dropout)]
        return out
    return KerasForecaster(layers, **training)


@register_model("gru", units=32)
def gru(units, **training):
    """GRU(units) -> Dense(1)."""
    return KerasForecaster(lambda L: [L.GRU(units)], **training)


@register_model("simple_rnn", units=32)
def simple_rnn(units, **training):
    """SimpleRNN(units) -> Dense(1)."""
    return KerasForecaster(lambda L: [L.SimpleRNN(units)], **training)
