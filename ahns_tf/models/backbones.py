"""Backbones map ids to embeddings: the contract (`Backbone`) and matrix factorization."""

import tensorflow as tf


@tf.keras.utils.register_keras_serializable(package="ahns_tf")
class WholeTableGlorotUniform(tf.keras.initializers.GlorotUniform):
    """Glorot-uniform with the limit of the whole table, also when one shard is initialised.

    Under `tf.distribute.ParameterServerStrategy` a table is created shard by
    shard, and tf-keras' initializers compute the fans from the shard's shape:
    each shard drew from a wider range, by the square root of the number of
    shards (measured on tools with 2 PS: std 0.0154 against 0.0109). Here the
    shard's values are rescaled to the whole table's limit
    ``sqrt(6 / (rows + dim))``; on one device nothing changes (same values).

    Example:

    ```python
    self.add_weight(name="table", shape=[rows, dim], initializer=WholeTableGlorotUniform())
    ```
    """

    def __call__(self, shape, dtype=None, **kwargs):
        values = super().__call__(shape, dtype, **kwargs)
        part = kwargs.get("partition_shape")
        if part is None or tuple(part) == tuple(shape):
            return values
        shard_fans, table_fans = sum(part[:2]), sum(shape[:2])     # rows + dim of each
        return values * float(shard_fans / table_fans) ** 0.5


class Backbone(tf.keras.layers.Layer):
    """The contract of a backbone: ids in, the embedding tables the step scores with out.

    The retrieval model, the evaluation, the export and warm starts use a
    backbone only through these methods, so a new one is a subclass, one
    line in `ahns_tf.registry.BACKBONES` (which `TrainConfig` fields its
    constructor takes) and its test:

    * `from_dataset` (classmethod): builds it for a `RecDataset`; by default
      ``cls(num_users, num_items, **params)`` followed by `adapt` with the
      training interactions.
    * `adapt`: sees the training (user, item) pairs before training, e.g.
      LightGCN's graph; the default does nothing.
    * `tables`: ``(user_table [num_users, dim], item_table [num_items, dim])``,
      what the step scores, the evaluation ranks and the export serves. The
      step reads them only with `tf.nn.embedding_lookup` (a table sharded over
      parameter servers then sends only the rows needed).
    * `ego_tables`: the tables the L2 term is on (the reference puts it on
      LightGCN's layer-0 rows); by default `tables`.
    * `embedding_variables`: the ``(user, item)`` variables whose row ``i`` is
      id ``i``'s own weights (`ahns_tf.runs.warm_start` copies rows into them
      by raw id).
    * `export_state`: arrays the export needs beyond the tables (feature towers:
      their token tables, to embed items that arrive after training).

    Args:
        **kwargs: passed to `tf.keras.layers.Layer`.
    """

    @classmethod
    def from_dataset(cls, dataset, **params) -> "Backbone":
        """``cls(dataset.num_users, dataset.num_items, **params)``, adapted to its training split.

        Example:

        ```python
        backbone = MatrixFactorization.from_dataset(dataset, dim=64)
        ```
        """
        backbone = cls(dataset.num_users, dataset.num_items, **params)
        backbone.adapt(dataset.train.users, dataset.train.items)
        return backbone

    def adapt(self, users, items) -> None:
        """Sees the training pairs ``users [n]``, ``items [n]`` (default: nothing)."""

    def tables(self, training: bool = False):
        """Returns ``(user_table [num_users, dim], item_table [num_items, dim])``."""
        raise NotImplementedError

    def ego_tables(self):
        """The ``(user_table, item_table)`` the L2 term is on; by default `tables`."""
        return self.tables()

    def embedding_variables(self):
        """The ``(user, item)`` weight variables, row ``i`` belonging to id ``i``."""
        raise NotImplementedError

    def export_state(self) -> dict:
        """Arrays the export needs beyond the tables (saved as ``backbone.npz``); none here."""
        return {}


@tf.keras.utils.register_keras_serializable(package="ahns_tf")
class MatrixFactorization(Backbone):
    """Matrix factorization: a free embedding per user and per item.

    Scores are inner products ``e_u . e_i``. Embeddings are Xavier/Glorot-uniform
    initialised, as in the paper. `tables()` are the embedding variables
    themselves (see `Backbone` for the contract).

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
            initializer=WholeTableGlorotUniform(), trainable=True)
        self.item_embeddings = self.add_weight(
            name="item_embeddings", shape=[self.num_items, self.dim],
            initializer=WholeTableGlorotUniform(), trainable=True)

    def tables(self, training: bool = False):
        """Returns ``(user_table [num_users, dim], item_table [num_items, dim])``."""
        return self.user_embeddings, self.item_embeddings

    def embedding_variables(self):
        """The ``(user_embeddings, item_embeddings)`` variables."""
        return self.user_embeddings, self.item_embeddings

    def call(self, user_ids, item_ids):
        """Scores pairs: ``[batch] x [batch] -> [batch]`` inner products."""
        users, items = self.tables()
        return tf.reduce_sum(tf.gather(users, user_ids) * tf.gather(items, item_ids), axis=-1)

    def get_config(self):
        config = super().get_config()
        config.update({"num_users": self.num_users, "num_items": self.num_items, "dim": self.dim})
        return config
