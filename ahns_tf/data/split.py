"""Splits interactions into train, validation and test (``--split``; stage 4 of the data path).

``given`` keeps the split a source comes with: the text format's train.txt,
test.txt (and valid.txt); validation is then held out of train
(`holdout_split`, the paper's 10% of the training interactions) unless
valid.txt exists. It is the default for the text format; logs with raw ids
have no split of their own and default to ``random``. The other methods put
each interaction of any source in exactly one part (`TRAIN`, `VALID` or
`TEST`):

* ``random`` (per user, the paper's kind): each user's interactions are shuffled
  (seeded); the first ``round(test_ratio * n)`` go to test, the next
  ``round(valid_ratio * n)`` to validation (rounding halves up), the rest to
  train. A user always keeps at least one training interaction: test, then
  validation, are shortened when they would take them all.
* ``leave_one_out``: each user's last interaction by time is test, the one
  before it validation (a user needs 2 interactions for a test one, 3 for a
  validation one; the earlier ones are train).
* ``temporal``: one global time cutoff: the last ``round(test_ratio * N)``
  interactions by time are test, the ``round(valid_ratio * N)`` before them
  validation, the rest train.

Ties in time are broken by position in the file (a later row is later).
"""

import dataclasses
import os

import numpy as np

from ahns_tf.data.interactions import Interactions, sorted_unique

SPLITS = ("given", "random", "leave_one_out", "temporal")
TRAIN, VALID, TEST = 0, 1, 2
PART_NAMES = ("train", "valid", "test")
#: Salt of the numpy stream that shuffles the random split (independent of the
#: validation hold-out's ``default_rng(seed)``).
_SPLIT_STREAM = 16


def _round(x):
    """Rounds halves up (Python's round() rounds them to even)."""
    return np.floor(np.asarray(x, np.float64) + 0.5).astype(np.int64)


def _rank_within_user(users: np.ndarray, order: np.ndarray):
    """For pairs visited in `order` (grouped by user): rank in the group and group size."""
    grouped = users[order]
    edges = np.flatnonzero(np.diff(grouped)) + 1                # where a new user starts
    bounds = np.concatenate([[0], edges, [grouped.size]])
    lengths = np.diff(bounds)                                   # [num_groups]
    starts = np.repeat(bounds[:-1], lengths)
    rank, size = np.empty_like(order), np.empty_like(order)
    rank[order], size[order] = np.arange(order.size) - starts, np.repeat(lengths, lengths)
    return rank, size


def split_parts(users, times=None, method: str = "random", test_ratio: float = 0.2,
                valid_ratio: float = 0.1, seed: int = 2024) -> np.ndarray:
    """The part of every interaction under `method` (see the module docstring).

    Args:
        users: int [n] dense user index of each interaction, in file order.
        times: numbers [n] (time of each interaction), or None; needed by
            ``leave_one_out`` and ``temporal``.
        method: one of `SPLITS`.
        test_ratio: share for test (``random``: per user; ``temporal``: overall).
        valid_ratio: share for validation; 0 for no validation part.
        seed: seed of the ``random`` shuffle.

    Returns:
        int8 [n]: `TRAIN`, `VALID` or `TEST` per interaction.

    Raises:
        ValueError: an unknown method, a time-based method without times, or
            ratios outside [0, 1) (naming the flag).

    Example:

    >>> # user 0's interactions at times 5, 1, 9: 9 is test, 5 validation, 1 train.
    >>> split_parts([0, 0, 0], [5, 1, 9], "leave_one_out").tolist()
    [1, 0, 2]
    """
    users = np.asarray(users, np.int64)
    n = users.shape[0]
    if method not in SPLITS[1:]:
        raise ValueError(f"--split {method!r}: a split of the interactions themselves is one of "
                         f"{', '.join(SPLITS[1:])} ('given' takes the source's own parts)")
    if not 0 < test_ratio < 1 or not 0 <= valid_ratio < 1 or test_ratio + valid_ratio >= 1:
        raise ValueError(f"--test-ratio must be in (0, 1) and --valid-ratio in [0, 1) with a "
                         f"sum below 1, got {test_ratio!r} and {valid_ratio!r}")
    if method != "random" and times is None:
        raise ValueError(f"--split {method} orders interactions by time: pass --time-col (the "
                         f"log has no 'timestamp' column)")
    position = np.arange(n)
    parts = np.full(n, TRAIN, np.int8)
    if method == "temporal":
        order = np.lexsort((position, times))                     # by time, then file position
        num_test, num_valid = _round(test_ratio * n), _round(valid_ratio * n)
        parts[order[n - num_test:]] = TEST
        parts[order[n - num_test - num_valid:n - num_test]] = VALID
        return parts
    if method == "random":
        key = np.random.default_rng([seed, _SPLIT_STREAM]).permutation(n)
        order = np.argsort(users * n + key)                       # by user, shuffled within
        rank, size = _rank_within_user(users, order)
        num_test = np.minimum(_round(test_ratio * size), size - 1)
        num_valid = np.minimum(_round(valid_ratio * size), size - 1 - num_test)
    else:  # leave_one_out: rank from the user's latest interaction
        order = np.lexsort((-position, -np.asarray(times), users))  # latest first
        rank, size = _rank_within_user(users, order)
        num_test = (size >= 2).astype(np.int64)
        num_valid = ((size >= 3) & (valid_ratio > 0)).astype(np.int64)
    parts[rank < num_test] = TEST
    parts[(rank >= num_test) & (rank < num_test + num_valid)] = VALID
    return parts


