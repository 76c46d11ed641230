"""Reading feature files: every column as text, ids unique and present, values checked.

`read_feature_file` is what training reads (`ahns_tf.data.features.fit_features` then
fits the kinds); `read_for_spec` is what an export of new rows reads: the same file
format, checked against the columns and kinds the run was trained with.

Example:

```python
table = read_feature_file("items.csv", "item_id", "--item-features")
```
"""

import os

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ahns_tf.data.interactions import DataFormatError
from ahns_tf.data.read_table import file_kind, header, read_file_columns
from ahns_tf.data.read_values import check_present, position


def read_feature_file(path: str, key: str, flag: str) -> pa.Table:
    """The feature file's columns, its ids as text; errors name the file, line and value."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{flag} {path}: no such file")
    kind = file_kind(path)
    names = header(path, kind)
    if key not in names:
        raise DataFormatError(path, 1 if kind != "parquet" else None,
                              f"no id column '{key}' ({flag} is keyed by the log's id column); "
                              f"its columns are: {', '.join(names)}", key)
    # Every column as text in a CSV/TSV: a value reads the same in every file (zip code
    # "01002" stays "01002" whether or not the file's other rows look like numbers).
    table = read_file_columns(path, kind, [key] + [n for n in names if n != key],
                              id_columns=len(names))
    for name in table.column_names:
        if pa.types.is_binary(table.column(name).type):   # pyarrow's fallback for non-UTF-8
            for index, value in enumerate(table.column(name).to_pylist()):
                try:
                    value is None or value.decode("utf-8")
                except UnicodeDecodeError:
                    raise DataFormatError(path, position(kind, index), f"column '{name}' is not "
                                          f"UTF-8 text; save the file as UTF-8", value[:40]) from None
    ids = pc.cast(table.column(key).combine_chunks(), pa.string())
    check_present(path, kind, key, "id", ids)
    counts = pc.value_counts(ids)
    repeated = pc.filter(counts.field("values"), pc.greater(counts.field("counts"), 1))
    if len(repeated):
        index = int(np.flatnonzero(pc.equal(ids, repeated[0]).to_numpy(False))[1])
        raise DataFormatError(path, position(kind, index), f"id {repeated[0].as_py()!r} has a "
                              f"second row; a feature file has one row per id", key)
    return table.set_column(0, key, ids)


def read_for_spec(path: str, spec, flag: str) -> pa.Table:
    """A feature file of new rows, checked against a run's `spec` as training checked its own.

    Raises:
        DataFormatError: a column of the run the file lacks (named with the run's columns),
            or a value a ``number`` column cannot take (file, line, column, value).
    """
    table = read_feature_file(path, spec.key, flag)
    missing = [c.name for c in spec.columns if c.name not in table.column_names]
    if missing:
        raise DataFormatError(path, 1 if file_kind(path) != "parquet" else None,
                              f"no column {', '.join(map(repr, missing))}: the run's {spec.side} "
                              f"features are {', '.join(c.name for c in spec.columns)} (an "
                              f"empty cell is 'no value')")
    extra = sorted(set(table.column_names) - {spec.key} - {c.name for c in spec.columns})
    if extra:
        print(f"{path}: columns {', '.join(extra)} are not features of the run; ignored")
    for column in spec.columns:
        if column.kind == "number":
            check_numbers(path, column.name, table.column(column.name).to_pylist())
    return table


def check_numbers(path: str, name: str, values: list) -> None:
    """Raises naming the line (row) of the first value of a number column that is not one."""
    for index, value in enumerate(values):
        try:
            if value is not None and str(value).strip() and not np.isfinite(float(value)):
                raise ValueError
        except ValueError:
            raise DataFormatError(path, position(file_kind(path), index), f"column '{name}' "
                                  f"holds numbers, but this value is not a finite number (fix it, "
                                  f"or declare the column another kind: {name}=category)",
                                  value) from None
