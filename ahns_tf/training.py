"""One training run: data -> tf.data -> sampler -> model -> evaluation -> export."""

import dataclasses
import functools
import json
import os
import sys
import time

import numpy as np
import tensorflow as tf

from ahns_tf.config import TrainConfig
from ahns_tf.data import RecDataset, load_dataset
from ahns_tf.data.checks import DEFAULT_MEMORY_BUDGET_GB, check_dataset
from ahns_tf.data.splits import merge
from ahns_tf.data.log_dataset import (is_log_source, load_log_dataset, same_run_data,
                                      save_run_data)
from ahns_tf.distribute import is_chief, make_strategy, task_name
from ahns_tf.evaluation import FullRankingEvaluator, RankingEvaluationCallback
from ahns_tf.export import (RetrievalServingModule, atomic_savez, atomic_write_text,
                            export_retrieval_model)
from ahns_tf.export.raw_ids import RawIdServingModule
from ahns_tf.models.backbones import MatrixFactorization
from ahns_tf.models.lightgcn import LightGCN
from ahns_tf.models.losses import BPRLoss
from ahns_tf.models.optimizers import (FusedAdam, LazyAdam, ShardableAdam, ShardableLazyAdam,
                                       choose_optimizer, resolve_optimizer_setting)
from ahns_tf.models.retrieval import NegativeSamplingRetrievalModel
from ahns_tf.pipeline.input import steps_per_epoch, training_pairs
from ahns_tf import protocols
from ahns_tf.provenance import provenance
from ahns_tf.runs import (NonFiniteLossError, NumericGuard, ResumableRun, RunConflictError,
                          RunLock, check_writable)
from ahns_tf.runs.warm_start import warm_start
from ahns_tf.samplers import UninteractedCandidateSampler, make_selector


