"""A run's inputs: the dataset its config names, and its training batches under a strategy."""

import tensorflow as tf

from ahns_tf.config import TrainConfig
from ahns_tf.data import RecDataset
from ahns_tf.data.load import load_data
from ahns_tf.pipeline.input import training_pairs


def load_for(config: TrainConfig, train_on_valid_file: bool = False) -> RecDataset:
    """Loads the dataset with a validation split only under ``select_on='valid'``.

    Args:
        config: the run's resolved configuration.
        train_on_valid_file: under ``select_on='test'``, train on train.txt and
            the folder's valid.txt together (``--refit``'s retraining) instead
            of leaving valid.txt out.

    Returns:
        The `RecDataset`: with a validation split (held out of train.txt,
        valid.txt, or a log's part) only under ``select_on='valid'``.

    Example:

    ```python
    dataset = load_for(TrainConfig(dataset="tools", data_dir="../shared/data/ahns").resolved())
    ```
    """
    return load_data(config, train_on_valid_file=train_on_valid_file)


def distributed_pairs(config: TrainConfig, dataset: RecDataset, first_epoch: int):
    """The training batches in the form `Model.fit` takes under ``config.strategy``.

    One device, mirrored and multi-worker: the dataset of global batches (Keras
    splits each across the replicas; multi-worker shards by batch, not by
    file). Parameter servers: a `DatasetCreator` whose worker ``w`` of ``W``
    takes every W-th batch of the same stream, so the workers together see
    every pair of an epoch about once (each worker runs the steps the
    coordinator hands it, so the split is not exact).

    Returns:
        A `tf.data.Dataset` or a `tf.keras.utils.experimental.DatasetCreator`.
    """
    def pairs():
        return training_pairs(dataset.train.users, dataset.train.items, config.batch_size,
                              config.seed, first_epoch=first_epoch)

    if config.strategy == "parameter_server":
        def per_worker(context: tf.distribute.InputContext) -> tf.data.Dataset:
            return pairs().shard(context.num_input_pipelines, context.input_pipeline_id)
        return tf.keras.utils.experimental.DatasetCreator(per_worker)
    data = pairs()
    if config.strategy == "multi_worker":
        options = tf.data.Options()
        options.experimental_distribute.auto_shard_policy = \
            tf.data.experimental.AutoShardPolicy.DATA
        data = data.with_options(options)
    return data
