"""Stops training on a NaN or infinite loss, naming the epoch and step."""

import math

import tensorflow as tf


class NonFiniteLossError(FloatingPointError):
    """Training produced a NaN or infinite loss; the message says where."""


class NumericGuard(tf.keras.callbacks.Callback):
    """Stops `fit` at the first non-finite loss and records where it happened.

    Unlike `tf.keras.callbacks.TerminateOnNaN`, it remembers the epoch and step
    so the caller can raise `NonFiniteLossError` with them, and it marks the
    epoch as failed so no checkpoint of the bad weights is written.

    Example:

    ```python
    guard = NumericGuard()
    model.fit(ds, callbacks=[guard, ...])
    if guard.failure:
        raise NonFiniteLossError(guard.failure)
    ```
    """

    def __init__(self):
        super().__init__()
        self.failure = None
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.failure = (f"non-finite loss ({float(loss)}) at epoch {self._epoch + 1}, "
                            f"step {batch + 1}")
            self.model.stop_training = True
