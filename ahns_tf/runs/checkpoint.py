"""Per-epoch checkpoints of a training run, and resuming from them.

A run directory holds, next to metrics.json:

* ``checkpoints/``: `tf.train.CheckpointManager` checkpoints numbered by
  completed epoch: model weights, optimizer slots and the optimizer's step
  counter. The step counter is also the random state: candidate sampling is
  keyed on (seed, step) and batches on (seed, epoch) (separate streams, see
  `ahns_tf.random_streams`), so nothing else needs
  saving to continue exactly where the run stopped.
* ``progress.json``: the config, the last completed epoch and the evaluation
  callback's state (history, best epoch, patience counter, epoch timings),
  written atomically *after* that epoch's checkpoint.
* ``best-<epoch>.npz``: the best epoch's weights so far; progress.json names
  the file that goes with it, older ones are deleted after it is written.

If the process dies at any point, the newest ``progress.json`` names an epoch
whose checkpoint exists (two are kept), so a re-run resumes from it with a
history that has every evaluated epoch exactly once.
"""

import json
import os
import shutil

import numpy as np
import tensorflow as tf

from ahns_tf.export.saved_model import atomic_write_text


class RunConflictError(ValueError):
    """The output directory holds a different run."""


def changed_settings(saved: dict, current: dict, defaults=None, ignore=()) -> list:
    """Names of the settings in which a saved run's config differs from `current`.

    Args:
        saved: the stored config (JSON-loaded).
        current: the config of the run about to start.
        defaults: values for keys a saved config lacks (settings added since it
            was written); such a key counts as having its default.
        ignore: keys not compared (e.g. file locations).

    Returns:
        Sorted key names; empty when the runs match.

    Example:

    >>> changed_settings({"lr": 0.1}, {"lr": 0.1, "dim": 8}, defaults={"dim": 8})
    []
    """
    defaults = json.loads(json.dumps(defaults or {}))
    saved = dict(defaults, **json.loads(json.dumps(saved)))
    current = dict(defaults, **json.loads(json.dumps(current)))  # tuples -> lists, as stored
    return sorted(k for k in set(saved) | set(current)
                  if k not in ignore and saved.get(k) != current.get(k))


#: Config keys that say where a run's files go, not what the run is.
RUN_LOCATION_KEYS = ("output_dir", "export_dir")


