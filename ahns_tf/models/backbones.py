"""Backbones: map ids to embeddings. The retrieval model is agnostic to which."""

import tensorflow as tf


@tf.keras.utils.register_keras_serializable(package="ahns_tf")
class MatrixFactorization(tf.keras.layers.Layer):
    """Matrix factorization: a free embedding per user and per item.

    Scores are inner products ``e_u . e_i``. Embeddings are Xavier/Glorot-uniform
    initialised, as in the paper. A backbone exposes `tables()`, returning the
    full ``(user_table, item_table)`` used in the current step; a graph
    backbone (LightGCN) would propagate there.

    Args:
        num_users: size of the user id range.
        num_items: size of the item id range.
        dim: embedding size. Defaults to 64.
        **kwargs: passed to `tf.keras.layers.Layer`.

    Example:

    ```python
    mf = MatrixFactorization(num_users=10, num_items=20, dim=8)
    users, items = mf.tables()  # [10, 8], [20, 8]
    ```
    """

    def __init__(self, num_users: int, num_items: int, dim: int = 64, **kwargs):
        super().__init__(**kwargs)
        for name, value in (("num_users", num_users), ("num_items", num_items), ("dim", dim)):
            if int(value) < 1:
                raise ValueError(f"{name} must be >= 1, got {value!r}")
        self.num_users, self.num_items, self.dim = int(num_users), int(num_items), int(dim)
        self.user_embeddings = self.add_weight(
            name="user_embeddings", shape=[self.num_users, self.dim],
            initializer="glorot_uniform", trainable=True)
        self.item_embeddings = self.add_weight(
            name="item_embeddings", shape=[self.num_items, self.dim],
            initializer="glorot_uniform", trainable=True)

    def tables(self, training: bool = False):
        """Returns ``(user_table [num_users, dim], item_table [num_items, dim])``."""
        return self.user_embeddings, self.item_embeddings

    def call(self, user_ids, item_ids):
        """Scores pairs: ``[batch] x [batch] -> [batch]`` inner products."""
        users, items = self.tables()
        return tf.reduce_sum(tf.gather(users, user_ids) * tf.gather(items, item_ids), axis=-1)

    def get_config(self):
        config = super().get_config()
        config.update({"num_users": self.num_users, "num_items": self.num_items, "dim": self.dim})
        return config
