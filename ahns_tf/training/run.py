"""One training run: data -> model -> lock -> resume -> fit -> metrics.json -> export."""

import dataclasses
import json
import os
import sys
import time

import tensorflow as tf

from ahns_tf.atomic import atomic_savez, atomic_write_text
from ahns_tf.config import TrainConfig, identity_fields
from ahns_tf.config.upgrade import upgrade_saved
from ahns_tf.data import RecDataset
from ahns_tf.data.checks import check_dataset
from ahns_tf.data.features import FILE_NAME as FEATURES_FILE, save_specs
from ahns_tf.data.run_data import (DIGEST_FILE, SPLIT_FILE, changed_digest, changed_run_data,
                                   save_digest, save_run_data)
from ahns_tf.data.vocabulary import FILE_NAME as VOCABULARY_FILE
from ahns_tf.evaluation import RankingEvaluationCallback
from ahns_tf.export import export_run
from ahns_tf.models.optimizers import resolve_optimizer_setting
from ahns_tf.pipeline.input import steps_per_epoch
from ahns_tf.provenance import provenance
from ahns_tf.runs import (CorruptRunError, NonFiniteLossError, RunConflictError, RunLock,
                          check_writable)
from ahns_tf.runs.checkpoint import ResumableRun
from ahns_tf.runs.guard import NumericGuard
from ahns_tf.runs.warm_start import warm_start
from ahns_tf.training.build import build_evaluators, build_model
from ahns_tf.training.cluster import ClusterUnavailableError
from ahns_tf.training.inputs import distributed_pairs, load_for
from ahns_tf.training.result import run_result, save_embeddings
from ahns_tf.training.strategy import agreed_epoch, is_chief, make_strategy, task_name


def run_once(config: TrainConfig, dataset: RecDataset = None, export: bool = True,
             verbose=None, overwrite: bool = False, callbacks=(), evaluate_test: bool = True,
             command: str = None) -> dict:
    """One ordinary run of a resolved config (no ``--refit``); see `ahns_tf.training.train`.

    Before any training, the output (and export) folders are checked to be
    writable and the data to fit the settings; the run then holds an exclusive
    lock on ``config.output_dir`` until it returns.

    Returns:
        The content of ``<output_dir>/metrics.json``.

    Example:

    ```python
    run_once(TrainConfig(dataset="tools", data_dir="../shared/data/ahns").resolved())
    ```
    """
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
    check_dataset(dataset, config.ks, config.dim, config.memory_budget_gb,
                  declared={"user": config.num_users, "item": config.num_items},
                  top_k=config.top_k)
    with strategy.scope():
        model = build_model(config, dataset)
    if config.warm_start:  # before the lock: a bad RUN_DIR stops with nothing written
        warm_start(model.backbone, dataset.vocabulary, config.warm_start)
    if not evaluate_test and config.select_on != "valid":
        raise ValueError("evaluate_test=False needs select_on='valid'")
    evaluators = build_evaluators(config, dataset, include_test=evaluate_test)
    evaluation = RankingEvaluationCallback(
        model.backbone, evaluators, "valid" if "valid" in evaluators else "test",
        config.select_metric, config.eval_every, config.patience, config.epochs)
    guard = NumericGuard(per_batch=config.strategy != "parameter_server")  # PS: no batch hooks
    # "auto" and the optimizer it resolves to for these tables are the same run.
    def resolve(values: dict) -> dict:
        return resolve_optimizer_setting(values, num_rows=dataset.num_users + dataset.num_items)

    run = ResumableRun(config.output_dir, config.to_json(), evaluation, guard,
                       defaults=TrainConfig().to_json(), ignore=identity_fields(TrainConfig),
                       code_fingerprint=origin["code_fingerprint"], resolve=resolve,
                       upgrade=upgrade_saved)  # an earlier version's words for a setting
    with RunLock(config.output_dir):  # one process per run directory, until we return
        return _run_locked(config, dataset, model, evaluators, evaluation, guard, run,
                           export, verbose, overwrite, callbacks, origin, chief)


