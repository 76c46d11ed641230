"""Strict ``--config`` files: JSON objects of training flag values, checked key by key.

A config file is a JSON object whose keys are `TrainConfig` field names (the
``pipelines.train`` flags with ``_`` for ``-``). A tuner's ``best.json`` puts
the tuned values under ``"hyperparameters"``; keys beside it are honoured too
(``"epochs": 1`` next to ``"hyperparameters"`` sets the epochs), and its
metadata (`TUNER_METADATA_KEYS`) is skipped. Anything else is an error naming
the file and the key: an unknown key (with the closest valid name), a value
of the wrong type (``"epochs": 1.5``, ``"dim": "64"``, ``"ks": 20``), a key
given twice with different values, malformed JSON or a missing file.
"""

import dataclasses
import difflib
import json
import os

from ahns_tf.config.settings import kind_of
from ahns_tf.config.train_config import TrainConfig

#: Keys of a tuner's best.json that describe the search, not the training run.
TUNER_METADATA_KEYS = ("objective", "trial_id", "completed_trials", "failed_trials", "provenance")
#: Common names of a setting under which a user might look for it.
_SYNONYMS = {"learning_rate": "lr", "weight_decay": "l2", "M": "num_candidates",
             "embedding_dim": "dim", "epochs_per_trial": "epochs"}


class ConfigFileError(ValueError):
    """A bad ``--config`` file; the message names the file and the key."""


def _checked(path: str, key: str, value, kind: type):
    """`value` converted to `kind`, or a `ConfigFileError` naming file and key."""
    def bad(expected):
        return ConfigFileError(f"{path}: key {key!r} must be {expected}, got {value!r}")

    optional = TrainConfig.__dataclass_fields__[key].default is None
    if value is None and optional:
        return None
    if kind is tuple:
        if not isinstance(value, list) or not value or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise bad("a list of integers, e.g. [20, 50]")
        return tuple(value)
    if kind is int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise bad("an integer")
        return value
    if kind is float:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise bad("a number")
        return float(value)
    if kind is bool:
        if not isinstance(value, bool):
            raise bad("true or false")
        return value
    if not isinstance(value, str):
        raise bad("a string")
    return value


def _unknown(path: str, key: str, names) -> ConfigFileError:
    guess = _SYNONYMS.get(key) or next(iter(difflib.get_close_matches(
        key.replace("-", "_"), names, n=1, cutoff=0.5)), None)
    hint = f"; did you mean {guess!r}?" if guess else f"; valid keys: {', '.join(sorted(names))}"
    return ConfigFileError(f"{path}: unknown key {key!r}{hint}")


def load_config_file(path: str) -> dict:
    """Reads and checks a JSON file of flag values (e.g. a tuner's best.json).

    Args:
        path: the file given to ``--config``.

    Returns:
        ``{field name: value}`` with values of the field's type (ints as ints,
        numbers as floats, ``ks`` as a tuple).

    Raises:
        ConfigFileError: the file is missing, not a JSON object, or has an
            unknown key or a value of the wrong type; the message names both.

    Example:

    ```python
    load_config_file("tuning_runs/tools/best.json")
    # {'alpha': 0.3, 'beta': 0.1, 'num_candidates': 32, 'p': -2.0, 'dataset': 'tools'}
    ```
    """
    if not os.path.isfile(path):
        raise ConfigFileError(f"{path}: no such config file")
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ConfigFileError(f"{path}: not valid JSON ({e})") from None
    if not isinstance(data, dict):
        raise ConfigFileError(f"{path}: expected a JSON object of flag values, e.g. "
                              f'{{"alpha": 0.3}}, got a {type(data).__name__}')
    nested = data.get("hyperparameters", {})
    if not isinstance(nested, dict):
        raise ConfigFileError(f"{path}: key 'hyperparameters' must be a JSON object of flag "
                              f"values, got {nested!r}")
    fields = {f.name: f for f in dataclasses.fields(TrainConfig)}
    values = {}
    for scope in ({k: v for k, v in data.items() if k != "hyperparameters"}, nested):
        for key, value in scope.items():
            if scope is not nested and key in TUNER_METADATA_KEYS:
                continue
            if key not in fields:
                raise _unknown(path, key, fields)
            value = _checked(path, key, value, kind_of(TrainConfig, key))
            if key in values and values[key] != value:
                raise ConfigFileError(f"{path}: key {key!r} is given twice with different "
                                      f"values ({values[key]!r} and {value!r})")
            values[key] = value
    return values
