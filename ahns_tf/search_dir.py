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
from ahns_tf.config.settings import folder_name
from ahns_tf.runs.errors import RunConflictError
from ahns_tf.runs.lock import RunLock
from ahns_tf.runs.progress import changed_settings

#: Search flags that may change between runs on one --directory: more trials extend a search.
RESUMABLE_SETTINGS = ("max_trials", "data_dir")
#: Values of search flags added since a search directory was written (its saved settings
#: lack them).
SETTING_DEFAULTS = {"sampler": "ahns", "backbone": "mf", "config": None}


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
    """``<directory>/<dataset's folder name>``: KerasTuner's project folder, and best.json's."""
    return os.path.join(directory, folder_name(dataset))


def search_lock(directory: str, dataset: str) -> RunLock:
    """The lock that one search of `dataset` in `directory` holds while it runs.

    Example:

    ```python
    with search_lock("tuning_runs", "tools"):
        tuner.search()
    ```
    """
    return RunLock(directory, name=f".lock-{folder_name(dataset)}")


def set_aside_unreadable_trials(project: str) -> list:
    """Marks the trials whose ``trial.json`` cannot be read as failed, keeping their files.

    KerasTuner writes ``trial.json`` in place, so a kill midway leaves a
    truncated file on which resuming (and `tuning.report`) would fail. Each
    such file is kept as ``trial.json.unreadable`` and replaced by a readable
    trial with status FAILED (its hyperparameters unknown); ``oracle.json`` no
    longer lists it as running. The trial keeps its id, so KerasTuner, which
    numbers a new trial by how many it has, never reuses one.

    Returns:
        The ``trial.json`` paths marked failed (a warning names each on stderr).

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
    if not bad:
        return []
    oracle_file = os.path.join(project, "oracle.json")
    with open(oracle_file) as f:
        state = json.load(f)
    import keras_tuner  # pylint: disable=import-outside-toplevel  (imports TensorFlow)
    space = keras_tuner.HyperParameters.from_config(state["hyperparameters"])
    for trial_id, path in bad:
        shutil.copyfile(path, path + ".unreadable")
        trial = keras_tuner.engine.trial.Trial(space.copy(), trial_id=trial_id, status="FAILED")
        trial.message = "its trial.json was unreadable (trial.json.unreadable); marked failed"
        trial.save(path)
        print(f"warning: {path} is unreadable (a search killed while writing it?); kept as "
              f"trial.json.unreadable, the trial is marked failed", file=sys.stderr)
    forget = {trial_id for trial_id, _ in bad}
    state["ongoing_trials"] = {tuner: t for tuner, t in state.get("ongoing_trials", {}).items()
                               if t not in forget}
    state["retry_queue"] = [t for t in state.get("retry_queue", []) if t not in forget]
    atomic_write_text(oracle_file, json.dumps(state))
    return [path for _, path in bad]
