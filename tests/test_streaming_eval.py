"""Evaluation at scale: item chunks with a running top-K equal the dense ranking exactly."""

import numpy as np
import pytest
import tensorflow as tf

from ahns_tf.evaluation import FullRankingEvaluator
from ahns_tf.evaluation.top_k import streaming_top_k
from test_ranking import _brute_force, _random_split


def _dense_top_k(users, items, excluded, k):
    """numpy: mask, then a stable sort (ties: lower item id first); -1 where only masked remain."""
    out = []
    for u, row in enumerate(excluded):
        scores = users[u] @ items.T
        scores[list(row)] = -np.inf
        ranked = np.argsort(-scores, kind="stable")[:k]
        out.append([int(i) if np.isfinite(scores[i]) else -1 for i in ranked])
    return out


@pytest.mark.parametrize("chunk", [4, 5, 7, 13, 40, 100])
def test_streaming_top_k_equals_the_dense_ranking_with_ties_and_masks(chunk):
    rng = np.random.default_rng(chunk)
    # Integer embeddings make many exact ties; user 3 has only 2 unmasked items (< k).
    users = rng.integers(-2, 3, size=(6, 3)).astype(np.float32)
    items = rng.integers(-2, 3, size=(40, 3)).astype(np.float32)
    excluded = [set(rng.choice(40, 6, replace=False).tolist()) for _ in range(6)]
    excluded[3] = set(range(40)) - {5, 17}
    scores, got = streaming_top_k(tf.constant(users), tf.constant(items),
                                  tf.ragged.constant([sorted(r) for r in excluded], tf.int64),
                                  4, chunk)
    want = _dense_top_k(users, items, excluded, 4)
    assert got.numpy().tolist() == want
    for u, row in enumerate(want):
        expected = [users[u] @ items[i] if i >= 0 else -np.inf for i in row]
        np.testing.assert_allclose(scores.numpy()[u], expected, rtol=1e-6)


@pytest.mark.slow
def test_evaluator_metrics_do_not_depend_on_the_item_chunk():
    users, items, train, test = _random_split(1)
    results = []
    for chunk in (10, 11, 44, 45, None):
        evaluator = FullRankingEvaluator(60, 45, tuple(np.array(test).T), tuple(np.array(train).T),
                                         ks=(5, 10), batch_size=7, item_chunk=chunk)
        results.append(evaluator.evaluate(tf.constant(users), tf.constant(items)))
    assert all(r == results[0] for r in results)        # exactly, not approximately
    recall, ndcg = _brute_force(users, items, train, test, 10)
    assert results[0]["recall@10"] == pytest.approx(recall, rel=1e-6)
    assert results[0]["ndcg@10"] == pytest.approx(ndcg, rel=1e-6)
    with pytest.raises(ValueError, match="item_chunk must be >= max"):
        FullRankingEvaluator(60, 45, tuple(np.array(test).T), tuple(np.array(train).T),
                             ks=(5, 10), item_chunk=9)


def test_a_seeded_sample_of_users_is_fixed_and_evaluated_exactly():
    users, items, train, test = _random_split(2)
    args = (60, 45, tuple(np.array(test).T), tuple(np.array(train).T))
    a = FullRankingEvaluator(*args, ks=(10,), max_users=12, seed=5)
    b = FullRankingEvaluator(*args, ks=(10,), max_users=12, seed=5)
    c = FullRankingEvaluator(*args, ks=(10,), max_users=12, seed=6)
    assert a.num_evaluated_users == 12 and a.num_heldout_users == 30
    assert a.users.tolist() == b.users.tolist() != c.users.tolist()
    assert set(a.users) <= {u for u, _ in test}
    got = a.evaluate(tf.constant(users), tf.constant(items))
    recall, ndcg = _brute_force(users, items, train, test, 10, only=set(a.users.tolist()))
    assert got["recall@10"] == pytest.approx(recall, rel=1e-6)
    assert got["ndcg@10"] == pytest.approx(ndcg, rel=1e-6)
    # Only the sampled users' exclusions are kept (memory grows with the sample, not the log).
    kept = a._exclude.row_lengths().numpy()
    assert kept.sum() == sum(u in set(a.users.tolist()) for u, _ in train) and \
        set(np.flatnonzero(kept).tolist()) <= set(a.users.tolist())
    everyone = FullRankingEvaluator(*args, ks=(10,), max_users=1000)
    assert everyone.num_evaluated_users == 30
    with pytest.raises(ValueError, match="--eval-users"):
        FullRankingEvaluator(*args, ks=(10,), max_users=0)


def test_a_long_evaluation_shows_a_progress_bar(capsys, monkeypatch):
    users, items, train, test = _random_split(3)
    evaluator = FullRankingEvaluator(60, 45, tuple(np.array(test).T), tuple(np.array(train).T),
                                     ks=(5,), batch_size=4)
    # Under the threshold, no bar: set out of reach, so a loaded machine cannot cross it (a
    # default of a few seconds was crossed once, in a CI run sharing the cores).
    monkeypatch.setattr(FullRankingEvaluator, "PROGRESS_AFTER_SECONDS", float("inf"))
    evaluator.evaluate(tf.constant(users), tf.constant(items))
    assert "user" not in capsys.readouterr().out
    monkeypatch.setattr(FullRankingEvaluator, "PROGRESS_AFTER_SECONDS", 0.0)
    evaluator.evaluate(tf.constant(users), tf.constant(items))
    assert "30/30" in capsys.readouterr().out


@pytest.mark.slow
def test_eval_users_flag_samples_users_and_says_so(toy_data_dir, tmp_path):
    from ahns_tf.training import summary, train
    from conftest import toy_train_config
    result = train(toy_train_config(toy_data_dir, tmp_path / "run", epochs=2, eval_users=7),
                   export=False, verbose=0)
    assert result["config"]["eval_users"] == 7
    assert result["evaluated_users"]["test"] == {"evaluated": 7, "with_heldout_items": 40}
    assert result["evaluated_users"]["valid"]["evaluated"] == 7
    assert "test: a sample of 7 of 40 users" in summary(result)


@pytest.mark.parametrize("width,k", [(64 * 40, 5), (64 * 40, 50), (64 * 3, 5), (100, 7), (3, 5)])
def test_chunk_top_k_equals_top_k_with_ties_and_minus_infinity(width, k):
    from ahns_tf.evaluation.top_k import chunk_top_k
    rng = np.random.default_rng(width + k)
    # Few distinct values: many ties, across and within blocks; some -inf (excluded items).
    scores = rng.integers(0, 6, (9, width)).astype(np.float32)
    scores[rng.random(scores.shape) < 0.3] = -np.inf
    scores[0] = -np.inf                                   # a row with nothing left
    values, positions = chunk_top_k(tf.constant(scores), k)
    kept = min(k, width)
    for row in range(scores.shape[0]):
        expected = np.argsort(-scores[row], kind="stable")[:kept]   # lower index first on ties
        assert positions.numpy()[row].tolist() == expected.tolist()
        np.testing.assert_array_equal(values.numpy()[row], scores[row][expected])
    assert positions.dtype == tf.int64
