"""Groups (user, item) pairs by user into CSR arrays."""

import numpy as np


def items_by_user(users, items, num_users: int):
    """Sorts pairs by (user, item) and returns CSR ``(values, row_splits)``.

    Args:
        users: int [n] user ids in ``[0, num_users)``.
        items: int [n] item ids.
        num_users: number of rows.

    Returns:
        ``values``: int64 [n] items, grouped by user and sorted within a user;
        ``row_splits``: int64 [num_users + 1], user u's items are
        ``values[row_splits[u]:row_splits[u + 1]]``.

    Example:

    >>> items_by_user([1, 0, 1], [5, 2, 3], 3)
    (array([2, 3, 5]), array([0, 1, 3, 3]))
    """
    users = np.asarray(users, np.int64)
    items = np.asarray(items, np.int64)
    order = np.lexsort((items, users))
    splits = np.concatenate([[0], np.cumsum(np.bincount(users, minlength=num_users))])
    return items[order], splits.astype(np.int64)
