"""A search directory's files: its lock, its settings, its best.json, and damaged trials.

A ``tuning.search --directory DIR --dataset NAME`` keeps everything of one
search in ``DIR/NAME/`` (KerasTuner's project folder): the trials,
``search_settings.json`` and ``best.json``, so two datasets searched in one
``DIR`` never overwrite each other; ``DIR/.lock-NAME`` makes a second search
of it exit at once instead of fighting over its trials.
"""

import json
import os
import shutil
import sys

from ahns_tf.atomic import atomic_write_text
from ahns_tf.runs.errors import RunConflictError
from ahns_tf.runs.lock import RunLock
from ahns_tf.runs.progress import changed_settings

#: Search flags that may change between runs on one --directory: more trials extend a search.
RESUMABLE_SETTINGS = ("max_trials", "data_dir")
#: Values of search flags added since a search directory was written (its saved settings
#: lack them).
SETTING_DEFAULTS = {"sampler": "ahns", "backbone": "mf"}


def check_search_settings(path: str, settings: dict) -> None:
    """Refuses to resume a search whose settings changed.

    A search directory's trials are ranked together, so trials trained with
    other settings (another ``--epochs-per-trial``, objective, seed, ...) must
    not be mixed. `save_search_settings` stores them on every run; a later
    run with different values (`RESUMABLE_SETTINGS` aside) is refused.

    Args:
        path: the settings file, ``<directory>/<dataset>/search_settings.json``.
        settings: the flags of this run, ``{"epochs_per_trial": 30, ...}``.

    Raises:
        RunConflictError: the stored settings differ; names them as flags.

    Example:

    ```python
    check_search_settings("tuning_runs/tools/tools/search_settings.json", vars(args))
    ```
    """
    if os.path.isfile(path):
        with open(path) as f:
            saved = json.load(f)
        changed = changed_settings(saved, settings, SETTING_DEFAULTS, ignore=RESUMABLE_SETTINGS)
        if changed:
            flags = ", ".join("--" + k.replace("_", "-") + f" ({saved.get(k)!r} -> "
                              f"{json.loads(json.dumps(settings.get(k)))!r})" for k in changed)
            raise RunConflictError(
                f"{os.path.dirname(path)} holds a search with other settings: {flags}; its "
                f"trials would be ranked together with the new ones. Pass --overwrite to start "
                f"afresh, or choose another --directory")


def save_search_settings(path: str, settings: dict) -> None:
    """Stores a search's settings for `check_search_settings`."""
    atomic_write_text(path, json.dumps(settings, indent=2, sort_keys=True))


def project_dir(directory: str, dataset: str) -> str:
    """``<directory>/<dataset>``: KerasTuner's project folder, and best.json's."""
    return os.path.join(directory, dataset)


def search_lock(directory: str, dataset: str) -> RunLock:
    """The lock that one search of `dataset` in `directory` holds while it runs.

    Example:

    ```python
    with search_lock("tuning_runs", "tools"):
        tuner.search()
    ```
    """
    return RunLock(directory, name=f".lock-{dataset}")


def set_aside_unreadable_trials(project: str) -> list:
    """Moves trials whose ``trial.json`` cannot be read out of a KerasTuner project.

    KerasTuner writes ``trial.json`` in place, so a kill midway leaves a
    truncated file on which resuming (and `tuning.report`) would fail. Each
    such trial folder is renamed ``unreadable-trial_<id>`` (kept for
    inspection) and forgotten by ``oracle.json``, so the search resumes and
    runs that point again.

    Returns:
        The ``trial.json`` paths set aside (a warning names each on stderr).

    Example:

    ```python
    set_aside_unreadable_trials("tuning_runs/tools")  # [] when every trial is readable
    ```
    """
    bad = []
    for name in sorted(os.listdir(project)) if os.path.isdir(project) else []:
        path = os.path.join(project, name, "trial.json")
        if not name.startswith("trial_") or not os.path.isfile(path):
            continue
        try:
            with open(path) as f:
                json.load(f)["trial_id"]
        except (ValueError, KeyError, TypeError):
            bad.append((name[len("trial_"):], path))
    if bad:
        _forget_trials(os.path.join(project, "oracle.json"), {trial for trial, _ in bad})
    for trial, path in bad:
        shutil.move(os.path.dirname(path), os.path.join(project, f"unreadable-trial_{trial}"))
        print(f"warning: {path} is unreadable (a search killed while writing it?); its trial "
              f"is set aside as unreadable-trial_{trial} and will run again", file=sys.stderr)
    return [path for _, path in bad]


def _forget_trials(oracle_file: str, trials: set) -> None:
    """Removes `trials` from KerasTuner's ``oracle.json`` (its orders, queue and hashes)."""
    if not os.path.isfile(oracle_file):
        return
    with open(oracle_file) as f:
        state = json.load(f)
    for key in ("start_order", "end_order", "retry_queue"):
        state[key] = [t for t in state.get(key, []) if t not in trials]
    state["ongoing_trials"] = {tuner: t for tuner, t in state.get("ongoing_trials", {}).items()
                               if t not in trials}
    hashes = state.get("id_to_hash", {})
    forgotten = {hashes.pop(t) for t in trials if t in hashes}
    state["tried_so_far"] = [h for h in state.get("tried_so_far", []) if h not in forgotten]
    atomic_write_text(oracle_file, json.dumps(state))
