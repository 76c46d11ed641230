"""Uniform in-graph sampling of uninteracted items."""

import math

import numpy as np
import pytest
import tensorflow as tf

from ahns_tf.samplers import UninteractedCandidateSampler


def _chi_square_critical(dof, z=3.719):
    """Wilson-Hilferty approximation of the chi-square quantile (z=3.719: p=1e-4)."""
    return dof * (1 - 2 / (9 * dof) + z * math.sqrt(2 / (9 * dof))) ** 3


def _sampler(num_items, positives, num_candidates=64, seed=0):
    users = [u for u, items in positives.items() for _ in items]
    items = [i for items in positives.values() for i in items]
    sampler = UninteractedCandidateSampler(num_items, num_candidates, seed=seed)
    sampler.adapt(users, items, num_users=max(positives) + 1)
    return sampler


def _draws(sampler, user, steps):
    users = tf.fill([50], tf.constant(user, tf.int64))
    return np.concatenate([sampler(users, tf.constant(s, tf.int64)).numpy().ravel()
                           for s in range(steps)])


@pytest.mark.parametrize("user, positives", [
    (0, [0, 1, 2, 5, 9, 10, 11, 12, 13, 19]),       # scattered, includes both ends
    (1, [i for i in range(20) if i not in (3, 17)]),  # interacted with 18 of 20 items
    (2, []),                                          # no interactions
])
def test_never_interacted_and_uniform_over_the_rest(user, positives):
    num_items = 20
    table = {0: [], 1: [], 2: []}
    table[user] = positives
    table[(user + 1) % 3] = [4, 6, 8]  # other users' items must not matter
    draws = _draws(_sampler(num_items, table), user, steps=40)   # 128,000 draws
    free = sorted(set(range(num_items)) - set(positives))
    assert set(draws.tolist()) <= set(free), "sampled an interacted or out-of-range item"
    counts = np.array([(draws == i).sum() for i in free])
    expected = draws.size / len(free)
    chi2 = ((counts - expected) ** 2 / expected).sum()
    if len(free) > 1:
        assert chi2 < _chi_square_critical(len(free) - 1), (chi2, counts)
    else:
        assert (counts == draws.size).all()


def test_stateless_same_seed_and_step_same_draws():
    a = _sampler(30, {0: [1, 2], 1: [3]}, seed=7)
    b = _sampler(30, {0: [1, 2], 1: [3]}, seed=7)
    users = tf.constant([0, 1, 0], tf.int64)
    step = tf.constant(5, tf.int64)
    np.testing.assert_array_equal(a(users, step), b(users, step))
    assert not np.array_equal(a(users, step), a(users, tf.constant(6, tf.int64)))
    assert a(users, step).shape == (3, 64) and a(users, step).dtype == tf.int64


def test_invariants_over_seeds_on_a_random_catalogue():
    rng = np.random.default_rng(0)
    positives = {u: rng.choice(500, rng.integers(0, 450), replace=False).tolist() for u in range(30)}
    for seed in range(3):
        sampler = _sampler(500, positives, num_candidates=16, seed=seed)
        users = tf.constant(np.arange(30), tf.int64)
        out = sampler(users, tf.constant(seed, tf.int64)).numpy()
        assert out.min() >= 0 and out.max() < 500
        for u in range(30):
            assert not set(out[u]) & set(positives[u])


def test_config_round_trip():
    sampler = UninteractedCandidateSampler(10, 4, seed=3, name="cands")
    clone = UninteractedCandidateSampler.from_config(sampler.get_config())
    assert (clone.num_items, clone.num_candidates, clone.seed, clone.name) == (10, 4, 3, "cands")
    assert clone.prefix_width is None


