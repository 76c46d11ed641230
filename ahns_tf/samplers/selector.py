"""The interface every negative selector (the second sampling pass) shares."""

import tensorflow as tf


def candidate_scores(user_emb, cand_emb):
    """Inner-product scores of every candidate.

    Args:
        user_emb: [batch_size, dim] user embeddings.
        cand_emb: [batch_size, num_candidates, dim] candidate item embeddings.

    Returns:
        [batch_size, num_candidates] scores ``e_u . e_i``.
    """
    return tf.linalg.matvec(cand_emb, user_emb)  # faster than einsum here


class NegativeSelector(tf.keras.layers.Layer):
    """Base class: picks negatives among candidates, with no gradient.

    Subclasses implement `select`. The model gathers the chosen items'
    embeddings from the item table itself, so gradients reach only the chosen
    negatives (as in the reference code, where indices are detached).

    `call` returns a dict:
      * ``"indices"``: int [batch_size, num_negatives] positions in the
        candidate list;
      * ``"pos_weight"`` (optional): float [batch_size, num_negatives]; when
        present the negative used in the loss is
        ``w * e_pos + (1 - w) * e_neg`` (MixGCF's positive mixing).

    Args:
        **kwargs: passed to `tf.keras.layers.Layer`.
    """

    #: Number of negatives per positive pair that `select` returns.
    num_negatives = 1

    def call(self, user_emb, pos_emb, cand_emb, epoch=None, step=None):
        """Selects negatives.

        Args:
            user_emb: [batch_size, dim] user embeddings.
            pos_emb: [batch_size, dim] positive item embeddings.
            cand_emb: [batch_size, num_candidates, dim] candidate embeddings.
            epoch: float scalar, 0-based epoch (fraction allowed); used by
                curriculum selectors.
            step: int scalar training step; seeds random selectors statelessly.

        Returns:
            The selection dict described in the class docstring.
        """
        user_emb, pos_emb, cand_emb = (tf.stop_gradient(t) for t in (user_emb, pos_emb, cand_emb))
        self._step = tf.constant(0, tf.int64) if step is None else tf.cast(step, tf.int64)
        return self.select(user_emb, pos_emb, cand_emb, epoch)

    def select(self, user_emb, pos_emb, cand_emb, epoch):
        raise NotImplementedError

    def stateless_seed(self, salt: int):
        """A [2] seed from the layer's `seed`, the current step and `salt`."""
        return tf.stack([tf.constant(getattr(self, "seed", 0) * 1000003 + salt, tf.int64),
                         self._step])
