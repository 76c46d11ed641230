"""Independent stateless random streams, one per purpose, from a run's single seed.

Every random draw of a run is a pure function of ``(seed, purpose, counter)``:
the shuffle of epoch ``e`` uses ``stream_seed(seed, "shuffle", e)``, the
candidates of step ``t`` use ``stream_seed(seed, "candidates", t)``, and so on.
Keying two purposes on the raw ``[seed, counter]`` would make step ``k``'s
candidates and epoch ``k``'s shuffle share their random bits; folding a
distinct salt per purpose into the seed first
(`tf.random.experimental.stateless_fold_in`, a keyed hash) gives each purpose
its own stream while runs stay reproducible and resumable from the counter.
"""

import tensorflow as tf

#: One salt per purpose; a new purpose takes a new number (never reuse one).
STREAMS = {
    "shuffle": 1,       # order of the training pairs in an epoch (counter: epoch)
    "candidates": 2,    # uniform candidate negatives (counter: training step)
    "dns_mn": 3,        # DNS(M, N)'s pick among the top N (counter: training step)
    "mixgcf": 4,        # MixGCF's mixing coefficient (counter: training step)
}


def stream_seed(seed: int, stream: str, counter) -> tf.Tensor:
    """The [2] int64 seed of a stateless op for `stream` at `counter`.

    Args:
        seed: the run's integer seed.
        stream: a key of `STREAMS`.
        counter: int scalar (Python or tensor): the epoch or the step.

    Returns:
        int64 [2], to pass as ``seed=`` to ``tf.random.stateless_*`` ops.

    Raises:
        KeyError: `stream` is not a key of `STREAMS`.

    Example:

    >>> key = stream_seed(2024, "candidates", 7)
    >>> tf.random.stateless_uniform([2], seed=key).shape
    TensorShape([2])
    """
    if stream not in STREAMS:
        raise KeyError(f"unknown random stream {stream!r}; known: {', '.join(STREAMS)}")
    base = tf.constant([int(seed), STREAMS[stream]], tf.int64)             # [2]
    return tf.random.experimental.stateless_fold_in(base, tf.cast(counter, tf.int64))
