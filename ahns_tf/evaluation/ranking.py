"""Full-ranking top-K metrics, computed in-graph in batches of users."""

import time

import numpy as np
import tensorflow as tf

from ahns_tf.data.grouping import items_by_user
from ahns_tf.data.interactions import sorted_unique
from ahns_tf.evaluation.top_k import SCORE_BUDGET, streaming_top_k

METRICS = ("recall", "ndcg", "precision", "hit_rate")


def _ragged_rows(users, items, num_users: int) -> tf.RaggedTensor:
    """Items of each user as a ragged [num_users, None] int64 tensor."""
    values, splits = items_by_user(users, items, num_users)
    return tf.RaggedTensor.from_row_splits(tf.constant(values), tf.constant(splits))


def topk_metrics(relevance, num_relevant, ks):
    """Per-user Recall, NDCG, Precision and HitRate at each K.

    Args:
        relevance: float [batch_size, max_k], 1.0 where the item ranked at that
            position is held out for the user.
        num_relevant: float [batch_size] held-out items per user (> 0).
        ks: cut-offs, each <= max_k.

    Returns:
        dict ``"<metric>@<k>" -> float [batch_size]``. NDCG's ideal DCG sums
        ``1 / log2(rank + 1)`` over ``min(num_relevant, k)`` ranks.
    """
    max_k = max(ks)
    discount = 1.0 / tf.math.log(tf.range(2, max_k + 2, dtype=tf.float32)) * tf.math.log(2.0)
    ideal = tf.cumsum(discount)                                            # [max_k]
    out = {}
    for k in ks:
        hits = tf.reduce_sum(relevance[:, :k], axis=1)                      # [B]
        dcg = tf.reduce_sum(relevance[:, :k] * discount[:k], axis=1)        # [B]
        n_ideal = tf.cast(tf.minimum(num_relevant, float(k)), tf.int32)     # [B] >= 1
        out[f"recall@{k}"] = hits / num_relevant
        out[f"ndcg@{k}"] = dcg / tf.gather(ideal, n_ideal - 1)
        out[f"precision@{k}"] = hits / float(k)
        out[f"hit_rate@{k}"] = tf.cast(hits > 0, tf.float32)
    return out


