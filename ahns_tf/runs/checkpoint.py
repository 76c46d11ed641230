"""Per-epoch checkpoints of a training run, and resuming from them.

A run directory holds, next to metrics.json:

* ``checkpoints/``: `tf.train.CheckpointManager` checkpoints numbered by
  completed epoch: model weights, optimizer slots and the optimizer's step
  counter, which is also the random state (candidates are keyed on (seed, step),
  batches on (seed, epoch): `ahns_tf.random_streams`), so nothing else needs
  saving to continue exactly where the run stopped.
* ``progress.json``: the config, the last completed epoch and the evaluation
  callback's state (history, best epoch, patience counter, epoch timings),
  written atomically *after* that epoch's checkpoint.
* ``checkpoints/progress-<epoch>.json``: progress.json of each kept checkpoint;
  ``best-<epoch>.npz``: the best weights so far (named by progress.json).

If the process dies at any point, the newest ``progress.json`` names an epoch
whose checkpoint exists (two are kept), so a re-run resumes from it with a
history that has every evaluated epoch exactly once. If that checkpoint or progress.json
itself is unreadable (a truncated file), the run resumes from the other kept checkpoint; if
none is readable, `CorruptRunError` names the files and suggests ``--overwrite``.
"""

import json
import os
import re
import time
from typing import Callable, Optional

import numpy as np

from ahns_tf._keras_setup import use_legacy_keras

use_legacy_keras()
# pylint: disable=wrong-import-position
import tensorflow as tf  # noqa: E402

from ahns_tf.atomic import atomic_savez  # noqa: E402
from ahns_tf.runs.progress import READ_ERRORS, ProgressFiles, changed_settings, warn  # noqa: E402
from ahns_tf.runs.optimizer_slots import create_slots, restore_sharded_slots  # noqa: E402
from ahns_tf.runs.errors import CorruptRunError, RunConflictError, UnwritableDirError  # noqa