def build_model(config: TrainConfig, dataset: RecDataset) -> NegativeSamplingRetrievalModel:
    """Builds and compiles the retrieval model for a resolved config.

    Under a `tf.distribute` strategy, call it inside ``strategy.scope()``.

    Example:

    ```python
    model = build_model(TrainConfig(dataset="tools").resolved(), dataset)
    ```
    """
    tf.keras.utils.set_random_seed(config.seed)  # seeds the embedding initialisers
    if config.backbone == "lightgcn":
        backbone = LightGCN(dataset.num_users, dataset.num_items, config.dim, config.layers)
        backbone.adapt(dataset.train.users, dataset.train.items)  # the graph: training pairs
    else:
        backbone = MatrixFactorization(dataset.num_users, dataset.num_items, config.dim)
    sampler = UninteractedCandidateSampler(dataset.num_items, config.num_candidates,
                                           seed=config.seed)
    sampler.adapt(dataset.train.users, dataset.train.items, dataset.num_users)
    selector = make_selector(config.sampler, **config.to_json())
    model = NegativeSamplingRetrievalModel(
        backbone, sampler, selector, l2=config.l2,
        steps_per_epoch=steps_per_epoch(len(dataset.train), config.batch_size),
        loss=BPRLoss(config.temperature))
    chosen = choose_optimizer(config.optimizer, dataset.num_users + dataset.num_items)
    if config.strategy == "parameter_server":  # sharded tables: no variable.handle
        optimizer = (ShardableLazyAdam if chosen == "lazy_adam" else ShardableAdam)(config.lr)
    else:
        optimizer = (LazyAdam if chosen == "lazy_adam" else FusedAdam)(config.lr)
    # Under multi_worker, TF's collective gather of the embedding gradients fails inside
    # a multi-step loop when an epoch's last batch is smaller ("Shape mismatch in the
    # collective instance"): one step per call there.
    model.compile(optimizer=optimizer,
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


def train(config: TrainConfig, dataset: RecDataset = None, export: bool = True,
          verbose=None, overwrite: bool = False, callbacks=(),
          evaluate_test: bool = True,
          memory_budget_gb: float = DEFAULT_MEMORY_BUDGET_GB, command: str = None) -> dict:
    """Trains, selects the best epoch, writes metrics.json and exports a SavedModel.

    The run checkpoints every epoch into ``config.output_dir``; calling `train`
    again with the same config resumes after the last completed epoch (see
    `ahns_tf.runs.checkpoint`), and a finished run returns its metrics.json.
    Before any training, the output (and export) folders are checked to be
    writable and the data to fit the settings (`ahns_tf.data.checks`); the
    run then holds an exclusive lock on ``config.output_dir`` until it returns.

    Args:
        config: the run's configuration (resolved here).
        dataset: a preloaded dataset; loaded from `config` when None.
        export: write the SavedModel to ``config.export_dir``.
        verbose: Keras verbosity; defaults to a progress bar on a terminal and
            one line per epoch otherwise.
        overwrite: discard an earlier run in ``config.output_dir`` instead of
            resuming it.
        callbacks: extra Keras callbacks, run before the checkpointing ones.
        evaluate_test: set False to never touch the test split (hyperparameter
            searches); needs ``select_on='valid'``; the result then has no
            ``test`` entry.
        memory_budget_gb: the embedding tables and their Adam slots may take
            at most this many GB (``--memory-budget-gb``).
        command: the command line recorded in the result's ``provenance``
            (`ahns_tf.provenance`); defaults to this process's.

    Returns:
        The content of ``<output_dir>/metrics.json``.

    Raises:
        RunConflictError: ``output_dir`` holds a run with other settings.
        RunLockedError: another process is using ``output_dir``.
        CorruptRunError: no kept checkpoint of ``output_dir`` can be read.
        UnwritableDirError: ``output_dir`` or ``export_dir`` cannot be written.
        DataSettingsError, DataFormatError: the data does not fit the settings.
        NonFiniteLossError: the loss or the weights became NaN/inf; the last
            good epoch's checkpoint is kept.

    Example:

    ```python
    result = train(TrainConfig(dataset="tools", data_dir="../shared/data/ahns"))
    result["test"]["recall@20"]
    ```
    """
    config = config.resolved()
    if config.refit:  # two ordinary runs, select then refit (ahns_tf/refit.py)
        if dataset is not None or not evaluate_test:
            raise ValueError("--refit loads its own splits and evaluates test once; call it "
                             "without a preloaded dataset or evaluate_test=False")
        from ahns_tf.refit import train_with_refit  # pylint: disable=g-import-not-at-top
        return train_with_refit(config, export=export, overwrite=overwrite, verbose=verbose,
                                callbacks=callbacks, memory_budget_gb=memory_budget_gb,
                                command=command)
    # First, before any TensorFlow op: --cpu-devices must split the CPU before devices exist.
    strategy = make_strategy(config.strategy, config.cpu_devices, config.local_cluster)
    chief = is_chief(strategy)
    if not chief:  # a multi-worker run's other workers keep only their own checkpoints
        config = dataclasses.replace(config, output_dir=os.path.join(
            config.output_dir, "workers", task_name(strategy)))
        export = False
    origin = provenance(command=command)  # command, commit, code fingerprint, packages
    check_writable(config.output_dir, "--output-dir")
    if export:
        check_writable(config.export_dir, "--export-dir")
    dataset = dataset or load_for(config)
    check_dataset(dataset, config.ks, config.dim, memory_budget_gb,
                  declared={"user": config.num_users, "item": config.num_items})
    with strategy.scope():
        model = build_model(config, dataset)
    if config.warm_start:  # before the lock: a bad RUN_DIR stops with nothing written
        warm_start(model.backbone, dataset.vocabulary, config.warm_start)
    if not evaluate_test and config.select_on != "valid":
        raise ValueError("evaluate_test=False needs select_on='valid'")
    evaluators = build_evaluators(config, dataset, include_test=evaluate_test)
    select_on = "valid" if "valid" in evaluators else "test"
    evaluation = RankingEvaluationCallback(
        model.backbone, evaluators, select_on, config.select_metric, config.eval_every,
        config.patience, config.epochs)
    parameter_servers = config.strategy == "parameter_server"
    guard = NumericGuard(per_batch=not parameter_servers)  # PS refuses batch-level callbacks
    # "auto" and the optimizer it resolves to for these tables are the same run.
    resolve = functools.partial(resolve_optimizer_setting,
                                num_rows=dataset.num_users + dataset.num_items)
    run = ResumableRun(config.output_dir, config.to_json(), evaluation, guard,
                       defaults=TrainConfig().to_json(),
                       code_fingerprint=origin["code_fingerprint"], resolve=resolve)
    lock = RunLock(config.output_dir)  # one process per run directory, until we return
    lock.acquire()
    try:
        return _train_locked(config, dataset, model, evaluators, evaluation, guard, run,
                             export, verbose, overwrite, callbacks, origin, chief)
    finally:
        lock.release()


def _train_locked(config, dataset, model, evaluators, evaluation, guard, run, export, verbose,
                  overwrite, callbacks, origin, chief=True) -> dict:
    """The part of `train` that runs while holding the run directory's lock.

    ``chief`` False (a multi-worker run's other workers): train and checkpoint
    in step with the chief, but write no metrics.json, TensorBoard logs,
    embeddings or export.
    """
    metrics_path = os.path.join(config.output_dir, "metrics.json")
    select_on = evaluation.select_on
    if overwrite:
        run.clear()
    run.remove_stale_temp_files()  # of a write killed midway; no other writer holds the lock
    progress = run.load_progress()  # raises before any output if the dir holds another run
    if progress and progress.get("finished") and os.path.isfile(metrics_path):
        with open(metrics_path) as f:
            return json.load(f)
    if dataset.vocabulary is not None:  # which raw id is which row, and the split
        if progress and not same_run_data(config.output_dir, dataset):
            raise RunConflictError(
                f"{config.data_file or config.dataset} no longer gives the vocabulary and "
                f"split saved in {config.output_dir} (the log changed since the run began); "
                f"use another --output-dir, or --overwrite to start afresh")
        save_run_data(config.output_dir, dataset)
    first_epoch = run.restore(model)  # a resumed run's weights replace a warm start
    evaluation.set_model(model)  # also needed when a finished run skips fit()
    callbacks = [*callbacks, evaluation, guard, run]  # evaluate, check, then checkpoint
    if chief:
        callbacks.append(tf.keras.callbacks.TensorBoard(
            os.path.join(config.output_dir, "tensorboard"), write_graph=False, profile_batch=0))
    steps = steps_per_epoch(len(dataset.train), config.batch_size)
    pairs = distributed_pairs(config, dataset, first_epoch)
    if verbose is None:
        verbose = 1 if sys.stdout.isatty() else 2
    if config.strategy == "parameter_server" and verbose == 1:
        verbose = 2  # Keras refuses the progress bar under ParameterServerStrategy
    start = time.perf_counter()
    if not (progress and progress.get("finished")):
        if first_epoch:
            print(f"Resuming {config.output_dir} after epoch {first_epoch}.")
        model.fit(pairs, epochs=config.epochs, initial_epoch=first_epoch, steps_per_epoch=steps,
                  callbacks=callbacks, verbose=verbose)
        if guard.failure:
            kept = (f"The checkpoint of the last good epoch ({run.last_epoch}) is kept in "
                    f"{config.output_dir}" if run.last_epoch else
                    "No epoch completed, so no checkpoint is kept")
            raise NonFiniteLossError(
                f"training stopped: {guard.failure}. {kept}; lower --lr or check the "
                f"data, then re-run with --overwrite.")
        run.mark_finished()
    train_seconds = time.perf_counter() - start

    evaluation.restore_best()
    final = evaluation.evaluate_now()
    validation = protocols.validation_split(config, protocols.valid_file_name(dataset))
    result = {
        "config": config.to_json(),
        "provenance": dict(origin, code_fingerprints=run.code_fingerprints),
        "protocol": (protocols.REFERENCE if select_on == "test"
                     else protocols.selection_protocol(validation)),
        "selected_on": select_on,
        "optimizer": type(model.optimizer).__name__,  # what --optimizer (auto) resolved to
        "dataset": {"name": dataset.name, **dataset.stats()},
        "history": evaluation.history,
        "best_epoch": evaluation.best_epoch,
        "train_seconds": train_seconds,
        "epoch_seconds": evaluation.epoch_seconds,
        "epoch_hardness": evaluation.epoch_hardness,
        # saving best weights + checkpoint + progress after each epoch trained by this process
        "checkpoint_seconds": run.checkpoint_seconds,
        # the first epoch includes tracing the graph; the median skips that outlier
        "median_epoch_seconds": float(np.median(evaluation.epoch_seconds[1:] or
                                                evaluation.epoch_seconds)),
        "median_eval_seconds": {split: float(np.median(
            [h["eval_seconds"] for h in evaluation.history if h["split"] == split]))
            for split in evaluators},
        # Users ranked per split: all with held-out items, or a seeded sample (--eval-users).
        "evaluated_users": {split: {"evaluated": e.num_evaluated_users,
                                    "with_heldout_items": e.num_heldout_users}
                            for split, e in evaluators.items()},
    }
    for split in final:
        result[split] = {k: v for k, v in final[split].items() if k != "eval_seconds"}
    if select_on == "valid":  # what the epochs were chosen on (--refit's label reuses it)
        result["validation_split"] = validation
    if not chief:
        result["written_by"] = "the chief"  # metrics.json, TensorBoard logs, export
        return result
    # Whole tables, whatever the strategy: a sharded table's shards are concatenated.
    users, items = (tf.convert_to_tensor(t).numpy() for t in model.backbone.tables())
    save_embeddings(config.output_dir, users, items)
    if export:
        result["export_path"] = _export_once(run, config, dataset, users, items)
    atomic_write_text(metrics_path, json.dumps(result, indent=2, sort_keys=True))
    return result


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


def _export_once(run, config: TrainConfig, dataset: RecDataset, user_table, item_table) -> str:
    """Exports the run once: a re-run after a crash reuses the version recorded in progress.json.

    The version is recorded before metrics.json is written, so a kill while
    writing metrics.json never leads to a second, duplicate version.
    """
    done = run.recorded("export_path")
    if done and os.path.isdir(done) and \
            os.path.dirname(os.path.abspath(done)) == os.path.abspath(config.export_dir):
        return done
    path = export_run(config, dataset, user_table, item_table)
    run.record(export_path=path)
    return path


def save_embeddings(run_dir: str, user_table, item_table) -> str:
    """Saves the best epoch's embeddings as ``<run_dir>/embeddings.npz`` (atomically)."""
    return atomic_savez(os.path.join(run_dir, "embeddings.npz"),
                        user_embeddings=user_table, item_embeddings=item_table)


def export_run(config: TrainConfig, dataset: RecDataset, user_table, item_table,
               export_dir: str = None, top_k: int = None, version: int = None) -> str:
    """Exports embeddings as a versioned SavedModel excluding all training-file items.

    Everything in ``train.txt`` (including the validation hold-out) is excluded
    from recommendations.

    Returns:
        The new version folder.
    """
    k = config.top_k if top_k is None else top_k  # 0 is an error, never "the run's K"
    module = RetrievalServingModule(user_table, item_table, dataset.known_interactions(),
                                    k=min(k, dataset.num_items),
                                    trained_users=dataset.train.users)
    if dataset.vocabulary is not None:  # --data-file / tfds: serve the log's own ids
        module = RawIdServingModule(module, dataset.vocabulary)
    return export_retrieval_model(module, export_dir or config.export_dir, version)


def summary(result: dict) -> str:
    """A one-screen text summary of a run's metrics.json content."""
    c = result["config"]
    lines = [f"ahns-tf run: {c['dataset']}  sampler={c['sampler']}"
             + (f" alpha={c['alpha']} beta={c['beta']} p={c['p']}" if c["sampler"] == "ahns" else "")
             + f"  M={c['num_candidates']}",
             f"protocol: {result['protocol']}" + "".join(
                 f"; {split}: a sample of {n['evaluated']} of {n['with_heldout_items']} users"
                 for split, n in result.get("evaluated_users", {}).items()
                 if n["evaluated"] < n["with_heldout_items"]),
             f"best epoch: {result['best_epoch']} of {c['epochs']}  "
             f"(median {result['median_epoch_seconds']:.2f} s per training epoch)",
             "test metrics at the best epoch:"]
    for name, value in sorted(result["test"].items()):
        lines.append(f"  {name:<14} {value:.4f}")
    if "written_by" in result:  # a multi-worker run's other worker
        lines.append("metrics.json, TensorBoard logs and the export are written by the chief")
        return "\n".join(lines)
    lines.append(f"metrics: {os.path.join(c['output_dir'], 'metrics.json')}")
    if "export_path" in result:
        lines.append(f"SavedModel: {result['export_path']}")
    return "\n".join(lines)
