"""Top-K of scores streamed over item chunks: exact, ties included, in bounded memory.

Used by the evaluation (`ahns_tf.evaluation.ranking`) and the serving modules
(`ahns_tf.export`): the catalogue is scored a chunk of items at a time with a
running top-K, so memory is ``batch x chunk`` scores whatever its size.
"""

import numpy as np
import tensorflow as tf


#: Scores held at a time by default by a streamed ranking ([batch, SCORE_BUDGET / batch]
#: float32, 256 MB): the evaluator's item chunk, and serving's per request.
SCORE_BUDGET = 2**26
#: Scores per block in `chunk_top_k`'s first pass.
TOP_K_BLOCK = 64


def chunk_top_k(scores, k: int):
    """``tf.math.top_k(scores, min(k, c))`` with int64 positions, in two cheaper passes.

    TF's CPU top-k costs a few ns per score; a max over blocks of
    `TOP_K_BLOCK` scores is far cheaper. The top k of a row lie in the k blocks
    with the largest maxima (ties to the lower block): each block ranked before
    an item's block holds a distinct item ranked before that item. So the top k
    of those k blocks' scores, gathered in index order, equal the top k of the
    row, ties in the same (lower index first) order. Rows whose width is not a
    multiple of the block, or has at most k blocks, take plain `top_k`.

    Args:
        scores: float [batch_size, c].
        k: scores kept per row (``min(k, c)`` are returned).

    Returns:
        ``(values, positions)``: float and int64 [batch_size, min(k, c)], best first.

    Example:

    >>> v, p = chunk_top_k(tf.constant([[1.0, 3.0, 2.0]]), 2)
    >>> p.numpy().tolist()
    [[1, 2]]
    """
    batch, width = tf.shape(scores)[0], tf.shape(scores)[1]
    kept = tf.minimum(k, width)
    blocks = width // TOP_K_BLOCK

    def plain():
        top = tf.math.top_k(scores, kept)
        return top.values, tf.cast(top.indices, tf.int64)

    def by_blocks():
        grid = tf.reshape(scores, [batch, blocks, TOP_K_BLOCK])                # [B, nb, 64]
        chosen = tf.sort(tf.math.top_k(tf.reduce_max(grid, axis=2), k).indices, axis=1)
        candidates = tf.reshape(tf.gather(grid, chosen, batch_dims=1),
                                [batch, k * TOP_K_BLOCK])                      # [B, k * 64]
        positions = tf.reshape(chosen[:, :, None] * TOP_K_BLOCK
                               + tf.range(TOP_K_BLOCK)[None, None, :], [batch, -1])
        top = tf.math.top_k(candidates, k)                                     # [B, k]
        return top.values, tf.cast(tf.gather(positions, top.indices, batch_dims=1), tf.int64)

    return tf.cond(tf.logical_and(width % TOP_K_BLOCK == 0, blocks > k), by_blocks, plain)


def streaming_top_k(user_emb, item_table, excluded: tf.RaggedTensor, k: int, chunk: int,
                    servable=None):
    """Indices of each user's top `k` items, scoring the catalogue `chunk` items at a time.

    Memory is bounded by ``batch_size x chunk`` scores, whatever the catalogue
    size: each chunk's scores are masked (the user's `excluded` items set to
    -inf), reduced to their top `k`, and merged into a running top `k`. The
    result equals ``top_k(mask(user_emb @ item_table.T), k)`` including the
    order of ties (`tf.math.top_k` puts the lower index first, and the running
    list only holds lower indices than the chunk it is merged with).

    Args:
        user_emb: float [batch_size, dim].
        item_table: float [num_items, dim].
        excluded: ragged int64 [batch_size, None] items never ranked per user.
        k: items kept; <= num_items.
        chunk: items scored at a time (an int, or an int64 scalar tensor).
        servable: bool [num_items], the items that may be ranked for any user (the
            others masked like excluded ones, without a per-user list); None: all.

    Returns:
        ``(scores, ids)``: float [batch_size, k] scores and int64 [batch_size, k]
        item ids, best first; a user with fewer than k unexcluded items gets
        id -1 with score -inf in the remaining slots.

    Example:

    ```python
    scores, ids = streaming_top_k(users, items, tf.ragged.constant([[0], []], tf.int64),
                                  k=20, chunk=65536)
    ```
    """
    num_items = tf.shape(item_table, out_type=tf.int64)[0]
    batch = tf.shape(user_emb)[0]
    chunk = tf.cast(chunk, tf.int64)
    # Excluded (row, item) pairs sorted by item: each chunk takes one contiguous slice.
    rows = excluded.value_rowids()                                           # [n]
    order = tf.argsort(excluded.values)
    ex_items = tf.gather(excluded.values, order)                             # [n] sorted
    ex_rows = tf.gather(rows, order)                                         # [n]
    init_values = tf.fill([batch, k], tf.constant(-np.inf, user_emb.dtype))  # [B, k]
    init_ids = tf.fill([batch, k], tf.constant(-1, tf.int64))                # [B, k]

    def body(start, values, ids):
        stop = tf.minimum(start + chunk, num_items)
        scores = tf.matmul(user_emb, item_table[start:stop], transpose_b=True)  # [B, c]
        lo = tf.searchsorted(ex_items, start[None], out_type=tf.int64)[0]
        hi = tf.searchsorted(ex_items, stop[None], out_type=tf.int64)[0]
        index = tf.stack([ex_rows[lo:hi], ex_items[lo:hi] - start], axis=1)     # [m, 2]
        scores = tf.tensor_scatter_nd_update(
            scores, index, tf.fill([hi - lo], tf.constant(-np.inf, scores.dtype)))
        if servable is not None:
            scores = tf.where(servable[start:stop][None, :], scores,
                              tf.constant(-np.inf, scores.dtype))                # [B, c]
        top_values, top_positions = chunk_top_k(scores, k)                      # [B, c'] each
        merged_values = tf.concat([values, top_values], axis=1)                 # [B, k + c']
        merged_ids = tf.concat([ids, top_positions + start], axis=1)
        best = tf.math.top_k(merged_values, k=k)
        return (stop, best.values, tf.gather(merged_ids, best.indices, batch_dims=1))

    _, values, ids = tf.while_loop(
        lambda start, *_: start < num_items, body,
        (tf.constant(0, tf.int64), init_values, init_ids),
        shape_invariants=(tf.TensorShape([]), tf.TensorShape([None, k]),
                          tf.TensorShape([None, k])),
        # One chunk at a time: the default (10) lets later chunks' [B, chunk] score blocks
        # be computed ahead, multiplying the memory this function promises to bound.
        parallel_iterations=1)
    return values, ids
