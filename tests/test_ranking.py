"""Full-ranking metrics against a hand-worked example."""

import math

import numpy as np
import pytest
import tensorflow as tf

from ahns_tf.evaluation import FullRankingEvaluator


def test_hand_worked_recall_ndcg_precision_hit_rate():
    # 6 items, 1-d embeddings: item scores are user_emb * item_emb.
    items = np.array([[6.0], [5.0], [4.0], [3.0], [2.0], [1.0]], np.float32)
    users = np.array([[1.0], [-1.0], [1.0]], np.float32)
    # user 0 ranks items 0>1>2>3>4>5; item 0 is a training item -> ranking 1,2,3,4,5
    #   held out {2, 5}: top-2 = [1, 2] -> 1 hit at rank 2
    #   recall@2 = 1/2, precision@2 = 1/2, ndcg@2 = (1/log2(3)) / (1 + 1/log2(3)), hit = 1
    #   top-4 = [1,2,3,4] -> recall@4 = 1/2, precision@4 = 1/4, ndcg@4 = same as @2
    # user 1 ranks 5>4>3>2>1>0, trains on nothing; held out {5}: hit at rank 1
    #   recall = 1, ndcg = 1, precision@2 = 1/2, precision@4 = 1/4
    # user 2 has no held-out item: not averaged.
    evaluator = FullRankingEvaluator(3, 6, heldout=([0, 0, 1], [2, 5, 5]),
                                     exclude=([0, 2], [0, 1]), ks=(2, 4))
    got = evaluator.evaluate(tf.constant(users), tf.constant(items))
    ndcg0 = (1 / math.log2(3)) / (1 + 1 / math.log2(3))
    expected = {
        "recall@2": (0.5 + 1) / 2, "recall@4": (0.5 + 1) / 2,
        "precision@2": (0.5 + 0.5) / 2, "precision@4": (0.25 + 0.25) / 2,
        "ndcg@2": (ndcg0 + 1) / 2, "ndcg@4": (ndcg0 + 1) / 2,
        "hit_rate@2": 1.0, "hit_rate@4": 1.0,
    }
    assert evaluator.num_evaluated_users == 2
    assert got == pytest.approx(expected, rel=1e-6)


def test_ideal_dcg_uses_min_of_heldout_count_and_k():
    # One user, 3 held-out items all ranked at the top with K=2: NDCG@2 must be 1, not 2/2.63.
    items = np.array([[3.0], [2.0], [1.0], [0.0]], np.float32)
    evaluator = FullRankingEvaluator(1, 4, heldout=([0, 0, 0], [0, 1, 2]), exclude=([], []),
                                     ks=(2,))
    got = evaluator.evaluate(tf.constant([[1.0]]), tf.constant(items))
    assert got["ndcg@2"] == pytest.approx(1.0)
    assert got["recall@2"] == pytest.approx(2 / 3)


def _random_split(seed, n_users=60, n_items=45):
    """Random embeddings, 6 training items per user, 1-5 held-out items for every other user."""
    rng = np.random.default_rng(seed)
    train = [(u, i) for u in range(n_users) for i in rng.choice(n_items, 6, replace=False)]
    test = [(u, i) for u in range(0, n_users, 2)
            for i in rng.choice(sorted(set(range(n_items)) - {i for uu, i in train if uu == u}),
                                rng.integers(1, 6), replace=False)]
    users = rng.normal(size=(n_users, 4)).astype(np.float32)
    items = rng.normal(size=(n_items, 4)).astype(np.float32)
    return users, items, train, test


def _brute_force(users, items, train, test, k, only=None):
    """Mean Recall@k and NDCG@k in numpy (float64, stable sort: ties to the lower id)."""
    recalls, ndcgs = [], []
    for u in sorted({u for u, _ in test}):
        if only is not None and u not in only:
            continue
        scores = users[u].astype(np.float64) @ items.T.astype(np.float64)
        scores[[i for uu, i in train if uu == u]] = -np.inf
        ranked = np.argsort(-scores, kind="stable")[:k]
        truth = {i for uu, i in test if uu == u}
        rel = [1.0 if i in truth else 0.0 for i in ranked]
        recalls.append(sum(rel) / len(truth))
        dcg = sum(r / math.log2(j + 2) for j, r in enumerate(rel))
        ndcgs.append(dcg / sum(1 / math.log2(j + 2) for j in range(min(len(truth), k))))
    return np.mean(recalls), np.mean(ndcgs)


def test_matches_numpy_brute_force_on_random_data():
    users, items, train, test = _random_split(0, n_users=50, n_items=40)
    evaluator = FullRankingEvaluator(50, 40, tuple(np.array(test).T), tuple(np.array(train).T),
                                     ks=(10,), batch_size=7)
    got = evaluator.evaluate(tf.constant(users), tf.constant(items))
    recall, ndcg = _brute_force(users, items, train, test, 10)
    assert got["recall@10"] == pytest.approx(recall, rel=1e-5)
    assert got["ndcg@10"] == pytest.approx(ndcg, rel=1e-5)


def test_cut_off_larger_than_catalogue_is_rejected():
    with pytest.raises(ValueError, match="cut-off 50 exceeds the number of items 10"):
        FullRankingEvaluator(2, 10, ([0], [1]), ([], []), ks=(20, 50))
