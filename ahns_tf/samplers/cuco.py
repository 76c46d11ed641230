"""CuCo: curriculum negative sampling, hard to easy (Chu et al., IJCAI 2021)."""

import tensorflow as tf

from ahns_tf.samplers.selector import NegativeSelector


@tf.keras.utils.register_keras_serializable(package="ahns_tf")
class CurriculumSelector(NegativeSelector):
    """Takes the highest score among a candidate pool that shrinks from M to 1.

    In epoch ``e`` (0-based) only the first ``max(1, floor((1 - e / epochs) * M))``
    candidates compete, as in the reference code: hard negatives early
    (DNS over M), random ones at the end (RNS).

    Args:
        epochs: the planned number of epochs.
        **kwargs: passed to `tf.keras.layers.Layer`.

    Example:

    ```python
    CurriculumSelector(epochs=100)(u, p, cands, epoch=tf.constant(50.0))["indices"]
    ```
    """

    candidate_input = "scores"

    def __init__(self, epochs: int = 100, **kwargs):
        super().__init__(**kwargs)
        if int(epochs) < 1:
            raise ValueError(f"CuCo needs epochs >= 1, got {epochs!r}")
        self.epochs = int(epochs)

    def select(self, user_emb, pos_emb, cand_emb, epoch):
        scores = self.scores_of(user_emb, cand_emb)                         # [B, M]
        m = tf.cast(tf.shape(scores)[1], tf.float32)
        epoch = tf.floor(tf.cast(0.0 if epoch is None else epoch, tf.float32))
        pool = tf.maximum(1.0, tf.floor((1.0 - epoch / self.epochs) * m))     # scalar
        active = tf.range(tf.shape(scores)[1], dtype=tf.float32) < pool      # [M]
        masked = tf.where(active[None, :], scores, tf.fill(tf.shape(scores), -float("inf")))
        return {"indices": tf.argmax(masked, axis=1)[:, None]}               # [B, 1]

    def get_config(self):
        config = super().get_config()
        config["epochs"] = self.epochs
        return config
