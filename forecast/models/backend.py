"""The TensorFlow set-up the networks train under: seeding, importing Keras and TensorFlow
ahead of the timed work, and the device they train on.

Keras and TensorFlow are imported here only when one of these is called (by the walk-forward
once it has networks to train), never when :mod:`forecast.models` is imported.
"""
from __future__ import annotations

import functools
import os
import random
import sys

import numpy as np


def reset(seed: int, *, clear: bool) -> None:
    """Seed the random generators a fold's networks draw from; ``clear`` also drops all
    built models.

    Without ``clear`` TensorFlow's own seed is left alone: setting it empties TensorFlow's
    kernel cache, and every network already traced is then optimised again on its next
    call (about 0.3 s a network a fold). Keras draws initial weights and dropout seeds from
    Python's ``random``, and the shuffling seed comes from NumPy's: those two suffice.
    """
    import keras
    if clear:
        keras.backend.clear_session()
        keras.utils.set_random_seed(seed)
    else:
        random.seed(seed)
        np.random.seed(seed)
    if device() != "cpu":  # GPU kernels are not reproducible unless asked to be
        import tensorflow as tf
        tf.config.experimental.enable_op_determinism()


def import_backend(side_by_side: int = 1) -> None:
    """Import Keras and TensorFlow now (a few seconds), so that what is timed next is the
    work alone, as the tutorial reference times its walk-forward after its imports.

    ``side_by_side`` networks are about to train at once, in threads: each op then gets
    its share of the cores. By default TensorFlow gives every op all of them, and the small
    kernels of two networks contend for the same threads (W1: 4.0 s instead of 3.5). An
    explicit ``TF_NUM_INTRAOP_THREADS``, or a TensorFlow already running, is left alone.

    Keras is imported with scikit-learn hidden, unless something imported it already:
    Keras' scikit-learn wrappers import it, and with it SciPy's statistics, ~0.7 s of the
    ~3 s import for wrappers forecast never uses. forecast's own scikit-learn models import
    it later as usual; ``keras.wrappers.SKLearn*`` then refuse to work in this process.
    """
    hidden = "sklearn" not in sys.modules
    if hidden:
        sys.modules["sklearn"] = None  # `import sklearn` raises ImportError meanwhile
    try:
        import keras  # noqa: F401
    finally:
        if hidden:
            del sys.modules["sklearn"]
    import tensorflow as tf
    if side_by_side > 1 and "TF_NUM_INTRAOP_THREADS" not in os.environ:
        try:
            tf.config.threading.set_intra_op_parallelism_threads(
                max(1, (os.cpu_count() or 1) // side_by_side))
        except RuntimeError:  # set once per process, before the first op
            pass


@functools.cache  # asked before every fold's seeding; the answer never changes in a process
def device() -> str:
    """Where the networks train: "cpu", or the GPUs TensorFlow sees (cuDNN LSTM there)."""
    import tensorflow as tf
    gpus = tf.config.list_physical_devices("GPU")
    return "cpu" if not gpus else f"gpu x{len(gpus)}: " + ", ".join(
        tf.config.experimental.get_device_details(g).get("device_name", g.name) for g in gpus)
