"""SSM, DNS(M,N), MixGCF, DENS and CuCo against numpy brute forces of their definitions."""

import math

import numpy as np
import pytest
import tensorflow as tf

from ahns_tf.samplers import (CurriculumSelector, DisentangledSelector, PositiveMixingSelector,
                              SampledSoftmaxSelector, TopNRandomSelector, make_selector)


def _case(seed, batch=32, m=8, dim=4):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(batch, dim)).astype(np.float32),
            rng.normal(size=(batch, dim)).astype(np.float32),
            rng.normal(size=(batch, m, dim)).astype(np.float32))


def test_ssm_uses_the_first_k_candidates():
    u, p, c = _case(0)
    got = SampledSoftmaxSelector(num_negatives=3)(u, p, c)["indices"].numpy()
    np.testing.assert_array_equal(got, np.tile([0, 1, 2], (32, 1)))


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(3))
def test_dns_mn_picks_among_the_top_n_and_covers_them_uniformly(seed):
    u, p, c = _case(seed)
    scores = np.einsum("bd,bmd->bm", u, c)
    top3 = np.argsort(-scores, axis=1)[:, :3]
    selector = TopNRandomSelector(top_n=3, seed=seed)
    picks = np.stack([selector(u, p, c, step=tf.constant(s, tf.int64))["indices"].numpy()[:, 0]
                      for s in range(300)])                                   # [300, B]
    assert all(picks[s, b] in top3[b] for s in range(300) for b in range(32))
    # each of the 3 positions is chosen ~1/3 of the time over 300 x 32 draws
    rank = np.array([[list(top3[b]).index(picks[s, b]) for b in range(32)] for s in range(300)])
    share = np.bincount(rank.ravel(), minlength=3) / rank.size
    np.testing.assert_allclose(share, [1 / 3] * 3, atol=0.03)
    # N = 1 is DNS
    np.testing.assert_array_equal(TopNRandomSelector(top_n=1)(u, p, c)["indices"].numpy()[:, 0],
                                  np.argmax(scores, axis=1))


def test_mixgcf_mixes_the_positive_and_keeps_the_hardest_mixture():
    u, p, c = _case(4)
    out = PositiveMixingSelector(seed=3)(u, p, c, step=tf.constant(7, tf.int64))
    a = out["pos_weight"].numpy()                                             # [B, 1]
    assert np.all((a >= 0) & (a < 1))
    mixed = a[:, :, None] * p[:, None, :] + (1 - a[:, :, None]) * c
    expected = np.argmax(np.einsum("bd,bmd->bm", u, mixed), axis=1)
    np.testing.assert_array_equal(out["indices"].numpy()[:, 0], expected)


def test_cuco_pool_shrinks_from_m_to_one():
    u, p, c = _case(5, m=10)
    scores = np.einsum("bd,bmd->bm", u, c)
    selector = CurriculumSelector(epochs=20)
    for epoch, pool in [(0, 10), (5, 7), (10, 5), (19, 1), (25, 1)]:
        # (1 - 5/20) * 10 = 7.5 -> 7; (1 - 19/20) * 10 = 0.5 -> max(1, 0) = 1
        got = selector(u, p, c, epoch=tf.constant(float(epoch)))["indices"].numpy()[:, 0]
        np.testing.assert_array_equal(got, np.argmax(scores[:, :pool], axis=1))


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_dens_selection_and_auxiliary_loss_match_the_reference_equations():
    u, p, c = _case(6, batch=8, m=5, dim=3)
    dens = DisentangledSelector(dim=3, alpha=0.3, gamma=0.5)
    W = {name: (g.kernel.numpy(), g.bias.numpy()) for name, g in
         (("user", dens.user_gate), ("item", dens.item_gate), ("pos", dens.pos_gate),
          ("neg", dens.neg_gate))}
    lin = lambda name, x: x @ W[name][0] + W[name][1]  # noqa: E731
    pos_r = p * _sigmoid(lin("item", p) + lin("user", u))
    cand_r = c * _sigmoid(lin("neg", c) + lin("pos", pos_r)[:, None, :])
    expected = np.argmax(np.einsum("bd,bmd->bm", u, 0.7 * c - cand_r), axis=1)
    got = dens(u, p, c)["indices"].numpy()[:, 0]
    np.testing.assert_array_equal(got, expected)

    n = c[np.arange(8), expected][:, None, :]                                 # [B, 1, D]
    neg_r = n * _sigmoid(lin("neg", n) + lin("pos", pos_r)[:, None, :])
    pos_ir, neg_ir = p - pos_r, n - neg_r
    s = lambda a, b: np.einsum("bd,bkd->bk", u, b) if b.ndim == 3 else np.sum(u * b, 1)  # noqa
    sp = lambda x: np.log1p(np.exp(x))  # noqa: E731
    terms = [sp(s(u, pos_ir) - s(u, pos_r)).mean(),
             sp(s(u, neg_r) - s(u, neg_ir)).mean(),
             sp(s(u, neg_r) - s(u, pos_r)[:, None]).mean(),
             sp(s(u, pos_ir)[:, None] - s(u, neg_ir)).mean()]
    assert float(dens.auxiliary_loss(u, p, n)) == pytest.approx(0.5 * sum(terms) / 4, rel=1e-5)


def test_factory_and_config_round_trips():
    for method, kwargs in [("ssm", {"num_negatives": 5}), ("dns_mn", {"top_n": 2, "seed": 3}),
                           ("mixgcf", {"seed": 4}), ("cuco", {"epochs": 7}),
                           ("dens", {"dim": 4, "alpha": 0.2, "gamma": 0.1})]:
        selector = make_selector(method, **kwargs, beta=1.0)
        clone = type(selector).from_config(selector.get_config())
        for key, value in kwargs.items():
            assert getattr(clone, key) == value
    with pytest.raises(ValueError, match="top_n >= 1"):
        TopNRandomSelector(top_n=0)
    with pytest.raises(ValueError, match="num_negatives >= 1"):
        SampledSoftmaxSelector(num_negatives=0)


@pytest.mark.slow
@pytest.mark.parametrize("sampler", ["ssm", "dns_mn", "mixgcf", "dens", "cuco"])
def test_every_method_trains_end_to_end(toy_data_dir, tmp_path, sampler):
    from ahns_tf.config import TrainConfig
    from ahns_tf.training import train
    config = TrainConfig(dataset="toy", data_dir=toy_data_dir, sampler=sampler, epochs=2,
                         eval_every=1, ks=(5,), select_metric="recall@5", batch_size=64,
                         num_candidates=None if sampler == "ssm" else 6, top_n=2,
                         output_dir=str(tmp_path / "run"), export_dir=str(tmp_path / "m"))
    result = train(config, verbose=0)
    assert math.isfinite(result["history"][-1]["loss"])
    assert 0 <= result["test"]["recall@5"] <= 1
