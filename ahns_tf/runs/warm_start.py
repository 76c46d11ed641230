"""``--warm-start RUN_DIR``: start from an earlier run's embeddings (daily retraining).

Rows are matched by raw id through both runs' vocabularies: a user or item the
earlier run knew starts from its embedding there (the best epoch's,
``RUN_DIR/embeddings.npz``); a new id keeps its fresh Glorot-initialised row.
Ids that disappeared from the log are not carried over. Only the weights are
carried: Adam's moments start at zero, as in any new run.
"""

import os

import numpy as np

from ahns_tf.data.interactions import DataFormatError
from ahns_tf.data.vocabulary import Vocabulary, index_of


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
        FileNotFoundError: `run_dir` has no ``vocabulary.json`` or ``embeddings.npz``.
        DataFormatError: the earlier run's tables do not fit its vocabulary or
            this run's embedding size (named).

    Example:

    ```python
    warm_start(model.backbone, dataset.vocabulary, "runs/clicks-2026-11-26")
    ```
    """
    old_vocab = Vocabulary.load(run_dir)
    path = os.path.join(run_dir, "embeddings.npz")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path} not found: --warm-start takes the --output-dir of a "
                                f"finished run")
    with np.load(path) as saved:
        old_users, old_items = saved["user_embeddings"], saved["item_embeddings"]
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
