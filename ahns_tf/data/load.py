"""The dataset a run's config names: one path from a source to a split `RecDataset`."""

from ahns_tf.data.dataset import RecDataset, load_dataset
from ahns_tf.data.log_dataset import is_log_source, load_log_dataset
from ahns_tf.data.splits import merge


def load_data(config, train_on_valid_file: bool = False) -> RecDataset:
    """Reads, checks and splits the data of a resolved `TrainConfig`.

    Args:
        config: the run's resolved configuration.
        train_on_valid_file: under ``select_on='test'``, train on train.txt and
            the folder's valid.txt together (``--refit``'s retraining).

    Returns:
        The `RecDataset`, with a validation split only under ``select_on='valid'``.

    Example:

    ```python
    load_data(TrainConfig(dataset="tools", data_dir="../shared/data/ahns").resolved())
    ```
    """
    if is_log_source(config):  # --data-file or tfds:NAME, with raw ids
        return load_log_dataset(config)
    fraction = config.validation_fraction if config.select_on == "valid" else None
    dataset = load_dataset(config.dataset, config.data_dir, validation_fraction=fraction,
                           seed=config.seed, num_users=config.num_users,
                           num_items=config.num_items)
    if config.select_on == "test" and dataset.valid is not None:
        train_part = (merge(dataset.train, dataset.valid) if train_on_valid_file
                      else dataset.train)
        dataset = RecDataset(dataset.name, dataset.num_users, dataset.num_items,
                             train_part, None, dataset.test)
    return dataset
