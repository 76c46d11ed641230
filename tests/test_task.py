"""BPRTask: the loss scaled by the global batch, the L2 term as a Keras loss, the metrics."""

import numpy as np
import pytest
import tensorflow as tf

from ahns_tf.models import BPRLoss
from ahns_tf.models.task import BPRTask


def _inputs(seed=0, batch=5, k=2, dim=3):
    rng = np.random.default_rng(seed)
    pos = rng.normal(size=(batch, 1)).astype(np.float32)
    neg = rng.normal(size=(batch, k)).astype(np.float32)
    emb = [rng.normal(size=(batch, dim)).astype(np.float32),
           rng.normal(size=(batch, k, dim)).astype(np.float32)]
    return pos, neg, emb


def test_loss_is_bpr_summed_and_divided_by_the_global_batch_and_l2_is_a_keras_loss():
    pos, neg, emb = _inputs()
    task = BPRTask(l2=0.1)
    # numpy: log(1 + sum_k exp(s_k - s+)) per pair; L2 = l2 * sum |e|^2 / 2 / B
    per_pair = np.log1p(np.exp(neg - pos).sum(1))
    squares = sum(np.sum(e.astype(np.float64) ** 2) for e in emb)
    for global_batch in (None, 5, 20):  # None: one replica; 20: this replica holds 5 of 20
        divisor = global_batch or 5
        loss = task(tf.constant(pos), tf.constant(neg), regularized=[tf.constant(e) for e in emb],
                    global_batch_size=global_batch)
        assert float(loss) == pytest.approx(per_pair.sum() / divisor, rel=1e-6)
        assert len(task.losses) == 1  # only this call's L2 term, not the earlier calls'
        assert float(task.losses[0]) == pytest.approx(0.1 * squares / 2 / divisor, rel=1e-6)


def test_auxiliary_loss_is_rescaled_from_the_replica_mean_to_its_share_of_the_global_mean():
    pos, neg, emb = _inputs()
    task = BPRTask(l2=0.0)
    task(tf.constant(pos), tf.constant(neg), regularized=[tf.constant(emb[0])],
         auxiliary_loss=tf.constant(0.8), global_batch_size=20)
    assert float(task.losses[1]) == pytest.approx(0.8 * 5 / 20)


def test_single_device_value_equals_keras_mean_reduction_bit_for_bit():
    pos, neg, _ = _inputs(batch=2048, k=1)
    want = BPRLoss()(tf.constant(pos), tf.constant(neg))  # the loss used before distribution
    got = BPRTask()(tf.constant(pos), tf.constant(neg))
    assert got.numpy() == want.numpy()


def test_hardness_is_the_ratio_over_pairs_with_a_positive_score():
    task = BPRTask()
    pos = tf.constant([[2.0], [-1.0], [0.5]])
    neg = tf.constant([[1.0], [3.0], [0.25]])
    task(pos, neg)
    assert float(task.hardness.result()) == pytest.approx((0.5 + 0.5) / 2)  # pair 2 excluded
    assert float(task.pos_score.result()) == pytest.approx(1.5 / 3)


def test_config_round_trip_keeps_l2_and_the_loss_temperature():
    task = BPRTask(l2=0.3, loss=BPRLoss(temperature=0.5))
    again = BPRTask.from_config(task.get_config())
    assert again.l2 == 0.3 and again.pairwise_loss.temperature == 0.5
    with pytest.raises(ValueError, match="l2 must be >= 0, got -1"):
        BPRTask(l2=-1)
