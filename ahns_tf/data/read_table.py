"""Reads interaction logs with raw ids: CSV, TSV or Parquet files, one interaction a row.

A log is a table with a user column, an item column and optionally a time and a
rating column (``user_id,item_id,timestamp,rating``), as RecBole's atomic files,
Merlin's Parquet and the TFRS tutorials' MovieLens have them. Files are read
with pyarrow (multithreaded, columnar); ids of any type are kept as strings.
Every problem is a `DataFormatError` naming the file, the line (CSV, the header
being line 1) or row (Parquet, 1-based), the column and the value. This module
reads the file; `ahns_tf.data.read_columns` types and checks each role's column.
"""

import os

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ahns_tf.data.interactions import DataFormatError
from ahns_tf.data.read_columns import column_roles, distinct_columns, typed_column
from ahns_tf.data.read_values import position

_DELIMITERS = {".csv": ",", ".tsv": "\t", ".tab": "\t"}
_PARQUET = (".parquet", ".pq")


def file_kind(path: str) -> str:
    """``csv``, ``tsv`` or ``parquet`` from the file name (a ``.gz`` suffix is allowed).

    Example:

    >>> file_kind("logs/clicks.tsv.gz")
    'tsv'
    """
    stem = path[:-3] if path.endswith(".gz") else path
    ext = os.path.splitext(stem)[1].lower()
    if ext in _PARQUET and not path.endswith(".gz"):
        return "parquet"
    if ext in _DELIMITERS:
        return "tsv" if _DELIMITERS[ext] == "\t" else "csv"
    raise DataFormatError(path, None, "--data-file must end in .csv, .tsv, .tab (optionally "
                          "followed by .gz), .parquet or .pq", os.path.basename(path))


def data_position(source: str, index: int):
    """Where 0-based data row `index` of a log is, as `DataFormatError` names it.

    Args:
        source: the ``--data-file`` path, or ``tfds:NAME``.
        index: the 0-based data row (the ``row`` column of `read_log`'s table).

    Returns:
        The CSV/TSV line number (the header is line 1), ``"row N"`` (Parquet,
        1-based) or ``"example N"`` (TFDS).

    Example:

    >>> data_position("clicks.csv", 0), data_position("clicks.parquet", 0)
    (2, 'row 1')
    """
    return position("tfds" if source.startswith("tfds:") else file_kind(source), index)


def _unreadable(path: str, kind: str, error: Exception) -> DataFormatError:
    """The error of a file pyarrow cannot decompress or parse (a damaged .gz, an I/O error)."""
    what = "Parquet" if kind == "parquet" else kind.upper()
    gz = "gzip-compressed " if path.endswith(".gz") else ""
    return DataFormatError(path, None, f"not a readable {gz}{what} file "
                           f"({type(error).__name__}: {error})")


def _read_csv(path: str, kind: str, columns: list, id_type=pa.string(),
              id_columns: int = 2) -> pa.Table:
    """The named columns of a CSV/TSV file; the first `id_columns` (ids) are read as
    `id_type`, the others inferred."""
    # pyarrow finds the .gz compression from the file name.
    parse = pacsv.ParseOptions(delimiter=_DELIMITERS["." + kind])
    convert = pacsv.ConvertOptions(include_columns=columns,
                                   column_types={c: id_type for c in columns[:id_columns]})
    try:
        return pacsv.read_csv(path, parse_options=parse, convert_options=convert)
    except OSError as e:
        raise _unreadable(path, kind, e) from None
    except pa.ArrowInvalid as e:
        # Threaded reading does not know line numbers; re-read serially to name the line.
        bad = []
        serial = pacsv.ParseOptions(delimiter=parse.delimiter,
                                    invalid_row_handler=lambda row: bad.append(row) or "error")
        try:
            pacsv.read_csv(path, read_options=pacsv.ReadOptions(use_threads=False),
                           parse_options=serial, convert_options=convert)
        except (pa.ArrowInvalid, OSError):
            pass
        if bad:
            row = bad[0]
            raise DataFormatError(path, row.number, f"expected {row.expected_columns} "
                                  f"fields, got {row.actual_columns}", row.text[:80]) from None
        if id_type == pa.string():
            # Ids that are not UTF-8 text: read them as bytes, `typed_column` names the line.
            return _read_csv(path, kind, columns, pa.binary(), id_columns)
        raise DataFormatError(path, None, f"unreadable {kind.upper()} file: {e}") from None


