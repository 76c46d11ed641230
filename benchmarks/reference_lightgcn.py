"""The reference code's LightGCN propagation, re-written in PyTorch (benchmark-only, needs torch).

The reference (github Riwei-HEU/AHNS, modules/LightGCN.py with ``--context_hops L``), as its
repository describes it and written independently here: the user-item graph of the training
pairs, users and items as one node set (item ``i`` is node ``num_users + i``), normalised
``D^-1/2 A D^-1/2`` (a node without edges gets 0) and held as a torch sparse tensor; every
training step propagates the whole graph L times with ``torch.sparse.mm`` and keeps all layers
0..L; rows are gathered from that stack and mean-pooled over the layers. Used by
`benchmarks.reference_torch` (``--context-hops``); PyTorch is not a project dependency.
"""

import numpy as np


def normalized_adjacency(users, items, num_users: int, num_items: int):
    """``D^-1/2 [[0, R], [R^T, 0]] D^-1/2`` of the (user, item) pairs as a torch sparse tensor.

    Args:
        users: [n] user ids of the training pairs (a repeated pair counts once).
        items: [n] item ids.
        num_users: size of the user id range.
        num_items: size of the item id range.

    Returns:
        A coalesced ``torch.sparse_coo_tensor`` [num_users + num_items, num_users + num_items],
        float32.

    Example:

    >>> adj = normalized_adjacency([0, 1], [0, 0], num_users=2, num_items=1)
    >>> round(float(adj.to_dense()[0, 2]), 4)   # user 0 (degree 1) - item 0 (degree 2)
    0.7071
    """
    import torch  # pylint: disable=import-outside-toplevel
    keys = np.unique(np.asarray(users, np.int64) * num_items + np.asarray(items, np.int64))
    users, items = keys // num_items, keys % num_items + num_users          # [n], [n] (nodes)
    rows, cols = np.concatenate([users, items]), np.concatenate([items, users])  # [2n]
    nodes = num_users + num_items
    degree = np.bincount(rows, minlength=nodes).astype(np.float64)         # [nodes]
    inv_sqrt = np.zeros(nodes)
    inv_sqrt[degree > 0] = degree[degree > 0] ** -0.5
    values = (inv_sqrt[rows] * inv_sqrt[cols]).astype(np.float32)          # [2n]
    return torch.sparse_coo_tensor(torch.as_tensor(np.stack([rows, cols])),
                                   torch.as_tensor(values), (nodes, nodes),
                                   check_invariants=True).coalesce()


def propagate(adjacency, user_emb, item_emb, hops: int):
    """All layers 0..L of LightGCN: ``[E, A E, ..., A^L E]`` stacked per node.

    Args:
        adjacency: from `normalized_adjacency`, [nodes, nodes].
        user_emb: [num_users, dim] layer-0 (ego) user embeddings (a torch tensor or Parameter).
        item_emb: [num_items, dim] layer-0 item embeddings.
        hops: L >= 0.

    Returns:
        ``(user_layers [num_users, L+1, dim], item_layers [num_items, L+1, dim])``; their mean
        over axis 1 is LightGCN's embedding. Differentiable in the ego embeddings.

    Example:

    ```python
    user_layers, item_layers = propagate(adj, user_emb, item_emb, hops=3)
    scores = user_layers[users].mean(1) @ item_layers.mean(1).T
    ```
    """
    import torch  # pylint: disable=import-outside-toplevel
    layer = torch.cat([user_emb, item_emb], dim=0)                         # [nodes, dim]
    layers = [layer]
    for _ in range(hops):
        layer = torch.sparse.mm(adjacency, layer)                          # A^l E
        layers.append(layer)
    stacked = torch.stack(layers, dim=1)                                   # [nodes, L+1, dim]
    return stacked[:user_emb.shape[0]], stacked[user_emb.shape[0]:]
