"""Stops training on a NaN or infinite loss or weights, naming the epoch and step."""

import math

import numpy as np

from ahns_tf._keras_setup import use_legacy_keras

use_legacy_keras()
# pylint: disable=wrong-import-position
import tensorflow as tf  # noqa: E402

from ahns_tf.runs.errors import NonFiniteLossError  # noqa: E402


def all_finite(weights) -> bool:
    """Whether every value of every array or variable in `weights` is finite.

    Example:

    >>> all_finite([np.ones(3), np.array([1.0, np.inf])])
    False
    """
    return all(bool(np.isfinite(np.asarray(w)).all()) for w in weights)


class NumericGuard(tf.keras.callbacks.Callback):
    """Stops `fit` at the first non-finite loss and records where it happened.

    Unlike `tf.keras.callbacks.TerminateOnNaN`, it remembers the epoch and step
    so the caller can raise `NonFiniteLossError` with them, and it marks the
    epoch as failed so no checkpoint of the bad weights is written. At the end
    of each epoch it also checks the weights themselves: a step can leave them
    NaN/inf while the loss it logged (computed before the update) is finite,
    e.g. with a huge learning rate. Put it after the evaluation callback and
    before `ResumableRun` in the callback list.

    Example:

    ```python
    guard = NumericGuard()
    model.fit(ds, callbacks=[guard, ...])
    if guard.failure:
        raise NonFiniteLossError(guard.failure)
    ```

    Args:
        per_batch: check the loss after every batch. Pass False under
            `tf.distribute.ParameterServerStrategy`, which refuses batch-level
            callbacks: the loss of each epoch's last step is checked instead.
    """

    def __init__(self, per_batch: bool = True):
        super().__init__()
        self.failure = None
        self.per_batch = bool(per_batch)
        self._epoch = 0

    def _implements_train_batch_hooks(self):
        # Keras asks this (a private hook) to decide whether batch hooks run at all.
        return self.per_batch

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.failure = (f"non-finite loss ({float(loss)}) at epoch {self._epoch + 1}, "
                            f"step {batch + 1}")
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        loss = (logs or {}).get("loss")
        if self.failure is None and loss is not None and not math.isfinite(float(loss)):
            self.failure = f"non-finite loss ({float(loss)}) in epoch {epoch + 1}"
            self.model.stop_training = True
        if self.failure is None and not all_finite(self.model.get_weights()):
            self.failure = f"non-finite weights after epoch {epoch + 1}"
            self.model.stop_training = True
