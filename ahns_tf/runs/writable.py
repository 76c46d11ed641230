"""Checks, before any training, that the output folders can be written."""

import os
import tempfile

from ahns_tf.runs.errors import UnwritableDirError


def check_writable(path: str, flag: str) -> None:
    """Raises `UnwritableDirError` if `path` cannot be created or written.

    Nothing is left behind: the nearest existing ancestor of `path` must be a
    folder in which a probe file can be created (and is removed at once), so
    a read-only folder or file system, a missing permission and a regular file
    in the way are all found before hours of training.

    Args:
        path: the folder, which need not exist yet.
        flag: the flag that set it (``--output-dir``), named in the message.

    Example:

    ```python
    check_writable("runs/tools-ahns", "--output-dir")
    ```
    """
    existing = os.path.abspath(path)
    while not os.path.exists(existing):
        if os.path.islink(existing):
            raise UnwritableDirError(
                f"{flag} {path}: {existing} is a broken symbolic link (to "
                f"{os.readlink(existing)}); remove it, create its target, or choose another {flag}")
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        raise UnwritableDirError(
            f"{flag} {path}: {existing} is a file, not a folder; choose another {flag}")
    try:
        fd, probe = tempfile.mkstemp(dir=existing, prefix=".write-test-")
        os.close(fd)
        os.remove(probe)
    except OSError as e:
        raise UnwritableDirError(
            f"{flag} {path}: cannot write in {existing} ({e.strerror}); fix its permissions "
            f"or choose another {flag}") from None
