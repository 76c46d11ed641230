"""AHNS_{p<0}: adaptive hardness negative sampling (Lai et al., AAAI 2024)."""

import tensorflow as tf

from ahns_tf.samplers.selector import NegativeSelector

#: Floor of ``s(u, i+) + alpha`` before the power in Eq. (2); see `AdaptiveHardnessSelector`.
MIN_BASE = 1e-6


def ideal_negative_score(pos_score, alpha: float, beta: float, p: float):
    """Score the ideal negative should have: ``beta * (s(u, i+) + alpha)^(p + 1)``.

    This is Eq. (4) of the paper. The base ``s(u, i+) + alpha`` is floored at
    `MIN_BASE` (1e-6): the power is then defined for every positive score, and
    a positive scored at or below ``-alpha`` is treated as the limit
    ``s + alpha -> 0+``. For p < -1 that target is huge, so the hardest
    candidate is chosen (like DNS), which is what criterion C2 asks for a
    badly-ranked positive; for -1 <= p < 0 it is ``beta`` (p = -1) or ~0.

    Args:
        pos_score: [...] positive scores ``e_u . e_{i+}``.
        alpha: > 0.
        beta: > 0.
        p: < 0.

    Returns:
        [...] target scores, same shape as `pos_score`.
    """
    base = tf.maximum(pos_score + alpha, MIN_BASE)
    return beta * tf.pow(base, p + 1.0)


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
        # Ratings in float64: a floored base makes the target huge (beta * 1e6 for
        # p = -2), where float32 could no longer tell candidate scores apart.
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
