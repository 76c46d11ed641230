"""Reads and validates interaction files in the LightGCN/AHNS text format.

Each line is ``user item item ...`` with non-negative integer ids separated by
white space, as in the AHNS reference repository's ``data/*/train.txt``. A line
with a user id and no items is allowed (the user has no interactions in that
file). Blank lines are skipped. Every error names the file, the line number and
the offending token, so a user can fix the file without guessing.
"""

import dataclasses
import os
import warnings

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


class DuplicateInteractionsWarning(UserWarning):
    """Some (user, item) pairs appear more than once; duplicates were dropped."""


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
        pairs = np.unique(
            np.stack([np.asarray(users, np.int64), np.asarray(items, np.int64)], 1)
            .reshape(-1, 2), axis=0)
        return cls(users=pairs[:, 0].copy(), items=pairs[:, 1].copy(),
                   user_ids=np.unique(pairs[:, 0]), path=path)


def _parse_id(path: str, line_no: int, token: str, kind: str, limit=None) -> int:
    if not token.isdigit():  # rejects "-3", "1.5", "abc", "" and non-ASCII digits
        if token.startswith("-") and token[1:].isdigit():
            raise DataFormatError(path, line_no, f"negative {kind} id", token)
        raise DataFormatError(
            path, line_no, f"{kind} id is not a non-negative integer", token)
    value = int(token)
    if value > MAX_ID:
        raise DataFormatError(
            path, line_no, f"{kind} id is larger than the supported maximum {MAX_ID}",
            token)
    if limit is not None and value >= limit:
        raise DataFormatError(
            path, line_no, f"{kind} id is beyond the declared --num-{kind}s {limit} "
            f"(ids must be in [0, {limit}))", token)
    return value


def read_interactions(path: str, num_users=None, num_items=None) -> Interactions:
    """Reads one ``user item item ...`` file into de-duplicated pairs.

    Duplicate (user, item) pairs, within a line or across repeated lines of the
    same user, are dropped with a ``DuplicateInteractionsWarning`` that says how
    many.

    Args:
        path: a text file, one line per user: ``user item item ...``.
        num_users: if given, user ids must be below it.
        num_items: if given, item ids must be below it.

    Returns:
        The file's `Interactions`.

    Raises:
        FileNotFoundError: the file does not exist.
        DataFormatError: a token is not a non-negative integer or is beyond a
            declared count, the file is not text, or it holds no user at all.

    Example:

    >>> pairs = read_interactions("data/tools/train.txt")  # doctest: +SKIP
    >>> pairs.users[:3], pairs.items[:3]  # doctest: +SKIP
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no such interaction file")
    users, items, listed = [], [], []
    with open(path, "rb") as f:
        for line_no, raw in enumerate(f, start=1):
            try:
                line = raw.decode("ascii")
            except UnicodeDecodeError:
                bad = raw.decode("utf-8", errors="replace").strip()
                raise DataFormatError(
                    path, line_no, "line is not ASCII text (expected 'user item item ...')",
                    bad[:40]) from None
            tokens = line.split()
            if not tokens:
                continue
            user = _parse_id(path, line_no, tokens[0], "user", num_users)
            listed.append(user)
            for token in tokens[1:]:
                items.append(_parse_id(path, line_no, token, "item", num_items))
            users.extend([user] * (len(tokens) - 1))
    if not listed:
        raise DataFormatError(path, None, "file is empty: expected lines 'user item item ...'")
    result = Interactions.from_pairs(users, items, path=path)
    result = dataclasses.replace(result, user_ids=np.unique(np.asarray(listed, np.int64)))
    duplicates = len(users) - len(result)
    if duplicates:
        warnings.warn(
            f"{path}: dropped {duplicates} duplicate (user, item) pair(s)",
            DuplicateInteractionsWarning, stacklevel=2)
    return result
