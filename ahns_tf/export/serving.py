"""The TF Serving module: top-K retrieval with each user's training items excluded."""

import numpy as np
import tensorflow as tf

from ahns_tf.data.grouping import items_by_user
from ahns_tf.evaluation.top_k import SCORE_BUDGET, streaming_top_k

#: Default cap on the users in one ``serving_default`` request; a larger batch is
#: refused with INVALID_ARGUMENT instead of exhausting the server's memory.
MAX_BATCH_SIZE = 1024


class RetrievalServingModule(tf.Module):
    """What a SavedModel export holds: embeddings, exclusions and signatures.

    Signatures (named inputs and outputs, K fixed at export):

    * ``serving_default``: ``user_id`` int64 [batch] -> ``item_ids`` int64
      [batch, K], ``scores`` float32 [batch, K] (inner products), ``known_user``
      bool [batch], ``from_features`` bool [batch]. A user's training items are
      never returned, nor an item that is not servable (no training
      interaction and no features). A trained user is answered from its
      embedding (``known_user``); so is a user never trained whose embedding
      comes from its features (`feature_users`; ``from_features``). Any other
      user id (outside ``[0, num_users)``, or cold: only in a held-out part,
      or a gap in the id range) gets the K most popular training items with
      their share of training interactions as ``scores``. A user with fewer
      than K unseen items gets item id -1 with score -inf in the remaining
      slots.
    * ``score``: ``user_id`` [batch], ``item_ids`` int64 [batch, n] -> ``scores``
      [batch, n]; unknown or cold users and unknown items score NaN.
    * ``user_embedding``: ``user_id`` [batch] -> ``embedding`` [batch, dim]
      (zeros and ``known_user = False`` for unknown or cold ids).
    * ``item_embedding``: ``item_id`` [batch] -> ``embedding`` [batch, dim]
      (zeros and ``known_item = False`` for unknown ids).

    The module uses TensorFlow ops only, so the export loads in TF Serving or
    in a Python process that imports nothing but TensorFlow.

    Why not `tfrs.layers.factorized_top_k.BruteForce`: its per-query
    exclusions take a dense ``[batch, num_exclusions]`` tensor, i.e. every
    request padded to the heaviest user's history (1,831 items on ML-1M),
    and it retrieves ``k + num_exclusions`` before filtering. Masking the
    user's training items (stored ragged) with -inf before one `top_k` is
    exact at any history length and as fast on these catalogue sizes.

    Args:
        user_table: float [num_users, dim] user embeddings.
        item_table: float [num_items, dim] item embeddings.
        exclude: ``(users, items)`` int arrays of interactions never returned.
        k: items returned by ``serving_default``. Defaults to 20.
        trained_users: int ids of the users whose embeddings training updated
            (those with an interaction in the training split). Defaults to the
            users of `exclude`; pass it when `exclude` holds more than the
            training split (e.g. a validation file), whose users-only-there
            were never trained.
        max_batch_size: most user ids in one ``serving_default`` request; more
            fail with INVALID_ARGUMENT naming the cap. Defaults to `MAX_BATCH_SIZE`.
        item_chunk: items scored at a time by ``serving_default`` (memory per
            request is ``batch x item_chunk`` scores, whatever the catalogue
            size). None (default): ``SCORE_BUDGET / batch`` for each request's
            own batch (at least k), so small requests take few, large blocks.
        feature_users: bool [num_users]: users answered from their embedding
            though never trained (it comes from their features). Defaults to none.
        servable_items: bool [num_items]: items that may be returned (a trained
            item, or one with features). Defaults to all.

    Example:

    ```python
    module = RetrievalServingModule(users, items, (train_u, train_i), k=20)
    tf.saved_model.save(module, "/tmp/model/1", signatures=module.signatures())
    ```
    """

    def __init__(self, user_table, item_table, exclude, k: int = 20, trained_users=None,
                 max_batch_size: int = MAX_BATCH_SIZE, item_chunk: int = None,
                 feature_users=None, servable_items=None):
        super().__init__(name="ahns_retrieval")
        user_table = np.asarray(user_table, np.float32)
        item_table = np.asarray(item_table, np.float32)
        self.num_users, self.num_items = int(user_table.shape[0]), int(item_table.shape[0])
        if not 1 <= int(k) <= self.num_items:
            raise ValueError(f"k must be in [1, {self.num_items}], got {k!r}")
        self.k = int(k)
        if int(max_batch_size) < 1:
            raise ValueError(f"max_batch_size must be >= 1, got {max_batch_size!r}")
        self.max_batch_size = int(max_batch_size)
        self.item_chunk = None if item_chunk is None else int(item_chunk)
        if self.item_chunk is not None and self.item_chunk < self.k:
            raise ValueError(f"item_chunk must be >= k {self.k}, got {item_chunk!r}")
        items = np.asarray(exclude[1], np.int64)
        values, splits = items_by_user(exclude[0], items, self.num_users)
        servable = (np.ones(self.num_items, bool) if servable_items is None
                    else np.asarray(servable_items, bool))                 # [num_items]
        popularity = np.bincount(items, minlength=self.num_items).astype(np.float64)
        ranked = np.where(servable, popularity, -np.inf)   # an unservable item is never popular
        popular = np.argsort(-ranked, kind="stable")[:self.k]
        share = ranked[popular] / max(popularity.sum(), 1.0)   # of all training interactions
        popular = np.where(np.isinf(share), -1, popular)   # fewer than K servable: -1, -inf
        self.user_embeddings = tf.Variable(user_table, trainable=False, name="user_embeddings")
        self.item_embeddings = tf.Variable(item_table, trainable=False, name="item_embeddings")
        self.exclude_row_splits = tf.Variable(splits, trainable=False, name="exclude_row_splits")
        # int32 (ids < 2**31): half the memory of the largest variable at 10^7+ interactions.
        self.exclude_items = tf.Variable(values.astype(np.int32), trainable=False,
                                         name="exclude_items")
        self.popular_items = tf.Variable(popular.astype(np.int64), trainable=False, name="popular_items")
        self.popular_scores = tf.Variable(share.astype(np.float32), trainable=False, name="popular_scores")
        trained = np.zeros(self.num_users, bool)                           # [num_users]
        trained[np.asarray(exclude[0] if trained_users is None else trained_users, np.int64)] = True
        self.trained_users = tf.Variable(trained, trainable=False, name="trained_users")
        featured = (np.zeros(self.num_users, bool) if feature_users is None
                    else np.asarray(feature_users, bool) & ~trained)       # [num_users]
        self.feature_users = tf.Variable(featured, trainable=False, name="feature_users")
        self.servable_items = tf.Variable(servable, trainable=False, name="servable_items")

    def _known(self, ids, size):
        known = tf.logical_and(ids >= 0, ids < size)
        return known, tf.where(known, ids, tf.zeros_like(ids))

    def _known_user(self, user_id):
        """``(answered, safe ids, from_features)``: a user is answered from its embedding when
        in range and trained (in `trained_users`), or, never trained, has features
        (`feature_users`: its embedding comes from the user tower).

        A cold user without features (in range, never trained: only in test.txt
        or a validation file, or a gap in the id range) has an embedding row
        training never moved from its random initialisation, so it is answered
        like an unknown id.
        """
        in_range, safe = self._known(user_id, self.num_users)            # [B], [B]
        trained = tf.logical_and(in_range, tf.gather(self.trained_users, safe))
        featured = tf.logical_and(in_range, tf.gather(self.feature_users, safe))
        answered = tf.logical_or(trained, featured)
        return answered, tf.where(answered, safe, tf.zeros_like(safe)), featured

    def _known_item(self, item_id):
        """An item is known when in range and servable (trained, or with features)."""
        in_range, safe = self._known(item_id, self.num_items)
        known = tf.logical_and(in_range, tf.gather(self.servable_items, safe))
        return known, tf.where(known, safe, tf.zeros_like(safe))

    @tf.function(input_signature=[tf.TensorSpec([None], tf.int64, name="user_id")])
    def top_k(self, user_id):
        return self.retrieve(user_id)

    def chunk_for(self, batch_size) -> tf.Tensor:
        """Items scored at a time for a request of `batch_size` users (int64 scalar).

        `item_chunk` when given, else ``SCORE_BUDGET / batch_size``, at least k.
        """
        if self.item_chunk is not None:
            return tf.constant(self.item_chunk, tf.int64)
        batch_size = tf.maximum(tf.cast(batch_size, tf.int64), 1)
        return tf.maximum(tf.constant(self.k, tf.int64), SCORE_BUDGET // batch_size)

    def retrieve(self, user_id, extra_excluded=None):
        """``serving_default``'s answer, optionally excluding more items for known users.

        Args:
            user_id: int64 [B] user ids.
            extra_excluded: ragged int64 [B, None] item ids in ``[0, num_items)``
                also never returned to a known user (on top of the training
                history), or None.

        Returns:
            ``{"item_ids": [B, K], "scores": [B, K], "known_user": [B], "from_features": [B]}``:
            ``known_user`` for a trained user; ``from_features`` for one answered from its
            features alone; neither: the popular items.
        """
        tf.debugging.assert_less_equal(
            tf.size(user_id), self.max_batch_size,
            message=f"serving_default takes at most max_batch_size {self.max_batch_size} "
                    f"user ids per request; split the request")
        known, safe, featured = self._known_user(user_id)
        excluded = tf.cast(tf.gather(tf.RaggedTensor.from_row_splits(
            self.exclude_items, self.exclude_row_splits), safe), tf.int64)    # [B, None]
        if extra_excluded is not None:
            excluded = tf.concat([excluded, extra_excluded], axis=1)          # [B, None]
        # Scored chunk_for(B) items at a time with a running top-K: memory per request is
        # [B, chunk] scores, whatever the catalogue size (see streaming_top_k).
        top_scores, top_ids = streaming_top_k(
            tf.gather(self.user_embeddings, safe), self.item_embeddings, excluded, self.k,
            self.chunk_for(tf.size(user_id)), servable=self.servable_items)  # [B, K] each
        # -inf marks an excluded item: a user with fewer than K unseen items gets -1 there.
        top_ids = tf.where(tf.math.is_inf(top_scores), tf.constant(-1, tf.int64), top_ids)
        batch = tf.shape(user_id)[0]
        fallback_ids = tf.tile(self.popular_items[None], [batch, 1])
        fallback_scores = tf.tile(self.popular_scores[None], [batch, 1])
        return {
            "item_ids": tf.where(known[:, None], top_ids, fallback_ids),
            "scores": tf.where(known[:, None], top_scores, fallback_scores),
            "known_user": tf.logical_and(known, tf.logical_not(featured)),
            "from_features": featured,
        }

    @tf.function(input_signature=[tf.TensorSpec([None], tf.int64, name="user_id"),
                                  tf.TensorSpec([None, None], tf.int64, name="item_ids")])
    def score(self, user_id, item_ids):
        known_user, safe_user, _ = self._known_user(user_id)
        known_item, safe_item = self._known_item(item_ids)
        scores = tf.einsum("bd,bnd->bn", tf.gather(self.user_embeddings, safe_user),
                           tf.gather(self.item_embeddings, safe_item))       # [B, n]
        valid = tf.logical_and(known_user[:, None], known_item)
        return {"scores": tf.where(valid, scores, tf.fill(tf.shape(scores), np.nan))}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.int64, name="user_id")])
    def user_embedding(self, user_id):
        known, safe, featured = self._known_user(user_id)
        emb = tf.gather(self.user_embeddings, safe)
        return {"embedding": emb * tf.cast(known, emb.dtype)[:, None],
                "known_user": tf.logical_and(known, tf.logical_not(featured)),
                "from_features": featured}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.int64, name="item_id")])
    def item_embedding(self, item_id):
        known, safe = self._known_item(item_id)
        emb = tf.gather(self.item_embeddings, safe)
        return {"embedding": emb * tf.cast(known, emb.dtype)[:, None], "known_item": known}

    def signatures(self) -> dict:
        """The signature map to pass to `tf.saved_model.save`."""
        return {"serving_default": self.top_k, "score": self.score,
                "user_embedding": self.user_embedding, "item_embedding": self.item_embedding}
