"""Durable, atomic file writes that respect the umask.

Every file the project writes (metrics.json, progress.json, embeddings.npz,
best-<epoch>.npz, models.config, downloads) goes through
`atomic_file`: the content is written to a hidden temporary file beside the
target, flushed and fsync'ed, given the mode a plain ``open()`` would have
given it (``0666 & ~umask``, so 0644 under the usual umask 022, not
`tempfile`'s 0600), renamed over the target, and the folder is fsync'ed so
the rename itself survives a power loss. A reader sees the old file or the
complete new one, never a partial one.
"""

import contextlib
import os
import tempfile

import numpy as np

#: Prefix of the temporary files of `atomic_file` (a run deletes such leftovers, and no other
#: file, when it starts: `ahns_tf.runs.files.RunFiles.remove_temporary`).
TEMP_PREFIX = ".tmp-ahns-"


def current_umask() -> int:
    """The process umask.

    Read from ``/proc/self/status`` where Linux provides it: setting the umask
    to read it back would briefly change it for TensorFlow's other threads.

    Example:

    >>> 0 <= current_umask() <= 0o777
    True
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)  # elsewhere: set it and restore it at once
    os.umask(mask)
    return mask


def fsync_dir(path: str) -> None:
    """Flushes a folder's entries (a rename or a new file in it) to disk.

    Example:

    >>> fsync_dir(".")
    """
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_readable_dir(prefix: str, parent: str) -> str:
    """A new hidden temporary folder in `parent` with mode ``0777 & ~umask``.

    `tempfile.mkdtemp` creates 0700 folders, which a TF Serving running as
    another user cannot read once the folder is renamed to a version.

    Returns:
        The folder's path.

    Example:

    ```python
    tmp = make_readable_dir(".tmp-export-", "saved_models/tools")  # drwxr-xr-x
    ```
    """
    tmp = tempfile.mkdtemp(dir=parent, prefix=prefix)
    os.chmod(tmp, 0o777 & ~current_umask())
    return tmp


@contextlib.contextmanager
def atomic_file(path: str, mode: str = "w"):
    """Opens a temporary file that replaces `path` only if the block completes.

    Args:
        path: the file to (re)write; its folder is created if missing.
        mode: ``"w"`` (text) or ``"wb"`` (binary).

    Yields:
        The open temporary file (its ``name`` is the temporary path).

    Example:

    ```python
    with atomic_file("run/metrics.json") as f:
        f.write(text)
    ```
    """
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=TEMP_PREFIX)
    os.close(fd)
    try:
        with open(tmp, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, path)
        fsync_dir(folder)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def atomic_write_text(path: str, text: str) -> None:
    """Writes `text` to `path` atomically and durably (see `atomic_file`).

    Example:

    ```python
    atomic_write_text("run/progress.json", json.dumps(progress))
    ```
    """
    with atomic_file(path, "w") as f:
        f.write(text)


def atomic_savez(path: str, **arrays) -> str:
    """Saves `arrays` as an uncompressed ``.npz`` at `path`, atomically and durably.

    Args:
        path: the target, e.g. ``run/embeddings.npz``.
        **arrays: name -> array, as for `numpy.savez`.

    Returns:
        `path`.

    Example:

    ```python
    atomic_savez("run/embeddings.npz", user_embeddings=users, item_embeddings=items)
    ```
    """
    with atomic_file(path, "wb") as f:
        np.savez(f, **arrays)
    return path
