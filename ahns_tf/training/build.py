"""What a run trains and evaluates: the model (backbone, sampler, selector, optimizer) and
the evaluators.

The backbone and the selector come from their registries (`ahns_tf.registry`),
each given only the settings it declares.
"""

import tensorflow as tf

from ahns_tf.config import TrainConfig
from ahns_tf.data import RecDataset
from ahns_tf.evaluation import FullRankingEvaluator
from ahns_tf.models.losses import BPRLoss
from ahns_tf.models.optimizers import FusedAdam, LazyAdam, choose_optimizer
from ahns_tf.models.shardable_adam import ShardableAdam, ShardableLazyAdam
from ahns_tf.models.retrieval import NegativeSamplingRetrievalModel
from ahns_tf.pipeline.input import steps_per_epoch
from ahns_tf.registry import BACKBONES, SAMPLERS
from ahns_tf.samplers import UninteractedCandidateSampler


def build_backbone(config: TrainConfig, dataset: RecDataset):
    """The registered backbone of ``config.backbone``, built and adapted to the training split.

    Example:

    ```python
    backbone = build_backbone(TrainConfig(backbone="lightgcn", layers=2).resolved(), dataset)
    ```
    """
    cls = BACKBONES[config.backbone].load()
    return cls.from_dataset(dataset, **BACKBONES[config.backbone].arguments(config))


def build_selector(config: TrainConfig):
    """The registered selector of ``config.sampler``, given only its own settings.

    Example:

    >>> build_selector(TrainConfig(dataset="tools").resolved()).alpha
    1.0
    """
    entry = SAMPLERS[config.sampler]
    return entry.load()(**entry.arguments(config))


def build_optimizer(config: TrainConfig, num_rows: int):
    """Adam, dense or lazy (``--optimizer``, auto by table rows); shardable under parameter
    servers."""
    chosen = choose_optimizer(config.optimizer, num_rows)
    if config.strategy == "parameter_server":  # sharded tables: no variable.handle
        return (ShardableLazyAdam if chosen == "lazy_adam" else ShardableAdam)(config.lr)
    return (LazyAdam if chosen == "lazy_adam" else FusedAdam)(config.lr)


def build_model(config: TrainConfig, dataset: RecDataset) -> NegativeSamplingRetrievalModel:
    """Builds and compiles the retrieval model for a resolved config.

    Under a `tf.distribute` strategy, call it inside ``strategy.scope()``.

    Example:

    ```python
    model = build_model(TrainConfig(dataset="tools").resolved(), dataset)
    ```
    """
    tf.keras.utils.set_random_seed(config.seed)  # seeds the embedding initialisers
    backbone = build_backbone(config, dataset)
    sampler = UninteractedCandidateSampler(dataset.num_items, config.num_candidates,
                                           seed=config.seed)
    sampler.adapt(dataset.train.users, dataset.train.items, dataset.num_users)
    model = NegativeSamplingRetrievalModel(
        backbone, sampler, build_selector(config), l2=config.l2,
        steps_per_epoch=steps_per_epoch(len(dataset.train), config.batch_size),
        loss=BPRLoss(config.temperature))
    # Under multi_worker, TF's collective gather of the embedding gradients fails inside
    # a multi-step loop when an epoch's last batch is smaller ("Shape mismatch in the
    # collective instance"): one step per call there.
    model.compile(optimizer=build_optimizer(config, dataset.num_users + dataset.num_items),
                  steps_per_execution=(1 if config.strategy == "multi_worker"
                                       else config.steps_per_execution))
    return model


def build_evaluators(config: TrainConfig, dataset: RecDataset, include_test: bool = True) -> dict:
    """Evaluators per split: valid excludes train; test excludes train and valid."""
    train = (dataset.train.users, dataset.train.items)
    evaluators = {}
    if dataset.valid is not None:
        evaluators["valid"] = FullRankingEvaluator(
            dataset.num_users, dataset.num_items, (dataset.valid.users, dataset.valid.items),
            train, config.ks, config.eval_batch_size, max_users=config.eval_users,
            seed=config.seed)
        train = dataset.known_interactions()
    if include_test:
        evaluators["test"] = FullRankingEvaluator(
            dataset.num_users, dataset.num_items, (dataset.test.users, dataset.test.items),
            train, config.ks, config.eval_batch_size, max_users=config.eval_users,
            seed=config.seed)
    return evaluators
