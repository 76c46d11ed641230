"""``--dataset tfds:NAME``: a TensorFlow Datasets dataset as a log with raw ids.

Reads every split of an already prepared TFDS dataset (e.g.
``movielens/1m-ratings``) from ``--tfds-data-dir``, offline, into the same
table `ahns_tf.data.read_table.read_log` makes of a file, so filtering, vocabularies,
splits and the raw-id export work alike. TFDS features are the columns:
MovieLens' items are ``movie_id`` and its ratings ``user_rating``, hence
``--item-col movie_id --rating-col user_rating``.
"""

import numpy as np
import pyarrow as pa
import tensorflow_datasets as tfds

from ahns_tf.data.read_columns import column_roles, typed_column
from ahns_tf.data.interactions import DataFormatError

#: Examples per batch when converting a TFDS dataset to columns.
_BATCH = 1 << 16


def read_tfds(name: str, data_dir=None, user_col: str = "user_id", item_col: str = "item_id",
              time_col: str = None, rating_col: str = None) -> pa.Table:
    """Reads a prepared TFDS dataset into `read_log`'s table (all splits, in order).

    Args:
        name: the TFDS name, e.g. ``movielens/1m-ratings``.
        data_dir: the TFDS data folder (``--tfds-data-dir``); TFDS's default if None.
        user_col, item_col, time_col, rating_col: feature names, as in `read_log`.

    Returns:
        A table: ``user_id``, ``item_id`` (string), ``row``, and ``timestamp``
        and ``rating`` when given. [num_examples] each.

    Raises:
        DataFormatError: the dataset is not prepared in `data_dir` (nothing is
            downloaded), a feature is missing (the existing ones are listed), or
            a value fails `ahns_tf.data.read_columns.typed_column`'s checks.
        DataSettingsError: two roles name one feature (naming both flags).

    Example:

    ```python
    log = read_tfds("movielens/1m-ratings", "~/tensorflow_datasets",
                    item_col="movie_id", rating_col="user_rating")
    ```
    """
    source = f"tfds:{name}"
    try:
        builder = tfds.builder(name, data_dir=data_dir)
        splits = list(builder.info.splits.keys()) or ["train"]
        datasets = [builder.as_dataset(split=s) for s in splits]
    except (tfds.core.registered.DatasetNotFoundError, AssertionError, ValueError) as e:
        raise DataFormatError(source, None, f"not available offline in --tfds-data-dir "
                              f"{data_dir!r}; prepare it there first (tfds build {name} "
                              f"--data_dir DIR) ({type(e).__name__}: {str(e)[:200]})") from None
    features = list(datasets[0].element_spec)
    time_col, roles = column_roles(features, user_col, item_col, time_col, rating_col)
    for role, column, flag in roles:
        if column is not None and column not in features:
            raise DataFormatError(source, None, f"no {role} feature '{column}' ({flag}); its "
                                  f"features are: {', '.join(features)}", column)
    roles = [(role, column) for role, column, _ in roles if column is not None]
    columns = {column: [] for _, column in roles}
    for dataset in datasets:
        selected = dataset.map(lambda ex: {c: ex[c] for c in columns})
        for batch in selected.batch(_BATCH).as_numpy_iterator():
            for column in columns:
                columns[column].append(batch[column])
    values = {c: np.concatenate(parts) if parts else np.zeros(0) for c, parts in columns.items()}
    num_rows = len(values[user_col])
    if num_rows == 0:
        raise DataFormatError(source, None, "the dataset has no examples")
    out = {"row": pa.array(np.arange(num_rows, dtype=np.int64))}
    for role, column in roles:
        array = values[column]
        if array.dtype.kind in "SO":  # tf.string features arrive as bytes; read as UTF-8 text
            array = array.astype(bytes)
        name_out, typed = typed_column(source, "tfds", column, role, pa.array(array))
        out[name_out] = typed
    return pa.table(out)