class FullRankingEvaluator:
    """Ranks all items for every held-out user and averages top-K metrics.

    For each user with at least one held-out item: score every item, drop the
    user's `exclude` items (training, and validation items when testing), take
    the top ``max(ks)`` (`streaming_top_k`: the catalogue is scored
    `item_chunk` items at a time, so memory is bounded by
    ``batch_size x item_chunk`` whatever the catalogue size), and compute
    Recall@K, NDCG@K, Precision@K and HitRate@K (`topk_metrics`). Metrics are
    averaged over those users (or over a fixed, seeded sample of `max_users`
    of them on large catalogues). The work runs as one `tf.function` per batch
    of users; an evaluation expected to take more than a few seconds shows a
    progress bar.

    Args:
        num_users: size of the user id range.
        num_items: size of the item id range.
        heldout: ``(users, items)`` arrays of the split being evaluated.
        exclude: ``(users, items)`` arrays never ranked (the training data).
        ks: cut-offs. Defaults to (20, 50).
        batch_size: users per batch. Defaults to 4096.
        item_chunk: items scored at a time; None (default) picks
            ``SCORE_BUDGET / batch_size`` (256 MB of float32 scores), at least max(ks).
        max_users: evaluate a seeded sample of this many users (None: all).
        seed: seed of that sample.

    Example:

    ```python
    evaluator = FullRankingEvaluator(n_users, n_items, (test_u, test_i), (train_u, train_i))
    evaluator.evaluate(user_table, item_table)  # {"recall@20": 0.07, ...}
    ```
    """

    #: An evaluation expected to take longer than this many seconds shows a progress bar.
    PROGRESS_AFTER_SECONDS = 3.0

    def __init__(self, num_users: int, num_items: int, heldout, exclude, ks=(20, 50),
                 batch_size: int = 4096, item_chunk: int = None, max_users: int = None,
                 seed: int = 0):
        ks = tuple(int(k) for k in ks)
        if not ks or min(ks) < 1:
            raise ValueError(f"ks must be positive cut-offs, got {ks!r}")
        if max(ks) > num_items:
            raise ValueError(f"cut-off {max(ks)} exceeds the number of items {num_items}")
        if max_users is not None and int(max_users) < 1:
            raise ValueError(f"max_users (--eval-users) must be >= 1, got {max_users!r}")
        self.ks = ks
        self.num_items = int(num_items)
        self.batch_size = int(batch_size)
        self.item_chunk = int(item_chunk or max(max(ks), SCORE_BUDGET // self.batch_size))
        if self.item_chunk < max(ks):
            raise ValueError(f"item_chunk must be >= max(ks) {max(ks)}, got {item_chunk!r}")
        held_keys = sorted_unique(np.asarray(heldout[0], np.int64) * self.num_items
                              + np.asarray(heldout[1], np.int64))
        num_heldout = np.bincount(held_keys // self.num_items, minlength=num_users)
        self._heldout_keys = tf.constant(held_keys)                       # sorted, unique
        self._num_heldout = tf.constant(num_heldout, tf.float32)          # [num_users]
        self.users = np.flatnonzero(num_heldout > 0)
        self.num_heldout_users = int(self.users.shape[0])
        ex_users, ex_items = np.asarray(exclude[0], np.int64), np.asarray(exclude[1], np.int64)
        if max_users is not None and int(max_users) < self.users.shape[0]:
            rng = np.random.default_rng(seed)
            self.users = np.sort(rng.choice(self.users, int(max_users), replace=False))
            # Only the sampled users' exclusions are ever looked up: keep just those rows.
            keep = np.isin(ex_users, self.users)
            ex_users, ex_items = ex_users[keep], ex_items[keep]
        self._exclude = _ragged_rows(ex_users, ex_items, num_users)
        self._batch = tf.function(self._batch_metrics, reduce_retracing=True)

    @property
    def num_evaluated_users(self) -> int:
        return int(self.users.shape[0])

    def _batch_metrics(self, user_ids, user_table, item_table):
        excluded = tf.gather(self._exclude, user_ids)                          # [B, None]
        _, top = streaming_top_k(tf.gather(user_table, user_ids), item_table, excluded,
                                 max(self.ks), self.item_chunk)                # [B, max_k]
        # Relevance by looking the top items up among the sorted held-out keys
        # user * N + item: [B, max_k] searches instead of a dense [B, N] mask.
        # A slot holding no item (-1: the user has fewer unexcluded items) is irrelevant.
        keys = user_ids[:, None] * self.num_items + top                        # [B, max_k]
        position = tf.searchsorted(self._heldout_keys, tf.reshape(keys, [-1]))
        position = tf.minimum(position, tf.size(self._heldout_keys) - 1)
        found = tf.gather(self._heldout_keys, position) == tf.reshape(keys, [-1])
        found = tf.logical_and(found, tf.reshape(top, [-1]) >= 0)
        relevance = tf.reshape(tf.cast(found, tf.float32), tf.shape(top))     # [B, max_k]
        num_relevant = tf.gather(self._num_heldout, user_ids)                  # [B]
        per_user = topk_metrics(relevance, num_relevant, self.ks)
        return {name: tf.reduce_sum(v) for name, v in per_user.items()}

    def evaluate(self, user_table, item_table) -> dict:
        """Returns ``{"recall@20": ..., "ndcg@20": ..., ...}`` as Python floats in [0, 1]."""
        totals = {}
        starts = range(0, self.num_evaluated_users, self.batch_size)
        progress, begin = None, time.perf_counter()
        for done, start in enumerate(starts, start=1):
            ids = tf.constant(self.users[start:start + self.batch_size], tf.int64)
            for name, value in self._batch(ids, user_table, item_table).items():
                totals[name] = totals.get(name, 0.0) + float(value)
            expected = (time.perf_counter() - begin) / done * len(starts)
            if progress is None and done < len(starts) and expected > self.PROGRESS_AFTER_SECONDS:
                progress = tf.keras.utils.Progbar(self.num_evaluated_users, unit_name="user")
            if progress is not None:
                progress.update(min(start + self.batch_size, self.num_evaluated_users))
        n = max(self.num_evaluated_users, 1)
        return {name: total / n for name, total in sorted(totals.items())}
