"""One process per run directory: an exclusive `flock` on ``<output-dir>/.lock``."""

import fcntl
import os

from ahns_tf.runs.errors import RunLockedError


class RunLock:
    """Holds an exclusive lock on a run directory for the whole run.

    The lock is `fcntl.flock` on ``<run_dir>/.lock``, which holds the pid of
    the process that owns it. The kernel releases it when that process exits,
    even on SIGKILL, so a stale ``.lock`` file never blocks a later run (the
    file itself is left in place: deleting it could let two processes lock two
    different files). A second process trying to take the lock fails at once
    with `RunLockedError` before it reads or writes anything else.

    Args:
        run_dir: the run's output directory (created if missing).
        name: the lock file's name in it. Defaults to ``.lock``.

    Example:

    ```python
    with RunLock("runs/tools-ahns"):
        ...  # train, checkpoint, export, write metrics.json
    ```
    """

    def __init__(self, run_dir: str, name: str = ".lock"):
        self.run_dir = run_dir
        self.path = os.path.join(run_dir, name)
        self._file = None

    def acquire(self) -> None:
        """Takes the lock, or raises `RunLockedError` naming the holder's pid."""
        os.makedirs(self.run_dir, exist_ok=True)
        f = open(self.path, "a+")  # never truncate: the holder's pid must stay readable
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "unknown"
            f.close()
            raise RunLockedError(
                f"{self.run_dir} is in use by another process (pid {holder}); wait for it "
                f"to finish or stop it, or choose another --output-dir") from None
        f.seek(0)
        f.truncate()
        f.write(f"{os.getpid()}\n")
        f.flush()
        self._file = f

    def release(self) -> None:
        """Releases the lock (closing the file releases the flock)."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> "RunLock":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
