"""LightGCN (He et al., SIGIR 2020): embeddings propagated over the user-item graph."""

import numpy as np
import tensorflow as tf
# TF's CSR sparse-matrix ops (tf.raw_ops.SparseMatrixMatMul with their gradients): multithreaded
# on CPU and cuSPARSE on GPU; 6x faster here than tf.sparse.sparse_dense_matmul, same results.
from tensorflow.python.ops.linalg.sparse import sparse_csr_matrix_ops  # pylint: disable=g-direct-tensorflow-import

from ahns_tf.data.reader import sorted_unique
from ahns_tf.models.backbones import MatrixFactorization


@tf.keras.utils.register_keras_serializable(package="ahns_tf")
class LightGCN(MatrixFactorization):
    """LightGCN: free layer-0 embeddings, averaged over `num_layers` propagations.

    With ``A`` the symmetric-normalised adjacency ``D^-1/2 [[0, R], [R^T, 0]]
    D^-1/2`` of the training interactions ``R`` (users and items as one node
    set), the embeddings used for scoring are ``mean(E, A E, ..., A^L E)``,
    computed in-graph every step with TF's CSR sparse-matrix product
    (``SparseMatrixMatMul``, GPU kernels exist for it), so the candidate scores, the selection and the loss
    all see the propagated embeddings, as in the reference code's LightGCN
    (its MF is ``--context_hops 0``). With ``num_layers=0`` this is exactly
    `MatrixFactorization`. `ego_tables()` are the layer-0 embeddings, on which
    the reference puts its L2 term.

    Call `adapt` with the training interactions before using the tables.

    Args:
        num_users: size of the user id range.
        num_items: size of the item id range.
        dim: embedding size. Defaults to 64.
        num_layers: L, propagation layers. Defaults to 3.
        **kwargs: passed to `tf.keras.layers.Layer`.

    Example:

    ```python
    gcn = LightGCN(num_users=10, num_items=20, dim=8, num_layers=2)
    gcn.adapt(users=[0, 1, 1], items=[3, 3, 7])
    users, items = gcn.tables()  # propagated: [10, 8], [20, 8]
    ```
    """

    def __init__(self, num_users: int, num_items: int, dim: int = 64, num_layers: int = 3,
                 **kwargs):
        super().__init__(num_users, num_items, dim, **kwargs)
        if int(num_layers) < 0:
            raise ValueError(f"num_layers (--layers) must be >= 0, got {num_layers!r}")
        self.num_layers = int(num_layers)
        self.adjacency = None   # tf.SparseTensor [nodes, nodes], set by adapt
        self._csr = None        # the same matrix in CSR form, for the products

    def adapt(self, users, items) -> None:
        """Builds the normalised adjacency from the training (user, item) pairs.

        Raises:
            ValueError: an id is out of range.
        """
        users = np.asarray(users, np.int64)
        items = np.asarray(items, np.int64)
        if users.size and (users.min() < 0 or users.max() >= self.num_users
                           or items.min() < 0 or items.max() >= self.num_items):
            raise ValueError(f"ids must be in [0, {self.num_users}) x [0, {self.num_items})")
        keys = sorted_unique(users * self.num_items + items)
        users, items = keys // self.num_items, keys % self.num_items
        nodes = self.num_users + self.num_items
        rows = np.concatenate([users, items + self.num_users])             # [2n]
        cols = np.concatenate([items + self.num_users, users])             # [2n]
        degree = np.bincount(rows, minlength=nodes).astype(np.float64)     # [nodes]
        inv_sqrt = np.where(degree > 0, 1.0 / np.sqrt(np.maximum(degree, 1.0)), 0.0)
        values = inv_sqrt[rows] * inv_sqrt[cols]                            # [2n]
        order = np.lexsort((cols, rows))                                    # canonical order
        self.adjacency = tf.SparseTensor(np.stack([rows, cols], 1)[order],
                                         values[order].astype(np.float32), [nodes, nodes])
        self._csr = sparse_csr_matrix_ops.CSRSparseMatrix(self.adjacency)

    def ego_tables(self):
        """The layer-0 (free) ``(user_table, item_table)``."""
        return self.user_embeddings, self.item_embeddings

    def tables(self, training: bool = False):
        """Propagated ``(user_table [num_users, dim], item_table [num_items, dim])``."""
        if self.num_layers == 0:
            return self.ego_tables()
        if self.adjacency is None:
            raise RuntimeError("LightGCN.adapt(users, items) must be called before tables()")
        layer = tf.concat([self.user_embeddings, self.item_embeddings], axis=0)  # [nodes, dim]
        total = layer
        for _ in range(self.num_layers):
            layer = sparse_csr_matrix_ops.matmul(self._csr, layer)              # A^l E
            total = total + layer
        mean = total / float(self.num_layers + 1)
        return mean[:self.num_users], mean[self.num_users:]

    def get_config(self):
        config = super().get_config()
        config["num_layers"] = self.num_layers
        return config
