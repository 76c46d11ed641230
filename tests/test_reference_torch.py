"""benchmarks.reference_torch (PyTorch re-write of the reference): LightGCN propagation against
scipy, per-draw sampling, the loop's training and evaluation (its ranking: test_reference_report).

Skipped where torch is absent (CI does not install it; it is not a project dependency).
"""

import types

import numpy as np
import pytest
import scipy.sparse as sp

torch = pytest.importorskip("torch")

from benchmarks.reference_torch import ReferenceLoop, normalized_adjacency, propagate  # noqa: E402

USERS = [0, 0, 1, 2, 2, 2, 3, 4, 4]
ITEMS = [0, 1, 1, 2, 3, 5, 4, 0, 5]


def _scipy_layers(users, items, num_users, num_items, ego, hops):
    """[E, A E, ..., A^L E] with A = D^-1/2 [[0, R], [R^T, 0]] D^-1/2 built by scipy."""
    pairs = sorted(set(zip(users, items)))
    rows, cols = zip(*pairs)
    R = sp.coo_matrix((np.ones(len(pairs)), (rows, cols)), shape=(num_users, num_items)).tocsr()
    A = sp.bmat([[sp.csr_matrix((num_users, num_users)), R],
                 [R.T, sp.csr_matrix((num_items, num_items))]]).tocsr()
    degree = np.asarray(A.sum(1)).ravel()
    inv = np.divide(1.0, np.sqrt(degree), out=np.zeros_like(degree), where=degree > 0)
    norm = sp.diags(inv) @ A @ sp.diags(inv)
    layers, x = [ego], ego
    for _ in range(hops):
        x = norm @ x
        layers.append(x)
    return np.stack(layers, axis=1)                                   # [nodes, L+1, dim]


@pytest.mark.parametrize("hops", [1, 3])
def test_torch_propagation_equals_scipy_on_a_tiny_graph(hops):
    num_users, num_items = 6, 7                      # user 5 and item 6 have no edge
    users, items = USERS + [0], ITEMS + [1]          # a repeated pair counts once
    rng = np.random.default_rng(hops)
    ego_users = rng.normal(size=(num_users, 3)).astype(np.float32)
    ego_items = rng.normal(size=(num_items, 3)).astype(np.float32)
    adjacency = normalized_adjacency(users, items, num_users, num_items)
    user_layers, item_layers = propagate(adjacency, torch.as_tensor(ego_users),
                                         torch.as_tensor(ego_items), hops)
    want = _scipy_layers(users, items, num_users, num_items,
                         np.concatenate([ego_users, ego_items]).astype(np.float64), hops)
    assert tuple(user_layers.shape) == (num_users, hops + 1, 3)
    np.testing.assert_allclose(user_layers.numpy(), want[:num_users], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(item_layers.numpy(), want[num_users:], rtol=1e-5, atol=1e-6)
    # an isolated node keeps only its layer 0: mean pooling gives E / (L + 1)
    np.testing.assert_allclose(user_layers[5].mean(0).numpy(), ego_users[5] / (hops + 1),
                               rtol=1e-6)


def test_normalised_adjacency_hand_value():
    # user 0 - item 0 - user 1: degrees 1, 2, 1, so each edge weighs 1 / sqrt(1 * 2)
    dense = normalized_adjacency([0, 1], [0, 0], 2, 1).to_dense().numpy()
    want = np.array([[0, 0, 0.5 ** 0.5], [0, 0, 0.5 ** 0.5], [0.5 ** 0.5, 0.5 ** 0.5, 0]])
    np.testing.assert_allclose(dense, want, rtol=1e-6)


def _args(**overrides):
    values = dict(ns="ahns", alpha=1.0, beta=0.1, p=-2, n_negs=8, batch_size=4, dim=4, lr=1e-2,
                  l2=1e-4, threads=1, context_hops=2, sampling="per-draw", evaluation="numpy")
    values.update(overrides)
    return types.SimpleNamespace(**values)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_per_draw_candidates_are_uninteracted_and_in_range(seed):
    train = {u: {i for uu, i in zip(USERS, ITEMS) if uu == u} for u in set(USERS)}
    loop = ReferenceLoop(_args(), seed, train, {0: {3}})
    users = np.array([0, 2, 2, 4, 1])
    cand = loop.candidates(users)                                      # [5, 8]
    assert cand.shape == (5, 8) and cand.min() >= 0 and cand.max() < loop.num_items
    for user, row in zip(users, cand):
        assert not set(row.tolist()) & train[int(user)]


def test_lightgcn_loop_trains_and_evaluates():
    train = {u: {i for uu, i in zip(USERS, ITEMS) if uu == u} for u in set(USERS)}
    loop = ReferenceLoop(_args(evaluation="per-user"), 0, train, {0: {3}, 1: {2}})
    before = loop.user_emb.detach().clone()
    loop.train_epoch()                                                 # 2 batches of 4 pairs
    assert torch.isfinite(loop.user_emb).all()
    assert not torch.equal(before, loop.user_emb.detach())
    recall, ndcg, seconds = loop.evaluate()
    assert 0 <= recall <= 1 and 0 <= ndcg <= 1 and seconds >= 0


def _ranking_data():
    """5 users, 30 items (enough for a top-20), 6 training items and 1 test item each."""
    rng = np.random.default_rng(0)
    train, test = {}, {}
    for user in range(5):
        items = rng.choice(30, size=7, replace=False)
        train[user], test[user] = set(items[:6].tolist()), {int(items[6])}
    return train, test


@pytest.mark.parametrize("eval_every, evaluated", [(5, [0, 5]), (1, [0, 1, 2, 3, 4, 5, 6])])
def test_eval_every_sets_the_evaluated_epochs(eval_every, evaluated):
    from benchmarks.reference_torch import run_seed
    run = run_seed(_args(context_hops=0, epochs=7, eval_every=eval_every), 0, *_ranking_data())
    assert [h["epoch"] for h in run["history"]] == evaluated   # 0-based, as the reference's


@pytest.mark.parametrize("sampling", ["vectorised", "per-draw"])
def test_evaluating_draws_no_random_numbers(sampling):
    # So --eval-every changes which epochs are seen, never the model trained.
    loops = [ReferenceLoop(_args(context_hops=0, sampling=sampling), 3, *_ranking_data())
             for _ in range(2)]
    for _ in range(3):
        for number, loop in enumerate(loops):
            loop.train_epoch()
            if number == 0:
                loop.evaluate()
    assert torch.equal(loops[0].user_emb, loops[1].user_emb)
    assert torch.equal(loops[0].item_emb, loops[1].item_emb)
