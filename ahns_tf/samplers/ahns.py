"""AHNS_{p<0}: adaptive hardness negative sampling (Lai et al., AAAI 2024)."""

import tensorflow as tf

from ahns_tf.samplers.selector import NegativeSelector

#: Stand-in for ``s(u, i+) + alpha`` where Eq. (2)'s power has no real value; see
#: `ideal_negative_score`.
MIN_BASE = 1e-6


def ideal_negative_score(pos_score, alpha: float, beta: float, p: float):
    """Score the ideal negative should have: ``beta * (s(u, i+) + alpha)^(p + 1)``.

    This is Eq. (4) of the paper, evaluated as written wherever the power is a
    real number, as the reference code does: for every base ``s + alpha > 0``,
    and for a negative base when ``p + 1`` is a whole number (p = -1, -2, ...).
    For p = -2 and ``s + alpha < 0`` the target ``beta / (s + alpha)`` is
    negative, so the lowest-scoring candidate is chosen for a positive the
    model ranks very badly. Where the power has no real value (a negative base
    with fractional p, or a base of exactly 0) the base is replaced by
    `MIN_BASE` (1e-6), the limit ``s + alpha -> 0+``: for p < -1 a huge
    target, i.e. the hardest candidate.

    Args:
        pos_score: [...] positive scores ``e_u . e_{i+}``.
        alpha: > 0.
        beta: > 0.
        p: < 0.

    Returns:
        [...] target scores, same shape as `pos_score`.

    Example:

    ```python
    ideal_negative_score(tf.constant([0.4, -0.3]), alpha=0.1, beta=0.4, p=-2)
    # -> [0.8, -2.0]: 0.4 / (0.4 + 0.1) and 0.4 / (-0.3 + 0.1)
    ```
    """
    base = pos_score + alpha
    exponent = float(p) + 1.0
    if exponent.is_integer():
        real = tf.not_equal(base, 0.0)        # negative bases have real whole powers
    else:
        real = base > 0.0
    base = tf.where(real, base, tf.constant(MIN_BASE, base.dtype))
    return beta * tf.pow(base, exponent)


@tf.keras.utils.register_keras_serializable(package="ahns_tf")
class AdaptiveHardnessSelector(NegativeSelector):
    """Picks the candidate whose score is closest to ``beta * (s(u,i+) + alpha)^(p+1)``.

    Implements Eq. (2)-(3) / Algorithm 1, lines 10-15:
    ``r_m = |e_u . e_{i_m} - beta * (e_u . e_{i+} + alpha)^(p+1)|`` and
    ``i- = i_{argmin_m r_m}``. The hardness of the ideal negative,
    ``beta * (s + alpha)^p``, falls as the positive score ``s`` rises
    (Theorem 1). Ties go to the first candidate. No gradient flows through
    the selection. See `ideal_negative_score` for ``s + alpha <= 0``.

    Args:
        alpha: shifts the positive score; > 0. Defaults to 1.0.
        beta: scales the target score; > 0. Defaults to 0.1.
        p: smoothing power; < 0. Defaults to -2.
        **kwargs: passed to `tf.keras.layers.Layer`.

    Example:

    ```python
    selector = AdaptiveHardnessSelector(alpha=1.0, beta=0.1, p=-2)
    selector(user_emb, pos_emb, cand_emb)["indices"]  # [B, 1]
    ```
    """

    candidate_input = "scores"

    def __init__(self, alpha: float = 1.0, beta: float = 0.1, p: float = -2.0, **kwargs):
        super().__init__(**kwargs)
        for name, value in (("alpha", alpha), ("beta", beta)):
            if not float(value) > 0:  # also rejects NaN
                raise ValueError(f"AHNS needs {name} > 0, got {name}={value!r}")
        if not float(p) < 0:
            raise ValueError(f"AHNS needs p < 0, got p={p!r}")
        self.alpha, self.beta, self.p = float(alpha), float(beta), float(p)

    def select(self, user_emb, pos_emb, cand_emb, epoch):
        # Ratings in float64: a base near 0 makes the target huge (up to beta * 1e6
        # for p = -2), where float32 could no longer tell candidate scores apart.
        pos_score = tf.reduce_sum(user_emb * pos_emb, axis=1, keepdims=True)     # [B, 1]
        target = ideal_negative_score(tf.cast(pos_score, tf.float64), self.alpha, self.beta,
                                      self.p)                                    # [B, 1]
        scores = tf.cast(self.scores_of(user_emb, cand_emb), tf.float64)       # [B, M]
        rating = tf.abs(scores - target)                                         # [B, M], Eq. 2
        return {"indices": tf.argmin(rating, axis=1)[:, None]}                  # [B, 1], Eq. 3

    def get_config(self):
        config = super().get_config()
        config.update({"alpha": self.alpha, "beta": self.beta, "p": self.p})
        return config
