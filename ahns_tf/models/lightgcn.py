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
        return mean_of_layers(self._csr, self.num_layers, tf.convert_to_tensor(self.user_embeddings),
                              tf.convert_to_tensor(self.item_embeddings))

    def get_config(self):
        config = super().get_config()
        config["num_layers"] = self.num_layers
        return config


def mean_of_layers(adjacency, num_layers: int, user_emb, item_emb):
    """``mean(E, A E, ..., A^L E)`` split into users and items, with a hand-written gradient.

    The gradient of the mean with respect to ``E`` is ``(sum_l (A^T)^l dY) / (L + 1)``. Since
    ``A`` is symmetric (``A[i, j] = d_i^-1/2 d_j^-1/2`` for every edge, both ways), it is
    computed with ``A`` itself, by Horner's rule ``h <- dY + A h`` (L products), instead of
    TensorFlow's registered gradient of each product, which multiplies by a transposed CSR
    matrix (twice as slow here) and keeps every layer's intermediate sums. Same values up to
    float rounding (summation order); tests/test_lightgcn.py checks it against scipy.

    Args:
        adjacency: ``CSRSparseMatrix`` [nodes, nodes], symmetric; users first, then items.
        num_layers: L >= 1.
        user_emb: [num_users, dim] layer-0 user embeddings.
        item_emb: [num_items, dim] layer-0 item embeddings.

    Returns:
        ``(users [num_users, dim], items [num_items, dim])``, the mean over layers 0..L.

    Example:

    ```python
    users, items = mean_of_layers(gcn._csr, 3, gcn.user_embeddings, gcn.item_embeddings)
    ```
    """
    num_users = user_emb.shape[0]

    @tf.custom_gradient
    def propagate(users, items):
        ego = tf.concat([users, items], axis=0)                                  # [nodes, dim]
        layer, total = ego, ego
        for _ in range(num_layers):
            layer = sparse_csr_matrix_ops.matmul(adjacency, layer)               # A^l E
            total = total + layer
        mean = total / float(num_layers + 1)

        def grad(d_users, d_items):
            # d_*: dense, or IndexedSlices when the loss gathers rows; [rows, dim]
            upstream = tf.concat([tf.convert_to_tensor(d_users),
                                  tf.convert_to_tensor(d_items)], axis=0) / float(num_layers + 1)
            h = upstream                                                         # [nodes, dim]
            for _ in range(num_layers):
                h = upstream + sparse_csr_matrix_ops.matmul(adjacency, h)        # A^T = A
            return h[:num_users], h[num_users:]

        return (mean[:num_users], mean[num_users:]), grad

    return propagate(user_emb, item_emb)
