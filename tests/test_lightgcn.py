"""LightGCN backbone: propagation against scipy, L=0 is MF, every sampler trains, export serves it."""

import json

import numpy as np
import pytest
import scipy.sparse as sp
import tensorflow as tf

from ahns_tf.models import LightGCN, MatrixFactorization
from ahns_tf.models.retrieval import NegativeSamplingRetrievalModel
from ahns_tf.registry import SAMPLERS
from ahns_tf.samplers import AdaptiveHardnessSelector, UninteractedCandidateSampler

USERS = [0, 0, 1, 2, 2, 2, 3, 4, 4]
ITEMS = [0, 1, 1, 2, 3, 5, 4, 0, 5]


def test_propagation_equals_the_normalised_adjacency_computed_with_scipy():
    gcn = LightGCN(num_users=6, num_items=7, dim=3, num_layers=3)   # user 5, item 6: no edges
    gcn.adapt(USERS + [0], ITEMS + [1])                              # a duplicate pair counts once
    R = sp.coo_matrix((np.ones(len(USERS)), (USERS, ITEMS)), shape=(6, 7)).tocsr()
    A = sp.bmat([[None, R], [R.T, None]]).tocsr()
    degree = np.asarray(A.sum(1)).ravel()
    inv = np.divide(1.0, np.sqrt(degree), out=np.zeros_like(degree), where=degree > 0)
    norm = sp.diags(inv) @ A @ sp.diags(inv)
    ego = np.concatenate([gcn.user_embeddings.numpy(), gcn.item_embeddings.numpy()])
    layers, x = [ego], ego
    for _ in range(3):
        x = norm @ x
        layers.append(x)
    want = np.mean(layers, axis=0)
    users, items = gcn.tables()
    np.testing.assert_allclose(users.numpy(), want[:6], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(items.numpy(), want[6:], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(users.numpy()[5], ego[5] / 4, rtol=1e-6)  # isolated: only E/4


def _model(backbone):
    sampler = UninteractedCandidateSampler(6, 4, seed=1)
    sampler.adapt(USERS, ITEMS, num_users=5)
    model = NegativeSamplingRetrievalModel(backbone, sampler, AdaptiveHardnessSelector(),
                                           l2=1e-2, steps_per_epoch=1)
    model.compile(tf.keras.optimizers.Adam(1e-2))
    return model


def test_zero_layers_is_matrix_factorization_exactly():
    tf.keras.utils.set_random_seed(3)
    mf = MatrixFactorization(5, 6, dim=4)
    tf.keras.utils.set_random_seed(3)
    gcn = LightGCN(5, 6, dim=4, num_layers=0)
    gcn.adapt(USERS, ITEMS)
    np.testing.assert_array_equal(mf.user_embeddings.numpy(), gcn.user_embeddings.numpy())
    batch = (tf.constant([0, 2, 4], tf.int64), tf.constant([1, 3, 5], tf.int64))
    results = []
    for backbone in (mf, gcn):
        model = _model(backbone)
        with tf.GradientTape() as tape:
            loss = model.compute_loss(batch, training=True)
        grads = tape.gradient(loss, [backbone.user_embeddings, backbone.item_embeddings])
        results.append((float(loss), [tf.convert_to_tensor(g).numpy() for g in grads]))
    assert results[0][0] == results[1][0]
    for a, b in zip(results[0][1], results[1][1]):
        np.testing.assert_array_equal(a, b)


def test_gradients_reach_the_layer_0_rows_of_graph_neighbours_only():
    gcn = LightGCN(6, 6, dim=4, num_layers=2)                 # user 5 has no interaction
    gcn.adapt(USERS, ITEMS)
    sampler = UninteractedCandidateSampler(6, 4, seed=1)
    sampler.adapt(USERS, ITEMS, num_users=6)
    model = NegativeSamplingRetrievalModel(gcn, sampler, AdaptiveHardnessSelector(), l2=1e-2,
                                           steps_per_epoch=1)
    with tf.GradientTape() as tape:
        loss = model.compute_loss((tf.constant([3], tf.int64), tf.constant([4], tf.int64)),
                                  training=True)
    grad_users = tf.convert_to_tensor(tape.gradient(loss, gcn.user_embeddings)).numpy()
    touched = set(np.flatnonzero(np.abs(grad_users).sum(1)).tolist())
    assert 3 in touched and 5 not in touched      # the batch user; never an isolated one
    assert touched - {3}                          # unlike MF: neighbours' layer-0 rows move too


@pytest.mark.slow
@pytest.mark.parametrize("sampler", sorted(SAMPLERS.names()))
def test_every_sampler_trains_on_lightgcn(toy_data_dir, tmp_path, sampler):
    from ahns_tf.training import train
    from conftest import toy_train_config
    result = train(toy_train_config(toy_data_dir, tmp_path / "run", sampler=sampler, epochs=3,
                                    backbone="lightgcn", layers=2,
                                    num_candidates=None if sampler == "ssm" else 4),
                   export=False, verbose=0)
    assert result["config"]["backbone"] == "lightgcn"
    assert np.isfinite(result["test"]["recall@5"]) and len(result["epoch_seconds"]) == 3


@pytest.mark.slow
def test_a_lightgcn_export_serves_the_propagated_embeddings(toy_data_dir, tmp_path):
    from ahns_tf.training import train
    from conftest import toy_train_config
    from test_end_to_end import run_tf_only
    config = toy_train_config(toy_data_dir, tmp_path / "run", epochs=2, backbone="lightgcn",
                              layers=3, top_k=5, export_dir=str(tmp_path / "models" / "toy"))
    result = train(config, verbose=0)
    with np.load(tmp_path / "run" / "embeddings.npz") as saved:
        users, items = saved["user_embeddings"], saved["item_embeddings"]
    out = run_tf_only("""
        import json, sys
        import tensorflow as tf
        m = tf.saved_model.load(sys.argv[1])
        e = m.signatures["user_embedding"](user_id=tf.constant([0, 1], tf.int64))["embedding"]
        top = m.signatures["serving_default"](user_id=tf.range(40, dtype=tf.int64))
        print(json.dumps([e.numpy().tolist(), top["item_ids"].numpy().tolist()]))
    """, result["export_path"])
    served, top = json.loads(out)
    np.testing.assert_allclose(served, users[:2], rtol=1e-6)
    lines = (tmp_path / "data" / "toy" / "train.txt").read_text().split("\n")
    seen = {int(t[0]): set(map(int, t[1:])) for t in (line.split() for line in lines) if t}
    for u, row in enumerate(top):
        assert not set(row) & seen[u]                          # training items never served
        scores = users[u] @ items.T
        scores[list(seen[u])] = -np.inf
        assert row == np.argsort(-scores, kind="stable")[:5].tolist()


@pytest.mark.parametrize("layers", [1, 3])
def test_propagation_gradient_equals_the_transposed_adjacency_computed_with_scipy(layers):
    # d/dE sum(W_u * users) + sum(W_i * items) = (sum_l (A^T)^l W) / (L + 1), A from scipy
    gcn = LightGCN(num_users=6, num_items=7, dim=3, num_layers=layers)
    gcn.adapt(USERS, ITEMS)
    R = sp.coo_matrix((np.ones(len(USERS)), (USERS, ITEMS)), shape=(6, 7)).tocsr()
    A = sp.bmat([[None, R], [R.T, None]]).tocsr()
    degree = np.asarray(A.sum(1)).ravel()
    inv = np.divide(1.0, np.sqrt(degree), out=np.zeros_like(degree), where=degree > 0)
    norm_t = (sp.diags(inv) @ A @ sp.diags(inv)).T
    weights = np.random.default_rng(layers).normal(size=(13, 3))
    want, x = weights.copy(), weights
    for _ in range(layers):
        x = norm_t @ x
        want += x
    want /= layers + 1
    with tf.GradientTape() as tape:
        users, items = gcn.tables()
        # rows gathered, as the loss does: the upstream gradient arrives as IndexedSlices
        loss = (tf.reduce_sum(tf.gather(users, tf.range(6)) * weights[:6])
                + tf.reduce_sum(items * weights[6:]))
    grad_users, grad_items = tape.gradient(loss, [gcn.user_embeddings, gcn.item_embeddings])
    np.testing.assert_allclose(tf.convert_to_tensor(grad_users).numpy(), want[:6], rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(tf.convert_to_tensor(grad_items).numpy(), want[6:], rtol=1e-5,
                               atol=1e-6)
