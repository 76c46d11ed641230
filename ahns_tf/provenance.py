"""Where a result came from: the exact command, the code it ran on, the packages.

Every metrics.json and every committed benchmark file records `provenance()`,
so each number can be traced to a command line and a commit and reproduced.
"""

import datetime
import hashlib
import importlib.metadata
import os
import platform
import shlex
import subprocess
import sys
from typing import Optional, Sequence

#: The repository root (this file is ahns_tf/provenance.py).
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: The library's own code: what a result depends on (CLIs and benchmarks only drive it).
CODE_DIR = os.path.join(ROOT, "ahns_tf")
#: Distributions whose versions are recorded.
PACKAGES = ("tensorflow", "tf-keras", "tensorflow-recommenders", "keras-tuner", "numpy")


def code_fingerprint(code_dir: str = CODE_DIR) -> str:
    """SHA-256 (first 16 hex digits) of every ``.py`` file under `code_dir`, paths included.

    Two results with the same fingerprint ran the same library code, whatever
    git says: uncommitted edits change it, commits outside ``ahns_tf/`` do not
    (a docstring or comment edit inside it does: the bytes are hashed).

    Example:

    >>> len(code_fingerprint())
    16
    """
    digest = hashlib.sha256()
    for folder, dirs, files in os.walk(code_dir):
        dirs.sort()
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                digest.update(os.path.relpath(path, code_dir).encode() + b"\0")
                with open(path, "rb") as f:
                    digest.update(f.read() + b"\0")
    return digest.hexdigest()[:16]


def _git(*args) -> Optional[str]:
    """``git -C ROOT args`` output, or None unless ROOT is itself the top of a checkout.

    (An installed package can sit inside some other repository, e.g. a
    virtualenv in a project folder: that repository's HEAD is not ours.)
    """
    def run(*words):
        return subprocess.run(["git", "-C", ROOT, *words], capture_output=True, text=True,
                              timeout=30, check=True).stdout.strip()
    try:
        if os.path.realpath(run("rev-parse", "--show-toplevel")) != os.path.realpath(ROOT):
            return None
        return run(*args)
    except (OSError, subprocess.SubprocessError):
        return None  # not a git checkout (an installed package), or no git


def command_line(argv: Optional[Sequence[str]] = None) -> str:
    """The command as typed, e.g. ``python -m pipelines.train --dataset tools``.

    Args:
        argv: the arguments after the program, for a CLI called in-process
            (``main(argv)``); defaults to this process's own command line.
    """
    if argv is None and getattr(sys, "orig_argv", None):   # Python 3.10+: exactly as typed
        return " ".join(["python"] + [shlex.quote(a) for a in sys.orig_argv[1:]])
    argv = list(sys.argv[1:] if argv is None else argv)
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    module = spec.name.removesuffix(".__main__") if spec is not None and spec.name else None
    program = (f"python -m {module}" if module
               else "python " + os.path.relpath(sys.argv[0], ROOT) if sys.argv and sys.argv[0]
               else "python")
    return " ".join([program] + [shlex.quote(a) for a in argv])


def provenance(argv: Optional[Sequence[str]] = None, command: Optional[str] = None) -> dict:
    """The record stored with a result.

    Args:
        argv: arguments of the command that produced the result; defaults to
            this process's ``sys.argv[1:]``.
        command: the whole command line, when it is not this process's
            (overrides `argv`).

    Returns:
        ``{"command", "cwd", "commit", "dirty", "code_fingerprint", "versions",
        "machine", "date"}``: ``commit`` is the git HEAD (None outside a
        checkout of this project), ``dirty`` whether the library, CLI, tuning or
        benchmark code (or setup.py) differed from it, new files included.

    Example:

    ```python
    payload = {"provenance": provenance(), "results": ...}
    ```
    """
    status = _git("status", "--porcelain", "--untracked-files=all", "--", "*.py", "setup.py")
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "command": command or command_line(argv),
        "cwd": os.getcwd(),
        "commit": _git("rev-parse", "HEAD"),
        "dirty": None if status is None else bool(status),
        "code_fingerprint": code_fingerprint(),
        "versions": versions,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def describe(record: Optional[dict], command: Optional[str] = None) -> str:
    """One line for a report: the command, the commit and the TensorFlow version.

    Args:
        record: a `provenance()` dict, or None for a result made before they
            were recorded.
        command: the command such an older result stored, if any.
    """
    if not record or "commit" not in record:
        if command:
            return f"`{command}` (as rebuilt then; commit not recorded: made before provenance was)"
        return "an unrecorded command and commit (made before provenance was recorded)"
    return (f"`{record['command']}` at commit {short_commit(record)}, TensorFlow "
            f"{record.get('versions', {}).get('tensorflow')}")


def short_commit(record: Optional[dict]) -> str:
    """``0123456789`` (``+edits`` if the code had uncommitted changes), or ``—`` if unknown."""
    if not record or not record.get("commit"):
        return "—"
    return record["commit"][:10] + ("+edits" if record.get("dirty") else "")


def payload_origin(payload: dict) -> str:
    """`describe` for a results file: its ``provenance``, else its older ``command``."""
    return describe(payload.get("provenance"), payload.get("command"))
