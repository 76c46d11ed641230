"""BPR loss and the L2 term against hand-computed values."""

import math

import numpy as np
import pytest
import tensorflow as tf

from ahns_tf.models.losses import BPRLoss, l2_embedding_penalty


def test_bpr_one_negative_is_minus_log_sigmoid_of_the_margin():
    pos = tf.constant([[2.0], [0.0]])
    neg = tf.constant([[0.5], [1.0]])
    # -ln sigmoid(1.5) = 0.201413, -ln sigmoid(-1) = 1.313262; mean = 0.757338
    expected = (-math.log(1 / (1 + math.exp(-1.5))) - math.log(1 / (1 + math.exp(1.0)))) / 2
    assert float(BPRLoss()(pos, neg)) == pytest.approx(expected, rel=1e-6)


def test_bpr_k_negatives_is_the_reference_sampled_softmax_form():
    pos = np.array([[0.3]], np.float32)
    neg = np.array([[0.1, 0.9, -0.4]], np.float32)
    expected = math.log(1 + sum(math.exp(s - 0.3) for s in (0.1, 0.9, -0.4)))
    assert float(BPRLoss()(pos, neg)) == pytest.approx(expected, rel=1e-6)
    # temperature 0.5 doubles the margins
    expected_t = math.log(1 + sum(math.exp((s - 0.3) / 0.5) for s in (0.1, 0.9, -0.4)))
    assert float(BPRLoss(temperature=0.5)(pos, neg)) == pytest.approx(expected_t, rel=1e-6)


def test_bpr_is_stable_for_large_margins():
    assert float(BPRLoss()(tf.constant([[0.0]]), tf.constant([[1000.0]]))) == pytest.approx(1000.0)
    assert float(BPRLoss()(tf.constant([[1000.0]]), tf.constant([[0.0]]))) == pytest.approx(0.0)


def test_l2_term_matches_the_reference_formula():
    u = tf.constant([[1.0, 2.0], [0.0, 1.0]])       # |u|^2 = 6
    p = tf.constant([[1.0, 0.0], [1.0, 1.0]])       # 3
    n = tf.constant([[[2.0, 0.0]], [[0.0, 0.0]]])   # 4
    # 1e-4 * (6 + 3 + 4) / 2 / batch 2 = 3.25e-4
    assert float(l2_embedding_penalty(1e-4, u, p, n)) == pytest.approx(3.25e-4)


def test_bad_temperature():
    with pytest.raises(ValueError, match="temperature must be > 0, got 0"):
        BPRLoss(temperature=0)
