"""A run's progress files: ``progress.json`` and one snapshot per kept checkpoint.

``progress.json`` holds the config, the last completed epoch, the best-weights
file and the evaluation state; ``checkpoints/progress-<epoch>.json`` is a copy
written with each checkpoint, so that when the newest checkpoint (or
progress.json itself) is damaged, the older kept checkpoint can be resumed
with the history that belongs to it.
"""

import json
import os
import re
import sys
import zipfile
from typing import Callable, Optional

from ahns_tf.atomic import atomic_write_text
from ahns_tf.runs.files import RunFiles

_SNAPSHOT = re.compile(r"^progress-(\d+)\.json$")
#: What reading a damaged progress file or .npz raises: truncated or garbled JSON, "Read
#: less bytes than requested" (IndexError), a bad zip, a missing file. (A checkpoint adds
#: TensorFlow's errors: `ahns_tf.runs.checkpoint.CHECKPOINT_READ_ERRORS`.)
READ_ERRORS = (ValueError, KeyError, IndexError, TypeError, OSError, EOFError,
               zipfile.BadZipFile, AssertionError)


def changed_settings(saved: dict, current: dict, defaults=None, ignore=(),
                     resolve: Optional[Callable[[dict], dict]] = None,
                     upgrade: Optional[Callable[[dict], dict]] = None) -> list:
    """Names of the settings in which a saved run's config differs from `current`.

    Args:
        saved: the stored config (JSON-loaded).
        current: the config of the run about to start.
        defaults: values for keys a saved config lacks (settings added since it
            was written); such a key counts as having its default.
        ignore: keys not compared (e.g. file locations).
        resolve: maps both configs (defaults filled in) to what their settings
            mean for this run before comparing, e.g.
            `ahns_tf.models.optimizers.resolve_optimizer_setting`, so that
            ``optimizer="auto"`` equals the choice it resolves to.
        upgrade: maps the stored config, as written (before `defaults` fill
            it), to today's terms (`ahns_tf.config.upgrade.upgrade_saved`).

    Returns:
        Sorted key names; empty when the runs match.

    Example:

    >>> changed_settings({"lr": 0.1}, {"lr": 0.1, "dim": 8}, defaults={"dim": 8})
    []
    """
    defaults = json.loads(json.dumps(defaults or {}))
    saved = json.loads(json.dumps(saved))
    saved = dict(defaults, **(upgrade(saved) if upgrade is not None else saved))
    current = dict(defaults, **json.loads(json.dumps(current)))  # tuples -> lists, as stored
    if resolve is not None:
        saved, current = resolve(saved), resolve(current)
    return sorted(k for k in set(saved) | set(current)
                  if k not in ignore and saved.get(k) != current.get(k))


def warn(message: str) -> None:
    """Prints a warning about a damaged run file to stderr."""
    print(f"warning: {message}", file=sys.stderr)


class ProgressFiles:
    """Reads, writes and prunes a run's progress files.

    Args:
        run_dir: the run's output directory.

    Example:

    ```python
    files = ProgressFiles("runs/tools-ahns")
    files.write({"config": {...}, "epoch": 3, "best_file": "best-3.npz", "evaluation": {...}})
    files.readable()[0]  # ("runs/tools-ahns/progress.json", {... "epoch": 3 ...})
    ```
    """

    def __init__(self, run_dir: str):
        self.run_dir = run_dir
        self.path = os.path.join(run_dir, "progress.json")
        self.snapshot_dir = os.path.join(run_dir, "checkpoints")
        self._reported = set()  # unreadable files already warned about
        self.files = RunFiles(run_dir)  # what the run wrote: the only files it deletes

    def snapshot(self, epoch: int) -> str:
        """The path of the snapshot written with checkpoint `epoch`."""
        return os.path.join(self.snapshot_dir, f"progress-{epoch}.json")

    def _snapshot_epochs(self) -> list:
        if not os.path.isdir(self.snapshot_dir):
            return []
        return sorted((int(m.group(1)) for m in map(_SNAPSHOT.match, os.listdir(
            self.snapshot_dir)) if m), reverse=True)

    def paths(self) -> list:
        """progress.json (if present), then the snapshots, newest first."""
        first = [self.path] if os.path.isfile(self.path) else []
        return first + [self.snapshot(e) for e in self._snapshot_epochs()]

    @staticmethod
    def read(path: str) -> dict:
        """One progress file, checked to hold an integer ``epoch`` and a ``config`` object.

        Raises:
            One of `READ_ERRORS`: the file is missing, truncated or malformed.
        """
        with open(path) as f:
            progress = json.load(f)
        int(progress["epoch"])
        if not isinstance(progress["config"], dict):
            raise ValueError("'config' is not an object")
        return progress

    def saved_config(self) -> dict:
        """The run's config as progress.json holds it (``--resume`` starts from it).

        Raises:
            One of `READ_ERRORS`: progress.json is missing (FileNotFoundError)
            or unreadable.
        """
        return self.read(self.path)["config"]

    def readable(self, report: bool = True) -> list:
        """``(path, progress)`` of each readable file, newest epoch first, one per epoch.

        Args:
            report: warn (once per file) about an unreadable file.
        """
        found = {}
        for path in self.paths():  # progress.json first: it wins a tie (it has more keys)
            try:
                progress = self.read(path)
                epoch = int(progress["epoch"])
            except READ_ERRORS as e:
                if report and path not in self._reported:
                    self._reported.add(path)
                    warn(f"{path} is unreadable ({type(e).__name__}: {e}); trying the other "
                         f"kept checkpoint")
                continue
            found.setdefault(epoch, (path, progress))
        return [found[e] for e in sorted(found, reverse=True)]

    def latest(self):
        """The newest readable progress dict, or None."""
        readable = self.readable(report=False)
        return readable[0][1] if readable else None

    def write(self, progress: dict) -> None:
        """Writes the snapshot of ``progress["epoch"]``, then progress.json."""
        text = json.dumps(progress)
        snapshot = self.snapshot(int(progress["epoch"]))
        self.files.record(snapshot, self.path)
        atomic_write_text(snapshot, text)
        atomic_write_text(self.path, text)

    def update(self, **values) -> None:
        """Adds `values` to the newest progress (a no-op before the first epoch)."""
        progress = self.latest()
        if progress is not None:
            progress.update(values)
            atomic_write_text(self.path, json.dumps(progress))

    def prune(self, kept_epochs, best_file) -> None:
        """Deletes snapshots of deleted checkpoints and best files nothing refers to, among
        the files the run wrote (`RunFiles`).

        Args:
            kept_epochs: epochs whose checkpoints the manager keeps.
            best_file: the current best-weights file (always kept).
        """
        referenced, ours = {best_file}, self.files.names()
        for epoch in self._snapshot_epochs():
            path = self.snapshot(epoch)
            if epoch not in kept_epochs:
                if f"checkpoints/{os.path.basename(path)}" in ours:
                    os.remove(path)
                    self.files.forget(path)
                continue
            try:
                with open(path) as f:
                    referenced.add(json.load(f).get("best_file"))
            except READ_ERRORS:
                pass
        for name in sorted(ours):
            if name.startswith("best-") and name.endswith(".npz") and name not in referenced:
                path = os.path.join(self.run_dir, name)
                if os.path.isfile(path):
                    os.remove(path)
                self.files.forget(name)
