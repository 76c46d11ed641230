"""RNS: random negative sampling (Rendle et al., 2009)."""

import tensorflow as tf

from ahns_tf.samplers.selector import NegativeSelector


@tf.keras.utils.register_keras_serializable(package="ahns_tf")
class RandomSelector(NegativeSelector):
    """Takes the first candidate, which is already uniform over uninteracted items.

    With `UninteractedCandidateSampler` drawing candidates uniformly, BPR's
    random negative sampling needs no scoring: use ``num_candidates=1``.

    Example:

    ```python
    RandomSelector()(user_emb, pos_emb, cand_emb)["indices"]  # zeros [B, 1]
    ```
    """

    candidate_input = "none"

    def select(self, user_emb, pos_emb, cand_emb, epoch):
        return {"indices": tf.zeros([tf.shape(user_emb)[0], 1], tf.int64)}
