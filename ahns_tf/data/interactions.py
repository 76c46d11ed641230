"""What every stage of the data path shares: `Interactions` (one part of a split) and errors."""

import dataclasses

import numpy as np

# Ids index embedding tables, so an absurd id would allocate an absurd table.
MAX_ID = 2**31 - 2


class DataFormatError(ValueError):
    """A malformed interaction file; the message names file, line and token.

    Attributes:
        path: the file.
        line: 1-based line number, or None for a whole-file problem.
        token: the offending text, or None.
    """

    def __init__(self, path: str, line, message: str, token=None):
        self.path, self.line, self.token = path, line, token
        where = f"{path}:{line}" if line is not None else str(path)
        what = f" (got {token!r})" if token is not None else ""
        super().__init__(f"{where}: {message}{what}")


class DataSettingsError(ValueError):
    """The data and the settings do not fit together; the message says what to change."""


class DuplicateInteractionsWarning(UserWarning):
    """Some (user, item) pairs appear more than once; duplicates were dropped."""


def sorted_unique(values) -> np.ndarray:
    """The sorted distinct values of an int array, by one sort.

    (numpy 2's `np.unique` hashes first, several times slower on tens of
    millions of int64 keys.)

    Example:

    >>> sorted_unique(np.array([3, 1, 3, 2]))
    array([1, 2, 3])
    """
    values = np.sort(np.asarray(values, np.int64).reshape(-1))
    keep = np.ones(values.shape, bool)
    keep[1:] = values[1:] != values[:-1]
    return values[keep]


@dataclasses.dataclass(frozen=True)
class Interactions:
    """(user, item) pairs of one file, de-duplicated, sorted by user then item.

    Attributes:
        users: int64 [num_interactions] user ids.
        items: int64 [num_interactions] item ids.
        user_ids: int64 [num_listed_users] every user id with a line in the file
            (including users whose line lists no items).
        path: where the pairs came from ("" when built in memory).
    """

    users: np.ndarray
    items: np.ndarray
    user_ids: np.ndarray
    path: str = ""

    def __len__(self) -> int:
        return int(self.users.shape[0])

    @classmethod
    def from_pairs(cls, users, items, path: str = "") -> "Interactions":
        """Builds de-duplicated, sorted interactions from two id sequences.

        Example:

        >>> Interactions.from_pairs([1, 0, 1], [2, 5, 2]).items
        array([5, 2])
        """
        users = np.asarray(users, np.int64).reshape(-1)
        items = np.asarray(items, np.int64).reshape(-1)
        if users.shape != items.shape:
            raise ValueError(f"need as many users as items, got {users.size} and {items.size}")
        # One int64 key per pair (ids are below 2**31, so user * span + item fits): a 1-D
        # sort, several times faster than np.unique(axis=0) on tens of millions of pairs.
        span = int(items.max()) + 1 if items.size else 1
        keys = sorted_unique(users * span + items)              # sorted by (user, item)
        users, items = keys // span, keys % span
        return cls(users=users, items=items, user_ids=sorted_unique(users), path=path)
