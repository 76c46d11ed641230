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

    Position ``j`` of epoch ``e`` holds pair
    ``index_shuffle(j, seed=stream_seed(seed, "shuffle", e), max_index=n - 1)``
    (`tf.random.experimental.index_shuffle`, `ahns_tf.random_streams`; when
    ``n - 1`` is a power of 2, a one-step cycle walk over ``[0, n]`` instead,
    because TF's op misses its max_index at powers of 4): a
    keyed permutation computed per batch, so no epoch-sized permutation is ever
    materialised (extra memory is O(batch), not O(n)), and the stream is a pure
    function of ``(seed, epoch)``: the same seed gives the same batches, and a
    run resumed at epoch ``first_epoch`` sees exactly the batches an
    uninterrupted run would. The pairs are held once, as an int32 ``[n, 2]``
    tensor that is an input of the dataset, not a constant in its graph. Pass
    ``steps_per_epoch(n, batch_size)`` to ``model.fit``.

    Args:
        users: int [n] user ids of the training interactions (< 2**31).
        items: int [n] item ids (< 2**31).
        batch_size: pairs per batch. Defaults to 2048 (the paper's).
        seed: shuffling seed.
        first_epoch: epoch to start from (for resuming).

    Returns:
        A prefetched `tf.data.Dataset` of int64 ``(users, items)`` tuples.

    Raises:
        ValueError: `batch_size` < 1, no pairs, lengths differ, or an id does not
            fit in int32.

    Example:

    ```python
    ds = training_pairs([0, 0, 1], [3, 4, 0], batch_size=2, seed=7)
    users, items = next(iter(ds))  # two pairs of epoch 0
    ```
    """
    if int(batch_size) < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size!r}")
    users, items = np.asarray(users), np.asarray(items)
    if users.shape != items.shape or users.ndim != 1 or users.size == 0:
        raise ValueError(f"need equally many users and items (> 0), got "
                         f"{users.shape} and {items.shape}")
    num_pairs = int(users.size)
    for name, ids in (("user", users), ("item", items)):
        if ids.min() < 0 or ids.max() > np.iinfo(np.int32).max:
            raise ValueError(f"{name} ids must lie in [0, 2**31), got "
                             f"{ids.min()}..{ids.max()}")
    # int32 halves the memory of two int64 arrays; the cast back happens per batch.
    pairs = np.empty((num_pairs, 2), np.int32)
    pairs[:, 0], pairs[:, 1] = users, items
    with tf.device("/CPU:0"):
        pairs = tf.convert_to_tensor(pairs)                                   # [n, 2]
    batch_size = int(batch_size)
    num_batches = steps_per_epoch(num_pairs, batch_size)
    # TF 2.21's index_shuffle is no permutation when max_index is a power of 4 (>= 4^8: the
    # value max_index never comes out). Then shuffle [0, n] and walk the cycle once: the
    # position that drew n takes the value position n draws, a permutation of [0, n).
    walk = num_pairs > 1 and (num_pairs - 1) & (num_pairs - 2) == 0   # n - 1 a power of 2
    max_index = num_pairs if walk else num_pairs - 1

    def batch(epoch, i):
        # Positions i*B .. min((i+1)*B, n) - 1 of epoch `epoch`'s keyed permutation.
        positions = tf.range(i * batch_size, tf.minimum((i + 1) * batch_size, num_pairs))
        key = stream_seed(seed, "shuffle", epoch)
        idx = tf.random.experimental.index_shuffle(positions, seed=key, max_index=max_index)
        if walk:
            last = tf.random.experimental.index_shuffle(tf.constant(num_pairs, tf.int64),
                                                        seed=key, max_index=max_index)
            idx = tf.where(idx == num_pairs, last, idx)
        rows = tf.cast(tf.gather(pairs, idx), tf.int64)                       # [B, 2]
        return rows[:, 0], rows[:, 1]

    def epoch_batches(epoch):
        return tf.data.Dataset.range(num_batches).map(lambda i: batch(epoch, i))

    return (tf.data.Dataset.range(int(first_epoch), 2**62)
            .flat_map(epoch_batches)
            .prefetch(tf.data.AUTOTUNE))
