"""NegativeMiner: one layer for candidates + selection; the model's epoch line."""

import numpy as np
import tensorflow as tf

from ahns_tf.models import FusedAdam, MatrixFactorization
from ahns_tf.models.retrieval import NegativeSamplingRetrievalModel
from ahns_tf.samplers import AdaptiveHardnessSelector, UninteractedCandidateSampler
from ahns_tf.samplers.mining import NegativeMiner, replica_draw


def _miner():
    sampler = UninteractedCandidateSampler(10, 6, seed=3)
    sampler.adapt([0, 0, 1], [1, 2, 3], num_users=3)
    return NegativeMiner(sampler, AdaptiveHardnessSelector(alpha=0.5, beta=0.2, p=-1))


def test_mined_negative_is_the_ahns_pick_among_the_sampled_candidates():
    miner = _miner()
    rng = np.random.default_rng(0)
    items = rng.normal(size=(10, 4)).astype(np.float32)
    users = np.array([0, 1, 2])
    e_user = rng.normal(size=(3, 4)).astype(np.float32)
    e_pos = items[[1, 3, 5]]
    step = tf.constant(7, tf.int64)
    mined = miner(tf.constant(users), e_user, e_pos, tf.constant(items), step=step)
    cands = miner.candidate_sampler(tf.constant(users), step).numpy()   # same stream, same step
    # numpy Eq. 2-3: |s(u, i_m) - beta (s(u, i+) + alpha)^(p+1)|, p = -1: the target is beta
    s_cand = np.einsum("bd,bmd->bm", e_user, items[cands])
    want = cands[np.arange(3), np.argmin(np.abs(s_cand - 0.2), axis=1)]
    np.testing.assert_array_equal(mined["negatives"].numpy()[:, 0], want)


def test_config_round_trip_rebuilds_sampler_and_selector_settings():
    config = _miner().get_config()
    again = NegativeMiner.from_config(config)
    assert again.candidate_sampler.num_candidates == 6 and again.candidate_sampler.seed == 3
    assert (again.selector.alpha, again.selector.beta, again.selector.p) == (0.5, 0.2, -1.0)


def test_replica_draw_is_the_step_on_one_device():
    assert int(replica_draw(tf.constant(41))) == 41


def test_epoch_line_has_loss_hardness_and_pos_score_and_the_l2_term_is_in_model_losses():
    tf.keras.utils.set_random_seed(0)
    sampler = UninteractedCandidateSampler(10, 2, seed=0)
    sampler.adapt([0, 1, 2], [0, 1, 2], num_users=3)
    model = NegativeSamplingRetrievalModel(MatrixFactorization(3, 10, 4), sampler,
                                           AdaptiveHardnessSelector(), l2=0.5)
    model.compile(FusedAdam(1e-2))
    data = tf.data.Dataset.from_tensors((tf.constant([0, 1, 2], tf.int64),
                                         tf.constant([0, 1, 2], tf.int64))).repeat()
    history = model.fit(data, epochs=1, steps_per_epoch=2, verbose=0).history
    assert sorted(history) == ["hardness", "loss", "pos_score"]  # no zero regularization_loss
    users, items = model.backbone.tables()
    e = np.concatenate([users.numpy()[[0, 1, 2]].ravel(), items.numpy()[[0, 1, 2]].ravel()])
    model.compute_loss((tf.constant([0, 1, 2], tf.int64), tf.constant([0, 1, 2], tf.int64)))
    l2 = float(model.losses[0])
    # The L2 term over user, positive and negative rows: at least the users' and positives'
    assert l2 >= 0.5 * np.sum(e.astype(np.float64) ** 2) / 2 / 3 - 1e-7
