"""The files a run wrote in its folder, recorded by name: the only ones it may ever delete.

A run folder can hold files the library did not write (a user's notes, a
folder reused by mistake). `RunFiles` records, in ``run-files.json``, every
file and folder a run writes there; ``--overwrite`` removes exactly those, and
refuses a folder that holds anything else, naming it. Temporary files of an
interrupted write are the library's own by their prefix (`TEMP_PREFIX`).
"""

import json
import os
import re
import shutil

from ahns_tf.atomic import TEMP_PREFIX, atomic_write_text
from ahns_tf.runs.errors import RunConflictError

#: The record of what the run wrote, in the run folder.
MANIFEST = "run-files.json"
#: Names a run keeps and never deletes (the lock file: see `ahns_tf.runs.lock`).
_KEPT = (".lock", MANIFEST)
#: TensorFlow's temporary folder while a checkpoint is saved (left behind if the save fails).
_CHECKPOINT_TEMP = re.compile(r"^checkpoints/ckpt-\d+_temp/")
#: What a run wrote before runs kept a record (their files had these names), for a folder
#: with no record but a readable progress.json.
_RECORDLESS = re.compile(r"^(progress\.json|metrics\.json|embeddings\.npz|vocabulary\.json|"
                         r"split\.parquet|best-\d+\.npz|checkpoints/(checkpoint|ckpt-\d+\..+|"
                         r"progress-\d+\.json)|tensorboard/.+)$")


class RunFiles:
    """Reads and updates a run folder's ``run-files.json``.

    Entries are paths relative to the folder with ``/``; an entry ending in
    ``/`` is a folder the run created whole (TensorBoard's event files).

    Args:
        run_dir: the run's output folder.

    Example:

    ```python
    files = RunFiles("runs/tools-ahns")
    files.record("metrics.json")
    files.foreign()   # [] when the folder holds only what runs wrote
    ```
    """

    def __init__(self, run_dir: str):
        self.run_dir = run_dir
        self.path = os.path.join(run_dir, MANIFEST)

    def names(self) -> set:
        """The recorded entries (none when the folder has no readable record)."""
        try:
            with open(self.path) as f:
                names = json.load(f)
        except (OSError, ValueError):
            return set()
        return set(names) if isinstance(names, list) else set()

    def _recordless_run(self) -> bool:
        """A run folder from before the record: no record, but a readable progress.json."""
        if os.path.exists(self.path):
            return False
        try:
            with open(os.path.join(self.run_dir, "progress.json")) as f:
                progress = json.load(f)
            return isinstance(progress.get("config"), dict) and "epoch" in progress
        except (OSError, ValueError, AttributeError):
            return False

    def _write(self, names: set) -> None:
        atomic_write_text(self.path, json.dumps(sorted(names), indent=0))

    def record(self, *paths: str) -> None:
        """Adds `paths` (absolute, or relative to the folder) to the record."""
        names = self.names()
        new = {self._relative(p) for p in paths} - names
        if new:
            self._write(names | new)

    def forget(self, *paths: str) -> None:
        """Removes `paths` from the record (after the run deleted them)."""
        names = self.names()
        gone = {self._relative(p) for p in paths} & names
        if gone:
            self._write(names - gone)

    def _relative(self, path: str) -> str:
        """`path` (under the folder, or relative to it) as a record entry (``a/b``, ``dir/``)."""
        folder = os.path.abspath(self.run_dir)
        full = path if os.path.isabs(path) else os.path.join(folder, path)
        if not os.path.isabs(path) and os.path.abspath(path).startswith(folder + os.sep):
            full = os.path.abspath(path)            # already under the folder (a relative path)
        relative = os.path.relpath(full, folder)
        return relative.replace(os.sep, "/") + ("/" if path.endswith(("/", os.sep)) else "")

    def is_ours(self, relative: str, names: set = None) -> bool:
        """Whether the file at `relative` was written by a run (recorded, or a temporary file
        of an interrupted write)."""
        names = self.names() if names is None else names
        base = relative.rsplit("/", 1)[-1]
        if "*recordless*" in names and _RECORDLESS.match(relative):
            return True
        return (relative in names or relative in _KEPT or base.startswith(TEMP_PREFIX)
                or bool(_CHECKPOINT_TEMP.match(relative))
                or any(n.endswith("/") and relative.startswith(n) for n in names))

    def _owned_names(self) -> set:
        """The record, marked when the folder is a run of an earlier version (no record)."""
        return self.names() | ({"*recordless*"} if self._recordless_run() else set())

    def _walk(self) -> list:
        """Every file under the folder, as a relative ``a/b`` path."""
        return [os.path.relpath(os.path.join(folder, f), self.run_dir).replace(os.sep, "/")
                for folder, _, files in os.walk(self.run_dir) for f in files]

    def foreign(self) -> list:
        """Sorted relative paths of the files in the folder that no run wrote.

        A sub-folder with its own record (``select/``, ``refit/`` of ``--refit``,
        ``workers/...``) answers for itself.
        """
        if not os.path.isdir(self.run_dir):
            return []
        names, found = self._owned_names(), []
        for folder, dirs, files in os.walk(self.run_dir):
            relative = os.path.relpath(folder, self.run_dir).replace(os.sep, "/")
            prefix = "" if relative == "." else relative + "/"
            if prefix and os.path.isfile(os.path.join(folder, MANIFEST)):
                found += [prefix + f for f in RunFiles(folder).foreign()]
                dirs[:] = []
                continue
            found += [prefix + f for f in files if not self.is_ours(prefix + f, names)]
        return sorted(found)

    def clear(self) -> None:
        """Deletes what runs wrote in the folder (``--overwrite``), if that is all it holds.

        Raises:
            RunConflictError: the folder holds files no run wrote (named); nothing
                is deleted.
        """
        foreign = self.foreign()
        if foreign:
            more = f" (and {len(foreign) - 10} more)" if len(foreign) > 10 else ""
            raise RunConflictError(
                f"--overwrite would delete the run in {self.run_dir}, which also holds files no "
                f"run wrote: {', '.join(foreign[:10])}{more}; move them away or choose another "
                f"--output-dir")
        self.remove()

    def remove(self) -> None:
        """Deletes every recorded file and folder (call `foreign` first: what it lists stays)."""
        names = self.names()
        if self._recordless_run():  # a folder of an earlier version: its files by their names
            names |= {f for f in self._walk() if _RECORDLESS.match(f)}
        for name in names:
            path = os.path.join(self.run_dir, name)
            if name.endswith("/"):
                shutil.rmtree(path, ignore_errors=True)
            elif os.path.isfile(path):
                os.remove(path)
        self.remove_temporary()
        self._write(set())

    def remove_temporary(self) -> None:
        """Deletes what an interrupted write left: the library's temporary files (never a
        folder of that name) and TensorFlow's temporary checkpoint folders. Call it only while
        holding the run's `ahns_tf.runs.lock.RunLock` (no other process writes then)."""
        for name in os.listdir(self.run_dir) if os.path.isdir(self.run_dir) else []:
            path = os.path.join(self.run_dir, name)
            if name.startswith(TEMP_PREFIX) and os.path.isfile(path):
                os.remove(path)
        checkpoints = os.path.join(self.run_dir, "checkpoints")
        for name in os.listdir(checkpoints) if os.path.isdir(checkpoints) else []:
            if _CHECKPOINT_TEMP.match(f"checkpoints/{name}/"):
                shutil.rmtree(os.path.join(checkpoints, name), ignore_errors=True)