def holdout_split(train: Interactions, fraction: float = 0.1, seed: int = 2024):
    """Splits training interactions into (train, validation) (``--split given``).

    The paper (Experimental Setup) builds the validation set "by randomly
    sampling 10% interactions of the training set". Exactly
    ``round(fraction * num_interactions)`` interactions are drawn with a
    seeded generator, never a user's last remaining training interaction, so
    every user that had training data keeps some.

    Args:
        train: the interactions to split.
        fraction: share of interactions moved to validation, in (0, 1).
            Defaults to 0.1 as in the paper.
        seed: seed of the numpy generator that draws the split.

    Returns:
        A pair ``(train, valid)`` of `Interactions`; together they hold exactly
        the input pairs.

    Raises:
        ValueError: `fraction` is not in (0, 1).

    Example:

    >>> full = Interactions.from_pairs([0, 0, 1, 1], [1, 2, 0, 3])
    >>> tr, va = holdout_split(full, fraction=0.5, seed=0)
    >>> len(tr), len(va)
    (2, 2)
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"fraction must be in (0, 1), got {fraction!r}")
    n = len(train)
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)                       # [n] random order of pairs
    # Rank of each pair among its user's pairs in that random order; a pair is
    # eligible unless it is the last one its user would keep (rank deg - 1).
    users_in_order = train.users[order]
    sort = np.argsort(users_in_order, kind="stable")
    grouped = users_in_order[sort]                   # [n] users sorted, ties in random order
    starts = np.searchsorted(grouped, grouped, side="left")
    ends = np.searchsorted(grouped, grouped, side="right")
    rank = np.empty(n, np.int64)
    rank[sort] = np.arange(n) - starts
    # Degree of each pair's user, in that order, from the same sort (no array as long as
    # the largest user id, which is checked against the memory budget only later).
    degree = np.empty(n, np.int64)
    degree[sort] = ends - starts
    eligible = order[rank < degree - 1]              # keeps rank deg-1 in train
    num_valid = min(int(round(fraction * n)), eligible.shape[0])
    valid_mask = np.zeros(n, bool)
    valid_mask[eligible[:num_valid]] = True          # eligible is already shuffled
    keep = Interactions(train.users[~valid_mask], train.items[~valid_mask],
                        train.user_ids, train.path)
    valid = Interactions(train.users[valid_mask], train.items[valid_mask],
                         sorted_unique(train.users[valid_mask]), train.path + "#valid")
    return keep, valid


def merge(first: Interactions, second: Interactions) -> Interactions:
    """The union of two splits, e.g. train.txt and valid.txt for ``--refit``'s retraining.

    Args:
        first: interactions, e.g. of train.txt.
        second: interactions, e.g. of valid.txt.

    Returns:
        `Interactions` holding every pair of both (once), every listed user of
        both, with the path ``"<first path>+<second file name>"``.

    Example:

    >>> merged = merge(Interactions.from_pairs([0, 1], [1, 0]),
    ...                Interactions.from_pairs([0, 0], [1, 2]))
    >>> merged.users.tolist(), merged.items.tolist()
    ([0, 0, 1], [1, 2, 0])
    """
    merged = Interactions.from_pairs(np.concatenate([first.users, second.users]),
                                     np.concatenate([first.items, second.items]),
                                     path=f"{first.path}+{os.path.basename(second.path)}")
    listed = sorted_unique(np.concatenate([first.user_ids, second.user_ids]))
    return dataclasses.replace(merged, user_ids=listed)
