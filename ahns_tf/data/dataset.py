"""`RecDataset`: train/valid/test interactions and their id ranges (stage 5 of the data path).

`make_dataset` assembles one from a filtered `Log` and a ``--split`` method;
`build_dataset` from `Interactions` built in memory.
"""

import dataclasses
import logging
from typing import Optional

import numpy as np
import pyarrow as pa

from ahns_tf.data import interactions as reader
from ahns_tf.data import split as splits
from ahns_tf.data.log import Log
from ahns_tf.data.interactions import Interactions
from ahns_tf.data.split import PART_NAMES, TEST, TRAIN, VALID

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class RecDataset:
    """Interactions of one dataset, split for training and evaluation.

    Ids are dense 0-based integers; `num_users` and `num_items` are one more
    than the largest id seen in any split (as in the reference code), so users
    or items that appear only in test (cold start) get an embedding row that
    training never updates. They are counted in `stats()`.

    Attributes:
        name: dataset name.
        num_users: size of the user id range.
        num_items: size of the item id range.
        train: interactions the model trains on (and whose items are excluded
            from ranking).
        valid: held-out interactions for model selection, or None.
        test: held-out interactions for the final report.
        vocabulary: for logs with raw ids (``--data-file``, ``tfds:``), the
            `ahns_tf.data.vocabulary.Vocabulary` of the dense ids; else None.
        assignments: for such logs, the pyarrow table of which interaction
            went to which part (saved with the run as ``split.parquet``).
        features: ``{"item": (FeatureSpec, FeatureMatrix), "user": ...}`` for the
            sides given feature files (`ahns_tf.data.features`), else None.
    """

    name: str
    num_users: int
    num_items: int
    train: reader.Interactions
    valid: Optional[reader.Interactions]
    test: reader.Interactions
    vocabulary: Optional[object] = None
    assignments: Optional[object] = None
    features: Optional[dict] = None

    def known_interactions(self):
        """``(users, items)`` of every training-file interaction: train plus validation.

        These are never recommended: excluded when testing and when serving.
        """
        parts = [self.train] + ([self.valid] if self.valid is not None else [])
        return (np.concatenate([p.users for p in parts]),
                np.concatenate([p.items for p in parts]))

    def stats(self) -> dict:
        """Counts for reports: users, items, interactions per split, cold start."""
        unique = reader.sorted_unique  # one sort each; no Python sets of millions of ids
        train_users, train_items = unique(self.train.users), unique(self.train.items)
        out = {
            "num_users": self.num_users,
            "num_items": self.num_items,
            "train_interactions": len(self.train),
            "valid_interactions": len(self.valid) if self.valid is not None else 0,
            "test_interactions": len(self.test),
            "density": len(self.train) / float(self.num_users * self.num_items),
        }
        for split_name, split in (("valid", self.valid), ("test", self.test)):
            if split is None:
                continue
            users, items = unique(split.users), unique(split.items)
            out[f"{split_name}_users"] = int(users.shape[0])
            out[f"{split_name}_cold_users"] = int(
                np.setdiff1d(users, train_users, assume_unique=True).shape[0])
            out[f"{split_name}_cold_items"] = int(
                np.setdiff1d(items, train_items, assume_unique=True).shape[0])
        return out


def build_dataset(name: str, train: reader.Interactions, test: reader.Interactions,
                  valid: Optional[reader.Interactions] = None,
                  validation_fraction: Optional[float] = 0.1,
                  seed: int = 2024, num_users: Optional[int] = None,
                  num_items: Optional[int] = None) -> RecDataset:
    """Assembles a `RecDataset`, holding out validation data if none is given.

    Args:
        name: dataset name.
        train: training interactions.
        test: test interactions.
        valid: validation interactions; when None and `validation_fraction` is
            set, `validation_fraction` of `train` is held out with `seed`.
        validation_fraction: share of training interactions held out, or None
            for no validation split (the reference code's protocol).
        seed: seed of the held-out draw.
        num_users: declared size of the user id range (default: largest id + 1).
        num_items: declared size of the item id range (default: largest id + 1).

    Returns:
        The dataset.

    Example:

    >>> from ahns_tf.data.interactions import Interactions
    >>> ds = build_dataset("toy", Interactions.from_pairs([0, 1], [0, 1]),
    ...                    Interactions.from_pairs([0], [1]), validation_fraction=None)
    >>> ds.num_users, ds.num_items
    (2, 2)
    """
    if valid is None and validation_fraction:
        train, valid = splits.holdout_split(train, validation_fraction, seed)
    parts = [p for p in (train, valid, test) if p is not None]
    num_users = num_users or 1 + max(
        int(max(p.user_ids.max(initial=-1), p.users.max(initial=-1))) for p in parts)
    num_items = num_items or 1 + max(int(p.items.max(initial=-1)) for p in parts)
    if len(train) == 0:
        raise reader.DataFormatError(train.path, None, "training file has no interactions")
    return RecDataset(name, num_users, num_items, train, valid, test)


