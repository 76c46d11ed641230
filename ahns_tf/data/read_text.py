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

from ahns_tf.data.interactions import (MAX_ID, DataFormatError, DuplicateInteractionsWarning,
                                       Interactions, sorted_unique)


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


#: Bytes Python's ``str.split()`` treats as white space in ASCII text.
_SPACE = np.zeros(256, bool)
_SPACE[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32]] = True
#: Digits of MAX_ID: a longer token is out of range (or malformed).
_MAX_DIGITS = len(str(MAX_ID))
#: Bytes parsed at a time by the vectorised path (bounds its memory).
BLOCK_BYTES = 1 << 26


def _parse_block(block: bytes):
    """Vectorised parse of whole lines of digits and white space.

    Returns:
        ``(users, items, listed)`` int64 arrays, or None when the block holds
        anything else (a non-digit token, a non-ASCII byte, an id of more than
        `_MAX_DIGITS` digits): the caller then re-reads the file line by line,
        which raises the exact error with file, line and token.
    """
    data = np.frombuffer(block, np.uint8)
    digit = (data - np.uint8(48)) < 10                          # uint8 wraps below '0'
    if not np.all(digit | _SPACE[data]):
        return None
    edge = np.diff(digit.astype(np.int8), prepend=0, append=0)  # +1 token start, -1 end
    starts = np.flatnonzero(edge == 1)                          # [tokens]
    lengths = np.flatnonzero(edge == -1) - starts               # [tokens]
    if not starts.size:
        return (np.zeros(0, np.int64),) * 3                     # blank lines only
    if lengths.max() > _MAX_DIGITS:
        return None
    values = np.zeros(starts.size, np.int64)                    # Horner, one digit column a pass
    for j in range(int(lengths.max())):
        more = np.flatnonzero(lengths > j)
        values[more] = values[more] * 10 + (data[starts[more] + j] - 48)
    line = np.searchsorted(np.flatnonzero(data == 10), starts)  # 0-based line in the block
    first = np.concatenate([[True], line[1:] != line[:-1]])     # the user id of its line
    owner = np.cumsum(first) - 1
    return values[first][owner][~first], values[~first], values[first]


def _read_fast(path: str):
    """(users, items, listed) by `_parse_block` over blocks of whole lines, or None."""
    parts = []
    with open(path, "rb") as f:
        rest = b""
        while True:
            chunk = f.read(BLOCK_BYTES)
            block = rest + chunk
            if not chunk:
                rest = b""
            else:
                cut = block.rfind(b"\n") + 1
                block, rest = block[:cut], block[cut:]
            if block:
                parsed = _parse_block(block)
                if parsed is None:
                    return None
                parts.append(parsed)
            if not chunk:
                break
    if not parts:
        return (np.zeros(0, np.int64),) * 3
    return tuple(np.concatenate([p[i] for p in parts]) for i in range(3))


def _in_range(ids: np.ndarray, limit=None) -> bool:
    """Whether every id is <= MAX_ID and, if `limit` is given, below it."""
    return not ids.size or (ids.max() <= MAX_ID and (limit is None or ids.max() < limit))


def read_interactions(path: str, num_users=None, num_items=None) -> Interactions:
    """Reads one ``user item item ...`` file into de-duplicated pairs.

    Duplicate (user, item) pairs, within a line or across repeated lines of the
    same user, are dropped with a ``DuplicateInteractionsWarning`` that says how
    many.

    A well-formed file is parsed with vectorised numpy in blocks of whole
    lines (tens of millions of interactions in seconds); a file with any
    problem is re-read line by line, so every error names the file, the line
    and the token exactly as before.

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
    return _interactions(path, *read_pairs(path, num_users, num_items))


def read_pairs(path: str, num_users=None, num_items=None):
    """A file's pairs in file order, duplicates kept, and every user id with a line.

    Args:
        path: a text file, one line per user: ``user item item ...``.
        num_users: if given, user ids must be below it.
        num_items: if given, item ids must be below it.

    Returns:
        ``(users, items, listed)``: int64 [n], [n] and [num_lines].

    Raises:
        FileNotFoundError, DataFormatError: as `read_interactions`.

    Example:

    >>> users, items, listed = read_pairs("data/tools/train.txt")  # doctest: +SKIP
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no such interaction file")
    fast = _read_fast(path)
    if fast is not None:
        users, items, listed = fast    # every id in `users` is also in `listed`
        if listed.size and _in_range(listed, num_users) and _in_range(items, num_items):
            return users, items, listed
    return _read_lines(path, num_users, num_items)  # raises the exact error


def _read_lines(path: str, num_users=None, num_items=None):
    """Line-by-line reading that names the file, line and token of the first problem."""
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
    return (np.asarray(users, np.int64), np.asarray(items, np.int64),
            np.asarray(listed, np.int64))


def _interactions(path: str, users, items, listed) -> Interactions:
    """De-duplicated `Interactions` of a file's pairs, warning about dropped duplicates."""
    result = Interactions.from_pairs(users, items, path=path)
    result = dataclasses.replace(result, user_ids=sorted_unique(listed))
    duplicates = len(users) - len(result)
    if duplicates:
        warnings.warn(
            f"{path}: dropped {duplicates} duplicate (user, item) pair(s)",
            DuplicateInteractionsWarning, stacklevel=3)
    return result
