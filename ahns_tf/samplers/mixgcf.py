"""MixGCF positive mixing for an MF backbone (Huang et al., KDD 2021)."""

import tensorflow as tf

from ahns_tf.samplers.selector import NegativeSelector


@tf.keras.utils.register_keras_serializable(package="ahns_tf")
class PositiveMixingSelector(NegativeSelector):
    """Synthesises ``a * e_pos + (1 - a) * e_cand`` and keeps the hardest.

    One ``a ~ U(0, 1)`` per positive pair (as in the reference code), shared by
    its M candidates; the mixed candidate with the highest score is selected
    and the *mixed embedding* is the negative in the loss (returned as
    ``pos_weight = a``). With an MF backbone there are no hops to mix.

    Args:
        seed: integer seed. Defaults to 0.
        **kwargs: passed to `tf.keras.layers.Layer`.

    Example:

    ```python
    sel = PositiveMixingSelector(seed=1)(u, p, cands, step=step)
    sel["indices"], sel["pos_weight"]  # [B, 1], [B, 1]
    ```
    """

    def __init__(self, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.seed = int(seed)

    candidate_input = "scores"

    def select(self, user_emb, pos_emb, cand_emb, epoch):
        a = tf.random.stateless_uniform([tf.shape(user_emb)[0], 1], self.stateless_seed("mixgcf"),
                                        dtype=user_emb.dtype)                     # [B, 1]
        # The score is linear in the embedding, so the mixed candidates' scores
        # are the mixed scores: u . (a e+ + (1-a) e_m) = a s+ + (1-a) s_m.
        pos_score = tf.reduce_sum(user_emb * pos_emb, axis=1, keepdims=True)       # [B, 1]
        mixed = a * pos_score + (1.0 - a) * self.scores_of(user_emb, cand_emb)    # [B, M]
        best = tf.argmax(mixed, axis=1)[:, None]                                  # [B, 1]
        return {"indices": best, "pos_weight": a}

    def get_config(self):
        config = super().get_config()
        config["seed"] = self.seed
        return config
