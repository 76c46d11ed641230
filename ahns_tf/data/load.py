"""The data path of a run, the same for every source: read -> filter -> rows -> split -> dataset."""

from ahns_tf.data.checks import DataSettingsError
from ahns_tf.data.dataset import RecDataset, make_dataset
from ahns_tf.data.filter import implicit_positives
from ahns_tf.data.interactions import DataFormatError
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
        return make_dataset(config.dataset, log, config.split,
                            validation=config.select_on == "valid",
                            validation_fraction=config.validation_fraction,
                            test_ratio=config.test_ratio, valid_ratio=config.valid_ratio,
                            seed=config.seed, train_on_valid_file=train_on_valid_file)
    except ValueError as e:
        if isinstance(e, DataFormatError):
            raise
        raise DataSettingsError(f"{log.source}: {e}") from None
