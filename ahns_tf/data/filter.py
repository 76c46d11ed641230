"""Turns a `Log` into implicit positives: rating threshold, duplicates, k-core (stage 2).

The same rules for every source (the text format, CSV/TSV/Parquet logs, TFDS),
applied in this order:

1. ``--min-rating R``: rows rated below R are dropped (explicit ratings become
   implicit positives).
2. Duplicate (user, item) pairs: the earliest row is kept (by time, then by
   position in the source; the text format reads train.txt, valid.txt, then
   test.txt), the others dropped and counted.
3. k-core (``--min-user-interactions``, ``--min-item-interactions``): users and
   items with fewer interactions are removed, repeatedly, until every remaining
   user and item has enough (removing an item can push a user below the bound).
"""

import dataclasses

import numpy as np

from ahns_tf.data.log import Log


@dataclasses.dataclass(frozen=True)
class FilterCounts:
    """Rows removed by each filter, for the log line and metrics.json."""

    rows: int
    below_min_rating: int
    duplicates: int
    k_core: int
    kept: int

    def describe(self, path: str) -> str:
        return (f"{path}: {self.rows:,} rows; dropped {self.below_min_rating:,} below "
                f"--min-rating, {self.duplicates:,} duplicate (user, item) pairs (the earliest "
                f"kept), {self.k_core:,} by the k-core filter; {self.kept:,} interactions kept")


def k_core(users: np.ndarray, items: np.ndarray, min_user: int, min_item: int) -> np.ndarray:
    """Mask [n] of the pairs left when users/items below the bounds are removed repeatedly.

    Example:

    >>> # item 2 has one interaction: removing it leaves user 1 with one, so user 1 goes too.
    >>> k_core(np.array([0, 0, 1, 1, 2]), np.array([0, 1, 0, 2, 1]), 2, 2).tolist()
    [True, True, False, False, True]
    """
    keep = np.ones(users.shape[0], bool)
    while True:
        user_count = np.bincount(users[keep], minlength=users.max(initial=-1) + 1)
        item_count = np.bincount(items[keep], minlength=items.max(initial=-1) + 1)
        now = keep & (user_count[users] >= min_user) & (item_count[items] >= min_item)
        if now.sum() == keep.sum():
            return now
        keep = now


def _earliest_of_each_pair(key: np.ndarray, time) -> np.ndarray:
    """Mask [n] of the earliest row (by time, then file position) of each distinct key."""
    if not key.size:
        return np.zeros(0, bool)
    order = np.argsort(key, kind="stable")                     # pairs; file order within
    repeated = key[order][1:] == key[order][:-1]               # [n - 1]
    first = np.concatenate([[True], ~repeated])
    if time is not None and repeated.any():
        # Only the rows of repeated pairs need the (slower) sort by time.
        in_group = np.zeros(key.size, bool)
        in_group[1:] |= repeated
        in_group[:-1] |= repeated
        rows = order[in_group]                                 # rows of repeated pairs
        by_time = rows[np.lexsort((rows, time[rows], key[rows]))]
        earliest = np.concatenate([[True], key[by_time][1:] != key[by_time][:-1]])
        first[in_group] = False
        unique = np.zeros(key.size, bool)
        unique[order[first]] = True
        unique[by_time[earliest]] = True
        return unique
    unique = np.zeros(key.size, bool)
    unique[order[first]] = True
    return unique


def implicit_positives(log: Log, min_rating=None, min_user_interactions: int = 1,
                       min_item_interactions: int = 1):
    """Applies the three filters of the module docstring.

    Args:
        log: the `Log` as read.
        min_rating: keep rows with ``rating >= min_rating``; needs ratings.
        min_user_interactions: users need at least this many interactions.
        min_item_interactions: items need at least this many interactions.

    Returns:
        ``(log, counts)``: the kept rows in source order, and a `FilterCounts`.

    Raises:
        ValueError: ``min_rating`` without ratings.

    Example:

    ```python
    kept, counts = implicit_positives(log, min_rating=4, min_user_interactions=5)
    print(counts.describe(log.source))
    ```
    """
    rows = len(log)
    below = 0
    if min_rating is not None:
        if log.ratings is None:
            raise ValueError(f"--min-rating {min_rating} needs --rating-col (the log's "
                             f"rating column)")
        log = log.select(log.ratings >= float(min_rating))
        below = rows - len(log)
    key = log.users * (int(log.items.max(initial=0)) + 1) + log.items  # one int64 per pair
    unique = _earliest_of_each_pair(key, log.times)
    core = unique.copy()
    core[unique] = k_core(log.users[unique], log.items[unique], min_user_interactions,
                          min_item_interactions)
    counts = FilterCounts(rows, below, int(len(log) - unique.sum()),
                          int(unique.sum() - core.sum()), int(core.sum()))
    return log.select(core), counts
