"""SSM: sampled softmax over several uniform negatives (Wu et al., 2022)."""

import tensorflow as tf

from ahns_tf.samplers.selector import NegativeSelector


@tf.keras.utils.register_keras_serializable(package="ahns_tf")
class SampledSoftmaxSelector(NegativeSelector):
    """Uses all K uniformly drawn candidates as negatives.

    With K negatives the model's `BPRLoss` becomes the sampled-softmax loss
    ``log(1 + sum_k exp((s_k - s_pos) / temperature))``. Draw the candidates
    with ``num_candidates = num_negatives``.

    Args:
        num_negatives: K. Defaults to 4.
        **kwargs: passed to `tf.keras.layers.Layer`.

    Example:

    ```python
    SampledSoftmaxSelector(num_negatives=8)(u, p, cands)["indices"]  # [[0..7], ...]
    ```
    """

    candidate_input = "none"

    def __init__(self, num_negatives: int = 4, **kwargs):
        super().__init__(**kwargs)
        if int(num_negatives) < 1:
            raise ValueError(f"SSM needs num_negatives >= 1, got {num_negatives!r}")
        self.num_negatives = int(num_negatives)

    def select(self, user_emb, pos_emb, cand_emb, epoch):
        if cand_emb is not None:
            tf.debugging.assert_greater_equal(tf.shape(cand_emb)[1], self.num_negatives,
                                              "SSM needs num_candidates >= num_negatives")
        indices = tf.range(self.num_negatives, dtype=tf.int64)[None, :]     # [1, K]
        return {"indices": tf.tile(indices, [tf.shape(user_emb)[0], 1])}     # [B, K]

    def get_config(self):
        config = super().get_config()
        config["num_negatives"] = self.num_negatives
        return config
