"""The words metrics.json uses for a run's protocol: where its epochs were chosen.

One place says what the validation split of a run is, so that the plain
validation protocol (`ahns_tf.training.run`) and ``--refit`` (`ahns_tf.training.protocol`)
describe the split that was actually used:

* the paper's text datasets: a held-out ``--validation-fraction`` of
  train.txt (10% by default), or ``valid.txt`` when the folder has one (or
  the validation interactions of a dataset passed to `train` in memory);
* logs with raw ids (``--data-file``, ``tfds:NAME``): the ``--split`` part
  sized by ``--valid-ratio``.
"""

import os
from typing import Optional


#: The reference code's protocol (``--select-on test``).
REFERENCE = "reference (best epoch chosen on test)"


def _percent(fraction: float) -> str:
    """``0.1`` -> ``"10%"``, ``0.125`` -> ``"12.5%"``."""
    return f"{fraction * 100:g}%"


def _log_validation_split(config) -> str:
    """The validation part of a log's ``--split`` (see `ahns_tf.data.split`)."""
    ratio = f"--valid-ratio {config.valid_ratio:g}"
    part = {
        "random": f"{_percent(config.valid_ratio)} of each user's interactions ({ratio})",
        "leave_one_out": "each user's second-to-last interaction",
        "temporal": (f"the {_percent(config.valid_ratio)} of interactions before the test "
                     f"cutoff ({ratio})"),
    }[config.split]
    return f"the --split {config.split} validation part: {part}"


def validation_split(config, valid_file: Optional[str]) -> str:
    """Words for the validation split a run chooses its epochs on.

    Args:
        config: the run's resolved `TrainConfig`.
        valid_file: from `valid_file_name`: the validation file's name
            (``"valid.txt"``), ``""`` for validation interactions passed to
            `train` in memory, or None when the split was held out of train.

    Returns:
        E.g. ``"a held-out 10% of train"``.

    Example:

    >>> from ahns_tf.config import TrainConfig
    >>> validation_split(TrainConfig(dataset="tools").resolved(), valid_file=None)
    'a held-out 10% of train'
    """
    if config.split != "given":
        return _log_validation_split(config)
    if valid_file == "":
        return "the validation interactions passed to train()"
    if valid_file:
        return valid_file
    return f"a held-out {_percent(config.validation_fraction)} of train"


def valid_file_name(dataset) -> Optional[str]:
    """What a loaded `RecDataset`'s validation split came from, for `validation_split`.

    Returns:
        The file's name (``"valid.txt"``) when the split is a file of its own;
        ``""`` when it was built in memory (no path); None when it was held
        out of train (named ``<train file>#valid``; so is a log's part) or absent.
    """
    if dataset.vocabulary is not None or dataset.valid is None:
        return None
    path = dataset.valid.path
    if path.endswith("#valid"):
        return None
    return os.path.basename(path)


def selection_protocol(validation: str) -> str:
    """The protocol of a ``--select-on valid`` run, from `validation_split`'s words.

    Example:

    >>> selection_protocol("a held-out 10% of train")
    'validation (best epoch chosen on a held-out 10% of train)'
    """
    return f"validation (best epoch chosen on {validation})"


def refit_protocol(config, validation: str, valid_file: Optional[str] = None) -> str:
    """The protocol of a ``--refit`` run (`ahns_tf.training.protocol`).

    Args:
        config: the run's resolved `TrainConfig`.
        validation: `validation_split`'s words for the selection run.
        valid_file: the name of the folder's validation file (``valid.txt``)
            the refit phase also trained on, if any.

    Returns:
        The label; the refit phase trains on train.txt (text datasets; with
        `valid_file` when given) or on the log's training and validation parts
        together (``--select-on test`` makes no validation part).

    Example:

    >>> from ahns_tf.config import TrainConfig
    >>> label = refit_protocol(TrainConfig(dataset="tools").resolved(), "valid.txt")
    >>> label.startswith("validation + refit (epochs chosen on valid.txt, then retrained")
    True
    """
    if config.split != "given":
        retrained = "the log's training and validation parts together"
    elif valid_file:
        retrained = f"train.txt and {valid_file}"
    else:
        retrained = "all of train.txt"
    return (f"validation + refit (epochs chosen on {validation}, then retrained on "
            f"{retrained} for that many epochs; test evaluated once)")
