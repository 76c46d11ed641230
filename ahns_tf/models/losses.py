"""Pairwise ranking losses on (positive score, negative scores)."""

import tensorflow as tf


@tf.keras.utils.register_keras_serializable(package="ahns_tf")
class BPRLoss(tf.keras.losses.Loss):
    """BPR loss (Eq. 1), extended to K negatives as in the reference code.

    Per positive pair: ``log(1 + sum_k exp(s_k - s_pos))``; with one negative
    this is ``-ln sigmoid(s_pos - s_neg) = softplus(s_neg - s_pos)``. With
    K > 1 it is the sampled-softmax loss (SSM). Computed stably as
    ``softplus(logsumexp_k(s_k - s_pos))``. The default reduction averages
    over the batch.

    Call it as ``loss(pos_scores, neg_scores)``:
        pos_scores: [batch_size, 1] scores of the positives (``y_true`` slot).
        neg_scores: [batch_size, K] scores of the negatives (``y_pred`` slot).

    Args:
        temperature: scores are divided by it. Defaults to 1.0.
        **kwargs: passed to `tf.keras.losses.Loss`.

    Example:

    ```python
    BPRLoss()(tf.constant([[2.0]]), tf.constant([[0.0]]))  # softplus(-2) = 0.1269
    ```
    """

    def __init__(self, temperature: float = 1.0, **kwargs):
        kwargs.setdefault("name", "bpr")
        super().__init__(**kwargs)
        if not float(temperature) > 0:
            raise ValueError(f"temperature must be > 0, got {temperature!r}")
        self.temperature = float(temperature)

    def call(self, y_true, y_pred):
        margins = (y_pred - y_true) / self.temperature                  # [B, K]
        return tf.nn.softplus(tf.reduce_logsumexp(margins, axis=1))     # [B]

    def get_config(self):
        config = super().get_config()
        config["temperature"] = self.temperature
        return config


def l2_embedding_penalty(l2: float, *embeddings, batch_size=None):
    """The reference code's L2 term: ``l2 * sum ||e||^2 / 2 / batch_size``.

    Args:
        l2: weight.
        *embeddings: tensors whose first axis is the batch, e.g. user [B, D],
            positive [B, D] and negative [B, K, D] embeddings.
        batch_size: the divisor; defaults to B. Under a `tf.distribute`
            strategy, pass the global batch so the replicas' terms sum to the
            term of the whole batch.

    Returns:
        A scalar.

    Example:

    >>> float(l2_embedding_penalty(0.5, tf.ones([2, 3])))  # 0.5 * 6 / 2 / 2
    0.75
    """
    dtype = embeddings[0].dtype
    if batch_size is None:
        batch_size = tf.shape(embeddings[0])[0]
    batch_size = tf.cast(batch_size, dtype)
    squares = tf.add_n([tf.reduce_sum(tf.square(e)) for e in embeddings])
    return l2 * squares / 2.0 / batch_size