@pytest.mark.parametrize("kwargs, message", [
    ({"num_items": 0}, "num_items must be >= 1"),
    ({"num_items": 5, "num_candidates": 0}, r"num_candidates \(M\) must be >= 1, got 0"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        UninteractedCandidateSampler(**kwargs)


def test_user_with_every_item_is_rejected_and_unadapted_use_is_an_error():
    sampler = UninteractedCandidateSampler(3, 2)
    with pytest.raises(RuntimeError, match="adapt"):
        sampler(tf.constant([0], tf.int64), tf.constant(0, tf.int64))
    with pytest.raises(ValueError, match=r"user\(s\) \[1\] interacted with all 3 items"):
        sampler.adapt([0, 1, 1, 1], [0, 0, 1, 2], num_users=2)
    with pytest.raises(ValueError, match="item ids must be in"):
        sampler.adapt([0], [3], num_users=1)


@pytest.mark.parametrize("width", [1, 3, 8, None])
def test_prefix_table_draws_the_same_items_as_the_global_search(width):
    # Heavy users (up to 450 of 500 items) overflow any small prefix row, so
    # both the in-row count and the global fallback are exercised.
    rng = np.random.default_rng(1)
    positives = {u: rng.choice(500, rng.integers(0, 450), replace=False).tolist() for u in range(40)}
    users = [u for u, items in positives.items() for _ in items]
    items = [i for items in positives.values() for i in items]
    batch = tf.constant(rng.permutation(40), tf.int64)
    pair = []
    for prefix_width in (0, width):
        sampler = UninteractedCandidateSampler(500, 32, seed=5, prefix_width=prefix_width)
        sampler.adapt(users, items, num_users=40)
        pair.append(np.concatenate([sampler(batch, tf.constant(s, tf.int64)).numpy()
                                    for s in range(4)]))
    np.testing.assert_array_equal(pair[0], pair[1])
    assert not set(pair[1][0]) & set(positives[int(batch[0])])


def test_auto_width_follows_the_degree_distribution():
    light = UninteractedCandidateSampler(1000, 4)
    light.adapt(np.repeat(np.arange(100), 3), np.tile([5, 50, 500], 100), num_users=100)
    assert light.width == 8                      # every user fits in the smallest row
    dense = UninteractedCandidateSampler(1000, 4)
    dense.adapt(np.repeat(np.arange(10), 900), np.tile(np.arange(900), 10), num_users=10)
    assert dense.width == 0                      # 900-item histories: search all keys
    with pytest.raises(ValueError, match="prefix_width must be >= 0"):
        UninteractedCandidateSampler(10, prefix_width=-1)


@pytest.mark.parametrize("width", [0, 1, 3, 8])
def test_counting_maps_each_rank_to_that_uninteracted_item_for_heavy_and_light_users(width):
    # Degrees from 0 to 450 of 500 items (heavy users overflow the prefix row
    # into the global search); compared with numpy's list of each user's free items, not the layer.
    rng = np.random.default_rng(3)
    positives = {u: np.sort(rng.choice(500, rng.integers(0, 450), replace=False))
                 for u in range(40)}
    sampler = UninteractedCandidateSampler(500, 1, seed=0, prefix_width=width)
    sampler.adapt(np.concatenate([np.full(len(p), u) for u, p in positives.items()]),
                  np.concatenate(list(positives.values())), num_users=40)
    users = rng.integers(0, 40, 3000)
    free = {u: np.setdiff1d(np.arange(500), p) for u, p in positives.items()}
    ranks = np.array([rng.integers(0, len(free[u])) for u in users])
    expected = np.array([free[u][r] for u, r in zip(users, ranks)])
    u, r = tf.constant(users, tf.int64), tf.constant(ranks, tf.int64)
    if width:
        prefix = tf.gather(sampler._prefix, u)
        below = tf.searchsorted(prefix, tf.cast(r[:, None], prefix.dtype), side="right",
                                out_type=tf.int64)[:, 0]
        past = below >= width
        below = tf.where(past, sampler._count_below(u, r), below)
        assert int(tf.reduce_sum(tf.cast(past, tf.int32))) > 100    # the fallback ran
    else:
        below = sampler._count_below(u, r)
    np.testing.assert_array_equal((r + below).numpy(), expected)
