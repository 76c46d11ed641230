"""The tf.data input: shuffled (user, positive item) batches, epoch after epoch."""

import math

import numpy as np
import tensorflow as tf

from ahns_tf.random_streams import stream_seed


def steps_per_epoch(num_pairs: int, batch_size: int) -> int:
    """Batches per epoch; the last, smaller batch is kept (every pair is used)."""
    return int(math.ceil(num_pairs / batch_size))


def training_pairs(users, items, batch_size: int = 2048, seed: int = 0,
                   first_epoch: int = 0) -> tf.data.Dataset:
    """An endless dataset of ``(users [B], items [B])`` batches, reshuffled each epoch.

    Epoch ``e`` visits every pair once in the order
    ``stateless_shuffle(range(n), seed=stream_seed(seed, "shuffle", e))``
    (`ahns_tf.random_streams`), so the stream is a pure
    function of ``(seed, epoch)``: the same seed gives the same batches, and a
    run resumed at epoch ``first_epoch`` sees exactly the batches an
    uninterrupted run would. Pass ``steps_per_epoch(n, batch_size)`` to
    ``model.fit``.

    Args:
        users: int [n] user ids of the training interactions.
        items: int [n] item ids.
        batch_size: pairs per batch. Defaults to 2048 (the paper's).
        seed: shuffling seed.
        first_epoch: epoch to start from (for resuming).

    Returns:
        A prefetched `tf.data.Dataset` of int64 ``(users, items)`` tuples.

    Raises:
        ValueError: `batch_size` < 1, no pairs, or lengths differ.

    Example:

    ```python
    ds = training_pairs([0, 0, 1], [3, 4, 0], batch_size=2, seed=7)
    users, items = next(iter(ds))  # two pairs of epoch 0
    ```
    """
    if int(batch_size) < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size!r}")
    users = tf.constant(np.asarray(users, np.int64))
    items = tf.constant(np.asarray(items, np.int64))
    if users.shape[0] != items.shape[0] or users.shape[0] == 0:
        raise ValueError(f"need equally many users and items (> 0), got "
                         f"{users.shape[0]} and {items.shape[0]}")
    num_pairs = int(users.shape[0])
    batch_size = int(batch_size)
    num_batches = steps_per_epoch(num_pairs, batch_size)

    def epoch_batches(epoch):
        order = tf.random.experimental.stateless_shuffle(
            tf.range(num_pairs, dtype=tf.int64), seed=stream_seed(seed, "shuffle", epoch))

        def batch(i):  # slice the epoch's permutation: one op per batch, not per pair
            idx = order[i * batch_size:(i + 1) * batch_size]
            return tf.gather(users, idx), tf.gather(items, idx)
        return tf.data.Dataset.range(num_batches).map(batch)

    return (tf.data.Dataset.range(int(first_epoch), 2**62)
            .flat_map(epoch_batches)
            .prefetch(tf.data.AUTOTUNE))
