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

from ahns_tf.data.feature_kinds import MISSING, FeatureColumn, infer_kind, parse_kinds
from ahns_tf.data.interactions import DataFormatError
from ahns_tf.data.read_features import check_numbers, read_feature_file, read_for_spec  # noqa

#: The file a run keeps its feature kinds and vocabularies in (for the export of new items).
FILE_NAME = "features.json"
#: Tokens kept of one value (a cell): the matrix is as wide as its widest row, so one
#: 50,000-word cell would make every row's step cost that much.
MAX_TOKENS = 64


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
        has_features: bool [rows]: the row had a line in the feature file with a value.
        size: token ids in all (the feature embedding table's rows).
    """

    tokens: np.ndarray
    weights: np.ndarray
    has_features: np.ndarray
    size: int



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
            check_numbers(path, name, values.to_pylist())
        try:
            columns.append(FeatureColumn.fit(name, kind, pc.filter(values, trained).to_pylist(),
                                             option))
        except (ValueError, TypeError) as e:
            raise DataFormatError(path, None, f"column '{name}' as {kind}: {e}") from None
    if not columns or not len(table):
        raise DataFormatError(path, None, "no feature to learn from: " + (
            "it has no rows" if not len(table) else f"no column besides the id '{key}'"
            + (" that is not skipped" if len(table.column_names) > 1 else "")))
    spec = FeatureSpec(side, key, tuple(columns))
    print(f"{path}: {side} features " + "; ".join(c.describe() for c in spec.columns))
    return spec, table



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
    valued = np.zeros(len(row_ids), bool)           # a line with at least one value
    for column, offset in zip(spec.columns, spec.offsets):
        values = (table.column(column.name).take(pa.array(lines)).to_pylist() if len(table)
                  else [None] * len(row_ids))
        tokens = column.tokens([v if ok else None for v, ok in zip(values, present)])
        long = sum(len(ids) > MAX_TOKENS for ids in tokens)
        if long:
            print(f"{spec.side} features: {long:,} values of column '{column.name}' have more "
                  f"than {MAX_TOKENS} tokens; their first {MAX_TOKENS} are used")
        for row, ids in enumerate(tokens):
            ids = ids[:MAX_TOKENS]  # every row is padded to the widest: one huge cell costs all
            valued[row] |= ids != [MISSING]
            per_row[row] += [offset + t for t in ids]
            weights[row] += [1.0 / len(ids)] * len(ids)
    width = max([1] + [len(t) for t in per_row])   # at least 1, also for no rows
    token_matrix = np.zeros((len(row_ids), width), np.int32)
    weight_matrix = np.zeros((len(row_ids), width), np.float32)
    for row, (ids, w) in enumerate(zip(per_row, weights)):
        token_matrix[row, :len(ids)], weight_matrix[row, :len(w)] = ids, w
    return FeatureMatrix(token_matrix, weight_matrix, present & valued, spec.size)


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
