"""RNS, DNS and AHNS selection against a numpy brute force of the paper's equations."""

import numpy as np
import pytest
import tensorflow as tf

from ahns_tf.samplers import (AdaptiveHardnessSelector, DynamicSelector, RandomSelector,
                              ideal_negative_score, make_selector)


def numpy_ahns(user, pos, cands, alpha, beta, p):
    """Algorithm 1, lines 10-15, one positive pair at a time (no vectorisation)."""
    picks = []
    for b in range(user.shape[0]):
        base = float(user[b] @ pos[b]) + alpha
        # Eq. 2 as written where the power is real (as the reference code computes it);
        # elsewhere (negative base, fractional power; or base 0) the base becomes 1e-6.
        if not (base > 0 or (base < 0 and float(p + 1).is_integer())):
            base = 1e-6
        target = beta * base ** (p + 1)
        ratings = [abs(float(user[b] @ cands[b, m]) - target) for m in range(cands.shape[1])]
        picks.append(int(np.argmin(ratings)))
    return np.array(picks)


def _random_case(seed, batch=64, m=16, dim=8, scale=0.5):
    rng = np.random.default_rng(seed)
    return (rng.normal(0, scale, (batch, dim)).astype(np.float32),
            rng.normal(0, scale, (batch, dim)).astype(np.float32),
            rng.normal(0, scale, (batch, m, dim)).astype(np.float32))


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("alpha, beta, p", [(1.0, 0.1, -2), (0.1, 0.4, -2), (0.5, 0.1, -1),
                                            (0.3, 0.9, -0.5), (0.2, 0.5, -3)])
def test_ahns_matches_numpy_brute_force(seed, alpha, beta, p):
    user, pos, cands = _random_case(seed)
    got = AdaptiveHardnessSelector(alpha, beta, p)(user, pos, cands)["indices"].numpy()[:, 0]
    np.testing.assert_array_equal(got, numpy_ahns(user, pos, cands, alpha, beta, p))


def test_ahns_hand_worked_case():
    # dim 1, so every score is a product. alpha=1, beta=0.5, p=-2: target = 0.5 / (s_pos + 1).
    # user 0: e_u=1, e_pos=1 -> s_pos=1, target=0.25; candidate scores [0.9, 0.3, -0.1, 0.22]
    #         ratings |s - 0.25| = [0.65, 0.05, 0.35, 0.03] -> 3
    # user 1: e_u=2, e_pos=-0.2 -> s_pos=-0.4, target=0.5/0.6=0.8333; scores 2*[0.1, 0.45, 0.3, 0.2]
    #         = [0.2, 0.9, 0.6, 0.4] -> ratings [0.633, 0.067, 0.233, 0.433] -> 1
    user = np.array([[1.0], [2.0]], np.float32)
    pos = np.array([[1.0], [-0.2]], np.float32)
    cands = np.array([[[0.9], [0.3], [-0.1], [0.22]], [[0.1], [0.45], [0.3], [0.2]]], np.float32)
    got = AdaptiveHardnessSelector(alpha=1.0, beta=0.5, p=-2)(user, pos, cands)["indices"]
    np.testing.assert_array_equal(got.numpy()[:, 0], [3, 1])
    # exact ties go to the first candidate: scores 0.5 and 0.0 around target 0.25
    tie = AdaptiveHardnessSelector(alpha=1.0, beta=0.5, p=-2)(
        user[:1], pos[:1], np.array([[[0.9], [0.5], [0.0]]], np.float32))["indices"]
    assert tie.numpy()[0, 0] == 1


def test_ahns_when_positive_score_plus_alpha_is_not_positive():
    # Candidate scores [0.12, -3.0, 4.0, 0.5]; alpha = 1, beta = 0.1.
    user = np.array([[1.0]], np.float32)
    cands = np.array([[[0.12], [-3.0], [4.0], [0.5]]], np.float32)
    pick = lambda s_pos, p: AdaptiveHardnessSelector(1.0, 0.1, p)(
        user, np.array([[s_pos]], np.float32), cands)["indices"].numpy()[0, 0]
    # s_pos = -1.05: base -0.05. p = -2: target 0.1 / -0.05 = -2, as the reference computes it
    # -> ratings [2.12, 1.0, 6.0, 2.5]: the lowest-scoring candidate (index 1).
    assert pick(-1.05, -2) == 1
    # p = -1: target = beta = 0.1 whatever the base -> closest is 0.12 (index 0).
    assert pick(-1.05, -1) == 0
    # p = -1.5: (-0.05)^(-0.5) is not real; the base becomes 1e-6 -> target 0.1 * 1e3 = 100
    # -> the highest-scoring candidate (index 2).
    assert pick(-1.05, -1.5) == 2
    # s_pos = -1: base exactly 0 -> 1e-6, target 0.1 / 1e-6 = 1e5 -> index 2 (p = -2).
    assert pick(-1.0, -2) == 2
    target = ideal_negative_score(tf.constant([-2.0, -1.0, 0.0], tf.float64), 1.0, 0.1, -2.0)
    np.testing.assert_allclose(target.numpy(), [-0.1, 1e5, 0.1], rtol=1e-9)
    fractional = ideal_negative_score(tf.constant([-5.0, 0.5]), 0.5, 0.2, -1.5).numpy()
    np.testing.assert_allclose(fractional, [0.2 * 1e3, 0.2], rtol=1e-5)