def read_file_columns(path: str, kind: str, columns: list, id_columns: int = 2) -> pa.Table:
    """The named columns of a file; the first `id_columns` (ids) are read as strings in a
    CSV/TSV, the others inferred (a Parquet file keeps its types)."""
    if kind != "parquet":
        return _read_csv(path, kind, columns, id_columns=id_columns)
    try:
        return pq.read_table(path, columns=columns)
    except (pa.ArrowInvalid, OSError) as e:
        raise _unreadable(path, kind, e) from None


def header(path: str, kind: str) -> list:
    """Column names, read from the schema (Parquet) or the first block (CSV)."""
    if kind == "parquet":
        try:
            return pq.read_schema(path).names
        except (pa.ArrowInvalid, OSError) as e:
            raise _unreadable(path, kind, e) from None
    try:
        # Malformed rows are skipped here (only the header is wanted); the full read names them.
        with pacsv.open_csv(path, parse_options=pacsv.ParseOptions(
                delimiter=_DELIMITERS["." + kind],
                invalid_row_handler=lambda row: "skip")) as stream:
            return stream.schema.names
    except UnicodeDecodeError as e:
        raise DataFormatError(path, 1, "the header is not UTF-8 text; the file must be UTF-8",
                              e.object[:80]) from None
    except OSError as e:
        raise _unreadable(path, kind, e) from None
    except pa.ArrowInvalid as e:
        if "Empty CSV file" in str(e):
            raise DataFormatError(path, None, "file is empty: expected a header line and one "
                                  "line per interaction") from None
        raise DataFormatError(path, None, f"unreadable {kind.upper()} file: {e}") from None


def read_log(path: str, user_col: str = "user_id", item_col: str = "item_id",
             time_col: str = None, rating_col: str = None) -> pa.Table:
    """Reads and validates a log file into a table of strings ids and typed columns.

    Args:
        path: a ``.csv``, ``.tsv`` (``.gz`` allowed) or ``.parquet`` file with a header.
        user_col: user id column (any type; read as text).
        item_col: item id column (any type; read as text).
        time_col: time column (numbers, or ISO 8601 dates/times); None: ``timestamp``
            if the file has it, else no time.
        rating_col: numeric rating column, or None.

    Returns:
        A table with ``user_id`` and ``item_id`` (string), ``row`` (int64, the
        0-based data row), and ``timestamp`` (number or timestamp) and
        ``rating`` (float64) when those columns were given. [num_rows] each.

    Raises:
        FileNotFoundError: no such file.
        DataSettingsError: two roles name one column (naming both flags).
        DataFormatError: an unreadable (e.g. damaged .gz) or empty file, a
            missing column (the existing ones are listed), text that is not
            UTF-8, a missing id, a time that is unparsable, of mixed kinds, of
            no point in time, NaN, infinite or out of range, or a rating that is
            not a finite number.

    Example:

    >>> log = read_log("clicks.csv", time_col="ts")  # doctest: +SKIP
    >>> log.column("user_id")[0]  # doctest: +SKIP
    <pyarrow.StringScalar: 'alice'>
    """
    path = os.fspath(path)
    distinct_columns(user_col, item_col, time_col, rating_col)    # a setting: before any read
    if not os.path.isfile(path):
        raise FileNotFoundError(f"--data-file {path}: no such file")
    kind = file_kind(path)
    names = header(path, kind)
    time_col, roles = column_roles(names, user_col, item_col, time_col, rating_col)
    for role, name, flag in roles:
        if name is not None and name not in names:
            raise DataFormatError(path, 1 if kind != "parquet" else None,
                                  f"no {role} column '{name}' ({flag}); the file's columns "
                                  f"are: {', '.join(names)}", name)
    roles = [(role, name) for role, name, _ in roles if name is not None]
    table = read_file_columns(path, kind, [name for _, name in roles])
    if table.num_rows == 0:
        raise DataFormatError(path, None, "file has a header but no interactions")
    out = {"row": pa.array(np.arange(table.num_rows, dtype=np.int64))}
    for role, name in roles:
        column, values = typed_column(path, kind, name, role, table.column(name).combine_chunks())
        out[column] = values
    return pa.table(out)
