"""The TFRS model's training step: loss value, gradients, hardness."""

import numpy as np
import pytest
import tensorflow as tf

from ahns_tf.models import BPRLoss, FusedAdam, LazyAdam, MatrixFactorization
from ahns_tf.models.retrieval import NegativeSamplingRetrievalModel
from ahns_tf.samplers import (AdaptiveHardnessSelector, DynamicSelector, RandomSelector,
                              UninteractedCandidateSampler)


def _model(selector, num_candidates=4, l2=1e-4, seed=0):
    tf.keras.utils.set_random_seed(seed)
    backbone = MatrixFactorization(6, 10, dim=4)
    sampler = UninteractedCandidateSampler(10, num_candidates, seed=seed)
    sampler.adapt([0, 0, 1, 2, 3, 4, 5], [0, 1, 2, 3, 4, 5, 6], num_users=6)
    model = NegativeSamplingRetrievalModel(backbone, sampler, selector, l2=l2, steps_per_epoch=1)
    model.compile(FusedAdam(1e-2))
    return model


def test_loss_is_bpr_plus_l2_on_the_selected_negative():
    model = _model(DynamicSelector())
    users = tf.constant([0, 1, 2], tf.int64)
    pos = tf.constant([0, 2, 3], tf.int64)
    loss = float(model.compute_loss((users, pos)))
    # Recompute independently in numpy from the same candidates (same seed and step).
    cands = model.candidate_sampler(users, tf.constant(0, tf.int64)).numpy()
    U = model.backbone.user_embeddings.numpy()
    I = model.backbone.item_embeddings.numpy()
    u, p = U[users.numpy()], I[pos.numpy()]
    neg = np.array([cands[b, np.argmax(I[cands[b]] @ u[b])] for b in range(3)])
    n = I[neg]
    bpr = np.mean(np.log1p(np.exp(np.sum(u * n, 1) - np.sum(u * p, 1))))
    reg = 1e-4 * (np.sum(u**2) + np.sum(p**2) + np.sum(n**2)) / 2 / 3
    assert loss == pytest.approx(bpr + reg, rel=1e-5)


def test_gradient_reaches_only_the_chosen_negative_rows():
    model = _model(AdaptiveHardnessSelector(), num_candidates=6)
    users = tf.constant([0, 3], tf.int64)
    pos = tf.constant([1, 4], tf.int64)
    with tf.GradientTape() as tape:
        loss = model.compute_loss((users, pos), training=True)
    grad_items = tape.gradient(loss, model.backbone.item_embeddings)
    touched = set(np.unique(grad_items.indices.numpy()).tolist())
    cands = model.candidate_sampler(users, tf.constant(0, tf.int64)).numpy()
    # rows: the 2 positives + 1 chosen negative per pair, never all 6 candidates
    assert {1, 4} <= touched
    assert len(touched - {1, 4}) <= 2
    assert touched - {1, 4} <= set(cands.ravel().tolist())


@pytest.mark.parametrize("optimizer", [FusedAdam, LazyAdam])
def test_fit_lowers_the_loss_and_logs_hardness(optimizer):
    model = _model(RandomSelector(), num_candidates=1)
    model.compile(optimizer(5e-2))
    data = tf.data.Dataset.from_tensors((tf.constant([0, 0, 1, 2, 3, 4, 5], tf.int64),
                                         tf.constant([0, 1, 2, 3, 4, 5, 6], tf.int64))).repeat()
    history = model.fit(data, epochs=30, steps_per_epoch=5, verbose=0).history
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert "hardness" in history and np.isfinite(history["hardness"][-1])


def test_fused_adam_equals_keras_adam_on_dense_and_sparse_gradients():
    # Independent reference: Keras' own Adam with the same (torch-style) epsilon.
    for sparse in (False, True):
        a = tf.Variable(np.arange(12, dtype=np.float32).reshape(6, 2) / 10)
        b = tf.Variable(a.numpy())
        fused = FusedAdam(0.1)
        keras = tf.keras.optimizers.Adam(0.1, epsilon=1e-8, adaptive_epsilon=True)
        for step in range(4):
            values = tf.constant([[0.5, -1.0], [2.0, 0.3]]) * (step + 1)
            grad = (tf.IndexedSlices(values, tf.constant([1, 4]), tf.constant([6, 2])) if sparse
                    else tf.scatter_nd([[1], [4]], values, [6, 2]))
            fused.apply_gradients([(grad, a)])
            keras.apply_gradients([(grad, b)])
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)


def test_lazy_adam_moves_only_touched_rows():
    var = tf.Variable(np.ones((5, 2), np.float32))
    LazyAdam(0.1).apply_gradients(
        [(tf.IndexedSlices(tf.constant([[1.0, 1.0], [1.0, -1.0]]), tf.constant([3, 3]),
                           tf.constant([5, 2])), var)])
    after = var.numpy()
    np.testing.assert_array_equal(after[[0, 1, 2, 4]], 1.0)
    # summed gradient at row 3 is [2, 0]: Adam's first step moves it by -lr * sign(g)
    np.testing.assert_allclose(after[3], [1.0 - 0.1, 1.0], atol=1e-6)


def test_model_rejects_bad_arguments():
    with pytest.raises(ValueError, match="l2 must be >= 0"):
        NegativeSamplingRetrievalModel(None, None, None, l2=-1.0)
    with pytest.raises(ValueError, match="temperature"):
        BPRLoss(temperature=-1)
