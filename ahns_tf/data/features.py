"""Feature files (``--item-features``, ``--user-features``): read, typed, and encoded per row.

A feature file is a CSV/TSV (``.gz`` allowed) or Parquet file with a header,
one row per user or item, keyed by the same raw ids as the log (its id column
has the log's name, ``--item-col`` / ``--user-col``). Each other column gets a
kind (`ahns_tf.data.feature_kinds`): declared with ``--item-feature-kinds``
(``title=text,genres=multi:|,year=number:10,zip=skip``) or inferred, and printed.
Vocabularies come from the entities of the training split only. An id the
log never mentions is counted and ignored; an entity without a row gets each
column's "no value" token.

`FeatureMatrix` is what a model reads: for every embedding row, its token ids
(one id space over all columns) and the weights that average each column's
tokens, as integer and float arrays, so no string reaches the training step.

Example:

```python
spec, table = fit_features("items.csv", "item_id", "item", train_ids=["1", "2"])
matrix = encode_features(spec, table, row_ids=dataset.vocabulary.items)
```
"""

import dataclasses
import json
import os
from typing import Optional

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ahns_tf.data.feature_kinds import FeatureColumn, infer_kind, parse_kinds
from ahns_tf.data.interactions import DataFormatError
from ahns_tf.data.read_table import file_kind, header, read_file_columns
from ahns_tf.data.read_values import check_present, position

#: The file a run keeps its feature kinds and vocabularies in (for the export of new items).
FILE_NAME = "features.json"


@dataclasses.dataclass(frozen=True)
class FeatureSpec:
    """One side's feature columns, fitted on the training entities.

    Attributes:
        side: ``"user"`` or ``"item"``.
        key: the id column.
        columns: the `FeatureColumn`s, in file order.
    """

    side: str
    key: str
    columns: tuple

    @property
    def offsets(self) -> list:
        """Where each column's token ids start in the shared id space."""
        return list(np.cumsum([0] + [c.size for c in self.columns])[:-1])

    @property
    def size(self) -> int:
        """Token ids over all columns (the rows of the feature embedding table)."""
        return int(sum(c.size for c in self.columns))

    def to_json(self) -> dict:
        return {"side": self.side, "key": self.key,
                "columns": [dataclasses.asdict(c) for c in self.columns]}

    @classmethod
    def from_json(cls, data: dict) -> "FeatureSpec":
        columns = tuple(FeatureColumn(**dict(c, vocabulary=tuple(c["vocabulary"])))
                        for c in data["columns"])
        return cls(data["side"], data["key"], columns)


@dataclasses.dataclass(frozen=True)
class FeatureMatrix:
    """Token ids of every embedding row, padded: what a feature tower reads.

    Attributes:
        tokens: int32 [rows, width]: ids in the spec's shared space; padding 0.
        weights: float32 [rows, width]: ``1 / n`` for each of a column's n tokens
            (so each column's embedding is the mean of its tokens), 0 for padding.
        has_features: bool [rows]: the row had a line in the feature file.
        size: token ids in all (the feature embedding table's rows).
    """

    tokens: np.ndarray
    weights: np.ndarray
    has_features: np.ndarray
    size: int


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
    table = read_file_columns(path, kind, [key] + [n for n in names if n != key], id_columns=1)
    ids = pc.cast(table.column(key).combine_chunks(), pa.string())
    check_present(path, kind, key, "id", ids)
    counts = pc.value_counts(ids)
    repeated = pc.filter(counts.field("values"), pc.greater(counts.field("counts"), 1))
    if len(repeated):
        index = int(np.flatnonzero(pc.equal(ids, repeated[0]).to_numpy(False))[1])
        raise DataFormatError(path, position(kind, index), f"id {repeated[0].as_py()!r} has a "
                              f"second row; a feature file has one row per id", key)
    return table.set_column(0, key, ids)