class ResumableRun(tf.keras.callbacks.Callback):
    """Saves a checkpoint and progress.json after every completed epoch.

    Args:
        run_dir: the run's output directory.
        config: the run's config as a JSON-able dict (checked on resume).
        evaluation: the `RankingEvaluationCallback` whose state is saved.
        guard: a `NumericGuard`; a failed epoch is never checkpointed.
        defaults: values of settings added after a run was saved; a saved
            config without such a key counts as having its default, so runs
            saved by an older version still resume.
        code_fingerprint: `ahns_tf.provenance.code_fingerprint()` of this
            process; `code_fingerprints` lists every one a run was trained
            with (more than one if it was resumed under other code; "unknown"
            for epochs saved before fingerprints were recorded).

    Where a run's files live (``output_dir``, ``export_dir``) is not compared:
    a run folder that was moved or copied still resumes (or, if finished,
    is returned as it is).

    Example:

    ```python
    run = ResumableRun(out_dir, config.to_json(), evaluation, guard)
    first_epoch = run.restore(model)  # 0 for a new run
    model.fit(data(first_epoch), initial_epoch=first_epoch, callbacks=[evaluation, guard, run])
    ```
    """

    def __init__(self, run_dir: str, config: dict, evaluation, guard=None, defaults=None,
                 code_fingerprint: str = None):
        super().__init__()
        self.code_fingerprints = [code_fingerprint] if code_fingerprint else []
        self.defaults = defaults
        self.run_dir = run_dir
        self.config = json.loads(json.dumps(config))  # tuples -> lists, as stored
        self.evaluation = evaluation
        self.guard = guard
        self.progress_path = os.path.join(run_dir, "progress.json")
        self._best_file = None
        self._manager = None
        self._last_epoch = 0

    def load_progress(self):
        """The saved progress dict, or None for a new run.

        Raises:
            RunConflictError: the directory holds a run with another config.
        """
        if not os.path.isfile(self.progress_path):
            return None
        with open(self.progress_path) as f:
            progress = json.load(f)
        changed = changed_settings(progress["config"], self.config, self.defaults,
                                   ignore=RUN_LOCATION_KEYS)
        if changed:
            raise RunConflictError(
                f"{self.run_dir} holds a run with other settings ({', '.join(changed)}); "
                f"pass --overwrite to start it afresh, or choose another --output-dir")
        return progress

    def clear(self) -> None:
        """Deletes checkpoints and progress (for --overwrite)."""
        shutil.rmtree(os.path.join(self.run_dir, "checkpoints"), ignore_errors=True)
        for name in os.listdir(self.run_dir) if os.path.isdir(self.run_dir) else []:
            if name == "progress.json" or (name.startswith("best-") and name.endswith(".npz")):
                os.remove(os.path.join(self.run_dir, name))

    def _checkpoint_manager(self, model):
        if self._manager is None:
            checkpoint = tf.train.Checkpoint(model=model, optimizer=model.optimizer)
            self._manager = tf.train.CheckpointManager(
                checkpoint, os.path.join(self.run_dir, "checkpoints"), max_to_keep=2)
        return self._manager

    def restore(self, model) -> int:
        """Restores the last completed epoch into `model`; returns it (0 if new)."""
        self.model = model
        progress = self.load_progress()
        if progress is None:
            return 0
        epoch = int(progress["epoch"])
        model.optimizer.build(model.trainable_variables)  # create slots before restoring
        manager = self._checkpoint_manager(model)
        path = os.path.join(manager.directory, f"ckpt-{epoch}")
        manager.checkpoint.restore(path).assert_existing_objects_matched()
        best = None
        self._best_file = progress.get("best_file")
        if self._best_file:
            with np.load(os.path.join(self.run_dir, self._best_file)) as saved:
                best = [saved[f"w{i}"] for i in range(len(saved.files))]
        self.evaluation.load_state(progress["evaluation"], best)
        self._last_epoch = epoch
        earlier = progress.get("code_fingerprints", ["unknown"])
        self.code_fingerprints = earlier + [f for f in self.code_fingerprints if f not in earlier]
        return epoch

    @property
    def last_epoch(self) -> int:
        """The last checkpointed epoch (0 if none)."""
        return self._last_epoch

    def mark_finished(self) -> None:
        """Records that training ended (all epochs, or an early stop)."""
        if os.path.isfile(self.progress_path):
            with open(self.progress_path) as f:
                progress = json.load(f)
            progress["finished"] = True
            atomic_write_text(self.progress_path, json.dumps(progress))

    def on_epoch_end(self, epoch, logs=None):
        if self.guard is not None and self.guard.failure:
            return  # never checkpoint the weights of a failed epoch
        previous = self._best_file
        if self.evaluation.best_weights_changed:
            self._best_file = f"best-{epoch + 1}.npz"
            tmp = os.path.join(self.run_dir, self._best_file + ".tmp.npz")
            np.savez(tmp, **{f"w{i}": w for i, w in enumerate(self.evaluation.best_weights)})
            os.replace(tmp, os.path.join(self.run_dir, self._best_file))
        self._checkpoint_manager(self.model).save(checkpoint_number=epoch + 1)
        progress = {"config": self.config, "epoch": epoch + 1, "best_file": self._best_file,
                    "evaluation": self.evaluation.state(),
                    "code_fingerprints": self.code_fingerprints}
        atomic_write_text(self.progress_path, json.dumps(progress))
        self._last_epoch = epoch + 1
        if previous and previous != self._best_file:
            os.remove(os.path.join(self.run_dir, previous))
