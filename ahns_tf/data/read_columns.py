"""Which column of a log plays which role, and each role's column typed and checked.

Shared by the two readers of logs with raw ids (`ahns_tf.data.read_table` for
files, `ahns_tf.data.read_tfds`): the user and item ids become text, the time
is checked by `ahns_tf.data.read_time`, the rating becomes a finite float64.
"""

import pyarrow as pa
import pyarrow.compute as pc

from ahns_tf.data.interactions import DataSettingsError
from ahns_tf.data.read_time import as_time
from ahns_tf.data.read_values import as_text, as_type, check_finite, check_present

#: Column name used when ``--time-col`` is not given and the file has it.
DEFAULT_TIME_COL = "timestamp"
#: Each role's flag and the name of its column in the table a reader returns.
ROLES = {"user": ("--user-col", "user_id"), "item": ("--item-col", "item_id"),
         "time": ("--time-col", "timestamp"), "rating": ("--rating-col", "rating")}


def distinct_columns(user_col: str, item_col: str, time_col=None, rating_col=None) -> None:
    """Raises `DataSettingsError` naming both flags if two roles name one column.

    Example:

    >>> try:
    ...     distinct_columns("item_id", "item_id")
    ... except DataSettingsError as e:
    ...     print(e)
    --user-col and --item-col both name column 'item_id': each role needs a column of its own
    """
    seen = {}
    for role, column in zip(ROLES, (user_col, item_col, time_col, rating_col)):
        if column is None:
            continue
        if column in seen:
            raise DataSettingsError(f"{ROLES[seen[column]][0]} and {ROLES[role][0]} both name "
                                    f"column {column!r}: each role needs a column of its own")
        seen[column] = role


def column_roles(available, user_col: str, item_col: str, time_col, rating_col):
    """The time column to use and each role's ``(role, column, flag)``, for files and TFDS.

    ``time_col`` None becomes `DEFAULT_TIME_COL` when `available` has it and no
    other role takes it.

    Raises:
        DataSettingsError: two roles name the same column (`distinct_columns`).

    Example:

    >>> column_roles(["u", "i", "timestamp"], "u", "i", None, None)[0]
    'timestamp'
    """
    distinct_columns(user_col, item_col, time_col, rating_col)
    if (time_col is None and DEFAULT_TIME_COL in available
            and DEFAULT_TIME_COL not in (user_col, item_col, rating_col)):
        time_col = DEFAULT_TIME_COL
    return time_col, [(role, column, ROLES[role][0]) for role, column in
                      zip(ROLES, (user_col, item_col, time_col, rating_col))]


def typed_column(path, kind: str, name: str, role: str, values: pa.Array):
    """One role's column as the reader's table holds it, or a `DataFormatError` naming the row.

    Args:
        path: the file (or ``tfds:NAME``) that messages name.
        kind: ``csv``, ``tsv``, ``parquet`` or ``tfds`` (how rows are named).
        name: the column's name in the source.
        role: ``user``, ``item``, ``time`` or ``rating``.
        values: [num_rows] the column as read.

    Returns:
        ``(table column name, values)``: ids as strings, the time as
        `ahns_tf.data.read_time.as_time` gives it, the rating as finite float64.

    Example:

    >>> typed_column("log.csv", "csv", "u", "user", pa.array([7, 42]))[1].to_pylist()
    ['7', '42']
    """
    values = as_text(path, kind, name, role, values)
    check_present(path, kind, name, role, values)
    if role == "time":
        return ROLES[role][1], as_time(path, kind, name, values)
    if role == "rating":
        values = pc.cast(as_type(path, kind, name, role, values, pa.float64()), pa.float64())
        check_finite(path, kind, name, role, values)
        return ROLES[role][1], values
    return ROLES[role][1], as_type(path, kind, name, role, values, pa.string())