def fit_features(path: str, key: str, side: str, train_ids, kinds: Optional[str] = None,
                 flag: str = None) -> tuple:
    """Reads a feature file and fits its columns' vocabularies on the training entities.

    Args:
        path: the feature file.
        key: its id column (the log's).
        side: ``"user"`` or ``"item"``.
        train_ids: raw ids of the entities with training interactions.
        kinds: ``--<side>-feature-kinds``; a column not named there gets an
            inferred kind.
        flag: the flag naming the file in messages. Defaults to ``--<side>-features``.

    Returns:
        ``(spec, table)``: the `FeatureSpec` (printed) and the file's table.
    """
    flag = flag or f"--{side}-features"
    table = read_feature_file(path, key, flag)
    declared = parse_kinds(kinds, f"--{side}-feature-kinds")
    unknown = sorted(set(declared) - set(table.column_names))
    if unknown:
        raise ValueError(f"--{side}-feature-kinds names {unknown}, which {path} lacks; its "
                         f"columns are: {', '.join(table.column_names)}")
    trained = pc.is_in(table.column(key), value_set=pa.array(list(train_ids), pa.string()))
    columns = []
    for name in table.column_names[1:]:
        values = table.column(name)
        kind, option = declared.get(name, (None, ""))
        if kind == "skip":
            continue
        kind = kind or infer_kind(values.to_pylist(), pa.types.is_integer(values.type)
                                  or pa.types.is_floating(values.type))
        if kind == "number":
            _check_numbers(path, name, values.to_pylist())
        try:
            columns.append(FeatureColumn.fit(name, kind, pc.filter(values, trained).to_pylist(),
                                             option))
        except (ValueError, TypeError) as e:
            raise DataFormatError(path, None, f"column '{name}' as {kind}: {e}") from None
    spec = FeatureSpec(side, key, tuple(columns))
    print(f"{path}: {side} features " + "; ".join(c.describe() for c in spec.columns))
    return spec, table


def read_for_spec(path: str, spec: FeatureSpec, flag: str) -> pa.Table:
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
            _check_numbers(path, column.name, table.column(column.name).to_pylist())
    return table


def _check_numbers(path: str, name: str, values: list) -> None:
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


def encode_features(spec: FeatureSpec, table: pa.Table, row_ids,
                    say_ignored: bool = True) -> FeatureMatrix:
    """The `FeatureMatrix` of `row_ids` (raw ids in embedding-row order) from `table`'s rows.

    Ids of the file that `row_ids` lacks are counted (printed if `say_ignored`) and
    ignored; a row without a line in the file gets every column's "no value" token.
    """
    row_ids = np.asarray(row_ids, object)
    where = pc.index_in(pa.array(row_ids.tolist(), pa.string()),
                        value_set=table.column(spec.key)).to_numpy(False)   # [rows], NaN absent
    present = ~np.isnan(where.astype(np.float64))
    lines = np.where(present, np.nan_to_num(where.astype(np.float64)), 0).astype(np.int64)
    ignored = len(table) - int(present.sum())
    if ignored and say_ignored:
        print(f"{spec.side} features: {ignored:,} ids of the file are not in the data; ignored")
    per_row = [[] for _ in row_ids]
    weights = [[] for _ in row_ids]
    for column, offset in zip(spec.columns, spec.offsets):
        values = table.column(column.name).take(pa.array(lines)).to_pylist()
        tokens = column.tokens([v if ok else None for v, ok in zip(values, present)])
        for row, ids in enumerate(tokens):
            per_row[row] += [offset + t for t in ids]
            weights[row] += [1.0 / len(ids)] * len(ids)
    width = max([1] + [len(t) for t in per_row])   # at least 1, also for no rows
    token_matrix = np.zeros((len(row_ids), width), np.int32)
    weight_matrix = np.zeros((len(row_ids), width), np.float32)
    for row, (ids, w) in enumerate(zip(per_row, weights)):
        token_matrix[row, :len(ids)], weight_matrix[row, :len(w)] = ids, w
    return FeatureMatrix(token_matrix, weight_matrix, present, spec.size)


def save_specs(run_dir: str, specs: dict) -> str:
    """Writes ``<run_dir>/features.json`` (``{side: spec}``) atomically; returns its path."""
    from ahns_tf.atomic import atomic_write_text  # pylint: disable=import-outside-toplevel
    path = os.path.join(run_dir, FILE_NAME)
    atomic_write_text(path, json.dumps({side: s.to_json() for side, s in specs.items()}))
    return path


def load_specs(run_dir: str) -> dict:
    """``{side: FeatureSpec}`` of a run's ``features.json`` ({} when it has none)."""
    path = os.path.join(run_dir, FILE_NAME)
    if not os.path.isfile(path):
        return {}
    with open(path) as f:
        return {side: FeatureSpec.from_json(s) for side, s in json.load(f).items()}
