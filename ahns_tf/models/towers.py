"""Feature towers: per side, an id embedding plus the mean embedding of each feature column.

``--backbone towers`` with ``--item-features`` and/or ``--user-features``: a row's
embedding is its id embedding plus the sum over its feature columns of the
mean of that column's token embeddings (`ahns_tf.data.features.FeatureMatrix`),
optionally through a dense layer (``--tower-dense``). Everything is computed
in-graph from integer token ids, every step, so every sampler scores its
candidates through the towers and the step stays GPU-ready.

A row with features but no training interaction (a cold item or user) has no
id part: its id embedding is replaced by zeros, so its embedding comes from its
features alone, as a new item's does at export (`embed_new_rows`). A side
without a feature file is matrix factorization exactly, so ``--backbone towers``
without feature files trains what ``--backbone mf`` does, to the bit.

Example:

```python
towers = FeatureTowers.from_dataset(dataset, dim=64)  # dataset.features from load_data
users, items = towers.tables()
```
"""

import numpy as np
import tensorflow as tf

from ahns_tf.models.backbones import MatrixFactorization


def pooled(tokens, weights, table):
    """``sum_w weights[r, w] * table[tokens[r, w]]``: each row's feature embedding [rows, dim].

    Args:
        tokens: int32 [rows, width] token ids.
        weights: float32 [rows, width] (a column's tokens average; padding 0).
        table: [size, dim] token embeddings.
    """
    return tf.einsum("rw,rwd->rd", weights, tf.nn.embedding_lookup(table, tokens))


@tf.keras.utils.register_keras_serializable(package="ahns_tf")
class FeatureTowers(MatrixFactorization):
    """Two towers over id embeddings and feature files; MF when a side has no features.

    Args:
        num_users: size of the user id range.
        num_items: size of the item id range.
        dim: embedding size. Defaults to 64.
        user_features: a `FeatureMatrix` of every user row, or None.
        item_features: a `FeatureMatrix` of every item row, or None.
        trained_users: bool [num_users]: users with a training interaction (the
            others, with features, get no id part). Defaults to all.
        trained_items: bool [num_items], likewise for items.
        dense: pass each side's sum through a ``Dense(dim)`` layer.
        **kwargs: passed to `tf.keras.layers.Layer`.
    """

    def __init__(self, num_users, num_items, dim=64, user_features=None, item_features=None,
                 trained_users=None, trained_items=None, dense=False, **kwargs):
        super().__init__(num_users, num_items, dim, **kwargs)   # the id tables, as MF's
        self.dense = bool(dense)
        self.sides, self.has_features = {}, {}
        for side, matrix, trained, rows in (("user", user_features, trained_users, num_users),
                                            ("item", item_features, trained_items, num_items)):
            if matrix is None:
                continue
            trained = np.ones(rows, bool) if trained is None else np.asarray(trained, bool)
            table = self.add_weight(name=f"{side}_feature_embeddings", shape=[matrix.size, dim],
                                    initializer="glorot_uniform", trainable=True)
            layer = tf.keras.layers.Dense(dim, name=f"{side}_tower") if self.dense else None
            if layer is not None:
                layer.build([None, dim])
            self.sides[side] = (tf.constant(matrix.tokens), tf.constant(matrix.weights),
                                tf.constant(trained[:, None].astype(np.float32)), table, layer)
            self.has_features[side] = np.asarray(matrix.has_features, bool)

    @classmethod
    def from_dataset(cls, dataset, **params) -> "FeatureTowers":
        """The towers of `dataset` (its ``features``, its training split's entities)."""
        features = dataset.features or {}
        trained_users = np.zeros(dataset.num_users, bool)
        trained_users[dataset.train.users] = True
        trained_items = np.zeros(dataset.num_items, bool)
        trained_items[dataset.train.items] = True
        return cls(dataset.num_users, dataset.num_items,
                   user_features=features.get("user", (None, None))[1],
                   item_features=features.get("item", (None, None))[1],
                   trained_users=trained_users, trained_items=trained_items, **params)

    def _side(self, side, ids):
        if side not in self.sides:
            return ids
        tokens, weights, trained, table, layer = self.sides[side]
        out = trained * tf.convert_to_tensor(ids) + pooled(tokens, weights, table)  # [rows, dim]
        return layer(out) if layer is not None else out

    def tables(self, training: bool = False):
        """``(users [num_users, dim], items [num_items, dim])`` through the towers."""
        return self._side("user", self.user_embeddings), self._side("item", self.item_embeddings)

    def export_state(self) -> dict:
        """What the export needs: each side's token table and dense layer (`embed_new_rows`),
        and which rows have features (``<side>_has_features``: served though cold)."""
        state = {}
        for side, (_, _, _, table, layer) in self.sides.items():
            state[f"{side}_feature_embeddings"] = tf.convert_to_tensor(table).numpy()
            state[f"{side}_has_features"] = self.has_features[side]
            if layer is not None:
                state[f"{side}_kernel"], state[f"{side}_bias"] = (w.numpy() for w in layer.weights)
        return state

    def get_config(self):
        config = super().get_config()
        config["dense"] = self.dense
        return config


def embed_new_rows(state: dict, side: str, matrix) -> np.ndarray:
    """Embeddings of rows that training never saw, from their features alone [rows, dim].

    Args:
        state: `FeatureTowers.export_state` of the trained towers (``backbone.npz``).
        side: ``"user"`` or ``"item"``.
        matrix: their `FeatureMatrix`, encoded with the run's vocabularies.

    Example:

    ```python
    new_items = embed_new_rows(np.load("runs/ml100k/backbone.npz"), "item", matrix)
    ```
    """
    table = state[f"{side}_feature_embeddings"]
    out = np.einsum("rw,rwd->rd", matrix.weights, table[matrix.tokens])
    if f"{side}_kernel" in state:
        out = out @ state[f"{side}_kernel"] + state[f"{side}_bias"]
    return out.astype(np.float32)
