"""The data path, the same for every source: read -> filter -> rows -> split -> dataset.

`load_data` is a run's (its config names the source); `load_dataset` reads a
folder in the paper's text format with its own split, for use in code.
"""

import dataclasses
from typing import Optional

import numpy as np

from ahns_tf.data.checks import DataSettingsError
from ahns_tf.data.dataset import RecDataset, make_dataset
from ahns_tf.data.features import encode_features, fit_features
from ahns_tf.data.filter import implicit_positives
from ahns_tf.data.interactions import DataFormatError
from ahns_tf.data.sources import read_text
from ahns_tf.registry import source_of


def load_data(config, train_on_valid_file: bool = False) -> RecDataset:
    """Reads, filters and splits the data of a resolved `TrainConfig`.

    1. read: the source the config names (`ahns_tf.registry.SOURCES`: the
       text format, ``--data-file``, ``tfds:NAME``) into a `Log`;
    2. filter: ``--min-rating``, duplicates (the earliest kept), k-core
       (`ahns_tf.data.filter`); the counts are printed when anything was dropped
       (always for logs with raw ids);
    3. rows: integer ids are the rows; raw ids get a `Vocabulary`;
    4. split: ``--split`` (`ahns_tf.data.split`), with a validation part only
       under ``--select-on valid``;
    5. the `RecDataset`.

    Args:
        config: the run's resolved configuration.
        train_on_valid_file: under ``select_on='test'``, train on train.txt and
            the folder's valid.txt together (``--refit``'s retraining).

    Returns:
        The `RecDataset`.

    Raises:
        DataFormatError: a bad file, or nothing left after filtering.
        DataSettingsError: settings the data cannot satisfy (naming the flag).

    Example:

    ```python
    load_data(TrainConfig(dataset="tools", data_dir="../shared/data/ahns").resolved())
    ```
    """
    log = source_of(config).load()(config)
    try:  # a setting the log cannot satisfy (--min-rating without ratings, ...)
        log, counts = implicit_positives(log, config.min_rating, config.min_user_interactions,
                                         config.min_item_interactions)
    except ValueError as e:
        raise DataSettingsError(f"{log.source}: {e}") from None
    if log.raw_ids or counts.kept < counts.rows:
        print(counts.describe(log.source))
    if len(log) == 0:
        raise DataFormatError(log.source, None, "no interactions left after --min-rating and "
                              "the k-core filter (--min-user-interactions, "
                              "--min-item-interactions)")
    try:
        dataset = make_dataset(config.dataset, log, config.split,
                               validation=config.select_on == "valid",
                               validation_fraction=config.validation_fraction,
                               test_ratio=config.test_ratio, valid_ratio=config.valid_ratio,
                               seed=config.seed, train_on_valid_file=train_on_valid_file)
        return with_features(dataset, config)
    except ValueError as e:
        if isinstance(e, DataFormatError):
            raise
        raise DataSettingsError(f"{log.source}: {e}") from None


def with_features(dataset: RecDataset, config) -> RecDataset:
    """`dataset` with the feature files of `config` fitted on its training split and encoded
    for every row (``dataset.features``); unchanged without feature files."""
    features = {}
    for side in ("item", "user"):
        path = getattr(config, f"{side}_features")
        if not path:
            continue
        ids = getattr(dataset.vocabulary, f"{side}s")          # raw ids by row (checked: a log)
        trained = getattr(dataset.train, f"{side}s")
        key = config.item_col if side == "item" else config.user_col
        spec, table = fit_features(path, key, side, ids[np.unique(trained)],
                                   getattr(config, f"{side}_feature_kinds"))
        features[side] = (spec, encode_features(spec, table, ids))
    return dataclasses.replace(dataset, features=features) if features else dataset


def load_dataset(name: str, data_dir=None, validation_fraction: Optional[float] = 0.1,
                 seed: int = 2024, download: bool = True, num_users: Optional[int] = None,
                 num_items: Optional[int] = None) -> RecDataset:
    """Locates, reads and validates a dataset in the paper's text format, with its own split.

    A ``valid.txt`` next to ``train.txt`` is used as the validation split as is;
    otherwise `validation_fraction` of the training interactions is held out
    (pass None to train on all of ``train.txt``, the reference protocol).

    Args:
        name: ``ml-1m``, ``phones``, ``sports``, ``tools``, or your own folder name.
        data_dir: folder holding ``<name>/train.txt``; defaults to
            ``$AHNS_DATA_DIR`` or the user cache (see `ahns_tf.data.paper_files`).
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
    log, counts = implicit_positives(read_text(name, data_dir, download, num_users, num_items))
    if counts.kept < counts.rows:
        print(counts.describe(log.source))
    return make_dataset(name, log, "given", validation=validation_fraction is not None,
                        validation_fraction=validation_fraction or 0.1, seed=seed)