#: A checkpoint's own files (`tf.train.CheckpointManager` names them ckpt-<epoch>.*).
_CHECKPOINT_FILE = re.compile(r"^checkpoints/ckpt-(\d+)\.")
#: What restoring a damaged checkpoint raises: `READ_ERRORS` and TensorFlow's own.
CHECKPOINT_READ_ERRORS = READ_ERRORS + (tf.errors.OpError,)


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
        ignore: config keys not compared on resume: settings that do not change
            what the run computes (where its files go). Defaults to the folders.
        upgrade: passed to `changed_settings`: a stored config in today's terms.
        resolve: passed to `changed_settings` (e.g. resolves ``optimizer="auto"``
            for this run's table sizes, so a folder that stored the choice
            ``auto`` stands for is the same run).

    Where a run's files live (``output_dir``, ``export_dir``; `ignore`) is not
    compared: a run folder that was moved or copied still resumes (or, if
    finished, is returned as it is).

    Example:

    ```python
    run = ResumableRun(out_dir, config.to_json(), evaluation, guard)
    first_epoch = run.restore(model)  # 0 for a new run
    model.fit(data(first_epoch), initial_epoch=first_epoch, callbacks=[evaluation, guard, run])
    ```
    """

    def __init__(self, run_dir: str, config: dict, evaluation, guard=None, defaults=None,
                 ignore=("output_dir", "export_dir"), code_fingerprint: str = None,
                 resolve: Optional[Callable[[dict], dict]] = None,
                 upgrade: Optional[Callable[[dict], dict]] = None):
        super().__init__()
        self.resolve, self.upgrade = resolve, upgrade
        self.ignore = tuple(ignore)
        self.code_fingerprints = [code_fingerprint] if code_fingerprint else []
        self.defaults = defaults
        self.run_dir = run_dir
        self.config = json.loads(json.dumps(config))  # tuples -> lists, as stored
        self.evaluation = evaluation
        self.guard = guard
        self.progress = ProgressFiles(run_dir)
        self.files = self.progress.files  # what the run wrote (`ahns_tf.runs.files.RunFiles`)
        self.progress_path = self.progress.path
        self.checkpoint_dir = os.path.join(run_dir, "checkpoints")
        self._best_file = None
        self._manager = None
        self._last_epoch = 0
        self.checkpoint_seconds = []  # per epoch of this process: best weights + checkpoint

    def _corrupt(self, what: str) -> CorruptRunError:
        return CorruptRunError(
            f"{what}; the run in {self.run_dir} cannot be resumed. Re-run with --overwrite "
            f"to train it afresh (or choose another --output-dir)")

    def load_progress(self):
        """The newest readable progress dict, or None for a new run.

        Raises:
            RunConflictError: the directory holds a run with another config.
            CorruptRunError: progress files exist but none can be read.
        """
        files = self.progress.paths()
        if not files:
            return None
        readable = self.progress.readable()
        if not readable:
            raise self._corrupt(f"{files[0]} is unreadable and no other kept progress file is")
        progress = readable[0][1]
        changed = changed_settings(progress["config"], self.config, self.defaults,
                                   ignore=self.ignore, resolve=self.resolve,
                                   upgrade=self.upgrade)
        if changed:
            raise RunConflictError(
                f"{self.run_dir} holds a run with other settings ({', '.join(changed)}); "
                f"pass --overwrite to start it afresh, or choose another --output-dir")
        return progress

    def _checkpoint_manager(self, model):
        if self._manager is None:
            checkpoint = tf.train.Checkpoint(model=model, optimizer=model.optimizer)
            self._manager = tf.train.CheckpointManager(
                checkpoint, self.checkpoint_dir, max_to_keep=2)
        return self._manager

    def _restore_one(self, model, progress: dict) -> None:
        """Restores one progress file's checkpoint and best weights (raises if unreadable)."""
        manager = self._checkpoint_manager(model)
        path = os.path.join(manager.directory, f"ckpt-{int(progress['epoch'])}")
        manager.checkpoint.restore(path).assert_existing_objects_matched()
        restore_sharded_slots(model, path)  # no-op unless tables are sharded over PS
        best = None
        if progress.get("best_file"):
            with np.load(os.path.join(self.run_dir, progress["best_file"])) as saved:
                best = [saved[f"w{i}"] for i in range(len(saved.files))]
        self.evaluation.load_state(progress["evaluation"], best)

    def restore(self, model, at_most: int = None) -> int:
        """Restores the last completed epoch into `model`; returns it (0 if new).

        Falls back to the older kept checkpoint when the newest one (or its
        progress file, or its best weights) cannot be read.

        Args:
            model: the built model.
            at_most: restore no epoch after this one (the workers of a
                multi-worker run resume from the same epoch).

        Raises:
            CorruptRunError: no kept checkpoint can be restored.
        """
        self.model = model
        if self.load_progress() is None:
            return 0
        create_slots(model)
        failed = []
        for source, progress in self.progress.readable():
            epoch = int(progress["epoch"])
            if at_most is not None and epoch > at_most:
                continue
            try:
                self._restore_one(model, progress)
            except CHECKPOINT_READ_ERRORS as e:
                failed.append(f"ckpt-{epoch} ({type(e).__name__}: {str(e)[:200]})")
                warn(f"the checkpoint of epoch {epoch} in {self.checkpoint_dir} is unreadable "
                      f"(ckpt-{epoch}: {type(e).__name__}: {str(e)[:200]}); trying the other "
                      f"kept checkpoint")
                continue
            if failed:
                warn(f"resuming {self.run_dir} from epoch {epoch} ({source})")
            self._best_file = progress.get("best_file")
            self._last_epoch = epoch
            earlier = progress.get("code_fingerprints", ["unknown"])
            self.code_fingerprints = earlier + [f for f in self.code_fingerprints
                                                if f not in earlier]
            return epoch
        raise self._corrupt(f"no kept checkpoint in {self.checkpoint_dir} can be read: "
                            + "; ".join(failed))

    @property
    def last_epoch(self) -> int:
        """The last checkpointed epoch (0 if none)."""
        return self._last_epoch

    def mark_finished(self) -> None:
        """Records that training ended (all epochs, or an early stop)."""
        self.record(finished=True)

    def record(self, **values) -> None:
        """Adds `values` to progress.json (e.g. the export path, before metrics.json)."""
        self.progress.update(**values)

    def recorded(self, key: str):
        """A value stored with `record`, or None."""
        progress = self.progress.latest()
        return None if progress is None else progress.get(key)

    def on_epoch_end(self, epoch, logs=None):
        if self.guard is not None and self.guard.failure:
            return  # never checkpoint the weights of a failed epoch
        try:
            self._save(epoch)
        except (tf.errors.UnavailableError, tf.errors.AbortedError):  # a lost task: fit names it
            self.files.remove_temporary()
            raise
        except (OSError, tf.errors.OpError) as e:  # a full disk, a folder gone read-only
            self.files.remove_temporary()  # the half-written checkpoint, nothing kept
            reason = getattr(e, "message", None) or e
            raise UnwritableDirError(
                f"--output-dir {self.run_dir}: cannot write the checkpoint of epoch {epoch + 1} "
                f"({reason}); the last good checkpoint (epoch {self._last_epoch}) is kept: free "
                f"space and re-run the same command") from None

    def _save(self, epoch: int) -> None:
        """Writes the epoch's best weights (if new), checkpoint and progress files."""
        start = time.perf_counter()
        if self.evaluation.best_weights_changed:
            self._best_file = f"best-{epoch + 1}.npz"
            self.files.record(self._best_file)
            atomic_savez(os.path.join(self.run_dir, self._best_file),
                         **{f"w{i}": w for i, w in enumerate(self.evaluation.best_weights)})
        manager = self._checkpoint_manager(self.model)
        saved = manager.save(checkpoint_number=epoch + 1)
        self.files.record(os.path.join(self.checkpoint_dir, "checkpoint"), *(
            os.path.join(self.checkpoint_dir, name) for name in os.listdir(self.checkpoint_dir)
            if name.startswith(os.path.basename(saved) + ".")))
        self.progress.write({"config": self.config, "epoch": epoch + 1,
                             "best_file": self._best_file, "evaluation": self.evaluation.state(),
                             "code_fingerprints": self.code_fingerprints})
        self._last_epoch = epoch + 1
        kept = {int(p.rsplit("-", 1)[1]) for p in manager.checkpoints}
        self.progress.prune(kept, self._best_file)
        self.files.forget(*(  # the checkpoints the manager deleted
            name for name in self.files.names()
            if (m := _CHECKPOINT_FILE.match(name)) and int(m.group(1)) not in kept))
        self.checkpoint_seconds.append(time.perf_counter() - start)
