"""The fused TensorFlow kernels the networks train on: :func:`lstm` (an LSTM layer on
TensorFlow's fused ``BlockLSTMV2`` kernel on a CPU, :func:`fused_lstm`) and
:func:`fused_adam` (Keras' Adam update as one ``ResourceApplyAdam`` op a variable).

Both compute what Keras' own layer and optimizer compute, on the same variables, only
faster to trace and to run; Keras' own are used wherever these cannot be, and on a Keras
version they were not checked on (:data:`CHECKED_KERAS`, :func:`keras_checked`).
"""
from __future__ import annotations

import functools
import os
import warnings

import numpy as np

from forecast.errors import ForecastError, one_line
from forecast.models.backend import device

# The Keras versions (major.minor) the fused kernels were checked on. fused_adam reads
# Keras' private optimizer slots (_get_variable_index, _momentums, _velocities) and
# FusedLSTM draws its initial weights in the order Keras' LSTM does: a Keras release may
# change either, and nothing else would notice. Add a version once tests/test_models.py and
# tests/test_fused_lstm.py pass on it.
CHECKED_KERAS = frozenset({"3.15"})


def keras_checked() -> bool:
    """Whether the installed Keras is one the fused kernels were checked on
    (:data:`CHECKED_KERAS`). On any other, :func:`lstm` gives Keras' own LSTM layer and
    :func:`fused_adam` Keras' own update (the same networks, slower), and the first call
    warns (once a process)."""
    import keras
    if ".".join(keras.__version__.split(".")[:2]) in CHECKED_KERAS:
        return True
    _fall_back(f"forecast: Keras {keras.__version__} is not a version its fused LSTM and "
               f"Adam kernels were checked on ({', '.join(sorted(CHECKED_KERAS))}): the "
               "networks train with Keras' own LSTM layer and Adam update instead (the "
               "same networks, slower)")
    return False


@functools.cache  # once a process for each reason
def _fall_back(message: str) -> None:
    warnings.warn(message, RuntimeWarning)


def fused_adam(optimizer):
    """``optimizer.apply`` as TensorFlow's fused Adam kernel (one op a variable), on the
    optimizer's own variables; None unless ``optimizer`` is plain ``keras.optimizers.Adam``
    (variables that are not float32, and missing or sparse gradients, get Keras' update).

    The same update as Keras' (same formula and variables, so states and checkpoints are
    interchangeable), in one op instead of ~20 a variable: tracing a network's training step
    takes ~0.2 s less (W1: stacked LSTM 0.65 -> 0.41 s, on the walk-forward's critical path).
    """
    import keras
    import tensorflow as tf
    o = optimizer
    if type(o) is not keras.optimizers.Adam or o.amsgrad or o.use_ema or any(
            getattr(o, a, None) for a in ("weight_decay", "clipnorm", "clipvalue",
                                          "global_clipnorm", "loss_scale_factor",
                                          "gradient_accumulation_steps")) \
            or not keras_checked():
        return None

    def apply(grads, variables):
        if any(v.dtype != "float32" or not isinstance(g, tf.Tensor)  # None, sparse
               for g, v in zip(grads, variables, strict=True)):
            return o.apply(grads, variables)
        slots = _adam_slots(o, variables)
        if slots is None:
            return o.apply(grads, variables)
        step = tf.cast(o.iterations.value + 1, tf.float32)
        b1, b2 = tf.constant(o.beta_1, tf.float32), tf.constant(o.beta_2, tf.float32)
        lr = tf.cast(o.learning_rate, tf.float32)  # a variable, or a schedule's value
        for g, v, (m, s) in zip(grads, variables, slots, strict=True):
            tf.raw_ops.ResourceApplyAdam(
                var=v.value.handle, m=m, v=s, beta1_power=tf.pow(b1, step),
                beta2_power=tf.pow(b2, step), lr=lr, beta1=b1, beta2=b2,
                epsilon=tf.constant(o.epsilon, tf.float32), grad=g)
        o.iterations.assign_add(1)
    return apply


def _adam_slots(optimizer, variables):
    """The handles of Adam's first and second moments of each of ``variables``, from Keras'
    private slots (``Adam.update_step``'s m and v), or None (with a warning, once) where
    this Keras keeps them elsewhere: all of them are found before any update is made."""
    try:
        slots = []
        for v in variables:
            i = optimizer._get_variable_index(v)
            slots.append((optimizer._momentums[i].value.handle,
                          optimizer._velocities[i].value.handle))
        return slots
    except (AttributeError, KeyError, IndexError, TypeError) as e:
        _fall_back("forecast: Keras' Adam keeps its moments where the fused Adam kernel "
                   f"does not find them ({one_line(e)}): the networks train with Keras' own "
                   "Adam update instead (the same networks, slower)")
        return None


