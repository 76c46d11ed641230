"""LightGCN (He et al., SIGIR 2020): embeddings propagated over the user-item graph."""

import numpy as np
import tensorflow as tf
# TF's CSR sparse-matrix ops (tf.raw_ops.SparseMatrixMatMul): multithreaded on CPU and cuSPARSE on
# GPU; 6x faster here than tf.sparse.sparse_dense_matmul, same results.
from tensorflow.python.ops.linalg.sparse import sparse_csr_matrix_ops  # pylint: disable=g-direct-tensorflow-import

from ahns_tf.data.interactions import sorted_unique
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
    (its MF is ``--context_hops 0``). The products use the two off-diagonal
    blocks of ``A`` (users <- items and items <- users), the same values as
    multiplying by ``A`` (see `mean_of_layers`). With ``num_layers=0`` this is exactly
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
        self._blocks = None     # its blocks (users <- items, items <- users) in CSR form

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
        # The off-diagonal blocks: A[:U, U:] [num_users, num_items] and A[U:, :U] (its transpose).
        weights = (inv_sqrt[users] * inv_sqrt[items + self.num_users]).astype(np.float32)  # [n]
        by_item = np.lexsort((users, items))
        self._blocks = (
            sparse_csr_matrix_ops.CSRSparseMatrix(tf.SparseTensor(
                np.stack([users, items], 1), weights, [self.num_users, self.num_items])),
            sparse_csr_matrix_ops.CSRSparseMatrix(tf.SparseTensor(
                np.stack([items, users], 1)[by_item], weights[by_item],
                [self.num_items, self.num_users])))

    def ego_tables(self):
        """The layer-0 (free) ``(user_table, item_table)``."""
        return self.user_embeddings, self.item_embeddings

    def tables(self, training: bool = False):
        """Propagated ``(user_table [num_users, dim], item_table [num_items, dim])``."""
        if self.num_layers == 0:
            return self.ego_tables()
        if self.adjacency is None:
            raise RuntimeError("LightGCN.adapt(users, items) must be called before tables()")
        return mean_of_layers(self._blocks, self.num_layers,
                              tf.convert_to_tensor(self.user_embeddings),
                              tf.convert_to_tensor(self.item_embeddings))

    def get_config(self):
        config = super().get_config()
        config["num_layers"] = self.num_layers
        return config


def mean_of_layers(blocks, num_layers: int, user_emb, item_emb):
    """``mean(E, A E, ..., A^L E)`` split into users and items, with a hand-written gradient.

    ``A = [[0, B], [B^T, 0]]`` is bipartite, so ``A E`` is ``(B E_items, B^T E_users)``: two
    products with the blocks (``blocks``) instead of one with ``A``; each row sums the same
    terms in the same order, so the values are identical, but no [nodes, dim] concatenation or
    slice is made and each product reads a smaller dense operand (2x faster on tools, 2 cores).

    The gradient with respect to ``E`` is ``(sum_l (A^T)^l dY) / (L + 1)``; ``A`` is symmetric,
    so it is computed by Horner's rule ``h <- dY + A h`` (L products, with the same blocks)
    instead of TensorFlow's registered gradient of each product, which multiplies by a
    transposed CSR matrix (twice as slow) and keeps every layer's sums. Same values up to float
    rounding (summation order); tests/test_lightgcn.py checks it against scipy.

    Args:
        blocks: ``(B, B^T)``: ``CSRSparseMatrix`` [num_users, num_items] (``A[:U, U:]``, the
            normalised user <- item weights) and its transpose [num_items, num_users].
        num_layers: L >= 1.
        user_emb: [num_users, dim] layer-0 user embeddings.
        item_emb: [num_items, dim] layer-0 item embeddings.

    Returns:
        ``(users [num_users, dim], items [num_items, dim])``, the mean over layers 0..L.

    Example:

    ```python
    users, items = mean_of_layers(gcn._blocks, 3, gcn.user_embeddings, gcn.item_embeddings)
    ```
    """
    user_item, item_user = blocks

    def times_adjacency(users, items):  # A [users; items] = [B items; B^T users]
        return (sparse_csr_matrix_ops.matmul(user_item, items),                 # [U, dim]
                sparse_csr_matrix_ops.matmul(item_user, users))                 # [I, dim]

    @tf.custom_gradient
    def propagate(users, items):
        layer_users, layer_items = users, items
        total_users, total_items = users, items
        for _ in range(num_layers):
            layer_users, layer_items = times_adjacency(layer_users, layer_items)  # A^l E
            total_users, total_items = total_users + layer_users, total_items + layer_items
        mean = (total_users / float(num_layers + 1), total_items / float(num_layers + 1))

        def grad(d_users, d_items):
            # d_*: dense, or IndexedSlices when the loss gathers rows; [rows, dim]
            up_users = tf.convert_to_tensor(d_users) / float(num_layers + 1)      # [U, dim]
            up_items = tf.convert_to_tensor(d_items) / float(num_layers + 1)      # [I, dim]
            h_users, h_items = up_users, up_items
            for _ in range(num_layers):                                         # A^T = A
                a_users, a_items = times_adjacency(h_users, h_items)
                h_users, h_items = up_users + a_users, up_items + a_items
            return h_users, h_items

        return mean, grad

    return propagate(user_emb, item_emb)
