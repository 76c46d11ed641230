"""Each purpose draws from its own stream: no two purposes share random bits."""

import itertools

import numpy as np
import pytest
import tensorflow as tf

from ahns_tf.pipeline.input import training_pairs
from ahns_tf.random_streams import STREAMS, stream_seed
from ahns_tf.samplers import UninteractedCandidateSampler
from ahns_tf.training import train
from conftest import toy_train_config

SEED = 2024


def test_step_k_candidates_do_not_reuse_the_raw_seed_counter_key():
    # User 0 interacted with nothing, so a candidate is its raw draw modulo num_items:
    # had the sampler keyed on [seed, step] (as the shuffle of epoch k once did with
    # [seed, epoch]), these would be equal.
    sampler = UninteractedCandidateSampler(1000, 8, seed=SEED, prefix_width=0)
    sampler.adapt([1], [0], num_users=2)
    for k in (0, 1, 5):
        got = sampler(tf.constant([0], tf.int64), tf.constant(k, tf.int64)).numpy()
        raw = tf.random.stateless_uniform([1, 8], seed=[SEED, k], minval=None, maxval=None,
                                          dtype=tf.int64)
        assert got.tolist() != tf.math.floormod(raw, 1000).numpy().tolist()


def test_epoch_k_shuffle_does_not_reuse_the_raw_seed_counter_key():
    n = 50
    batches = training_pairs(np.arange(n), np.arange(n), batch_size=n, seed=SEED)
    for epoch, (users, _) in zip(range(3), batches):
        raw = tf.random.experimental.index_shuffle(tf.range(n, dtype=tf.int64),
                                                   seed=[SEED, epoch], max_index=n - 1)
        assert users.numpy().tolist() != raw.numpy().tolist()
        assert sorted(users.numpy().tolist()) == list(range(n))  # still a permutation


def test_stream_keys_are_distinct_across_purposes_and_counters_and_reproducible():
    keys = {(s, c): tuple(stream_seed(SEED, s, c).numpy().tolist())
            for s, c in itertools.product(STREAMS, range(40))}
    assert len(set(keys.values())) == len(keys)
    assert tuple(stream_seed(SEED, "shuffle", 3).numpy()) == keys[("shuffle", 3)]
    assert tuple(stream_seed(SEED + 1, "shuffle", 3).numpy()) != keys[("shuffle", 3)]
    # The draws themselves differ between two purposes at the same counter.
    a = tf.random.stateless_uniform([64], seed=stream_seed(SEED, "shuffle", 7))
    b = tf.random.stateless_uniform([64], seed=stream_seed(SEED, "candidates", 7))
    assert not np.allclose(a.numpy(), b.numpy())
    assert len(set(STREAMS.values())) == len(STREAMS)


def test_unknown_stream_is_refused():
    import pytest
    with pytest.raises(KeyError, match="unknown random stream 'typo'; known: shuffle"):
        stream_seed(SEED, "typo", 0)


def test_each_consumer_draws_from_its_own_named_stream():
    # Golden checks: recompute each draw from stream_seed(seed, <its stream>, counter).
    k, n, m = 4, 40, 6
    sampler = UninteractedCandidateSampler(1000, m, seed=SEED, prefix_width=0)
    sampler.adapt([1], [0], num_users=2)                  # user 0: no interactions
    raw = tf.random.stateless_uniform([1, m], seed=stream_seed(SEED, "candidates", k),
                                      minval=None, maxval=None, dtype=tf.int64)
    assert sampler(tf.constant([0], tf.int64), tf.constant(k, tf.int64)).numpy().tolist() == \
        tf.math.floormod(raw, 1000).numpy().tolist()

    epoch_1 = list(training_pairs(np.arange(n), np.arange(n), batch_size=n, seed=SEED).take(2))[1]
    order = tf.random.experimental.index_shuffle(tf.range(n, dtype=tf.int64),
                                                 seed=stream_seed(SEED, "shuffle", 1),
                                                 max_index=n - 1)
    assert epoch_1[0].numpy().tolist() == order.numpy().tolist()

    from ahns_tf.samplers import PositiveMixingSelector, TopNRandomSelector
    users = tf.ones([3, 2])
    scores = tf.constant([[6.0, 5, 4, 3, 2, 1]] * 3)      # top-N indices are 0..N-1 in order
    picked = TopNRandomSelector(top_n=m, seed=SEED)(users, users, None, step=k,
                                                     cand_scores=scores)["indices"]
    want = tf.random.stateless_uniform([3, 1], stream_seed(SEED, "dns_mn", k), minval=0,
                                       maxval=m, dtype=tf.int32)
    assert picked.numpy().ravel().tolist() == want.numpy().ravel().tolist()
    weight = PositiveMixingSelector(seed=SEED)(users, users, None, step=k,
                                               cand_scores=scores)["pos_weight"]
    want = tf.random.stateless_uniform([3, 1], stream_seed(SEED, "mixgcf", k))
    np.testing.assert_array_equal(weight.numpy(), want.numpy())


@pytest.mark.slow
def test_evaluating_more_often_trains_the_same_model(toy_data_dir, tmp_path):
    # benchmarks.eval_points reads runs evaluated after every epoch as if they were the
    # every-5 runs of the seed studies: evaluation must draw nothing from any stream.
    runs = [train(toy_train_config(toy_data_dir, tmp_path / f"every{n}", epochs=4, eval_every=n,
                                   select_on="test"), export=False, verbose=0)
            for n in (1, 2)]
    for entry in runs[1]["history"]:                       # epochs 2 and 4
        same = [e for e in runs[0]["history"]
                if e["epoch"] == entry["epoch"] and e["split"] == entry["split"]]
        assert len(same) == 1
        for key in ("loss", "recall@5", "ndcg@10"):
            assert same[0][key] == entry[key], (entry["epoch"], key)
