"""``--warm-start RUN_DIR``: start from an earlier run's embeddings (daily retraining).

Rows are matched by raw id through both runs' vocabularies: a user or item the
earlier run knew starts from its embedding there (the best epoch's,
``RUN_DIR/embeddings.npz``); a new id keeps its fresh Glorot-initialised row.
Ids that disappeared from the log are not carried over. Only the weights are
carried: Adam's moments start at zero, as in any new run. The earlier run's
``metrics.json`` says which backbone saved the tables; a backbone whose registry
entry refuses warm starts (``refuse_warm_start``: LightGCN saves propagated
tables, not its layer-0 weights) cannot start another run.
"""

import json
import os
import sys
import zipfile
import zlib

import numpy as np

from ahns_tf.config import TrainConfig
from ahns_tf.data.interactions import DataFormatError, DataSettingsError
from ahns_tf.data.vocabulary import Vocabulary, index_of
from ahns_tf.registry import BACKBONES

#: What reading a damaged ``.npz`` raises (an empty, cut or overwritten file).
_NPZ_ERRORS = (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error)


def _carry(new_ids: np.ndarray, old_vocab: np.ndarray, old_table: np.ndarray, table):
    """Copies `old_table`'s rows into `table` (a variable) where the raw ids match.

    Returns:
        How many rows were carried over.
    """
    rows = index_of(old_vocab, new_ids)                              # [n_new], -1 new ids
    seen = np.flatnonzero(rows >= 0)
    values = table.numpy()                                           # [n_new, dim]
    values[seen] = old_table[rows[seen]]
    table.assign(values)
    return int(seen.size)


def _registered_name(backbone) -> str:
    """The `BACKBONES` name of `backbone`'s class (its class name if none is registered)."""
    for name in BACKBONES.names():
        target = BACKBONES[name].target
        if isinstance(target, str):  # the class is imported already: `backbone` is one
            module, _, attribute = target.partition(":")
            target = getattr(sys.modules.get(module), attribute, None)
        if type(backbone) is target:
            return name
    return type(backbone).__name__


def check_earlier_run(run_dir: str, backbone: str) -> None:
    """Refuses an earlier run whose backbone's tables cannot start a `backbone` run.

    Args:
        run_dir: the earlier run's ``--output-dir``.
        backbone: this run's ``--backbone``.

    Raises:
        FileNotFoundError: `run_dir` has no ``metrics.json`` (not a finished run).
        DataFormatError: ``metrics.json`` is unreadable or names no known backbone.
        DataSettingsError: that backbone's ``refuse_warm_start`` refuses its config.

    Example:

    ```python
    check_earlier_run("runs/clicks-lightgcn", "mf")  # DataSettingsError
    ```
    """
    path = os.path.join(run_dir, "metrics.json")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path} not found: --warm-start takes the --output-dir of a "
                                f"finished run")
    try:
        with open(path) as f:
            config = TrainConfig.from_json(json.load(f)["config"])
        refuse = BACKBONES[config.backbone].info.get("refuse_warm_start")
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise DataFormatError(path, None, f"not a readable metrics.json ({type(e).__name__}: "
                              f"{e}); --warm-start reads the earlier run's settings from "
                              f"it") from None
    reason = refuse(config) if refuse else None
    if reason:
        raise DataSettingsError(f"--warm-start {run_dir}: that run trained --backbone "
                                f"{config.backbone} ({path}), so this run's --backbone "
                                f"{backbone} cannot start from its tables: {reason}")


def _load_tables(path: str) -> tuple:
    """``(user_table, item_table)`` of an ``embeddings.npz``, or an error naming the file."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path} not found: --warm-start takes the --output-dir of a "
                                f"finished run")
    try:
        with np.load(path) as saved:
            return saved["user_embeddings"], saved["item_embeddings"]
    except _NPZ_ERRORS as e:
        raise DataFormatError(path, None, f"not a readable embeddings file ({type(e).__name__}: "
                              f"{e}); --warm-start needs the earlier run's saved tables: "
                              f"re-run it or start without --warm-start") from None


def warm_start(backbone, vocabulary: Vocabulary, run_dir: str) -> dict:
    """Initialises `backbone`'s embedding tables from the run in `run_dir`.

    Args:
        backbone: a built `ahns_tf.models.backbones.Backbone` whose
            `embedding_variables` rows are in `vocabulary` order.
        vocabulary: this run's `Vocabulary`.
        run_dir: the ``--output-dir`` of a finished ``--data-file``/``tfds:`` run.

    Returns:
        ``{"users": carried, "items": carried}`` row counts (also printed).

    Raises:
        FileNotFoundError: `run_dir` has no ``vocabulary.json``, ``metrics.json``
            or ``embeddings.npz``.
        DataFormatError: one of those files is unreadable, or the earlier run's
            tables do not fit its vocabulary or this run's embedding size (named).
        DataSettingsError: the earlier run's backbone refuses warm starts
            (`check_earlier_run`).

    Example:

    ```python
    warm_start(model.backbone, dataset.vocabulary, "runs/clicks-2026-11-26")
    ```
    """
    try:
        old_vocab = Vocabulary.load(run_dir)
    except ValueError as e:  # damaged: "<path> is unreadable (...)"
        vocabulary_path = os.path.join(run_dir, "vocabulary.json")
        raise DataFormatError(vocabulary_path, None,
                              str(e).removeprefix(f"{vocabulary_path} ")) from None
    check_earlier_run(run_dir, _registered_name(backbone))
    path = os.path.join(run_dir, "embeddings.npz")
    old_users, old_items = _load_tables(path)
    user_variable, item_variable = backbone.embedding_variables()
    dim = int(user_variable.shape[1])
    for kind, table, ids in (("user", old_users, old_vocab.users),
                             ("item", old_items, old_vocab.items)):
        if table.shape != (len(ids), dim):
            raise DataFormatError(path, None, f"{kind} table of shape {list(table.shape)} does "
                                  f"not fit --warm-start: {len(ids)} {kind}s in vocabulary.json "
                                  f"and --dim {dim}")
    carried = {"users": _carry(vocabulary.users, old_vocab.users, old_users, user_variable),
               "items": _carry(vocabulary.items, old_vocab.items, old_items, item_variable)}
    print(f"--warm-start {run_dir}: {carried['users']:,} of {len(vocabulary.users):,} users "
          f"and {carried['items']:,} of {len(vocabulary.items):,} items start from its "
          f"embeddings; the others are new")
    return carried