def make_dataset(name: str, log: Log, split: str = "given", validation: bool = True,
                 validation_fraction: float = 0.1, test_ratio: float = 0.2,
                 valid_ratio: float = 0.1, seed: int = 2024,
                 train_on_valid_file: bool = False) -> RecDataset:
    """Splits a filtered `Log` and assembles its `RecDataset` (ids become embedding rows).

    Args:
        name: the dataset's name.
        log: the interactions, after `ahns_tf.data.filter.implicit_positives`.
        split: a method of `ahns_tf.data.split.SPLITS`; ``given`` keeps the
            source's own parts (the text format's files).
        validation: make a validation part (``--select-on valid``).
        validation_fraction: ``given`` without a validation file: the share of
            training interactions held out (`holdout_split`).
        test_ratio: the other methods: the test share (`split_parts`).
        valid_ratio: the other methods: the validation share.
        seed: seed of the hold-out and of the ``random`` split.
        train_on_valid_file: ``given`` without `validation`: train on the
            source's validation file too (``--refit``'s retraining) instead of
            leaving it out.

    Returns:
        The `RecDataset`; for raw ids it carries the `Vocabulary` and the
        table of which interaction went to which part (``split.parquet``).

    Raises:
        DataFormatError: a part the run needs is left empty (named).
        ValueError: a split the source cannot make (naming the flag).

    Example:

    ```python
    dataset = make_dataset("mylog", kept_log, split="leave_one_out")
    ```
    """
    users, items, vocabulary = log.rows()
    if split == "given":
        if log.parts is None:
            raise ValueError(f"--split given: {log.source} comes without a split of its own; "
                             f"use --split random, leave_one_out or temporal")
        parts = log.parts.copy()
    else:
        parts = splits.split_parts(users, log.times, split, test_ratio,
                                   valid_ratio if validation else 0.0, seed)

    def part(*codes):
        mask = np.isin(parts, codes)
        path = log.part_paths.get(codes[0], f"{log.source}#{PART_NAMES[codes[0]]}")
        return Interactions.from_pairs(users[mask], items[mask], path=path)

    num_users, num_items = log.id_range or (len(vocabulary.users), len(vocabulary.items))
    train, valid, test = part(TRAIN), part(VALID), part(TEST)
    if split == "given":  # validation held out of train unless the source has a file of it
        has_file = bool((parts == VALID).any())
        if validation and not has_file:
            train, valid = splits.holdout_split(train, validation_fraction, seed)
        elif not validation and has_file and train_on_valid_file:
            train = splits.merge(train, valid)
        if not validation:
            valid = None
        if len(train) == 0:
            raise reader.DataFormatError(train.path, None, "training file has no interactions")
    elif len(train) == 0 or len(test) == 0:
        raise reader.DataFormatError(log.source, None, f"the split leaves {len(train)} "
                                     f"training and {len(test)} test interactions; use more "
                                     f"data, another --split or other ratios")
    assignments = None
    if vocabulary is not None:  # which raw interaction went where: split.parquet
        assignments = log.table.append_column("part", pa.array(np.asarray(PART_NAMES)[parts]))
    dataset = RecDataset(name, num_users, num_items, train,
                         valid if valid is not None and len(valid) else None, test, vocabulary,
                         assignments)
    _warn_cold(dataset)
    return dataset


def _warn_cold(dataset: RecDataset) -> None:
    """Logs users/items held out but never trained (they keep their initial rows)."""
    if dataset.vocabulary is not None:  # a split of raw ids: reported by the split itself
        return
    stats = dataset.stats()
    cold = {k: v for k, v in stats.items() if k.endswith(("cold_users", "cold_items")) and v}
    if cold:
        logger.warning("%s: users/items with held-out but no training interactions "
                       "(ranked with untrained embeddings, as in the reference): %s",
                       dataset.name, cold)
