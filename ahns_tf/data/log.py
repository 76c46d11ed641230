"""`Log`: the interactions a source gave, one a row, as every later stage of the data path
sees them.

Reading (`ahns_tf.data.sources`) turns any source into a `Log`; filtering
(`ahns_tf.data.filter`), the vocabulary, the split (`ahns_tf.data.split`) and
the assembly of the `RecDataset` (`ahns_tf.data.dataset`) work on it alike,
whatever the source.
"""

import dataclasses
from typing import Dict, Optional

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ahns_tf.data.vocabulary import Vocabulary


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


def _sorted_labels(values: pa.Array) -> np.ndarray:
    """The distinct values in `codes`' order (object [distinct])."""
    distinct = pc.unique(values)
    return np.asarray(distinct.take(pc.sort_indices(distinct)).to_pylist(), object)


def time_values(table: pa.Table) -> Optional[np.ndarray]:
    """The time column as sortable numbers [num_rows] (timestamps as int64 ns), or None."""
    if "timestamp" not in table.column_names:
        return None
    column = table.column("timestamp").combine_chunks()
    if pa.types.is_temporal(column.type):
        column = pc.cast(pc.cast(column, pa.timestamp("ns")), pa.int64())
    return column.to_numpy(zero_copy_only=False)


@dataclasses.dataclass(frozen=True)
class Log:
    """Interactions as read, one a row, in the source's order.

    Attributes:
        source: what messages name: the file, the dataset folder, or ``tfds:NAME``.
        users: int64 [n]: integer ids (the text format), or codes into `user_labels`.
        items: int64 [n]: likewise for items.
        user_labels: object [distinct] raw user ids in text order (code ``c`` is
            ``user_labels[c]``), or None when the ids are integers used as rows.
        item_labels: likewise for items.
        times: [n] sortable times, or None.
        ratings: float64 [n] ratings, or None.
        parts: int8 [n] the split the source comes with (``TRAIN``, ``VALID``,
            ``TEST`` of `ahns_tf.data.split`), or None.
        table: the typed columns of a raw-id source (``row``, ``user_id``,
            ``item_id``, ``timestamp``, ``rating``), saved with the run as
            ``split.parquet``; None for the text format.
        id_range: ``(num_users, num_items)`` of integer ids (largest listed id
            + 1, or the declared counts); None for raw ids.
        part_paths: the file each given part came from (messages name it).
    """

    source: str
    users: np.ndarray
    items: np.ndarray
    user_labels: Optional[np.ndarray] = None
    item_labels: Optional[np.ndarray] = None
    times: Optional[np.ndarray] = None
    ratings: Optional[np.ndarray] = None
    parts: Optional[np.ndarray] = None
    table: Optional[pa.Table] = None
    id_range: Optional[tuple] = None
    part_paths: Dict[int, str] = dataclasses.field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.users.shape[0])

    @classmethod
    def from_table(cls, source: str, table: pa.Table) -> "Log":
        """The `Log` of a table with ``user_id``/``item_id`` strings (and ``row``, optional
        ``timestamp`` and ``rating``), as `ahns_tf.data.read_table.read_log` makes.

        Example:

        >>> log = Log.from_table("t.csv", pa.table({"user_id": ["b", "a"], "item_id": ["x", "x"],
        ...                                          "row": [0, 1]}))
        >>> log.users.tolist(), log.user_labels.tolist()
        ([1, 0], ['a', 'b'])
        """
        users, items = (table.column(c).combine_chunks() for c in ("user_id", "item_id"))
        ratings = (table.column("rating").to_numpy() if "rating" in table.column_names
                   else None)
        return cls(source, codes(users), codes(items), _sorted_labels(users),
                   _sorted_labels(items), time_values(table), ratings, table=table)

    @property
    def raw_ids(self) -> bool:
        """Whether ids are raw labels (mapped to rows by a `Vocabulary`) rather than rows."""
        return self.user_labels is not None

    def select(self, mask: np.ndarray) -> "Log":
        """The rows where the bool [n] `mask` is True, in order."""
        pick = (lambda a: None if a is None else a[mask])  # noqa: E731
        return dataclasses.replace(
            self, users=self.users[mask], items=self.items[mask], times=pick(self.times),
            ratings=pick(self.ratings), parts=pick(self.parts),
            table=None if self.table is None else self.table.filter(pa.array(mask)))

    def rows(self):
        """``(users, items, vocabulary)``: the dense rows of every interaction [n] each, and the
        `Vocabulary` of the ids left (None when the ids are rows already)."""
        if not self.raw_ids:
            return self.users, self.items, None
        user_codes, users = np.unique(self.users, return_inverse=True)   # sorted = text order
        item_codes, items = np.unique(self.items, return_inverse=True)
        vocabulary = Vocabulary(self.user_labels[user_codes], self.item_labels[item_codes])
        return users.astype(np.int64), items.astype(np.int64), vocabulary
