"""The training input: each epoch a keyed permutation of the pairs, resumable, bounded."""

import numpy as np
import pytest
import tensorflow as tf

from ahns_tf.pipeline.input import steps_per_epoch, training_pairs
from ahns_tf.random_streams import stream_seed

SEED = 11


def _epochs(ds, n, batch_size, num_epochs):
    steps = steps_per_epoch(n, batch_size)
    batches = list(ds.take(steps * num_epochs))
    return [batches[e * steps:(e + 1) * steps] for e in range(num_epochs)]


def test_each_epoch_visits_every_pair_once_in_batches_of_b_then_the_rest():
    rng = np.random.default_rng(0)
    users, items = rng.integers(0, 30, 23), rng.integers(0, 40, 23)
    for epoch in _epochs(training_pairs(users, items, batch_size=5, seed=SEED), 23, 5, 3):
        assert [int(u.shape[0]) for u, _ in epoch] == [5, 5, 5, 5, 3]
        got = sorted(zip(np.concatenate([u for u, _ in epoch]).tolist(),
                         np.concatenate([i for _, i in epoch]).tolist()))
        assert got == sorted(zip(users.tolist(), items.tolist()))   # pairs stay together
        assert epoch[0][0].dtype == tf.int64


def test_position_j_of_epoch_e_is_the_keyed_permutation_of_j():
    n, b = 37, 8
    users = np.arange(n) * 3                    # pair k is (3k, k + 100): k is recoverable
    epochs = _epochs(training_pairs(users, np.arange(n) + 100, batch_size=b, seed=SEED), n, b, 2)
    for e, epoch in enumerate(epochs):
        order = tf.random.experimental.index_shuffle(
            tf.range(n, dtype=tf.int64), seed=stream_seed(SEED, "shuffle", e), max_index=n - 1)
        got = np.concatenate([u for u, _ in epoch]) // 3
        assert got.tolist() == order.numpy().tolist()
    assert np.concatenate([u for u, _ in epochs[0]]).tolist() != \
        np.concatenate([u for u, _ in epochs[1]]).tolist()    # reshuffled each epoch


def test_resuming_at_epoch_k_gives_the_uninterrupted_runs_batches():
    n, b = 29, 6
    full = _epochs(training_pairs(np.arange(n), np.arange(n), batch_size=b, seed=SEED), n, b, 3)
    resumed = _epochs(training_pairs(np.arange(n), np.arange(n), batch_size=b, seed=SEED,
                                     first_epoch=2), n, b, 1)
    assert [u.numpy().tolist() for u, _ in resumed[0]] == [u.numpy().tolist() for u, _ in full[2]]
    other = _epochs(training_pairs(np.arange(n), np.arange(n), batch_size=b, seed=SEED + 1),
                    n, b, 1)
    assert [u.numpy().tolist() for u, _ in other[0]] != [u.numpy().tolist() for u, _ in full[0]]


@pytest.mark.parametrize("users,items,batch_size,match", [
    ([0, 1], [0, 1], 0, "batch_size must be >= 1, got 0"),
    ([], [], 4, r"need equally many users and items \(> 0\)"),
    ([0, 1], [0], 4, r"need equally many users and items \(> 0\), got \(2,\) and \(1,\)"),
    ([0, 2**31], [0, 1], 4, r"user ids must lie in \[0, 2\*\*31\), got 0..2147483648"),
    ([0, 1], [-1, 1], 4, r"item ids must lie in \[0, 2\*\*31\), got -1..1"),
])
def test_bad_input_is_refused_with_the_value(users, items, batch_size, match):
    with pytest.raises(ValueError, match=match):
        training_pairs(users, items, batch_size=batch_size)


@pytest.mark.parametrize("n", [65_537, 5, 2])
def test_every_pair_once_when_n_minus_1_is_a_power_of_two(n):
    # TF 2.21's index_shuffle is not a permutation when max_index is 4^j (j >= 8): with
    # max_index = 65,536 the value 65,536 never comes out and another comes twice.
    items = np.arange(n)
    for epoch in _epochs(training_pairs(items % 1000, items, batch_size=2048, seed=SEED),
                         n, 2048, 2):
        assert sorted(np.concatenate([i for _, i in epoch]).tolist()) == items.tolist()