def _run_locked(config, dataset, model, evaluators, evaluation, guard, run, export, verbose,
                overwrite, callbacks, origin, chief=True) -> dict:
    """The part of `run_once` that runs while holding the run directory's lock.

    ``chief`` False (a multi-worker run's other workers): train and checkpoint
    in step with the chief, but write no metrics.json, TensorBoard logs,
    embeddings or export.
    """
    metrics_path = os.path.join(config.output_dir, "metrics.json")
    if not overwrite and any(os.path.isdir(os.path.join(config.output_dir, name))
                             for name in ("select", "refit", "refit-with-valid")):
        raise RunConflictError(
            f"{config.output_dir} holds a --refit run (select/, refit/); a run without --refit "
            f"goes to another --output-dir, or --overwrite")
    if overwrite:
        run.files.clear()  # what runs wrote there, or an error naming what else is there
    run.files.remove_temporary()  # of a write killed midway; no other writer holds the lock
    progress = run.load_progress()  # raises before any output if the dir holds another run
    finished = bool(progress and progress.get("finished"))
    if finished and os.path.isfile(metrics_path):
        with open(metrics_path) as f:
            return json.load(f)
    # A log's own record first (it names the row, column and value), then every source's digest.
    if dataset.vocabulary is not None:  # which raw id is which row, and the split
        changed = changed_run_data(config.output_dir, dataset) if progress else None
        if changed:
            raise RunConflictError(
                f"{config.data_file or config.dataset} no longer gives the vocabulary and "
                f"split saved in {config.output_dir}: {changed} (the log changed since the "
                f"run began); use another --output-dir, or --overwrite to start afresh")
        if not (progress and os.path.isfile(os.path.join(config.output_dir, SPLIT_FILE))):
            run.files.record(SPLIT_FILE, VOCABULARY_FILE)
            save_run_data(config.output_dir, dataset)  # a resumed run keeps its record as is
    changed = changed_digest(config.output_dir, dataset) if progress else None
    if changed:  # any source: the run's data, as it began
        raise RunConflictError(
            f"{config.data_file or config.dataset} no longer gives the data the run in "
            f"{config.output_dir} began with: {changed}; use another --output-dir, or "
            f"--overwrite to start afresh")
    if not (progress and os.path.isfile(os.path.join(config.output_dir, DIGEST_FILE))):
        run.files.record(DIGEST_FILE)
        save_digest(config.output_dir, dataset)
    first_epoch = run.restore(model)  # a resumed run's weights replace a warm start
    agreed = agreed_epoch(model.distribute_strategy, first_epoch)
    if agreed < first_epoch:  # multi-worker: another worker's last checkpoint is older
        first_epoch = run.restore(model, at_most=agreed)
        if first_epoch != agreed:
            raise CorruptRunError(
                f"{config.output_dir}: another worker resumes after epoch {agreed}, whose "
                f"checkpoint this worker no longer keeps; re-run every worker with --overwrite")
    evaluation.set_model(model)  # also needed when a finished run skips fit()
    start = time.perf_counter()
    if not finished:
        _fit(config, dataset, model, evaluation, guard, run, first_epoch, verbose,
             [*callbacks, evaluation, guard, run], chief)  # evaluate, check, then checkpoint
    train_seconds = time.perf_counter() - start
    evaluation.restore_best()
    result = run_result(config, dataset, evaluation, evaluators, evaluation.evaluate_now(),
                        model, run, origin, train_seconds)
    if not chief:
        result["written_by"] = "the chief"  # metrics.json, TensorBoard logs, export
        return result
    # Whole tables, whatever the strategy: a sharded table's shards are concatenated.
    users, items = (tf.convert_to_tensor(t).numpy() for t in model.backbone.tables())
    state = model.backbone.export_state()  # feature towers: what embeds new rows at export
    run.files.record("embeddings.npz", "metrics.json", *(["backbone.npz"] if state else []),
                     *([FEATURES_FILE] if dataset.features else []))
    save_embeddings(config.output_dir, users, items)
    if state:
        atomic_savez(os.path.join(config.output_dir, "backbone.npz"), **state)
    if dataset.features:
        save_specs(config.output_dir, {side: spec for side, (spec, _) in dataset.features.items()})
    if export:
        result["export_path"] = _export_once(run, config, dataset, users, items, state)
    atomic_write_text(metrics_path, json.dumps(result, indent=2, sort_keys=True))
    return result


def _fit(config, dataset, model, evaluation, guard, run, first_epoch, verbose, callbacks,
         chief) -> None:
    """`Model.fit` from `first_epoch`; raises `NonFiniteLossError` if the guard stopped it."""
    if chief:
        logs = os.path.join(config.output_dir, "tensorboard")
        if not os.path.exists(logs) or "tensorboard/" in run.files.names():
            run.files.record("tensorboard/")  # TensorFlow names the event files
        callbacks.append(tf.keras.callbacks.TensorBoard(
            logs, write_graph=False, profile_batch=0))
    if verbose is None:
        verbose = 1 if sys.stdout.isatty() else 2
    if config.strategy == "parameter_server" and verbose == 1:
        verbose = 2  # Keras refuses the progress bar under ParameterServerStrategy
    if first_epoch:
        print(f"Resuming {config.output_dir} after epoch {first_epoch}.")
    try:
        model.fit(distributed_pairs(config, dataset, first_epoch), epochs=config.epochs,
                  initial_epoch=first_epoch, callbacks=callbacks, verbose=verbose,
                  steps_per_epoch=steps_per_epoch(len(dataset.train), config.batch_size))
    except (tf.errors.UnavailableError, tf.errors.AbortedError) as e:  # a task of the cluster
        raise ClusterUnavailableError(
            f"--strategy {config.strategy}: a task of the cluster is unreachable "
            f"({str(e.message).splitlines()[0][:300]}); restart it and re-run the same command: "
            f"it resumes after the last checkpointed epoch ({run.last_epoch})") from None
    if guard.failure:
        kept = (f"The checkpoint of the last good epoch ({run.last_epoch}) is kept in "
                f"{config.output_dir}" if run.last_epoch else
                "No epoch completed, so no checkpoint is kept")
        raise NonFiniteLossError(
            f"training stopped: {guard.failure}. {kept}; lower --lr or check the "
            f"data, then re-run with --overwrite.")
    run.mark_finished()


def _export_once(run, config: TrainConfig, dataset: RecDataset, user_table, item_table,
                 state: dict) -> str:
    """Exports the run once: a re-run after a crash reuses the version recorded in progress.json.

    The version is recorded before metrics.json is written, so a kill while
    writing metrics.json never leads to a second, duplicate version.
    """
    done = run.recorded("export_path")
    if done and os.path.isdir(done) and \
            os.path.dirname(os.path.abspath(done)) == os.path.abspath(config.export_dir):
        return done
    path = export_run(config, dataset, user_table, item_table, backbone_state=state)
    run.record(export_path=path)
    return path
