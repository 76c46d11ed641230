"""One Keras layer that mines the negatives of a step: candidates, then selection."""

import tensorflow as tf

from ahns_tf.samplers.selector import gathered_candidate_scores


#: Counters per (step, replica) reserved for parameter-server workers (`replica_draw`): up to
#: 65536 workers, and step * replicas up to 2**47 before int64 overflows.
PS_WORKER_SLOTS = 2 ** 16


def replica_draw(step):
    """The counter of this replica's random draws at `step`: ``step * N + replica``.

    Under a `tf.distribute` strategy with N replicas in sync, each replica must
    draw its own candidates (and DNS(M, N)'s and MixGCF's random numbers), not
    N copies of the same ones. Every (step, replica) pair gets its own counter
    of the `ahns_tf.random_streams` streams, and no two pairs share one; with
    one replica the counter is the step itself, so single-device runs draw
    exactly what they drew before distribution existed.

    Under `tf.distribute.ParameterServerStrategy` the workers train
    asynchronously and several read the same step; worker w then uses
    ``(step * N + replica) * 2**16 + w`` (`PS_WORKER_SLOTS`; N is 1 on a CPU
    worker; its index is a call-time value of the closure the coordinator
    schedules), so no two workers share a counter at one step.

    Args:
        step: int scalar, the optimizer's iteration counter.

    Returns:
        int64 scalar.

    Example:

    ```python
    strategy.run(lambda: replica_draw(tf.constant(5, tf.int64)))  # 10 and 11 on 2 replicas
    ```
    """
    step = tf.cast(step, tf.int64)
    context = tf.distribute.get_replica_context()
    replicas = 1 if context is None else context.num_replicas_in_sync
    counter = step
    if replicas > 1:
        counter = step * replicas + tf.cast(context.replica_id_in_sync_group, tf.int64)
    if isinstance(tf.distribute.get_strategy(), tf.distribute.ParameterServerStrategy):
        # The strategy does not expose its worker count publicly; a fixed slot count does.
        worker = tf.distribute.coordinator.experimental_get_current_worker_index()  # int64 []
        counter = counter * PS_WORKER_SLOTS + worker
    return counter


@tf.keras.utils.register_keras_serializable(package="ahns_tf")
class NegativeMiner(tf.keras.layers.Layer):
    """Draws M uninteracted candidates per pair and picks the negative(s) among them.

    The two passes of Algorithm 1 as one layer: the candidate sampler draws
    ``num_candidates`` (M) items uniformly among the user's uninteracted items
    (lines 5-9), and the selector picks among them without gradient (lines
    10-15: AHNS's Eq. 2-3, DNS, RNS, ...). The candidates are read from the item
    table only as far as the selector needs them (their scores, their
    embeddings, or nothing, `NegativeSelector.candidate_input`), always through
    `tf.nn.embedding_lookup`, which reads only the needed rows of a table
    sharded over parameter servers. Random draws use `replica_draw`, so each
    replica draws its own candidates.

    Args:
        candidate_sampler: an `UninteractedCandidateSampler` (adapted before
            the first call; `get_config` stores its settings, not the data).
        selector: a `NegativeSelector`.
        **kwargs: passed to `tf.keras.layers.Layer`.

    Example:

    ```python
    miner = NegativeMiner(sampler, AdaptiveHardnessSelector(alpha=1.0, beta=0.1, p=-2))
    mined = miner(users, user_emb, pos_emb, item_table, step=step, epoch=epoch)
    mined["negatives"]  # int64 [batch_size, 1] item ids
    ```
    """

    def __init__(self, candidate_sampler, selector, **kwargs):
        super().__init__(**kwargs)
        self.candidate_sampler = candidate_sampler
        self.selector = selector

    def call(self, users, user_emb, pos_emb, item_table, step, epoch=None):
        """Mines negatives.

        Args:
            users: int [B] user ids.
            user_emb: [B, D] user embeddings.
            pos_emb: [B, D] positive item embeddings.
            item_table: [num_items, D] item table (a variable, a sharded
                variable or a tensor).
            step: int scalar training step.
            epoch: float scalar, 0-based epoch (curriculum selectors).

        Returns:
            A dict: ``"negatives"``, int64 [B, K] item ids, and, when the
            selector mixes (MixGCF), ``"pos_weight"`` [B, K].
        """
        draw = replica_draw(step)
        candidates = self.candidate_sampler(users, draw)                     # [B, M]
        e_cand = cand_scores = None
        needs = getattr(self.selector, "candidate_input", "embeddings")
        if needs == "embeddings":
            e_cand = tf.nn.embedding_lookup(item_table, candidates)         # [B, M, D]
        elif needs == "scores":
            cand_scores = gathered_candidate_scores(item_table, candidates, user_emb)  # [B, M]
        selection = self.selector(user_emb, pos_emb, e_cand, epoch, draw,
                                  cand_scores=cand_scores)
        mined = {"negatives": tf.gather(candidates, selection["indices"], batch_dims=1)}
        if "pos_weight" in selection:
            mined["pos_weight"] = selection["pos_weight"]                    # [B, K]
        return mined

    def get_config(self):
        config = super().get_config()
        config.update({"candidate_sampler": tf.keras.layers.serialize(self.candidate_sampler),
                       "selector": tf.keras.layers.serialize(self.selector)})
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for name in ("candidate_sampler", "selector"):
            config[name] = tf.keras.layers.deserialize(config[name])
        return cls(**config)
