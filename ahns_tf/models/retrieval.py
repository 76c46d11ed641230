"""The TFRS retrieval model trained with BPR and in-graph negative sampling."""

import tensorflow as tf
import tensorflow_recommenders as tfrs

from ahns_tf.models.backbones import Backbone
from ahns_tf.models.task import BPRTask
from ahns_tf.samplers.mining import NegativeMiner


class NegativeSamplingRetrievalModel(tfrs.models.Model):
    """A `tfrs.models.Model` whose training step samples its own negatives.

    Each step, for a batch of (user, positive item) pairs:

    1. `candidate_sampler` draws M uninteracted items per user (first pass);
    2. `selector` picks the negative(s) among them without gradient (second
       pass: RNS, DNS, AHNS, ...);
    3. the loss is BPR (`BPRLoss`) plus the reference's L2 term on the
       embeddings that take part, ``l2 * (|e_u|^2 + |e_i+|^2 + |e_i-|^2) / 2 / B``.

    As TFRS separates them, the model holds the towers (`backbone`), one layer
    that mines the negatives (`NegativeMiner`: steps 1-2) and a task
    (`BPRTask`: step 3 and the metrics). The L2 term is a Keras loss the task
    registers (``model.losses``); `compute_loss` returns the whole objective
    and the epoch line shows ``loss`` (that objective, at the last step),
    ``hardness`` and ``pos_score``.

    Everything is TensorFlow ops inside the step (no ``py_function``), so the
    step runs on a GPU unchanged, and under any `tf.distribute` strategy: every
    table read is a `tf.nn.embedding_lookup` (which reads only the needed rows
    of a table sharded over parameter servers), the loss is summed per replica
    and divided by the global batch, and each replica draws its own
    candidates. The metric ``hardness`` is the mean of
    ``s(u, i-) / s(u, i+)`` over pairs whose positive score is > 0 (the paper's
    definition assumes positive scores); ``pos_score`` is the mean positive score.

    Args:
        backbone: a `Backbone` (``tables(training) -> (user_table, item_table)``),
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
        self.miner = NegativeMiner(candidate_sampler, selector)
        self.task = BPRTask(l2, loss)
        self.l2 = float(l2)
        self.steps_per_epoch = int(steps_per_epoch)
        # train_step returns global values on every replica (the loss all-reduced,
        # the metrics synchronised): Keras must report one replica's, not sum them.
        self.distribute_reduction_method = "first"

    @property
    def candidate_sampler(self):
        """The miner's `UninteractedCandidateSampler`."""
        return self.miner.candidate_sampler

    @property
    def selector(self):
        """The miner's `NegativeSelector`."""
        return self.miner.selector

    def _regularised(self, tables, users, pos_items, neg_items, e_user, e_pos, e_neg):
        """The embeddings the L2 term is on: the scored ones, or a graph backbone's
        layer-0 rows (its `ego_tables`), as the reference code's LightGCN does."""
        if type(self.backbone).ego_tables is Backbone.ego_tables:
            return e_user, e_pos, e_neg   # the contract's default: on what is scored
        ego_users, ego_items = self.backbone.ego_tables()
        if ego_users is tables[0] and ego_items is tables[1]:
            return e_user, e_pos, e_neg   # scored on the layer-0 tables (MF, LightGCN L=0)
        return (tf.nn.embedding_lookup(ego_users, users),
                tf.nn.embedding_lookup(ego_items, pos_items),
                tf.nn.embedding_lookup(ego_items, neg_items))

    def compute_loss(self, inputs, training: bool = False) -> tf.Tensor:
        """This replica's share of the objective: BPR + L2 (+ a selector's auxiliary loss).

        Args:
            inputs: ``(users [B], pos_items [B])`` int ids.
            training: passed to the backbone.

        Returns:
            A scalar; summed over the replicas of a strategy it is the mean
            over the global batch (on one device: the mean over the batch).
        """
        users, pos_items = inputs                                        # [B], [B]
        user_table, item_table = self.backbone.tables(training=training)
        step = self.optimizer.iterations if self.optimizer is not None else tf.constant(0, tf.int64)
        epoch = tf.cast(step, tf.float32) / float(self.steps_per_epoch)

        e_user = tf.nn.embedding_lookup(user_table, users)                # [B, D]
        e_pos = tf.nn.embedding_lookup(item_table, pos_items)             # [B, D]
        mined = self.miner(users, e_user, e_pos, item_table, step=step, epoch=epoch)
        neg_items = mined["negatives"]                                    # [B, K]
        # Look the chosen negatives up again from the table, so gradients reach
        # only the K chosen rows and not all M candidates.
        e_neg = tf.nn.embedding_lookup(item_table, neg_items)             # [B, K, D]
        if "pos_weight" in mined:
            w = mined["pos_weight"][..., None]                            # [B, K, 1]
            e_neg = w * e_pos[:, None, :] + (1.0 - w) * e_neg

        pos_scores = tf.reduce_sum(e_user * e_pos, axis=1, keepdims=True)  # [B, 1]
        neg_scores = tf.einsum("bd,bkd->bk", e_user, e_neg)                # [B, K]
        aux = getattr(self.selector, "auxiliary_loss", None)
        loss = self.task(
            pos_scores, neg_scores,
            regularized=self._regularised((user_table, item_table), users, pos_items,
                                          neg_items, e_user, e_pos, e_neg),
            auxiliary_loss=None if aux is None else aux(e_user, e_pos, e_neg),
            global_batch_size=global_batch_size(tf.shape(users)[0]))
        for extra in self.task.losses:  # the L2 term, then the auxiliary loss
            loss += extra
        return loss

    def train_step(self, inputs):
        """One step; logs the objective and the metrics, not TFRS's regularization_loss
        (the L2 term is inside ``loss``) nor a duplicate total_loss."""
        with tf.GradientTape() as tape:
            loss = self.compute_loss(inputs, training=True)
        gradients = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_variables))
        logs = {metric.name: metric.result() for metric in self.metrics}
        context = tf.distribute.get_replica_context()
        if context is not None and context.num_replicas_in_sync > 1:
            # The global objective on every replica (the metrics are synchronised
            # already), so Keras can report the first replica's values.
            loss = context.all_reduce(tf.distribute.ReduceOp.SUM, loss)
        logs["loss"] = loss
        return logs


def global_batch_size(local_batch_size):
    """Pairs in this step over all replicas in sync (the local batch on one device).

    The last batch of an epoch is smaller and may split unevenly (7 pairs as 4 +
    3), so the global batch is summed over the replicas rather than taken as
    ``local x replicas``; on one replica it is the local batch, so a single
    device computes exactly what it did without a strategy.

    Args:
        local_batch_size: int32 scalar, this replica's pairs.

    Returns:
        int32 scalar, or None on one replica (meaning: the local batch).
    """
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return None
    return context.all_reduce(tf.distribute.ReduceOp.SUM, local_batch_size)
