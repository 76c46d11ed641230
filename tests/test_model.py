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


def test_gradient_is_exactly_bpr_plus_l2_on_the_user_positive_and_chosen_negative_rows():
    l2 = 1e-2
    model = _model(AdaptiveHardnessSelector(alpha=1.0, beta=0.1, p=-2), num_candidates=6, l2=l2)
    users = np.array([0, 3, 5])
    pos = np.array([1, 4, 6])
    with tf.GradientTape() as tape:
        loss = model.compute_loss((tf.constant(users), tf.constant(pos)), training=True)
    grad_users, grad_items = tape.gradient(
        loss, [model.backbone.user_embeddings, model.backbone.item_embeddings])
    # Independent numpy: AHNS (Eq. 2-3) picks among the same candidates (same seed and step),
    # then the gradient of mean softplus(s- - s+) + l2 * sum |e|^2 / 2 / B, row by row.
    cands = model.candidate_sampler(tf.constant(users), tf.constant(0, tf.int64)).numpy()
    U = model.backbone.user_embeddings.numpy().astype(np.float64)
    I = model.backbone.item_embeddings.numpy().astype(np.float64)
    B = len(users)
    s_pos = np.sum(U[users] * I[pos], 1)
    target = 0.1 * (s_pos + 1.0) ** (-2 + 1)
    neg = np.array([c[np.argmin(np.abs(I[c] @ U[u] - t))] for c, u, t in zip(cands, users, target)])
    sig = 1 / (1 + np.exp(-(np.sum(U[users] * I[neg], 1) - s_pos)))
    want_users, want_items = np.zeros_like(U), np.zeros_like(I)
    for b, (u, p, n) in enumerate(zip(users, pos, neg)):
        want_users[u] += (sig[b] * (I[n] - I[p]) + l2 * U[u]) / B
        want_items[p] += (-sig[b] * U[u] + l2 * I[p]) / B
        want_items[n] += (sig[b] * U[u] + l2 * I[n]) / B
    assert isinstance(grad_items, tf.IndexedSlices)  # row-sparse, never densified in the step
    # Exactly these rows: the positives and the chosen negatives, not the other candidates.
    assert set(grad_items.indices.numpy().tolist()) == set(pos) | set(neg)
    assert set(grad_users.indices.numpy().tolist()) == set(users)
    assert set(cands.ravel()) - set(neg) - set(pos)  # some candidates were not chosen
    np.testing.assert_allclose(tf.convert_to_tensor(grad_items).numpy(), want_items,
                               rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(tf.convert_to_tensor(grad_users).numpy(), want_users,
                               rtol=1e-4, atol=1e-7)
    assert np.abs(want_items[neg]).min() > 0  # the chosen negatives do receive gradient


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


def test_model_rejects_bad_arguments():
    with pytest.raises(ValueError, match="l2 must be >= 0"):
        NegativeSamplingRetrievalModel(None, None, None, l2=-1.0)
    with pytest.raises(ValueError, match="temperature"):
        BPRLoss(temperature=-1)
