"""The TFRS retrieval model trained with BPR and in-graph negative sampling."""

import tensorflow as tf
import tensorflow_recommenders as tfrs

from ahns_tf.models.losses import BPRLoss, l2_embedding_penalty
from ahns_tf.samplers.selector import gathered_candidate_scores


class NegativeSamplingRetrievalModel(tfrs.models.Model):
    """A `tfrs.models.Model` whose training step samples its own negatives.

    Each step, for a batch of (user, positive item) pairs:

    1. `candidate_sampler` draws M uninteracted items per user (first pass);
    2. `selector` picks the negative(s) among them without gradient (second
       pass: RNS, DNS, AHNS, ...);
    3. the loss is BPR (`BPRLoss`) plus the reference's L2 term on the
       embeddings that take part, ``l2 * (|e_u|^2 + |e_i+|^2 + |e_i-|^2) / 2 / B``.

    Everything is TensorFlow ops inside the step (no ``py_function``), so the
    step runs on a GPU unchanged. The metric ``hardness`` is the mean of
    ``s(u, i-) / s(u, i+)`` over pairs whose positive score is > 0 (the paper's
    definition assumes positive scores); ``pos_score`` is the mean positive score.

    Args:
        backbone: a layer with ``tables(training) -> (user_table, item_table)``,
            e.g. `MatrixFactorization`.
        candidate_sampler: an adapted `UninteractedCandidateSampler`.
        selector: a `NegativeSelector`.
        l2: weight of the L2 term. Defaults to 1e-4.
        steps_per_epoch: training steps per epoch; the current epoch
            (``iterations / steps_per_epoch``) is passed to the selector.
        loss: a pairwise loss called as ``loss(pos [B, 1], neg [B, K])``.
            Defaults to `BPRLoss()`.
        **kwargs: passed to `tfrs.models.Model`.

    Example:

    ```python
    model = NegativeSamplingRetrievalModel(mf, sampler, AdaptiveHardnessSelector(),
                                           steps_per_epoch=53)
    model.compile(tf.keras.optimizers.Adam(1e-3))
    model.fit(training_pairs, epochs=100, steps_per_epoch=53)
    ```
    """

    def __init__(self, backbone, candidate_sampler, selector, l2: float = 1e-4,
                 steps_per_epoch: int = 1, loss=None, **kwargs):
        super().__init__(**kwargs)
        if not float(l2) >= 0:
            raise ValueError(f"l2 must be >= 0, got {l2!r}")
        if int(steps_per_epoch) < 1:
            raise ValueError(f"steps_per_epoch must be >= 1, got {steps_per_epoch!r}")
        self.backbone = backbone
        self.candidate_sampler = candidate_sampler
        self.selector = selector
        self.l2 = float(l2)
        self.steps_per_epoch = int(steps_per_epoch)
        self.pairwise_loss = loss or BPRLoss()
        self.hardness = tf.keras.metrics.Mean(name="hardness")
        self.pos_score = tf.keras.metrics.Mean(name="pos_score")

    def _regularised(self, tables, users, pos_items, neg_items, e_user, e_pos, e_neg):
        """The embeddings the L2 term is on: the scored ones, or a graph backbone's
        layer-0 rows (its `ego_tables`), as the reference code's LightGCN does."""
        ego = getattr(self.backbone, "ego_tables", None)
        ego_users, ego_items = ego() if ego is not None else tables
        if ego_users is tables[0] and ego_items is tables[1]:
            return e_user, e_pos, e_neg   # scored on the layer-0 tables (MF, LightGCN L=0)
        return (tf.gather(ego_users, users), tf.gather(ego_items, pos_items),
                tf.gather(ego_items, neg_items))

    def compute_loss(self, inputs, training: bool = False) -> tf.Tensor:
        users, pos_items = inputs                                        # [B], [B]
        user_table, item_table = self.backbone.tables(training=training)
        step = self.optimizer.iterations if self.optimizer is not None else tf.constant(0, tf.int64)
        epoch = tf.cast(step, tf.float32) / float(self.steps_per_epoch)

        candidates = self.candidate_sampler(users, step)                  # [B, M]
        e_user = tf.gather(user_table, users)                             # [B, D]
        e_pos = tf.gather(item_table, pos_items)                          # [B, D]
        # Gather only what the selector reads (see NegativeSelector.candidate_input).
        e_cand = cand_scores = None
        needs = getattr(self.selector, "candidate_input", "embeddings")
        if needs == "embeddings":
            e_cand = tf.gather(item_table, candidates)                    # [B, M, D]
        elif needs == "scores":
            cand_scores = gathered_candidate_scores(item_table, candidates, e_user)  # [B, M]
        selection = self.selector(e_user, e_pos, e_cand, epoch, step, cand_scores=cand_scores)
        neg_items = tf.gather(candidates, selection["indices"], batch_dims=1)  # [B, K]
        # Gather the chosen negatives again from the table, so gradients reach
        # only the K chosen rows and not all M candidates.
        e_neg = tf.gather(item_table, neg_items)                          # [B, K, D]
        if "pos_weight" in selection:
            w = selection["pos_weight"][..., None]                        # [B, K, 1]
            e_neg = w * e_pos[:, None, :] + (1.0 - w) * e_neg

        pos_scores = tf.reduce_sum(e_user * e_pos, axis=1, keepdims=True)  # [B, 1]
        neg_scores = tf.einsum("bd,bkd->bk", e_user, e_neg)                # [B, K]
        loss = self.pairwise_loss(pos_scores, neg_scores)
        loss += l2_embedding_penalty(self.l2, *self._regularised(
            (user_table, item_table), users, pos_items, neg_items, e_user, e_pos, e_neg))
        aux = getattr(self.selector, "auxiliary_loss", None)
        if aux is not None:
            loss += aux(e_user, e_pos, e_neg)

        valid = tf.cast(pos_scores > 0, tf.float32)                        # [B, 1]
        ratio = tf.math.divide_no_nan(tf.reduce_mean(neg_scores, 1, keepdims=True), pos_scores)
        self.hardness.update_state(tf.stop_gradient(ratio), sample_weight=valid)
        self.pos_score.update_state(tf.stop_gradient(pos_scores))
        return loss
