"""The interface every negative selector (the second sampling pass) shares."""

import tensorflow as tf

from ahns_tf.random_streams import stream_seed


def candidate_scores(user_emb, cand_emb):
    """Inner-product scores of every candidate.

    Args:
        user_emb: [batch_size, dim] user embeddings.
        cand_emb: [batch_size, num_candidates, dim] candidate item embeddings.

    Returns:
        [batch_size, num_candidates] scores ``e_u . e_i``.
    """
    # A batched [M, D] x [D, 1] matmul: faster on CPU than matvec or einsum.
    return tf.squeeze(tf.matmul(cand_emb, user_emb[:, :, None]), -1)


def gathered_candidate_scores(item_table, candidates, user_emb, chunk: int = 8):
    """`candidate_scores` of ``tf.nn.embedding_lookup(item_table, candidates)``, chunk by chunk.

    Gathering and scoring ``chunk`` candidates at a time keeps each gathered
    block ([batch_size, chunk, dim]) in cache instead of writing the whole
    [batch_size, M, dim] tensor to memory and reading it back; the scores are
    the same.

    Args:
        item_table: [num_items, dim] item embeddings.
        candidates: int [batch_size, M] item ids.
        user_emb: [batch_size, dim] user embeddings.
        chunk: candidates per block. Defaults to 8.

    Returns:
        [batch_size, M] scores.

    Example:

    ```python
    gathered_candidate_scores(item_table, candidate_ids, user_emb)  # [B, M]
    ```
    """
    m = candidates.shape[1]
    if m is None or m <= chunk:
        return candidate_scores(user_emb, tf.nn.embedding_lookup(item_table, candidates))
    sizes = [chunk] * (m // chunk) + ([m % chunk] if m % chunk else [])
    return tf.concat([candidate_scores(user_emb, tf.nn.embedding_lookup(item_table, ids))
                      # [B, chunk] each
                      for ids in tf.split(candidates, sizes, axis=1)], axis=1)


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
    #: What `select` reads of the candidates: "embeddings" (the [B, M, D]
    #: tensor), "scores" (only their scores, `scores_of`), or "none" (only the
    #: candidate positions). The model gathers no more than that: scores are
    #: then computed block by block (`gathered_candidate_scores`).
    candidate_input = "embeddings"

    def call(self, user_emb, pos_emb, cand_emb=None, epoch=None, step=None, cand_scores=None):
        """Selects negatives.

        Args:
            user_emb: [batch_size, dim] user embeddings.
            pos_emb: [batch_size, dim] positive item embeddings.
            cand_emb: [batch_size, num_candidates, dim] candidate embeddings;
                may be None when `cand_scores` is given and the selector's
                `candidate_input` is not "embeddings".
            epoch: float scalar, 0-based epoch (fraction allowed); used by
                curriculum selectors.
            step: int scalar training step; seeds random selectors statelessly.
            cand_scores: optional [batch_size, num_candidates] candidate
                scores ``e_u . e_i``, used instead of computing them.

        Returns:
            The selection dict described in the class docstring.
        """
        if cand_emb is None and (self.candidate_input == "embeddings" or (
                self.candidate_input == "scores" and cand_scores is None)):
            raise ValueError(f"{type(self).__name__} needs the candidate "
                             f"{self.candidate_input}; pass cand_emb")
        user_emb, pos_emb = tf.stop_gradient(user_emb), tf.stop_gradient(pos_emb)
        cand_emb = None if cand_emb is None else tf.stop_gradient(cand_emb)
        self._cand_scores = None if cand_scores is None else tf.stop_gradient(cand_scores)
        self._step = tf.constant(0, tf.int64) if step is None else tf.cast(step, tf.int64)
        return self.select(user_emb, pos_emb, cand_emb, epoch)

    def scores_of(self, user_emb, cand_emb):
        """[batch_size, num_candidates] candidate scores: the ones passed to
        `call` as ``cand_scores`` if any, else `candidate_scores`."""
        if self._cand_scores is not None:
            return self._cand_scores
        return candidate_scores(user_emb, cand_emb)

    def select(self, user_emb, pos_emb, cand_emb, epoch):
        raise NotImplementedError

    def stateless_seed(self, stream: str):
        """The [2] seed of `stream` (`ahns_tf.random_streams`) at the current step."""
        return stream_seed(getattr(self, "seed", 0), stream, self._step)
