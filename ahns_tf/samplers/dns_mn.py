"""DNS(M, N): uniform choice among the top N of M candidates (Shi et al., WWW 2023)."""

import tensorflow as tf

from ahns_tf.samplers.selector import NegativeSelector


@tf.keras.utils.register_keras_serializable(package="ahns_tf")
class TopNRandomSelector(NegativeSelector):
    """Ranks the M candidates by score and picks one of the top N uniformly.

    N = 1 is DNS; N = M is RNS. The random pick is stateless, keyed on
    (seed, training step).

    Args:
        top_n: N, 1 <= N <= M. Defaults to 1.
        seed: integer seed. Defaults to 0.
        **kwargs: passed to `tf.keras.layers.Layer`.

    Example:

    ```python
    TopNRandomSelector(top_n=4, seed=1)(u, p, cands, step=step)["indices"]  # [B, 1]
    ```
    """

    candidate_input = "scores"

    def __init__(self, top_n: int = 1, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        if int(top_n) < 1:
            raise ValueError(f"DNS(M, N) needs top_n >= 1, got {top_n!r}")
        self.top_n, self.seed = int(top_n), int(seed)

    def select(self, user_emb, pos_emb, cand_emb, epoch):
        scores = self.scores_of(user_emb, cand_emb)                         # [B, M]
        top = tf.math.top_k(scores, k=self.top_n).indices                    # [B, N]
        pick = tf.random.stateless_uniform([tf.shape(scores)[0], 1],
                                           self.stateless_seed("dns_mn"),
                                           minval=0, maxval=self.top_n, dtype=tf.int32)
        return {"indices": tf.cast(tf.gather(top, pick, batch_dims=1), tf.int64)}  # [B, 1]

    def get_config(self):
        config = super().get_config()
        config.update({"top_n": self.top_n, "seed": self.seed})
        return config
