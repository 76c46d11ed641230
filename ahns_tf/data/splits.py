"""Holds out a validation split from training interactions (and merges one back).

The paper (Experimental Setup) builds the validation set "by randomly sampling
10% interactions of the training set". We draw exactly
``round(fraction * num_interactions)`` interactions with a seeded generator,
never taking a user's last remaining training interaction, so every user that
had training data keeps some.
"""

import dataclasses
import os

import numpy as np

from ahns_tf.data.reader import Interactions, sorted_unique


def holdout_split(train: Interactions, fraction: float = 0.1, seed: int = 2024):
    """Splits training interactions into (train, validation).

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