def test_theorem_1_ideal_hardness_falls_as_positive_score_rises():
    # With many candidates spread over the score range, the chosen negative's hardness
    # (score / positive score) must decrease as the positive score increases (p < 0).
    rng = np.random.default_rng(0)
    pos_scores = np.linspace(0.2, 4.0, 20)
    cand_scores = np.sort(rng.uniform(-1, 2, 4000))
    user = np.ones((20, 1), np.float32)
    pos = pos_scores[:, None].astype(np.float32)
    cands = np.tile(cand_scores[None, :, None], (20, 1, 1)).astype(np.float32)
    for p in (-1.0, -2.0, -3.0):
        idx = AdaptiveHardnessSelector(0.5, 0.4, p)(user, pos, cands)["indices"].numpy()[:, 0]
        hardness = cand_scores[idx] / pos_scores
        assert np.all(np.diff(hardness) < 0), (p, hardness)


def test_no_gradient_reaches_the_selection():
    user, pos, cands = (tf.Variable(t) for t in _random_case(0, batch=4, m=5))
    for selector in (AdaptiveHardnessSelector(), DynamicSelector(), RandomSelector()):
        with tf.GradientTape() as tape:
            out = selector(user, pos, cands)["indices"]
        assert all(g is None for g in tape.gradient(out, [user, pos, cands],
                                                    unconnected_gradients="none"))


def test_dns_picks_highest_score_and_rns_the_first_candidate():
    user, pos, cands = _random_case(3)
    expected = np.argmax(np.einsum("bd,bmd->bm", user, cands), axis=1)
    np.testing.assert_array_equal(DynamicSelector()(user, pos, cands)["indices"].numpy()[:, 0],
                                  expected)
    np.testing.assert_array_equal(RandomSelector()(user, pos, cands)["indices"].numpy(),
                                  np.zeros((64, 1)))


@pytest.mark.parametrize("kwargs, message", [
    ({"alpha": 0.0}, r"alpha > 0, got alpha=0.0"), ({"alpha": -1}, "alpha > 0"),
    ({"beta": 0}, r"beta > 0, got beta=0"), ({"p": 0}, r"p < 0, got p=0"),
    ({"p": 1.5}, "p < 0"), ({"alpha": float("nan")}, "alpha > 0"),
])
def test_ahns_rejects_bad_hyperparameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        AdaptiveHardnessSelector(**kwargs)


def test_config_round_trip_and_factory():
    selector = AdaptiveHardnessSelector(alpha=0.3, beta=0.7, p=-1)
    clone = AdaptiveHardnessSelector.from_config(selector.get_config())
    assert (clone.alpha, clone.beta, clone.p) == (0.3, 0.7, -1.0)
    built = make_selector("ahns", alpha=0.3, beta=0.7, p=-1, epochs=5)
    assert (built.alpha, built.beta, built.p) == (0.3, 0.7, -1.0)
    with pytest.raises(ValueError, match="--sampler .foo. is unknown; choose one of rns, ssm, dns, dns_mn, mixgcf, dens, cuco, ahns"):
        make_selector("foo")


@pytest.mark.parametrize("m", [1, 8, 20])
def test_block_wise_candidate_scores_equal_a_numpy_dot_product(m):
    from ahns_tf.samplers.selector import gathered_candidate_scores
    rng = np.random.default_rng(m)
    table = rng.normal(size=(50, 6)).astype(np.float32)
    ids = rng.integers(0, 50, (7, m))
    user = rng.normal(size=(7, 6)).astype(np.float32)
    expected = np.array([[table[ids[b, j]] @ user[b] for j in range(m)] for b in range(7)])
    got = gathered_candidate_scores(tf.constant(table), tf.constant(ids), tf.constant(user))
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("method", ["dns", "dns_mn", "mixgcf", "cuco", "ahns"])
def test_selectors_pick_the_same_from_scores_as_from_embeddings(method):
    user, pos, cands = _random_case(11, m=12)
    selector = make_selector(method, alpha=1.0, beta=0.1, p=-2.0, num_candidates=12, top_n=3)
    assert selector.candidate_input == "scores"
    scores = np.einsum("bd,bmd->bm", user, cands)
    step = tf.constant(4, tf.int64)
    from_emb = selector(user, pos, cands, 3.0, step)["indices"].numpy()
    from_scores = selector(user, pos, None, 3.0, step, cand_scores=scores)["indices"].numpy()
    np.testing.assert_array_equal(from_emb, from_scores)
    if method == "mixgcf":  # same mixing weight either way
        np.testing.assert_array_equal(selector(user, pos, cands, 3.0, step)["pos_weight"],
                                      selector(user, pos, None, 3.0, step,
                                               cand_scores=scores)["pos_weight"])
    with pytest.raises(ValueError, match="needs the candidate scores"):
        selector(user, pos, None, 3.0, step)