def lstm(units: int, *, return_sequences=False, dropout=0.0, shards=1):
    """``keras.layers.LSTM(units, ...)``, on the fastest kernel the device has.

    On a GPU that is Keras' own layer (cuDNN). On a CPU it is :func:`fused_lstm`, the same
    LSTM (same weights, initialisers, outputs and gradients) on TensorFlow's fused kernel:
    it traces in half the time of Keras' step-by-step loop, and a training step is ~1.6x
    faster for LSTM(32) on 4 features (~1.1x for the wider layers of the stacked network).

    ``FORECAST_FUSED_LSTM=0`` in the environment asks for Keras' layer on a CPU too, and a
    TensorFlow build without ``BlockLSTMV2`` gets it anyway, as does a Keras version the
    fused layer was not checked on (:func:`keras_checked`). The two layers hold the same
    variables in the same order, so a checkpoint of one resumes with the other.

    ``shards`` > 1 (the fused layer only) splits each batch into that many parts, each its
    own kernel: TensorFlow runs them on separate cores when cores are free. The outputs are
    the same; the weights' gradients are summed over the parts (another order of summation).
    """
    if isinstance(shards, bool) or not isinstance(shards, int) or shards < 1:
        raise ForecastError(f"shards must be a whole number >= 1, got {shards!r}")
    if device() == "cpu" and use_fused():
        return fused_lstm()(units, return_sequences=return_sequences, dropout=dropout,
                            shards=shards)
    import keras
    return keras.layers.LSTM(units, return_sequences=return_sequences, dropout=dropout)


def use_fused() -> bool:
    """Whether :func:`lstm` gives the fused layer on a CPU (see there)."""
    if os.environ.get("FORECAST_FUSED_LSTM", "1").strip().lower() in ("0", "false", "no"):
        return False
    import tensorflow as tf
    return hasattr(tf.raw_ops, "BlockLSTMV2") and hasattr(tf.raw_ops, "BlockLSTMGradV2") \
        and keras_checked()


@functools.cache  # defined on first use: importing this module does not import Keras
def fused_lstm():
    """The class of the CPU layer :func:`lstm` returns."""
    import keras
    import tensorflow as tf

    # TensorFlow registers BlockLSTMV2's gradient with the kernel of the first version,
    # which orders the gates differently: the gradients come out wrong. Ask for V2's.
    @tf.custom_gradient
    def block_lstm(x, w, b):  # x: (steps, batch, features); returns h, (steps, batch, units)
        units = b.shape[0] // 4
        zeros = tf.zeros((tf.shape(x)[1], units), x.dtype)
        no_peephole = tf.zeros((units,), x.dtype)
        common = dict(seq_len_max=tf.cast(tf.shape(x)[0], tf.int64), x=x, cs_prev=zeros,
                      h_prev=zeros, w=w, wci=no_peephole, wcf=no_peephole, wco=no_peephole,
                      b=b)
        i, cs, f, o, ci, co, h = tf.raw_ops.BlockLSTMV2(**common, cell_clip=0.0,
                                                        use_peephole=False)

        def grad(dh):
            g = tf.raw_ops.BlockLSTMGradV2(**common, i=i, cs=cs, f=f, o=o, ci=ci, co=co, h=h,
                                           cs_grad=tf.zeros_like(cs), h_grad=dh,
                                           use_peephole=False)
            return g[0], g[3], g[7]  # x, w, b
        return h, grad

    # saved models (.keras) name it forecast>FusedLSTM; call fused_lstm() before loading one
    @keras.saving.register_keras_serializable(package="forecast", name="FusedLSTM")
    class FusedLSTM(keras.layers.Layer):
        """keras.layers.LSTM (tanh, sigmoid gates, unit forget bias, no state carried
        between batches) computed by TensorFlow's ``BlockLSTMV2`` kernel."""

        def __init__(self, units, *, return_sequences=False, dropout=0.0, shards=1, **kwargs):
            super().__init__(**kwargs)
            self.units, self.return_sequences, self.dropout = units, return_sequences, dropout
            self.shards = shards
            # drawn in the same order as Keras' LSTM draws them
            self.kernel_initializer = keras.initializers.GlorotUniform()
            self.recurrent_initializer = keras.initializers.Orthogonal()
            self.seed_generator = keras.random.SeedGenerator()

        def build(self, input_shape):
            u = self.units
            self.kernel = self.add_weight(shape=(input_shape[-1], 4 * u), name="kernel",
                                          initializer=self.kernel_initializer)
            self.recurrent_kernel = self.add_weight(shape=(u, 4 * u), name="recurrent_kernel",
                                                    initializer=self.recurrent_initializer)
            # gates in Keras' order i, f, c, o (BlockLSTMV2's too); forget gate bias 1
            self.bias = self.add_weight(shape=(4 * u,), name="bias", initializer=lambda
                                        shape, dtype=None: np.repeat([0.0, 1.0, 0.0, 0.0], u))

        def call(self, x, training=False):
            batch = tf.shape(x)[0]
            if training and self.dropout:  # one mask for all time steps, as Keras' LSTM
                x = keras.random.dropout(x, self.dropout, noise_shape=(batch, 1, x.shape[-1]),
                                         seed=self.seed_generator)
            w = tf.concat([self.kernel, self.recurrent_kernel], 0)
            b = tf.convert_to_tensor(self.bias)
            x = tf.transpose(x, (1, 0, 2))
            n = x.shape[1]  # every batch has one shape: the split is fixed when traced
            if self.shards > 1 and n is not None and n >= self.shards:
                parts = [n // self.shards + (i < n % self.shards) for i in range(self.shards)]
                h = tf.concat([block_lstm(p, w, b) for p in tf.split(x, parts, axis=1)], 1)
            else:
                h = block_lstm(x, w, b)
            return tf.transpose(h, (1, 0, 2)) if self.return_sequences else h[-1]

        def compute_output_shape(self, input_shape):
            return (*input_shape[:-1 if self.return_sequences else -2], self.units)

        def get_config(self):
            return {**super().get_config(), "units": self.units,
                    "return_sequences": self.return_sequences, "dropout": self.dropout,
                    "shards": self.shards}

    return FusedLSTM
