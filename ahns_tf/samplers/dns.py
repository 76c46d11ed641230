"""DNS: dynamic negative sampling (Zhang et al., 2013)."""

import tensorflow as tf

from ahns_tf.samplers.selector import NegativeSelector


@tf.keras.utils.register_keras_serializable(package="ahns_tf")
class DynamicSelector(NegativeSelector):
    """Picks the candidate with the highest score ``e_u . e_i`` (the hardest).

    Example:

    ```python
    DynamicSelector()(user_emb, pos_emb, cand_emb)["indices"]  # [B, 1]
    ```
    """

    candidate_input = "scores"

    def select(self, user_emb, pos_emb, cand_emb, epoch):
        scores = self.scores_of(user_emb, cand_emb)                  # [B, M]
        return {"indices": tf.argmax(scores, axis=1)[:, None]}        # [B, 1]
