"""TF Serving signatures that take and return a log's own (raw, string) ids.

For runs on ``--data-file`` or ``tfds:`` logs. The vocabularies live inside the
SavedModel as `tf.lookup.StaticHashTable`s (raw id -> row) and a string
variable (row -> raw id), so TF Serving needs nothing else. Integers ids are
served as their text (``"42"``).
"""

import numpy as np
import tensorflow as tf

from ahns_tf.evaluation.top_k import streaming_top_k
from ahns_tf.export.serving import RetrievalServingModule

_STRING = tf.TensorSpec([None], tf.string, name="user_id")


def _table(ids: np.ndarray) -> tf.lookup.StaticHashTable:
    """A raw id -> row table; an unknown id maps to -1."""
    keys = tf.constant(np.asarray(ids, object).tolist() or [""], tf.string)
    values = tf.range(len(ids), dtype=tf.int64) if len(ids) else tf.constant([-1], tf.int64)
    return tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(keys, values), -1)


class RawIdServingModule(tf.Module):
    """`RetrievalServingModule`'s answers, by raw string ids.

    Signatures (K fixed at export):

    * ``serving_default``: ``user_id`` string [batch] -> ``item_ids`` string
      [batch, K], ``scores`` float32 [batch, K], ``known_user`` bool [batch],
      ``from_features`` bool [batch] (a user never trained, answered from its features).
      Training items are never returned; an unknown or cold user id gets the K
      most popular training items (their share of training interactions as
      scores) and ``known_user = False``; fewer than K unseen items pads with
      ``""`` and score -inf.
    * ``top_k_excluding``: ``user_id`` string [batch], ``exclude`` string
      [batch, n] (padded with ``""``; unknown ids are ignored) -> as
      ``serving_default``, never returning an ``exclude`` item of that row
      (for unknown users too: the next most popular items are returned).
    * ``score``: ``user_id`` string [batch], ``item_ids`` string [batch, n] ->
      ``scores`` [batch, n]; NaN for unknown or cold users and unknown items.
    * ``user_embedding`` / ``item_embedding``: ``user_id`` / ``item_id`` string
      [batch] -> ``embedding`` [batch, dim] and ``known_user`` / ``known_item``.

    Args:
        inner: the integer-id module over the same tables (rows = vocabulary order).
        vocabulary: a `ahns_tf.data.vocabulary.Vocabulary` (``users``, ``items``).

    Example:

    ```python
    module = RawIdServingModule(RetrievalServingModule(users, items, history, k=20), vocab)
    export_retrieval_model(module, "saved_models/mylog")
    ```
    """

    def __init__(self, inner: RetrievalServingModule, vocabulary):
        super().__init__(name="ahns_raw_id_retrieval")
        if (len(vocabulary.users), len(vocabulary.items)) != (inner.num_users, inner.num_items):
            raise ValueError(f"the vocabulary has {len(vocabulary.users)} users and "
                             f"{len(vocabulary.items)} items, the tables {inner.num_users} and "
                             f"{inner.num_items}")
        self.inner, self.k = inner, inner.k
        self.user_lookup = _table(vocabulary.users)
        self.item_lookup = _table(vocabulary.items)
        self.item_vocabulary = tf.Variable(np.asarray(vocabulary.items, object).tolist(),
                                           dtype=tf.string, trainable=False,
                                           name="item_vocabulary")
        counts = np.bincount(inner.exclude_items.numpy(), minlength=inner.num_items)
        share = counts / max(counts.sum(), 1)                          # [num_items]
        self.popularity = tf.Variable(share[:, None].astype(np.float32), trainable=False,
                                      name="popularity")              # [num_items, 1]

    def _raw_items(self, ids):
        """int64 rows -> raw ids; -1 (padding) -> ""."""
        names = tf.gather(self.item_vocabulary, tf.maximum(ids, 0))
        return tf.where(ids >= 0, names, tf.constant("", tf.string))

    def _answer(self, result):
        return {"item_ids": self._raw_items(result["item_ids"]), "scores": result["scores"],
                "known_user": result["known_user"], "from_features": result["from_features"]}

    @tf.function(input_signature=[_STRING])
    def top_k(self, user_id):
        return self._answer(self.inner.retrieve(self.user_lookup.lookup(user_id)))

    @tf.function(input_signature=[_STRING, tf.TensorSpec([None, None], tf.string,
                                                         name="exclude")])
    def top_k_excluding(self, user_id, exclude):
        rows = self.item_lookup.lookup(exclude)                          # [B, n], -1 unknown
        extra = tf.ragged.boolean_mask(rows, rows >= 0)                  # [B, None]
        result = self.inner.retrieve(self.user_lookup.lookup(user_id), extra)
        # Unknown users: the most popular items without theirs, as a top-K of popularity
        # (a 1-dim "embedding": score = 1 x share), with the same masking.
        batch = tf.shape(user_id)[0]
        scores, ids = streaming_top_k(tf.ones([batch, 1]), self.popularity, extra, self.k,
                                      self.inner.chunk_for(batch),
                                      servable=self.inner.servable_items)  # [B, K] each
        ids = tf.where(tf.math.is_inf(scores), tf.constant(-1, tf.int64), ids)
        known = tf.logical_or(result["known_user"], result["from_features"])[:, None]
        return self._answer({"item_ids": tf.where(known, result["item_ids"], ids),
                             "scores": tf.where(known, result["scores"], scores),
                             "known_user": result["known_user"],
                             "from_features": result["from_features"]})

    @tf.function(input_signature=[_STRING, tf.TensorSpec([None, None], tf.string,
                                                         name="item_ids")])
    def score(self, user_id, item_ids):
        return self.inner.score(self.user_lookup.lookup(user_id),
                                self.item_lookup.lookup(item_ids))

    @tf.function(input_signature=[_STRING])
    def user_embedding(self, user_id):
        return self.inner.user_embedding(self.user_lookup.lookup(user_id))

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="item_id")])
    def item_embedding(self, item_id):
        return self.inner.item_embedding(self.item_lookup.lookup(item_id))

    def signatures(self) -> dict:
        """The signature map to pass to `tf.saved_model.save`."""
        return {"serving_default": self.top_k, "top_k_excluding": self.top_k_excluding,
                "score": self.score, "user_embedding": self.user_embedding,
                "item_embedding": self.item_embedding}
