"""Turns a raw log into implicit positives: rating threshold, duplicates, k-core.

Applied in this order to the table of `ahns_tf.data.logs.read_log`:

1. ``--min-rating R``: rows rated below R are dropped (explicit ratings become
   implicit positives).
2. Duplicate (user, item) pairs: the earliest row is kept (by time, then by
   position in the file), the others dropped and counted.
3. k-core (``--min-user-interactions``, ``--min-item-interactions``): users and
   items with fewer interactions are removed, repeatedly, until every remaining
   user and item has enough (removing an item can push a user below the bound).
"""

import dataclasses

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


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


def codes(values: pa.Array) -> np.ndarray:
    """Dense int64 codes of string values, in sorted (lexicographic) order of the values.

    Example:

    >>> codes(pa.array(["b", "a", "b"])).tolist()
    [1, 0, 1]
    """
    encoded = pc.dictionary_encode(values)                     # hashing, first-seen order
    rank = np.empty(len(encoded.dictionary), np.int64)
    rank[pc.sort_indices(encoded.dictionary).to_numpy()] = np.arange(rank.size)
    return rank[encoded.indices.to_numpy(zero_copy_only=False)]


def time_values(table: pa.Table) -> np.ndarray:
    """The time column as sortable numbers [num_rows] (timestamps as int64 ns), or None."""
    if "timestamp" not in table.column_names:
        return None
    column = table.column("timestamp").combine_chunks()
    if pa.types.is_temporal(column.type):
        column = pc.cast(pc.cast(column, pa.timestamp("ns")), pa.int64())
    return column.to_numpy(zero_copy_only=False)


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


def implicit_positives(table: pa.Table, min_rating=None, min_user_interactions: int = 1,
                       min_item_interactions: int = 1):
    """Applies the three filters of the module docstring.

    Args:
        table: `read_log`'s table.
        min_rating: keep rows with ``rating >= min_rating``; needs a rating column.
        min_user_interactions: users need at least this many interactions.
        min_item_interactions: items need at least this many interactions.

    Returns:
        ``(table, counts)``: the kept rows in file order, and a `FilterCounts`.

    Raises:
        ValueError: ``min_rating`` without a rating column.
    """
    rows = table.num_rows
    below = 0
    if min_rating is not None:
        if "rating" not in table.column_names:
            raise ValueError(f"--min-rating {min_rating} needs --rating-col (the log's "
                             f"rating column)")
        table = table.filter(pc.greater_equal(table.column("rating"), float(min_rating)))
        below = rows - table.num_rows
    users = codes(table.column("user_id").combine_chunks())
    items = codes(table.column("item_id").combine_chunks())
    key = users * (int(items.max(initial=0)) + 1) + items      # one int64 per (user, item)
    unique = _earliest_of_each_pair(key, time_values(table))
    duplicates = int(table.num_rows - unique.sum())
    core = unique.copy()
    core[unique] = k_core(users[unique], items[unique], min_user_interactions,
                          min_item_interactions)
    table = table.filter(pa.array(core))
    counts = FilterCounts(rows, below, duplicates, int(unique.sum() - core.sum()),
                          table.num_rows)
    return table, counts
