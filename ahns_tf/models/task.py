"""The BPR task: the loss of a step and its metrics, as `tfrs.tasks` separates them."""

import tensorflow as tf

from ahns_tf.models.losses import BPRLoss, l2_embedding_penalty


@tf.keras.utils.register_keras_serializable(package="ahns_tf")
class BPRTask(tf.keras.layers.Layer):
    """BPR (Eq. 1) on (positive, selected negative) scores, L2 term and hardness.

    Like `tfrs.tasks.Retrieval`, a layer that turns the scores of a step into
    its loss and updates the metrics. The loss is summed per replica and
    divided by the *global* batch (`tf.nn.compute_average_loss`), so N replicas
    of B / N pairs each produce, summed, the mean over the global batch of B
    pairs: the same objective, and the same gradient, as one device. On one
    device this is exactly Keras' mean reduction (same value, same bits). The
    reference code's L2 term ``l2 * sum |e|^2 / 2 / B`` is scaled by the same
    global B and registered with `add_loss` (it appears in ``model.losses``),
    followed by an optional auxiliary loss (DENS's), likewise scaled.

    Metrics: ``hardness``, the paper's ``s(u, i-) / s(u, i+)`` averaged over
    pairs with a positive score > 0, and ``pos_score``, the mean positive score.

    Args:
        l2: weight of the L2 term. Defaults to 1e-4.
        loss: a `tf.keras.losses.Loss` whose ``call(pos [B, 1], neg [B, K])``
            returns per-pair losses [B]; its own reduction is not used.
            Defaults to `BPRLoss()`.
        **kwargs: passed to `tf.keras.layers.Layer`.

    Example:

    ```python
    task = BPRTask(l2=1e-4)
    loss = task(pos_scores, neg_scores, regularized=(e_user, e_pos, e_neg))  # scalar
    task.losses      # [the L2 term]
    task.hardness.result()
    ```
    """

    def __init__(self, l2: float = 1e-4, loss=None, **kwargs):
        super().__init__(**kwargs)
        if not float(l2) >= 0:
            raise ValueError(f"l2 must be >= 0, got {l2!r}")
        self.l2 = float(l2)
        self.pairwise_loss = loss or BPRLoss()
        self.hardness = tf.keras.metrics.Mean(name="hardness")
        self.pos_score = tf.keras.metrics.Mean(name="pos_score")

    def call(self, pos_scores, neg_scores, regularized=(), auxiliary_loss=None,
             global_batch_size=None):
        """Returns the BPR loss of this replica's pairs, scaled by the global batch.

        Args:
            pos_scores: [B, 1] positive scores.
            neg_scores: [B, K] scores of the selected negatives.
            regularized: embeddings the L2 term is on, each [B, ...].
            auxiliary_loss: optional scalar, a mean over this replica's B pairs
                (e.g. DENS's disentangling loss); added as a loss scaled to the
                global batch.
            global_batch_size: int scalar, pairs in the step over all replicas.
                Defaults to B (one replica).

        Returns:
            A scalar: ``sum_b loss_b / global_batch_size``.
        """
        per_pair = self.pairwise_loss.call(pos_scores, neg_scores)          # [B]
        local = tf.shape(per_pair)[0]
        batch = local if global_batch_size is None else global_batch_size
        loss = tf.nn.compute_average_loss(per_pair, global_batch_size=batch)
        if regularized:
            self.add_loss(l2_embedding_penalty(self.l2, *regularized, batch_size=batch))
        if auxiliary_loss is not None:
            if global_batch_size is not None:  # a mean over B -> its share of the global mean
                auxiliary_loss *= tf.cast(local, auxiliary_loss.dtype) / tf.cast(
                    batch, auxiliary_loss.dtype)
            self.add_loss(auxiliary_loss)
        valid = tf.cast(pos_scores > 0, tf.float32)                             # [B, 1]
        ratio = tf.math.divide_no_nan(tf.reduce_mean(neg_scores, 1, keepdims=True), pos_scores)
        self.hardness.update_state(tf.stop_gradient(ratio), sample_weight=valid)
        self.pos_score.update_state(tf.stop_gradient(pos_scores))
        return loss

    def get_config(self):
        config = super().get_config()
        config.update({"l2": self.l2,
                       "loss": tf.keras.losses.serialize(self.pairwise_loss)})
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["loss"] = tf.keras.losses.deserialize(config["loss"])
        return cls(**config)
