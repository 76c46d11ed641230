"""A recommendation dataset: train/valid/test interactions and their id ranges."""

import dataclasses
import logging
from typing import Optional

import numpy as np

from ahns_tf.data import reader, sources, splits

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
    """

    name: str
    num_users: int
    num_items: int
    train: reader.Interactions
    valid: Optional[reader.Interactions]
    test: reader.Interactions
    vocabulary: Optional[object] = None
    assignments: Optional[object] = None

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

    >>> from ahns_tf.data.reader import Interactions
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


def load_dataset(name: str, data_dir=None, validation_fraction: Optional[float] = 0.1,
                 seed: int = 2024, download: bool = True, num_users: Optional[int] = None,
                 num_items: Optional[int] = None) -> RecDataset:
    """Locates, reads and validates a dataset, and holds out validation data.

    A ``valid.txt`` next to ``train.txt`` is used as the validation split as is;
    otherwise `validation_fraction` of the training interactions is held out
    (pass None to train on all of ``train.txt``, the reference protocol).

    Args:
        name: ``ml-1m``, ``phones``, ``sports``, ``tools``, or your own folder name.
        data_dir: folder holding ``<name>/train.txt``; defaults to
            ``$AHNS_DATA_DIR`` or the user cache (see `ahns_tf.data.sources`).
        validation_fraction: see above. Defaults to 0.1 (the paper's 10%).
        seed: seed of the held-out draw.
        download: fetch missing benchmark files.
        num_users: declared user count; a larger id is an error naming its line.
        num_items: declared item count; a larger id is an error naming its line.

    Returns:
        A `RecDataset`.

    Example:

    >>> ds = load_dataset("tools", "../shared/data/ahns")  # doctest: +SKIP
    >>> ds.stats()["train_interactions"]  # doctest: +SKIP
    96995
    """
    paths = sources.locate(name, data_dir, download=download)
    read = lambda path: reader.read_interactions(path, num_users, num_items)  # noqa: E731
    train = read(paths["train"])
    test = read(paths["test"])
    valid = read(paths["valid"]) if "valid" in paths else None
    dataset = build_dataset(name, train, test, valid, validation_fraction, seed, num_users,
                            num_items)
    stats = dataset.stats()
    cold = {k: v for k, v in stats.items() if k.endswith(("cold_users", "cold_items")) and v}
    if cold:
        logger.warning("%s: users/items with held-out but no training interactions "
                       "(ranked with untrained embeddings, as in the reference): %s", name, cold)
    return dataset
